"""The engine axis without a JVM: which engine a target selects, the compile-time refusal of Spark Connect targets
(located at their ``remote:`` line), ``sqlingest submit``'s spark-submit command and its refusals, and the on-demand
services (docs/cluster.md). The engines themselves run in tests/integration/test_cluster.py."""

from __future__ import annotations

import shlex

import pytest

from sqlingest.cli import main
from sqlingest.plan.engine import CONNECT_GAPS, ENGINE_MATRIX, engine_of
from sqlingest.project.config import SparkConfig

MODEL = {"models/gold/one.sql": "{{ config(materialized='table') }}\nSELECT 1 AS id\n"}
CONFIG = """name: eng
layers: {gold: {namespace: gold, require_contract: false}}
default_target: local
targets:
  local:
    spark: {master: 'local[1]'}
  cluster:
    spark:
      master: spark://127.0.0.1:7077
      driver_memory: 768m
      conf: {spark.executor.memory: 512m}
  remote:
    catalog: {type: iceberg_jdbc, name: lake}
    spark:
      remote: sc://127.0.0.1:15002
"""


def test_engine_of_a_target():
    assert engine_of(SparkConfig(master="local[2]")) == "local"
    assert engine_of(SparkConfig(master="spark://h:7077")) == "standalone"
    assert engine_of(SparkConfig(master="yarn")) == "standalone"
    assert engine_of(SparkConfig(remote="sc://h:15002")) == "connect"
    assert [e for e, *_ in ENGINE_MATRIX] == ["local", "standalone", "connect"]


def test_connect_target_is_refused_at_compile_time_at_its_remote_line(make_project, capsys):
    root = make_project(MODEL, CONFIG)
    assert main(["compile", "--project-dir", str(root), "--target", "local"]) == 0
    capsys.readouterr()
    assert main(["compile", "--project-dir", str(root), "--target", "remote"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: sqlingest.yml:15:7: target 'remote' runs on Spark Connect "
                          "(remote: sc://127.0.0.1:15002), and Spark 3.5.7's Connect client lacks")
    for api, what, answer in CONNECT_GAPS:
        assert f"{api} — needed for {what} (Spark: \"{answer}\")" in err
    assert "hint: use a classic session on the same cluster instead" in err


@pytest.fixture
def jars(tmp_path, monkeypatch):
    """A complete jar folder (the manifest is not resolved here: the command only lists the jars)."""
    folder = tmp_path / "jars"
    folder.mkdir()
    for name in ("iceberg.jar", "delta.jar"):
        (folder / name).write_bytes(b"")
    (folder / ".complete").write_text("ok\n")
    monkeypatch.setenv("SQLINGEST_JARS_DIR", str(folder))
    return folder


def test_submit_dry_run_is_the_targets_session_as_a_spark_submit_command(make_project, jars, capsys, tmp_path):
    root = make_project(MODEL, CONFIG)
    assert main(["submit", "--project-dir", str(root), "--target", "cluster", "--dry-run", "--select", "gold.one",
                 "--result-json", str(tmp_path / "r.json"), "--spark-submit", "/opt/spark/bin/spark-submit"]) == 0
    cmd = shlex.split(capsys.readouterr().out.strip())
    app = cmd.index(next(a for a in cmd if a.endswith("sqlingest/submit_app.py")))
    assert cmd[:9] == ["/opt/spark/bin/spark-submit", "--master", "spark://127.0.0.1:7077", "--deploy-mode", "client",
                       "--name", "sqlingest-eng-cluster", "--driver-memory", "768m"]
    confs = dict(cmd[i + 1].split("=", 1) for i in range(len(cmd[:app])) if cmd[i] == "--conf")
    assert confs["spark.jars"] == f"{jars / 'delta.jar'},{jars / 'iceberg.jar'}"
    assert confs["spark.executor.memory"] == "512m"
    assert "IcebergSparkSessionExtensions" in confs["spark.sql.extensions"]
    assert cmd[app + 1:] == ["build", "--project-dir", str(root), "--target", "cluster", "--select", "gold.one",
                             "--result-json", str(tmp_path / "r.json")]


@pytest.mark.parametrize(("target", "mode", "message"), [
    ("cluster", "cluster", ("error: --deploy-mode cluster on a standalone master (spark://127.0.0.1:7077): Spark does "
                           "not support cluster deploy mode for Python applications on standalone clusters")),
    ("remote", "client", ("error: target 'remote' is a Spark Connect target (remote: sc://127.0.0.1:15002); "
                         "spark-submit runs classic applications")),
])
def test_submit_refuses_what_spark_submit_cannot_run(make_project, jars, capsys, target, mode, message):
    root = make_project(MODEL, CONFIG)
    assert main(["submit", "--project-dir", str(root), "--target", target, "--deploy-mode", mode]) == 2
    assert capsys.readouterr().err.startswith(message)


def test_the_spark_services_start_only_when_named():
    from sqlingest.services import SERVICES, service_class

    assert [n for n in SERVICES if service_class(n).on_demand] == ["spark-cluster", "spark-connect"]
