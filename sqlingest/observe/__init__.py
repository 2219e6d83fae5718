"""Observability a platform plugs in: OpenLineage events (``openlineage.py``), metrics for Prometheus and
OpenTelemetry (``metrics.py``) — fed by the runner's reporter callback, without changing how models run.
See docs/observability.md."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlingest.errors import redact

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sqlingest.observe.openlineage import LineageEmitter
    from sqlingest.plan import Plan, PlannedModel
    from sqlingest.runs import ModelResult, RunRecord


class Observer:
    """A reporter (``report(event, model, result)``) that emits OpenLineage events as models run and the run's
    metrics when it ends. Never raises: problems are collected and returned by :meth:`finish`."""

    def __init__(self, plan: Plan, record: RunRecord, *, command: str, spark: SparkSession | None = None,
                 metrics_file: str | None = None) -> None:
        from sqlingest.observe import openlineage

        self.plan = plan
        self.record = record
        self.spark = spark
        project = plan.project
        self.metrics = project.target.metrics
        self.metrics_file = metrics_file or (self.metrics.file if self.metrics else None)
        self.problems: list[str] = []
        self.lineage: LineageEmitter | None = None
        self.bytes_written: dict[str, int] = {}
        self._started_ms: dict[str, int] = {}
        if openlineage.configured(project.root, project.target):
            try:
                client = openlineage.make_client(project.root, project.target)
                self.lineage = openlineage.LineageEmitter(plan, record, client, command=command)
            except ImportError:
                self.problems.append("OpenLineage is configured but its client is not installed: "
                                     "pip install 'sqlingest[observe]'")
            except Exception as exc:  # noqa: BLE001 — a bad lineage configuration never stops the build
                self.problems.append(f"OpenLineage is not configured correctly: {redact(str(exc))}")

    @property
    def wants_metrics(self) -> bool:
        m = self.metrics
        return bool(self.metrics_file or (m and (m.pushgateway or m.otlp)))

    def start(self) -> None:
        if self.lineage is not None:
            self.lineage.start_build()

    def __call__(self, event: str, pm: PlannedModel, result: ModelResult | None) -> None:
        if event == "start":
            self._started_ms[pm.name] = int(time.time() * 1000) - 1000
        if event == "end" and result is not None and result.status in ("success", "warn"):
            self._measure(pm)
        if self.lineage is not None:
            self.lineage(event, pm, result)

    def _measure(self, pm: PlannedModel) -> None:
        if not self.wants_metrics or self.spark is None or not pm.materialization.STAGED:
            return
        try:
            written = pm.format.bytes_added_since(self.spark, pm.relation, self._started_ms.get(pm.name, 0))
        except Exception:  # noqa: BLE001 — a table the format cannot describe has no byte count
            return
        if written is not None:
            self.bytes_written[pm.name] = written

    def finish(self, record: RunRecord) -> list[str]:
        """The run ended: close its lineage and export its metrics. Returns the problems met."""
        if self.lineage is not None:
            self.lineage.finish_build(record)
            self.problems.extend(self.lineage.problems)
        if self.wants_metrics:
            self.export(record)
        return self.problems

    def abort(self, reason: str) -> None:
        if self.lineage is not None:
            self.lineage.abort(reason)

    def export(self, record: RunRecord) -> None:
        from sqlingest.observe import metrics as m

        project = self.plan.project
        samples = m.samples(self.plan, record, bytes_written=self.bytes_written)
        if self.metrics_file:
            path = Path(self.metrics_file)
            path = path if path.is_absolute() else project.root / path
            try:
                m.write_textfile(path, samples)
            except OSError as exc:
                self.problems.append(f"metrics file {path}: {exc}")
        cfg = self.metrics
        if cfg is None:
            return
        grouping = {"project": project.name, "target": project.target_name}
        if cfg.pushgateway:
            try:
                m.push(cfg.pushgateway, cfg.job, grouping, samples, timeout=cfg.timeout, headers=cfg.headers)
            except Exception as exc:  # noqa: BLE001 — an unreachable gateway is reported, the run stands
                self.problems.append(f"Pushgateway {redact(cfg.pushgateway)}: {redact(str(exc))}")
        if cfg.otlp:
            try:
                m.export_otlp(cfg.otlp, samples, service=project.name, headers=cfg.headers, timeout=cfg.timeout)
            except Exception as exc:  # noqa: BLE001
                self.problems.append(f"OTLP {redact(cfg.otlp)}: {redact(str(exc))}")


