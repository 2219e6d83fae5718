"""The demo project end to end: build, exact gold rows, rescued bronze rows, idempotent rebuild, checks."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlingest.cli import main
from sqlingest.project import load_project


def tables(root):
    """The tables of the project's enabled models (the Kafka demo model is disabled without a broker)."""
    from sqlingest.plan import plan_project

    return {name: pm.relation for name, pm in plan_project(load_project(root)).models.items()}


def snapshot(spark, rels, *, drop=("_ingested_at",)):
    out = {}
    for name, rel in rels.items():
        df = spark.table(rel)
        cols = [c for c in df.columns if c not in drop]
        out[name] = sorted(repr(tuple(r)) for r in df.select(*cols).collect())
    return out


def test_demo_builds_idempotently_with_expected_gold(lakehouse, demo, capsys, monkeypatch, tmp_path):
    spark = lakehouse.spark
    events_file, metrics_file = tmp_path / "openlineage.jsonl", tmp_path / "sqlingest.prom"
    for key, value in {"TYPE": "file", "LOG_FILE_PATH": str(events_file), "APPEND": "true"}.items():
        monkeypatch.setenv(f"OPENLINEAGE__TRANSPORT__{key}", value)
    assert main(["build", "--project-dir", str(demo), "--metrics-file", str(metrics_file)]) == 0
    out = capsys.readouterr().out
    assert "11 model(s)" in out and "0 failed" in out
    rels = tables(demo)
    check_lineage_events(events_file, rels)
    check_metrics(metrics_file)

    daily = {r["order_date"].isoformat(): (r["orders"], r["items"], r["revenue"])
             for r in spark.table(rels["gold.daily_revenue"]).collect()}
    assert daily == {"2024-01-01": (6, 24, Decimal("2167.85")), "2024-01-02": (7, 35, Decimal("6638.84")),
                     "2024-01-03": (6, 39, Decimal("7938.51"))}
    silver_orders = spark.table(rels["silver.orders"])
    assert silver_orders.count() == 19
    assert silver_orders.where("status = 'shipped'").count() == 5  # later status events merged in
    customers = {r["customer_id"]: r for r in spark.table(rels["silver.customers"]).where("is_current").collect()}
    assert sorted(customers) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert customers[3]["email"] == "grace.hopper@example.com"  # the newer version is current
    history = [(r["email"], str(r["valid_from"]), str(r["valid_to"]), r["is_current"]) for r in spark.sql(
        f"SELECT * FROM {rels['silver.customers']} WHERE customer_id = 3 ORDER BY valid_from").collect()]
    assert history == [("grace@example.com", "2024-01-01 08:00:00", "2024-01-02 09:30:00", False),
                       ("grace.hopper@example.com", "2024-01-02 09:30:00", "None", True)]
    assert customers[7]["signup_date"] is None  # 'not-a-date' was rescued in bronze

    rescued = {json.dumps(json.loads(r[0]), sort_keys=True) for r in spark.sql(
        f"SELECT _rescued_data FROM {rels['bronze.customers']} WHERE _rescued_data IS NOT NULL").collect()}
    assert '{"signup_date": "not-a-date"}' in rescued
    assert '{"customer_id": "x8"}' in rescued
    assert any("_corrupt_record" in r and "unexpected-extra-field" in r for r in rescued)
    assert spark.table(rels["bronze.orders"]).where("_rescued_data LIKE '%coupon%'").count() == 1
    raw_lines = sum(1 for p in (demo / "data/retail/orders").glob("*.jsonl") for line in p.open() if line.strip())
    assert spark.table(rels["bronze.orders"]).count() == raw_lines  # no record lost, malformed ones kept

    quarantine = rels["silver.order_lines"] + "__quarantine"
    assert spark.table(quarantine).count() == 1  # the zero-unit line
    rels["silver.order_lines__quarantine"] = quarantine
    before = snapshot(spark, rels, drop=("_ingested_at", "_run_id", "_quarantined_at"))
    assert main(["build", "--project-dir", str(demo)]) == 0
    assert snapshot(spark, rels, drop=("_ingested_at", "_run_id", "_quarantined_at")) == before

    runs = sorted((demo / ".sqlingest" / "runs").glob("*.json"))
    assert len(runs) == 2
    last = json.loads(runs[-1].read_text())
    bronze = {m["name"]: m for m in last["models"]}["bronze.orders"]
    assert bronze["rows_in"] == 0 and bronze["status"] == "success"  # no new files: nothing appended
    first = {m["name"]: m for m in json.loads(runs[0].read_text())["models"]}
    assert first["bronze.customers"]["rows_rescued"] == 3
    assert first["bronze.customers"]["status"] == "warn"  # warn-level not_null on the raw id

    assert main(["test", "--project-dir", str(demo), "--select", "layer:gold"]) == 0


def check_lineage_events(path, rels):
    """The demo build's OpenLineage events (file transport): START then COMPLETE per model with the build's run as
    parent, outputs named by table, column lineage from the compiler."""
    events = [json.loads(line) for line in path.read_text().splitlines()]
    by_job: dict[str, list[str]] = {}
    for e in events:
        by_job.setdefault(e["job"]["name"], []).append(e["eventType"])
    assert {n: by_job.get(n) for n in rels} == {n: ["START", "COMPLETE"] for n in rels}
    [build] = [j for j in by_job if j not in rels]
    assert build.endswith(".build") and by_job[build] == ["START", "COMPLETE"]
    build_run = next(e["run"]["runId"] for e in events if e["job"]["name"] == build)
    assert {e["run"]["facets"]["parent"]["run"]["runId"] for e in events if e["job"]["name"] in rels} == {build_run}
    done = {e["job"]["name"]: e for e in events if e["eventType"] == "COMPLETE"}
    output = done["gold.daily_revenue"]["outputs"][0]
    assert output["name"] == rels["gold.daily_revenue"].split(".", 1)[1]
    revenue = output["facets"]["columnLineage"]["fields"]["revenue"]["inputFields"]
    assert [(f["name"], f["field"]) for f in revenue] == [(rels["silver.order_lines"].split(".", 1)[1], "amount")]


def check_metrics(path):
    """The demo build's Prometheus textfile: parsed with prometheus_client's own parser."""
    from prometheus_client.parser import text_string_to_metric_families

    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(path.read_text()) for s in family.samples}
    rows = {dict(labels)["model"]: value for (name, labels), value in samples.items()
            if name == "sqlingest_model_rows" and dict(labels).get("kind") == "published"}
    assert rows["silver.orders"] == 19 and rows["gold.daily_revenue"] == 3
    quarantined = {dict(labels)["model"]: value for (name, labels), value in samples.items()
                   if name == "sqlingest_model_rows" and dict(labels).get("kind") == "quarantined"}
    assert quarantined["silver.order_lines"] == 1
    assert [v for (name, _), v in samples.items() if name == "sqlingest_run_success"] == [1.0]
