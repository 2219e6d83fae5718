"""Plain Parquet tables in a metastore: no versions, no MERGE, no commit metadata (so no exactly-once streaming and no
restore after a failed check; refused or reported at compile time).

Dynamic partition overwrite (``insert_overwrite``): the table is created with the option
``partitionOverwriteMode = dynamic``, which Spark's file writer reads from the table before the session's setting, so
its ``INSERT OVERWRITE`` replaces only the partitions the rows fall in. Spark keeps a Parquet table's partition
columns last (:meth:`Parquet.layout`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlingest.formats.base import Capabilities, TableFormat

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class Parquet(TableFormat):
    name: ClassVar[str] = "parquet"
    using: ClassVar[str] = "parquet"
    capabilities: ClassVar[Capabilities] = Capabilities(partition_overwrite=True)

    def dynamic_overwrite_options(self) -> dict[str, str] | None:
        return {"partitionOverwriteMode": "dynamic"}

    def layout(self, columns: list[str], partitioned_by: list[str]) -> list[str]:
        parts = set(partitioned_by)
        return [c for c in columns if c not in parts] + [p for p in partitioned_by if p in columns]

    def append(self, frame: DataFrame, table: str) -> None:
        """By position (``insertInto``, columns in the table's order): the session catalog serves Parquet tables as
        V1 tables, which the V2 writer refuses ("Cannot write into v1 table")."""
        frame.write.insertInto(table)
