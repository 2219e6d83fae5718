"""How a MERGE would touch a table's data files, so a materialization can choose between a MERGE and a rewrite of
the whole table (``sqlingest/materializations/strategy.py``).

A copy-on-write MERGE (Iceberg's default ``write.merge.mode``; Delta without deletion vectors) rewrites every data
file holding a row it matches, after a join of its own to find them. When the batch's keys lie in files holding most
of the table's bytes, most of the table is rewritten either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def properties(spark: SparkSession, relation: str) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in spark.sql(f"SHOW TBLPROPERTIES {relation}").collect()}


def merge_copies_files(spark: SparkSession, fmt: str, relation: str) -> bool:
    """Whether a MERGE into the table copies the data files it touches (copy-on-write) rather than recording the
    changed rows beside them (Iceberg ``merge-on-read``, Delta deletion vectors)."""
    if fmt == "iceberg":
        return properties(spark, relation).get("write.merge.mode", "copy-on-write") == "copy-on-write"
    if fmt == "delta":
        return properties(spark, relation).get("delta.enableDeletionVectors", "false").lower() != "true"
    return False


def data_bytes(spark: SparkSession, fmt: str, relation: str) -> int:
    """The bytes of the table's data files (metadata only)."""
    if fmt == "iceberg":
        row = spark.sql(f"SELECT coalesce(sum(file_size_in_bytes), 0) FROM {relation}.files WHERE content = 0")
        return int(row.collect()[0][0])
    if fmt == "delta":
        return int(spark.sql(f"DESCRIBE DETAIL {relation}").collect()[0]["sizeInBytes"] or 0)
    raise ValueError(f"{fmt} tables have no MERGE")


def touched_bytes(spark: SparkSession, fmt: str, relation: str, keys: str, unique_key: list[str], *,
                  broadcast: bool = False) -> int:
    """The bytes of the data files holding a row whose key is in the query ``keys``: one scan of the key columns and
    the file names (no other column), semi-joined with the keys (``broadcast``: they are few enough to broadcast,
    whatever the planner estimates)."""
    match = " AND ".join(f"t.{k} <=> k.{k}" for k in unique_key)
    hint = "/*+ BROADCAST(k) */ " if broadcast else ""
    path, size = {"iceberg": ("t._file", "NULL"), "delta": ("t._metadata.file_path", "t._metadata.file_size")}[fmt]
    touched = (f"SELECT {hint}DISTINCT {path} AS path, {size} AS size FROM {relation} AS t "
               f"LEFT SEMI JOIN ({keys}) AS k ON {match}")
    if fmt == "iceberg":  # the sizes are in the files metadata table
        touched = (f"SELECT f.file_path AS path, f.file_size_in_bytes AS size FROM {relation}.files AS f "
                   f"LEFT SEMI JOIN ({touched}) AS x ON f.file_path = x.path")
    return int(spark.sql(f"SELECT coalesce(sum(size), 0) FROM ({touched})").collect()[0][0])
