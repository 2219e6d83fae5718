"""Idempotent commits for streaming micro-batches: the stream id and the micro-batch id are recorded *in the table's
own commit*, so "was batch N of this stream already written?" is answered by the table, atomically with its rows.

- Iceberg: snapshot summary properties ``sqlingest.stream-id`` / ``sqlingest.batch-id`` (write options
  ``snapshot-property.*``); the lookup reads the ``snapshots`` and ``history`` metadata tables (no data scan) and
  only counts snapshots that are ancestors of the current one, so a rolled-back snapshot does not count.
- Delta: the transaction identifiers Delta itself uses for idempotent writes (``txnAppId`` / ``txnVersion``: Delta
  refuses to apply the same version twice) plus ``userMetadata`` in the commit info, read back from
  ``DESCRIBE HISTORY``.

Parquet has no commits, hence no exactly-once streaming (refused at compile time).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlingest.errors import UnsupportedCombination

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

STREAM_KEY = "sqlingest.stream-id"
BATCH_KEY = "sqlingest.batch-id"
_DELTA_STREAM = "sqlingest_stream"
_DELTA_BATCH = "sqlingest_batch"


def commit_options(fmt: str, stream_id: str, batch_id: int) -> dict[str, str]:
    """Write options (``DataFrameWriterV2.options``) that record ``batch_id`` of ``stream_id`` with the commit."""
    if fmt == "iceberg":
        return {f"snapshot-property.{STREAM_KEY}": stream_id, f"snapshot-property.{BATCH_KEY}": str(batch_id)}
    if fmt == "delta":
        return {"txnAppId": stream_id, "txnVersion": str(batch_id),
                "userMetadata": json.dumps({_DELTA_STREAM: stream_id, _DELTA_BATCH: batch_id})}
    raise UnsupportedCombination(f"{fmt} tables have no commit metadata, so micro-batches cannot be written "
                                 "exactly once", hint="stream into an iceberg or delta table")


def last_committed(spark: SparkSession, fmt: str, relation: str, stream_id: str) -> int | None:
    """The highest micro-batch id of ``stream_id`` committed to ``relation`` (None: none yet)."""
    if fmt == "iceberg":
        sid = stream_id.replace("'", "")
        row = spark.sql(
            f"SELECT max(CAST(s.summary['{BATCH_KEY}'] AS BIGINT)) FROM {relation}.snapshots s "
            f"JOIN {relation}.history h ON s.snapshot_id = h.snapshot_id "
            f"WHERE h.is_current_ancestor AND s.summary['{STREAM_KEY}'] = '{sid}'").collect()[0]
        return None if row[0] is None else int(row[0])
    if fmt == "delta":
        best: int | None = None
        for (meta,) in spark.sql(f"DESCRIBE HISTORY {relation}").select("userMetadata").collect():
            try:
                data = json.loads(meta) if meta else None
            except ValueError:
                continue
            if isinstance(data, dict) and data.get(_DELTA_STREAM) == stream_id:
                batch = int(data[_DELTA_BATCH])
                best = batch if best is None else max(best, batch)
        return best
    raise UnsupportedCombination(f"{fmt} tables have no commit metadata")
