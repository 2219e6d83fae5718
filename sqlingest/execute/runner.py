"""Runs planned models in dependency order on one SparkSession: scheduling only — DAG order, the thread pool,
retries, job groups. Each model's work is done by its steps (``build``: ``ddl``, ``stage``, ``publish``,
``quarantine``; ``verify``; ``replay``), functions of a shared :class:`~sqlingest.execute.context.RunContext`."""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from sqlingest.errors import SqlingestError, TransientError
from sqlingest.execute import hooks
from sqlingest.execute.build import build
from sqlingest.execute.context import Reporter, RunContext, RunOptions, _noop
from sqlingest.execute.errors import is_transient, spark_message
from sqlingest.execute.replay import replay
from sqlingest.execute.verify import verify
from sqlingest.plan import Plan, PlannedModel
from sqlingest.runs import ModelResult, RunRecord

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["Reporter", "RunOptions", "Runner"]


class Runner:
    """Executes a :class:`Plan`; one :class:`RunRecord` per call to :meth:`run`."""

    def __init__(self, plan: Plan, spark: SparkSession, record: RunRecord, *, options: RunOptions | None = None,
                 reporter: Reporter = _noop) -> None:
        self.ctx = RunContext(plan, spark, record, options or RunOptions(), reporter)
        self.plan = plan
        self.spark = spark
        self.record = record
        self.options = self.ctx.options
        self.hooks = hooks.active()

    def run(self) -> RunRecord:
        """Run the selected models: each after its parents, up to ``threads`` at once; a failure skips only its
        descendants (or everything after it with ``fail_fast``)."""
        with hooks.around_run(self.hooks, self.ctx):
            return self._schedule()

    def _schedule(self) -> RunRecord:
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
                        self.ctx.report("skip", pm, result)
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
        return self.ctx.job_group(name)

    def _run_one(self, pm: PlannedModel, result: ModelResult) -> None:
        ctx = self.ctx
        self.spark.sparkContext.setJobGroup(ctx.job_group(pm.name), f"sqlingest {pm.name}", True)
        ctx.report("start", pm, None)
        started = time.perf_counter()
        attempt = 0
        checks_only = pm.name in self.plan.checks_only
        if checks_only and not ctx.exists(pm.relation):
            result.status, result.error = "skipped", "not built yet (selected for its checks on a selected model)"
            ctx.report("skip", pm, result)
            return
        while True:
            attempt += 1
            try:
                if self.options.run_models and not checks_only:
                    with hooks.around_step(self.hooks, ctx, "build", pm):
                        build(ctx, pm, result)
                if self.options.run_checks:
                    with hooks.around_step(self.hooks, ctx, "check", pm):
                        verify(ctx, pm, result)
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
        result.spark_jobs = len(self.spark.sparkContext.statusTracker().getJobIdsForGroup(ctx.job_group(pm.name)))
        result.seconds = round(time.perf_counter() - started, 3)
        ctx.report("end", pm, result)

    def replay(self, name: str) -> ModelResult:
        """Re-run the quarantined rows of model ``name`` through its (fixed) contract and materialization."""
        with hooks.around_run(self.hooks, self.ctx):
            return replay(self.ctx, name)
