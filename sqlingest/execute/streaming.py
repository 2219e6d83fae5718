"""Streaming models (``materialized='streaming'``): the model's SQL over streaming sources runs as one Structured
Streaming query; every micro-batch is written by ``foreachBatch``.

Exactly once, end to end
------------------------
Spark's checkpoint (one folder per model and target, see :func:`checkpoint_location`) plans each micro-batch's
offsets before running it and replays an unfinished batch with the *same* offsets after a crash. Each write of a
micro-batch carries the stream id (the checkpoint's query id) and the batch id in the table's own commit
(:mod:`sqlingest.formats.base`). Before writing batch *N*, the stream asks the table (once per process start)
which batch it committed last; a replayed batch that is already in the table is skipped. So a process killed at
any point — before, during or after the table commit, before Spark's own commit log — neither loses nor repeats a
record.

Per micro-batch
---------------
The batch's rows are conformed to the contract (bronze: audit columns, ``_batch_id`` = the micro-batch id), the
row checks are fused into the write (counts observed in the same pass). Checks with action ``fail`` are evaluated
*before* anything is written (the batch is cached and counted first): a failing batch writes nothing, the query
stops with the batch's offsets and error in the run log, and the next run retries the same offsets. Quarantined
rows go to ``<table>__quarantine`` in their own idempotent commit. Every batch is recorded in the run record
(batch id, offsets, rows, check results, seconds) and in the lakehouse table ``sqlingest_meta.stream_batches``.

Aggregate checks (unique, row_count, freshness…) run once after an ``available_now`` run, on the whole table.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.checks.fused import PUBLISHED, fuse, observed
from sqlingest.errors import CheckFailed, ExecutionError, SqlingestError, redact
from sqlingest.execute import ddl, quarantine
from sqlingest.execute.context import RunContext
from sqlingest.execute.errors import root_cause
from sqlingest.execute.keys import annotate, is_null_key_error, key_spec
from sqlingest.execute.publish import apply, null_key_failure, published_rows, record_counts
from sqlingest.execute.stage import conform
from sqlingest.project.contract import Check, DecodableCheck
from sqlingest.project.layers import RESCUE_COLUMN, quarantine_relation
from sqlingest.render import source_view
from sqlingest.runs import ModelResult
from sqlingest.sources import load_source
from sqlingest.validate.conform import quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sqlingest.plan import PlannedModel
    from sqlingest.project import Project

AVAILABLE_NOW = "available_now"
_INTERVAL = re.compile(r"^\d+(\.\d+)?\s*(milliseconds?|ms|seconds?|s|minutes?|min|hours?|h)$", re.IGNORECASE)


def checkpoint_location(project: Project, model: str) -> str:
    """``<checkpoints>/<model>``: ``checkpoints`` of the target (a path or URI), by default
    ``<state_dir>/checkpoints/<target>``."""
    base = project.target.checkpoints
    if base and ("://" in base or base.startswith("file:")):
        return base.rstrip("/") + "/" + model
    root = Path(base) if base else Path(project.state_dir) / "checkpoints" / project.target_name
    if not root.is_absolute():
        root = project.root / root
    return str((root / model).resolve())


def trigger_interval(value: str | None) -> str | None:
    """The processing-time interval of a model's ``trigger`` (None: ``available_now``)."""
    if value is None or value == AVAILABLE_NOW:
        return None
    if not _INTERVAL.match(value.strip()):
        raise ExecutionError(f"trigger '{value}' is neither 'available_now' nor an interval like '10 seconds'")
    return value.strip()


class _Files:
    """Checkpoint files through Hadoop's FileSystem (local folders, HDFS, object stores alike)."""

    def __init__(self, spark: SparkSession) -> None:
        self.jvm: Any = spark.sparkContext._jvm
        self.conf = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[union-attr]

    def _fs(self, path: str) -> tuple[Any, Any]:
        p = self.jvm.org.apache.hadoop.fs.Path(path)
        return p.getFileSystem(self.conf), p

    def read(self, path: str) -> str | None:
        fs, p = self._fs(path)
        if not fs.exists(p):
            return None
        stream = fs.open(p)
        try:
            return str(self.jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
        finally:
            stream.close()

    def delete(self, path: str) -> None:
        fs, p = self._fs(path)
        if fs.exists(p):
            fs.delete(p, True)


def _stop_between_batches(query: Any, wait: float = 120.0) -> None:
    """Stop ``query`` when no micro-batch is running (a batch interrupted mid-way would be replayed anyway, but a
    graceful stop should not leave one behind); after ``wait`` seconds stop it regardless."""
    deadline = time.monotonic() + wait
    while query.isActive and query.status.get("isTriggerActive") and time.monotonic() < deadline:
        time.sleep(0.1)
    query.stop()


def _json_lines(text: str | None) -> list[Any]:
    """The JSON values among a checkpoint file's lines (offset files: version, metadata, one line per source)."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("\x00")
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


class StreamingModel:
    """Runs one streaming model of a run (the same steps as a batch build: conform, table DDL, fused row checks,
    quarantine) and fills its result."""

    def __init__(self, ctx: RunContext, pm: PlannedModel, result: ModelResult) -> None:
        self.ctx = ctx
        self.pm = pm
        self.result = result
        self.spark = ctx.spark
        self.fmt = pm.format
        self.files = _Files(self.spark)
        self.checkpoint = checkpoint_location(ctx.plan.project, pm.name)
        self.implicit: list[Check] = []
        self.stream_id: str | None = None
        self.committed: int | None = None
        self.q_committed: int | None = None
        self.looked_up = False
        self.failure: BaseException | None = None
        self.lock = threading.Lock()

    # -- query -------------------------------------------------------------------------------------
    def run(self, exists: bool) -> None:
        options = self.ctx.options
        if options.full_refresh or not exists:
            # a table that is (re)created starts from the sources' starting offsets, never mid-stream
            self.files.delete(self.checkpoint)
        frame = self._frame()
        ddl.ensure_table(self.ctx, self.pm, frame, exists)
        interval = trigger_interval(self.pm.rendered.config.trigger) if options.streaming == "continuous" else None
        writer = (frame.writeStream.foreachBatch(self._batch)
                  .option("checkpointLocation", self.checkpoint)
                  .queryName("sqlingest_" + re.sub(r"\W", "_", self.pm.name)))
        writer = writer.trigger(processingTime=interval) if interval else writer.trigger(availableNow=True)
        self.result.rows_in = self.result.rows_written = self.result.rows_quarantined = 0
        self.result.rows_dropped = 0
        query = writer.start()
        try:
            while query.isActive:
                if options.stop is not None and options.stop.is_set():
                    _stop_between_batches(query)
                    break
                query.awaitTermination(0.5)  # type: ignore[arg-type]  # seconds; a float is accepted
        finally:
            if query.isActive:
                query.stop()
        self.ctx.streamed.add(self.pm.name)
        if self.failure is not None:
            raise self.failure
        error = query.exception()
        if error is not None:
            raise ExecutionError(f"streaming query of {self.pm.name} failed: {redact(root_cause(error))}")

    def _frame(self) -> DataFrame:
        """The model's query over streaming reads of its sources, conformed to its contract."""
        for contract in self.pm.rendered.sources:
            reader = load_source(contract, self.ctx.plan.project.root)
            self.implicit += reader.implicit_checks(streaming=True)
            reader.read_stream(self.spark).createOrReplaceTempView(source_view(contract.domain, contract.dataset))
        frame = self.spark.sql(self.pm.rendered.sql)
        if not frame.isStreaming:
            raise ExecutionError(f"{self.pm.name} is materialized='streaming' but reads no streaming source",
                                 hint="select from a kafka or file source with {{ source(...) }}")
        conformed = conform(self.ctx, self.pm, frame)
        if RESCUE_COLUMN not in conformed.columns:
            # a silver model over the source itself (CDC into merge/scd): an undecodable message reaches it as a row
            # without values, whose NULL business key its not_null check fails or sets aside
            self.implicit = [c for c in self.implicit if not isinstance(c, DecodableCheck)]
        return conformed

    # -- micro-batches -----------------------------------------------------------------------------
    def _batch(self, df: DataFrame, batch_id: int) -> None:
        try:
            self._write_batch(df, int(batch_id))
        except BaseException as exc:  # kept so the run reports the real error, not Py4J's wrapper
            self.failure = exc
            raise

    def _offsets(self, batch_id: int) -> dict[str, Any]:
        end = _json_lines(self.files.read(f"{self.checkpoint}/offsets/{batch_id}"))
        start = _json_lines(self.files.read(f"{self.checkpoint}/offsets/{batch_id - 1}")) if batch_id else \
            _json_lines(self.files.read(f"{self.checkpoint}/sources/0/0"))
        # the first JSON line of an offset file is the batch's metadata (watermark, conf), not a source's offsets
        if end and "batchWatermarkMs" in end[0]:
            end = end[1:]
        if start and "batchWatermarkMs" in start[0]:
            start = start[1:]
        return {"start": start, "end": end}

    def _lookup(self) -> None:
        """Which batches the target (and its quarantine) already hold: once per start of the query."""
        if self.looked_up:
            return
        meta = json.loads(self.files.read(f"{self.checkpoint}/metadata") or "{}")
        self.stream_id = str(meta.get("id") or "")
        if not self.stream_id:
            raise ExecutionError(f"checkpoint {self.checkpoint} has no query id")
        self.committed = self.fmt.last_committed(self.spark, self.pm.relation, self.stream_id)
        q_relation = quarantine_relation(self.pm.relation)
        if self.spark.catalog.tableExists(q_relation):
            self.q_committed = self.fmt.last_committed(self.spark, q_relation, self.stream_id)
        self.looked_up = True

    def _write_batch(self, df: DataFrame, batch_id: int) -> None:
        from pyspark.sql import DataFrame as PyDataFrame
        from pyspark.sql import functions as F

        spark, ctx, pm = self.spark, self.ctx, self.pm
        spark.sparkContext.setJobGroup(ctx.job_group(pm.name), f"sqlingest {pm.name} batch {batch_id}", True)
        started = time.perf_counter()
        entry: dict[str, Any] = {"batch_id": batch_id, "started_at": datetime.now(UTC).isoformat(),
                                 "offsets": self._offsets(batch_id), "status": "running"}
        self.result.batches.append(entry)
        try:
            self._lookup()
            checks = ctx.row_checks(pm, self.implicit)
            quarantines = any(c.effective_action == "quarantine" for c in checks)
            replayed = self.committed is not None and batch_id <= self.committed
            if replayed and not (quarantines and (self.q_committed is None or batch_id > self.q_committed)):
                entry.update(status="skipped", message="already committed before a restart; not written again")
                return
            # the micro-batch's plan, run by the model's own session (one catalog instance, no stale caches)
            jvm: Any = spark.sparkContext._jvm
            local = PyDataFrame(jvm.org.apache.spark.sql.Dataset.ofRows(spark._jsparkSession, df._jdf.logicalPlan()),
                                spark)
            if "_batch_id" in local.columns:
                local = local.withColumn("_batch_id", F.lit(str(batch_id)))
            columns = list(local.columns)
            # Checks that can fail the batch are decided before anything is written: the batch is cached and
            # counted first (every check's count observed in that pass); Delta's writes do not report a DataFrame's
            # observation, so there too, and a MERGE (merge/scd models) reads its source more than once. Otherwise
            # the table append is the only pass over the batch.
            spec = key_spec(pm)
            keyed = pm.materialization.STREAMS
            count_first = keyed or any(c.can_fail for c in checks) \
                or not self.fmt.capabilities.writes_report_observations
            fused = fuse(local, columns, checks, persist=count_first, relation_of=ctx.relation_of,
                         annotate=(lambda f, published: annotate(f, spec, columns, published)) if spec else None)
            frame = fused.frame
            counts = ModelResult(pm.name, pm.relation, "batch")
            options = self.fmt.commit_options(str(self.stream_id), batch_id)
            try:
                staged_rows = None
                if count_first:
                    staged_rows = frame.count()
                    record_counts(counts, observed(fused.observation.get, checks))
                    failed = [c for c in counts.checks if c.failed]
                    if failed:
                        entry["checks"] = counts.checks
                        raise CheckFailed(
                            f"micro-batch {batch_id} of {pm.relation}: "
                            + "; ".join(f"{c.name} ({c.message})" for c in failed)
                            + "; nothing was written, the batch is retried from the same offsets on the next run")
                if not replayed and keyed:
                    # the batch materialization's own statements (merge.sql, scd1.sql, scd2.sql), its commit
                    # carrying the batch id
                    try:
                        apply(ctx, pm, published_rows(frame, spec, checks, columns, pm.relation), columns,
                              pm.rendered.sql, counts, staged_rows=staged_rows,
                              commit=lambda run: self.fmt.committing(spark, str(self.stream_id), batch_id, run))
                    except Exception as exc:
                        if spec is None or not is_null_key_error(exc):
                            raise
                        raise null_key_failure(frame, spec, pm, bool(checks)) from None
                    if counts.write_strategy:
                        entry["write_strategy"] = counts.write_strategy
                elif not replayed:
                    published = frame.where(PUBLISHED).select(*[quote(c) for c in columns]) \
                        if checks else frame
                    published.writeTo(pm.relation).options(**options).append()
                    if not count_first:
                        record_counts(counts, observed(fused.observation.get, checks))
                # quarantine after the table (its own commit, also idempotent); a replay of a batch whose table
                # commit happened but whose quarantine commit did not writes just the quarantine
                if quarantines and (replayed or counts.rows_quarantined):
                    table = quarantine.table(ctx, pm)
                    quarantine.rows(ctx, frame, columns, checks).writeTo(table).options(**options).append()
            finally:
                if fused.persisted:
                    frame.unpersist()
            if replayed:
                entry.update(status="skipped", message="already committed before a restart; its quarantine rows "
                                                       "were written now")
                return
            self.committed = batch_id
            entry.update(status="success", rows_in=counts.rows_in, rows_written=counts.rows_written,
                         rows_quarantined=counts.rows_quarantined, rows_dropped=counts.rows_dropped,
                         rows_deduplicated=counts.rows_deduplicated,
                         rows_rescued=counts.rows_rescued, checks=counts.checks)
            self._add(counts)
        except BaseException as exc:
            entry.update(status="error", error=redact(exc.message if isinstance(exc, SqlingestError)
                                                      else root_cause(exc))[:600])
            raise
        finally:
            entry["seconds"] = round(time.perf_counter() - started, 3)
            self.ctx.report("batch", pm, self.result)

    def _add(self, counts: ModelResult) -> None:
        """Fold a micro-batch's counts and fused check results into the model's result."""
        with self.lock:
            r = self.result
            r.rows_in = (r.rows_in or 0) + (counts.rows_in or 0)
            r.rows_written = (r.rows_written or 0) + (counts.rows_written or 0)
            r.rows_quarantined = (r.rows_quarantined or 0) + (counts.rows_quarantined or 0)
            r.rows_dropped = (r.rows_dropped or 0) + (counts.rows_dropped or 0)
            if counts.rows_deduplicated is not None:
                r.rows_deduplicated = (r.rows_deduplicated or 0) + counts.rows_deduplicated
            if counts.rows_rescued is not None:
                r.rows_rescued = (r.rows_rescued or 0) + counts.rows_rescued
            merged = {c.name: c for c in r.checks}
            rank = {"pass": 0, "warn": 1, "fail": 2, "error": 3}
            for check in counts.checks:
                old = merged.get(check.name)
                if old is None:
                    merged[check.name] = check
                    continue
                worst = check if rank[check.outcome] > rank[old.outcome] else old
                if isinstance(check.value, float) or isinstance(old.value, float):  # a share (percentage threshold)
                    share = max(old.value or 0.0, check.value or 0.0)
                    merged[check.name] = replace(worst, value=share, message=(
                        f"up to {share:g}% of a micro-batch's rows" if share else ""))
                    continue
                value = (old.value or 0) + (check.value or 0)
                merged[check.name] = replace(worst, value=value,
                                             message=f"{value} row(s) over all batches" if value else "")
            r.checks = list(merged.values())
