"""Table formats: what ``CREATE TABLE … USING <format>`` supports, declared up front so a combination that cannot
work is refused at compile time, not discovered mid-run."""

from __future__ import annotations

from dataclasses import dataclass

from sqlingest.errors import UserError


@dataclass(frozen=True)
class TableFormat:
    name: str
    using: str
    supports_merge: bool
    supports_time_travel: bool
    supports_schema_evolution: bool
    supports_row_level_delete: bool
    required_nullability: bool


FORMATS: dict[str, TableFormat] = {
    "iceberg": TableFormat("iceberg", "iceberg", True, True, True, True, False),
    "delta": TableFormat("delta", "delta", True, True, True, True, True),
    "parquet": TableFormat("parquet", "parquet", False, False, False, False, False),
}

CAPABILITIES = ("create", "append", "overwrite", "merge", "schema_evolution", "time_travel")


def get_format(name: str) -> TableFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UserError(f"unknown table format '{name}'", hint=f"one of: {', '.join(FORMATS)}") from None


def capability(fmt: TableFormat, name: str) -> bool:
    return {
        "create": True, "append": True, "overwrite": True, "merge": fmt.supports_merge,
        "schema_evolution": fmt.supports_schema_evolution, "time_travel": fmt.supports_time_travel,
        # transactional commits that carry metadata (exactly-once streaming); not a column of the support matrix
        "commits": fmt.supports_merge,
    }[name]
