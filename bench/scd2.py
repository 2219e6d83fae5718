"""Benchmark: SCD2 of a batch of changed rows into a dimension — sqlingest's ``scd2`` vs a hand-written ``MERGE INTO``.

    python bench/scd2.py [--dimension 10000000] [--changes 1000000] [--formats iceberg,delta] [--rounds 2]
                         [--iceberg-merge-mode copy-on-write|merge-on-read]

Data (``spark.range`` + ``xxhash64``, deterministic; Parquet under ``bench/data/scd2/<dimension>-<changes>/``):

- ``initial/``  the dimension: ``--dimension`` customers (keys 1..N), tracked columns ``name``, ``email``,
  ``country``, ``segment``, an untracked ``loyalty_points`` and the ordering column ``updated_at`` (in 2024);
- ``batch/``    ``--changes`` rows, one per key, all newer than the dimension (January 2025):
  80 % updates of existing keys (each changes at least one tracked column), 10 % new keys, 10 % existing keys whose
  tracked columns are unchanged (only ``loyalty_points`` and ``updated_at`` differ) — these must NOT open a version.

Per format (Iceberg on the bench-local SQLite JDBC catalog, Delta in Spark's session catalog):

- **sqlingest**: a real project in ``bench/work/scd2/project`` (``sqlingest.yml`` with an ``iceberg`` and a ``delta``
  target, a Parquet source contract, a silver contract, ``models/silver/customers.sql`` with
  ``materialized='scd2'``). The source folder ``data/customers`` is a symlink: it points at ``initial/`` for the
  (untimed) initial build, ``sqlingest run --full-refresh``, and at ``batch/`` for the timed incremental
  ``sqlingest run`` (``sqlingest.cli.main``, in this process). Timed: the run of the models (a run hook); the CLI's
  compile + session lookup before it and its run-record writes after it are reported separately.
- **baseline**: the textbook SCD2 ``MERGE INTO`` (staged updates UNION ALL the changed rows again with a NULL merge
  key: the first close the current version, the second insert the new one; change detection on the tracked columns
  with ``<=>``), on a copy of sqlingest's initial table (same DDL, ``INSERT INTO … SELECT *``), reading the same
  Parquet batch.

Before every timed run the table is put back to its initial version (Iceberg ``rollback_to_snapshot``, Delta
``RESTORE``: metadata only). Rounds alternate the order of the two sides. After every round both tables must hold
the same rows (counts, current/closed versions, checksums; ``--exact``: ``exceptAll`` both ways) and the counts the
mix implies, or the benchmark exits 1. Results: a Markdown table on stdout and ``bench/results/scd2-<time>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work" / "scd2"
PROJECT = WORK / "project"
DATA = BENCH / "data" / "scd2"
RESULTS = BENCH / "results"
ICEBERG_CATALOG = "lake"
SQLINGEST_NS = "bench_scd2_sqlingest"
BASELINE_NS = "bench_scd2_baseline"
TABLE = "customers"
FORMATS = ("iceberg", "delta")

KEY = "customer_id"
TRACKED = ["name", "email", "country", "segment"]
UNTRACKED = ["loyalty_points"]
ORDERING = "updated_at"
COLUMNS = [KEY, *TRACKED, *UNTRACKED, ORDERING]
SCD2_COLUMNS = ["valid_from", "valid_to", "is_current"]

EPOCH_2024 = 1_704_067_200  # 2024-01-01T00:00:00Z: the dimension's updated_at lie in 2024
EPOCH_2025 = 1_735_689_600  # 2025-01-01T00:00:00Z: the batch's in January 2025
COUNTRIES = ["GB", "US", "NL", "CH", "DE", "FR", "ES", "IT"]
SEGMENTS = ["consumer", "smb", "enterprise", "public"]

sys.path.insert(0, str(BENCH))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# bench/run.py: the session's Spark settings, job groups, machine and git facts
from generate import scale_name
from run import SPARK_CONF, Jobs, git_facts, machine

from sqlingest.formats import get_format


# -- the data -----------------------------------------------------------------------------------------------------
def mix(changes: int) -> dict[str, int]:
    """How the batch splits: 80 % updates, 10 % unchanged (tracked columns equal), the rest new keys."""
    updates = changes * 8 // 10
    unchanged = changes // 10
    return {"updates": updates, "unchanged": unchanged, "new": changes - updates - unchanged}


def _array(values: list[str]) -> str:
    return "array(" + ", ".join(f"'{v}'" for v in values) + ")"


def _attributes(key: str) -> dict[str, str]:
    """A customer's initial values, as SQL expressions of its key (the batch recomputes them for unchanged rows)."""
    return {
        "name": f"concat('Customer ', {key})",
        "email": f"concat('user', {key}, '@example.com')",
        "country": f"element_at({_array(COUNTRIES)}, CAST(pmod(xxhash64({key}, 1), {len(COUNTRIES)}) AS INT) + 1)",
        "segment": f"element_at({_array(SEGMENTS)}, CAST(pmod(xxhash64({key}, 2), {len(SEGMENTS)}) AS INT) + 1)",
        "loyalty_points": f"CAST(pmod(xxhash64({key}, 3), 10000) AS INT)",
        "updated_at": f"timestamp_seconds({EPOCH_2024} + pmod(xxhash64({key}, 4), {365 * 86_400}))",
    }


def _stride(dimension: int) -> int:
    """A multiplier coprime with the dimension size: ``1 + pmod(i * stride, N)`` visits distinct keys, spread out."""
    for candidate in (7_919, 7_927, 7_933, 7_937, 7_949, 7_951):
        if math.gcd(candidate, dimension) == 1:
            return candidate
    raise ValueError(f"no stride coprime with {dimension}")


def data_dir(dimension: int, changes: int) -> Path:
    return DATA / f"{scale_name(dimension)}-{scale_name(changes)}"


def generate(spark: Any, dimension: int, changes: int, *, force: bool = False) -> Path:
    """Write ``initial/`` (the dimension) and ``batch/`` (the changed rows) once; deterministic."""
    out = data_dir(dimension, changes)
    marker = out / "_GENERATED.json"
    if marker.is_file() and not force:
        return out
    m = mix(changes)
    if m["updates"] + m["unchanged"] > dimension:
        raise SystemExit(f"--changes {changes:,}: {m['updates'] + m['unchanged']:,} existing keys needed, "
                         f"the dimension has {dimension:,}")
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    a = _attributes("id")
    initial = spark.range(1, dimension + 1, numPartitions=max(1, dimension // 1_000_000)).selectExpr(
        f"id AS {KEY}", *[f"{a[c]} AS {c}" for c in COLUMNS[1:]])
    initial.write.parquet(str(out / "initial"))

    # batch row i: i < updates → an update of key k(i); i < updates + unchanged → key k(i) unchanged; else a new key
    u, c = m["updates"], m["unchanged"]
    stride = _stride(dimension)
    k = _attributes("k")
    country_idx = f"CAST(pmod(xxhash64(k, 1), {len(COUNTRIES)}) AS INT)"
    segment_idx = f"CAST(pmod(xxhash64(k, 2), {len(SEGMENTS)}) AS INT)"
    kind = f"CASE WHEN i < {u} THEN pmod(i, 4) WHEN i < {u + c} THEN -1 ELSE -2 END"  # 0..3 update, -1 same, -2 new
    batch = (spark.range(0, changes, numPartitions=max(1, changes // 500_000))
             .selectExpr("id AS i", f"{kind} AS kind",
                         f"CASE WHEN id < {u + c} THEN 1 + pmod(id * {stride}, {dimension}) "
                         f"ELSE {dimension} + 1 + id - {u + c} END AS k")
             .selectExpr(
                 f"k AS {KEY}",
                 f"CASE WHEN kind = 3 THEN concat('Customer ', k, ' Jr.') ELSE {k['name']} END AS name",
                 f"CASE WHEN kind IN (0, 3) THEN concat('customer', k, '@mail.example.org') ELSE {k['email']} END "
                 "AS email",
                 # a different country / segment: the next one in the list
                 f"CASE WHEN kind = 1 THEN element_at({_array(COUNTRIES)}, pmod({country_idx} + 1, "
                 f"{len(COUNTRIES)}) + 1) ELSE {k['country']} END AS country",
                 f"CASE WHEN kind = 2 THEN element_at({_array(SEGMENTS)}, pmod({segment_idx} + 1, "
                 f"{len(SEGMENTS)}) + 1) ELSE {k['segment']} END AS segment",
                 # untracked: differs on every existing key, opens no version by itself
                 f"CASE WHEN kind = -2 THEN {k['loyalty_points']} ELSE {k['loyalty_points']} + 1 END "
                 "AS loyalty_points",
                 f"timestamp_seconds({EPOCH_2025} + pmod(xxhash64(k, 5), {30 * 86_400})) AS updated_at"))
    batch.write.parquet(str(out / "batch"))
    facts = {"dimension": dimension, "changes": changes, "mix": m, "stride": stride,
             "seconds": round(time.perf_counter() - started, 1),
             "generated_at": datetime.now(UTC).isoformat(timespec="seconds")}
    marker.write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    return out


# -- session ------------------------------------------------------------------------------------------------------
def catalogs() -> tuple[Any, Any]:
    from sqlingest.catalogs.iceberg import IcebergJdbcCatalog
    from sqlingest.catalogs.session import SessionCatalog
    from sqlingest.project.config import CatalogConfig

    WORK.mkdir(parents=True, exist_ok=True)
    iceberg = IcebergJdbcCatalog(CatalogConfig(type="iceberg_jdbc", name=ICEBERG_CATALOG,
                                               uri=f"jdbc:sqlite:{WORK / 'catalog.db'}",
                                               warehouse=str(WORK / "warehouse")), WORK, WORK)
    session = SessionCatalog(CatalogConfig(type="spark_session", warehouse=str(WORK / "spark-warehouse")), WORK, WORK)
    return iceberg, session


def make_session(driver_memory: str) -> Any:
    """Built like sqlingest's own (``build_session``): the bench-local Iceberg JDBC catalog (SQLite) as ``lake`` and
    Spark's session catalog (Delta, embedded Derby metastore under ``bench/work/scd2``)."""
    from sqlingest.execute.session import build_session
    from sqlingest.project.config import SparkConfig

    iceberg, session = catalogs()
    session.prepare()
    conf = {**session.spark_conf(), **SPARK_CONF}
    return build_session(SparkConfig(master="local[*]", driver_memory=driver_memory, app_name="sqlingest-bench-scd2",
                                     conf=conf), iceberg)


def jvm_cpu_seconds(spark: Any) -> float | None:
    """CPU time (user + system) of the driver JVM so far — in local mode all Spark work runs there. Less sensitive to
    other processes on a shared machine than wall time. Linux only (``/proc``); None elsewhere."""
    try:
        pid = spark.sparkContext._jvm.ProcessHandle.current().pid()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def relation(fmt: str, namespace: str) -> str:
    return f"{ICEBERG_CATALOG if fmt == 'iceberg' else 'spark_catalog'}.{namespace}.{TABLE}"


# -- the sqlingest project ----------------------------------------------------------------------------------------
CONTRACT_COLUMNS = f"""columns:
  - {{name: {KEY}, type: bigint, nullable: false}}
  - {{name: name, type: string}}
  - {{name: email, type: string}}
  - {{name: country, type: string}}
  - {{name: segment, type: string}}
  - {{name: loyalty_points, type: int}}
  - {{name: {ORDERING}, type: timestamp, nullable: false}}
"""


def write_project(driver_memory: str, strategy: str = "auto") -> Path:
    shutil.rmtree(PROJECT, ignore_errors=True)
    conf = "".join(f"        {k}: \"{v}\"\n" for k, v in SPARK_CONF.items())
    spark = f"    spark:\n      master: local[*]\n      driver_memory: {driver_memory}\n      conf:\n{conf}"
    files = {
        "sqlingest.yml": (
            "# Written by bench/scd2.py: one scd2 model, an Iceberg and a Delta target.\n"
            "name: scd2_bench\ndefault_target: iceberg\nlayers:\n"
            f"  bronze: {{namespace: {SQLINGEST_NS}_bronze}}\n  silver: {{namespace: {SQLINGEST_NS}}}\n"
            f"  gold: {{namespace: {SQLINGEST_NS}_gold}}\n"
            "targets:\n  iceberg:\n" + spark
            + f"    catalog:\n      type: iceberg_jdbc\n      name: {ICEBERG_CATALOG}\n"
            f"      uri: \"jdbc:sqlite:{WORK / 'catalog.db'}\"\n      warehouse: \"{WORK / 'warehouse'}\"\n"
            "    format: iceberg\n  delta:\n" + spark
            + f"    catalog:\n      type: spark_session\n      warehouse: \"{WORK / 'spark-warehouse'}\"\n"
            "    format: delta\n"),
        "contracts/crm/customers.source.yml": (
            "name: crm.customers\nlayer: source\nsource: {format: parquet, path: data/customers/*.parquet}\n"
            + CONTRACT_COLUMNS),
        "contracts/crm/customers.silver.yml": (
            "name: crm.customers\nlayer: silver\ndescription: Customer dimension, SCD2 (one row per version)\n"
            f"keys: {{business: [{KEY}], ordering: {ORDERING}}}\n" + CONTRACT_COLUMNS
            + f"checks:\n  - {{type: primary_key, columns: [{KEY}, valid_from]}}\n"),
        "models/silver/customers.sql": (
            "{{ config(materialized='scd2', tracked_columns=" + repr(TRACKED) + f", scd2_strategy='{strategy}') }}}}\n"
            f"SELECT {', '.join(COLUMNS)}\nFROM {{{{ source('crm', 'customers') }}}}\n"),
    }
    for name, text in files.items():
        path = PROJECT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return PROJECT


def point_source(folder: Path) -> None:
    """The project's source folder ``data/customers`` → ``folder`` (a symlink: no data is copied)."""
    link = PROJECT / "data" / "customers"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(folder, target_is_directory=True)


_RUNS: list[dict[str, Any]] = []


def instrument_runner() -> None:
    """A run hook timing each run of the models inside the CLI, keeping its run record (in this process only)."""
    from sqlingest.execute.hooks import HOOKS, RunHook

    class Timed(RunHook):
        @contextlib.contextmanager
        def run(self, ctx: Any) -> Iterator[None]:
            cpu = jvm_cpu_seconds(ctx.spark)
            started = time.perf_counter()
            try:
                yield
            finally:
                seconds = time.perf_counter() - started
                after = jvm_cpu_seconds(ctx.spark)
                _RUNS.append({"started": started, "seconds": seconds, "record": ctx.record,
                              "jvm_cpu_seconds": None if cpu is None or after is None else after - cpu})

    HOOKS.register("bench_scd2", Timed())


def sqlingest_run(fmt: str, label: str, *, full_refresh: bool = False) -> dict[str, Any]:
    """``sqlingest run --target <fmt>`` through ``sqlingest.cli.main``; output in ``bench/work/scd2/logs``."""
    from sqlingest import cli

    log = WORK / "logs" / f"{label}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = ["run", "--project-dir", str(PROJECT), "--target", fmt] + (["--full-refresh"] if full_refresh else [])
    before = len(_RUNS)
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(argv)
    total = time.perf_counter() - started
    if code != 0 or len(_RUNS) != before + 1:
        raise SystemExit(f"sqlingest {' '.join(argv)} failed with exit code {code}; see {log}:\n"
                         + log.read_text(encoding="utf-8")[-3000:])
    run = _RUNS[-1]
    model = run["record"].models[0]
    if model.status != "success":
        raise SystemExit(f"sqlingest model {model.name} ended {model.status}: {model.error}; see {log}")
    return {"seconds": run["seconds"], "cli_seconds": total,
            "compile_and_session_seconds": run["started"] - started,
            "after_seconds": total - (run["started"] - started) - run["seconds"],
            "jvm_cpu_seconds": run["jvm_cpu_seconds"],
            "model_seconds": model.seconds, "model_jobs": model.spark_jobs, "rows_in": model.rows_in,
            "write_strategy": model.write_strategy,
            "run_id": run["record"].run_id}


# -- the baseline -------------------------------------------------------------------------------------------------
def baseline_sql(table: str, batch_view: str) -> str:
    """The textbook SCD2 MERGE: each batch row once with its key as merge key (closes the current version of a
    changed key, or inserts a new key), and the changed rows once more with a NULL merge key (never match: insert
    the new version). Unchanged rows match with no action."""
    changed = " OR ".join(f"NOT (t.{c} <=> s.{c})" for c in TRACKED)
    cols = ", ".join(COLUMNS)
    return f"""MERGE INTO {table} AS t
USING (
  SELECT s.{KEY} AS merge_key, s.* FROM {batch_view} AS s
  UNION ALL
  SELECT CAST(NULL AS BIGINT) AS merge_key, s.*
  FROM {batch_view} AS s
  JOIN {table} AS t ON t.{KEY} = s.{KEY} AND t.is_current
  WHERE {changed}
) AS s
ON t.{KEY} = s.merge_key AND t.is_current
WHEN MATCHED AND ({changed}) THEN
  UPDATE SET valid_to = s.{ORDERING}, is_current = false
WHEN NOT MATCHED THEN
  INSERT ({cols}, valid_from, valid_to, is_current)
  VALUES ({', '.join('s.' + c for c in COLUMNS)}, s.{ORDERING}, CAST(NULL AS TIMESTAMP), true)"""


def baseline_run(spark: Any, fmt: str, batch: Path) -> None:
    view = "__bench_scd2_batch"
    spark.read.parquet(str(batch)).createOrReplaceTempView(view)
    try:
        spark.sql(baseline_sql(relation(fmt, BASELINE_NS), view))
    finally:
        spark.catalog.dropTempView(view)


def copy_table(spark: Any, fmt: str) -> None:
    """The baseline's table: sqlingest's initial table's columns, types and NOT NULLs; its rows copied."""
    source, target = relation(fmt, SQLINGEST_NS), relation(fmt, BASELINE_NS)
    ddl = ", ".join(f"{f.name} {f.dataType.simpleString().upper()}" + ("" if f.nullable else " NOT NULL")
                    for f in spark.table(source).schema)
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {target.rsplit('.', 1)[0]}")
    drop(spark, fmt, BASELINE_NS)
    spark.sql(f"CREATE TABLE {target} ({ddl}) USING {fmt}")
    spark.sql(f"INSERT INTO {target} SELECT * FROM {source}")


def drop(spark: Any, fmt: str, namespace: str) -> None:
    get_format(fmt).drop(spark, relation(fmt, namespace))


# -- table versions -----------------------------------------------------------------------------------------------
def version(spark: Any, fmt: str, table: str) -> int:
    value = get_format(fmt).current_version(spark, table)
    assert value is not None, f"{table} has no version"
    return value


def reset(spark: Any, fmt: str, table: str, initial: int) -> None:
    """Back to the initial version (metadata only): Iceberg rollback, Delta RESTORE."""
    if version(spark, fmt, table) != initial:
        get_format(fmt).restore(spark, table, initial)


def reusable(spark: Any, fmt: str, state: dict[str, Any]) -> bool:
    """Both tables of an earlier ``--keep-tables`` run exist and still have their initial versions."""
    for side, namespace in (("sqlingest", SQLINGEST_NS), ("baseline", BASELINE_NS)):
        table = relation(fmt, namespace)
        if not spark.catalog.tableExists(table):
            return False
        try:
            reset(spark, fmt, table, state["versions"][side])
        except Exception:  # noqa: BLE001 — the version is gone (table rebuilt, history expired)
            return False
    return True


def files_of(spark: Any, fmt: str, table: str) -> dict[str, Any]:
    files, size = get_format(fmt).file_stats(spark, table)
    return {"files": files, "bytes": size}


# -- verification -------------------------------------------------------------------------------------------------
def summary_of(spark: Any, table: str) -> dict[str, int]:
    everything = ", ".join([*COLUMNS, *SCD2_COLUMNS])
    spec = ", ".join([KEY, *TRACKED, "is_current", "valid_to IS NULL"])
    row = spark.sql(f"""
        SELECT count(*) AS rows, count_if(is_current) AS current, count_if(valid_to IS NOT NULL) AS closed,
               count(DISTINCT {KEY}) AS keys, count_if(is_current <> (valid_to IS NULL)) AS inconsistent,
               sum(xxhash64({spec}) % 1000000007) AS checksum,
               sum(xxhash64({everything}) % 1000000007) AS checksum_all_columns
        FROM {table}""").first()
    return {k: int(v or 0) for k, v in row.asDict().items()}


def verify(spark: Any, fmt: str, dimension: int, changes: int, exact: bool) -> dict[str, Any]:
    """Both tables equal (counts, checksums; ``exact``: exceptAll both ways) and as the mix implies."""
    m = mix(changes)
    expected = {"rows": dimension + m["updates"] + m["new"], "current": dimension + m["new"],
                "closed": m["updates"], "keys": dimension + m["new"], "inconsistent": 0}
    a, b = relation(fmt, SQLINGEST_NS), relation(fmt, BASELINE_NS)
    sa, sb = summary_of(spark, a), summary_of(spark, b)
    problems = [f"{k}: sqlingest {sa[k]:,} vs baseline {sb[k]:,}" for k in sa if sa[k] != sb[k]]
    problems += [f"{k}: {side} {s[k]:,}, the mix implies {v:,}"
                 for side, s in (("sqlingest", sa), ("baseline", sb)) for k, v in expected.items() if s[k] != v]
    report: dict[str, Any] = {"sqlingest": sa, "baseline": sb, "expected": expected}
    if exact:
        cols = [*COLUMNS, *SCD2_COLUMNS]
        da, db = spark.table(a).select(*cols), spark.table(b).select(*cols)
        report["only_sqlingest"], report["only_baseline"] = da.exceptAll(db).count(), db.exceptAll(da).count()
        if report["only_sqlingest"] or report["only_baseline"]:
            problems.append(f"exceptAll: {report['only_sqlingest']:,} row(s) only in sqlingest's table, "
                            f"{report['only_baseline']:,} only in the baseline's")
    report["ok"], report["problems"] = not problems, problems
    return report


# -- the benchmark ------------------------------------------------------------------------------------------------
def prepare(spark: Any, fmt: str, data: Path, jobs: Jobs) -> dict[str, Any]:
    """Untimed: sqlingest's initial build (full refresh) of the dimension, the baseline's copy of it."""
    point_source(data / "initial")
    group = jobs.group(f"initial-{fmt}")
    jobs.current = group
    started = time.perf_counter()
    built = sqlingest_run(fmt, f"initial-{fmt}", full_refresh=True)
    initial_seconds = time.perf_counter() - started
    started = time.perf_counter()
    copy_table(spark, fmt)
    copy_seconds = time.perf_counter() - started
    jobs.current = None
    a, b = relation(fmt, SQLINGEST_NS), relation(fmt, BASELINE_NS)
    state = {"initial_build": {k: round(v, 2) if isinstance(v, float) else v for k, v in built.items()},
             "initial_build_seconds": round(initial_seconds, 2), "copy_seconds": round(copy_seconds, 2),
             "versions": {"sqlingest": version(spark, fmt, a), "baseline": version(spark, fmt, b)},
             "files": {"sqlingest": files_of(spark, fmt, a), "baseline": files_of(spark, fmt, b)}}
    point_source(data / "batch")
    return state


def timed(spark: Any, jobs: Jobs, fmt: str, side: str, label: str, data: Path, initial: int) -> dict[str, Any]:
    table = relation(fmt, SQLINGEST_NS if side == "sqlingest" else BASELINE_NS)
    reset(spark, fmt, table, initial)
    spark.catalog.clearCache()
    spark.sparkContext._jvm.System.gc()
    time.sleep(1)
    load = list(os.getloadavg())
    group = jobs.group(label)
    jobs.current = group
    cpu = jvm_cpu_seconds(spark)
    started = time.perf_counter()
    if side == "sqlingest":
        out = sqlingest_run(fmt, label)
        seconds = out["seconds"]  # the run hook: the model, without compile / session lookup / run records
    else:
        baseline_run(spark, fmt, data / "batch")
        seconds = time.perf_counter() - started
        out = {}
    cpu_after = jvm_cpu_seconds(spark)
    jobs.current = None
    spark.sparkContext.setJobGroup("bench-idle", "bench-idle", False)
    outside = jobs.count([group])  # the main thread's jobs: all of the baseline's; sqlingest's run-record writes
    result = {"format": fmt, "side": side, "label": label, "seconds": round(seconds, 2), "load_average_before": load,
              "jvm_cpu_seconds": None if cpu is None or cpu_after is None else round(cpu_after - cpu, 2),
              **{k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}}
    if side == "sqlingest":
        result["jobs"] = out["model_jobs"]
        result["run_record_jobs"] = outside
    else:
        result["jobs"] = outside
        result["job_sites"] = jobs.describe(group)
    if side == "sqlingest":
        result["job_sites"] = jobs.describe(f"sqlingest:{out['run_id']}:silver.customers")
    return result


def summarize(runs: list[dict[str, Any]], formats: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fmt in formats:
        per: dict[str, Any] = {}
        for side in ("sqlingest", "baseline"):
            rs = [r for r in runs if r["format"] == fmt and r["side"] == side]
            per[side] = {"median_seconds": round(statistics.median(r["seconds"] for r in rs), 2),
                         "min_seconds": min(r["seconds"] for r in rs), "seconds": [r["seconds"] for r in rs],
                         "jobs": [r["jobs"] for r in rs]}
            cpu = [r["jvm_cpu_seconds"] for r in rs if r.get("jvm_cpu_seconds") is not None]
            per[side]["median_jvm_cpu_seconds"] = round(statistics.median(cpu), 2) if cpu else None
        s, b = per["sqlingest"], per["baseline"]
        per["ratio"] = round(s["median_seconds"] / b["median_seconds"], 3)
        per["ratio_best"] = round(s["min_seconds"] / b["min_seconds"], 3)
        if s["median_jvm_cpu_seconds"] and b["median_jvm_cpu_seconds"]:
            per["ratio_cpu"] = round(s["median_jvm_cpu_seconds"] / b["median_jvm_cpu_seconds"], 3)
        sq = [r for r in runs if r["format"] == fmt and r["side"] == "sqlingest"]
        per["sqlingest_cli"] = {k: round(statistics.median(r[k] for r in sq), 2)
                                for k in ("cli_seconds", "compile_and_session_seconds", "after_seconds")}
        per["sqlingest_run_record_jobs"] = sq[0]["run_record_jobs"]
        per["sqlingest_write_strategy"] = sorted({r["write_strategy"] for r in sq})
        out[fmt] = per
    return out


def markdown(summary: dict[str, Any], facts: dict[str, Any]) -> str:
    m = facts["mix"]
    title = (f"Dimension {facts['dimension']:,} rows · batch {facts['changes']:,} rows ({m['updates']:,} updates, "
             f"{m['new']:,} new keys, {m['unchanged']:,} unchanged) · rounds: {facts['rounds']} · "
             f"{facts['machine']['cores']} cores · Iceberg {facts['iceberg_merge_mode']} · "
             f"scd2_strategy {facts['scd2_strategy']} · "
             f"load {facts['load_average_before'][0]:.1f} before, "
             f"{facts['load_average_after'][0]:.1f} after")
    head = ("| format | side | median (s) | runs (s) | Spark jobs | JVM CPU (s, median) | ratio sqlingest / baseline "
            "(median) | (best run) | (CPU) |")
    lines = [title, "", head, "|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for fmt, per in summary.items():
        for side in ("sqlingest", "baseline"):
            s = per[side]
            name = "sqlingest `run` (scd2)" if side == "sqlingest" else "hand-written MERGE"
            ratio = f"**{per['ratio']:.2f}×**" if side == "sqlingest" else "1.00×"
            best = f"{per['ratio_best']:.2f}×" if side == "sqlingest" else "1.00×"
            cpu_ratio = (f"{per['ratio_cpu']:.2f}×" if "ratio_cpu" in per else "–") if side == "sqlingest" else "1.00×"
            cpu = s["median_jvm_cpu_seconds"]
            lines.append(f"| {fmt} | {name} | {s['median_seconds']:.1f} | "
                         f"{', '.join(f'{x:.1f}' for x in s['seconds'])} | {s['jobs'][0]} | "
                         f"{'–' if cpu is None else f'{cpu:.1f}'} | {ratio} | {best} | {cpu_ratio} |")
    lines += ["", ("Not in the timings above (median per sqlingest run): the CLI's compile + session lookup before "
                   "the models, its run-record writes after them:"), ""]
    for fmt, per in summary.items():
        c = per["sqlingest_cli"]
        prep = facts["prepare"][fmt]
        lines.append(f"- {fmt}: sqlingest wrote by {' / '.join(per['sqlingest_write_strategy'])}")
        lines.append(f"- {fmt}: compile + session {c['compile_and_session_seconds']:.1f} s, run records "
                     f"{c['after_seconds']:.1f} s ({per['sqlingest_run_record_jobs']} Spark job(s)), whole CLI call "
                     f"{c['cli_seconds']:.1f} s; initial build of the dimension {prep['initial_build_seconds']:.1f} s "
                     f"(untimed), baseline copy {prep['copy_seconds']:.1f} s; initial files sqlingest "
                     f"{prep['files']['sqlingest']['files']} ({prep['files']['sqlingest']['bytes'] / 2**20:.0f} MiB),"
                     f" baseline {prep['files']['baseline']['files']} "
                     f"({prep['files']['baseline']['bytes'] / 2**20:.0f} MiB)")
    lines.append(f"- session start (cold JVM, once): {facts['session_seconds']:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SCD2: sqlingest's scd2 materialization vs a hand-written MERGE")
    parser.add_argument("--dimension", type=int, default=10_000_000, help="rows of the dimension (default 10M)")
    parser.add_argument("--changes", type=int, default=1_000_000, help="rows of the batch (default 1M)")
    parser.add_argument("--formats", default="iceberg,delta", help="comma-separated: iceberg, delta")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; each runs both sides once per format")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--exact", action="store_true", help="also compare the tables with exceptAll both ways")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the data even when it is there")
    parser.add_argument("--keep-tables", action="store_true", help="leave the tables in bench/work/scd2")
    parser.add_argument("--reuse-tables", action="store_true",
                        help="reuse the initial tables a previous --keep-tables run left (same sizes), skipping the "
                             "initial build and copy")
    parser.add_argument("--scd2-strategy", choices=("auto", "merge", "rewrite"), default="auto",
                        help="the model's config(scd2_strategy=…) (default auto: sqlingest chooses per run)")
    parser.add_argument("--iceberg-merge-mode", choices=("copy-on-write", "merge-on-read"), default="copy-on-write",
                        help="the Iceberg tables' write.merge.mode (both sides; default: Iceberg's own default)")
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats or any(f not in FORMATS for f in formats):
        parser.error(f"--formats: choose from {', '.join(FORMATS)}")

    load_before = list(os.getloadavg())
    started = time.perf_counter()
    spark = make_session(args.driver_memory)
    session_seconds = time.perf_counter() - started
    data = generate(spark, args.dimension, args.changes, force=args.regenerate)
    print(f"data: {data}", flush=True)
    write_project(args.driver_memory, args.scd2_strategy)
    instrument_runner()
    jobs = Jobs(spark)

    prepared: dict[str, Any] = {}
    state_file = WORK / "tables.json"
    kept = json.loads(state_file.read_text()) if state_file.is_file() else {}
    for fmt in formats:
        old = kept.get(fmt)
        if args.reuse_tables and old and old["data"] == str(data) and reusable(spark, fmt, old):
            prepared[fmt] = {**old, "reused": True}
            point_source(data / "batch")
            print(f"{fmt}: reusing the initial tables of {old['date']}", flush=True)
            continue
        print(f"{fmt}: initial build of {args.dimension:,} rows (sqlingest run --full-refresh) + baseline copy …",
              end=" ", flush=True)
        prepared[fmt] = prepare(spark, fmt, data, jobs) | {"data": str(data),
                                                           "date": datetime.now(UTC).isoformat(timespec="seconds")}
        print(f"{prepared[fmt]['initial_build_seconds']:.1f}s + {prepared[fmt]['copy_seconds']:.1f}s", flush=True)
        kept[fmt] = prepared[fmt]
        state_file.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")

    if "iceberg" in formats:  # a table property: kept by the rollbacks to the initial snapshot
        for namespace in (SQLINGEST_NS, BASELINE_NS):
            spark.sql(f"ALTER TABLE {relation('iceberg', namespace)} "
                      f"SET TBLPROPERTIES ('write.merge.mode' = '{args.iceberg_merge_mode}')")

    runs: list[dict[str, Any]] = []
    verification: dict[str, list[dict[str, Any]]] = {fmt: [] for fmt in formats}
    ok = True
    for r in range(1, args.rounds + 1):
        for fmt in formats:
            order = ("sqlingest", "baseline") if r % 2 else ("baseline", "sqlingest")
            for side in order:
                print(f"round {r}: {fmt} {side} …", end=" ", flush=True)
                result = timed(spark, jobs, fmt, side, f"{fmt}-{side}-r{r}", data,
                               prepared[fmt]["versions"][side])
                runs.append(result)
                print(f"{result['seconds']:.1f}s, {result['jobs']} Spark jobs", flush=True)
            check = verify(spark, fmt, args.dimension, args.changes, args.exact)
            check["round"] = r
            verification[fmt].append(check)
            ok &= check["ok"]
            print(f"round {r}: {fmt} tables " + ("identical" if check["ok"] else
                                                 "DIFFER: " + "; ".join(check["problems"])), flush=True)

    facts = {"dimension": args.dimension, "changes": args.changes, "mix": mix(args.changes), "rounds": args.rounds,
             "formats": formats, "iceberg_merge_mode": args.iceberg_merge_mode, "scd2_strategy": args.scd2_strategy,
             "driver_memory": args.driver_memory, "spark_conf": SPARK_CONF,
             "tracked_columns": TRACKED, "untracked_columns": UNTRACKED, "data": str(data),
             "generated": json.loads((data / "_GENERATED.json").read_text()), "session_seconds": round(
                 session_seconds, 2), "prepare": prepared, "load_average_before": load_before,
             "load_average_after": list(os.getloadavg()), "git": git_facts(),
             "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
             "baseline_sql": baseline_sql(relation("iceberg", BASELINE_NS), "<batch>"),
             "compiled_sql": _compiled_sql()}
    summary = summarize(runs, formats)
    text = markdown(summary, facts)
    print()
    print(text)
    print()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"scd2-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"facts": facts, "summary": summary, "verification": verification, "runs": runs,
                               "markdown": text}, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"results: {out.relative_to(REPO)}")
    if not args.keep_tables:
        for fmt in formats:
            drop(spark, fmt, SQLINGEST_NS)
            drop(spark, fmt, BASELINE_NS)
            kept.pop(fmt, None)
        state_file.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")
    if not ok:
        print("VERIFICATION FAILED: sqlingest's scd2 and the hand-written MERGE do not produce the same table:",
              file=sys.stderr)
        print(json.dumps(verification, indent=2), file=sys.stderr)
        return 1
    print("verification: both sides' tables identical after every round (counts, current/closed versions, "
          "checksums" + (", exceptAll" if args.exact else "") + ") and as the mix implies")
    return 0


def _compiled_sql() -> str:
    """sqlingest's scd2 MERGE for this model, rendered from the template as the runner renders it (for reading)."""
    from sqlingest.materializations import Scd2, WriteContext

    ctx = WriteContext(relation=relation("iceberg", SQLINGEST_NS), stage="__sqlingest_stage__silver_customers",
                       sql="", columns=COLUMNS, unique_key=[KEY], ordering=ORDERING, tracked_columns=TRACKED,
                       table_columns=[*COLUMNS, *SCD2_COLUMNS])
    return ";\n".join(Scd2(PROJECT).statements(ctx))


if __name__ == "__main__":
    sys.exit(main())
