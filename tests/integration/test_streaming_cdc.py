"""Debezium CDC on Kafka streamed into scd1 (upsert) and scd2 (history) silver tables with ``config(streaming=true)``:
the batch materializations' own templates applied per micro-batch, late and out-of-order events resolved by the
ordering column across batches, deletes and tombstones honoured, replays skipped by batch id, kill -9 safe."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest

from sqlingest.cli import main
from sqlingest.project import load_project
from sqlingest.runs import list_runs
from tests.integration.test_streaming import _stream_until

COLUMNS = """
columns:
  - {name: id, type: bigint%(id)s}
  - {name: name, type: string}
  - {name: balance, type: "decimal(10,2)"}
  - {name: deleted, type: boolean}
  - {name: lsn, type: bigint}
"""
SRC = """
name: db.accounts
layer: source
source:
  format: kafka
  bootstrap_servers: %(bootstrap)s
  topic: %(topic)s
  envelope: debezium
  max_offsets_per_trigger: 4
  cdc: {delete_flag: deleted, ordering: lsn}
""" + COLUMNS % {"id": ""}
SILVER = "name: db.%(name)s\nlayer: silver\nkeys: {business: [id], ordering: lsn}\n" + COLUMNS
MODEL = ("{{ config(materialized='%(kind)s', streaming=true, delete_flag='deleted'%(extra)s) }}\n"
         "SELECT id, name, balance, deleted, lsn FROM {{ source('db', 'accounts') }}\n")


def change(op: str, i: int, lsn: int, name: str = "", balance: float = 0.0) -> dict:
    image = {"id": i, "name": name, "balance": balance}
    return {"op": op, "before": image if op == "d" else None, "after": None if op == "d" else image,
            "source": {"lsn": lsn, "ts_ms": 1_700_000_000_000 + lsn}, "ts_ms": 1_700_000_000_000 + lsn}


def send(broker, topic: str, events: list[dict | None]) -> None:
    """Produce ``events`` keyed by their row's id, as Debezium does (a tombstone has its delete's key)."""
    keys: list[dict] = []
    for e in events:
        keys.append({"id": (e["after"] or e["before"])["id"]} if e else keys[-1])
    assert broker.produce(topic, events, keys=keys) == len(events)


FIRST = [change("c", 1, 1, "a", 10), change("c", 2, 2, "b", 20), change("c", 3, 3, "c", 30),
         change("u", 1, 4, "a", 11), change("d", 2, 5, "b", 20), None,             # a delete, then its tombstone
         change("u", 3, 7, "c", 31)]
SECOND = [change("u", 3, 6, "c", 29),                                              # late: older than lsn 7
          change("u", 1, 8, "a", 12), change("u", 1, 8, "a", 12),                  # delivered twice
          change("c", 2, 9, "b2", 25), change("c", 4, 10, "d", 40), change("d", 4, 11, "d", 40)]
#: scd1 after FIRST + SECOND: the latest version per key by lsn; the late lsn 6 never overwrote lsn 7
LATEST = {(1, "a", 12.0, 8), (2, "b2", 25.0, 9), (3, "c", 31.0, 7)}
#: scd2 after FIRST + SECOND: (id, balance, valid_from lsn, valid_to lsn); the late lsn 6 sits between 3 and 7
HISTORY = {(1, 10.0, 1, 4), (1, 11.0, 4, 8), (1, 12.0, 8, None), (2, 20.0, 2, 5), (2, 25.0, 9, None),
           (3, 30.0, 3, 6), (3, 29.0, 6, 7), (3, 31.0, 7, None), (4, 40.0, 10, 11)}


def make(project, broker, fmt: str) -> tuple[Path, str, dict[str, str]]:
    topic = "cdc_" + uuid.uuid4().hex[:8]
    broker.create_topic(topic, partitions=1)
    files = {"contracts/db/accounts.source.yml": SRC % {"bootstrap": broker.bootstrap, "topic": topic}}
    for name, kind, extra in (("accounts", "scd1", ""), ("account_history", "scd2", "")):
        checks = ", nullable: false, checks: [not_null" + (", unique]" if kind == "scd1" else "]")
        files[f"contracts/db/{name}.silver.yml"] = SILVER.replace("%(id)s", checks) % {"name": name}
        files[f"models/silver/{name}.sql"] = MODEL % {"kind": kind, "extra": extra}
    root = project(files, format=fmt, catalog="spark_session" if fmt == "delta" else "iceberg_jdbc")
    ns = load_project(root).config.layer("silver").namespace
    prefix = f"lake.{ns}." if fmt == "iceberg" else f"{ns}."
    return root, topic, {"scd1": prefix + "accounts", "scd2": prefix + "account_history"}


def latest(spark, rel: str) -> set[tuple]:
    rows = spark.table(rel).collect()
    assert not any(r["deleted"] for r in rows)
    return {(r["id"], r["name"], float(r["balance"]), r["lsn"]) for r in rows}


def history(spark, rel: str) -> set[tuple]:
    def lsn(ts: datetime | None) -> int | None:
        return None if ts is None else int(spark.sql(f"SELECT unix_seconds(TIMESTAMP'{ts}')").collect()[0][0])

    rows = spark.table(rel).collect()
    assert sum(r["is_current"] for r in rows) == 3 and all(r["is_current"] == (r["valid_to"] is None) for r in rows)
    assert len(rows) == len({(r["id"], r["valid_from"]) for r in rows})            # no version twice
    return {(r["id"], float(r["balance"]), lsn(r["valid_from"]), lsn(r["valid_to"])) for r in rows}


def last_run(root: Path, model: str) -> dict:
    run = list_runs(load_project(root).state_dir, limit=1)[0]
    return next(m for m in run["models"] if m["name"] == model)


def batches(root: Path, model: str) -> list[dict]:
    return last_run(root, model)["batches"]


def relation(root: Path, model: str) -> str:
    """The relation as the run tables record it (Delta: with the session catalog's name)."""
    return str(last_run(root, model)["relation"])


@pytest.mark.parametrize("fmt", ["iceberg", "delta"])
def test_cdc_streams_into_scd1_and_scd2_exactly_once(lakehouse, project, kafka_broker, fmt):
    spark, broker = lakehouse.spark, kafka_broker
    root, topic, rels = make(project, broker, fmt)
    send(broker, topic, FIRST)
    assert main(["build", "--project-dir", str(root)]) == 0
    assert latest(spark, rels["scd1"]) == {(1, "a", 11.0, 4), (3, "c", 31.0, 7)}
    first = batches(root, "silver.account_history")
    assert len(first) == 2 and all(b["status"] == "success" for b in first)      # 4 offsets per micro-batch
    assert sum(b["rows_in"] for b in first) == 6                                  # the tombstone carries no row

    send(broker, topic, SECOND)
    assert main(["build", "--project-dir", str(root)]) == 0
    assert latest(spark, rels["scd1"]) == LATEST
    assert history(spark, rels["scd2"]) == HISTORY
    second = batches(root, "silver.accounts")
    assert [b["rows_deduplicated"] for b in second] == [1, 1]            # lsn 8 twice; key 4 created, deleted
    assert second[-1]["offsets"]["end"] == [{topic: {"0": 13}}]

    # a crash after the table commit, before Spark's commit log: the batch is replayed and skipped by its id
    fmt_ = load_project(root).target.format
    commits = load_project(root).state_dir / "checkpoints" / "dev" / "silver.account_history" / "commits"
    last = max(int(p.name) for p in commits.iterdir() if p.name.isdigit())
    (commits / str(last)).unlink()
    (commits / f".{last}.crc").unlink(missing_ok=True)
    versions = spark.sql(f"DESCRIBE HISTORY {rels['scd2']}").count() if fmt_ == "delta" else \
        spark.table(rels["scd2"] + ".snapshots").count()
    assert main(["build", "--project-dir", str(root)]) == 0
    assert [(b["batch_id"], b["status"]) for b in batches(root, "silver.account_history")] == [(last, "skipped")]
    assert history(spark, rels["scd2"]) == HISTORY
    assert versions == (spark.sql(f"DESCRIBE HISTORY {rels['scd2']}").count() if fmt_ == "delta" else
                        spark.table(rels["scd2"] + ".snapshots").count())               # no commit at all

    log = spark.table("lake.sqlingest_meta.stream_batches" if fmt == "iceberg"
                      else "sqlingest_meta.stream_batches").where(f"relation = '{relation(root, 'silver.account_history')}'")
    assert log.where("status = 'success'").groupBy().sum("rows_in").collect()[0][0] == len(FIRST) + len(SECOND) - 1
    assert log.where("status = 'skipped'").count() == 1


@pytest.mark.slow  # `sqlingest stream` in a process (and JVM) of its own
def test_kill_9_mid_cdc_stream_then_restart_leaves_exact_scd2_history(lakehouse, project, kafka_broker):
    spark, broker = lakehouse.spark, kafka_broker
    root, topic, rels = make(project, broker, "iceberg")
    # one streaming model in the process: the scd1 path is the same driver (covered above); two models committing
    # at once to the tests' SQLite catalog contend for its lock on a loaded machine
    (root / "models/silver/accounts.sql").unlink()
    (root / "contracts/db/accounts.silver.yml").unlink()
    model = root / "models/silver/account_history.sql"
    model.write_text(model.read_text().replace("streaming=true", "streaming=true, trigger='200 milliseconds'"))
    # keys 1..30, each created then updated twice, keys divisible by 3 deleted at the end
    events = []
    for lsn_round in range(3):
        for i in range(1, 31):
            lsn = 1000 * lsn_round + i
            events.append(change("c" if lsn_round == 0 else "u", i, lsn, f"n{i}", 100 * lsn_round + i))
    events += [change("d", i, 5000 + i, f"n{i}", 200 + i) for i in range(3, 31, 3)]
    chunks = [events[:40], events[40:70], events[70:]]
    offsets = load_project(root).state_dir / "checkpoints" / "dev" / "silver.account_history" / "offsets"
    for (count, delay), chunk in zip([(2, 0.0), (3, 0.3), (2, 1.0)], chunks, strict=True):
        send(broker, topic, chunk)
        _stream_until(root, count, delay)
    assert offsets.is_dir()
    assert main(["build", "--project-dir", str(root)]) == 0     # drain what is left (available_now)

    kept = [i for i in range(1, 31) if i % 3]
    rows = spark.table(rels["scd2"]).collect()
    assert len(rows) == 90 and len({(r["id"], r["valid_from"]) for r in rows}) == 90
    assert sorted(r["id"] for r in rows if r["is_current"]) == kept
    chains = {i: sorted((r["valid_from"], float(r["balance"])) for r in rows if r["id"] == i) for i in range(1, 31)}
    assert all([b for _, b in chains[i]] == [float(i), float(100 + i), float(200 + i)] for i in chains)
    closed = {r["id"] for r in rows if r["valid_to"] is not None and r["balance"] == 200 + r["id"]}
    assert closed == set(range(3, 31, 3))                        # the deletes closed their keys' last version
