"""What a build prints, run as the program: no Spark/JVM noise on the console, a model's runtime failure as its root
cause in one or two lines (no JVM stack), everything kept in ``.sqlingest/logs/<run_id>.log``; ``--verbose`` shows
the log lines, ``--debug`` the stacks."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO, write_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NOISE = re.compile(r"WARN|INFO|log4j|NativeCodeLoader|Setting default log level|SparkContext")
CONFIG = """
name: quiet
layers:
  gold: {require_contract: false}
targets:
  dev:
    spark:
      master: 'local[1]'
      conf: {spark.sql.shuffle.partitions: '1', spark.ui.enabled: 'false', spark.sql.ansi.enabled: 'true'}
    catalog: {type: iceberg_jdbc, name: lake}
    format: iceberg
"""
CAUSE = ("[CAST_INVALID_INPUT] The value 'ab0' of the type \"STRING\" cannot be cast to \"INT\" because it is "
         "malformed.")


@pytest.fixture(scope="module")
def quiet(tmp_path_factory):
    return write_files(tmp_path_factory.mktemp("quiet"), {
        "sqlingest.yml": CONFIG,
        "models/gold/ok.sql": "{{ config(materialized='table') }}\nSELECT id FROM range(3)\n",
        "models/gold/bad.sql": "{{ config(materialized='table') }}\n"
                               "SELECT CAST(concat('ab', CAST(id AS STRING)) AS INT) AS n FROM range(3)\n",
    })


def sqlingest(root, *args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "sqlingest", *args, "--project-dir", str(root)], check=False,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_build_is_quiet_and_says_the_root_cause(quiet):
    code, out, err = sqlingest(quiet, "build")
    assert code == 1, out + err
    assert err == "", err
    assert not [ln for ln in out.splitlines() if NOISE.search(ln)], out
    lines = out.splitlines()
    fail = next(i for i, ln in enumerate(lines) if "gold.bad" in ln and "FAIL" in ln)
    assert lines[fail + 1].strip().startswith(CAUSE), out
    assert lines[fail + 2].strip() == ("at SQL line 2, position 8: SELECT CAST(concat('ab', CAST(id AS STRING)) AS "
                                       "INT) AS n FROM range(3)"), out
    assert "at org.apache" not in out and "Exception thrown in awaitResult" not in out
    assert "Job aborted" not in out and "Py4JJavaError" not in out
    assert "1 ok, 0 warned, 1 failed" in out
    # nothing lost: Spark's log with the failed task's stack, and sqlingest's traceback, are in the run's log
    logs = sorted((quiet / ".sqlingest" / "logs").glob("*.log"))
    assert len(logs) == 1 and f".sqlingest/logs/{logs[0].name}" in out
    text = logs[0].read_text()
    assert "ERROR Executor: Exception in task" in text and "\tat org.apache.spark" in text
    assert "DEBUG sqlingest: model failed\nTraceback (most recent call last)" in text


def test_verbose_shows_the_log_lines(quiet):
    code, out, err = sqlingest(quiet, "build", "--select", "gold.ok", "--verbose")
    assert code == 0, out + err
    assert len(re.findall(r"^\d\d:\d\d:\d\d INFO (DAGScheduler|Executor|SparkWrite): ", err, re.MULTILINE)) >= 3, err
    assert "1 ok, 0 warned, 0 failed" in out


def test_debug_shows_the_stacks(quiet):
    code, out, err = sqlingest(quiet, "--debug", "build", "--select", "gold.bad")
    assert code == 1, out + err
    assert "DEBUG sqlingest: model failed\nTraceback (most recent call last)" in err
    assert "\tat org.apache.spark.sql.errors.QueryExecutionErrors" in err  # the JVM stack of the failure
    assert CAUSE in out  # the model's line still says the cause
