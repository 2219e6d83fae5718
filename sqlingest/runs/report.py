"""``sqlingest report``: a self-contained HTML data-health report from the run records — per layer and dataset:
latest status, failing checks (with sample rows where quarantined), and trend charts of metrics over runs.
Charts are inline SVG drawn here: the file has no external resources and opens anywhere."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlingest.checks.results import CheckResult
from sqlingest.errors import redact

COLORS = {"rows_in": "#2563eb", "rows_written": "#16a34a", "rows_quarantined": "#d97706",
          "rows_dropped": "#dc2626", "rows_rescued": "#7c3aed", "checks_passed_pct": "#0891b2"}


@dataclass
class Dataset:
    name: str
    layer: str
    relation: str
    runs: list[dict[str, Any]] = field(default_factory=list)  # oldest first

    @property
    def latest(self) -> dict[str, Any]:
        return self.runs[-1]


def collect(records: list[dict[str, Any]]) -> dict[str, Dataset]:
    """Group model results by dataset, oldest run first."""
    out: dict[str, Dataset] = {}
    for record in sorted(records, key=lambda r: r["run_id"]):
        for model in record.get("models", []):
            ds = out.setdefault(model["name"], Dataset(model["name"], model["name"].split(".")[0], model["relation"]))
            checks = [CheckResult.from_record(c) for c in model.get("checks") or []]
            passed = sum(1 for c in checks if c.outcome == "pass")
            ds.runs.append({**model, "checks": checks, "run_id": record["run_id"], "command": record.get("command"),
                            "checks_passed_pct": round(100.0 * passed / len(checks), 1) if checks else None})
    return out


def _chart(title: str, runs: list[dict[str, Any]], metrics: list[str], *, width: int = 460, height: int = 160) -> str:
    pad_l, pad_r, pad_t, pad_b = 44, 10, 22, 22
    series: dict[str, list[tuple[int, float]]] = {
        m: [(i, float(r[m])) for i, r in enumerate(runs) if isinstance(r.get(m), (int, float))] for m in metrics}
    series = {m: pts for m, pts in series.items() if pts}
    values = [v for pts in series.values() for _, v in pts]
    if not values:
        return f'<div class="nochart">{html.escape(title)}: no data yet</div>'
    top = max(values) or 1.0
    n = max(len(runs) - 1, 1)

    def x(i: int) -> float:
        return pad_l + (width - pad_l - pad_r) * i / n

    def y(v: float) -> float:
        return pad_t + (height - pad_t - pad_b) * (1 - v / top)

    parts = [(f'<svg class="chart" role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'),
             f'<text x="{pad_l}" y="14" class="t">{html.escape(title)}</text>',
             f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - pad_r}" y2="{height - pad_b}" class="axis"/>',
             f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{height - pad_b}" class="axis"/>',
             f'<text x="{pad_l - 4}" y="{pad_t + 4}" class="lbl" text-anchor="end">{top:g}</text>',
             f'<text x="{pad_l - 4}" y="{height - pad_b}" class="lbl" text-anchor="end">0</text>']
    for k, (metric, pts) in enumerate(series.items()):
        color = COLORS.get(metric, "#334155")
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in pts)
        parts.append(f'<polyline class="series" data-metric="{metric}" fill="none" stroke="{color}" '
                     f'stroke-width="2" points="{points}"/>')
        parts += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{color}"><title>{metric}: {v:g} '
                  f'({html.escape(runs[i]["run_id"])})</title></circle>' for i, v in pts]
        parts.append(f'<text x="{pad_l + 6 + 110 * k}" y="{height - 6}" class="lbl" fill="{color}">'
                     f'{metric}</text>')
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#0f172a;background:#f8fafc}
h1{margin:0 0 4px}h2{margin:28px 0 8px;text-transform:capitalize}
.ds{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 16px;margin:10px 0}
.ds h3{margin:0 0 6px;font-size:15px}.badge{padding:1px 8px;border-radius:10px;font-size:12px;color:#fff}
.success{background:#16a34a}.warn{background:#d97706}.error{background:#dc2626}.skipped{background:#64748b}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart .t{font-size:12px;font-weight:600}
.chart .lbl{font-size:10px;fill:#475569}.chart .axis{stroke:#94a3b8}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #e2e8f0;padding:3px 8px;font-size:12px}
pre{background:#f1f5f9;padding:6px;white-space:pre-wrap;font-size:12px}.nochart{color:#64748b;font-size:12px}
"""

# Marks each chart with its laid-out size, so a headless browser (and a test) can tell the charts rendered.
SCRIPT = """
window.addEventListener('load', function () {
  var charts = document.querySelectorAll('svg.chart');
  charts.forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    var pts = svg.querySelectorAll('polyline.series').length;
    svg.setAttribute('data-rendered', Math.round(box.width) + 'x' + Math.round(box.height) + ':' + pts);
  });
  document.body.setAttribute('data-charts', String(charts.length));
});
"""


def _batches(ds: Dataset) -> list[str]:
    """Streaming models: quality per micro-batch over time, and the micro-batches that failed (with offsets)."""
    batches = [{**b, "run_id": f"{run['run_id']} batch {b['batch_id']}"}
               for run in ds.runs for b in run.get("batches") or []]
    if not batches:
        return []
    out = ['<div class="charts">' + _chart("rows per micro-batch", [b for b in batches if b["status"] == "success"],
                                          ["rows_in", "rows_quarantined", "rows_dropped", "rows_rescued"])
           + "</div>"]
    failed = [b for b in batches if b["status"] == "error"][-10:]
    if failed:
        out.append("<table><tr><th>failed micro-batch</th><th>start offsets</th><th>end offsets</th>"
                   "<th>error</th></tr>")
        out += [f"<tr><td>{html.escape(b['run_id'])}</td>"
                f"<td>{html.escape(json.dumps(b['offsets']['start']))}</td>"
                f"<td>{html.escape(json.dumps(b['offsets']['end']))}</td>"
                f"<td>{html.escape(redact(str(b.get('error') or '')))}</td></tr>" for b in failed]
        out.append("</table>")
    return out


def render(records: list[dict[str, Any]], *, project: str) -> str:
    """The report's HTML."""
    datasets = collect(records)
    body = [f"<h1>Data health — {html.escape(project)}</h1>",
            f"<p>{len(records)} run(s), {len(datasets)} dataset(s).</p>"]
    for layer in ("bronze", "silver", "gold"):
        members = [d for d in datasets.values() if d.layer == layer]
        if not members:
            continue
        body.append(f"<h2>{layer}</h2>")
        for ds in sorted(members, key=lambda d: d.name):
            latest = ds.latest
            status = latest["status"]
            body.append(f'<div class="ds" id="{html.escape(ds.name)}"><h3>{html.escape(ds.name)} '
                        f'<span class="badge {status}">{status}</span> '
                        f'<small>{html.escape(ds.relation)} · last run {html.escape(latest["run_id"])}</small></h3>')
            bad = [c for c in latest["checks"] if c.outcome != "pass"]
            if bad:
                body.append("<table><tr><th>check</th><th>outcome</th><th>action</th><th>value</th>"
                            "<th>message</th></tr>")
                body += [f"<tr><td>{html.escape(c.name)}</td><td>{c.outcome}</td><td>{c.action}</td>"
                         f"<td>{html.escape(str(c.value))}</td>"
                         f"<td>{html.escape(redact(c.message))}</td></tr>" for c in bad]
                body.append("</table>")
            if latest.get("error"):
                body.append(f"<pre>{html.escape(redact(latest['error']))}</pre>")
            samples = latest.get("samples") or []
            if samples:
                body.append("<p>Sample failing rows:</p><pre>"
                            + html.escape("\n".join(redact(json.dumps(s, default=str)) for s in samples)) + "</pre>")
            body.append('<div class="charts">'
                        + _chart("rows per run", ds.runs, ["rows_in", "rows_written", "rows_quarantined",
                                                           "rows_dropped", "rows_rescued"])
                        + _chart("checks passed (%)", ds.runs, ["checks_passed_pct"]) + "</div>")
            body += _batches(ds)
            body.append("</div>")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>sqlingest data health</title>"
            f"<style>{STYLE}</style><script>{SCRIPT}</script></head><body>" + "".join(body) + "</body></html>")


def write_report(state_dir: Path, output: Path, *, project: str, limit: int = 200) -> Path:
    """Render the report for the last ``limit`` runs into ``output``."""
    from sqlingest.errors import Location, UserError
    from sqlingest.runs import list_runs

    records = list_runs(state_dir, limit)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render(records, project=project), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write the report: {exc.strerror or exc}", location=Location(str(output)),
                        hint="pass --output with a file path you can write") from None
    return output
