"""The ``kinesis`` source against moto in server mode: sequence ranges from the table, no skips, no repeats."""

from __future__ import annotations

import json

import boto3
import moto.server as moto_server
import pytest

from sqlingest.cli import main
from sqlingest.project import load_project
from sqlingest.services import free_port
from sqlingest.sources import load_source

COLUMNS = """
columns:
  - {name: id, type: bigint}
  - {name: amount, type: "decimal(8,2)"}
  - {name: pk, type: string}
"""
SRC = """
name: ev.orders
layer: source
source:
  format: kinesis
  stream: orders
  region: us-east-1
  endpoint_url: %(url)s
  access_key_id_secret: aws_key
  secret_access_key_secret: aws_secret
  metadata_columns: {partition_key: pk}
""" + COLUMNS
MODEL = "{{ config(materialized='append') }}\nSELECT * FROM {{ source('ev', 'orders') }}\n"


@pytest.fixture(scope="module")
def kinesis():
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_batches_by_sequence_exactly_once(lakehouse, project, kinesis, monkeypatch):
    spark = lakehouse.spark
    monkeypatch.setenv("SQLINGEST_SECRET_AWS_KEY", "testing")
    monkeypatch.setenv("SQLINGEST_SECRET_AWS_SECRET", "testing")
    client = boto3.client("kinesis", region_name="us-east-1", endpoint_url=kinesis,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_stream(StreamName="orders", ShardCount=2)

    def put(values):
        for i, value in enumerate(values):
            data = value if isinstance(value, bytes) else json.dumps(value).encode()
            client.put_record(StreamName="orders", Data=data, PartitionKey=f"k{i}")

    put([{"id": i, "amount": f"{i}.50"} for i in range(1, 7)] + [b"not json", {"id": 8, "amount": "x"}])  # N = 8
    root = project({"contracts/ev/orders.source.yml": SRC % {"url": kinesis},
                    "contracts/ev/orders.bronze.yml": "name: ev.orders\nlayer: bronze\n" + COLUMNS,
                    "models/bronze/orders.sql": MODEL})
    rel = f"lake.{load_project(root).config.layer('bronze').namespace}.orders"
    assert main(["build", "--project-dir", str(root)]) == 0
    assert spark.table(rel).count() == 8
    rows = spark.table(rel).collect()
    bad = next(json.loads(r["_rescued_data"]) for r in rows if r["id"] is None)
    assert bad["_corrupt_record"] == "not json" and bad["_kinesis_stream"] == "orders"
    assert bad["_kinesis_partition_key"] == "k6" and bad["_kinesis_shard"].startswith("shardId-")
    assert next(r for r in rows if r["id"] == 2)["pk"] == "k1"
    assert json.loads(next(r for r in rows if r["id"] == 8)["_rescued_data"]) == {"amount": "x"}

    assert main(["build", "--project-dir", str(root)]) == 0        # nothing new
    assert spark.table(rel).count() == 8
    put([{"id": i, "amount": "1"} for i in range(9, 14)])           # M = 5
    assert main(["build", "--project-dir", str(root)]) == 0
    table = spark.table(rel)
    assert table.count() == 13 and table.select("_source_file").distinct().count() == 13
    assert sorted(r["id"] for r in table.where("id IS NOT NULL").collect()) == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11,
                                                                                12, 13]
    source = load_source(load_project(root).contracts["source:ev.orders"], root)
    state = source.state_from_table(spark, rel)
    expected: dict[str, int] = {}   # the highest sequence number per shard among `kinesis:<stream>/<shard>/<seq>`
    for (item,) in table.select("_source_file").collect():
        _, shard, seq = item.removeprefix("kinesis:").split("/")
        expected[shard] = max(expected.get(shard, 0), int(seq))
    assert len(expected) == 2 and {k: int(v) for k, v in state.items()} == expected
    assert source.read(spark, state=state).inputs == []
