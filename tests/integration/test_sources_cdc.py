"""Debezium CDC envelopes → bronze rows with a delete flag and an ordering column → a merge model applies them."""

from __future__ import annotations

import json

from sqlingest.cli import main
from sqlingest.project import load_project
from sqlingest.sources import load_source

COLUMNS = """
columns:
  - {name: id, type: bigint}
  - {name: name, type: string}
  - {name: balance, type: "decimal(10,2)"}
  - {name: deleted, type: boolean}
  - {name: lsn, type: bigint}
  - {name: op, type: string}
"""
SRC = """
name: db.accounts
layer: source
source:
  format: debezium
  path: data/*.jsonl
  cdc: {delete_flag: deleted, ordering: lsn, op: op}
""" + COLUMNS
BRONZE = "name: db.accounts\nlayer: bronze\n" + COLUMNS
SILVER = """
name: db.accounts
layer: silver
keys: {business: [id], ordering: lsn}
columns:
  - {name: id, type: bigint, nullable: false, checks: [not_null, unique]}
  - {name: name, type: string}
  - {name: balance, type: "decimal(10,2)"}
  - {name: deleted, type: boolean}
  - {name: lsn, type: bigint}
"""
FILES = {
    "contracts/db/accounts.source.yml": SRC,
    "contracts/db/accounts.bronze.yml": BRONZE,
    "contracts/db/accounts.silver.yml": SILVER,
    "models/bronze/accounts.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('db', 'accounts') }}\n",
    "models/silver/accounts.sql": "{{ config(materialized='merge', delete_flag='deleted') }}\n"
                                  "SELECT id, name, balance, deleted, lsn FROM {{ ref('bronze.accounts') }}\n"
                                  "WHERE id IS NOT NULL\n",
}


def change(op, lsn, before=None, after=None, wrap=False):
    env = {"op": op, "before": before, "after": after, "ts_ms": 1700000000000 + lsn,
           "source": {"connector": "postgresql", "lsn": lsn, "ts_ms": 1700000000000 + lsn}}
    return json.dumps({"schema": {}, "payload": env} if wrap else env)


def acct(i, name, balance):
    return {"id": i, "name": name, "balance": balance}


def test_debezium_files_merge_with_deletes(lakehouse, project):
    spark = lakehouse.spark
    root = project(FILES)
    (root / "data").mkdir()
    (root / "data/001.jsonl").write_text("\n".join([
        change("r", 10, after=acct(1, "ann", "10.00")),
        change("r", 11, after=acct(2, "bob", "20.00")),
        change("r", 12, after=acct(3, "cy", "30.00")),
        change("c", 20, after={**acct(4, "di", "40.00"), "region": "eu"}),   # an undeclared field
        change("u", 21, before=acct(2, "bob", "20.00"), after=acct(2, "bob", "25.50")),
        change("c", 22, after=acct(5, "ed", "lots"), wrap=True),             # a bad value, wrapped envelope
        "{not an envelope",                                                  # malformed
        json.dumps({"op": "x", "after": acct(9, "zz", "0")}),                 # unknown op
    ]) + "\n")
    assert main(["build", "--project-dir", str(root)]) == 0
    bronze = f"lake.{load_project(root).config.layer('bronze').namespace}.accounts"
    silver = f"lake.{load_project(root).config.layer('silver').namespace}.accounts"
    rows = spark.table(bronze).collect()
    assert len(rows) == 8
    bad = sorted(json.loads(r["_rescued_data"])["_corrupt_record"] for r in rows
                 if r["id"] is None)
    assert bad[1] == "{not an envelope" and json.loads(bad[0])["op"] == "x"
    four = next(r for r in rows if r["id"] == 4)
    assert four["op"] == "c" and four["deleted"] is False and four["lsn"] == 20
    assert json.loads(four["_rescued_data"]) == {"region": "eu"}
    five = next(r for r in rows if r["id"] == 5)
    assert five["balance"] is None and json.loads(five["_rescued_data"]) == {"balance": "lots"}
    assert sorted((r["id"], str(r["balance"])) for r in spark.table(silver).collect()) == [
        (1, "10.00"), (2, "25.50"), (3, "30.00"), (4, "40.00"), (5, "None")]

    (root / "data/002.jsonl").write_text("\n".join([
        change("d", 30, before=acct(3, "cy", "30.00")),
        "",  # Debezium tombstone after a delete (an empty line in a file)
        change("u", 31, before=acct(1, "ann", "10.00"), after=acct(1, "ann", "11.00")),
    ]) + "\n")
    assert main(["build", "--project-dir", str(root)]) == 0
    assert spark.table(bronze).count() == 10
    deleted = spark.table(bronze).where("deleted").first()
    assert deleted["id"] == 3 and deleted["op"] == "d" and deleted["name"] == "cy"
    assert sorted((r["id"], str(r["balance"]), r["lsn"]) for r in spark.table(silver).collect()) == [
        (1, "11.00", 31), (2, "25.50", 21), (4, "40.00", 20), (5, "None", 22)]


def test_kafka_debezium_envelope_decodes_with_offsets(lakehouse, project):
    """The kafka source's debezium envelope, on a frame shaped like Spark's Kafka reader (no broker needed)."""
    spark = lakehouse.spark
    src = SRC.replace("format: debezium\n  path: data/*.jsonl", "format: kafka\n  bootstrap_servers: 127.0.0.1:1\n"
                      "  topic: dbz\n  envelope: debezium")
    root = project({"contracts/db/accounts.source.yml": src})
    source = load_source(load_project(root).contracts["source:db.accounts"], root)
    raw = spark.createDataFrame(
        [(b"k1", change("c", 5, after=acct(1, "a", "1.00")).encode(), 0, 7),
         (b"k1", None, 0, 8),                                  # tombstone: skipped
         (b"k2", b"\x00garbage", 1, 3)],
        "key binary, value binary, partition int, offset long",
    ).selectExpr("key", "value", "'dbz' AS topic", "partition", "offset", "current_timestamp() AS timestamp")
    rows = source.decode(raw).orderBy("_source_file").collect()
    assert [r["_source_file"] for r in rows] == ["kafka:dbz/0/7", "kafka:dbz/1/3"]
    assert rows[0]["id"] == 1 and rows[0]["lsn"] == 5 and rows[0]["deleted"] is False
    rescued = json.loads(rows[1]["_rescued_data"])
    assert rescued["_kafka_topic"] == "dbz" and rescued["_kafka_partition"] == "1" and rescued["_kafka_offset"] == "3"
    assert rescued["_kafka_key"] == "k2" and rescued["_corrupt_record"].endswith("garbage")
