"""Table versions, so a run whose ``fail`` check breaks can restore what was published before it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlingest.sql import string_literal

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def current_version(spark: SparkSession, fmt: str, relation: str) -> int | None:
    """The table's current snapshot id (Iceberg) or version (Delta); None for an empty Iceberg table or Parquet."""
    if fmt == "iceberg":
        rows = spark.sql(f"SELECT snapshot_id FROM {relation}.history WHERE is_current_ancestor "
                         "ORDER BY made_current_at DESC LIMIT 1").collect()
        return int(rows[0][0]) if rows else None
    if fmt == "delta":
        return int(spark.sql(f"DESCRIBE HISTORY {relation} LIMIT 1").collect()[0]["version"])
    return None


def restore(spark: SparkSession, fmt: str, relation: str, version: int | None) -> bool:
    """Put the table back to ``version`` (None: to empty). Returns False when the format cannot."""
    if fmt == "iceberg":
        if version is None:
            spark.sql(f"DELETE FROM {relation}")
            return True
        catalog, _, table = relation.partition(".")
        spark.sql(f"CALL {catalog}.system.rollback_to_snapshot({string_literal(table)}, {version})")
        return True
    if fmt == "delta":
        spark.sql(f"RESTORE TABLE {relation} TO VERSION AS OF {version}")
        return True
    return False
