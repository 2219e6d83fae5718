"""Benchmark: 20 data quality checks on one table — fused into the write vs a Soda scan vs one query per check.

    python bench/checks.py [--rows 10000000] [--rounds 2] [--source range|parquet] [--warmup-rows 100000]

The same rows (``spark.range`` + hash expressions, deterministic: ints, doubles, strings, dates, a timestamp, a few
NULLs and a few out-of-range values) are written into a fresh Iceberg table (``INSERT INTO`` a pre-created table in
a bench-local SQLite JDBC catalog, ``bench/work/checks/``) by four variants:

- ``write``  the write alone;
- ``fused``  (a) sqlingest's way: the 16 row checks fused into the write (``sqlingest.checks.fused.fuse``: one failure
             flag per check + Spark ``Observation`` counts collected during the write), then ONE Soda scan for the
             4 dataset-level checks (``run_checks``);
- ``soda``   (b) the write alone, then ONE Soda scan with all 20 checks (what ``sqlingest test`` does);
- ``query``  (c) the write alone, then one query per check (dbt-test style): ``SELECT count(*) … WHERE <failing>``
             per row check (``failure_predicate``), one aggregate query per dataset check — 20 queries.

Table creation and ``DROP … PURGE`` are untimed. Variants alternate order per round (round 1: write, fused, soda,
query; round 2 reversed; …). (a), (b) and (c) must report the same failure count per check (and the same outcome),
or the benchmark exits 1. Spark jobs are counted per variant and phase with job groups. Results: a Markdown table on
stdout and ``bench/results/checks-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work" / "checks"
DATA = BENCH / "data" / "checks"
RESULTS = BENCH / "results"
CATALOG = "lake"
NAMESPACE = f"{CATALOG}.bench_checks"
VARIANTS = ("write", "fused", "soda", "query")

sys.path.insert(0, str(BENCH))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# bench/run.py: the session's Spark settings, job groups, machine and git facts
from run import SPARK_CONF, Jobs, git_facts, machine

# -- the data -----------------------------------------------------------------------------------------------------
# Every value is a function of the row id (murmur3 ``hash(id, seed)``), so each variant writes identical rows.
# Rare bad values: roughly 1 in 1,000 … 1 in 50,000 rows per column.
_BASE = """
SELECT
  id,
  CASE WHEN pmod(hash(id, 1), 1000) = 0 THEN NULL ELSE CAST(pmod(hash(id, 2), 100000) AS INT) END AS customer_id,
  CASE pmod(hash(id, 3), 2000) WHEN 0 THEN NULL WHEN 1 THEN 'unknown'
       ELSE element_at(array('placed', 'shipped', 'delivered', 'returned'), CAST(pmod(hash(id, 4), 4) AS INT) + 1)
  END AS status,
  CAST(CASE pmod(hash(id, 5), 5000) WHEN 0 THEN 0 WHEN 1 THEN 500 ELSE 1 + pmod(hash(id, 6), 100) END AS INT)
    AS quantity,
  CAST(CASE WHEN pmod(hash(id, 7), 10000) = 0 THEN -1 ELSE pmod(hash(id, 8), 1000000) / 100.0 END AS DOUBLE)
    AS unit_price,
  CAST(CASE pmod(hash(id, 9), 20) WHEN 0 THEN NULL
       WHEN 1 THEN IF(pmod(hash(id, 10), 200) = 0, 1.5, 0.1) ELSE pmod(hash(id, 10), 50) / 100.0 END AS DOUBLE)
    AS discount,
  CASE WHEN pmod(hash(id, 11), 10000) = 0 THEN 'not-an-email' ELSE concat('user', id, '@example.com') END AS email,
  CASE WHEN pmod(hash(id, 12), 20000) = 0 THEN concat('X', id)
       ELSE concat('C', IF(pmod(id, 100000) = 1, id - 1, id)) END AS code,
  CASE pmod(hash(id, 13), 4000) WHEN 0 THEN NULL WHEN 1 THEN 'n/a'
       ELSE concat('+', 100000000 + pmod(hash(id, 14), 900000000)) END AS phone,
  CASE pmod(hash(id, 15), 10000) WHEN 0 THEN 'USA' WHEN 1 THEN 'XX'
       ELSE element_at(array('DE', 'FR', 'US', 'GB', 'NL', 'ES', 'IT', 'PL'), CAST(pmod(hash(id, 16), 8) AS INT) + 1)
  END AS country,
  CASE pmod(hash(id, 17), 8000) WHEN 0 THEN '' WHEN 1 THEN repeat('x', 50) ELSE concat('name-', id) END AS name,
  CASE WHEN pmod(hash(id, 18), 50000) = 0 THEN DATE'1999-01-01'
       ELSE date_add(DATE'2024-01-01', CAST(pmod(hash(id, 19), 730) AS INT)) END AS order_date,
  CAST(pmod(hash(id, 20), 10) AS INT) - IF(pmod(hash(id, 21), 20000) = 0, 20, 0) AS ship_days,
  timestamp_seconds(1767225600 - pmod(hash(id, 22), 2592000)) AS updated_at
FROM range(0, {rows}, 1, {partitions})
"""
COLUMNS = ["id", "customer_id", "status", "quantity", "unit_price", "discount", "email", "code", "phone", "country",
           "name", "order_date", "ship_date", "updated_at"]
SOURCE_SQL = ("SELECT " + ", ".join(c if c != "ship_date" else "date_add(order_date, ship_days) AS ship_date"
                                    for c in COLUMNS) + " FROM (" + _BASE + ")")


def contract() -> Any:
    """20 checks: 16 row-level, 4 dataset-level; ``severity: warn`` except the 3 expression checks (see below)."""
    from sqlingest.project.contract import Contract

    def col(name: str, type_: str, *checks: Any, nullable: bool = True) -> dict[str, Any]:
        return {"name": name, "type": type_, "nullable": nullable,
                "checks": list(checks)}

    w = {"severity": "warn"}
    return Contract.model_validate({
        "name": "bench.checked", "layer": "silver", "keys": {"business": ["id"]},
        "columns": [
            col("id", "bigint", {"not_null": None, **w}),
            col("customer_id", "int", {"not_null": None, **w}),
            col("status", "string", {"not_null": None, **w},
                {"accepted_values": ["placed", "shipped", "delivered", "returned"], **w}),
            col("quantity", "int", {"range": {"min": 1, "max": 100}, **w}),
            col("unit_price", "double", {"range": {"min": 0, "max": 10000}, **w}),
            col("discount", "double", {"range": {"min": 0, "max": 1}, **w}),
            # no backslashes in patterns: see "Doubts" in bench/README.md
            col("email", "string", {"regex": "^[a-z0-9.]+@[a-z0-9-]+[.][a-z]+$", **w}),
            col("code", "string", {"regex": "^C[0-9]+$", **w}),
            col("phone", "string", {"regex": "^[+][0-9]{6,15}$", **w}),
            col("country", "string", {"length": {"min": 2, "max": 2}, **w},
                {"accepted_values": ["DE", "FR", "US", "GB", "NL", "ES", "IT", "PL"], **w}),
            col("name", "string", {"length": {"min": 1, "max": 40}, **w}),
            col("order_date", "date"),
            col("ship_date", "date"),
            col("updated_at", "timestamp"),
        ],
        # expression checks are severity "error": sqlingest's SodaCL for a warn-level expression check uses a
        # "warn condition" key that Soda Core 3.5.6 rejects (the check errors in a Soda scan; see bench/README.md).
        # Nothing aborts here either way: this benchmark never rolls back, it only compares counts.
        "checks": [
            {"type": "expression", "name": "order_date_recent", "expression": "order_date >= DATE'2020-01-01'"},
            {"type": "expression", "name": "shipped_after_order", "expression": "ship_date >= order_date"},
            {"type": "expression", "name": "line_total_bounded",
             # few failures on purpose: Soda pages through a failing "failed rows" check 100 rows at a time, each
             # page re-running the query with a count() (see bench/README.md) — thousands of failures take hours
             "expression": "quantity * unit_price * (1 - coalesce(discount, 0)) <= 4500000"},
            {"type": "unique", "column": "code", **w},
            {"type": "primary_key", "columns": ["id"], **w},
            {"type": "row_count", "min": 1, **w},
            {"type": "freshness", "column": "updated_at", "max": "1000d", **w},
        ],
    })


# -- session and tables -------------------------------------------------------------------------------------------
def make_session(driver_memory: str) -> Any:
    """A SparkSession built like sqlingest's (``build_session``) on a bench-local Iceberg JDBC catalog (SQLite)."""
    from sqlingest.catalogs.iceberg import IcebergJdbcCatalog
    from sqlingest.execute.session import build_session
    from sqlingest.project.config import CatalogConfig, SparkConfig

    WORK.mkdir(parents=True, exist_ok=True)
    config = CatalogConfig(type="iceberg_jdbc", name=CATALOG, uri=f"jdbc:sqlite:{WORK / 'catalog.db'}",
                           warehouse=str(WORK / "warehouse"))
    catalog = IcebergJdbcCatalog(config, WORK, WORK)
    return build_session(SparkConfig(master="local[*]", driver_memory=driver_memory, app_name="sqlingest-bench-checks",
                                     conf=SPARK_CONF), catalog)


def source(spark: Any, rows: int, kind: str) -> Any:
    partitions = max(2, rows // 1_000_000)
    sql = SOURCE_SQL.format(rows=rows, partitions=partitions)
    if kind == "range":
        return spark.sql(sql)
    path = DATA / f"{rows}"
    if not (path / "_SUCCESS").is_file():
        print(f"writing the source once to {path} …", flush=True)
        spark.sql(sql).write.mode("overwrite").parquet(str(path))
    return spark.read.parquet(str(path))


def fresh_table(spark: Any, c: Any, name: str) -> str:
    table = f"{NAMESPACE}.{name}"
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {NAMESPACE}")
    spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")
    spark.sql(f"CREATE TABLE {table} (\n  {c.ddl_columns()}\n) USING iceberg")
    return table


def insert(spark: Any, table: str, frame: Any, stage: str) -> None:
    """What the ``append`` materialization runs: ``INSERT INTO <table> SELECT <columns> FROM <stage view>``."""
    frame.createOrReplaceTempView(stage)
    try:
        spark.sql(f"INSERT INTO {table} SELECT {', '.join(f'`{c}`' for c in COLUMNS)} FROM {stage}")
    finally:
        spark.catalog.dropTempView(stage)


# -- the variants -------------------------------------------------------------------------------------------------
def split(c: Any) -> tuple[list[Any], list[Any]]:
    from sqlingest.checks.rows import is_row_check

    checks = c.all_checks()
    return [x for x in checks if is_row_check(x)], [x for x in checks if not is_row_check(x)]


def soda(spark: Any, c: Any, table: str, checks: list[Any]) -> dict[str, dict[str, Any]]:
    from sqlingest.checks import run_checks

    out = {}
    for r in run_checks(spark, c, table, checks=checks):
        out[r.name] = {"value": r.value, "outcome": r.outcome}
    return out


def fused_write(spark: Any, table: str, frame: Any, row_checks: list[Any]) -> dict[str, dict[str, Any]]:
    """sqlingest's own glue: ``sqlingest.checks.fused`` (flags + Observation in one pass), the published rows,
    the fused results."""
    from sqlingest.checks.fused import PUBLISHED, fuse, observed

    fused = fuse(frame, COLUMNS, row_checks)
    assert not fused.persisted, "warn checks must not persist the frame"
    published = fused.frame.where(PUBLISHED).select(*[f"`{c}`" for c in COLUMNS])
    insert(spark, table, published, "__bench_stage_fused")
    return {r.name: {"value": r.value, "outcome": r.outcome}
            for r in observed(fused.observation.get, row_checks).checks}


def _outcome(check: Any, failing: bool) -> str:
    return ("fail" if check.severity == "error" else "warn") if failing else "pass"


def per_check_queries(spark: Any, table: str, checks: list[Any]) -> dict[str, dict[str, Any]]:
    """dbt-test style: one query per check, each a full read of the table."""
    from sqlingest.checks.rows import exceeds, failure_predicate, is_row_check

    out: dict[str, dict[str, Any]] = {}
    for check in checks:
        if is_row_check(check):
            n = int(spark.sql(f"SELECT count(*) FROM {table} WHERE {failure_predicate(check)}").first()[0])
            # thresholds are counts here (no "%" check in this contract), so the row total is not needed
            value, failing = n, exceeds(check, n, n)
        elif check.type in ("unique", "primary_key"):
            cols = check.columns or [check.column]
            keys = ", ".join(f"`{k}`" for k in cols)
            not_null = " AND ".join(f"`{k}` IS NOT NULL" for k in cols)
            any_null = " OR ".join(f"`{k}` IS NULL" for k in cols)
            # duplicated key values (NULLs are not duplicates) and, for a primary key, rows with a NULL key part
            first = spark.sql(
                f"SELECT count_if(n > 1 AND {not_null}) AS dup, coalesce(sum(IF({any_null}, n, 0)), 0) AS missing "
                f"FROM (SELECT {keys}, count(*) AS n FROM {table} GROUP BY {keys})").first()
            value = int(first.dup)
            failing = value > 0 or (check.type == "primary_key" and int(first.missing) > 0)
        elif check.type == "row_count":
            value = int(spark.sql(f"SELECT count(*) FROM {table}").first()[0])
            failing = (check.min is not None and value < check.min) or (check.max is not None and value > check.max)
        elif check.type == "freshness":
            newest = spark.sql(f"SELECT max(`{check.column}`) FROM {table}").first()[0]
            value = str(newest)
            failing = newest is None or datetime.now(UTC).replace(tzinfo=None) - newest > _age(str(check.max))
        else:
            raise ValueError(f"no per-check query for {check.type}")
        out[check.label] = {"value": value, "outcome": _outcome(check, failing)}
    return out


def _age(text: str) -> timedelta:
    unit = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[text[-1]]
    return timedelta(**{unit: float(text[:-1])})


def run_variant(spark: Any, jobs: Jobs, variant: str, label: str, rows: int, kind: str, c: Any
                ) -> dict[str, Any]:
    row_checks, dataset_checks = split(c)
    table = fresh_table(spark, c, variant)
    spark.catalog.clearCache()
    spark.sparkContext._jvm.System.gc()
    time.sleep(1)
    frame = source(spark, rows, kind)
    phases: dict[str, float] = {}
    groups: dict[str, str] = {}
    results: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()

    def phase(name: str, fn: Any) -> Any:
        groups[name] = jobs.group(f"{label}|{name}")
        t = time.perf_counter()
        value = fn()
        phases[name] = time.perf_counter() - t
        return value

    if variant == "fused":
        results.update(phase("write", lambda: fused_write(spark, table, frame, row_checks)))
        results.update(phase("checks", lambda: soda(spark, c, table, dataset_checks)))
    else:
        phase("write", lambda: insert(spark, table, frame, "__bench_stage_" + variant))
        if variant == "soda":
            results.update(phase("checks", lambda: soda(spark, c, table, row_checks + dataset_checks)))
        elif variant == "query":
            results.update(phase("checks", lambda: per_check_queries(spark, table, row_checks + dataset_checks)))
    seconds = time.perf_counter() - started
    spark.sparkContext.setJobGroup("bench-idle", "idle", False)
    written = int(spark.sql(f"SELECT count(*) FROM {table}").first()[0])
    if written != rows:
        raise SystemExit(f"{label}: {written:,} rows written, expected {rows:,}")
    job_counts = {name: jobs.count([g]) for name, g in groups.items()}
    return {"variant": variant, "label": label, "seconds": round(seconds, 3),
            "phases": {k: round(v, 3) for k, v in phases.items()},
            "jobs": sum(job_counts.values()), "phase_jobs": job_counts,
            "job_sites": {name: jobs.describe(g) for name, g in groups.items()},
            "load_average_after": list(os.getloadavg()), "results": results}


# -- verification and report --------------------------------------------------------------------------------------
def compare(runs: list[dict[str, Any]], c: Any) -> dict[str, Any]:
    """(a), (b), (c) must agree on every check: the same value (failure count; freshness: the outcome only)."""
    labels = [x.label for x in c.all_checks()]
    assert len(set(labels)) == 20, f"check labels must be 20 distinct names: {labels}"
    table: dict[str, dict[str, Any]] = {}
    problems = []
    for label in labels:
        row: dict[str, Any] = {}
        for r in runs:
            if r["variant"] == "write":
                continue
            got = r["results"].get(label)
            if got is None:
                problems.append(f"{r['label']}: no result for {label}")
                continue
            value = got["value"] if not label.startswith("freshness") else None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            key = (value, got["outcome"])
            if r["variant"] in row and row[r["variant"]] != key:
                problems.append(f"{label}: {r['variant']} differs between rounds: {row[r['variant']]} vs {key}")
            row[r["variant"]] = key
        if len({v for v in row.values()}) > 1:
            problems.append(f"{label}: variants disagree: {row}")
        table[label] = {k: {"value": v[0], "outcome": v[1]} for k, v in row.items()}
    return {"ok": not problems, "problems": problems, "per_check": table}


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in VARIANTS:
        rs = [r for r in runs if r["variant"] == v]
        out[v] = {"median_seconds": round(statistics.median(r["seconds"] for r in rs), 2),
                  "seconds": [round(r["seconds"], 2) for r in rs],
                  "median_write_seconds": round(statistics.median(r["phases"]["write"] for r in rs), 2),
                  "median_checks_seconds": round(statistics.median(r["phases"].get("checks", 0.0) for r in rs), 2),
                  "jobs": [r["jobs"] for r in rs], "phase_jobs": rs[0]["phase_jobs"]}
    m = {v: out[v]["median_seconds"] for v in VARIANTS}
    out["ratios"] = {
        "fused_over_write": round(m["fused"] / m["write"], 3),
        "fused_write_phase_over_write": round(out["fused"]["median_write_seconds"] / m["write"], 3),
        "query_over_fused": round(m["query"] / m["fused"], 3),
        "soda_over_fused": round(m["soda"] / m["fused"], 3),
    }
    return out


NAMES = {"write": "write alone", "fused": "(a) fused row checks + 1 Soda scan (4 dataset checks)",
         "soda": "(b) write + 1 Soda scan (20 checks)", "query": "(c) write + 20 queries (dbt style)"}


def markdown(summary: dict[str, Any], facts: dict[str, Any], check: dict[str, Any]) -> str:
    w = summary["write"]["median_seconds"]
    lines = [(f"Rows: {facts['rows']:,} · source: {facts['source']} · rounds: {facts['rounds']} · "
              f"{facts['machine']['cores']} cores · load average before: {facts['load_average_before'][0]:.2f}"), "",
             ("| variant | median (s) | runs (s) | write phase (s) | checks phase (s) | Spark jobs (write + checks) "
             "| × write alone |"), "|---|---:|---|---:|---:|---:|---:|"]
    for v in VARIANTS:
        s = summary[v]
        pj = s["phase_jobs"]
        lines.append(f"| {NAMES[v]} | {s['median_seconds']:.1f} | {', '.join(f'{x:.1f}' for x in s['seconds'])} | "
                     f"{s['median_write_seconds']:.1f} | {s['median_checks_seconds']:.1f} | "
                     f"{pj.get('write', 0)} + {pj.get('checks', 0)} | {s['median_seconds'] / w:.2f}× |")
    r = summary["ratios"]
    lines += ["", (f"- (a) / write alone: **{r['fused_over_write']:.3f}×** "
                   f"(the fused write phase alone: {r['fused_write_phase_over_write']:.3f}×)"),
              f"- (c) / (a): **{r['query_over_fused']:.2f}×**",
              f"- (b) / (a): **{r['soda_over_fused']:.2f}×**", "",
              "Failures per check (identical in (a), (b), (c)):" if check["ok"] else "**Variants disagree!**", "",
              "| check | failing rows / value | outcome |", "|---|---:|---|"]
    for label, per in check["per_check"].items():
        first = next(iter(per.values()), {"value": None, "outcome": "?"})
        value = "—" if first["value"] is None else f"{first['value']:,}" if isinstance(first["value"], int) \
            else str(first["value"])
        lines.append(f"| `{label}` | {value} | {first['outcome']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="20 checks: fused into the write vs Soda scan vs query per check")
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows written (default 10,000,000)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; each runs every variant once (default 2)")
    parser.add_argument("--source", choices=("range", "parquet"), default="range",
                        help=("range: recompute the rows from spark.range per variant (default); parquet: write "
                             "them once to bench/data/checks/<rows>/ and read that"))
    parser.add_argument("--warmup-rows", type=int, default=100_000, help="untimed warm-up size (0: none)")
    parser.add_argument("--driver-memory", default="4g")
    args = parser.parse_args(argv)

    load_before = list(os.getloadavg())
    spark = make_session(args.driver_memory)
    jobs = Jobs(spark)
    c = contract()
    row_checks, dataset_checks = split(c)
    assert (len(row_checks), len(dataset_checks)) == (16, 4), (len(row_checks), len(dataset_checks))
    if args.warmup_rows:
        # JIT, class loading, Soda imports, catalog connection: paid once, untimed, on small data (also verified)
        print(f"warm-up on {args.warmup_rows:,} rows …", end=" ", flush=True)
        warm = [run_variant(spark, jobs, v, f"warmup-{v}", args.warmup_rows, "range", c) for v in VARIANTS]
        verdict = compare(warm, c)
        if not verdict["ok"]:
            print(json.dumps(verdict["problems"], indent=2), file=sys.stderr)
            return 1
        print("done, variants agree", flush=True)
    if args.source == "parquet":
        source(spark, args.rows, "parquet")
    runs: list[dict[str, Any]] = []
    for r in range(1, args.rounds + 1):
        order = VARIANTS if r % 2 else tuple(reversed(VARIANTS))
        for v in order:
            print(f"round {r}: {v} …", end=" ", flush=True)
            result = run_variant(spark, jobs, v, f"{v}-r{r}", args.rows, args.source, c)
            runs.append(result)
            phases = ", ".join(f"{k} {s:.1f}s" for k, s in result["phases"].items())
            print(f"{result['seconds']:.1f}s ({phases}), {result['jobs']} Spark jobs", flush=True)
    check = compare(runs, c)
    facts = {"rows": args.rows, "rounds": args.rounds, "source": args.source, "warmup_rows": args.warmup_rows,
             "driver_memory": args.driver_memory, "spark_conf": SPARK_CONF, "load_average_before": load_before,
             "load_average_after": list(os.getloadavg()), "git": git_facts(),
             "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
             "checks": [x.model_dump(exclude_none=True, exclude_defaults=True) | {"label": x.label}
                        for x in c.all_checks()]}
    summary = summarize(runs)
    text = markdown(summary, facts, check)
    print()
    print(text)
    print()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"checks-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"facts": facts, "summary": summary, "verification": check, "runs": runs,
                               "markdown": text}, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"results: {out.relative_to(REPO)}")
    for v in VARIANTS:
        spark.sql(f"DROP TABLE IF EXISTS {NAMESPACE}.{v} PURGE")
    if not check["ok"]:
        print("VERIFICATION FAILED: the variants do not report the same failures:", file=sys.stderr)
        print("\n".join(check["problems"]), file=sys.stderr)
        return 1
    print("verification: (a), (b) and (c) report the same value and outcome for all 20 checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
