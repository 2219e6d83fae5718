"""Sources, contracts, materializations and checks on real Spark tables."""

from __future__ import annotations

import json

import pytest

from sqlingest.cli import main
from sqlingest.project import load_project

SRC = """
name: s.items
layer: source
source: {format: %(fmt)s, path: data/*.%(ext)s}
columns:
  - {name: id, type: bigint}
  - {name: qty, type: int}
  - {name: price, type: "decimal(6,2)"}
  - {name: seen, type: date}
"""
BRONZE = """
name: s.items
layer: bronze
columns:
  - {name: id, type: bigint}
  - {name: qty, type: int}
  - {name: price, type: "decimal(6,2)"}
  - {name: seen, type: date}
"""
BRONZE_MODEL = "{{ config(materialized='append') }}\nSELECT * FROM {{ source('s', 'items') }}\n"


def ns(root, layer):
    return f"lake.{load_project(root).config.layer(layer).namespace}"


def rescued(spark, rel):
    return sorted(json.dumps(json.loads(r[0]), sort_keys=True) for r in
                  spark.sql(f"SELECT _rescued_data FROM {rel} WHERE _rescued_data IS NOT NULL").collect())


def test_parquet_source_is_conformed_and_rescued(lakehouse, project, tmp_path):
    spark = lakehouse.spark
    root = project({"contracts/s/items.source.yml": SRC % {"fmt": "parquet", "ext": "parquet"},
                    "contracts/s/items.bronze.yml": BRONZE, "models/bronze/items.sql": BRONZE_MODEL})
    (root / "data").mkdir()
    spark.createDataFrame(
        [(1, 2, "1.50", "2024-01-01", "x"), (2, 3000000000, "99999.99", "bad", "y")],
        "id long, qty long, price string, seen string, extra string",
    ).coalesce(1).write.parquet(str(root / "data" / "part"))
    for f in (root / "data" / "part").glob("*.parquet"):
        f.rename(root / "data" / f.name)
    assert main(["build", "--project-dir", str(root)]) == 0
    rel = f"{ns(root, 'bronze')}.items"
    rows = {r["id"]: r for r in spark.table(rel).collect()}
    assert rows[1]["qty"] == 2 and str(rows[1]["price"]) == "1.50" and rows[1]["seen"].isoformat() == "2024-01-01"
    assert rows[2]["qty"] is None and rows[2]["price"] is None and rows[2]["seen"] is None
    assert rescued(spark, rel) == [
        json.dumps({"extra": "x"}),
        json.dumps({"extra": "y", "price": "99999.99", "qty": "3000000000", "seen": "bad"}, sort_keys=True),
    ]


def test_incremental_file_feed_reads_only_new_files(lakehouse, project):
    spark = lakehouse.spark
    root = project({"contracts/s/items.source.yml": SRC % {"fmt": "csv", "ext": "csv"},
                    "contracts/s/items.bronze.yml": BRONZE, "models/bronze/items.sql": BRONZE_MODEL,
                    "data/a.csv": "id,qty,price,seen\n1,1,1.00,2024-01-01\n2,2,2.00,2024-01-02\n"})
    rel = f"{ns(root, 'bronze')}.items"
    assert main(["build", "--project-dir", str(root)]) == 0
    assert main(["build", "--project-dir", str(root)]) == 0
    assert spark.table(rel).count() == 2
    (root / "data/b.csv").write_text("id,qty,price,seen\n3,3,3.00,2024-01-03\n")
    assert main(["build", "--project-dir", str(root)]) == 0
    assert sorted(r[0] for r in spark.table(rel).select("id").collect()) == [1, 2, 3]
    files = {r[0].rsplit("/", 1)[1] for r in spark.table(rel).select("_source_file").collect()}
    assert files == {"a.csv", "b.csv"}


STRICT = {
    "contracts/s/items.source.yml": SRC % {"fmt": "csv", "ext": "csv"},
    "contracts/s/items.bronze.yml": BRONZE,
    "models/bronze/items.sql": BRONZE_MODEL,
    "data/a.csv": "id,qty,price,seen\n1,1,1.00,2024-01-01\n1,5,1.50,2024-01-02\n2,2,oops,2024-01-02\n",
    "contracts/s/items.silver.yml": """
        name: s.items
        layer: silver
        keys: {business: [id], ordering: seen}
        columns:
          - {name: id, type: bigint, nullable: false, checks: [not_null, unique]}
          - {name: qty, type: int, checks: [{range: {min: 0, max: 3}}]}
          - {name: price, type: "decimal(6,2)"}
          - {name: seen, type: date}
    """,
    "models/silver/items.sql": ("{{ config(materialized='merge') }}\n"
                                "SELECT id, qty, price, seen FROM {{ ref('bronze.items') }}\n"),
}


def test_merge_dedupes_by_ordering_and_upserts(lakehouse, project):
    spark = lakehouse.spark
    files = dict(STRICT)
    files["contracts/s/items.silver.yml"] = files["contracts/s/items.silver.yml"].replace("max: 3", "max: 9")
    root = project(files)
    assert main(["build", "--project-dir", str(root)]) == 0
    rel = f"{ns(root, 'silver')}.items"
    assert sorted(tuple(r) for r in spark.table(rel).select("id", "qty").collect()) == [(1, 5), (2, 2)]
    (root / "data/b.csv").write_text("id,qty,price,seen\n2,7,2.00,2024-01-05\n3,1,3.00,2024-01-05\n")
    assert main(["build", "--project-dir", str(root)]) == 0
    assert sorted(tuple(r) for r in spark.table(rel).select("id", "qty").collect()) == [(1, 5), (2, 7), (3, 1)]


def test_failing_check_fails_the_build_and_test(lakehouse, project, capsys):
    root = project(STRICT)
    assert main(["build", "--project-dir", str(root)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "range(qty)" in out
    assert lakehouse.spark.table(f"{ns(root, 'silver')}.items").count() == 0  # nothing was published
    assert main(["run", "--project-dir", str(root), "--select", "silver.items"]) == 0  # `run` skips checks
    assert main(["test", "--project-dir", str(root), "--select", "silver.items"]) == 1
    assert main(["test", "--project-dir", str(root), "--select", "bronze.items"]) == 0


def test_strict_layer_type_mismatch_fails_before_writing(lakehouse, project, capsys):
    files = dict(STRICT)
    files["models/silver/items.sql"] = ("{{ config(materialized='merge') }}\n"
                                        "SELECT id, qty, CAST(price AS DECIMAL(12, 4)) AS price, seen "
                                        "FROM {{ ref('bronze.items') }}\n")
    root = project(files)
    # the compiler proves it before anything runs: decimal(12,4) does not fit decimal(6,2) without loss
    assert main(["build", "--project-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert "models/silver/items.sql:2:17: column 'price' is decimal(12,4) but contract s.items declares decimal(6,2)" \
        in err
    assert not lakehouse.spark.catalog.tableExists(f"{ns(root, 'silver')}.items")


def test_downstream_of_a_failure_is_skipped(lakehouse, project, capsys):
    files = {**STRICT, "models/gold/total.sql": "SELECT COUNT(*) AS n FROM {{ ref('silver.items') }}\n"}
    root = project(files)
    assert main(["build", "--project-dir", str(root)]) == 1
    out = capsys.readouterr().out
    assert "SKIP" in out and "upstream failed: silver.items" in out


@pytest.mark.parametrize("fmt", ["delta", "parquet"])
def test_session_catalog_formats(lakehouse, project, fmt):
    files = {
        "contracts/s/items.source.yml": SRC % {"fmt": "csv", "ext": "csv"},
        "contracts/s/items.bronze.yml": BRONZE,
        "models/bronze/items.sql": BRONZE_MODEL,
        "data/a.csv": "id,qty,price,seen\n1,1,1.00,2024-01-01\n2,2,2.00,2024-01-02\n",
        "models/gold/totals.sql": "{{ config(materialized='table') }}\nSELECT SUM(qty) AS qty FROM {{ ref('bronze.items') }}\n",
    }
    root = project(files, format=fmt, catalog="spark_session")
    assert main(["build", "--project-dir", str(root)]) == 0
    assert main(["build", "--project-dir", str(root)]) == 0
    prefix = f"spark_catalog.{load_project(root).config.layer('gold').namespace}"
    assert lakehouse.spark.table(f"{prefix}.totals").collect()[0]["qty"] == 3
    provider = lakehouse.spark.sql(f"DESCRIBE TABLE EXTENDED {prefix}.totals").where("col_name = 'Provider'")
    assert provider.collect()[0]["data_type"].lower() == fmt


def test_view_materialization(lakehouse, project):
    files = {**STRICT, "models/gold/v.sql": "{{ config(materialized='view') }}\nSELECT id FROM {{ ref('bronze.items') }}\n"}
    files["contracts/s/items.silver.yml"] = files["contracts/s/items.silver.yml"].replace("max: 3", "max: 9")
    root = project(files)
    assert main(["build", "--project-dir", str(root)]) == 0
    assert lakehouse.spark.table(f"{ns(root, 'gold')}.v").count() == 3


def test_new_contract_column_is_added_in_place_and_incompatible_change_is_refused(lakehouse, project, capsys):
    spark = lakehouse.spark
    files = dict(STRICT)
    files["contracts/s/items.silver.yml"] = files["contracts/s/items.silver.yml"].replace("max: 3", "max: 9")
    root = project(files)
    assert main(["build", "--project-dir", str(root)]) == 0
    rel = f"{ns(root, 'silver')}.items"
    contract = root / "contracts/s/items.silver.yml"
    contract.write_text(contract.read_text().replace(
        "  - {name: price, type: \"decimal(6,2)\"}",
        "  - {name: price, type: \"decimal(6,2)\"}\n  - {name: qty2, type: bigint}"))
    model = root / "models/silver/items.sql"
    model.write_text(model.read_text().replace("price, seen", "price, CAST(qty * 2 AS BIGINT) AS qty2, seen"))
    capsys.readouterr()
    assert main(["compile", "--project-dir", str(root), "--live"]) == 0  # pyiceberg, no JVM
    assert "evolve in place: ADD COLUMN `qty2` BIGINT AFTER `price`" in capsys.readouterr().out
    assert main(["build", "--project-dir", str(root)]) == 0
    assert spark.table(rel).columns == ["id", "qty", "price", "qty2", "seen"]
    assert spark.table(rel).where("id = 1").collect()[0]["qty2"] == 10
    contract.write_text(contract.read_text().replace("{name: qty, type: int, checks: [{range: {min: 0, max: 9}}]}",
                                                     "{name: qty, type: string}"))
    model.write_text(model.read_text().replace("SELECT id, qty,", "SELECT id, CAST(qty AS STRING) AS qty,"))
    capsys.readouterr()
    assert main(["compile", "--project-dir", str(root), "--live"]) == 2
    assert "incompatible: needs ALTER TABLE" in capsys.readouterr().out
    assert main(["build", "--project-dir", str(root)]) == 1
    out = capsys.readouterr().out
    assert "cannot be applied in place" in out and "ALTER COLUMN `qty` TYPE STRING (from int)" in out
    assert dict(spark.table(rel).dtypes)["qty"] == "int"
