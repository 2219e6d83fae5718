"""Check actions on real tables: fail restores, quarantine keeps rows aside, drop counts, warn keeps;
rows in = published + quarantined + dropped on every run."""

from __future__ import annotations

import json
import uuid

from sqlingest.cli import main
from sqlingest.project import load_project

SOURCE = """
name: q.events
layer: source
source: {format: csv, path: data/*.csv}
columns:
  - {name: id, type: bigint}
  - {name: kind, type: string}
  - {name: amount, type: int}
"""
DATA = "id,kind,amount\n1,buy,10\n2,buy,-5\n3,sell,7\n4,oops,3\n5,buy,\n6,sell,2000\n"


def files(checks: str) -> dict[str, str]:
    return {
        "contracts/q/events.source.yml": SOURCE,
        "contracts/q/events.gold.yml": (
            "name: q.events\nlayer: gold\ncolumns:\n  - {name: id, type: bigint}\n"
            "  - {name: kind, type: string}\n  - {name: amount, type: int}\nchecks:\n" + checks),
        "models/bronze/raw.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('q', 'events') }}\n",
        "models/gold/events.sql": "{{ config(materialized='append') }}\n"
                                  "SELECT id, kind, amount FROM {{ ref('bronze.raw') }}"
                                  "{% if is_incremental() %} WHERE _run_id = '{{ run_id }}'{% endif %}\n",
        "data/a.csv": DATA,
    }


def last_run(root):
    runs = sorted((root / ".sqlingest" / "runs").glob("*.json"))
    return {m["name"]: m for m in json.loads(runs[-1].read_text())["models"]}


def table(root, layer="gold", name="events"):
    return f"lake.{load_project(root).config.layer(layer).namespace}.{name}"


def assert_invariant(model):
    assert model["rows_in"] == model["rows_written"] + model["rows_quarantined"] + model["rows_dropped"]


def test_quarantine_drop_and_warn_in_one_pass(lakehouse, project, capsys):
    spark = lakehouse.spark
    checks = ("  - {type: accepted_values, column: kind, values: [buy, sell], action: quarantine}\n"
              "  - {type: range, column: amount, min: 0, action: drop}\n"
              "  - {type: not_null, column: amount, severity: warn}\n"
              "  - {type: range, column: amount, max: 1000, action: quarantine}\n")
    root = project(files(checks))
    assert main(["build", "--project-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "warn accepted_values(kind): 1 row has kind outside [buy, sell] (quarantined)" in out, out
    assert "warn range(amount): 1 row has amount below 0 (dropped)" in out, out
    gold = last_run(root)["gold.events"]
    assert (gold["rows_in"], gold["rows_written"], gold["rows_quarantined"], gold["rows_dropped"]) == (6, 3, 2, 1)
    assert_invariant(gold)
    assert sorted(r[0] for r in spark.table(table(root)).select("id").collect()) == [1, 3, 5]
    q = {r["_row"]: r for r in spark.table(table(root) + "__quarantine").collect()}
    assert {json.loads(k)["id"] for k in q} == {4, 6}
    failed = {json.loads(k)["id"]: list(r["_failed_checks"]) for k, r in q.items()}
    assert failed == {4: ["accepted_values(kind)"], 6: ["range(amount)"]}
    assert all(r["_run_id"] for r in q.values())
    outcomes = {c["name"] + str(c["action"]): (c["outcome"], c["value"]) for c in gold["checks"]}
    assert outcomes["not_null(amount)warn"] == ("warn", 1)
    assert outcomes["range(amount)drop"] == ("warn", 1)


def test_fail_action_publishes_nothing(lakehouse, project, capsys):
    spark = lakehouse.spark
    root = project(files("  - {type: range, column: amount, min: 0}\n"))
    (root / "data/a.csv").write_text("id,kind,amount\n1,buy,10\n")
    assert main(["build", "--project-dir", str(root)]) == 0
    (root / "data/b.csv").write_text("id,kind,amount\n2,buy,-5\n3,buy,4\n")
    assert main(["build", "--project-dir", str(root)]) == 1
    out = capsys.readouterr().out
    assert "nothing was published" in out, out
    assert [r[0] for r in spark.table(table(root)).select("id").collect()] == [1]
    assert last_run(root)["gold.events"]["status"] == "error"


def test_threshold_percent_tolerates_some_failures(lakehouse, project):
    root = project(files("  - {type: range, column: amount, min: 0, threshold: '20%'}\n"))
    assert main(["build", "--project-dir", str(root)]) == 0  # 1 of 6 rows below 0: 16.7% <= 20%
    checks = last_run(root)["gold.events"]["checks"]
    assert checks[0]["outcome"] == "pass" and checks[0]["value"] == 16.67  # a percentage threshold measures a share


def test_dataset_check_failure_restores_previous_version(lakehouse, project):
    spark = lakehouse.spark
    root = project(files("  - {type: unique, column: id}\n"))
    (root / "data/a.csv").write_text("id,kind,amount\n1,buy,10\n")
    assert main(["build", "--project-dir", str(root)]) == 0
    (root / "data/b.csv").write_text("id,kind,amount\n1,buy,11\n")
    assert main(["build", "--project-dir", str(root)]) == 1
    assert [tuple(r) for r in spark.table(table(root)).select("id", "amount").collect()] == [(1, 10)]


def test_runs_and_check_results_are_recorded_in_the_lakehouse(lakehouse, project):
    spark = lakehouse.spark
    root = project(files("  - {type: accepted_values, column: kind, values: [buy, sell], action: quarantine}\n"))
    assert main(["build", "--project-dir", str(root)]) == 0
    run_id = json.loads(max((root / ".sqlingest" / "runs").glob("*.json")).read_text())["run_id"]
    runs = {r["model"]: r for r in spark.sql(
        f"SELECT * FROM lake.sqlingest_meta.model_runs WHERE run_id = '{run_id}'").collect()}
    assert set(runs) == {"bronze.raw", "gold.events"}
    assert (runs["gold.events"]["rows_in"], runs["gold.events"]["rows_quarantined"]) == (6, 1)
    assert runs["gold.events"]["write_strategy"] is None  # chosen per run by scd2 models only
    checks = spark.sql(f"SELECT check_name, outcome, value FROM lake.sqlingest_meta.check_results "
                       f"WHERE run_id = '{run_id}'").collect()
    assert [tuple(c) for c in checks] == [("accepted_values(kind)", "warn", 1.0)]


def test_a_run_table_of_an_older_release_gains_the_new_columns(lakehouse, monkeypatch):
    """model_runs as an older sqlingest created it (no write_strategy, no rows_deduplicated): the columns are added,
    then the run appended."""
    from sqlingest.catalogs.iceberg import IcebergJdbcCatalog
    from sqlingest.project.config import CatalogConfig
    from sqlingest.runs import ModelResult, RunRecord, tables

    spark = lakehouse.spark
    monkeypatch.setattr(tables, "META_NAMESPACE", "meta_" + uuid.uuid4().hex[:8])
    catalog = IcebergJdbcCatalog(CatalogConfig(type="iceberg_jdbc", name="lake"), lakehouse.root, lakehouse.root)
    old = tables.MODEL_RUNS.replace(", write_strategy STRING, rows_deduplicated BIGINT", "")
    assert "write_strategy" not in old and "rows_deduplicated" not in old
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS lake.{tables.META_NAMESPACE}")
    spark.sql(f"CREATE TABLE {tables.run_table(catalog, 'model_runs')} ({old}) USING iceberg")
    record = RunRecord("r1", "build", "dev", "2026-11-30T00:00:00", "2026-11-30T00:00:01", "success",
                       [ModelResult("silver.c", "lake.s.c", "scd2", "success", write_strategy="rewrite (why)",
                                    rows_deduplicated=2)])
    tables.write_run(spark, record, catalog=catalog, fmt="iceberg")
    rows = spark.sql(f"SELECT model, write_strategy, rows_deduplicated FROM "
                     f"{tables.run_table(catalog, 'model_runs')}").collect()
    assert [tuple(r) for r in rows] == [("silver.c", "rewrite (why)", 2)]


def test_anomaly_check_fires_on_a_volume_drop(lakehouse, project):
    spark = lakehouse.spark
    root = project(files("  - {type: anomaly, metric: rows_in, window: 5, min_history: 3, severity: warn}\n"))
    (root / "data/a.csv").unlink()
    for batch in range(4):
        rows = "".join(f"{batch * 100 + i},buy,{i}\n" for i in range(20 + batch))
        (root / f"data/b{batch}.csv").write_text("id,kind,amount\n" + rows)
        assert main(["build", "--project-dir", str(root)]) == 0
        check = last_run(root)["gold.events"]["checks"][0]
        assert check["outcome"] == "pass", check
    (root / "data/b9.csv").write_text("id,kind,amount\n999,buy,1\n")
    assert main(["build", "--project-dir", str(root)]) == 0  # warn severity: reported, not failed
    check = last_run(root)["gold.events"]["checks"][0]
    assert check["outcome"] == "warn" and "outside" in check["message"] and check["value"] == 1
    assert spark.table(table(root)).count() == 20 + 21 + 22 + 23 + 1


def test_quarantine_fix_replay_publishes_each_row_once(lakehouse, project, capsys):
    spark = lakehouse.spark
    checks = "  - {type: accepted_values, column: kind, values: [buy, sell], action: quarantine}\n"
    root = project(files(checks))
    assert main(["build", "--project-dir", str(root)]) == 0
    quarantine = table(root) + "__quarantine"
    assert spark.table(quarantine).count() == 1  # id 4, kind 'oops'
    # nothing changed yet: replay keeps the row in quarantine
    assert main(["replay", "--project-dir", str(root), "gold.events"]) == 0
    assert spark.table(quarantine).count() == 1 and spark.table(table(root)).count() == 5
    # the fix: 'oops' becomes an accepted kind
    contract = root / "contracts/q/events.gold.yml"
    contract.write_text(contract.read_text().replace("[buy, sell]", "[buy, sell, oops]"))
    assert main(["replay", "--project-dir", str(root), "gold.events"]) == 0
    assert "1 published" in capsys.readouterr().out
    assert spark.table(quarantine).count() == 0
    ids = sorted(r[0] for r in spark.table(table(root)).select("id").collect())
    assert ids == [1, 2, 3, 4, 5, 6]
    assert main(["replay", "--project-dir", str(root), "gold.events"]) == 0
    assert sorted(r[0] for r in spark.table(table(root)).select("id").collect()) == ids


def test_row_checks_add_no_spark_jobs(lakehouse, project):
    """Row checks are fused into the write: ten of them cost the same Spark jobs as none."""
    few = "  - {type: row_count, min: 1}\n"
    many = few + "".join(f"  - {{type: range, column: amount, min: -{i}, severity: warn}}\n" for i in range(6)) + \
        "  - {type: not_null, column: id, severity: warn}\n  - {type: regex, column: kind, pattern: '^[a-z]+$'}\n" + \
        "  - {type: length, column: kind, max: 10, action: drop}\n"
    jobs = {}
    for label, checks in (("few", few), ("many", many)):
        root = project(files(checks), name=label)
        assert main(["build", "--project-dir", str(root)]) == 0
        assert main(["build", "--project-dir", str(root), "--full-refresh", "--select", "gold.events"]) == 0
        jobs[label] = last_run(root)["gold.events"]["spark_jobs"]
    assert jobs["few"] == jobs["many"], jobs


def test_every_remaining_check_type_on_spark(lakehouse, project):
    """length, expression (fused) and freshness, sql_metric, sodacl, relationships, primary_key (Soda): exact values."""
    checks = (
        "  - {type: length, column: kind, max: 3, severity: warn}\n"              # "oops" and two "sell" (length 4) fail
        "  - {type: expression, expression: 'amount < 1000', severity: warn}\n"   # 2000 fails; NULL passes
        "  - {type: freshness, column: seen, max: 1d, severity: warn}\n"           # 2001 is stale
        "  - {type: sql_metric, name: big_amounts, query: 'SELECT COUNT(*) FROM {table} WHERE amount > 100',"
        " max: 0, severity: warn}\n"
        "  - {type: sodacl, sodacl: {'max(amount) < 5000': {name: max_amount}}}\n"
        "  - {type: primary_key, columns: [id]}\n"
        "  - {type: relationships, column: id, to: 'bronze:q.raw', field: id}\n"
    )
    spec = files(checks)
    spec["contracts/q/events.gold.yml"] = spec["contracts/q/events.gold.yml"].replace(
        "  - {name: amount, type: int}\n", "  - {name: amount, type: int}\n  - {name: seen, type: timestamp}\n")
    spec["contracts/q/raw.bronze.yml"] = ("name: q.raw\nlayer: bronze\ncolumns:\n  - {name: id, type: bigint}\n"
                                         "  - {name: kind, type: string}\n  - {name: amount, type: int}\n")
    spec["models/gold/events.sql"] = spec["models/gold/events.sql"].replace(
        "SELECT id, kind, amount", "SELECT id, kind, amount, TIMESTAMP '2001-01-01 00:00:00' AS seen")
    root = project(spec)
    assert main(["build", "--project-dir", str(root)]) == 0
    results = {c["name"]: (c["outcome"], c["value"]) for c in last_run(root)["gold.events"]["checks"]}
    assert results["length(kind)"] == ("warn", 3)
    assert results["expression(table)"] == ("warn", 1)
    assert results["freshness(seen)"][0] == "warn"  # stale, but only a warning
    assert results["big_amounts"] == ("warn", 1)
    assert results["sodacl(table)"][0] == "pass"
    assert results["primary_key(id)"][0] == "pass"
    assert results["relationships(id)"][0] == "pass"
