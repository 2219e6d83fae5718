"""Plain Parquet tables in a metastore: no versions, no MERGE, no commit metadata (so no exactly-once streaming and no
restore after a failed check; refused or reported at compile time)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlingest.formats.base import Capabilities, TableFormat

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class Parquet(TableFormat):
    name: ClassVar[str] = "parquet"
    using: ClassVar[str] = "parquet"
    capabilities: ClassVar[Capabilities] = Capabilities()

    def append(self, frame: DataFrame, table: str) -> None:
        """By position (``insertInto``, columns in the table's order): the session catalog serves Parquet tables as
        V1 tables, which the V2 writer refuses ("Cannot write into v1 table")."""
        frame.write.insertInto(table)
