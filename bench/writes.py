"""Benchmark: how much a rerun writes — Spark jobs, commits and bytes per invocation of incremental models.

    python bench/writes.py [--rows 200000] [--changed 0.05] [--formats iceberg,delta,parquet]

One project (``bench/work/writes/project``), one Parquet source of orders (``spark.range`` + ``xxhash64``,
deterministic; ``bench/data/writes/<rows>/``) and per format one model:

- iceberg, delta: ``silver.orders_<format>``, ``materialized='merge'`` on ``order_id`` (ordering ``updated_at``),
  reading the **whole** source every run (the common "reprocess everything, let the MERGE sort it out" model);
- parquet: ``silver.orders_parquet``, ``materialized='insert_overwrite'`` partitioned by ``order_date``.

Three invocations per format, in this process (``sqlingest.cli.main(["run", …])``, one SparkSession):

1. ``initial``  — ``--full-refresh`` on the initial data;
2. ``same``     — the same data again: nothing changes;
3. ``changes``  — ``--changed`` of the keys get a new status/amount and a later ``updated_at`` (merge); for the
   Parquet model the changed rows' days are delivered alone (the batch of a day-partitioned feed).

Per invocation: the model's Spark jobs (the run record's ``spark_jobs``: job groups, load-independent), the commits
it added (Iceberg snapshots, Delta versions; Parquet: files written), the bytes it wrote (Iceberg ``added-files-size``,
Delta ``numOutputBytes``, Parquet files' sizes) and its seconds (load-dependent). The table's rows are checked
against the expected result after every invocation (the benchmark exits 1 otherwise).

Run it with another checkout's code to compare (``PYTHONPATH=/path/to/other/checkout python bench/writes.py``):
the script only uses the CLI and the run record. Results: Markdown on stdout, ``bench/results/writes-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work" / "writes"
PROJECT = WORK / "project"
DATA = BENCH / "data" / "writes"
RESULTS = BENCH / "results"
NS = "bench_writes"
FORMATS = ("iceberg", "delta", "parquet")
COLUMNS = [("order_id", "bigint"), ("customer_id", "bigint"), ("status", "string"), ("amount", "decimal(12,2)"),
           ("order_date", "date"), ("updated_at", "timestamp")]

sys.path.insert(0, str(BENCH))
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # after PYTHONPATH: another checkout's sqlingest may be measured

from run import SPARK_CONF, git_facts, machine


def generate(spark: Any, rows: int, changed: float) -> Path:
    """``initial/`` (``rows`` orders over 100 days), ``changes/`` (every row; ``changed`` of them with new values)
    and ``days/`` (only the changed rows' days, whole, as in ``changes/``)."""
    out = DATA / f"{rows}-{changed}"
    if (out / "_done").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    base = spark.range(1, rows + 1).selectExpr(
        "id AS order_id", "pmod(xxhash64(id, 1), 10000) + 1 AS customer_id",
        "element_at(array('open', 'paid', 'shipped'), CAST(pmod(xxhash64(id, 2), 3) AS INT) + 1) AS status",
        "CAST(pmod(xxhash64(id, 3), 100000) / 100 AS DECIMAL(12,2)) AS amount",
        "date_add(DATE'2024-01-01', CAST(id % 100 AS INT)) AS order_date",
        "timestamp_seconds(1704067200 + pmod(xxhash64(id, 4), 86400)) AS updated_at")
    base.write.parquet(str(out / "initial"))
    # the changed keys: ``changed`` of them, in as many days of the 100 (so a day-partitioned batch is small)
    hit = f"order_id % 100 < {max(1, round(changed * 100))}"
    changes = base.selectExpr(
        "order_id", "customer_id", f"CASE WHEN {hit} THEN 'returned' ELSE status END AS status",
        f"CASE WHEN {hit} THEN amount + 1 ELSE amount END AS amount", "order_date",
        f"CASE WHEN {hit} THEN updated_at + INTERVAL 1 DAY ELSE updated_at END AS updated_at")
    changes.write.parquet(str(out / "changes"))
    days = [r[0] for r in changes.where("status = 'returned'").select("order_date").distinct().collect()]
    changes.where(changes.order_date.isin(days)).write.parquet(str(out / "days"))
    (out / "_done").write_text(json.dumps({"rows": rows, "changed": changed, "days": len(days)}))
    return out


def write_project(formats: list[str]) -> Path:
    shutil.rmtree(PROJECT, ignore_errors=True)
    conf = "".join(f"        {k}: \"{v}\"\n" for k, v in SPARK_CONF.items())
    spark = f"    spark:\n      master: local[*]\n      conf:\n{conf}"
    columns = "columns:\n" + "".join(f"  - {{name: {n}, type: '{t}'}}\n" for n, t in COLUMNS)
    select = ", ".join(n for n, _ in COLUMNS)
    files = {
        "sqlingest.yml": (
            "name: writes_bench\ndefault_target: lake\nlayers:\n"
            f"  bronze: {{namespace: {NS}_bronze}}\n  silver: {{namespace: {NS}}}\n  gold: {{namespace: {NS}_gold}}\n"
            "targets:\n  lake:\n" + spark
            + f"    catalog:\n      type: iceberg_jdbc\n      name: lake\n"
            f"      uri: \"jdbc:sqlite:{WORK / 'catalog.db'}\"\n      warehouse: \"{WORK / 'warehouse'}\"\n"
            "    format: iceberg\n  session:\n" + spark
            + f"    catalog:\n      type: spark_session\n      warehouse: \"{WORK / 'spark-warehouse'}\"\n"
            "    format: delta\n"),
        "contracts/shop/orders.source.yml": ("name: shop.orders\nlayer: source\n"
                                             "source: {format: parquet, path: data/orders/*.parquet}\n" + columns),
    }
    for fmt in formats:
        keys = "keys: {business: [order_id], ordering: updated_at}\n"
        extra = "partitioned_by: [order_date]\n" if fmt == "parquet" else ""
        files[f"contracts/shop/orders_{fmt}.silver.yml"] = (
            f"name: shop.orders_{fmt}\nlayer: silver\nformat: {fmt}\n{keys}{extra}" + columns
            + "checks:\n  - {type: primary_key, columns: [order_id]}\n")
        config = ("materialized='insert_overwrite'" if fmt == "parquet" else "materialized='merge'")
        files[f"models/silver/orders_{fmt}.sql"] = (
            f"{{{{ config({config}) }}}}\nSELECT {select} FROM {{{{ source('shop', 'orders') }}}}\n")
    for name, text in files.items():
        path = PROJECT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return PROJECT


def point_source(folder: Path) -> None:
    link = PROJECT / "data" / "orders"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(folder, target_is_directory=True)


def relation(fmt: str) -> str:
    return f"lake.{NS}.orders_{fmt}" if fmt == "iceberg" else f"spark_catalog.{NS}.orders_{fmt}"


def commits_and_bytes(spark: Any, fmt: str) -> tuple[int, int]:
    rel = relation(fmt)
    if fmt == "iceberg":
        rows = spark.sql(f"SELECT summary['added-files-size'] FROM {rel}.snapshots").collect()
        return len(rows), sum(int(r[0] or 0) for r in rows)
    if fmt == "delta":
        rows = spark.sql(f"DESCRIBE HISTORY {rel}").collect()
        # writes report numOutputBytes, a MERGE numTargetBytesAdded
        return len(rows), sum(int((r["operationMetrics"] or {}).get("numOutputBytes")
                                  or (r["operationMetrics"] or {}).get("numTargetBytesAdded") or 0) for r in rows)
    files = spark.sql(f"SELECT DISTINCT _metadata.file_path AS p, _metadata.file_size AS s FROM {rel}").collect()
    # Parquet keeps no history: the files the table holds now, named by path (a rewritten file has a new name)
    return len(files), sum(int(r.s) for r in files)


def invoke(fmt: str, full_refresh: bool) -> dict[str, Any]:
    from sqlingest.cli import main

    args = ["run", "--project-dir", str(PROJECT), "--select", f"silver.orders_{fmt}",
            "--target", "session" if fmt != "iceberg" else "lake"]
    started = time.perf_counter()
    if main([*args, *(["--full-refresh"] if full_refresh else [])]) != 0:
        raise SystemExit(f"sqlingest run failed for {fmt}")
    seconds = time.perf_counter() - started
    record = json.loads(max((PROJECT / ".sqlingest" / "runs").glob("*.json")).read_text())
    model = record["models"][0]
    return {"seconds": round(seconds, 2), "model_seconds": model.get("seconds"), "spark_jobs": model.get("spark_jobs"),
            "write_strategy": model.get("write_strategy")}


def expected(spark: Any, folder: Path) -> Any:
    return spark.read.parquet(str(folder)).selectExpr(*[n for n, _ in COLUMNS])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--work", type=Path, default=BENCH / "work" / "writes", help="the project, catalog and warehouse (to run two "
                        "checkouts side by side)")
    args = parser.parse_args(argv)
    global WORK, PROJECT
    WORK, PROJECT = args.work.resolve(), args.work.resolve() / "project"
    formats = [f for f in args.formats.split(",") if f]
    import sqlingest

    write_project(formats)
    spark = _session()
    data = generate(spark, args.rows, args.changed)
    results: dict[str, list[dict[str, Any]]] = {}
    failed = False
    for fmt in formats:
        results[fmt] = []
        steps = [("initial", data / "initial", True, data / "initial"),
                 ("same", data / "initial", False, data / "initial"),
                 ("changes", data / ("days" if fmt == "parquet" else "changes"), False, data / "changes")]
        for name, source, full, want in steps:
            point_source(source)
            before = commits_and_bytes(spark, fmt) if not full else (0, 0)
            step = {"format": fmt, "step": name, **invoke(fmt, full)}
            after = commits_and_bytes(spark, fmt)
            step["commits"] = after[0] - before[0] if fmt != "parquet" else None
            step["bytes_written"] = after[1] - before[1] if fmt != "parquet" else None
            if fmt == "parquet":
                step["files"] = after[0]
            table = spark.table(relation(fmt)).selectExpr(*[n for n, _ in COLUMNS])
            wanted = expected(spark, want)
            step["identical"] = table.exceptAll(wanted).isEmpty() and wanted.exceptAll(table).isEmpty()
            failed = failed or not step["identical"]
            results[fmt].append(step)
            print(json.dumps(step), flush=True)
    facts = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "rows": args.rows, "changed": args.changed,
             "sqlingest": str(Path(sqlingest.__file__).parent), **git_facts(), **machine()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"writes-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"facts": facts, "results": results}, indent=2, default=str) + "\n")
    print("\n| format | invocation | Spark jobs | commits | bytes written | seconds | write | identical |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for fmt, steps in results.items():
        for s in steps:
            commits = s["commits"] if s["commits"] is not None else f"{s['files']} files"
            print(f"| {fmt} | {s['step']} | {s['spark_jobs']} | {commits} | {s['bytes_written'] or 0:,} | "
                  f"{s['seconds']} | {s['write_strategy'] or ''} | {s['identical']} |")
    print(f"\n{out.relative_to(REPO)}; sqlingest from {facts['sqlingest']}")
    return 1 if failed else 0


def _session() -> Any:
    """Built like sqlingest's own: the bench-local Iceberg JDBC catalog (SQLite) as ``lake`` and Spark's session
    catalog (Delta, Parquet; embedded Derby metastore under ``bench/work/writes``). The CLI reuses it."""
    from sqlingest.catalogs.iceberg import IcebergJdbcCatalog
    from sqlingest.catalogs.session import SessionCatalog
    from sqlingest.execute.session import build_session
    from sqlingest.project.config import CatalogConfig, SparkConfig

    WORK.mkdir(parents=True, exist_ok=True)
    iceberg = IcebergJdbcCatalog(CatalogConfig(type="iceberg_jdbc", name="lake", uri=f"jdbc:sqlite:{WORK / 'catalog.db'}",
                                               warehouse=str(WORK / "warehouse")), WORK, WORK)
    session = SessionCatalog(CatalogConfig(type="spark_session", warehouse=str(WORK / "spark-warehouse")), WORK, WORK)
    session.prepare()
    return build_session(SparkConfig(master="local[*]", driver_memory="2g", app_name="sqlingest-bench-writes",
                                     conf={**session.spark_conf(), **SPARK_CONF}), iceberg)


if __name__ == "__main__":
    raise SystemExit(main())
