"""One real build with every observability route wired to local receivers: OpenLineage (HTTP + file, composite
transport from the target), metrics (textfile, Pushgateway, OTLP/HTTP) and alerts (Slack, SMTP). The build has a
MERGE model with a quarantine, a model that fails at run time and a model skipped because of it."""

from __future__ import annotations

import json
from email import message_from_bytes

from sqlingest.cli import main
from sqlingest.project import load_project
from tests.receivers import http_receiver, smtp_receiver
from tests.unit.test_observe import families

FILES = {
    "contracts/shop/orders.source.yml": """
        name: shop.orders
        layer: source
        source: {format: csv, path: data/*.csv}
        columns:
          - {name: id, type: bigint}
          - {name: qty, type: int}
          - {name: price, type: "decimal(8,2)"}
    """,
    "contracts/shop/orders.silver.yml": """
        name: shop.orders
        layer: silver
        owner: shop-team
        keys: {business: [id]}
        columns:
          - {name: id, type: bigint, nullable: false, checks: [not_null, unique]}
          - name: qty
            type: int
            checks: [{range: {min: 1}, action: quarantine}]
          - {name: amount, type: "decimal(19,2)"}
    """,
    "models/bronze/orders.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('shop', 'orders') }}\n",
    "models/silver/orders.sql": """
        {{ config(materialized='merge') }}
        SELECT id, qty, CAST(qty * price AS DECIMAL(19, 2)) AS amount FROM {{ ref('bronze.orders') }}
    """,
    "models/gold/totals.sql": "SELECT SUM(amount) AS total, COUNT(*) AS n FROM {{ ref('silver.orders') }}\n",
    "models/gold/broken.sql": "SELECT id, CAST(raise_error('deliberate failure') AS STRING) AS x FROM {{ ref('silver.orders') }}\n",
    "models/gold/after_broken.sql": "SELECT id FROM {{ ref('gold.broken') }}\n",
    "data/orders.csv": "id,qty,price\n1,2,1.50\n2,0,3.00\n3,5,2.00\n",
}


def test_build_emits_lineage_metrics_and_alerts(project, lakehouse, tmp_path, monkeypatch):
    for key in [k for k in __import__("os").environ if k.startswith("OPENLINEAGE")]:
        monkeypatch.delenv(key)
    http, smtp = http_receiver(), smtp_receiver()
    events_file = tmp_path / "lineage.jsonl"
    metrics_file = tmp_path / "metrics" / "sqlingest.prom"
    try:
        extra = (
            "    openlineage:\n"
            "      namespace: shop-etl\n"
            "      transport:\n"
            "        type: composite\n"
            "        transports:\n"
            f"          marquez: {{type: http, url: '{http.url}', endpoint: api/v1/lineage}}\n"
            f"          file: {{type: file, log_file_path: '{events_file}', append: true}}\n"
            f"    metrics: {{pushgateway: '{http.url}', otlp: '{http.url}/v1/metrics'}}\n")
        head = ("alerts:\n"
                f"  - {{type: slack, url: '{http.url}/slack', 'on': [error, fail, warn], owners: [shop-team]}}\n"
                f"  - {{type: email, to: [oncall@example.com], 'on': [error], "
                f"smtp: {{host: 127.0.0.1, port: {smtp.port}}}}}\n")
        root = project(FILES, extra=extra, head=head)
        assert main(["build", "--project-dir", str(root), "--metrics-file", str(metrics_file)]) == 1
    finally:
        http.stop()
        smtp.stop()
    config = load_project(root).config
    ns = {layer: config.layer(layer).namespace for layer in ("bronze", "silver", "gold")}

    # --- OpenLineage: the same events over HTTP and in the file, in order ---
    posted = [json.loads(r.body) for r in http.paths("/api/v1/lineage")]
    filed = [json.loads(line) for line in events_file.read_text().splitlines()]
    assert [e["run"]["runId"] + e["eventType"] for e in posted] == \
        [e["run"]["runId"] + e["eventType"] for e in filed]
    seq = [(e["job"]["name"], e["eventType"]) for e in posted]
    assert (seq[0], seq[-1]) == (("t.build", "START"), ("t.build", "FAIL"))
    per_model: dict[str, list[str]] = {}
    for job, state in seq[1:-1]:
        per_model.setdefault(job, []).append(state)
    assert per_model == {"bronze.orders": ["START", "COMPLETE"], "silver.orders": ["START", "COMPLETE"],
                         "gold.totals": ["START", "COMPLETE"], "gold.broken": ["START", "FAIL"],
                         "gold.after_broken": ["START", "ABORT"]}
    assert seq.index(("bronze.orders", "COMPLETE")) < seq.index(("silver.orders", "START"))
    assert seq.index(("silver.orders", "COMPLETE")) < seq.index(("gold.totals", "START"))
    assert seq.index(("gold.broken", "FAIL")) < seq.index(("gold.after_broken", "START"))
    by = {(e["job"]["name"], e["eventType"]): e for e in posted}
    assert {e["job"]["namespace"] for e in posted} == {"shop-etl"}
    build_run = by[("t.build", "START")]["run"]["runId"]
    assert all(e["run"]["facets"]["parent"]["run"]["runId"] == build_run for e in posted if e["job"]["name"] != "t.build")

    bronze = by[("bronze.orders", "COMPLETE")]
    [source] = bronze["inputs"]
    assert (source["namespace"], source["name"]) == ("file", str(root / "data" / "*.csv"))
    assert [(o["namespace"], o["name"]) for o in bronze["outputs"]] == [("iceberg_jdbc://lake",
                                                                        f"{ns['bronze']}.orders")]
    assert bronze["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 3

    silver = by[("silver.orders", "COMPLETE")]
    assert [i["name"] for i in silver["inputs"]] == [f"{ns['bronze']}.orders"]
    table, quarantine = silver["outputs"]
    assert (table["name"], quarantine["name"]) == (f"{ns['silver']}.orders", f"{ns['silver']}.orders__quarantine")
    assert [(f["name"], f["type"]) for f in table["facets"]["schema"]["fields"]] == [
        ("id", "bigint"), ("qty", "int"), ("amount", "decimal(19,2)")]
    lineage = {col: sorted((f["name"], f["field"]) for f in v["inputFields"])
               for col, v in table["facets"]["columnLineage"]["fields"].items()}
    assert lineage == {"id": [(f"{ns['bronze']}.orders", "id")], "qty": [(f"{ns['bronze']}.orders", "qty")],
                       "amount": [(f"{ns['bronze']}.orders", "price"), (f"{ns['bronze']}.orders", "qty")]}
    q_lineage = {col: sorted(f["field"] for f in v["inputFields"])
                 for col, v in quarantine["facets"]["columnLineage"]["fields"].items()}
    assert q_lineage == {"_failed_checks": ["qty"], "_row": ["id", "price", "qty"]}
    assert table["outputFacets"]["outputStatistics"]["rowCount"] == 2
    assert quarantine["outputFacets"]["outputStatistics"]["rowCount"] == 1
    assertions = {a["name"]: (a["success"], a.get("actual")) for a in table["facets"]["dataQualityAssertions"]
                  ["assertions"]}
    assert assertions["range(qty)"] == (False, "1")  # one row set aside
    assert assertions["not_null(id)"][0] is True and assertions["unique(id)"][0] is True

    failed = by[("gold.broken", "FAIL")]
    assert "deliberate failure" in failed["run"]["facets"]["errorMessage"]["message"]
    aborted = by[("gold.after_broken", "ABORT")]
    assert aborted["run"]["facets"]["errorMessage"]["message"] == "upstream failed: gold.broken"
    totals = by[("gold.totals", "COMPLETE")]["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert [(f["name"], f["field"]) for f in totals["total"]["inputFields"]] == [(f"{ns['silver']}.orders",
                                                                                  "amount")]
    assert "n" not in totals  # COUNT(*) is computed from no column

    # --- metrics: textfile, Pushgateway and OTLP carry the same run ---
    text = families(metrics_file.read_text())
    [push] = [r for r in http.requests if r.method == "PUT"]
    assert push.path == "/metrics/job/sqlingest/project/t/target/dev"
    assert families(push.body.decode()).keys() == text.keys()
    rows = {(s["model"], s["kind"]): v for s, v in text["sqlingest_model_rows"]}
    assert rows[("silver.orders", "in")] == 3 and rows[("silver.orders", "published")] == 2
    assert rows[("silver.orders", "quarantined")] == 1
    success = {s["model"]: v for s, v in text["sqlingest_model_success"]}
    assert success == {"bronze.orders": 1, "silver.orders": 1, "gold.totals": 1, "gold.broken": 0,
                       "gold.after_broken": 0}
    written = {s["model"]: v for s, v in text["sqlingest_model_bytes_written"]}
    assert written["silver.orders"] > 0 and written["bronze.orders"] > 0
    checks = {(s["model"], s["check"]): v for s, v in text["sqlingest_check_value"]}
    assert checks[("silver.orders", "range(qty)")] == 1
    assert text["sqlingest_run_success"][0][1] == 0
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    [otlp] = http.paths("/v1/metrics")
    decoded = ExportMetricsServiceRequest.FromString(otlp.body)
    names = {m.name for rm in decoded.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert names == set(text)

    # --- alerts: Slack for the owner's datasets, a mail for the failed model ---
    [slack] = http.paths("/slack")
    body = json.loads(slack.body)
    assert body["text"].endswith("on dev: 1 warning(s)")  # gold.broken has no contract, hence no owner
    [mail] = smtp.mails
    parsed = message_from_bytes(mail.data)
    assert parsed["Subject"].endswith("on dev: 1 model(s) failed") and mail.recipients == ["oncall@example.com"]
    assert "ERROR gold.broken" in parsed.get_payload(decode=True).decode()
