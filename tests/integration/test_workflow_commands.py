"""The daily workflow on real Spark tables: ``seed`` (types from the contract, reloaded only when the file changes,
located errors), ``show`` (writes nothing), ``retry`` (only what failed or was skipped), ``--defer`` and
``--empty``. One project, one build sequence, small data."""

from __future__ import annotations

import json
import shutil
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from sqlingest.cli import main
from sqlingest.project import load_project

pytestmark = [pytest.mark.integration, pytest.mark.slow]

UID = uuid.uuid4().hex[:8]
SEED_NS = f"seed_{UID}"
FILES = {
    "data/events_1.csv": "event_id,kind,amount,code\n1,purchase,10.50,US\n2,refund,-2.00,FR\n3,purchase,4.25,US\n",
    "contracts/shop/events.source.yml": """
        name: shop.events
        layer: source
        source: {format: csv, path: data/*.csv}
        columns:
          - {name: event_id, type: bigint}
          - {name: kind, type: string}
          - {name: amount, type: "decimal(10,2)"}
          - {name: code, type: string}
        """,
    "contracts/shop/events.bronze.yml": """
        name: shop.events
        layer: bronze
        columns:
          - {name: event_id, type: bigint}
          - {name: kind, type: string}
          - {name: amount, type: "decimal(10,2)"}
          - {name: code, type: string}
        """,
    "contracts/shop/events.silver.yml": """
        name: shop.events
        layer: silver
        keys: {business: [event_id], ordering: event_id}
        columns:
          - {name: event_id, type: bigint, nullable: false, checks: [not_null, unique]}
          - {name: kind, type: string}
          - {name: amount, type: "decimal(10,2)"}
          - {name: code, type: string}
        """,
    "contracts/seeds/countries.yml": f"""
        name: ref.countries
        layer: seed
        namespace: {SEED_NS}
        columns:
          - {{name: code, type: string, nullable: false}}
          - {{name: name, type: string}}
          - {{name: rate, type: "decimal(4,2)"}}
          - {{name: since, type: date}}
        """,
    "seeds/countries.csv": "code,name,rate,since\nUS,United States,1.00,2020-01-01\nFR,France,0.92,\n",
    "models/bronze/events.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('shop', 'events') }}\n",
    "models/silver/events.sql": "{{ config(materialized='merge') }}\n"
                                "SELECT event_id, kind, amount, code FROM {{ ref('bronze.events') }}\n",
    "models/gold/by_country.sql": "{{ config(materialized='table') }}\n"
                                  "SELECT c.name, CAST(SUM(e.amount * c.rate) AS DECIMAL(20,2)) AS total\n"
                                  "FROM {{ ref('silver.events') }} e JOIN {{ ref('countries') }} c ON e.code = c.code\n"
                                  "GROUP BY c.name\n",
    "models/gold/bad.sql": "{{ config(materialized='table') }}\n"
                           "SELECT CAST(raise_error('boom') AS INT) AS n FROM {{ ref('silver.events') }}\n",
    "models/gold/after_bad.sql": "{{ config(materialized='table') }}\nSELECT n FROM {{ ref('bad') }}\n",
}


def out(capsys) -> list[str]:
    captured = capsys.readouterr()
    return [line.rstrip() for line in (captured.out + captured.err).splitlines()]


def rel(root: Path, layer: str, table: str) -> str:
    return f"lake.{load_project(root).config.layer(layer).namespace}.{table}"


def warehouse_state(lakehouse, root: Path) -> dict[str, tuple[int, int]]:
    """Every file of the warehouse and the catalog database, and the project's run records: (size, mtime)."""
    files = [*Path(lakehouse.warehouse.removeprefix("file:")).rglob("*"),
             Path(lakehouse.sqlite_uri.removeprefix("jdbc:sqlite:")), *(root / ".sqlingest" / "runs").glob("*")]
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.is_file()}


def test_seed_show_retry_empty_defer(lakehouse, project, tmp_path, capsys):
    spark = lakehouse.spark
    root = project(FILES, name="prod")
    d = ["--project-dir", str(root)]
    seed_rel = f"lake.{SEED_NS}.countries"

    # -- seed: typed by the contract, loaded once, reloaded when the file changes ------------------------------
    assert main(["seed", *d]) == 0
    assert any("countries seed" in line and "OK" in line and "2 rows" in line for line in out(capsys))
    assert [(f.name, f.dataType.simpleString(), f.nullable) for f in spark.table(seed_rel).schema] == [
        ("code", "string", False), ("name", "string", True), ("rate", "decimal(4,2)", True),
        ("since", "date", True)]
    rows = {r["code"]: r for r in spark.table(seed_rel).collect()}
    assert rows["FR"]["rate"] == Decimal("0.92") and rows["FR"]["since"] is None
    assert rows["US"]["since"].isoformat() == "2020-01-01"
    snapshots = spark.sql(f"SELECT COUNT(*) FROM {seed_rel}.snapshots").first()[0]
    assert main(["seed", *d]) == 0
    assert any("countries seed" in line and "unchanged" in line for line in out(capsys))
    assert spark.sql(f"SELECT COUNT(*) FROM {seed_rel}.snapshots").first()[0] == snapshots  # nothing written
    csv = root / "seeds" / "countries.csv"
    csv.write_text(csv.read_text() + "DE,Germany,0.95,2021-06-01\n")
    assert main(["seed", *d]) == 0
    assert any("3 rows" in line for line in out(capsys))
    assert spark.table(seed_rel).count() == 3
    good = csv.read_text()
    csv.write_text(good + "IT,Italy,abc,2022-01-01\n,Nowhere,1.00,\n")
    assert main(["seed", *d]) == 2
    errors = out(capsys)
    assert "error: seeds/countries.csv:5:10: value 'abc' does not fit column 'rate' (DECIMAL(4,2))" in errors[0]
    assert any("seeds/countries.csv:6:1: NULL in NOT NULL column 'code'" in line for line in errors)
    assert spark.table(seed_rel).count() == 3  # nothing written
    csv.write_text(good)

    # -- build: a model fails, its dependant is skipped ---------------------------------------------------------
    assert main(["build", *d, "--vars", "{x: 1}"]) == 1
    lines = out(capsys)
    assert any("gold.bad" in line and "FAIL" in line for line in lines)
    assert any("gold.after_bad" in line and "SKIP" in line for line in lines)
    by_country = rel(root, "gold", "by_country")
    assert sorted((r["name"], str(r["total"])) for r in spark.table(by_country).collect()) == [
        ("France", "-1.84"), ("United States", "14.75")]

    # -- show: the query's rows, nothing written ------------------------------------------------------------------
    before = warehouse_state(lakehouse, root)
    assert main(["show", *d, "gold.by_country", "--limit", "5"]) == 0
    lines = out(capsys)
    assert lines[0].split() == ["name", "total"]
    assert sorted(line.split(None, 1)[0] for line in lines[2:4]) == ["France", "United"]
    assert lines[-1] == "2 row(s)"
    assert main(["show", *d, "--inline",
                 "SELECT code, rate FROM {{ ref('countries') }} WHERE rate < 1 ORDER BY code", "--limit", "1"]) == 0
    assert out(capsys) == ["code   rate", "───────────", "DE     0.95", "1 row(s) (--limit 1)"]
    assert main(["show", *d, "bronze.events"]) == 0  # a bronze model's query reads its source
    lines = out(capsys)
    assert len([line for line in lines if line.endswith("/data/events_1.csv")]) == 3 and lines[-1] == "3 row(s)"
    assert warehouse_state(lakehouse, root) == before

    # -- retry: the fixed model and its skipped dependant, with the last run's options ---------------------------
    (root / "models" / "gold" / "bad.sql").write_text(
        "{{ config(materialized='table') }}\nSELECT CAST(event_id AS INT) AS n FROM {{ ref('silver.events') }}\n")
    assert main(["retry", *d]) == 0
    lines = out(capsys)
    assert lines[0].startswith("retrying 2 model(s) of run ") and lines[0].endswith("(build): gold.bad, gold.after_bad")
    runs = sorted((root / ".sqlingest" / "runs").glob("*.json"))
    record = json.loads(runs[-1].read_text())
    assert [(m["name"], m["status"]) for m in record["models"]] == [("gold.bad", "success"),
                                                                    ("gold.after_bad", "success")]
    assert record["options"]["vars"] == "{x: 1}" and record["options"]["retry_of"] == runs[-2].stem
    assert spark.table(rel(root, "gold", "after_bad")).count() == 3
    assert main(["retry", *d]) == 0
    assert out(capsys)[0].startswith("nothing to retry: run ")

    # -- --empty: DDL and SQL on the target, zero rows read ----------------------------------------------------
    (root / "data" / "events_2.csv").write_text("event_id,kind,amount,code\n4,purchase,1.00,US\n")
    (root / "models" / "gold" / "fresh.sql").write_text(
        "{{ config(materialized='table') }}\nSELECT kind, COUNT(*) AS n FROM {{ ref('silver.events') }} GROUP BY kind\n")
    assert main(["build", *d, "--empty"]) == 0
    assert spark.table(rel(root, "bronze", "events")).count() == 3  # the new file was not read
    assert spark.table(by_country).count() == 2  # an existing table keeps its rows
    fresh = rel(root, "gold", "fresh")
    assert spark.table(fresh).count() == 0 and spark.table(fresh).columns == ["kind", "n"]
    assert main(["build", *d, "--select", "bronze.events"]) == 0  # the file is still new to a real build
    assert spark.table(rel(root, "bronze", "events")).count() == 4
    out(capsys)

    # -- --defer: a dev project builds one model reading prod's tables for its unselected parents --------------
    assert main(["compile", *d]) == 0
    state = tmp_path / "prod-state"
    shutil.copytree(root / "target", state)
    dev = project(FILES, name="dev")
    dev_gold = rel(dev, "gold", "by_country")
    assert main(["build", "--project-dir", str(dev), "--select", "gold.by_country", "--defer",
                 "--state", str(state)]) == 0
    compiled = [line for line in out(capsys) if "OK" in line]
    assert len(compiled) == 1 and "gold.by_country" in compiled[0]
    assert not spark.catalog.tableExists(rel(dev, "silver", "events"))  # read from prod instead
    assert sorted(r["name"] for r in spark.table(dev_gold).collect()) == ["France", "United States"]
