"""A build killed with SIGKILL at several points and run again converges to the same table contents as an
uninterrupted build: bronze file tracking lives in the tables themselves (committed with the rows), merges and
overwrites are idempotent, quarantine inserts skip rows already there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from sqlingest.cli import main
from tests.conftest import REPO
from tests.demo import copy_demo
from tests.integration.test_demo_project import snapshot, tables

VOLATILE = ("_ingested_at", "_run_id", "_batch_id", "_source_file", "_quarantined_at")


def build_until(root, finished_models: int) -> int:
    """Start a build in a new process; SIGKILL it right after ``finished_models`` models reported."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "sqlingest", "build", "--project-dir", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    seen = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        if "/11 " in line and any(mark in line for mark in (" OK ", " WARN ", " FAIL ")):
            seen += 1
            if seen >= finished_models:
                time.sleep(0.3)  # into the next model's read/write
                os.killpg(proc.pid, signal.SIGKILL)
                break
    proc.wait(timeout=120)
    return seen


def rewrite_customers(root) -> None:
    """silver.customers (the 5th model) written by scd2's rewrite strategy (the demo's small table would merge)."""
    model = root / "models" / "silver" / "customers.sql"
    model.write_text(model.read_text().replace("materialized='scd2',", "materialized='scd2', scd2_strategy='rewrite',"))


@pytest.mark.slow  # `sqlingest build` in processes (and JVMs) of their own
def test_kill_9_at_several_points_then_rerun_converges(lakehouse, demo, project):

    spark = lakehouse.spark
    reference = project({}, head="vars: {currency: EUR}\n", name="reference")
    copy_demo(reference)
    for root in (reference, demo):
        rewrite_customers(root)
    assert main(["build", "--project-dir", str(reference)]) == 0
    expected = snapshot(spark, tables(reference), drop=VOLATILE)

    for point in (2, 4, 6, 9):  # into bronze.orders, silver.customers (scd2 rewrite), silver.orders, gold
        assert build_until(demo, point) == point
    assert main(["build", "--project-dir", str(demo)]) == 0
    assert snapshot(spark, tables(demo), drop=VOLATILE) == expected
