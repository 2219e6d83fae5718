"""``sqlingest report``: a self-contained HTML data-health report from the run records.

The page opens with an overview (datasets by status, failing checks, SLO breaches where recorded, freshness, the
quarantine of the last write), then one section per dataset: rows over time on a time axis (one point per run, each
named by its run), check pass rate and check values with their thresholds, anomaly bands and markers, the last
failing checks with sample quarantined rows, and per-micro-batch metrics for streaming models.

Charts are Plotly figures (:mod:`sqlingest.runs.charts`) drawn by plotly.js, which is inlined: the file has no
external resources and opens anywhere, offline. Every figure's data is also embedded as JSON
(``<script id="report-data">``), which is what the browser tests read.

Reading the records:
- a ``test`` run measures checks, not rows: it never replaces the last build's rows or quarantine in the page;
- a run that read no new input (``rows_in == 0``: an incremental model whose sources had no new files) is shown as
  "no new input", not as rows lost;
- SLOs are read from a run's ``slos`` list or a model's ``slos`` list (entries with ``name``, ``status`` =
  ``met``/``breached`` and ``message``); without them the overview says none are recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlingest.errors import redact

#: rows metrics of a write, in the order the charts and tables show them, with the words the page uses
ROW_METRICS = {"rows_in": "read", "rows_written": "published", "rows_quarantined": "quarantined",
               "rows_dropped": "dropped", "rows_rescued": "rescued", "rows_deduplicated": "deduplicated"}
#: commands whose runs write rows (a ``test`` run only checks)
WRITES = ("build", "run", "stream", "replay")


def run_time(record: dict[str, Any]) -> str:
    """When a run started (ISO, UTC): ``started_at``, else read from the run id (``YYYYmmddTHHMMSSmmm-…``)."""
    started = record.get("started_at")
    if started:
        return str(started)
    run_id = str(record.get("run_id", ""))
    try:
        at = datetime.strptime(run_id[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        return at.isoformat()
    except ValueError:
        return ""


def chart_time(at: str) -> str:
    """A run's time as the charts' date axis takes it: UTC, no offset (plotly.js reads no time zones)."""
    value = _parse(at) if at else None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if value else at


@dataclass
class Dataset:
    name: str
    layer: str
    relation: str
    materialization: str = ""
    runs: list[dict[str, Any]] = field(default_factory=list)  # oldest first

    @property
    def latest(self) -> dict[str, Any]:
        return self.runs[-1]

    @property
    def writes(self) -> list[dict[str, Any]]:
        """The runs that wrote (or tried to write) rows: not ``test`` runs, not models skipped."""
        return [r for r in self.runs if r["command"] in WRITES and r.get("rows_in") is not None]

    @property
    def last_write(self) -> dict[str, Any] | None:
        writes = self.writes
        return writes[-1] if writes else None

    @property
    def last_read(self) -> dict[str, Any] | None:
        """The last write that read input (a rerun with no new input does not hide what the one before did)."""
        reads = [r for r in self.writes if not r["no_new_input"]]
        return reads[-1] if reads else None

    @property
    def idle_since(self) -> int:
        """Writes with no new input after the last one that read some."""
        count = 0
        for run in reversed(self.writes):
            if not run["no_new_input"]:
                break
            count += 1
        return count

    @property
    def last_published(self) -> dict[str, Any] | None:
        """The last run that published rows (what the table's freshness is)."""
        for run in reversed(self.runs):
            if run["command"] in WRITES and (run.get("rows_written") or 0) > 0 and run["status"] != "error":
                return run
        return None

    @property
    def last_failing(self) -> dict[str, Any] | None:
        """The last run with a check that did not pass (with its failing checks), whatever ran after it."""
        for run in reversed(self.runs):
            if any(c.get("outcome") != "pass" for c in run.get("checks") or []):
                return run
        return None

    @property
    def streaming(self) -> bool:
        return any(r.get("batches") for r in self.runs)


def _no_new_input(model: dict[str, Any], command: str) -> bool:
    return command in WRITES and model.get("rows_in") == 0 and not model.get("error")


def collect(records: list[dict[str, Any]]) -> dict[str, Dataset]:
    """Group model results by dataset, oldest run first."""
    out: dict[str, Dataset] = {}
    for record in sorted(records, key=lambda r: r["run_id"]):
        command = str(record.get("command") or "build")
        for model in record.get("models", []):
            name = model["name"]
            ds = out.setdefault(name, Dataset(name, name.split(".")[0], model.get("relation", name),
                                              model.get("materialization", "")))
            checks = model.get("checks") or []
            passed = sum(1 for c in checks if c.get("outcome") == "pass")
            ds.runs.append({**model, "run_id": record["run_id"], "command": command, "at": run_time(record),
                            "x": chart_time(run_time(record)), "checks_passed": passed, "checks_total": len(checks),
                            "checks_passed_pct": round(100.0 * passed / len(checks), 1) if checks else None,
                            "no_new_input": _no_new_input(model, command),
                            "slos": list(model.get("slos") or [])})
    return out


def describe_rows(run: dict[str, Any]) -> str:
    """One line for a write: ``6 read → 3 published, 2 quarantined, 1 dropped``; ``no new input`` when nothing
    new was read."""
    if run.get("status") == "skipped":
        return "skipped"
    if run.get("no_new_input"):
        return "no new input"
    if run.get("rows_in") is None:
        return "rows not measured"
    parts = [f"{run.get('rows_written') or 0:,} published"]
    parts += [f"{run[k]:,} {word}" for k, word in ROW_METRICS.items()
              if k not in ("rows_in", "rows_written") and run.get(k)]
    return f"{run['rows_in']:,} read → " + ", ".join(parts)


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def _parse(at: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(at)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def overview(datasets: dict[str, Dataset], records: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The numbers the page opens with; every figure names the run it comes from."""
    status = {s: 0 for s in ("success", "warn", "error", "skipped")}
    failing, quarantine, fresh, rows = [], [], [], []
    for ds in sorted(datasets.values(), key=lambda d: d.name):
        latest = ds.latest
        status[latest["status"]] = status.get(latest["status"], 0) + 1
        failing += [{"dataset": ds.name, "check": c["name"], "outcome": c.get("outcome"), "action": c.get("action"),
                     "message": redact(str(c.get("message") or "")), "run_id": latest["run_id"],
                     "command": latest["command"]}
                    for c in latest.get("checks") or [] if c.get("outcome") != "pass"]
        write = ds.last_read
        if write is not None and write.get("rows_quarantined"):
            quarantine.append({"dataset": ds.name, "rows": write["rows_quarantined"], "run_id": write["run_id"],
                               "command": write["command"]})
        published = ds.last_published
        at = _parse(published["at"]) if published else None
        fresh.append({"dataset": ds.name, "run_id": published["run_id"] if published else None,
                      "at": published["at"] if published else None,
                      "age": _age((now - at).total_seconds()) if at else "never published",
                      "age_seconds": (now - at).total_seconds() if at else None})
        rows.append({"dataset": ds.name, "anchor": anchor(ds.name), "layer": ds.layer, "status": latest["status"],
                     "run_id": latest["run_id"], "command": latest["command"], "at": latest["at"],
                     "failing": sum(1 for c in latest.get("checks") or [] if c.get("outcome") != "pass"),
                     "checks": f"{latest['checks_passed']}/{latest['checks_total']}" if latest["checks_total"]
                     else "—",
                     "last_write": (describe_rows(write) if write else "never written")
                     + (f"; no new input in {ds.idle_since} later run(s)" if ds.idle_since and write else ""),
                     "last_write_run": write["run_id"] if write else None,
                     "age": fresh[-1]["age"]})
    slos = []
    for record in sorted(records, key=lambda r: r["run_id"]):
        entries = [(None, s) for s in record.get("slos") or []]
        entries += [(m["name"], s) for m in record.get("models", []) for s in m.get("slos") or []]
        slos += [{"dataset": s.get("dataset") or name, "name": s.get("name", "slo"), "status": s.get("status"),
                  "message": redact(str(s.get("message") or "")), "run_id": record["run_id"]} for name, s in entries]
    latest_slo: dict[tuple[Any, Any], dict[str, Any]] = {}
    for s in slos:
        latest_slo[(s["dataset"], s["name"])] = s
    last = max(records, key=lambda r: r["run_id"]) if records else None
    return {"runs": len(records), "datasets": len(datasets), "status": status, "failing": failing,
            "quarantine": quarantine, "freshness": fresh, "table": rows,
            "slos_recorded": bool(slos), "slo_breaches": [s for s in latest_slo.values() if s["status"] == "breached"],
            "last_run": ({"run_id": last["run_id"], "command": last.get("command"), "status": last.get("status"),
                          "at": run_time(last)} if last else None)}


def _section(ds: Dataset) -> dict[str, Any]:
    """What a dataset's section shows besides its charts."""
    latest, write, failing = ds.latest, ds.last_read or ds.last_write, ds.last_failing
    samples = []
    source = failing if failing is not None and failing.get("samples") else write
    if source is not None:
        samples = [{"reasons": s.get("failed_checks") or [], "row": redact(json.dumps(s.get("row"), default=str))}
                   for s in source.get("samples") or []]
    failed_batches = [{"label": f"{r['run_id']} batch {b['batch_id']}",
                       "start": json.dumps((b.get("offsets") or {}).get("start")),
                       "end": json.dumps((b.get("offsets") or {}).get("end")),
                       "error": redact(str(b.get("error") or b.get("message") or ""))}
                      for r in ds.runs for b in r.get("batches") or [] if b.get("status") == "error"][-10:]
    return {
        "name": ds.name, "anchor": anchor(ds.name), "layer": ds.layer, "relation": ds.relation,
        "materialization": ds.materialization, "status": latest["status"], "run_id": latest["run_id"],
        "command": latest["command"], "at": latest["at"], "error": redact(latest.get("error") or ""),
        "last_write": ({"run_id": write["run_id"], "command": write["command"], "at": write["at"],
                        "rows": describe_rows(write), "status": write["status"], "idle_since": ds.idle_since}
                       if write else None),
        "failing": ({"run_id": failing["run_id"], "command": failing["command"], "at": failing["at"],
                     "is_latest": failing is latest,
                     "checks": [{"name": c["name"], "outcome": c.get("outcome"), "action": c.get("action"),
                                 "value": c.get("value"), "message": redact(str(c.get("message") or ""))}
                                for c in failing.get("checks") or [] if c.get("outcome") != "pass"]}
                    if failing else None),
        "samples": samples, "samples_run": source["run_id"] if source is not None and samples else None,
        "failed_batches": failed_batches,
    }


def anchor(name: str) -> str:
    return "ds-" + "".join(ch if ch.isalnum() else "-" for ch in name)


def render(records: list[dict[str, Any]], *, project: str, contracts: dict[str, Any] | None = None,
           now: datetime | None = None) -> str:
    """The report's HTML. ``contracts``: model name → its contract (for check thresholds and anomaly windows)."""
    import jinja2

    from sqlingest.runs import charts

    now = now or datetime.now(UTC)
    datasets = collect(records)
    summary = overview(datasets, records, now)
    figures: dict[str, Any] = {}
    if datasets:
        figures["overview-status"] = charts.status_timeline(list(datasets.values()))
    sections = []
    for layer in ("bronze", "silver", "gold", *sorted({d.layer for d in datasets.values()} - {"bronze", "silver",
                                                                                              "gold"})):
        members = sorted((d for d in datasets.values() if d.layer == layer), key=lambda d: d.name)
        if not members:
            continue
        entries = []
        for ds in members:
            contract = (contracts or {}).get(ds.name)
            ds_figures = charts.dataset_figures(ds, contract)
            for key, fig in ds_figures.items():
                figures[f"{anchor(ds.name)}-{key}"] = fig
            entry = _section(ds)
            entry["figures"] = [f"{anchor(ds.name)}-{key}" for key in ds_figures]
            entries.append(entry)
        sections.append({"layer": layer, "datasets": entries})
    env = jinja2.Environment(loader=jinja2.PackageLoader("sqlingest.runs", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    data = json.dumps({"project": project, "generated_at": now.isoformat(), "overview": summary,
                       "figures": figures}, default=str)
    return env.get_template("report.html.j2").render(
        project=project, generated_at=now.strftime("%Y-%m-%d %H:%M UTC"), overview=summary, sections=sections,
        data=data.replace("</", "<\\/"), plotly_js=charts.plotly_js(),
        describe=describe_rows)


def model_contracts(project: Any) -> dict[str, Any]:
    """Model name → its contract, without rendering (the bindings a build uses; ambiguous ones are left out)."""
    return dict(project.bound_contracts())


def write_report(state_dir: Path, output: Path, *, project: str, limit: int = 200,
                 contracts: dict[str, Any] | None = None) -> Path:
    """Render the report for the last ``limit`` runs into ``output``."""
    from sqlingest.errors import Location, UserError
    from sqlingest.runs import list_runs

    records = list_runs(state_dir, limit)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render(records, project=project, contracts=contracts), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write the report: {exc.strerror or exc}", location=Location(str(output)),
                        hint="pass --output with a file path you can write") from None
    return output
