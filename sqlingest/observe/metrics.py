"""Run metrics for monitoring systems: Prometheus exposition format (a textfile for node-exporter's textfile
collector, a push to a Pushgateway-compatible endpoint) and OpenTelemetry metrics over OTLP/HTTP.

The metrics are computed once from the run record (:func:`samples`); each exporter writes the same samples. Every
series carries ``project`` and ``target``; model series ``model`` and ``layer``; check series ``check``. The metric
reference is in docs/observability.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import redact

if TYPE_CHECKING:
    from sqlingest.plan import Plan
    from sqlingest.runs import RunRecord


@dataclass(frozen=True)
class Metric:
    """One gauge: name, help text, and (labels, value) samples."""

    name: str
    help: str
    unit: str = ""
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)


#: name → (help, unit)
METRICS: dict[str, tuple[str, str]] = {
    "sqlingest_run_success": ("1 when the run succeeded (no model failed), else 0", ""),
    "sqlingest_run_duration_seconds": ("wall time of the run", "s"),
    "sqlingest_run_timestamp_seconds": ("when the run finished (Unix time)", "s"),
    "sqlingest_model_success": ("1 when the model's run succeeded or warned, 0 when it failed or was skipped", ""),
    "sqlingest_model_status": ("1 for the model's last status (label status: success, warn, error, skipped)", ""),
    "sqlingest_model_rows": ("rows of the model's run by kind: in, published, quarantined, dropped, deduplicated, "
                             + "rescued", ""),
    "sqlingest_model_duration_seconds": ("wall time of the model's run", "s"),
    "sqlingest_model_bytes_written": ("bytes of data files the model's run added to its table", "By"),
    "sqlingest_model_attempts": ("attempts the model's run took (retries of transient failures + 1)", ""),
    "sqlingest_check_value": ("the value a check measured (failing rows, a metric's value)", ""),
    "sqlingest_check_passed": ("1 when the check passed, else 0", ""),
    "sqlingest_check_status": ("1 for the check's outcome (label outcome: pass, warn, fail, error)", ""),
    "sqlingest_freshness_lag_seconds": ("age of the newest row by a freshness check's column", "s"),
    "sqlingest_stream_batches": ("micro-batches a streaming model ran in this run", ""),
    "sqlingest_stream_batch_rows": ("rows read by the streaming model's last micro-batch", ""),
    "sqlingest_stream_batch_duration_seconds": ("wall time of the streaming model's last micro-batch", "s"),
    "sqlingest_stream_throughput_rows_per_second": ("rows per second over the run's micro-batches", ""),
    "sqlingest_slo_met": ("1 when the dataset's SLO (label slo: freshness, completeness, availability, "
                          + "dq_pass_rate) was met at the run's end, 0 when breached", ""),
    "sqlingest_stream_batch_lag_seconds": ("seconds from the end of the last successful micro-batch to the end of "
                                           + "the run", "s"),
}

_ROWS = (("in", "rows_in"), ("published", "rows_written"), ("quarantined", "rows_quarantined"),
         ("dropped", "rows_dropped"), ("deduplicated", "rows_deduplicated"), ("rescued", "rows_rescued"))


def _ts(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def samples(plan: Plan, record: RunRecord, *, bytes_written: dict[str, int] | None = None) -> list[Metric]:
    """Every metric of one run."""
    project = plan.project
    base = {"project": project.name, "target": project.target_name}
    values: dict[str, list[tuple[dict[str, str], float]]] = {name: [] for name in METRICS}
    run = {**base, "command": record.command}
    finished = _ts(record.finished_at) or time.time()
    values["sqlingest_run_success"].append((run, 0.0 if record.status == "error" else 1.0))
    started = _ts(record.started_at)
    if started is not None:
        values["sqlingest_run_duration_seconds"].append((run, round(finished - started, 3)))
    values["sqlingest_run_timestamp_seconds"].append((run, finished))
    for m in record.models:
        pm = plan.models.get(m.name)
        labels = {**base, "model": m.name, "layer": pm.layer if pm else m.name.split(".")[0]}
        values["sqlingest_model_success"].append((labels, 1.0 if m.status in ("success", "warn") else 0.0))
        values["sqlingest_model_status"].append(({**labels, "status": m.status}, 1.0))
        for kind, attr in _ROWS:
            value = getattr(m, attr)
            if value is not None:
                values["sqlingest_model_rows"].append(({**labels, "kind": kind}, float(value)))
        values["sqlingest_model_duration_seconds"].append((labels, float(m.seconds)))
        values["sqlingest_model_attempts"].append((labels, float(m.attempts)))
        if bytes_written and m.name in bytes_written:
            values["sqlingest_model_bytes_written"].append((labels, float(bytes_written[m.name])))
        for check in m.checks:
            name = redact(check.name)
            c = {**labels, "check": name, "severity": check.severity}
            value = check.value
            if isinstance(value, int | float) and not isinstance(value, bool):
                values["sqlingest_check_value"].append((c, float(value)))
                if check.type == "freshness":  # Soda measures freshness in milliseconds
                    column = check.column or name[len("freshness("):].rstrip(")")
                    values["sqlingest_freshness_lag_seconds"].append(({**labels, "column": column},
                                                                      float(value) / 1000.0))
            values["sqlingest_check_passed"].append((c, 1.0 if check.outcome == "pass" else 0.0))
            values["sqlingest_check_status"].append(({**c, "outcome": check.outcome}, 1.0))
        if m.batches:
            values["sqlingest_stream_batches"].append((labels, float(len(m.batches))))
            last = m.batches[-1]
            values["sqlingest_stream_batch_rows"].append((labels, float(last.get("rows_in") or 0)))
            values["sqlingest_stream_batch_duration_seconds"].append((labels, float(last.get("seconds") or 0.0)))
            rows = sum(int(b.get("rows_in") or 0) for b in m.batches)
            seconds = sum(float(b.get("seconds") or 0.0) for b in m.batches)
            if seconds > 0:
                values["sqlingest_stream_throughput_rows_per_second"].append((labels, round(rows / seconds, 3)))
            done = [b for b in m.batches if b.get("status") == "success"]
            if done:
                end = (_ts(done[-1].get("started_at")) or finished) + float(done[-1].get("seconds") or 0.0)
                values["sqlingest_stream_batch_lag_seconds"].append((labels, max(0.0, round(finished - end, 3))))
    for slo in getattr(record, "slos", None) or []:
        pm = plan.models.get(slo["dataset"])
        labels = {**base, "model": slo["dataset"], "layer": pm.layer if pm else slo["dataset"].split(".")[0],
                  "domain": slo.get("domain") or "", "slo": slo["name"]}
        values["sqlingest_slo_met"].append((labels, 1.0 if slo["status"] == "met" else 0.0))
    return [Metric(name, METRICS[name][0], METRICS[name][1], vals) for name, vals in values.items() if vals]


class _Collector:
    """The samples as Prometheus gauge families."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        for metric in self.metrics:
            keys = sorted({k for labels, _ in metric.samples for k in labels})
            family = GaugeMetricFamily(metric.name, metric.help, labels=keys)
            for labels, value in metric.samples:
                family.add_metric([labels.get(k, "") for k in keys], value)
            yield family


def registry(metrics: list[Metric]) -> Any:
    from prometheus_client import CollectorRegistry

    reg = CollectorRegistry(auto_describe=False)
    reg.register(_Collector(metrics))  # type: ignore[arg-type]
    return reg


def exposition(metrics: list[Metric]) -> str:
    """The Prometheus text format of the samples."""
    from prometheus_client import generate_latest

    return generate_latest(registry(metrics)).decode()


def write_textfile(path: Path, metrics: list[Metric]) -> None:
    """Write the samples atomically (node-exporter's textfile collector reads ``*.prom`` files)."""
    from prometheus_client import write_to_textfile

    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry(metrics))


def push(gateway: str, job: str, grouping: dict[str, str], metrics: list[Metric], *, timeout: float = 10.0,
         headers: dict[str, str] | None = None) -> None:
    """PUT the samples to a Pushgateway-compatible endpoint (replacing the group's earlier push)."""
    from prometheus_client import push_to_gateway
    from prometheus_client.exposition import default_handler

    def handler(url: str, method: str, timeout: float | None, headers_: list[tuple[str, str]], data: bytes) -> Any:
        return default_handler(url, method, timeout, [*headers_, *(headers or {}).items()], data)

    push_to_gateway(gateway, job=job, registry=registry(metrics), grouping_key=grouping, timeout=timeout,
                    handler=lambda url, method, timeout, headers, data: handler(url, method, timeout, headers, data))


def export_otlp(endpoint: str, metrics: list[Metric], *, service: str, headers: dict[str, str] | None = None,
                timeout: float = 10.0) -> None:
    """Send the samples as OpenTelemetry gauges over OTLP/HTTP (protobuf) to ``endpoint`` (``…/v1/metrics``), in one
    export request.

    Raises:
        OSError: the endpoint did not accept them.
    """
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
    from opentelemetry.sdk.resources import Resource

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], resource=Resource.create({"service.name": service}))
    meter = provider.get_meter("sqlingest")
    for metric in metrics:
        gauge = meter.create_gauge(metric.name, unit=metric.unit, description=metric.help)
        for labels, value in metric.samples:
            gauge.set(value, attributes=labels)
    data = reader.get_metrics_data()
    provider.shutdown()
    exporter = OTLPMetricExporter(endpoint=endpoint, headers=headers or {}, timeout=timeout)
    try:
        if data is None:
            return
        if exporter.export(data, timeout_millis=timeout * 1000) != MetricExportResult.SUCCESS:
            raise OSError("the endpoint did not accept the metrics (see the log)")
    finally:
        exporter.shutdown()
