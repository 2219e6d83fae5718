"""The ``jdbc`` source against a real private PostgreSQL: full, incremental by watermark, partitioned, rescued."""

from __future__ import annotations

import json

import psycopg2
import pytest

from sqlingest.cli import main
from sqlingest.errors import UserError
from sqlingest.project import load_project
from sqlingest.sources import load_source

SRC = """
name: crm.customers
layer: source
source:
  format: jdbc
  url: %(url)s
  table: public.customers
  user: %(user)s
  password_secret: crm_pg_password
  watermark: updated_at
  partition_column: id
  lower_bound: 1
  upper_bound: 10
  num_partitions: 2
columns:
  - {name: id, type: bigint, nullable: false}
  - {name: name, type: string}
  - {name: score, type: int}
  - {name: updated_at, type: timestamp}
"""
BRONZE = """
name: crm.customers
layer: bronze
columns:
  - {name: id, type: bigint, nullable: false}
  - {name: name, type: string}
  - {name: score, type: int}
  - {name: updated_at, type: timestamp}
"""
MODEL = "{{ config(materialized='append') }}\nSELECT * FROM {{ source('crm', 'customers') }}\n"


@pytest.fixture(scope="module")
def pg():
    from sqlingest.services.postgres import start_postgres

    service = start_postgres()  # a missing service is a failure, not a skip: `make test` installs what is needed
    yield service
    service.stop()


def sql(pg, *statements):
    with psycopg2.connect(pg.dsn) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.close()


@pytest.fixture
def crm(pg, project, monkeypatch):
    monkeypatch.setenv("SQLINGEST_SECRET_CRM_PG_PASSWORD", pg.password)
    sql(pg, "DROP TABLE IF EXISTS customers",
        "CREATE TABLE customers (id int PRIMARY KEY, name text, score text, updated_at timestamp, note text)",
        "INSERT INTO customers VALUES "
        "(1, 'ann', '10', '2024-01-01 10:00:00', NULL), (2, 'bob', '20', '2024-01-01 11:00:00', NULL), "
        "(3, 'cy', 'lots', '2024-01-02 09:00:00', NULL), (4, 'di', '40', '2024-01-02 09:30:00.5', NULL), "
        "(5, 'ed', NULL, '2024-01-03 00:00:00', NULL)")
    root = project({"contracts/crm/customers.source.yml": SRC % {"url": pg.jdbc_url, "user": pg.user},
                    "contracts/crm/customers.bronze.yml": BRONZE, "models/bronze/customers.sql": MODEL})
    return root


def rel(root):
    return f"lake.{load_project(root).config.layer('bronze').namespace}.customers"


def test_full_then_incremental_by_watermark(lakehouse, pg, crm):
    spark = lakehouse.spark
    assert main(["build", "--project-dir", str(crm)]) == 0
    table = rel(crm)
    rows = {r["id"]: r for r in spark.table(table).collect()}
    assert sorted(rows) == [1, 2, 3, 4, 5]
    assert rows[3]["score"] is None and json.loads(rows[3]["_rescued_data"]) == {"score": "lots"}
    assert rows[1]["score"] == 10 and rows[5]["_rescued_data"] is None
    assert rows[1]["_source_file"].startswith(pg.jdbc_url + "/public.customers#updated_at=2024-01-01 10:00:00")

    # the runner's hook: the high-water mark is max(updated_at) of the table
    source = load_source(load_project(crm).contracts["source:crm.customers"], crm)
    assert source.state_from_table(spark, table) == "2024-01-03 00:00:00"
    plan = source.read(spark, state="2024-01-03 00:00:00").frame._jdf.queryExecution().executedPlan().toString()
    assert "PushedFilters: [*IsNotNull(updated_at), *GreaterThan(updated_at," in plan   # filtered in PostgreSQL

    # nothing new: nothing read
    assert main(["build", "--project-dir", str(crm)]) == 0
    assert spark.table(table).count() == 5

    sql(pg, "UPDATE customers SET score = '21', updated_at = '2024-01-04 08:00:00' WHERE id = 2",
        "UPDATE customers SET note = 'late' WHERE id = 1",  # not a new version: updated_at unchanged
        "INSERT INTO customers VALUES (6, 'fay', '60', '2024-01-04 09:00:00', 'x'), (7, 'gus', '70', "
        "'2024-01-05 00:00:00', NULL)")
    assert main(["build", "--project-dir", str(crm)]) == 0
    got = sorted((r["id"], r["score"]) for r in spark.table(table).collect())
    assert got == [(1, 10), (2, 20), (2, 21), (3, None), (4, 40), (5, None), (6, 60), (7, 70)]
    assert source.state_from_table(spark, table) == "2024-01-05 00:00:00"
    # the undeclared column 'note' is rescued, not dropped
    fay = spark.table(table).where("id = 6").first()
    assert json.loads(fay["_rescued_data"]) == {"note": "x"}


def test_query_source_full_refresh_and_partitions(lakehouse, pg, crm):
    spark = lakehouse.spark
    path = crm / "contracts/crm/customers.source.yml"
    text = path.read_text().replace("table: public.customers", "query: SELECT id, name, score, updated_at "
                                    "FROM customers WHERE id <> 5")
    text = text.replace("  lower_bound: 1\n  upper_bound: 10\n", "")  # bounds asked from the database
    path.write_text(text.replace("  watermark: updated_at\n", ""))
    source = load_source(load_project(crm).contracts["source:crm.customers"], crm)
    read = source.read(spark)
    assert read.frame.rdd.getNumPartitions() == 2
    assert sorted(r["id"] for r in read.frame.collect()) == [1, 2, 3, 4]
    assert {r["_source_file"] for r in read.frame.collect()} == {pg.jdbc_url + "/" + read.inputs[0].rsplit("/")[-1]}


def test_password_only_from_a_secret(pg, crm):
    path = crm / "contracts/crm/customers.source.yml"
    path.write_text(path.read_text().replace("password_secret: crm_pg_password", "password: hunter2"))
    with pytest.raises(UserError, match="literal 'password'") as refused:  # refused when the project loads
        load_project(crm)
    assert refused.value.location is not None and refused.value.location.line == 8
