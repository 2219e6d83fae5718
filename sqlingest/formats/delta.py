"""Delta Lake tables.

- Versions are the table's commit versions (``DESCRIBE HISTORY``); a restore is ``RESTORE TABLE … TO VERSION AS OF``.
- Commit metadata for streaming micro-batches: the transaction identifiers Delta itself uses for idempotent writes
  (``txnAppId`` / ``txnVersion``: Delta refuses to apply the same version twice) plus ``userMetadata`` in the commit
  info, read back from ``DESCRIBE HISTORY``. SQL statements (a streaming MERGE) get them from the session confs
  ``spark.databricks.delta.write.txnAppId`` / ``txnVersion`` and ``commitInfo.userMetadata``, set only for the
  statement (Delta skips a DML whose transaction version it has seen: idempotent as the append is).
- A validated overwrite: Delta itself refuses concurrent appends during the write (the overwrite reads the whole
  table); a commit between ``base`` and the start of the write's transaction shows as its ``readVersion``: the
  overwrite is then undone (``RESTORE`` to that version) and retried.
- Delta runs writes and MERGE sources through query executions of its own, which do not report a DataFrame's
  ``Observation``: the runner caches the rows and counts them first.
- A MERGE copies the files it touches unless deletion vectors are enabled; file paths and sizes are in the
  ``_metadata`` column.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from sqlingest.formats.base import Capabilities, TableFormat, properties

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_STREAM = "sqlingest_stream"
_BATCH = "sqlingest_batch"
_TXN_CONFS = {"txnAppId": "spark.databricks.delta.write.txnAppId",
              "txnVersion": "spark.databricks.delta.write.txnVersion",
              "userMetadata": "spark.databricks.delta.commitInfo.userMetadata"}
#: one statement with transaction confs at a time (the confs are the session's)
_TXN_LOCK = threading.Lock()


class Delta(TableFormat):
    name: ClassVar[str] = "delta"
    using: ClassVar[str] = "delta"
    capabilities: ClassVar[Capabilities] = Capabilities(
        merge=True, schema_evolution=True, time_travel=True, commits=True, restore=True,
        writes_report_observations=False, merge_reports_observations=False, partition_overwrite=True)

    def current_version(self, spark: SparkSession, relation: str) -> int | None:
        return int(spark.sql(f"DESCRIBE HISTORY {relation} LIMIT 1").collect()[0]["version"])

    def restore(self, spark: SparkSession, relation: str, version: int | None) -> bool:
        spark.sql(f"RESTORE TABLE {relation} TO VERSION AS OF {version}")
        return True

    def commit_options(self, stream_id: str, batch_id: int) -> dict[str, str]:
        return {"txnAppId": stream_id, "txnVersion": str(batch_id),
                "userMetadata": json.dumps({_STREAM: stream_id, _BATCH: batch_id})}

    def committing(self, spark: SparkSession, stream_id: str, batch_id: int, run: Callable[[], None]) -> None:
        with _TXN_LOCK:
            for key, value in self.commit_options(stream_id, batch_id).items():
                spark.conf.set(_TXN_CONFS[key], value)
            try:
                run()
            finally:
                for conf in _TXN_CONFS.values():
                    spark.conf.unset(conf)

    def last_committed(self, spark: SparkSession, relation: str, stream_id: str) -> int | None:
        best: int | None = None
        for (meta,) in spark.sql(f"DESCRIBE HISTORY {relation}").select("userMetadata").collect():
            try:
                data = json.loads(meta) if meta else None
            except ValueError:
                continue
            if isinstance(data, dict) and data.get(_STREAM) == stream_id:
                batch = int(data[_BATCH])
                best = batch if best is None else max(best, batch)
        return best

    def overwrite_from(self, spark: SparkSession, relation: str, statement: str, base: int | None) -> None:
        from sqlingest.errors import TransientError

        spark.sql(statement)
        if base is None:
            return
        last = spark.sql(f"DESCRIBE HISTORY {relation} LIMIT 1").collect()[0]
        read = last["readVersion"]
        if read is None or int(read) == base:
            return
        spark.sql(f"RESTORE TABLE {relation} TO VERSION AS OF {int(read)}").collect()
        raise TransientError(f"{relation} was changed by another writer (version {int(read)}) while it was being "
                             f"rewritten from version {base}: the rewrite (version {last['version']}) was undone")

    def merge_copies_files(self, spark: SparkSession, relation: str) -> bool:
        return properties(spark, relation).get("delta.enableDeletionVectors", "false").lower() != "true"

    def data_bytes(self, spark: SparkSession, relation: str) -> int:
        return int(spark.sql(f"DESCRIBE DETAIL {relation}").collect()[0]["sizeInBytes"] or 0)

    def bytes_added_since(self, spark: SparkSession, relation: str, since_ms: int) -> int | None:
        rows = spark.sql(f"DESCRIBE HISTORY {relation}").where(
            f"timestamp >= timestamp_millis({int(since_ms)})").collect()
        return sum(int((r["operationMetrics"] or {}).get("numOutputBytes") or 0) for r in rows)

    def file_columns(self) -> tuple[str, str]:
        return "t._metadata.file_path", "t._metadata.file_size"

    def file_stats(self, spark: SparkSession, relation: str) -> tuple[int, int]:
        row = spark.sql(f"DESCRIBE DETAIL {relation}").collect()[0]
        return int(row.numFiles), int(row.sizeInBytes)
