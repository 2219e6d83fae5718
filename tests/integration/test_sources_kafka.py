"""The ``kafka`` source against a real single-node KRaft broker: offset ranges from the table, no skips, no repeats."""

from __future__ import annotations

import json

import kafka  # noqa: F401
import pytest

from sqlingest.cli import main
from sqlingest.errors import ExecutionError
from sqlingest.project import load_project
from sqlingest.sources import load_source

SRC = """
name: ev.clicks
layer: source
source:
  format: kafka
  bootstrap_servers: %(bootstrap)s
  topic: clicks
  metadata_columns: {key: user_key}
columns:
  - {name: id, type: bigint}
  - {name: user_key, type: string}
  - {name: amount, type: "decimal(8,2)"}
  - {name: at, type: timestamp}
"""
BRONZE = """
name: ev.clicks
layer: bronze
columns:
  - {name: id, type: bigint}
  - {name: user_key, type: string}
  - {name: amount, type: "decimal(8,2)"}
  - {name: at, type: timestamp}
"""
MODEL = "{{ config(materialized='append') }}\nSELECT * FROM {{ source('ev', 'clicks') }}\n"


@pytest.fixture
def broker(kafka_broker):
    return kafka_broker


def good(i):
    return {"id": i, "amount": f"{i}.25", "at": f"2024-05-01 10:00:{i % 60:02d}"}


def test_batches_by_offset_range_exactly_once(lakehouse, project, broker):
    spark = lakehouse.spark
    broker.create_topic("clicks", partitions=2)
    first = [good(i) for i in range(1, 9)] + ["{not json", {"id": 9, "amount": "lots"}]   # N = 10
    keys = [f"u{i % 3}" for i in range(len(first))]
    assert broker.produce("clicks", first[:6], keys=keys[:6], partition=0) == 6
    assert broker.produce("clicks", first[6:], keys=keys[6:], partition=1) == 4
    root = project({"contracts/ev/clicks.source.yml": SRC % {"bootstrap": broker.bootstrap},
                    "contracts/ev/clicks.bronze.yml": BRONZE, "models/bronze/clicks.sql": MODEL})
    rel = f"lake.{load_project(root).config.layer('bronze').namespace}.clicks"
    assert main(["build", "--project-dir", str(root)]) == 0
    assert spark.table(rel).count() == 10

    rows = spark.table(rel).collect()
    bad = [json.loads(r["_rescued_data"]) for r in rows if r["_rescued_data"]]
    corrupt = next(b for b in bad if "_corrupt_record" in b)
    assert corrupt["_corrupt_record"] == "{not json" and corrupt["_kafka_topic"] == "clicks"
    assert {"_kafka_partition", "_kafka_offset"} <= set(corrupt) and corrupt["_kafka_key"] == "u2"
    assert {"amount": "lots"} in bad
    ok = next(r for r in rows if r["id"] == 4)
    assert str(ok["amount"]) == "4.25" and ok["user_key"] == "u0" and ok["at"].second == 4

    # nothing new: the run is skipped, nothing is repeated
    assert main(["build", "--project-dir", str(root)]) == 0
    assert spark.table(rel).count() == 10

    second = [good(i) for i in range(10, 14)] + [None]   # M = 5, incl. a tombstone
    assert broker.produce("clicks", second[:2], keys=["u0", "u1"], partition=0) == 2
    assert broker.produce("clicks", second[2:], keys=["u2", "u3", "u4"], partition=1) == 3
    assert main(["build", "--project-dir", str(root)]) == 0
    table = spark.table(rel)
    assert table.count() == 15
    assert table.select("_source_file").distinct().count() == 15   # no message twice
    assert sorted(r["id"] for r in table.where("id IS NOT NULL").collect()) == list(range(1, 14))

    # the runner's hook agrees with the lineage: the highest offset per partition
    source = load_source(load_project(root).contracts["source:ev.clicks"], root)
    state = source.state_from_table(spark, rel)
    ends = source.offsets(spark)
    assert state == {("clicks", 0): 7, ("clicks", 1): 6}
    assert {tp: end for tp, (_, end) in ends.items()} == {("clicks", 0): 8, ("clicks", 1): 7}
    assert source.read(spark, state=state).inputs == []
    with pytest.raises(ExecutionError, match="offsets reset"):   # the table is ahead of the topic
        source.read(spark, state={("clicks", 0): 100, ("clicks", 1): 6})
