"""What each medallion layer adds to every dataset in it: standard columns and strictness."""

from __future__ import annotations

RESCUE_COLUMN = "_rescued_data"
SOURCE_FILE_COLUMN = "_source_file"

#: Columns every source view exposes beside the declared ones.
SOURCE_COLUMNS: list[tuple[str, str]] = [(RESCUE_COLUMN, "string"), (SOURCE_FILE_COLUMN, "string")]

#: Audit columns the framework adds to every bronze table (the model may select the source ones itself).
BRONZE_AUDIT_COLUMNS: list[tuple[str, str]] = [
    (RESCUE_COLUMN, "string"),
    (SOURCE_FILE_COLUMN, "string"),
    ("_ingested_at", "timestamp"),
    ("_run_id", "string"),
    ("_batch_id", "string"),
    ("_record_hash", "string"),
]


def audit_columns(layer: str) -> list[tuple[str, str]]:
    """The standard columns the framework appends to tables of ``layer``."""
    return list(BRONZE_AUDIT_COLUMNS) if layer == "bronze" else []


QUARANTINE_SUFFIX = "__quarantine"


def quarantine_relation(relation: str) -> str:
    """The quarantine table of ``relation``: ``<relation>__quarantine``, the suffix inside the quotes of a quoted
    last part (``delta.`/lake/silver/t``` → ``delta.`/lake/silver/t__quarantine```)."""
    if relation.endswith("`"):
        return relation[:-1] + QUARANTINE_SUFFIX + "`"
    return relation + QUARANTINE_SUFFIX

#: ``<table>__quarantine``: rows that failed a quarantine check, with why, when and the original row as JSON.
QUARANTINE_COLUMNS: list[tuple[str, str]] = [
    ("_failed_checks", "array<string>"),
    ("_run_id", "string"),
    ("_quarantined_at", "timestamp"),
    ("_row", "string"),
]
