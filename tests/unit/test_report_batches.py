"""The data-health report's content from run records (no browser): the overview's numbers, the charts' data, and
the readings that used to mislead (no new input, a passing test run after a quarantining build)."""

import json
import re
from datetime import UTC, datetime

from sqlingest.runs.report import collect, render

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html,
                                re.DOTALL).group(1).replace("<\\/", "</"))


def batch(i: int, status: str = "success", **extra) -> dict:
    return {"batch_id": i, "status": status, "rows_in": 10 * (i + 1), "rows_quarantined": i, "rows_dropped": 0,
            "offsets": {"start": [{"t": {"0": 4 * i}}], "end": [{"t": {"0": 4 * i + 4}}]}, **extra}


def model(name="gold.events", **kw) -> dict:
    return {"name": name, "relation": "lake.g." + name.split(".")[1], "materialization": "append",
            "status": "success", "checks": [], **kw}


def record(run_id: str, command: str, *models: dict, started: str) -> dict:
    return {"run_id": run_id, "command": command, "status": "success", "started_at": started, "models": list(models)}


QCHECK = {"name": "accepted_values(kind)", "outcome": "warn", "action": "quarantine", "value": 1,
          "message": "1 row has kind outside [buy, sell] (quarantined)", "fused": True}
PASS = {**QCHECK, "outcome": "pass", "value": 0, "message": ""}
SAMPLE = {"failed_checks": ["accepted_values(kind)"], "row": {"id": 4, "kind": "oops"}}
HISTORY = [
    record("20261201T100000000-aaaaaa", "build",
           model(rows_in=6, rows_written=6, rows_quarantined=0, rows_dropped=0, checks=[PASS]),
           started="2026-12-01T10:00:00+00:00"),
    record("20261201T110000000-bbbbbb", "build",
           model(rows_in=3, rows_written=2, rows_quarantined=1, rows_dropped=0, checks=[QCHECK], samples=[SAMPLE]),
           started="2026-12-01T11:00:00+00:00"),
    record("20261201T120000000-cccccc", "build", model(rows_in=0, rows_written=0, rows_quarantined=0, rows_dropped=0,
                                                      checks=[PASS]),
           started="2026-12-01T12:00:00+00:00"),
    record("20261201T130000000-dddddd", "test", model(checks=[PASS]), started="2026-12-01T13:00:00+00:00"),
]


def test_rows_are_plotted_per_run_on_a_time_axis_and_an_idle_rerun_reads_no_new_input():
    html = render(HISTORY, project="p", now=NOW)
    fig = data(html)["figures"]["ds-gold-events-rows"]
    assert fig["layout"]["xaxis"]["type"] == "date"
    traces = {t["name"]: t for t in fig["data"]}
    assert traces["read"]["x"] == ["2026-12-01 10:00:00.000", "2026-12-01 11:00:00.000"]
    assert traces["read"]["y"] == [6, 3] and traces["published"]["y"] == [6, 2]
    assert traces["quarantined"]["y"] == [0, 1]
    assert [c[0] for c in traces["published"]["customdata"]] == ["20261201T100000000-aaaaaa",
                                                                 "20261201T110000000-bbbbbb"]
    assert traces["no new input"]["x"] == ["2026-12-01 12:00:00.000"]
    assert "dropped" not in traces  # never dropped anything: no empty series in the legend
    assert "0 read" not in html and "no new input" in html


def test_a_passing_test_run_keeps_the_last_builds_quarantine_and_failing_checks_in_view():
    html = render(HISTORY, project="p", now=NOW)
    overview = data(html)["overview"]
    assert overview["status"] == {"success": 1, "warn": 0, "error": 0, "skipped": 0}
    assert overview["failing"] == []  # the latest run (a test) passed
    # the last build read nothing new: the quarantine shown is the one of the last build that read rows
    assert overview["quarantine"] == [{"dataset": "gold.events", "rows": 1, "run_id": "20261201T110000000-bbbbbb",
                                       "command": "build"}]
    assert overview["table"][0]["last_write"] == ("3 read → 2 published, 1 quarantined; "
                                                  "no new input in 1 later run(s)")
    section = html.split('id="ds-gold-events"')[1]
    assert "Last checks that did not pass" in section and "20261201T110000000-bbbbbb" in section
    assert "the latest run (20261201T130000000-dddddd, test) passed them" in section
    assert "oops" in section.split("Sample quarantined rows")[1]
    checks = {t["name"]: t for t in data(html)["figures"]["ds-gold-events-checks"]["data"]}
    assert checks["checks passed (%)"]["y"] == [100.0, 0.0, 100.0, 100.0]
    assert checks["checks passed (%)"]["x"][3] == "2026-12-01 13:00:00.000"  # the test run is a point too


def test_freshness_is_the_age_of_the_last_published_rows():
    overview = data(render(HISTORY, project="p", now=NOW))["overview"]
    assert overview["freshness"] == [{"dataset": "gold.events", "run_id": "20261201T110000000-bbbbbb",
                                      "at": "2026-12-01T11:00:00+00:00", "age": "1.0 d", "age_seconds": 90000.0}]


def test_slo_breaches_are_counted_when_recorded():
    runs = [*HISTORY, {**record("20261201T140000000-eeeeee", "build", model(rows_in=1, rows_written=1),
                                started="2026-12-01T14:00:00+00:00"),
                       "slos": [{"dataset": "gold.events", "name": "freshness", "status": "breached",
                                 "message": "newest row 3h old (max 1h)"}]}]
    overview = data(render(runs, project="p", now=NOW))["overview"]
    assert [s["name"] for s in overview["slo_breaches"]] == ["freshness"]
    assert data(render(HISTORY, project="p", now=NOW))["overview"]["slos_recorded"] is False


def test_streaming_models_chart_each_micro_batch_and_list_failed_ones():
    m = {"name": "bronze.events", "relation": "lake.b.events", "materialization": "streaming",
         "status": "error", "checks": [], "batches": [batch(0), batch(1), batch(2, "error", error="range(x)")]}
    html = render([{"run_id": "r1", "models": [m]}], project="p", now=NOW)
    fig = data(html)["figures"]["ds-bronze-events-batches"]
    traces = {t["name"]: t for t in fig["data"]}
    assert traces["read"]["x"] == ["r1 batch 0", "r1 batch 1"] and traces["read"]["y"] == [10, 20]
    assert traces["quarantined"]["y"] == [0, 1]
    assert traces["failed batch"]["x"] == ["r1 batch 2"]
    failed = html.split('class="failed-batches"')[1]
    assert "r1 batch 2" in failed and "{&#34;t&#34;: {&#34;0&#34;: 8}}" in failed and "range(x)" in failed


def test_batch_models_have_no_micro_batch_section():
    m = model("silver.x", materialization="merge", rows_in=3)
    html = render([{"run_id": "r1", "models": [m]}], project="p", now=NOW)
    assert "ds-silver-x-batches" not in data(html)["figures"] and "failed micro-batch" not in html


def test_anomaly_band_is_the_checks_own_and_flagged_runs_are_marked():
    anomaly = {"name": "anomaly(table)", "outcome": "pass", "action": "warn", "value": None, "fused": True}
    runs = [record(f"20261201T1{i}0000000-a", "build",
                   model(rows_in=n, rows_written=n, checks=[{**anomaly, "value": n,
                                                            "outcome": "warn" if n == 1 else "pass"}]),
                   started=f"2026-12-01T1{i}:00:00+00:00") for i, n in enumerate([20, 21, 22, 1])]
    ds = collect(runs)["gold.events"]
    assert [r["rows_in"] for r in ds.writes] == [20, 21, 22, 1]
    fig = data(render(runs, project="p", now=NOW))["figures"]["ds-gold-events-anomaly-0"]
    traces = {t["name"]: t for t in fig["data"]}
    assert traces["anomaly"]["y"] == [1]
    assert traces["expected band"]["x"] == ["2026-12-01 13:00:00.000"]  # 3 runs of history from the 4th on
    low, high = traces["expected band"]["y"][0], traces["expected high"]["y"][0]
    assert round(low, 3) == round(21 - 3 * 0.816496580927726, 3) and round(high, 3) == round(21 + 3 * 0.816496580927726, 3)
