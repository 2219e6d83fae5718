"""The demo beyond one machine (docs/cluster.md): a Spark standalone cluster (one master, two one-core workers) and a
Spark Connect server, both started by sqlingest's own service code from the pinned pyspark's Spark.

- standalone: the demo, its Kafka streaming model included, is built in client mode against the cluster (a
  subprocess: one process holds one SparkContext) and its tables — batch, streaming, quarantine, rescued rows — equal
  the local build's row for row; `sqlingest test` runs its checks there; the executors fetched the manifest's jars
  from the driver and ran Python workers without sqlingest on their Python path;
- Connect: the `connect` target is refused at compile time naming each API Spark 3.5's Connect lacks, and each of
  those gaps is asserted against the live server (a Spark that fills one turns this red), next to what does work
  over Connect (catalogs set per session, Iceberg DDL/DML, createDataFrame, foreachBatch).

Run by `make cluster-test` (marker ``cluster``; not part of `make test`, which is over its time budget).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sqlingest.cli import main
from tests.conftest import REPO
from tests.demo import copy_demo
from tests.integration.test_demo_project import snapshot, tables

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

DROP = ("_ingested_at", "_run_id", "_quarantined_at", "_kafka_timestamp")
EVENTS = [{"event_id": i, "order_id": 1000 + i % 3, "event": ("created", "paid", "shipped")[i % 3],
           "amount": i + 0.5, "at": f"2024-01-0{1 + i % 3}T10:00:00"} for i in range(1, 9)]


PROBE = """
import json, sys
from pyspark.sql import Observation, SparkSession, functions as F
url, wh = sys.argv[1:]
s = SparkSession.builder.remote(url).getOrCreate()
for key, value in {"": "org.apache.iceberg.spark.SparkCatalog", ".type": "hadoop", ".warehouse": wh}.items():
    s.conf.set("spark.sql.catalog.probe" + key, value)
s.sql("CREATE NAMESPACE IF NOT EXISTS probe.ns")
s.sql("CREATE TABLE probe.ns.t (a int) USING iceberg")
s.createDataFrame([(1,), (2,)], "a int").writeTo("probe.ns.t").append()
q = (s.readStream.format("rate").load().limit(3).writeStream.foreachBatch(lambda df, i: df.count())
     .trigger(availableNow=True).start())
q.awaitTermination(300)
works = {"iceberg_rows": int(s.table("probe.ns.t").count()), "foreach_batch": q.exception() is None}
fails = {}
o = Observation("o")
for api, call in [("Observation", lambda: (s.range(3).observe(o, F.count(F.lit(1)).alias("n")).collect(), o.get)),
                  ("SparkSession.sparkContext", lambda: s.sparkContext),
                  ("the JVM gateway (_jvm, _jsc)", lambda: s._jvm)]:
    try:
        call()
        fails[api] = "no error"
    except Exception as exc:
        fails[api] = str(exc)
print(json.dumps({"works": works, "fails": fails}))
"""


def metadata_files(root: Path, rels: dict[str, str]) -> dict[str, str]:
    """Each table's current metadata file in the project's SQLite catalog (``lake.<namespace>.<table>``)."""
    import sqlite3

    with sqlite3.connect(root / ".sqlingest" / "catalog.db") as db:
        found = {(ns, t): loc for ns, t, loc in db.execute(
            "SELECT table_namespace, table_name, metadata_location FROM iceberg_tables WHERE catalog_name = 'lake'")}
    out = {}
    for model, rel in {**rels, "silver.order_lines__quarantine": "lake.silver.order_lines__quarantine"}.items():
        _, ns, table = rel.split(".")
        out[model] = found[(ns, table)]
    return out


def by_path(spark, files: dict[str, str]) -> dict[str, list[str]]:
    """:func:`snapshot` of tables read from their metadata files."""
    out = {}
    for name, location in files.items():
        df = spark.read.format("iceberg").load(location)
        cols = [c for c in df.columns if c not in DROP]
        out[name] = sorted(repr(tuple(r)) for r in df.select(*cols).collect())
    return out


def cli(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sqlingest", *args, "--project-dir", str(root)],
                          capture_output=True, text=True, timeout=1500, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO), **env})


@pytest.fixture(scope="module")
def services_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engines")


def test_demo_on_standalone_cluster_equals_local(lakehouse, demo, kafka_broker, services_root, tmp_path,
                                                 monkeypatch):
    from sqlingest.services.spark import SparkClusterServer

    cluster = SparkClusterServer(services_root / "state", services_root)
    info = cluster.start()
    try:
        assert info.env["SQLINGEST_SPARK_CLUSTER"] == f"spark://127.0.0.1:{info.port}"
        from sqlingest.services.spark import SparkCluster
        assert SparkCluster(**{k: v for k, v in json.loads(
            (cluster.data_dir / "service.json").read_text()).items()}).alive_workers() == 2

        topic_env = {"SQLINGEST_KAFKA_BOOTSTRAP": kafka_broker.bootstrap}
        kafka_broker.create_topic("retail.order_events", partitions=2)
        assert kafka_broker.produce("retail.order_events", [*EVENTS, "{not json"]) == len(EVENTS) + 1
        monkeypatch.setenv("SQLINGEST_KAFKA_BOOTSTRAP", kafka_broker.bootstrap)

        # the reference: the same demo on the suite's local session
        assert main(["build", "--project-dir", str(demo)]) == 0
        spark = lakehouse.spark
        local_rels = tables(demo)
        assert "bronze.order_events" in local_rels  # the streaming model is enabled
        local_rels["silver.order_lines__quarantine"] = local_rels["silver.order_lines"] + "__quarantine"

        root = copy_demo(tmp_path / "on-cluster", config=True)
        env = {**topic_env, **info.env}
        done = cli(root, "build", "--target", "cluster", "--result-json", str(tmp_path / "result.json"), env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "12 model(s)" in done.stdout and "0 failed" in done.stdout
        result = json.loads((tmp_path / "result.json").read_text())
        assert result["status"] == "success" and result["exit_code"] == 0 and result["engine"] == "standalone"
        assert result["target"] == "cluster" and result["models"]["silver.order_lines"] == "warn"
        tested = cli(root, "test", "--target", "cluster", "--select", "layer:gold", env=env)
        assert tested.returncode == 0, tested.stdout + tested.stderr

        # the cluster build's tables, read here from their current metadata files (the JDBC catalog keys its tables
        # by catalog name, `lake`, which the suite's own catalog already is)
        cluster_rels = metadata_files(root, tables(root))
        local, remote = snapshot(spark, local_rels, drop=DROP), by_path(spark, cluster_rels)
        assert set(local) == set(remote) and len(local) == 13
        assert {m: rows for m, rows in remote.items() if rows != local[m]} == {}
        assert len(remote["bronze.order_events"]) >= len(EVENTS) and len(remote["silver.order_lines__quarantine"]) == 1

        # the quarantined zero-unit line replayed on the cluster: still invalid, so quarantined again, nothing lost
        replayed = cli(root, "replay", "silver.order_lines", "--target", "cluster", env=env)
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert "replayed silver.order_lines: 1 quarantined row(s) → 0 published, 1 still quarantined" \
            in replayed.stdout
        quarantine = metadata_files(root, {"q": "lake.silver.order_lines__quarantine"})["q"]
        assert spark.read.format("iceberg").load(quarantine).count() == 1

        # what the executors did: jars from the driver's file server, Python workers without sqlingest
        logs = "".join(p.read_text(errors="replace") for p in cluster.data_dir.glob("worker-*/app-*/*/stderr"))
        assert "Fetching spark://127.0.0.1:" in logs and "iceberg-spark-runtime-3.5_2.12" in logs
        assert "PythonRunner: Times" in logs
    finally:
        assert cluster.stop()
    assert cluster.status() == "stopped"


def test_connect_target_refused_and_the_gaps_are_real(services_root, tmp_path):
    from sqlingest.services.spark import SparkConnectServer

    root = copy_demo(tmp_path / "over-connect", config=True)
    server = SparkConnectServer(services_root / "state", services_root)
    info = server.start()
    try:
        url = info.env["SQLINGEST_SPARK_REMOTE"]
        refused = cli(root, "build", "--target", "connect", env={"SQLINGEST_SPARK_REMOTE": url})
        assert refused.returncode == 2
        line = next(i for i, t in enumerate((root / "sqlingest.yml").read_text().splitlines(), 1) if "remote:" in t)
        assert f"sqlingest.yml:{line}:7: target 'connect' runs on Spark Connect (remote: {url})" in refused.stderr
        for api in ("Observation", "SparkSession.sparkContext", "the JVM gateway (_jvm, _jsc)"):
            assert api in refused.stderr

        # a Connect client in a process of its own (a Connect session switches pyspark's functions to Connect
        # mode for the whole process; the suite's classic session must not see that)
        probe = subprocess.run([sys.executable, "-c", PROBE, url, (tmp_path / "wh").as_uri()], capture_output=True,
                               text=True, timeout=600, check=False)
        assert probe.returncode == 0, probe.stdout + probe.stderr
        facts = json.loads(probe.stdout.strip().splitlines()[-1])
        from sqlingest.plan.engine import CONNECT_GAPS

        assert facts["works"] == {"iceberg_rows": 2, "foreach_batch": True}
        for api, _, answer in CONNECT_GAPS:  # each gap the refusal names, as Spark's Connect client reports it
            assert answer in facts["fails"][api], (api, facts["fails"][api])
    finally:
        assert server.stop()
