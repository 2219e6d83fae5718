"""``materialized='streaming'`` against a real KRaft broker: Structured Streaming with foreachBatch writes that are
exactly once into Iceberg and Delta, undecodable messages quarantined with their coordinates, failing micro-batches
visible with their offsets and retried without loss, per-batch metrics in the run log."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from sqlingest.cli import main
from sqlingest.project import load_project
from sqlingest.runs import list_runs

SRC = """
name: ev.clicks
layer: source
source:
  format: kafka
  bootstrap_servers: %(bootstrap)s
  topic: %(topic)s
  max_offsets_per_trigger: 4
columns:
  - {name: id, type: bigint}
  - {name: amount, type: "decimal(8,2)"}
  - {name: at, type: timestamp}
"""
BRONZE = """
name: ev.clicks
layer: bronze
columns:
  - {name: id, type: bigint}
  - {name: amount, type: "decimal(8,2)", checks: [{range: {max: %(max)s}, action: %(action)s}]}
  - {name: at, type: timestamp}
"""
MODEL = "{{ config(materialized='streaming') }}\nSELECT * FROM {{ source('ev', 'clicks') }}\n"


def good(i: int) -> dict:
    return {"id": i, "amount": f"{i}.50", "at": f"2024-05-01 10:00:{i % 60:02d}"}


def make(project, broker, *, fmt: str = "iceberg", max_amount: int = 1000, action: str = "fail"):
    topic = "st_" + uuid.uuid4().hex[:8]
    broker.create_topic(topic, partitions=2)
    catalog = "spark_session" if fmt == "delta" else "iceberg_jdbc"
    root = project({"contracts/ev/clicks.source.yml": SRC % {"bootstrap": broker.bootstrap, "topic": topic},
                    "contracts/ev/clicks.bronze.yml": BRONZE % {"max": max_amount, "action": action},
                    "models/bronze/clicks.sql": MODEL}, format=fmt, catalog=catalog)
    ns = load_project(root).config.layer("bronze").namespace
    rel = f"lake.{ns}.clicks" if fmt == "iceberg" else f"{ns}.clicks"
    return root, topic, rel


def last_model(root: Path) -> dict:
    return list_runs(load_project(root).state_dir, limit=1)[0]["models"][0]


def checkpoint(root: Path) -> Path:
    return load_project(root).state_dir / "checkpoints" / "dev" / "bronze.clicks"


def assert_exactly_once(spark, rel: str, ids: set[int]) -> None:
    table = spark.table(rel)
    assert table.count() == len(ids)
    assert table.select("_source_file").distinct().count() == len(ids)   # no message twice
    assert {r["id"] for r in table.collect()} == ids


@pytest.mark.parametrize("fmt", ["iceberg", "delta"])
def test_available_now_exactly_once_with_quarantine_and_batch_log(lakehouse, project, kafka_broker, fmt):
    spark, broker = lakehouse.spark, kafka_broker
    root, topic, rel = make(project, broker, fmt=fmt)
    assert broker.produce(topic, [good(i) for i in range(1, 7)] + ["{not json"], partition=0) == 7
    assert broker.produce(topic, [good(i) for i in range(7, 12)], partition=1) == 5

    assert main(["build", "--project-dir", str(root)]) == 0
    assert_exactly_once(spark, rel, set(range(1, 12)))
    quarantined = spark.table(rel + "__quarantine").collect()
    assert len(quarantined) == 1 and quarantined[0]["_failed_checks"] == ["decodable"]
    rescued = json.loads(json.loads(quarantined[0]["_row"])["_rescued_data"])
    assert rescued["_corrupt_record"] == "{not json" and rescued["_kafka_topic"] == topic
    assert rescued["_kafka_partition"] == "0" and rescued["_kafka_offset"] == "6"

    model = last_model(root)
    batches = model["batches"]
    assert len(batches) >= 3 and all(b["status"] == "success" for b in batches)   # max 4 offsets per trigger
    assert sum(b["rows_in"] for b in batches) == 12 == model["rows_in"]
    assert sum(b["rows_quarantined"] for b in batches) == 1 == model["rows_quarantined"]
    assert batches[-1]["offsets"]["end"] == [{topic: {"0": 7, "1": 5}}]
    assert {r["_batch_id"] for r in spark.table(rel).collect()} == {str(b["batch_id"]) for b in batches}

    # nothing new: no batch, no row
    assert main(["build", "--project-dir", str(root)]) == 0
    assert_exactly_once(spark, rel, set(range(1, 12)))
    assert last_model(root)["batches"] == []

    # a crash after the table commit but before Spark's commit log: the batch is replayed and skipped
    assert broker.produce(topic, [good(i) for i in range(12, 15)], partition=1) == 3
    assert main(["build", "--project-dir", str(root)]) == 0
    assert_exactly_once(spark, rel, set(range(1, 15)))
    commits = checkpoint(root) / "commits"
    last = max(int(p.name) for p in commits.iterdir() if p.name.isdigit())
    (commits / str(last)).unlink()
    (commits / f".{last}.crc").unlink(missing_ok=True)
    assert main(["build", "--project-dir", str(root)]) == 0
    replayed = last_model(root)["batches"]
    assert [(b["batch_id"], b["status"]) for b in replayed] == [(last, "skipped")]
    assert_exactly_once(spark, rel, set(range(1, 15)))

    log = spark.table("lake.sqlingest_meta.stream_batches" if fmt == "iceberg"
                      else "sqlingest_meta.stream_batches").where(f"relation = '{last_model(root)['relation']}'")
    assert log.where("status = 'success'").groupBy().sum("rows_in").collect()[0][0] == 15
    assert log.where("status = 'skipped'").count() == 1


def test_failing_micro_batch_writes_nothing_and_is_retried_after_the_fix(lakehouse, project, kafka_broker):
    spark, broker = lakehouse.spark, kafka_broker
    root, topic, rel = make(project, broker, max_amount=100)
    assert broker.produce(topic, [good(i) for i in range(1, 5)], partition=0) == 4    # batch 0 passes
    assert main(["build", "--project-dir", str(root)]) == 0
    assert broker.produce(topic, [good(5), {**good(6), "amount": "500"}, good(7)], partition=0) == 3

    assert main(["build", "--project-dir", str(root)]) == 1
    model = last_model(root)
    failed = model["batches"][-1]
    assert model["status"] == "error" and failed["status"] == "error"
    assert "range(amount)" in failed["error"] and "nothing was written" in failed["error"]
    assert failed["offsets"]["start"] == [{topic: {"0": 4, "1": 0}}]
    assert failed["offsets"]["end"] == [{topic: {"0": 7, "1": 0}}]
    assert_exactly_once(spark, rel, {1, 2, 3, 4})

    # the contract is relaxed; the same offsets are processed again, nothing lost or repeated
    contract = root / "contracts/ev/clicks.bronze.yml"
    contract.write_text(contract.read_text().replace("max: 100}, action: fail", "max: 100}, action: warn"))
    assert main(["build", "--project-dir", str(root)]) == 0
    retried = last_model(root)["batches"]
    assert retried[0]["offsets"] == failed["offsets"] and retried[0]["status"] == "success"
    assert_exactly_once(spark, rel, set(range(1, 8)))


def test_full_refresh_restarts_from_the_beginning(lakehouse, project, kafka_broker):
    spark, broker = lakehouse.spark, kafka_broker
    root, topic, rel = make(project, broker)
    assert broker.produce(topic, [good(i) for i in range(1, 4)], partition=1) == 3
    assert main(["build", "--project-dir", str(root)]) == 0
    assert main(["build", "--project-dir", str(root), "--full-refresh"]) == 0
    assert_exactly_once(spark, rel, {1, 2, 3})
    # a table dropped by hand is rebuilt from the start too (its stale checkpoint is not resumed)
    spark.sql(f"DROP TABLE {rel}")
    assert main(["build", "--project-dir", str(root)]) == 0
    assert_exactly_once(spark, rel, {1, 2, 3})
    shutil.rmtree(checkpoint(root))


def _stream_until(root: Path, batches: int, delay: float) -> None:
    """Run `sqlingest stream` in a new process; SIGKILL it ``delay`` seconds after its ``batches``-th batch line."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "sqlingest", "stream", "--project-dir", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    seen, lines = 0, []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            lines.append(line)
            if " batch " in line and " success " in line:
                seen += 1
                if seen >= batches:
                    time.sleep(delay)
                    break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert seen >= batches, "".join(lines[-30:])


@pytest.mark.slow  # `sqlingest stream` in a process (and JVM) of its own
def test_kill_9_mid_stream_then_restart_holds_every_record_once(lakehouse, project, kafka_broker):
    spark, broker = lakehouse.spark, kafka_broker
    root, topic, rel = make(project, broker)
    model = root / "models/bronze/clicks.sql"
    model.write_text(model.read_text().replace("materialized='streaming'", "materialized='streaming', "
                                                                          "trigger='200 milliseconds'"))
    produced: set[int] = set()

    def produce(ids: range) -> None:
        values = [good(i) for i in ids]
        assert broker.produce(topic, values[::2], partition=0) + broker.produce(topic, values[1::2], partition=1) \
            == len(values)
        produced.update(ids)

    produce(range(1, 61))
    commits, offsets = checkpoint(root) / "commits", checkpoint(root) / "offsets"
    replayed = 0
    for round_, (batches, delay) in enumerate([(2, 0.0), (3, 0.4), (2, 1.2)]):
        _stream_until(root, batches, delay)
        planned = max((int(p.name) for p in offsets.iterdir() if p.name.isdigit()), default=-1)
        done = max((int(p.name) for p in commits.iterdir() if p.name.isdigit()), default=-1)
        replayed += planned > done            # killed with a batch planned but not committed by Spark
        produce(range(61 + 40 * round_, 101 + 40 * round_))
    assert replayed >= 1

    assert main(["build", "--project-dir", str(root)]) == 0     # drain what is left (available_now)
    assert_exactly_once(spark, rel, produced)


AVRO_SRC = """
name: ev.orders
layer: source
compatibility: backward
source:
  format: kafka
  bootstrap_servers: %(bootstrap)s
  topic: %(topic)s
  payload: avro
columns:
  - {name: id, type: bigint}
  - {name: amount, type: "decimal(8,2)"}
  - {name: at, type: timestamp}
"""
AVRO_BRONZE = """
name: ev.orders
layer: bronze
columns:
  - {name: id, type: bigint}
  - {name: amount, type: "decimal(8,2)"}
  - {name: at, type: timestamp}
  - {name: channel, type: string}
"""


def produce_avro(spark, broker, topic: str, root: Path, version: int, rows: list[tuple]) -> None:
    """Encode ``rows`` with Spark's to_avro using the registry's schema ``version``; frame and send them."""
    from pyspark.sql.avro.functions import to_avro

    from sqlingest.registry.file_store import FileStore
    from sqlingest.registry.store import contract_to_avro

    writer = contract_to_avro(FileStore(root).get("source:ev.orders", version).contract)
    names = [f["name"] for f in writer["fields"]]
    frame = spark.createDataFrame(rows, ", ".join(
        {"id": "id BIGINT", "amount": "amount DECIMAL(8,2)", "at": "at TIMESTAMP", "channel": "channel STRING"}[n]
        for n in names))
    body = to_avro(__import__("pyspark.sql.functions", fromlist=["struct"]).struct(*names), json.dumps(writer))
    framed = frame.select(body.alias("b")).selectExpr(
        f"concat(unhex('00'), unhex(lpad(hex({version}), 8, '0')), b) AS value")
    framed.write.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap).option("topic", topic).save()


def test_avro_payloads_decoded_with_the_registry_history(lakehouse, project, kafka_broker):
    from datetime import datetime
    from decimal import Decimal

    spark, broker = lakehouse.spark, kafka_broker
    topic = "av_" + uuid.uuid4().hex[:8]
    broker.create_topic(topic, partitions=1)
    root = project({"contracts/ev/orders.source.yml": AVRO_SRC % {"bootstrap": broker.bootstrap, "topic": topic},
                    "contracts/ev/orders.bronze.yml": AVRO_BRONZE,
                    "models/bronze/orders.sql": MODEL.replace("clicks", "orders")})
    rel = f"lake.{load_project(root).config.layer('bronze').namespace}.orders"
    assert main(["contracts", "publish", "--project-dir", str(root)]) == 0          # source:ev.orders v1
    at = datetime(2024, 5, 1, 10, 0, 0)
    produce_avro(spark, broker, topic, root, 1, [(1, Decimal("1.50"), at), (2, Decimal("2.50"), at)])

    # v2 adds an optional field; producers move to it, old messages stay readable
    source = root / "contracts/ev/orders.source.yml"
    source.write_text(source.read_text() + '  - {name: channel, type: string, default: "web"}\n')
    assert main(["contracts", "publish", "--project-dir", str(root)]) == 0
    produce_avro(spark, broker, topic, root, 2, [(3, Decimal("3.50"), at, "app")])
    assert broker.produce(topic, [b"\x00\x00\x00\x00\x09garbage", b"not avro at all"]) == 2

    assert main(["build", "--project-dir", str(root)]) == 0
    rows = {r["id"]: r for r in spark.table(rel).collect()}
    assert set(rows) == {1, 2, 3}
    assert rows[1]["amount"] == Decimal("1.50") and rows[1]["at"] == at and rows[1]["channel"] == "web"
    assert rows[3]["channel"] == "app"
    bad = [json.loads(json.loads(r["_row"])["_rescued_data"]) for r in spark.table(rel + "__quarantine").collect()]
    assert sorted(b["_kafka_offset"] for b in bad) == ["3", "4"]
    assert all(b["_corrupt_record"] for b in bad)   # the raw bytes, base64


def test_demo_streaming_model(lakehouse, demo, kafka_broker, monkeypatch, capsys):
    """The demo's bronze.order_events, as the README runs it: events produced from the sample file, then built."""
    from sqlingest.services.kafka import main as kafka

    spark = lakehouse.spark
    events = demo / "data/retail/events/order_events.jsonl"
    assert main(["compile", "--project-dir", str(demo)]) == 0
    assert not list((demo / "target/compiled").rglob("order_events.sql"))   # disabled without a broker
    monkeypatch.setenv("SQLINGEST_KAFKA_BOOTSTRAP", kafka_broker.bootstrap)
    assert kafka(["produce", "--topic", "retail.order_events", "--file", str(events)]) == 0
    assert "25 message(s) sent" in capsys.readouterr().out

    assert main(["build", "--project-dir", str(demo), "--select", "bronze.order_events"]) == 0
    rel = f"lake.{load_project(demo).config.layer('bronze').namespace}.order_events"
    assert spark.table(rel).count() == 24 and spark.table(rel + "__quarantine").count() == 1
    paid = spark.sql(f"SELECT order_id, amount FROM {rel} WHERE event = 'paid' ORDER BY order_id").collect()
    assert [(r[0], str(r[1])) for r in paid][:2] == [(1001, "9.90"), (1002, "19.90")]

    # the Debezium change feed of customers, streamed into an SCD2 silver table (late lsn 220 after 230)
    changes = demo / "data/retail/cdc/customer_changes.jsonl"
    assert kafka(["produce", "--topic", "retail.customers.cdc", "--file", str(changes)]) == 0
    assert main(["build", "--project-dir", str(demo), "--select", "silver.customer_changes"]) == 0
    rel = f"lake.{load_project(demo).config.layer('silver').namespace}.customer_changes"
    rows = spark.sql(f"SELECT customer_id, country, unix_seconds(valid_from) AS f, unix_seconds(valid_to) AS t "
                     f"FROM {rel}").collect()
    assert {tuple(r) for r in rows} == {(1, "GB", 100, 200), (1, "FR", 200, None), (2, "US", 101, 210),
                                        (3, "NL", 102, 220), (3, "CH", 220, 230), (3, "DE", 230, None),
                                        (4, "GB", 240, None)}


FILE_SRC = """
name: ev.visits
layer: source
source: {format: %(fmt)s, path: %(path)s, max_files_per_trigger: 1}
columns:
  - {name: id, type: bigint}
  - {name: page, type: string}
"""
FILE_BRONZE = """
name: ev.visits
layer: bronze
columns:
  - {name: id, type: bigint}
  - {name: page, type: string}
"""


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_file_feed_streams_only_new_and_late_files(lakehouse, project, tmp_path, fmt):
    import os

    spark = lakehouse.spark
    feed = tmp_path / f"feed_{fmt}"
    feed.mkdir()

    def drop(name: str, rows: list[tuple], *, age: float = 0.0, bad: str | None = None) -> None:
        if fmt == "json":
            lines = [json.dumps({"id": i, "page": p}) for i, p in rows]
        else:
            lines = ["page,id"] + [f"{p},{i}" for i, p in rows]     # header order differs from the contract
        path = feed / f"{name}.{fmt}"
        path.write_text("\n".join(lines + ([bad] if bad else [])) + "\n")
        if age:
            os.utime(path, (path.stat().st_mtime - age, path.stat().st_mtime - age))

    drop("a", [(1, "/"), (2, "/cart")], bad='{"id": 3, "page"' if fmt == "json" else "/x,not-a-number")
    drop("b", [(4, "/")])
    root = project({"contracts/ev/visits.source.yml": FILE_SRC % {"fmt": fmt, "path": f"{feed}/*.{fmt}"},
                    "contracts/ev/visits.bronze.yml": FILE_BRONZE,
                    "models/bronze/visits.sql": MODEL.replace("clicks", "visits")})
    rel = f"lake.{load_project(root).config.layer('bronze').namespace}.visits"
    assert main(["build", "--project-dir", str(root)]) == 0
    assert len(last_model(root)["batches"]) == 2                      # one file per micro-batch
    drop("c", [(5, "/new")])
    drop("d", [(6, "/late")], age=30 * 86400)                         # arrives now, written a month ago
    assert main(["build", "--project-dir", str(root)]) == 0
    table = spark.table(rel)
    ids = sorted(r["id"] for r in table.where("id IS NOT NULL").collect())
    assert ids == [1, 2, 4, 5, 6]
    files = {Path(r["_source_file"].replace("file:", "")).name for r in table.collect()}
    assert files == {f"a.{fmt}", f"b.{fmt}", f"c.{fmt}", f"d.{fmt}"}
    bad = [r for r in table.collect() if r["_rescued_data"]] + \
        [json.loads(r["_row"]) for r in (spark.table(rel + "__quarantine").collect()
                                         if spark.catalog.tableExists(rel + "__quarantine") else [])]
    assert len(bad) == 1                                              # the malformed line: rescued, never lost


def test_stream_command_runs_until_its_timeout_and_stops_between_batches(lakehouse, project, kafka_broker, capsys):
    import signal
    import threading
    import time

    spark, broker = lakehouse.spark, kafka_broker
    root, topic, rel = make(project, broker)
    model = root / "models/bronze/clicks.sql"
    model.write_text(model.read_text().replace("materialized='streaming'",
                                               "materialized='streaming', trigger='500 milliseconds'"))
    before = signal.getsignal(signal.SIGINT)
    late = threading.Timer(12.0, lambda: broker.produce(topic, [good(i) for i in range(3, 5)], partition=1))
    assert broker.produce(topic, [good(1), good(2)], partition=0) == 2
    late.start()
    started = time.monotonic()
    assert main(["stream", "--project-dir", str(root), "--timeout", "25"]) == 0
    late.join()
    assert 25 <= time.monotonic() - started < 90
    assert signal.getsignal(signal.SIGINT) is before                  # the command gives the handlers back
    assert_exactly_once(spark, rel, {1, 2, 3, 4})                      # including what arrived while it ran
    batches = last_model(root)["batches"]
    assert all(b["status"] == "success" for b in batches) and sum(b["rows_in"] for b in batches) == 4
