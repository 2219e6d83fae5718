"""Benchmark: Kafka → bronze with ``materialized='streaming'`` vs a hand-written Structured Streaming job, one run.

    python bench/streaming.py [--records 1000000] [--per-batch 250000] [--rate 2000] [--seconds 30] [--rounds 1]

Both sides read the same topic (2 partitions, JSON values) on a private KRaft broker started here, into Iceberg
tables of the same catalog and SparkSession:

- ``sqlingest``: a project whose bronze model is ``materialized='streaming'`` — contract-typed JSON decoding with
  rescue, audit columns, the undecodable-message quarantine check fused into each micro-batch, exactly-once
  commits (batch id in the snapshot), per-batch run log.
- ``baseline``: what one writes by hand: ``readStream`` kafka → ``from_json`` with the declared schema →
  ``writeStream.format("iceberg").toTable()`` (Iceberg's own exactly-once streaming sink).

Two measures:

1. **throughput** — ``--records`` messages already in the topic, drained with ``availableNow`` in micro-batches of
   at most ``--per-batch`` offsets (sqlingest: the whole ``sqlingest run`` call); records/s = records / wall-clock
   seconds. Each side first drains ``--warmup`` records of another topic, untimed (JIT, class loading).
2. **latency** — the query runs continuously (``processingTime`` trigger ``--trigger``) while a producer sends
   ``--rate`` messages/s for ``--seconds``; per record, latency = commit time of the Iceberg snapshot that added it
   − the message's Kafka timestamp; p50/p95/max reported.

Each side's table must hold every record exactly once or the benchmark fails. Results: a Markdown table on stdout
and ``bench/results/streaming-*.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work" / "streaming"
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from run import git_facts, machine

SCHEMA = "id BIGINT, user_key STRING, amount DECIMAL(10,2), at TIMESTAMP, kafka_ts TIMESTAMP"
SRC = """
name: ev.clicks
layer: source
source:
  format: kafka
  bootstrap_servers: {bootstrap}
  topic: {topic}
  max_offsets_per_trigger: {per_batch}
  metadata_columns: {{timestamp: kafka_ts}}
columns:
  - {{name: id, type: bigint}}
  - {{name: user_key, type: string}}
  - {{name: amount, type: "decimal(10,2)"}}
  - {{name: at, type: timestamp}}
  - {{name: kafka_ts, type: timestamp}}
"""
BRONZE = """
name: ev.clicks
layer: bronze
columns:
  - {name: id, type: bigint}
  - {name: user_key, type: string}
  - {name: amount, type: "decimal(10,2)"}
  - {name: at, type: timestamp}
  - {name: kafka_ts, type: timestamp}
"""
PROJECT = """
name: bench_streaming
layers: {{bronze: {{namespace: {namespace}}}}}
targets:
  dev:
    catalog: {{type: iceberg_jdbc, name: lake, uri: 'jdbc:sqlite:{work}/catalog.db', warehouse: '{work}/warehouse'}}
    format: iceberg
"""


def make_session(driver_memory: str) -> Any:
    from sqlingest.catalogs.iceberg import IcebergJdbcCatalog
    from sqlingest.execute.session import build_session
    from sqlingest.project.config import CatalogConfig, SparkConfig

    WORK.mkdir(parents=True, exist_ok=True)
    catalog = IcebergJdbcCatalog(CatalogConfig(type="iceberg_jdbc", name="lake", uri=f"jdbc:sqlite:{WORK}/catalog.db",
                                               warehouse=str(WORK / "warehouse")), WORK, WORK)
    conf = {"spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false"}
    return build_session(SparkConfig(master="local[*]", driver_memory=driver_memory, app_name="sqlingest-bench",
                                     conf=conf), catalog)


def fill_topic(spark: Any, bootstrap: str, topic: str, records: int, start: int = 0) -> None:
    """``records`` JSON messages (ids ``start``…) written with Spark's Kafka sink (fast, no Python loop)."""
    frame = spark.range(start, start + records, numPartitions=4).selectExpr(
        "CAST(id % 1000 AS STRING) AS key",
        "to_json(named_struct('id', id, 'user_key', concat('u', id % 1000), 'amount', "
        "CAST(id % 10000 AS DECIMAL(10,2)) / 100, 'at', timestamp_millis(1714550400000 + id))) AS value")
    frame.write.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("topic", topic).save()


def write_project(root: Path, bootstrap: str, topic: str, per_batch: int, trigger: str | None) -> Path:
    from tests.conftest import write_files

    shutil.rmtree(root, ignore_errors=True)
    config = "materialized='streaming'" + (f", trigger='{trigger}'" if trigger else "")
    return write_files(root, {
        "sqlingest.yml": PROJECT.format(namespace="bench_si", work=WORK),
        "contracts/ev/clicks.source.yml": SRC.format(bootstrap=bootstrap, topic=topic, per_batch=per_batch),
        "contracts/ev/clicks.bronze.yml": BRONZE,
        "models/bronze/clicks.sql": f"{{{{ config({config}) }}}}\nSELECT * FROM {{{{ source('ev', 'clicks') }}}}\n",
    })


def sqlingest_side(root: Path, command: str, log: Path, timeout: float | None = None) -> None:
    from sqlingest import cli

    args = [command, "--project-dir", str(root)] + (["--timeout", str(timeout)] if timeout else [])
    with open(log, "w", encoding="utf-8") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(args)
    if code != 0:
        raise SystemExit(f"sqlingest {command} failed ({code}); see {log}:\n" + log.read_text()[-3000:])


def baseline_query(spark: Any, bootstrap: str, topic: str, per_batch: int, table: str, checkpoint: Path,
                   trigger: str | None) -> Any:
    """The hand-written job: Kafka → from_json with the declared schema → Iceberg's streaming sink."""
    spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({SCHEMA}, _ingested_at TIMESTAMP) USING iceberg")
    raw = (spark.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic)
           .option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", str(per_batch)).load())
    parsed = raw.selectExpr("from_json(CAST(value AS STRING), 'id BIGINT, user_key STRING, amount DECIMAL(10,2), "
                            "at TIMESTAMP') AS r", "timestamp AS kafka_ts") \
        .selectExpr("r.*", "kafka_ts", "current_timestamp() AS _ingested_at")
    writer = (parsed.writeStream.format("iceberg").outputMode("append")
              .option("checkpointLocation", str(checkpoint)))
    writer = writer.trigger(processingTime=trigger) if trigger else writer.trigger(availableNow=True)
    return writer.toTable(table)


def exactly_once(spark: Any, table: str, expected: int) -> None:
    rows, distinct = spark.sql(f"SELECT count(*), count(DISTINCT id) FROM {table}").collect()[0]
    if rows != expected or distinct != expected:
        raise SystemExit(f"{table}: {rows} rows, {distinct} distinct ids; expected {expected} exactly once")


def latencies(spark: Any, table: str) -> dict[str, float]:
    """Per record: commit time of the snapshot that added its data file − its Kafka timestamp (seconds)."""
    row = spark.sql(f"""
        WITH added AS (SELECT e.data_file.file_path AS path, s.committed_at
                       FROM {table}.entries e JOIN {table}.snapshots s ON e.snapshot_id = s.snapshot_id
                       WHERE e.status <> 2)  -- added (1), or existing (0) once manifests were merged
        SELECT percentile_approx(l, 0.5), percentile_approx(l, 0.95), max(l), count(*) FROM (
          SELECT (unix_micros(a.committed_at) - unix_micros(t.kafka_ts)) / 1e6 AS l
          FROM {table} t JOIN added a ON t._file = a.path)""").collect()[0]
    return {"p50_s": round(float(row[0]), 3), "p95_s": round(float(row[1]), 3), "max_s": round(float(row[2]), 3),
            "records": int(row[3])}


def produce_steadily(bootstrap: str, topic: str, rate: int, seconds: float, start: int) -> int:
    """``rate`` messages/s for ``seconds`` with kafka-python, in 10 slices a second; returns how many were sent."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks=1)
    sent, began, tick = 0, time.perf_counter(), 0.1
    per_tick = max(1, int(rate * tick))
    while time.perf_counter() - began < seconds:
        slice_start = time.perf_counter()
        for i in range(start + sent, start + sent + per_tick):
            value = {"id": i, "user_key": f"u{i % 1000}", "amount": f"{i % 10000 / 100:.2f}",
                     "at": "2024-05-01 10:00:00"}
            producer.send(topic, json.dumps(value).encode())
        sent += per_tick
        producer.flush()
        time.sleep(max(0.0, tick - (time.perf_counter() - slice_start)))
    producer.close()
    return sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--per-batch", type=int, default=250_000)
    parser.add_argument("--rate", type=int, default=2000, help="latency run: messages per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="latency run: how long to produce")
    parser.add_argument("--trigger", default="1 second", help="latency run: processing-time trigger of both sides")
    parser.add_argument("--warmup", type=int, default=100_000,
                        help="records each side drains first, untimed (JIT, class loading, catalog caches)")
    parser.add_argument("--driver-memory", default="6g")
    args = parser.parse_args(argv)

    from sqlingest.services.kafka import start_kafka

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    RESULTS.mkdir(exist_ok=True)
    broker = start_kafka(WORK / "kafka")
    spark = make_session(args.driver_memory)
    results: dict[str, Any] = {"records": args.records, "per_batch": args.per_batch}
    try:
        # -- throughput: drain a filled topic -------------------------------------------------------------
        if args.warmup:
            broker.create_topic("warm", partitions=2)
            fill_topic(spark, broker.bootstrap, "warm", args.warmup)
            warm = write_project(WORK / "si-warmup", broker.bootstrap, "warm", args.per_batch, None)
            (warm / "sqlingest.yml").write_text((warm / "sqlingest.yml").read_text().replace(
                "bench_si}", "bench_si_warm}"))
            sqlingest_side(warm, "run", WORK / "si-warmup.log")
            baseline_query(spark, broker.bootstrap, "warm", args.per_batch, "lake.bench_base_warm.clicks",
                           WORK / "base-warmup-ck", None).awaitTermination()
        broker.create_topic("tp", partitions=2)
        fill_topic(spark, broker.bootstrap, "tp", args.records)
        root = write_project(WORK / "si-throughput", broker.bootstrap, "tp", args.per_batch, None)
        started = time.perf_counter()
        sqlingest_side(root, "run", WORK / "si-throughput.log")
        si = time.perf_counter() - started
        exactly_once(spark, "lake.bench_si.clicks", args.records)
        started = time.perf_counter()
        baseline_query(spark, broker.bootstrap, "tp", args.per_batch, "lake.bench_base.clicks",
                       WORK / "base-throughput-ck", None).awaitTermination()
        base = time.perf_counter() - started
        exactly_once(spark, "lake.bench_base.clicks", args.records)
        results["throughput"] = {
            "sqlingest_s": round(si, 2), "baseline_s": round(base, 2),
            "sqlingest_records_per_s": round(args.records / si), "baseline_records_per_s": round(args.records / base),
            "ratio": round(si / base, 2)}
        print(f"throughput: sqlingest {args.records / si:,.0f} rec/s ({si:.1f}s), baseline "
              f"{args.records / base:,.0f} rec/s ({base:.1f}s), ratio {si / base:.2f}", flush=True)

        # -- latency: a steady producer while each side runs continuously ----------------------------------
        for side in ("sqlingest", "baseline"):
            topic = f"lat_{side}"
            broker.create_topic(topic, partitions=2)
            table = "lake.bench_si_lat.clicks" if side == "sqlingest" else "lake.bench_base_lat.clicks"
            sent: list[int] = []
            producer = threading.Thread(target=lambda out=sent, name=topic: out.append(produce_steadily(
                broker.bootstrap, name, args.rate, args.seconds, 0)))
            if side == "sqlingest":
                root = write_project(WORK / "si-latency", broker.bootstrap, topic, args.per_batch, args.trigger)
                (root / "sqlingest.yml").write_text((root / "sqlingest.yml").read_text().replace(
                    "bench_si}", "bench_si_lat}"))
                producer.start()
                sqlingest_side(root, "stream", WORK / "si-latency.log", timeout=args.seconds + 15)
            else:
                query = baseline_query(spark, broker.bootstrap, topic, args.per_batch, table,
                                       WORK / "base-latency-ck", args.trigger)
                producer.start()
                producer.join()
                time.sleep(15)
                query.stop()
            producer.join()
            exactly_once(spark, table, sent[0])
            results[f"latency_{side}"] = latencies(spark, table)
            print(f"latency {side}: {results[f'latency_{side}']}", flush=True)
    finally:
        spark.stop()
        broker.stop()
    results["machine"] = machine()
    results["git"] = git_facts()
    out = RESULTS / f"streaming-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    t, ls, lb = results["throughput"], results["latency_sqlingest"], results["latency_baseline"]
    print(f"""
| measure | sqlingest | hand-written | ratio |
|---|---|---|---|
| throughput, {args.records:,} records (records/s) | {t['sqlingest_records_per_s']:,} | {t['baseline_records_per_s']:,} | {t['ratio']}× time |
| latency p50 (s) at {args.rate}/s | {ls['p50_s']} | {lb['p50_s']} | {ls['p50_s'] / lb['p50_s']:.2f}× |
| latency p95 (s) | {ls['p95_s']} | {lb['p95_s']} | {ls['p95_s'] / lb['p95_s']:.2f}× |

results: {out.relative_to(REPO)}""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
