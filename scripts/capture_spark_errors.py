"""Capture real Spark/JVM exception texts as fixtures for ``tests/unit/test_root_cause.py``.

Runs each failure on a local SparkSession (Iceberg on SQLite, Delta by path, the private PostgreSQL of the tests)
and writes, per case, the Python exception type, ``str(exc)``, the JVM stack string pyspark keeps and the Java
``getCause()`` chain (class, message) to ``tests/unit/fixtures/spark_errors.json``::

    PYTHONPATH=$PWD .venv/bin/python scripts/capture_spark_errors.py
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: case names given on the command line: capture only those and keep the others of the fixture file
ONLY = set(sys.argv[1:])
OUT = Path(__file__).resolve().parent.parent / "tests" / "unit" / "fixtures" / "spark_errors.json"


def java_chain(exc: BaseException) -> list[dict[str, str | None]]:
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    chain: list[dict[str, str | None]] = []
    while java is not None and len(chain) < 20:
        chain.append({"class": java.getClass().getName(), "message": java.getMessage()})
        java = java.getCause()
    return chain


def capture(name: str, action: Callable[[], Any], cases: dict[str, Any]) -> None:
    if ONLY and name not in ONLY:
        return
    try:
        action()
    except Exception as exc:  # noqa: BLE001 — that is the point
        cases[name] = {"python_type": type(exc).__name__, "text": str(exc),
                       "stack": getattr(exc, "stackTrace", None), "chain": java_chain(exc)}
        print(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:150] if str(exc) else ''}")
        return
    print(f"{name}: did not fail", file=sys.stderr)


def main() -> int:
    from sqlingest.catalogs.iceberg import IcebergJdbcCatalog
    from sqlingest.execute.session import build_session
    from sqlingest.project.config import CatalogConfig, SparkConfig
    from sqlingest.services.postgres import start_postgres

    root = Path(tempfile.mkdtemp(prefix="sqlingest-capture-"))
    catalog = IcebergJdbcCatalog(CatalogConfig(type="iceberg_jdbc", name="lake"), root, root)
    spark = build_session(SparkConfig(master="local[1]", conf={
        "spark.sql.shuffle.partitions": "1", "spark.ui.enabled": "false", "spark.driver.maxResultSize": "1m",
        "spark.task.maxFailures": "1"}), catalog)
    cases: dict[str, Any] = {}
    spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.db")
    spark.sql("CREATE TABLE lake.db.t (id INT, s STRING) USING iceberg")

    spark.conf.set("spark.sql.ansi.enabled", "true")
    capture("cast_invalid_input_driver", lambda: spark.sql("SELECT CAST(s AS INT) FROM VALUES ('abc') t(s)").collect(),
            cases)
    capture("cast_invalid_input_task", lambda: spark.sql(
        "INSERT INTO lake.db.t SELECT CAST(concat('ab', id) AS INT), 'x' FROM range(3)").collect(), cases)
    spark.conf.set("spark.sql.ansi.enabled", "false")
    capture("missing_path", lambda: spark.read.parquet(str(root / "nowhere")).collect(), cases)
    capture("unresolved_column", lambda: spark.sql("SELECT idd FROM lake.db.t").collect(), cases)
    capture("parse_error", lambda: spark.sql("SELEC id FROM lake.db.t").collect(), cases)

    folder = root / "csv"
    folder.mkdir()
    (folder / "a.csv").write_text("1,a\n2,b\n")
    frame = spark.read.schema("id INT, s STRING").csv(str(folder))
    frame.count()
    (folder / "a.csv").unlink()
    capture("file_deleted_during_read", lambda: frame.collect(), cases)

    from pyspark.sql import functions as F

    @F.udf("int")
    def broken(x: int) -> int:
        return 1 // (x - x)

    capture("python_udf_in_task", lambda: spark.range(2).select(broken("id")).collect(), cases)
    capture("max_result_size", lambda: spark.range(0, 400000, 1, 2).selectExpr(
        "sha2(CAST(id AS STRING), 256) AS s").collect(), cases)
    spark.conf.set("spark.sql.ansi.enabled", "true")
    capture("broadcast_join_task", lambda: spark.sql(
        "SELECT /*+ BROADCAST(b) */ * FROM range(3) a JOIN (SELECT CAST(concat('x', id) AS INT) AS k "
        "FROM range(3)) b ON a.id = b.k").collect(), cases)
    spark.conf.set("spark.sql.ansi.enabled", "false")
    capture("not_null_constraint", lambda: (
        spark.sql("CREATE TABLE lake.db.nn (id INT NOT NULL) USING iceberg"),
        spark.sql("INSERT INTO lake.db.nn SELECT CAST(NULL AS INT)")), cases)

    if ONLY and not ONLY & {"delta_concurrent_append", "delta_concurrent_sql", "iceberg_commit_failed",
                            "sqlite_busy", "jdbc_auth_failed", "jdbc_missing_table", "streaming_query"}:
        return _save(cases, spark)
    # Delta: a transaction that read the table, then a concurrent append, then its own commit
    delta = str(root / "delta")
    spark.range(3).write.format("delta").save(delta)

    def delta_conflict() -> None:
        jvm = spark._jvm
        log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, delta)
        txn = log.startTransaction()
        files = txn.filterFiles()  # reads every file: a concurrent add conflicts
        spark.range(3, 5).write.format("delta").mode("append").save(delta)
        removed = jvm.java.util.ArrayList()
        removed.add(files.head().remove())
        actions = jvm.scala.collection.JavaConverters.asScalaBuffer(removed).toSeq()
        op = getattr(getattr(jvm.org.apache.spark.sql.delta, "DeltaOperations$ManualUpdate$"), "MODULE$")
        txn.commit(actions, op)

    capture("delta_concurrent_append", delta_conflict, cases)
    capture("delta_concurrent_sql", lambda: _delta_sql_conflict(spark, delta), cases)

    # Iceberg: a commit on stale metadata with retries off
    def iceberg_conflict() -> None:
        spark.sql("ALTER TABLE lake.db.t SET TBLPROPERTIES ('commit.retry.num-retries'='0')")
        jvm = spark._jvm
        table = jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark._jsparkSession, "lake.db.t")
        ops = table.operations()
        base = ops.current()
        spark.sql("INSERT INTO lake.db.t VALUES (1, 'a')")
        ops.commit(base, base.replaceProperties(jvm.java.util.HashMap({"k": "v"})))

    capture("iceberg_commit_failed", iceberg_conflict, cases)

    # SQLITE_BUSY: another connection holds the catalog database's write lock
    db = sqlite3.connect(str(catalog.uri()).removeprefix("jdbc:sqlite:").split("?")[0], timeout=1,
                         check_same_thread=False)
    db.execute("BEGIN EXCLUSIVE")
    capture("sqlite_busy", lambda: spark.sql("CREATE TABLE lake.db.busy (id INT) USING iceberg"), cases)
    db.rollback()
    db.close()

    pg = start_postgres() if not ONLY or ONLY & {"jdbc_auth_failed", "jdbc_missing_table"} else None
    try:
        with _pg_password_auth(pg, "capture_user", "right-password"):
            capture("jdbc_auth_failed", lambda: spark.read.format("jdbc").options(
                url=pg.jdbc_url, dbtable="pg_class", user="capture_user", password="wrong-password").load(), cases)
        capture("jdbc_missing_table", lambda: spark.read.format("jdbc").options(
            url=pg.jdbc_url, dbtable="public.nope", user=pg.user, password=pg.password).load(), cases)
    finally:
        if pg is not None:
            pg.stop()

    def stream_fails() -> None:
        if ONLY and "streaming_query" not in ONLY:
            return
        query = spark.readStream.format("rate").load().writeStream.foreachBatch(
            lambda df, i: spark.sql("SELECT CAST('abc' AS INT)").collect()
            if spark.conf.set("spark.sql.ansi.enabled", "true") is None else None).start()
        query.awaitTermination(60)

    capture("streaming_query", stream_fails, cases)

    return _save(cases, spark)


def _save(cases: dict[str, Any], spark: Any) -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if ONLY:  # refresh some cases, keep the others
        cases = {**json.loads(OUT.read_text(encoding="utf-8")), **{k: v for k, v in cases.items() if k in ONLY}}
    OUT.write_text(json.dumps(cases, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(cases)} case(s) → {OUT}")
    spark.stop()
    return 0


def _delta_sql_conflict(spark: Any, delta: str) -> None:
    """A DELETE whose commit meets a concurrent append of a row it would have deleted (through SQL)."""
    barrier = threading.Event()
    errors: list[BaseException] = []
    spark.sql(f"ALTER TABLE delta.`{delta}` SET TBLPROPERTIES ('delta.isolationLevel' = 'Serializable')")

    def writer() -> None:
        barrier.wait()
        try:
            spark.range(100, 101).write.format("delta").mode("append").save(delta)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    from pyspark.sql import functions as F

    @F.udf("boolean")
    def slow(x: int) -> bool:
        import time

        barrier_file = Path(delta).parent / "go"
        barrier_file.touch()
        time.sleep(3)
        return True

    import time

    def release() -> None:
        while not (Path(delta).parent / "go").exists():
            time.sleep(0.05)
        barrier.set()

    threading.Thread(target=release, daemon=True).start()
    spark.udf.register("slow_true", slow)
    try:
        spark.sql(f"DELETE FROM delta.`{delta}` WHERE id >= 0 AND slow_true(id)")
    finally:
        thread.join()


class _pg_password_auth:
    """Require a password (scram) for ``user`` on the private cluster while inside the block."""

    def __init__(self, pg: Any, user: str, password: str) -> None:
        self.pg, self.user, self.password = pg, user, password
        self.hba = pg.data_dir / "pg_hba.conf"

    def __enter__(self) -> None:
        import psycopg2

        self.original = self.hba.read_text()
        self.hba.write_text(f"host all {self.user} 127.0.0.1/32 scram-sha-256\n" + self.original)
        with psycopg2.connect(self.pg.dsn) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE ROLE {self.user} LOGIN PASSWORD '{self.password}'")
            cur.execute("SELECT pg_reload_conf()")
        conn.close()

    def __exit__(self, *exc: object) -> None:
        self.hba.write_text(self.original)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(1)
