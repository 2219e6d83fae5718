"""OpenLineage configuration and events, metrics exporters and alert routes against real local receivers, without a
JVM: the runner's reporter calls are made as the runner makes them, with the results it records."""

from __future__ import annotations

import json
from email import message_from_bytes
from pathlib import Path

import pytest

from sqlingest.checks.results import CheckResult
from sqlingest.errors import register_secret
from sqlingest.observe import Observer
from sqlingest.observe import metrics as m
from sqlingest.plan import plan_project
from sqlingest.project import load_project
from sqlingest.project.config import AlertConfig
from sqlingest.runs import ModelResult, RunRecord
from sqlingest.runs.alerts import notify
from tests.receivers import http_receiver, smtp_receiver

REPO = Path(__file__).resolve().parents[2]
SECRET = "tok-9f8e7d6c5b"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("OPENLINEAGE"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def plan():
    return plan_project(load_project(REPO))


def results(plan) -> list[ModelResult]:
    ok = ModelResult("silver.order_lines", plan.models["silver.order_lines"].relation, "merge", status="success",
                     rows_in=12, rows_written=10, rows_quarantined=2, rows_deduplicated=0, seconds=1.5, attempts=1,
                     checks=[CheckResult("not_null(order_id)", "pass", "error", "fail", 0, "", type="not_null",
                                         column="order_id"),
                             CheckResult("range(quantity)", "warn", "error", "quarantine", 2, "2 row(s) quarantined",
                                         type="range", column="quantity")])
    bad = ModelResult("gold.daily_revenue", plan.models["gold.daily_revenue"].relation, "table", status="error",
                      seconds=0.5, attempts=1, error=f"could not connect with password {SECRET}")
    skipped = ModelResult("gold.product_sales", plan.models["gold.product_sales"].relation, "table",
                          status="skipped", error="upstream failed: gold.daily_revenue")
    return [ok, bad, skipped]


def drive(observer: Observer, plan, record: RunRecord) -> None:
    """The reporter calls of a build where silver.order_lines passes, gold.daily_revenue fails and
    gold.product_sales is skipped."""
    ok, bad, skipped = results(plan)
    record.models.extend([ok, bad, skipped])
    observer.start()
    for result in (ok, bad):
        observer("start", plan.models[result.name], None)
        observer("end", plan.models[result.name], result)
    observer("skip", plan.models[skipped.name], skipped)
    record.status, record.finished_at = "error", "2026-01-01T00:01:00+00:00"


def new_record() -> RunRecord:
    return RunRecord("20260101T000000-abc", "build", "dev", "2026-01-01T00:00:00+00:00")


def test_openlineage_url_sends_every_run_state_to_an_http_receiver(plan, monkeypatch):
    register_secret(SECRET)
    receiver = http_receiver()
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    monkeypatch.setenv("OPENLINEAGE_NAMESPACE", "retail")
    try:
        record = new_record()
        observer = Observer(plan, record, command="build")
        drive(observer, plan, record)
        assert observer.finish(record) == []
    finally:
        receiver.stop()
    assert {r.path for r in receiver.requests} == {"/api/v1/lineage"}
    events = [json.loads(r.body) for r in receiver.requests]
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("retail_demo.build", "START"),
        ("silver.order_lines", "START"), ("silver.order_lines", "COMPLETE"),
        ("gold.daily_revenue", "START"), ("gold.daily_revenue", "FAIL"),
        ("gold.product_sales", "START"), ("gold.product_sales", "ABORT"),
        ("retail_demo.build", "FAIL")]
    assert {e["job"]["namespace"] for e in events} == {"retail"}
    build_run = events[0]["run"]["runId"]
    for e in events[1:-1]:
        parent = e["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == build_run
        assert (parent["job"]["namespace"], parent["job"]["name"]) == ("retail", "retail_demo.build")
    # one run id per model run, the same in its START and its end
    assert events[1]["run"]["runId"] == events[2]["run"]["runId"] != events[3]["run"]["runId"]
    failed = events[4]
    assert failed["run"]["facets"]["errorMessage"]["message"] == "could not connect with password ***"
    assert events[6]["run"]["facets"]["errorMessage"]["message"] == "upstream failed: gold.daily_revenue"
    assert SECRET not in "".join(r.body.decode() for r in receiver.requests)
    complete = events[2]
    assert [(i["namespace"], i["name"]) for i in complete["inputs"]] == [("iceberg_jdbc://lake",
                                                                          "bronze.order_lines")]
    table, quarantine = complete["outputs"]
    assert (table["namespace"], table["name"]) == ("iceberg_jdbc://lake", "silver.order_lines")
    assert quarantine["name"] == "silver.order_lines__quarantine"
    assert [f["name"] for f in table["facets"]["schema"]["fields"]] == [
        "order_id", "line_no", "product_id", "quantity", "unit_price", "amount"]
    amount = table["facets"]["columnLineage"]["fields"]["amount"]["inputFields"]
    assert [(f["name"], f["field"]) for f in amount] == [("bronze.order_lines", "quantity"),
                                                         ("bronze.order_lines", "unit_price")]
    assertions = table["facets"]["dataQualityAssertions"]["assertions"]
    assert [(a["assertion"], a["column"], a["success"], a.get("actual")) for a in assertions] == [
        ("not_null", "order_id", True, "0"), ("range", "quantity", False, "2")]
    assert table["facets"]["dataQualityMetrics"]["rowCount"] == 10
    assert table["outputFacets"]["outputStatistics"]["rowCount"] == 10
    assert quarantine["outputFacets"]["outputStatistics"]["rowCount"] == 2
    q_lineage = quarantine["facets"]["columnLineage"]["fields"]
    assert sorted(q_lineage) == ["_failed_checks", "_row"]
    assert [f["field"] for f in q_lineage["_failed_checks"]["inputFields"]] == ["quantity"]
    assert "dataQualityAssertions" not in failed["outputs"][0]["facets"]


def test_file_transport_from_environment_variables(plan, monkeypatch, tmp_path):
    path = tmp_path / "events.jsonl"
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(path))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    record = new_record()
    observer = Observer(plan, record, command="build")
    drive(observer, plan, record)
    assert observer.finish(record) == []
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["eventType"] for e in events] == ["START", "START", "COMPLETE", "START", "FAIL", "START", "ABORT",
                                                "FAIL"]


def _small_project(make_project, target: str = "") -> Path:
    files = {
        "contracts/shop/orders.source.yml": """
            name: shop.orders
            layer: source
            source: {format: csv, path: data/*.csv}
            columns:
              - {name: id, type: bigint}
        """,
        "models/bronze/orders.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('shop', 'orders') }}\n",
    }
    return make_project(files, config="name: t\ntargets:\n  dev:\n    format: iceberg\n" + target)


def test_openlineage_yml_in_the_project_and_the_target_setting(make_project, monkeypatch, tmp_path):
    yml_events = tmp_path / "yml.jsonl"
    root = _small_project(make_project)
    (root / "openlineage.yml").write_text(
        f"transport:\n  type: file\n  log_file_path: {yml_events}\n  append: true\n")
    plan = plan_project(load_project(root))
    record = new_record()
    observer = Observer(plan, record, command="run")
    pm = plan.models["bronze.orders"]
    observer.start()
    observer("start", pm, None)
    result = ModelResult(pm.name, pm.relation, "append", status="success", rows_in=3, rows_written=3)
    record.models.append(result)
    observer("end", pm, result)
    record.status = "success"
    observer.finish(record)
    events = [json.loads(line) for line in yml_events.read_text().splitlines()]
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("t.run", "START"), ("bronze.orders", "START"), ("bronze.orders", "COMPLETE"), ("t.run", "COMPLETE")]
    source = events[2]["inputs"][0]
    assert (source["namespace"], source["name"]) == ("file", str(root / "data" / "*.csv"))
    assert events[2]["outputs"][0]["facets"]["columnLineage"]["fields"]["id"]["inputFields"] == [
        {"namespace": "file", "name": str(root / "data" / "*.csv"), "field": "id", "transformations": []}]

    # the target's own setting wins over openlineage.yml; OPENLINEAGE_DISABLED turns everything off
    target_events = tmp_path / "target.jsonl"
    root2 = _small_project(make_project, target=(
        f"    openlineage:\n      namespace: etl\n      dataset_namespace: 'iceberg://prod'\n"
        f"      transport: {{type: file, log_file_path: '{target_events}', append: true}}\n"))
    plan2 = plan_project(load_project(root2))
    observer = Observer(plan2, new_record(), command="build")
    observer.start()
    observer.abort("interrupted: KeyboardInterrupt")
    events = [json.loads(line) for line in target_events.read_text().splitlines()]
    assert [(e["job"]["namespace"], e["eventType"]) for e in events] == [("etl", "START"), ("etl", "ABORT")]
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    assert Observer(plan2, new_record(), command="build").lineage is None


def test_nothing_is_emitted_without_configuration(plan):
    assert Observer(plan, new_record(), command="build").lineage is None


def record_for_metrics(plan) -> RunRecord:
    record = new_record()
    ok, bad, skipped = results(plan)
    ok.checks.append(CheckResult("freshness(updated_at)", "pass", "warn", "warn", 90_000, "", type="freshness",
                                 column="updated_at"))
    stream = ModelResult("bronze.order_events", "lake.bronze.order_events", "streaming", status="success",
                         rows_in=30, rows_written=30, seconds=4.0, attempts=1, batches=[
                             {"batch_id": 0, "status": "success", "rows_in": 10, "seconds": 1.0,
                              "started_at": "2026-01-01T00:00:10+00:00"},
                             {"batch_id": 1, "status": "success", "rows_in": 20, "seconds": 1.0,
                              "started_at": "2026-01-01T00:00:50+00:00"}])
    record.models.extend([ok, bad, skipped, stream])
    record.status, record.finished_at = "error", "2026-01-01T00:01:00+00:00"
    record.slos = [{"dataset": "silver.order_lines", "name": "freshness", "status": "met", "domain": "sales"},
                   {"dataset": "silver.order_lines", "name": "completeness", "status": "breached",
                    "domain": "sales"}]
    return record


def families(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    from prometheus_client.parser import text_string_to_metric_families

    return {f.name: [(s.labels, s.value) for s in f.samples] for f in text_string_to_metric_families(text)}


def test_prometheus_exposition_per_model_and_check(plan):
    parsed = families(m.exposition(m.samples(plan, record_for_metrics(plan), bytes_written={"silver.order_lines":
                                                                                             4096})))
    base = {"project": "retail_demo", "target": "dev"}
    ol = {**base, "model": "silver.order_lines", "layer": "silver"}
    assert parsed["sqlingest_run_success"] == [({**base, "command": "build"}, 0.0)]
    assert parsed["sqlingest_run_duration_seconds"] == [({**base, "command": "build"}, 60.0)]
    rows = {(s["model"], s["kind"]): v for s, v in parsed["sqlingest_model_rows"]}
    assert {k: v for k, v in rows.items() if k[0] == "silver.order_lines"} == {
        ("silver.order_lines", "in"): 12, ("silver.order_lines", "published"): 10,
        ("silver.order_lines", "quarantined"): 2, ("silver.order_lines", "deduplicated"): 0}
    assert parsed["sqlingest_model_bytes_written"] == [(ol, 4096.0)]
    success = {s["model"]: v for s, v in parsed["sqlingest_model_success"]}
    assert success == {"silver.order_lines": 1, "gold.daily_revenue": 0, "gold.product_sales": 0,
                       "bronze.order_events": 1}
    status = {s["model"]: s["status"] for s, _ in parsed["sqlingest_model_status"]}
    assert status["gold.product_sales"] == "skipped" and status["gold.daily_revenue"] == "error"
    checks = {s["check"]: v for s, v in parsed["sqlingest_check_value"]}
    assert checks == {"not_null(order_id)": 0, "range(quantity)": 2, "freshness(updated_at)": 90_000}
    assert {s["check"]: v for s, v in parsed["sqlingest_check_passed"]} == {
        "not_null(order_id)": 1, "range(quantity)": 0, "freshness(updated_at)": 1}
    assert parsed["sqlingest_freshness_lag_seconds"] == [({**ol, "column": "updated_at"}, 90.0)]
    ev = {**base, "model": "bronze.order_events", "layer": "bronze"}
    assert parsed["sqlingest_stream_batches"] == [(ev, 2.0)]
    assert parsed["sqlingest_stream_batch_rows"] == [(ev, 20.0)]
    assert parsed["sqlingest_stream_throughput_rows_per_second"] == [(ev, 15.0)]
    assert parsed["sqlingest_stream_batch_lag_seconds"] == [(ev, 9.0)]  # batch 1 ended at 00:00:51, run at 01:00
    assert parsed["sqlingest_slo_met"] == [({**ol, "domain": "sales", "slo": "freshness"}, 1.0),
                                           ({**ol, "domain": "sales", "slo": "completeness"}, 0.0)]


def test_pushgateway_push_and_textfile(plan, tmp_path):
    receiver = http_receiver()
    samples = m.samples(plan, record_for_metrics(plan))
    try:
        m.push(receiver.url, "sqlingest", {"project": "retail_demo", "target": "dev"}, samples)
    finally:
        receiver.stop()
    [request] = receiver.requests
    assert (request.method, request.path) == ("PUT", "/metrics/job/sqlingest/project/retail_demo/target/dev")
    pushed = families(request.body.decode())
    m.write_textfile(tmp_path / "m" / "sqlingest.prom", samples)
    assert families((tmp_path / "m" / "sqlingest.prom").read_text()) == pushed
    assert pushed["sqlingest_model_duration_seconds"][0] == (
        {"project": "retail_demo", "target": "dev", "model": "silver.order_lines", "layer": "silver"}, 1.5)


def test_otlp_http_metrics(plan):
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    receiver = http_receiver()
    try:
        m.export_otlp(receiver.url + "/v1/metrics", m.samples(plan, record_for_metrics(plan)), service="retail_demo")
    finally:
        receiver.stop()
    [request] = receiver.paths("/v1/metrics")
    assert request.headers["content-type"] == "application/x-protobuf"
    decoded = ExportMetricsServiceRequest.FromString(request.body)
    [resource] = decoded.resource_metrics
    attrs = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert attrs["service.name"] == "retail_demo"
    got = {}
    for scope in resource.scope_metrics:
        for metric in scope.metrics:
            for point in metric.gauge.data_points:
                labels = {a.key: a.value.string_value for a in point.attributes}
                got[(metric.name, labels.get("model"), labels.get("kind"))] = point.as_double
    assert got[("sqlingest_model_rows", "silver.order_lines", "quarantined")] == 2.0
    assert got[("sqlingest_model_success", "gold.daily_revenue", None)] == 0.0
    assert got[("sqlingest_stream_throughput_rows_per_second", "bronze.order_events", None)] == 15.0


def test_otlp_unreachable_is_reported(plan):
    observer = Observer(plan, record_for_metrics(plan), command="build")
    observer.metrics = type(plan.project.target).model_validate(
        {"metrics": {"otlp": "http://127.0.0.1:9/v1/metrics", "timeout": 1}}).metrics
    problems = observer.finish(record_for_metrics(plan))
    assert len(problems) == 1 and problems[0].startswith("OTLP http://127.0.0.1:9/v1/metrics")


def test_slack_and_email_routes_by_owner_domain_and_kind(plan):
    register_secret(SECRET)
    http, smtp = http_receiver(), smtp_receiver()
    record = record_for_metrics(plan)
    try:
        alerts = [
            AlertConfig(type="slack", url=http.url + "/slack", on=["error", "fail", "warn"], owners=["retail-team"]),
            AlertConfig(type="slack", url=http.url + "/other", owners=["finance"]),  # owns nothing here
            AlertConfig(type="email", to=["oncall@example.com"], on=["error"], domains=["retail"],
                        sender="sqlingest@example.com", smtp={"host": "127.0.0.1", "port": smtp.port}),
        ]
        assert notify(record, alerts, plan=plan) == []
    finally:
        http.stop()
        smtp.stop()
    [slack] = http.requests
    assert slack.path == "/slack"
    body = json.loads(slack.body)
    assert body["text"] == "sqlingest build 20260101T000000-abc on dev: 1 model(s) failed, 1 warning(s)"
    lines = body["blocks"][1]["text"]["text"].splitlines()
    assert lines == ["• WARN silver.order_lines · range(quantity) (owner retail-team): 2 row(s) quarantined",
                     "• ERROR gold.daily_revenue (owner retail-team): could not connect with password ***"]
    [mail] = smtp.mails
    assert (mail.sender, mail.recipients) == ("sqlingest@example.com", ["oncall@example.com"])
    parsed = message_from_bytes(mail.data)
    assert parsed["Subject"] == "sqlingest build 20260101T000000-abc on dev: 1 model(s) failed"
    text = parsed.get_payload(decode=True).decode()
    assert "ERROR gold.daily_revenue (owner retail-team): could not connect with password ***" in text
    assert SECRET not in text


def test_alert_config_needs_its_destination():
    with pytest.raises(ValueError, match="a slack alert needs a url"):
        AlertConfig(type="slack")
    with pytest.raises(ValueError, match="an email alert needs 'to'"):
        AlertConfig(type="email")


def test_unquoted_on_key_of_an_alert_is_read(make_project):
    root = make_project({}, config="name: t\nalerts:\n  - type: slack\n    url: http://x\n    on: [warn]\n"
                                   "    owners: [a]\n")
    [alert] = load_project(root).config.alerts
    assert (alert.type, alert.on, alert.owners) == ("slack", ["warn"], ["a"])
