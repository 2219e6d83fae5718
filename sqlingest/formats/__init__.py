"""Table formats: what ``CREATE TABLE … USING <format>`` supports, declared up front so a combination that cannot
work is refused at compile time, not discovered mid-run."""

from __future__ import annotations

from dataclasses import dataclass

from sqlingest.errors import UserError


@dataclass(frozen=True)
class TableFormat:
    """A table format: its ``USING`` name and what it supports (read by :func:`capability`)."""

    name: str
    using: str
    supports_merge: bool
    supports_time_travel: bool
    supports_schema_evolution: bool


FORMATS: dict[str, TableFormat] = {
    "iceberg": TableFormat("iceberg", "iceberg", True, True, True),
    "delta": TableFormat("delta", "delta", True, True, True),
    "parquet": TableFormat("parquet", "parquet", False, False, False),
}


def get_format(name: str) -> TableFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UserError(f"unknown table format '{name}'", hint=f"one of: {', '.join(FORMATS)}") from None


def capability(fmt: TableFormat, name: str) -> bool:
    """Whether ``fmt`` has capability ``name`` (the names of :data:`sqlingest.catalogs.capabilities.CAPABILITIES`,
    but ``branches``, plus ``commits``)."""
    return {
        "create": True, "append": True, "overwrite": True, "merge": fmt.supports_merge,
        "schema_evolution": fmt.supports_schema_evolution, "time_travel": fmt.supports_time_travel,
        # transactional commits that carry metadata (exactly-once streaming); not a column of the support matrix
        "commits": fmt.supports_merge,
    }[name]
