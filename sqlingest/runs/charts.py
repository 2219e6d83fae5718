"""The report's figures, built with Plotly (validated by ``plotly.graph_objects``) and drawn by plotly.js.

Each function returns a figure as plain JSON (``{"data": [...], "layout": {...}}``) that the page embeds and the
tests read. Time axes are real date axes: one point per run at the run's start, every point naming its run in its
hover text (``customdata``: run id, command, what the run did)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlingest.runs.report import Dataset

COLORS = {"rows_in": "#2563eb", "rows_written": "#16a34a", "rows_quarantined": "#d97706",
          "rows_dropped": "#dc2626", "rows_rescued": "#7c3aed", "rows_deduplicated": "#0d9488",
          "success": "#16a34a", "warn": "#d97706", "error": "#dc2626", "skipped": "#64748b", "pass": "#16a34a",
          "fail": "#dc2626"}
PALETTE = ["#2563eb", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569", "#ea580c"]
HOVER = "<b>%{fullData.name}</b>: %{y:,}<br>run %{customdata[0]} (%{customdata[1]})<br>%{customdata[2]}<extra></extra>"


@functools.cache
def plotly_js() -> str:
    """plotly.js, inlined into the page (no network at view time)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _figure(traces: list[Any], *, title: str, yaxis: dict[str, Any], xaxis: dict[str, Any] | None = None,
            shapes: list[dict[str, Any]] | None = None, height: int = 320) -> dict[str, Any]:
    import plotly.graph_objects as go

    fig = go.Figure(data=traces)
    fig.update_layout(
        template="none", title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}}, height=height,
        margin={"l": 64, "r": 24, "t": 44, "b": 20},
        font={"family": "system-ui, sans-serif", "size": 12},
        # below the plot, left-aligned, wrapping: Plotly grows the bottom margin to fit it (never clipped)
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"},
        xaxis=xaxis or {"type": "date", "title": {"text": "run started (UTC)"}, "automargin": True},
        yaxis={"automargin": True, "rangemode": "tozero", "gridcolor": "#e2e8f0", **yaxis},
        hovermode="closest", shapes=shapes or [], paper_bgcolor="#ffffff", plot_bgcolor="#ffffff")
    out: dict[str, Any] = fig.to_plotly_json()
    return out


def _custom(run: dict[str, Any], what: str) -> list[str]:
    return [run["run_id"], run["command"], what]


def status_timeline(datasets: list[Dataset]) -> dict[str, Any]:
    """Every dataset's status in every run: one row per dataset, one point per run."""
    import plotly.graph_objects as go

    from sqlingest.runs.report import describe_rows

    traces = []
    for status in ("success", "warn", "error", "skipped"):
        points = [(r, ds) for ds in datasets for r in ds.runs if r["status"] == status]
        if not points:
            continue
        traces.append(go.Scatter(
            name=status, x=[r["x"] for r, _ in points], y=[ds.name for _, ds in points], mode="markers",
            marker={"color": COLORS[status], "size": 12, "symbol": "square"},
            customdata=[_custom(r, describe_rows(r) if r["command"] != "test" else
                                f"checks {r['checks_passed']}/{r['checks_total']}") for r, _ in points],
            hovertemplate="<b>%{y}</b>: " + status + "<br>run %{customdata[0]} (%{customdata[1]})<br>"
                          "%{customdata[2]}<extra></extra>"))
    height = 120 + 28 * len(datasets)
    return _figure(traces, title="status per run", height=height,
                   yaxis={"type": "category", "rangemode": "normal", "autorange": "reversed", "title": ""})


def rows_figure(ds: Dataset) -> dict[str, Any] | None:
    """Rows per write: read, published, quarantined, dropped, rescued, deduplicated; runs with nothing new to read
    are marked "no new input"."""
    import plotly.graph_objects as go

    from sqlingest.runs.report import ROW_METRICS, describe_rows

    writes = ds.writes
    if not writes:
        return None
    traces = []
    for metric, word in ROW_METRICS.items():
        points = [r for r in writes if not r["no_new_input"] and isinstance(r.get(metric), (int, float))]
        if not points or (metric not in ("rows_in", "rows_written") and not any(r[metric] for r in points)):
            continue
        labelled = metric == "rows_written"
        traces.append(go.Scatter(
            name=word, x=[r["x"] for r in points], y=[r[metric] for r in points],
            mode="lines+markers+text" if labelled else "lines+markers",
            text=[f"{r[metric]:,}" for r in points] if labelled else None, textposition="top center",
            line={"color": COLORS[metric], "width": 2}, marker={"size": 7},
            customdata=[_custom(r, describe_rows(r)) for r in points], hovertemplate=HOVER))
    idle = [r for r in writes if r["no_new_input"]]
    if idle:
        traces.append(go.Scatter(
            name="no new input", x=[r["x"] for r in idle], y=[0] * len(idle), mode="markers+text",
            text=["no new input"] * len(idle), textposition="top center",
            marker={"color": "#64748b", "size": 10, "symbol": "circle-open", "line": {"width": 2}},
            customdata=[_custom(r, "no new input: nothing new to read") for r in idle],
            hovertemplate="<b>no new input</b><br>run %{customdata[0]} (%{customdata[1]})<extra></extra>"))
    return _figure(traces, title="rows per run", yaxis={"title": {"text": "rows"}})


def checks_figure(ds: Dataset) -> dict[str, Any] | None:
    """Share of the checks that passed, per run (builds and tests)."""
    import plotly.graph_objects as go

    runs = [r for r in ds.runs if r["checks_total"]]
    if not runs:
        return None

    def outcome(run: dict[str, Any]) -> str:
        outcomes = {c.get("outcome") for c in run.get("checks") or []}
        return "fail" if outcomes & {"fail", "error"} else "warn" if "warn" in outcomes else "pass"

    def what(run: dict[str, Any]) -> str:
        bad = [f"{c['name']} {c.get('outcome')}" for c in run.get("checks") or [] if c.get("outcome") != "pass"]
        return f"{run['checks_passed']}/{run['checks_total']} passed" + (": " + ", ".join(bad) if bad else "")

    trace = go.Scatter(
        name="checks passed (%)", x=[r["x"] for r in runs], y=[r["checks_passed_pct"] for r in runs],
        mode="lines+markers+text", text=[f"{r['checks_passed']}/{r['checks_total']}" for r in runs],
        textposition="top center", line={"color": "#0891b2", "width": 2},
        marker={"size": 9, "color": [COLORS[outcome(r)] for r in runs]},
        customdata=[_custom(r, what(r)) for r in runs], hovertemplate=HOVER)
    return _figure([trace], title="checks passed per run (%)",
                   yaxis={"title": {"text": "% passed"}, "range": [0, 112], "rangemode": "normal"})


def _contract_checks(contract: Any) -> dict[str, Any]:
    return {c.label: c for c in contract.all_checks()} if contract is not None else {}


def _kind(name: str, check: Any, record: dict[str, Any]) -> str:
    if check is not None:
        from sqlingest.checks.rows import is_row_check

        return "anomaly" if check.type == "anomaly" else "row" if is_row_check(check) else "metric"
    if name.startswith("anomaly("):
        return "anomaly"
    return "row" if record.get("fused") else "metric"


def check_value_figures(ds: Dataset, contract: Any) -> dict[str, dict[str, Any]]:
    """Failing rows per row check (with the tolerated count drawn), each metric check's value against its bounds,
    and each anomaly check's metric inside its expected band (anomalies marked)."""
    import plotly.graph_objects as go

    declared = _contract_checks(contract)
    series: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for run in ds.runs:
        for c in run.get("checks") or []:
            series.setdefault(c["name"], []).append((run, c))
    out: dict[str, dict[str, Any]] = {}
    row_traces: list[Any] = []
    for i, (name, points) in enumerate(sorted(series.items())):
        check = declared.get(name)
        kind = _kind(name, check, points[-1][1])
        color = PALETTE[i % len(PALETTE)]
        if kind == "anomaly":
            fig = _anomaly_figure(ds, name, check, points)
            if fig is not None:
                out[f"anomaly-{len(out)}"] = fig
            continue
        numeric = [(r, c) for r, c in points if isinstance(c.get("value"), (int, float))]
        if not numeric:
            continue
        custom = [_custom(r, f"{c.get('outcome')}: {c.get('message') or 'ok'}") for r, c in numeric]
        trace = go.Scatter(name=name, x=[r["x"] for r, _ in numeric], y=[c["value"] for _, c in numeric],
                           mode="lines+markers", line={"color": color, "width": 2},
                           marker={"size": 8, "color": [COLORS.get(str(c.get("outcome")), color)
                                                        for _, c in numeric]},
                           customdata=custom, hovertemplate=HOVER)
        if kind == "row":
            row_traces.append(trace)
            limit = _tolerated(check, numeric)
            if limit is not None:
                row_traces.append(go.Scatter(
                    name=f"{name} tolerated", x=[r["x"] for r, _ in numeric], y=limit, mode="lines",
                    line={"color": color, "width": 1, "dash": "dash", "shape": "hv"},
                    hovertemplate="tolerated: %{y:,}<extra></extra>"))
            continue
        traces = [trace]
        for bound in ("min", "max"):
            value = getattr(check, bound, None) if check is not None else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                traces.append(go.Scatter(name=f"{bound} {value:g}", x=[numeric[0][0]["x"], numeric[-1][0]["x"]],
                                         y=[value, value], mode="lines",
                                         line={"color": "#dc2626", "width": 1, "dash": "dash"},
                                         hovertemplate=f"{bound}: {value:g}<extra></extra>"))
        out[f"metric-{len(out)}"] = _figure(traces, title=f"{name}: value per run", yaxis={"title": {"text": "value"}})
    if row_traces:
        out = {"failing-rows": _figure(row_traces, title="failing rows per check (dashed: tolerated)",
                                       yaxis={"title": {"text": "failing rows"}}), **out}
    return out


def _tolerated(check: Any, numeric: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[float] | None:
    """The failing rows a row check tolerates in each run (its threshold: a count, or a share of the rows read)."""
    tolerance = getattr(check, "tolerance", None) if check is not None else None
    if not tolerance:
        return None
    text = str(tolerance).strip()
    if text.endswith("%"):
        share = float(text[:-1]) / 100.0
        return [round(share * (r.get("rows_in") or 0), 2) for r, _ in numeric]
    return [float(text)] * len(numeric)


def _anomaly_figure(ds: Dataset, name: str, check: Any, points: list[tuple[dict[str, Any], dict[str, Any]]]
                    ) -> dict[str, Any] | None:
    """The anomaly check's metric per run, the band it was expected in (mean ± sigma · stddev of the earlier runs,
    as the check computes it), and the runs it flagged."""
    import plotly.graph_objects as go

    from sqlingest.checks.anomaly import evaluate

    metric = str(getattr(check, "metric", "rows_in"))
    window = int(getattr(check, "window", 10))
    sigma = float(getattr(check, "sigma", 3.0))
    min_history = int(getattr(check, "min_history", 3))
    outcomes = {r["run_id"]: c for r, c in points}
    runs = [r for r in ds.writes if isinstance(r.get(metric), (int, float))]
    if not runs:
        return None
    band_x, low, high = [], [], []
    history: list[float] = []
    for run in runs:
        verdict = evaluate(float(run[metric]), history[-window:], sigma=sigma, min_history=min_history)
        if verdict.low is not None and verdict.high is not None:
            band_x.append(run["x"])
            low.append(verdict.low)
            high.append(verdict.high)
        if run["status"] in ("success", "warn"):
            history.append(float(run[metric]))
    traces = []
    if band_x:
        traces.append(go.Scatter(name="expected high", x=band_x, y=high, mode="lines", showlegend=False,
                                 line={"color": "rgba(37,99,235,0.25)", "width": 0},
                                 hovertemplate="expected ≤ %{y:,.1f}<extra></extra>"))
        traces.append(go.Scatter(name="expected band", x=band_x, y=low, mode="lines", fill="tonexty",
                                 fillcolor="rgba(37,99,235,0.15)", line={"color": "rgba(37,99,235,0.25)", "width": 0},
                                 hovertemplate="expected ≥ %{y:,.1f}<extra></extra>"))
    traces.append(go.Scatter(name=metric, x=[r["x"] for r in runs], y=[r[metric] for r in runs],
                             mode="lines+markers", line={"color": "#2563eb", "width": 2},
                             customdata=[_custom(r, str((outcomes.get(r["run_id"]) or {}).get("message") or ""))
                                         for r in runs], hovertemplate=HOVER))
    flagged = [r for r in runs if (outcomes.get(r["run_id"]) or {}).get("outcome") in ("warn", "fail")]
    if flagged:
        traces.append(go.Scatter(name="anomaly", x=[r["x"] for r in flagged], y=[r[metric] for r in flagged],
                                 mode="markers+text", text=["anomaly"] * len(flagged), textposition="bottom center",
                                 marker={"color": "#dc2626", "size": 14, "symbol": "x"},
                                 customdata=[_custom(r, str(outcomes[r["run_id"]].get("message") or ""))
                                             for r in flagged], hovertemplate=HOVER))
    return _figure(traces, title=f"{name}: {metric} per run, expected band and anomalies",
                   yaxis={"title": {"text": metric}})


def batches_figure(ds: Dataset) -> dict[str, Any] | None:
    """Streaming models: rows per micro-batch (read, quarantined, dropped, rescued) and the failed batches."""
    import plotly.graph_objects as go

    from sqlingest.runs.report import ROW_METRICS

    batches = [(run, b) for run in ds.runs for b in run.get("batches") or []]
    if not batches:
        return None
    labels = [f"{run['run_id']} batch {b['batch_id']}" for run, b in batches]
    traces = []
    ok = [(label, run, b) for label, (run, b) in zip(labels, batches, strict=True) if b.get("status") == "success"]
    for metric in ("rows_in", "rows_quarantined", "rows_dropped", "rows_rescued"):
        points = [(label, run, b) for label, run, b in ok if isinstance(b.get(metric), (int, float))]
        if not points or (metric != "rows_in" and not any(b[metric] for _, _, b in points)):
            continue
        traces.append(go.Scatter(
            name=ROW_METRICS[metric], x=[p[0] for p in points],
            y=[b[metric] for _, _, b in points], mode="lines+markers", line={"color": COLORS[metric], "width": 2},
            customdata=[[run["run_id"], run["command"], f"batch {b['batch_id']}, {b.get('seconds') or 0:.1f}s"]
                        for _, run, b in points], hovertemplate=HOVER))
    failed = [(label, run, b) for label, (run, b) in zip(labels, batches, strict=True) if b.get("status") == "error"]
    if failed:
        traces.append(go.Scatter(
            name="failed batch", x=[p[0] for p in failed], y=[0] * len(failed), mode="markers",
            marker={"color": "#dc2626", "size": 12, "symbol": "x"},
            customdata=[[run["run_id"], run["command"], str(b.get("error") or b.get("message") or "")]
                        for _, run, b in failed], hovertemplate=HOVER))
    return _figure(traces, title="rows per micro-batch", yaxis={"title": {"text": "rows"}},
                   xaxis={"type": "category", "categoryorder": "array", "categoryarray": labels,
                          "title": {"text": "micro-batch"}, "automargin": True, "tickangle": -30})


def dataset_figures(ds: Dataset, contract: Any) -> dict[str, dict[str, Any]]:
    """A dataset's figures, in page order."""
    out: dict[str, dict[str, Any]] = {}
    for key, fig in (("rows", rows_figure(ds)), ("batches", batches_figure(ds)), ("checks", checks_figure(ds))):
        if fig is not None:
            out[key] = fig
    out.update(check_value_figures(ds, contract))
    return out
