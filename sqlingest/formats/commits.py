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
from sqlingest.sql import string_literal

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
        row = spark.sql(
            f"SELECT max(CAST(s.summary[{string_literal(BATCH_KEY)}] AS BIGINT)) FROM {relation}.snapshots s "
            f"JOIN {relation}.history h ON s.snapshot_id = h.snapshot_id "
            f"WHERE h.is_current_ancestor AND s.summary[{string_literal(STREAM_KEY)}] = {string_literal(stream_id)}"
        ).collect()[0]
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


def overwrite_from(spark: SparkSession, fmt: str, relation: str, statement: str, base: int | None) -> None:
    """Run ``INSERT OVERWRITE TABLE <relation> <query>`` — a query that reads the table at version ``base`` — so that
    a commit by another writer after ``base`` is never silently replaced (a MERGE detects such conflicts itself; a
    plain overwrite does not). A conflict raises :class:`TransientError`, and the runner retries on the new state.

    - Iceberg: the same write through ``DataFrameWriterV2.overwrite`` with ``validate-from-snapshot-id = base`` and
      serializable isolation, so Iceberg refuses the commit when data was added or removed since ``base``.
    - Delta: Delta itself refuses concurrent appends during the write (the overwrite reads the whole table); a commit
      between ``base`` and the start of the write's transaction shows as its ``readVersion``: the overwrite is then
      undone (``RESTORE`` to that version) and retried.
    """
    from pyspark.sql import functions as F

    from sqlingest.errors import TransientError

    head = f"INSERT OVERWRITE TABLE {relation}"
    query = statement[len(head):] if statement.startswith(head) and statement[len(head):len(head) + 1].isspace() \
        else None
    if fmt == "iceberg" and base is not None and query is not None:
        (spark.sql(query).writeTo(relation).option("validate-from-snapshot-id", str(base))
         .option("isolation-level", "serializable").overwrite(F.lit(True)))
        return
    spark.sql(statement)
    if fmt != "delta" or base is None:
        return
    last = spark.sql(f"DESCRIBE HISTORY {relation} LIMIT 1").collect()[0]
    read = last["readVersion"]
    if read is None or int(read) == base:
        return
    spark.sql(f"RESTORE TABLE {relation} TO VERSION AS OF {int(read)}").collect()
    raise TransientError(f"{relation} was changed by another writer (version {int(read)}) while it was being "
                         f"rewritten from version {base}: the rewrite (version {last['version']}) was undone")
