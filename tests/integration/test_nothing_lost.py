"""Nothing lost, nothing silent: NULL and duplicate business keys into keyed materializations, the rows-in
invariant on every materialization, and the run tables on every catalog × format."""

from __future__ import annotations

import json
import uuid

import pytest

from sqlingest.cli import main
from sqlingest.project import load_project

SOURCE = """
name: k.people
layer: source
source: {format: csv, path: data/*.csv}
columns:
  - {name: id, type: bigint}
  - {name: name, type: string}
  - {name: ts, type: timestamp}
  - {name: kind, type: string}
"""
#: 10 rows: a NULL key, a key with two versions, a tie (key 3: same ts, other values), an exact duplicate (key 6),
#: a row failing a quarantine check (kind 'bad') and one failing a drop check (kind 'drop')
BATCH = ("id,name,ts,kind\n1,a,2024-01-01 00:00:00,ok\n,b,2024-01-01 00:00:00,ok\n2,c,2024-01-01 00:00:00,ok\n"
         "2,d,2024-01-02 00:00:00,ok\n3,e,2024-01-03 00:00:00,ok\n3,f,2024-01-03 00:00:00,ok\n"
         "4,g,2024-01-01 00:00:00,bad\n5,h,2024-01-01 00:00:00,drop\n6,i,2024-01-05 00:00:00,ok\n"
         "6,i,2024-01-05 00:00:00,ok\n")
KEY_CHECK = "  - {type: not_null, column: id, action: quarantine}\n"
CHECKS = ("  - {type: accepted_values, column: kind, values: [ok, drop], action: quarantine}\n"
          "  - {type: expression, expression: \"kind <> 'drop'\", action: drop}\n")


def files(materialized: str, *, key_check: str = KEY_CHECK, data: str = BATCH) -> dict[str, str]:
    extra = ", partitioned_by=['kind']" if materialized == "insert_overwrite" else ""
    return {
        "contracts/k/people.source.yml": SOURCE,
        "contracts/k/people.gold.yml": (
            "name: k.people\nlayer: gold\nkeys: {business: [id], ordering: ts}\ncolumns:\n"
            "  - {name: id, type: bigint}\n  - {name: name, type: string}\n  - {name: ts, type: timestamp}\n"
            "  - {name: kind, type: string}\nchecks:\n" + key_check + CHECKS),
        "models/gold/people.sql": f"{{{{ config(materialized='{materialized}'{extra}) }}}}\n"
                                  "SELECT id, name, ts, kind FROM {{ source('k', 'people') }}\n",
        "data/a.csv": data,
    }


def last_run(root):
    runs = sorted((root / ".sqlingest" / "runs").glob("*.json"))
    return json.loads(runs[-1].read_text())


def relation(root, catalog="lake"):
    return f"{catalog}.{load_project(root).config.layer('gold').namespace}.people"


#: (rows_written, rows_deduplicated, ties) per materialization for BATCH (rows_in 10, 2 quarantined, 1 dropped)
EXPECTED = {"table": (7, 0, 0), "append": (7, 0, 0), "insert_overwrite": (7, 0, 0),
            "merge": (4, 3, 1), "scd1": (4, 3, 1), "scd2": (5, 2, 1)}


@pytest.mark.parametrize("materialized,fmt", [(m, "iceberg") for m in EXPECTED] + [("merge", "delta"),
                                                                                   ("scd2", "delta")])
def test_rows_in_is_published_plus_quarantined_dropped_deduplicated(lakehouse, project, capsys, materialized, fmt):
    spark = lakehouse.spark
    catalog = "spark_session" if fmt == "delta" else "iceberg_jdbc"
    root = project(files(materialized), format=fmt, catalog=catalog)
    assert main(["build", "--project-dir", str(root)]) == 0
    out = capsys.readouterr().out
    model = last_run(root)["models"][0]
    written, deduplicated, ties = EXPECTED[materialized]
    assert (model["rows_in"], model["rows_quarantined"], model["rows_dropped"]) == (10, 2, 1), model
    assert (model["rows_written"], model["rows_deduplicated"]) == (written, deduplicated)
    assert model["rows_in"] == (model["rows_written"] + model["rows_quarantined"] + model["rows_dropped"]
                                + model["rows_deduplicated"])
    rel = relation(root, "spark_catalog" if fmt == "delta" else "lake")
    quarantined = {json.loads(r["_row"])["name"]: list(r["_failed_checks"])
                   for r in spark.table(rel + "__quarantine").collect()}
    if materialized in ("table", "append", "insert_overwrite"):
        assert quarantined == {"b": ["not_null(id)"], "g": ["accepted_values(kind)"]}
        assert model["ties"] is None
        assert spark.table(rel).count() == 7
        return
    assert quarantined == {"b": ["business key id is NULL"], "g": ["accepted_values(kind)"]}
    assert model["ties"]["count"] == ties
    sample = "id=3" + (", ts=2024-01-03 00:00:00" if materialized == "scd2" else "")
    assert model["ties"]["samples"] == [sample]
    assert f"{deduplicated} deduplicated" in out
    assert "warn 1 tie on ts: rows with the same id and ts but different values" in out and sample in out, out
    assert spark.table(rel).where("id IS NULL").count() == 0
    assert sorted(r[0] for r in spark.table(rel).select("id").distinct().collect()) == [1, 2, 3, 6]
    # a rerun of the same rows adds nothing (the NULL key is not inserted again, duplicates collapse again)
    before = spark.table(rel).count()
    (root / "data/b.csv").write_text(BATCH)
    assert main(["build", "--project-dir", str(root)]) == 0
    assert spark.table(rel).count() == before


@pytest.mark.parametrize("materialized,fmt", [("merge", "iceberg"), ("scd2", "iceberg"), ("scd1", "delta")])
def test_a_null_business_key_without_quarantine_fails_the_model_and_writes_nothing(lakehouse, project, capsys,
                                                                                   materialized, fmt):
    spark = lakehouse.spark
    catalog = "spark_session" if fmt == "delta" else "iceberg_jdbc"
    root = project(files(materialized, key_check=""), format=fmt, catalog=catalog)
    (root / "data/a.csv").write_text("id,name,ts,kind\n1,a,2024-01-01 00:00:00,ok\n")
    assert main(["build", "--project-dir", str(root)]) == 0
    (root / "data/b.csv").write_text("id,name,ts,kind\n,b,2024-01-02 00:00:00,ok\n,c,2024-01-02 00:00:00,ok\n"
                                     "7,d,2024-01-02 00:00:00,bad\n8,e,2024-01-02 00:00:00,ok\n")
    assert main(["build", "--project-dir", str(root)]) == 1
    out = capsys.readouterr().out
    assert "2 rows have NULL business key id; nothing was written" in out, out
    assert "NullPointerException" not in out and "USER_RAISED_EXCEPTION" not in out
    rel = relation(root, "spark_catalog" if fmt == "delta" else "lake")
    assert sorted(r[0] for r in spark.table(rel).select("id").collect()) == [1]
    assert spark.table(rel + "__quarantine").count() == 0  # kind 'bad' was quarantined, then taken back
    assert last_run(root)["models"][0]["status"] == "error"


def test_run_tables_on_parquet_and_the_session_catalog(lakehouse, project, capsys, monkeypatch):
    from sqlingest.runs import tables

    spark = lakehouse.spark
    monkeypatch.setattr(tables, "META_NAMESPACE", "meta_" + uuid.uuid4().hex[:8])
    root = project(files("table"), format="parquet", catalog="spark_session")
    assert main(["build", "--project-dir", str(root)]) == 0
    assert "could not append" not in capsys.readouterr().out
    run_id = last_run(root)["run_id"]
    rows = spark.sql(f"SELECT model, rows_in, rows_deduplicated FROM spark_catalog.{tables.META_NAMESPACE}.model_runs "
                     f"WHERE run_id = '{run_id}'").collect()
    assert [tuple(r) for r in rows] == [("gold.people", 10, 0)]
    checks = spark.sql(f"SELECT check_name FROM spark_catalog.{tables.META_NAMESPACE}.check_results "
                       f"WHERE run_id = '{run_id}'").collect()
    assert len(checks) == 3
    assert main(["runs", "--project-dir", str(root)]) == 0
    assert "10 rows in, 7 published, 2 quarantined, 1 dropped" in capsys.readouterr().out


def test_a_relationships_check_runs_after_its_reference_and_again_when_only_the_reference_is_built(
        lakehouse, project, capsys):
    from tests.check_edges_project import FILES

    root = project(dict(FILES))
    assert main(["build", "--project-dir", str(root)]) == 0  # a_orders sorts first, but is built after z_customers
    checks = {m["name"]: m["checks"] for m in last_run(root)["models"]}
    assert [(c["name"], c["outcome"]) for c in checks["gold.a_orders"]] == [("relationships(customer_id)", "pass")]
    (root / "data/customers/a.csv").write_text("id\n10\n")  # customer 20 is gone: order 2 is orphaned
    capsys.readouterr()
    assert main(["build", "--project-dir", str(root), "--select", "gold.z_customers"]) == 1
    out = capsys.readouterr().out
    assert "2/2 gold.a_orders    checks  FAIL" in out, out
    assert "relationships(customer_id): 1 row has customer_id not found in gold:k.z_customers.id" in out, out
    models = {m["name"]: m for m in last_run(root)["models"]}
    assert models["gold.z_customers"]["status"] == "success" and models["gold.a_orders"]["status"] == "error"
    assert models["gold.a_orders"]["rows_in"] is None  # checks only: not rebuilt


def _build_process(root, tmpdir):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmpdir)}
    return subprocess.Popen([sys.executable, "-m", "sqlingest", "build", "--project-dir", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)


@pytest.mark.slow
def test_a_killed_build_leaves_its_scratch_files_under_the_state_dir_and_the_next_build_removes_them(
        lakehouse, project, tmp_path):
    import os
    import signal
    import time
    from pathlib import Path

    private_tmp = tmp_path / "system-tmp"
    private_tmp.mkdir()
    root = project(files("table"))
    scratch = root / ".sqlingest" / "tmp"
    proc = _build_process(root, private_tmp)
    deadline = time.monotonic() + 300
    java = ""
    while time.monotonic() < deadline and proc.poll() is None:
        # the driver's copy of the jars is fetched when its first task runs
        if list(scratch.glob("*/blockmgr-*")) and list(scratch.glob("*/spark-*/userFiles-*/*.jar")):
            pids = [p for p in os.listdir("/proc") if p.isdigit()]
            for pid in pids:
                try:
                    if os.getpgid(int(pid)) == proc.pid and b"java" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        java = Path(f"/proc/{pid}/cmdline").read_bytes().decode().replace("\0", " ")
                except (OSError, ProcessLookupError):
                    continue
            if java:
                break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert java, "the build's JVM never started (or never used its scratch folder)"
    (leftover,) = [p for p in scratch.iterdir()]
    assert f"-Djava.io.tmpdir={leftover}" in java and f"spark.local.dir={leftover}" in java
    assert list(leftover.glob("spark-*/userFiles-*/*.jar")), "Spark's copy of the jars is in the scratch folder"
    assert not list(private_tmp.iterdir())
    assert main(["build", "--project-dir", str(root)]) == 0
    assert not leftover.exists()


@pytest.mark.slow
def test_two_builds_at_once_one_waits_for_nothing_and_says_who_holds_the_lock(lakehouse, project, tmp_path):
    import time

    root = project(files("table"))
    first = _build_process(root, tmp_path)
    lock = root / ".sqlingest" / "locks" / "dev.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text()):
        time.sleep(0.05)
    second = _build_process(root, tmp_path)
    out2, _ = second.communicate(timeout=120)
    out1, _ = first.communicate(timeout=600)
    assert first.returncode == 0, out1
    assert second.returncode == 1, out2
    assert f"error: another sqlingest build (pid {first.pid}, started " in out2
    assert "holds the lock for target dev: .sqlingest/locks/dev.lock" in out2
    assert "Spark" not in out2 and "Exception" not in out2
    assert lakehouse.spark.table(relation(root)).count() == 7
