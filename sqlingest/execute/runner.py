"""Runs planned models in dependency order on one SparkSession."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlingest.checks import CheckResult, Outcome, run_checks
from sqlingest.checks.messages import describe
from sqlingest.checks.rows import exceeds, failure_predicate, is_row_check
from sqlingest.errors import CheckFailed, ContractViolation, ExecutionError, SqlingestError, TransientError, redact
from sqlingest.execute import bad_inputs
from sqlingest.execute.keys import KeySpec, annotate, guard, is_null_key_error, key_spec, null_key_message, tie_report
from sqlingest.execute.keys import reason as key_reason
from sqlingest.materializations import Scd2, WriteContext
from sqlingest.materializations.strategy import choose as choose_strategy
from sqlingest.plan import Plan, PlannedModel
from sqlingest.plan.evolution import additions, evolution_plan, schema_diff
from sqlingest.project.contract import AnomalyCheck, Check, NotNullCheck
from sqlingest.project.layers import (
    QUARANTINE_COLUMNS,
    RESCUE_COLUMN,
    SOURCE_FILE_COLUMN,
    audit_columns,
    quarantine_relation,
)
from sqlingest.render import source_view
from sqlingest.runs import ModelResult, RunRecord
from sqlingest.sources import load_source
from sqlingest.sources.stateful import StatefulSource
from sqlingest.validate.conform import conform_strict, conform_typed, quote
from sqlingest.validate.types import normalize_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

Reporter = Callable[[str, PlannedModel, ModelResult | None], None]


#: staged rows up to which an scd2 write broadcasts the staged keys to its joins with the table (about 150 MB of
#: hash table at most)
BROADCAST_KEYS_MAX = 4_000_000


def _noop(event: str, model: PlannedModel, result: ModelResult | None) -> None:
    return None


@dataclass
class RunOptions:
    run_models: bool = True
    run_checks: bool = True
    full_refresh: bool = False
    fail_fast: bool = False
    threads: int | None = None
    retries: int = 3
    #: streaming models: "available_now" (process what is there, then stop: `build`) or "continuous" (`stream`)
    streaming: str = "available_now"
    #: continuous streaming stops (after the running micro-batch) when this is set
    stop: threading.Event | None = None
    #: ``--empty``: sources and the model's query yield zero rows (Spark prunes the reads: ``LIMIT 0``), so a build
    #: checks the DDL and SQL on the target without reading data; existing tables rewritten in full are left as they are
    empty: bool = False


_TRANSIENT = ("CommitFailedException", "ConcurrentAppendException", "ConcurrentDeleteReadException",
              "ConcurrentDeleteDeleteException", "ConcurrentTransactionException", "ConcurrentWriteException",
              "MetadataChangedException", "ProtocolChangedException", "CommitStateUnknownException",
              "SQLITE_BUSY", "database is locked", "Connection refused", "Connection reset",
              # Iceberg's commit validation (MERGE, validated overwrites): another writer changed the files
              "Found conflicting files", "Found new conflicting delete files", "Missing required files to delete",
              "found new delete for replaced data file")


def is_transient(exc: BaseException) -> bool:
    """Failures a retry can fix: optimistic-commit conflicts and briefly unreachable services."""
    if isinstance(exc, TransientError):
        return True
    text = str(exc)
    return any(marker in text for marker in _TRANSIENT)


@dataclass
class _Staged:
    frame: DataFrame
    columns: list[str]
    inputs: list[str] = field(default_factory=list)
    skip_write: bool = False
    #: row checks the source readers add (e.g. undecodable messages → quarantine)
    checks: list[Check] = field(default_factory=list)
    #: inputs the readers quarantined as a unit, unread: (input, reason); and their warnings
    rejected: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def spark_message(exc: BaseException) -> str:
    """The root cause of a Spark/Py4J error (:func:`sqlingest.execute.errors.root_cause`), redacted; the whole
    story (Python traceback, JVM stack) goes to the run's log, and to the console with ``--debug``."""
    from sqlingest.execute.errors import root_cause
    from sqlingest.output import log_exception

    log_exception("model failed", exc)
    text = root_cause(exc)
    ln = text.splitlines()[0] if text else ""
    if "Null value appeared in non-nullable field" in ln or "NOT_NULL" in ln or "NOT NULL" in ln.upper() \
            and "constraint" in ln.lower():
        return redact("a NULL reached a NOT NULL column: " + text[:300])
    return redact(text)


class Runner:
    """Executes a :class:`Plan`; one :class:`RunRecord` per call to :meth:`run`."""

    def __init__(self, plan: Plan, spark: SparkSession, record: RunRecord, *, options: RunOptions | None = None,
                 reporter: Reporter = _noop) -> None:
        self.plan = plan
        self.spark = spark
        self.record = record
        self.options = options or RunOptions()
        self.report = reporter
        self.relation_of = {pm.contract.key: pm.relation for pm in plan.models.values() if pm.contract}
        self._before: dict[str, int | None] = {}
        #: streaming models run in this process (their row checks ran per micro-batch; nothing to restore)
        self._streamed: set[str] = set()

    def run(self) -> RunRecord:
        """Run the selected models: each after its parents, up to ``threads`` at once; a failure skips only its
        descendants (or everything after it with ``fail_fast``)."""
        selected = self.plan.selected
        results = {name: ModelResult(name, self.plan.models[name].relation,
                                     self.plan.models[name].materialization.NAME,
                                     sql_hash=self.plan.models[name].sql_hash) for name in selected}
        self.record.models.extend(results[n] for n in selected)
        failed: set[str] = set()
        done: set[str] = set()
        lock = threading.Lock()
        parents = {n: set(self.plan.dag.ancestors(n)) & set(selected) for n in selected}
        pending = list(selected)
        threads = max(1, self.threads)
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sqlingest") as pool:
            running: dict[Future[None], str] = {}
            while pending or running:
                for name in list(pending):
                    if not parents[name] <= done:
                        continue
                    pending.remove(name)
                    pm, result = self.plan.models[name], results[name]
                    broken = sorted(self.plan.dag.ancestors(name) & failed)
                    if broken or (failed and self.options.fail_fast):
                        result.status = "skipped"
                        result.error = f"upstream failed: {', '.join(broken)}" if broken \
                            else "skipped after a failure"
                        failed.add(name)
                        done.add(name)
                        self.report("skip", pm, result)
                        continue
                    if len(running) >= threads:
                        pending.insert(0, name)
                        break
                    running[pool.submit(self._run_one, pm, result)] = name
                if not running:
                    continue
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    name = running.pop(future)
                    future.result()
                    with lock:
                        done.add(name)
                        if results[name].status == "error":
                            failed.add(name)
        self.record.status = "error" if failed else "success"
        return self.record

    @property
    def threads(self) -> int:
        return self.options.threads or self.plan.project.target.threads

    def job_group(self, name: str) -> str:
        """The Spark job group a model's jobs run under (so they can be counted and cancelled)."""
        return f"sqlingest:{self.record.run_id}:{name}"

    def _run_one(self, pm: PlannedModel, result: ModelResult) -> None:
        self.spark.sparkContext.setJobGroup(self.job_group(pm.name), f"sqlingest {pm.name}", True)
        self.report("start", pm, None)
        started = time.perf_counter()
        attempt = 0
        checks_only = pm.name in self.plan.checks_only
        if checks_only and not self._exists(pm.relation):
            result.status, result.error = "skipped", "not built yet (selected for its checks on a selected model)"
            self.report("skip", pm, result)
            return
        while True:
            attempt += 1
            try:
                if self.options.run_models and not checks_only:
                    self._build(pm, result)
                if self.options.run_checks:
                    self._check(pm, result)
                result.status = "warn" if any(c.outcome == "warn" for c in result.checks) else "success"
                break
            except Exception as exc:  # noqa: BLE001 — Spark/Py4J errors: show the message, not the JVM stack
                ours = exc if isinstance(exc, SqlingestError) else None
                if (isinstance(exc, TransientError) or ours is None and is_transient(exc)) \
                        and attempt <= self.options.retries:
                    delay = min(2.0 ** (attempt - 1), 30.0)
                    result.error = f"attempt {attempt} failed, retrying in {delay:.0f}s: {spark_message(exc)}"
                    time.sleep(delay)
                    continue
                result.status, result.error = "error", ours.format() if ours else spark_message(exc)
                break
        result.attempts = attempt
        result.spark_jobs = len(self.spark.sparkContext.statusTracker().getJobIdsForGroup(self.job_group(pm.name)))
        result.seconds = round(time.perf_counter() - started, 3)
        self.report("end", pm, result)

    def replay(self, name: str) -> ModelResult:
        """Re-run the quarantined rows of model ``name`` through its (fixed) contract and materialization."""
        pm = self.plan.models[name]
        result = ModelResult(name, pm.relation, "replay", sql_hash=pm.sql_hash)
        self.record.models.append(result)
        started = time.perf_counter()
        quarantine = quarantine_relation(pm.relation)
        try:
            if pm.materialization.NAME not in ("append", "streaming", "merge", "scd1", "scd2"):
                raise ExecutionError(f"replay needs an incremental materialization; {name} is "
                                     f"'{pm.materialization.NAME}'", hint="rebuild it with `sqlingest build`")
            if not self._exists(quarantine):
                raise ExecutionError(f"{name} has no quarantine table ({quarantine})")
            extra = {n for n, _ in pm.materialization.EXTRA_COLUMNS}
            fields = [f for f in self.spark.table(pm.relation).schema.fields if f.name not in extra]
            ddl = ", ".join(f"{quote(f.name)} {f.dataType.simpleString()}" for f in fields)
            rows = self.spark.table(quarantine).where(bad_inputs.NOT_A_FILE) \
                .selectExpr(f"from_json(_row, '{ddl}') AS __r", "_row").select("__r.*", "_row")
            staged = _Staged(rows, [f.name for f in fields])
            kept = pm.format.current_version(self.spark, quarantine)
            self._publish(pm, staged, pm.rendered.sql, result, replay_from=quarantine)
            if self.options.run_checks:
                try:
                    self._check(pm, result)
                except CheckFailed:  # the table was restored: give the quarantine its rows back too
                    pm.format.restore(self.spark, quarantine, kept)
                    raise
            result.status = "success"
        except SqlingestError as exc:
            result.status, result.error = "error", exc.format()
        except Exception as exc:  # noqa: BLE001 — a failing model is recorded; its descendants are skipped
            result.status, result.error = "error", spark_message(exc)
        result.seconds = round(time.perf_counter() - started, 3)
        self.record.status = "error" if result.status == "error" else "success"
        return result

    # -- build -------------------------------------------------------------------------------------
    def _exists(self, relation: str) -> bool:
        return bool(self.spark.catalog.tableExists(relation))

    def _build(self, pm: PlannedModel, result: ModelResult) -> None:
        spark = self.spark
        namespace = self.plan.catalog.namespace(pm.namespace)
        if namespace is not None:  # None: path-based tables, no namespace to create
            spark.sql(self._one(pm, "create_namespace", namespace=namespace))
        if self.options.full_refresh and pm.materialization.NAME != "view":
            self.plan.catalog.drop_table(spark, pm.relation)
        exists = self._exists(pm.relation)
        rendered = pm.rendered
        if pm.materialization.INCREMENTAL and exists:
            rendered = self.plan.renderer.render(rendered.model, incremental=True)
            rendered.relation = pm.relation
        if pm.materialization.STREAMING:
            from sqlingest.execute.streaming import StreamingModel

            StreamingModel(self, pm, result).run(exists)
            return
        if not pm.materialization.STAGED:
            for statement in pm.materialization.statements(WriteContext(pm.relation, "", rendered.sql, [])):
                spark.sql(statement)
            return
        staged = self._stage(pm, rendered.sql, exists)
        result.inputs = staged.inputs
        if staged.skip_write:
            result.rows_in = result.rows_written = 0
            bad_inputs.record(self, pm, result, [], staged.warnings)
            return
        self._ensure_table(pm, staged.frame, exists)
        if self.options.empty and exists and not pm.materialization.INCREMENTAL \
                or self.options.empty and exists and pm.materialization.NAME == "insert_overwrite":
            result.rows_in = result.rows_written = 0  # zero rows would replace the table's: analysed, not written
            return
        self._publish(pm, staged, rendered.sql, result)
        if staged.rejected or staged.warnings:
            bad_inputs.record(self, pm, result, staged.rejected, staged.warnings)

    def _publish(self, pm: PlannedModel, staged: _Staged, sql: str, result: ModelResult, *,
                 replay_from: str | None = None) -> None:
        """Write staged rows with the model's materialization, evaluating row checks in the same pass.

        With ``replay_from`` (a quarantine table) the staged rows come from it: rows that now pass are published
        and, after the write, removed from the quarantine; rows still failing stay there.
        """
        spark = self.spark
        contract = pm.contract
        row_checks = self.row_checks(pm, staged.checks)
        # Remember the version to restore only when a check could fail the model (a metadata query otherwise saved).
        can_fail = self.options.run_checks and contract is not None and any(
            c.effective_action == "fail" for c in [*contract.all_checks(), *staged.checks])
        self._before[pm.name] = pm.format.current_version(spark, pm.relation) if can_fail else None
        # Delta runs MERGE sources through its own query executions, which do not report the Observation:
        # cache the staged rows and count them first (the MERGE then reads the cache).
        delta_merge = not pm.format.capabilities.merge_reports_observations and \
            pm.materialization.NAME not in ("table", "append")
        spec = key_spec(pm)
        frame, observation, persisted = self._fuse_checks(
            staged, row_checks, persist=replay_from is not None or delta_merge, keys=spec)
        staged_rows = frame.count() if delta_merge else None
        quarantine = any(c.effective_action == "quarantine" for c in row_checks) and replay_from is None
        config = pm.rendered.config
        stage = "__sqlingest_stage__" + re.sub(r"\W", "_", pm.name)
        # a NULL business key no check sets aside fails the write before anything is committed (keys.guard)
        from pyspark.sql import functions as F

        selected = [(g.alias(c) if spec and (g := guard(spec, row_checks, pm.relation, c)) is not None
                     else F.col(quote(c))) for c in staged.columns]
        published = frame.where("NOT __q AND NOT __d").select(*selected) if row_checks else \
            frame.select(*selected) if spec else frame
        published.createOrReplaceTempView(stage)
        compare = [c for c in staged.columns if c not in pm.unique_key and c not in _VOLATILE]
        extra_cols = [n for n, _ in pm.materialization.EXTRA_COLUMNS]
        ctx = WriteContext(
            relation=pm.relation, stage=stage, sql=sql, columns=[quote(c) for c in staged.columns],
            unique_key=[quote(k) for k in pm.unique_key], ordering=quote(pm.ordering) if pm.ordering else None,
            compare_columns=[quote(c) for c in compare],
            update_columns=[quote(c) for c in staged.columns if c not in pm.unique_key],
            delete_flag=quote(config.delete_flag) if config.delete_flag else None,
            tracked_columns=[quote(c) for c in (config.tracked_columns or compare)],
            table_columns=[quote(c) for c in [*staged.columns, *extra_cols]],
            run_id=self.record.run_id,
            extra={"contract": contract, "partitioned_by": [
                quote(p) for p in (config.partitioned_by or (contract.partitioned_by if contract else []))]},
        )
        try:
            if quarantine:
                self._write_quarantine(pm, frame, staged.columns, row_checks)
            if isinstance(pm.materialization, Scd2):
                # A join with the staged keys broadcasts them when they are known to be few: the planner's own
                # estimate of a cached stage is its whole width, which would shuffle the table instead.
                ctx.extra["broadcast_keys"] = staged_rows is not None and staged_rows <= BROADCAST_KEYS_MAX
                chosen = choose_strategy(spark, pm.materialization, fmt=pm.format, relation=pm.relation,
                                         stage=stage, unique_key=ctx.unique_key, requested=config.scd2_strategy,
                                         fraction=config.rewrite_fraction, broadcast=ctx.extra["broadcast_keys"])
                ctx.extra["strategy"], result.write_strategy = chosen.name, str(chosen)
            rewrite = ctx.extra.get("strategy") == "rewrite"
            # the version the rewrite reads (known already when a failing check may restore it)
            base = (self._before[pm.name] if self._before[pm.name] is not None
                    else pm.format.current_version(spark, pm.relation)) if rewrite else None
            for statement in pm.materialization.statements(ctx):
                if rewrite:
                    pm.format.overwrite_from(spark, pm.relation, statement, base)
                else:
                    spark.sql(statement)
            if replay_from is not None:
                resolved = "__sqlingest_replayed__" + re.sub(r"\W", "_", pm.name)
                (frame.where("NOT __q") if row_checks else frame).select("_row").createOrReplaceTempView(resolved)
                spark.sql(f"DELETE FROM {replay_from} WHERE _row IN (SELECT _row FROM {resolved})")
                spark.catalog.dropTempView(resolved)
        except Exception as exc:
            if spec is None or not is_null_key_error(exc):
                raise
            if quarantine and self._exists(quarantine_relation(pm.relation)):
                spark.sql(f"DELETE FROM {quarantine_relation(pm.relation)} WHERE _run_id = '{self.record.run_id}'")
            message, hint = null_key_message(frame, spec, "NOT __q AND NOT __d" if row_checks else "TRUE")
            raise CheckFailed(f"{pm.relation}: {message}", hint=hint) from None
        finally:
            spark.catalog.dropTempView(stage)
            if persisted:
                frame.unpersist()
        self._counts(observation.get, row_checks, result)
        result.ties = tie_report(observation.get, spec) if spec else None
        if result.rows_quarantined:
            result.samples = [{"failed_checks": list(r[0]), "row": json.loads(r[1])} for r in spark.sql(
                f"SELECT _failed_checks, _row FROM {quarantine_relation(pm.relation)} "
                f"WHERE _run_id = '{self.record.run_id}' LIMIT 5").collect()]

    def _counts(self, values: dict[str, Any], row_checks: list[Check], result: Any) -> None:
        """Rows in/written/quarantined/dropped/rescued and the fused check results, from observed metrics."""
        rows = int(values.get("rows") or 0)
        result.rows_in = rows
        result.rows_quarantined = int(values.get("quarantined") or 0)
        result.rows_dropped = int(values.get("dropped") or 0)
        result.rows_deduplicated = int(values.get("deduplicated") or 0)
        result.rows_written = rows - result.rows_quarantined - result.rows_dropped - result.rows_deduplicated
        if "rescued" in values:
            result.rows_rescued = int(values.get("rescued") or 0)
        result.checks = [self._fused_result(check, int(values.get(f"f{i}") or 0), rows)
                         for i, check in enumerate(row_checks)]

    def row_checks(self, pm: PlannedModel, implicit: list[Check]) -> list[Check]:
        """The row checks fused into a write: the readers' implicit ones, then the contract's (when checks run)."""
        contract = pm.contract
        declared = [c for c in contract.all_checks() if is_row_check(c)] \
            if contract is not None and self.options.run_checks else []
        return [c for c in implicit if (c.type, c.column) not in {(d.type, d.column) for d in declared}] + declared

    def _fuse_checks(self, staged: _Staged, row_checks: list[Check], *, persist: bool | None = None,
                     keys: KeySpec | None = None) -> tuple[DataFrame, Any, bool]:
        """Add one failure flag per row check and the quarantine/drop decisions; observe every count in the
        same pass as the write. Returns (frame, observation, whether the frame was persisted).

        ``persist``: cache the frame (True), never (False), or when rows may go to quarantine too (None).
        ``keys``: the model's business key use; the rows it deduplicates and its ties are counted too."""
        from pyspark.sql import Observation
        from pyspark.sql import functions as F

        observation = Observation(f"sqlingest_{time.monotonic_ns()}")
        metrics = [F.count(F.lit(1)).alias("rows")]
        if RESCUE_COLUMN in staged.columns:
            metrics.append(F.sum(F.when(F.col(RESCUE_COLUMN).isNotNull(), 1).otherwise(0)).alias("rescued"))
        if not row_checks:
            frame = staged.frame
            if keys is not None:
                frame, extra = annotate(frame, keys, staged.columns, F.lit(True))
                metrics += extra
            frame = frame.observe(observation, *metrics)
            return (frame.persist(), observation, True) if persist else (frame, observation, False)
        flags = [F.expr(failure_predicate(c)).alias(f"__f{i}") for i, c in enumerate(row_checks)]

        def any_of(action: str) -> Any:
            cols = [F.col(f"__f{i}") for i, c in enumerate(row_checks) if c.effective_action == action]
            out = F.lit(False)
            for col in cols:
                out = out | col
            return out

        frame = staged.frame.select("*", *flags).select("*", any_of("quarantine").alias("__q"))
        frame = frame.select("*", (any_of("drop") & ~F.col("__q")).alias("__d"))
        metrics += [F.sum(F.col(f"__f{i}").cast("int")).alias(f"f{i}") for i in range(len(row_checks))]
        metrics += [F.sum(F.col("__q").cast("int")).alias("quarantined"),
                    F.sum(F.col("__d").cast("int")).alias("dropped")]
        if keys is not None:
            frame, extra = annotate(frame, keys, staged.columns, ~F.col("__q") & ~F.col("__d"))
            metrics += extra
        frame = frame.observe(observation, *metrics)
        if persist or (persist is None and any(c.effective_action == "quarantine" for c in row_checks)):
            # two writes (quarantine then table, or table then quarantine clean-up) from one computation
            return frame.persist(), observation, True
        return frame, observation, False

    def _write_quarantine(self, pm: PlannedModel, frame: DataFrame, columns: list[str],
                          row_checks: list[Check]) -> None:
        relation = self._quarantine_table(pm)
        spec = key_spec(pm)
        rows = self._quarantine_rows(frame, columns, row_checks, spec.keys if spec else ())
        # A row already waiting in quarantine is not added twice (reruns and retries stay idempotent).
        view = "__sqlingest_quarantine__" + re.sub(r"\W", "_", pm.name)
        rows.createOrReplaceTempView(view)
        try:
            self.spark.sql(f"INSERT INTO {relation} SELECT * FROM {view} AS n "
                           f"WHERE NOT EXISTS (SELECT 1 FROM {relation} AS q WHERE q._row = n._row)")
        finally:
            self.spark.catalog.dropTempView(view)

    def _quarantine_table(self, pm: PlannedModel) -> str:
        """Create ``<relation>__quarantine`` if needed; returns its name."""
        relation = quarantine_relation(pm.relation)
        self.spark.sql(self._one(
            pm, "create_table", replace=False, relation=relation, format=pm.format.using, partitioned_by=[],
            location=None, comment=f"Rows of {pm.relation} that failed quarantine checks", properties={},
            columns_ddl=",\n  ".join(f"{quote(n)} {t.upper()}" for n, t in QUARANTINE_COLUMNS)))
        return relation

    def _quarantine_rows(self, frame: DataFrame, columns: list[str], row_checks: list[Check],
                         keys: Sequence[str] = ()) -> DataFrame:
        """The rows of a fused ``frame`` flagged for quarantine, in the quarantine table's shape (a NULL in one of
        the business ``keys`` is recorded as ``business key <col> is NULL``)."""
        from pyspark.sql import functions as F

        names = [F.when(F.col(f"__f{i}"), F.lit(key_reason(c.column) if isinstance(c, NotNullCheck)
                                                and c.column in keys else c.label))
                 for i, c in enumerate(row_checks) if c.effective_action == "quarantine"]
        return frame.where("__q").select(
            F.filter(F.array(*names), lambda x: x.isNotNull()).alias("_failed_checks"),
            F.lit(self.record.run_id).alias("_run_id"),
            F.current_timestamp().alias("_quarantined_at"),
            F.to_json(F.struct(*[F.col(quote(c)) for c in columns])).alias("_row"),
        )

    def _fused_result(self, check: Check, failures: int, rows: int) -> CheckResult:
        broken = exceeds(check, failures, rows)
        action = check.effective_action
        outcome: Outcome
        if not failures:
            outcome = "pass"
        elif action in ("quarantine", "drop"):
            outcome = "warn"
        else:
            outcome = ("fail" if check.severity == "error" else "warn") if broken else "pass"
        message = describe(check, failures, action=action) if failures else ""
        return check.result(outcome, failures, message, fused=True)

    def _one(self, pm: PlannedModel, template: str, **context: object) -> str:
        return pm.materialization.render(template, **context)[0]

    def _stage(self, pm: PlannedModel, sql: str, exists: bool) -> _Staged:
        spark = self.spark
        inputs: list[str] = []
        implicit: list[Check] = []
        rejected: list[tuple[str, str]] = []
        warnings: list[str] = []
        any_input = False
        for contract in pm.rendered.sources:
            reader = load_source(contract, self.plan.project.root)
            implicit += reader.implicit_checks(streaming=False)
            incremental = pm.materialization.NAME == "append" and exists
            if isinstance(reader, StatefulSource) and reader.INCREMENTAL_BY_STATE:
                # the position (watermark / offsets) is derived from the target table itself: one aggregate query
                state = reader.state_from_table(spark, pm.relation) if incremental else None
                read = reader.read(spark, state=state)  # type: ignore[call-arg]
            else:
                exclude: set[str] | None = None
                if reader.INCREMENTAL_BY_FILE and incremental \
                        and SOURCE_FILE_COLUMN in spark.table(pm.relation).columns:
                    exclude = {r[0] for r in spark.sql(
                        f"SELECT DISTINCT {SOURCE_FILE_COLUMN} FROM {pm.relation}").collect() if r[0]}
                    exclude |= bad_inputs.quarantined(self, pm)
                read = reader.read(spark, exclude=exclude)
            any_input = any_input or bool(read.inputs) or bool(read.rejected)
            inputs.extend(read.inputs)
            rejected.extend(read.rejected)
            warnings.extend(read.warnings)
            (read.frame.limit(0) if self.options.empty else read.frame).createOrReplaceTempView(
                source_view(contract.domain, contract.dataset))
        # an append with nothing new is skipped, but a first run creates the (empty) table
        skip = bool(pm.rendered.sources) and not any_input and pm.materialization.NAME == "append" and exists
        query = spark.sql(sql)
        frame = self._conform(pm, query.limit(0) if self.options.empty else query)
        implicit += bad_inputs.length_checks(pm.contract)
        return _Staged(frame, list(frame.columns), inputs, skip, implicit, rejected, warnings)

    def _conform(self, pm: PlannedModel, frame: DataFrame) -> DataFrame:
        """The model query's rows in the contract's shape: bronze lenient (+ audit columns), others strict."""
        contract = pm.contract
        if contract is not None and contract.layer == "bronze":
            return self._with_audit(conform_typed(frame, contract), [c.name for c in contract.columns])
        if contract is not None:
            return conform_strict(frame, contract, model=pm.name)
        if pm.layer == "bronze":
            audit = {n for n, _ in audit_columns("bronze")}
            return self._with_audit(frame, [c for c in frame.columns if c not in audit])
        return frame

    def _with_audit(self, frame: DataFrame, declared: list[str]) -> DataFrame:
        """``declared`` columns, then the bronze audit columns (kept from the input where it has them)."""
        from pyspark.sql import functions as F

        present = set(frame.columns)
        hashed = F.md5(F.concat_ws("\u001f", *[F.coalesce(F.col(quote(c)).cast("string"), F.lit("\u0000"))
                                               for c in declared]))
        values = {
            RESCUE_COLUMN: F.col(RESCUE_COLUMN) if RESCUE_COLUMN in present else F.lit(None).cast("string"),
            SOURCE_FILE_COLUMN: F.col(SOURCE_FILE_COLUMN) if SOURCE_FILE_COLUMN in present
            else F.lit(None).cast("string"),
            "_ingested_at": F.current_timestamp(),
            "_run_id": F.lit(self.record.run_id),
            "_batch_id": F.lit(self.record.run_id),
            "_record_hash": hashed,
        }
        cols = [F.col(quote(c)) for c in declared]
        cols += [values[name].cast(dtype).alias(name) for name, dtype in audit_columns("bronze")]
        return frame.select(*cols)

    def _ensure_table(self, pm: PlannedModel, frame: DataFrame, exists: bool) -> None:
        contract = pm.contract
        desired = pm.table_schema()
        if contract is not None:
            nullable = {c.name: c.nullable or contract.layer == "bronze" for c in contract.columns}
        else:
            nullable = {}
        if desired is None:
            desired = [(f.name, normalize_type(f.dataType.simpleString())) for f in frame.schema.fields]
            known = {n for n, _ in desired}
            desired += [(n, t) for n, t in pm.materialization.EXTRA_COLUMNS if n not in known]
        replace = False
        if exists:
            live = [(f.name, normalize_type(f.dataType.simpleString())) for f in self.spark.table(pm.relation).schema]
            if live == desired:
                return
            if pm.materialization.NAME != "table":
                steps = additions(live, desired)
                if steps is not None and pm.format.capabilities.schema_evolution:
                    for statement in steps:  # compatible evolution: new nullable columns, in place
                        self.spark.sql(f"ALTER TABLE {pm.relation} {statement}")
                    return
                diff = schema_diff(live, desired)
                plan = "; ".join(evolution_plan(pm.relation, live, desired))
                raise ContractViolation(
                    f"table {pm.relation} does not have the contract's schema ({diff}); nothing was written",
                    hint=f"this change cannot be applied in place; it needs: {plan} — or rerun with "
                         "--full-refresh to rebuild the table from its inputs")
            replace = True
        comments = {c.name: c.description for c in contract.columns} if contract else {}
        ddl = []
        for name, dtype in desired:
            part = f"{quote(name)} {dtype.upper()}"
            if nullable.get(name, True) is False:
                part += " NOT NULL"
            if comments.get(name):
                part += " COMMENT '" + str(comments[name]).replace("'", "\\'") + "'"
            ddl.append(part)
        statement = self._one(
            pm, "create_table", replace=replace, relation=pm.relation, columns_ddl=",\n  ".join(ddl),
            format=pm.format.using,
            partitioned_by=[quote(p) for p in (pm.rendered.config.partitioned_by
                                                or (contract.partitioned_by if contract else []))],
            location=self.plan.catalog.table_location(pm.namespace, pm.table),
            comment=contract.description if contract else None,
            properties=contract.properties if contract else {},
        )
        self.spark.sql(statement)

    # -- checks ------------------------------------------------------------------------------------
    def _anomaly(self, pm: PlannedModel, result: ModelResult, check: AnomalyCheck) -> CheckResult:
        """Compare this run's metric with the model's earlier runs in the lakehouse run log."""
        from sqlingest.checks.anomaly import METRICS, evaluate
        from sqlingest.runs.tables import run_table

        current = getattr(result, check.metric, None) if check.metric in METRICS else None
        if current is None:
            return check.result("pass", None, f"no {check.metric} measured in this run", fused=True)
        table = run_table(self.plan.catalog, "model_runs")
        history: list[float] = []
        if self._exists(table):
            history = [float(r[0]) for r in self.spark.sql(
                f"SELECT {check.metric} FROM {table} WHERE relation = '{pm.relation}' AND status IN ('success', 'warn') "
                f"AND {check.metric} IS NOT NULL ORDER BY started_at DESC LIMIT {int(check.window)}").collect()]
        verdict = evaluate(float(current), history, sigma=check.sigma, min_history=check.min_history)
        outcome: Outcome = ("fail" if check.severity == "error" else "warn") if verdict.anomalous else "pass"
        return check.result(outcome, current, f"{check.metric} {verdict.message}", fused=True)

    def _check(self, pm: PlannedModel, result: ModelResult) -> None:
        contract = pm.contract
        fused = list(result.checks)
        built = self.options.run_models and pm.name in self._before
        streamed = self.options.run_models and pm.name in self._streamed
        if contract is not None and contract.all_checks():
            if not self._exists(pm.relation):
                raise ExecutionError(f"table {pm.relation} does not exist; build it before testing it",
                                     hint="sqlingest build --select " + pm.name)
            remaining = [c for c in contract.all_checks()
                         if not ((built or streamed) and is_row_check(c)) and not isinstance(c, AnomalyCheck)]
            fused += [self._anomaly(pm, result, c) for c in contract.all_checks() if isinstance(c, AnomalyCheck)]
            result.checks = fused + run_checks(self.spark, contract, pm.relation, relation_of=self.relation_of,
                                               checks=remaining)
        failures = [c for c in result.checks if c.failed]
        if not failures:
            return
        message = "; ".join(f"{c.name} ({c.message or c.value})" for c in failures)
        if streamed:
            raise CheckFailed(f"{len(failures)} check(s) failed on {pm.relation}: {message}; the micro-batches "
                              "committed before the failure stay published")
        if built:
            restored = pm.format.restore(self.spark, pm.relation, self._before[pm.name])
            quarantine = quarantine_relation(pm.relation)
            if self._exists(quarantine):
                self.spark.sql(f"DELETE FROM {quarantine} WHERE _run_id = '{self.record.run_id}'")
            result.rows_written = 0 if restored else result.rows_written
            tail = "nothing was published (table restored to its previous version)" if restored else \
                f"{pm.format.name} tables cannot be restored: the rows stay published"
            raise CheckFailed(f"{len(failures)} check(s) failed on {pm.relation}: {message}; {tail}")
        raise CheckFailed(f"{len(failures)} check(s) failed on {pm.relation}: {message}")


_VOLATILE = {"_ingested_at", "_run_id", "_batch_id"}
