"""Apache Iceberg tables.

- Versions are snapshots; a restore is ``rollback_to_snapshot`` (an empty table: ``DELETE FROM``).
- Commit metadata for streaming micro-batches: snapshot summary properties ``sqlingest.stream-id`` /
  ``sqlingest.batch-id`` (write options ``snapshot-property.*``); the lookup reads the ``snapshots`` and ``history``
  metadata tables (no data scan) and only counts snapshots that are ancestors of the current one, so a rolled-back
  snapshot does not count.
  SQL statements (a streaming MERGE) get the same properties through Iceberg's ``CommitMetadata`` (a thread-local
  the statement's commit reads), entered through a Java ``Callable`` implemented in Python.
- A validated overwrite goes through ``DataFrameWriterV2.overwrite`` with ``validate-from-snapshot-id = base`` and
  serializable isolation, so Iceberg refuses the commit when data was added or removed since ``base``.
- A MERGE copies the files it touches unless ``write.merge.mode = merge-on-read``; file sizes are in the ``files``
  metadata table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from sqlingest.formats.base import Capabilities, TableFormat, overwrite_query, properties
from sqlingest.sql import string_literal

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

STREAM_KEY = "sqlingest.stream-id"
BATCH_KEY = "sqlingest.batch-id"


class Iceberg(TableFormat):
    name: ClassVar[str] = "iceberg"
    using: ClassVar[str] = "iceberg"
    capabilities: ClassVar[Capabilities] = Capabilities(merge=True, schema_evolution=True, time_travel=True,
                                                        commits=True, restore=True, partition_overwrite=True)

    def current_version(self, spark: SparkSession, relation: str) -> int | None:
        """The current snapshot id; None for a table without snapshots."""
        rows = spark.sql(f"SELECT snapshot_id FROM {relation}.history WHERE is_current_ancestor "
                         "ORDER BY made_current_at DESC LIMIT 1").collect()
        return int(rows[0][0]) if rows else None

    def restore(self, spark: SparkSession, relation: str, version: int | None) -> bool:
        if version is None:
            spark.sql(f"DELETE FROM {relation}")
            return True
        catalog, _, table = relation.partition(".")
        spark.sql(f"CALL {catalog}.system.rollback_to_snapshot({string_literal(table)}, {version})")
        return True

    def commit_options(self, stream_id: str, batch_id: int) -> dict[str, str]:
        return {f"snapshot-property.{STREAM_KEY}": stream_id, f"snapshot-property.{BATCH_KEY}": str(batch_id)}

    def committing(self, spark: SparkSession, stream_id: str, batch_id: int, run: Callable[[], None]) -> None:
        from pyspark.java_gateway import ensure_callback_server_started

        jvm: Any = spark.sparkContext._jvm
        gateway: Any = spark.sparkContext._gateway
        ensure_callback_server_started(gateway)  # running already inside foreachBatch
        props = jvm.java.util.HashMap()
        for key, value in self.commit_options(stream_id, batch_id).items():
            props.put(key.removeprefix("snapshot-property."), value)
        call = _Callable(run)
        jvm.org.apache.iceberg.spark.CommitMetadata.withCommitProperties(
            props, call, jvm.java.lang.Class.forName("java.lang.RuntimeException"))
        if call.error is not None:
            raise call.error

    def last_committed(self, spark: SparkSession, relation: str, stream_id: str) -> int | None:
        row = spark.sql(
            f"SELECT max(CAST(s.summary[{string_literal(BATCH_KEY)}] AS BIGINT)) FROM {relation}.snapshots s "
            f"JOIN {relation}.history h ON s.snapshot_id = h.snapshot_id "
            f"WHERE h.is_current_ancestor AND s.summary[{string_literal(STREAM_KEY)}] = {string_literal(stream_id)}"
        ).collect()[0]
        return None if row[0] is None else int(row[0])

    def overwrite_from(self, spark: SparkSession, relation: str, statement: str, base: int | None) -> None:
        from pyspark.sql import functions as F

        query = overwrite_query(statement, relation)
        if base is None or query is None:
            spark.sql(statement)
            return
        (spark.sql(query).writeTo(relation).option("validate-from-snapshot-id", str(base))
         .option("isolation-level", "serializable").overwrite(F.lit(True)))

    def merge_copies_files(self, spark: SparkSession, relation: str) -> bool:
        return properties(spark, relation).get("write.merge.mode", "copy-on-write") == "copy-on-write"

    def data_bytes(self, spark: SparkSession, relation: str) -> int:
        row = spark.sql(f"SELECT coalesce(sum(file_size_in_bytes), 0) FROM {relation}.files WHERE content = 0")
        return int(row.collect()[0][0])

    def bytes_added_since(self, spark: SparkSession, relation: str, since_ms: int) -> int | None:
        rows = spark.sql(f"SELECT summary['added-files-size'] FROM {relation}.snapshots "
                         f"WHERE committed_at >= timestamp_millis({int(since_ms)})").collect()
        return sum(int(r[0] or 0) for r in rows)

    def file_columns(self) -> tuple[str, str]:
        return "t._file", "NULL"

    def _touched(self, relation: str, keys: str, unique_key: list[str], broadcast: bool) -> str:
        # the sizes are in the files metadata table
        touched = super()._touched(relation, keys, unique_key, broadcast)
        return (f"SELECT f.file_path AS path, f.file_size_in_bytes AS size FROM {relation}.files AS f "
                f"LEFT SEMI JOIN ({touched}) AS x ON f.file_path = x.path")

    def file_stats(self, spark: SparkSession, relation: str) -> tuple[int, int]:
        row = spark.sql(f"SELECT count(*) AS n, sum(file_size_in_bytes) AS b FROM {relation}.files").collect()[0]
        return int(row.n), int(row.b or 0)

    def drop(self, spark: SparkSession, relation: str) -> None:
        spark.sql(f"DROP TABLE IF EXISTS {relation} PURGE")


class _Callable:
    """``java.util.concurrent.Callable`` in Python: runs ``run`` on the JVM thread that called it (PySpark's pinned
    threads), keeping a Python error to raise again after the Java call returns."""

    def __init__(self, run: Callable[[], None]) -> None:
        self.run = run
        self.error: BaseException | None = None

    def call(self) -> None:
        try:
            self.run()
        except Exception as exc:  # noqa: BLE001 — raised again by the caller (Java would see a Py4J wrapper)
            self.error = exc

    class Java:
        implements: ClassVar[list[str]] = ["java.util.concurrent.Callable"]
