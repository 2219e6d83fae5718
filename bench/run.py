"""Benchmark: the demo pipeline built by ``sqlingest`` vs a hand-written PySpark script, in one SparkSession.

    python bench/run.py [--order-lines 5000000] [--rounds 2] [--no-build] [--keep-tables]

Sides (each starts from empty tables, timed wall-clock, Spark jobs counted through job groups):

- ``run``      ``sqlingest run``   (models only — the headline comparison, the baseline has no checks)
- ``build``    ``sqlingest build`` (models + Soda checks)
- ``baseline`` ``bench/baseline.py``

Round 1 runs ``run, baseline, build``, round 2 ``build, baseline, run``, and so on (balances warm-up). At the end
the gold tables of both pipelines must be identical (``exceptAll`` both ways) and bronze/silver must have equal
fingerprints, or the benchmark fails. Results: a Markdown table on stdout and ``bench/results/foundation-*.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"
PROJECT = WORK / "project"
RESULTS = BENCH / "results"
CATALOG = "lake"
LAYERS = ("bronze", "silver", "gold")
SQLINGEST_PREFIX = "bench_sqlingest"
BASELINE_PREFIX = "bench_baseline"
VOLATILE = {"_ingested_at", "_run_id", "_batch_id"}

sys.path.insert(0, str(BENCH))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SPARK_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    # keep every job's status so job groups can be counted
    "spark.ui.retainedJobs": "1000000",
    "spark.ui.retainedStages": "1000000",
    "spark.sql.ui.retainedExecutions": "100000",
}


def _catalog():
    from sqlingest.catalogs.iceberg import IcebergJdbcCatalog
    from sqlingest.project.config import CatalogConfig

    WORK.mkdir(parents=True, exist_ok=True)
    config = CatalogConfig(type="iceberg_jdbc", name=CATALOG, uri=f"jdbc:sqlite:{WORK / 'catalog.db'}",
                           warehouse=str(WORK / "warehouse"))
    return IcebergJdbcCatalog(config, WORK, WORK)


def make_session(driver_memory: str = "6g", master: str = "local[*]"):
    """The one SparkSession of the benchmark: bench-local Iceberg JDBC catalog (SQLite) and warehouse."""
    from sqlingest.execute.session import build_session
    from sqlingest.project.config import SparkConfig

    return build_session(SparkConfig(master=master, driver_memory=driver_memory, app_name="sqlingest-bench",
                                     conf=SPARK_CONF), _catalog())


# -- the sqlingest side's project ---------------------------------------------------------------------------------
def write_project(data: Path) -> Path:
    """A copy of the demo's contracts/models/macros; sources read the generated data; own namespaces/catalog."""
    shutil.rmtree(PROJECT, ignore_errors=True)
    PROJECT.mkdir(parents=True)
    for folder in ("contracts", "models", "macros"):
        shutil.copytree(REPO / folder, PROJECT / folder)
    for path in (PROJECT / "contracts").rglob("*.source.yml"):
        text = path.read_text(encoding="utf-8")
        new = re.sub(r"(path:\s*)data/retail/", lambda m: m.group(1) + str(data) + "/", text)
        assert new != text, f"no source path rewritten in {path}"
        path.write_text(new, encoding="utf-8")
    _merge_customers()
    conf = "".join(f"        {k}: \"{v}\"\n" for k, v in SPARK_CONF.items())
    (PROJECT / "sqlingest.yml").write_text(
        "# Written by bench/run.py: the demo project on generated data, in bench-only namespaces.\n"
        "name: retail_bench\ndefault_target: dev\nvars:\n  currency: EUR\nlayers:\n"
        + "".join(f"  {layer}: {{namespace: {SQLINGEST_PREFIX}_{layer}}}\n" for layer in LAYERS)
        + "targets:\n  dev:\n    spark:\n      master: local[*]\n      driver_memory: 6g\n      conf:\n" + conf
        + f"    catalog:\n      type: iceberg_jdbc\n      name: {CATALOG}\n"
        f"      uri: \"jdbc:sqlite:{WORK / 'catalog.db'}\"\n      warehouse: \"{WORK / 'warehouse'}\"\n"
        "    format: iceberg\n", encoding="utf-8")
    return PROJECT


def _merge_customers() -> None:
    """The foundation comparison is reads, casts, merge and aggregates: the demo keeps silver customers as SCD2
    (history), so the benchmark's copy turns them back into a plain upsert, as the baseline does."""
    model = PROJECT / "models" / "silver" / "customers.sql"
    text = re.sub(r"\{\{ config\(.*?\) \}\}", "{{ config(materialized='merge', unique_key='customer_id') }}",
                  model.read_text(encoding="utf-8"), count=1)
    model.write_text(text, encoding="utf-8")
    contract = PROJECT / "contracts" / "retail" / "customers.silver.yml"
    text = contract.read_text(encoding="utf-8").replace("checks: [not_null]", "checks: [not_null, unique]", 1)
    text = text.replace("checks:\n  - {type: primary_key, columns: [customer_id, valid_from]}\n", "")
    contract.write_text(text, encoding="utf-8")
    gold = PROJECT / "models" / "gold" / "customer_value.sql"
    gold.write_text(gold.read_text(encoding="utf-8").replace("WHERE c.is_current\n", ""), encoding="utf-8")


# -- job groups: count Spark jobs per side / per model ------------------------------------------------------------
class Jobs:
    """Sets Spark job groups and counts the jobs that ran in each (``statusTracker().getJobIdsForGroup``)."""

    def __init__(self, spark: Any) -> None:
        self.sc = spark.sparkContext
        self.current: str | None = None
        self.steps: list[dict[str, Any]] = []  # {side, step, phase, seconds, group}
        self._n = 0

    def group(self, label: str) -> str:
        self._n += 1
        name = f"bench-{self._n}-{label}"
        self.sc.setJobGroup(name, label, False)
        return name

    def count(self, groups: list[str]) -> int:
        tracker = self.sc.statusTracker()
        return sum(len(tracker.getJobIdsForGroup(g)) for g in groups)

    def describe(self, group: str) -> list[str]:
        """What each job of a group was (Spark's job name: the call site, e.g. ``collect at publish.py:95``) and how
        long it took."""
        store = self.sc._jsc.sc().statusStore()
        out = []
        for job in sorted(self.sc.statusTracker().getJobIdsForGroup(group)):
            try:
                data = store.job(job)
                took = ""
                if data.submissionTime().isDefined() and data.completionTime().isDefined():
                    ms = data.completionTime().get().getTime() - data.submissionTime().get().getTime()
                    took = f" {ms / 1000:.1f}s"
                out.append(f"{data.name()} [{data.numTasks()} task(s)]{took}")
            except Exception:  # noqa: BLE001 — job evicted from the status store
                out.append("?")
        return out

    @contextlib.contextmanager
    def step(self, side: str, step: str, phase: str = "build") -> Iterator[None]:
        outer = self.current
        group = self.group(f"{side}|{step}|{phase}")
        started = time.perf_counter()
        try:
            yield
        finally:
            self.steps.append({"side": side, "step": step, "phase": phase,
                               "seconds": time.perf_counter() - started, "group": group})
            if outer:
                self.sc.setJobGroup(outer, outer, False)


def instrument_runner(jobs: Jobs, side: list[str]) -> None:
    """A run hook (in this process only) so each model's build and check steps run in their own job group."""
    from sqlingest.execute.hooks import HOOKS, RunHook

    class PerStep(RunHook):
        def step(self, ctx: Any, step: str, pm: Any) -> Any:
            return jobs.step(side[0], pm.name, step)

    HOOKS.register("bench_run", PerStep())


# -- resetting ----------------------------------------------------------------------------------------------------
def drop_tables(spark: Any, prefix: str) -> None:
    for layer in LAYERS:
        ns = f"{CATALOG}.{prefix}_{layer}"
        if not spark.sql(f"SHOW NAMESPACES IN {CATALOG} LIKE '{prefix}_{layer}'").collect():
            continue
        for row in spark.sql(f"SHOW TABLES IN {ns}").collect():
            spark.sql(f"DROP TABLE IF EXISTS {ns}.{row.tableName} PURGE")


# -- the sides ----------------------------------------------------------------------------------------------------
def side_sqlingest(command: str, log: Path) -> None:
    from sqlingest import cli

    with open(log, "w", encoding="utf-8") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main([command, "--project-dir", str(PROJECT)])
    if code != 0:
        raise SystemExit(f"sqlingest {command} failed with exit code {code}; see {log}:\n"
                         + log.read_text(encoding="utf-8")[-3000:])


def side_baseline(spark: Any, data: Path, jobs: Jobs) -> None:
    import baseline

    baseline.run(spark, data, catalog=CATALOG, prefix=BASELINE_PREFIX,
                 step=lambda name: jobs.step("baseline", name))


def run_side(spark: Any, jobs: Jobs, side: str, data: Path, label: str, current_side: list[str]) -> dict[str, Any]:
    prefix = BASELINE_PREFIX if side == "baseline" else SQLINGEST_PREFIX
    drop_tables(spark, prefix)
    spark.catalog.clearCache()
    spark.sparkContext._jvm.System.gc()
    time.sleep(1)
    current_side[0] = label
    first_step = len(jobs.steps)
    top = jobs.group(f"{label}|total")
    jobs.current = top
    started = time.perf_counter()
    if side == "baseline":
        side_baseline(spark, data, jobs)
    else:
        side_sqlingest(side, WORK / "logs" / f"{label}.log")
    seconds = time.perf_counter() - started
    jobs.current = None
    steps = jobs.steps[first_step:]
    for s in steps:
        s["jobs"] = jobs.count([s["group"]])
        s["job_sites"] = jobs.describe(s["group"])
    total_jobs = jobs.count([top]) + sum(s["jobs"] for s in steps)
    return {"side": side, "label": label, "seconds": round(seconds, 2), "jobs": total_jobs,
            "load_average_after": list(os.getloadavg()),
            "outside_steps_jobs": jobs.count([top]),
            "steps": [{k: (round(v, 2) if k == "seconds" else v) for k, v in s.items() if k not in ("group",)}
                      for s in steps]}


# -- verification -------------------------------------------------------------------------------------------------
def _fingerprint(spark: Any, table: str) -> tuple[int, int]:
    cols = [f"`{f.name}`" for f in spark.table(table).schema if f.name not in VOLATILE]
    row = spark.sql(f"SELECT count(*) AS n, sum(xxhash64({', '.join(cols)}) % 1000000007) AS h FROM {table}").first()
    return int(row.n), int(row.h or 0)


def verify(spark: Any) -> dict[str, Any]:
    """Gold: identical rows (exceptAll both ways). Bronze/silver: same row count and content fingerprint."""
    report: dict[str, Any] = {"ok": True, "tables": {}}
    for layer in LAYERS:
        for row in spark.sql(f"SHOW TABLES IN {CATALOG}.{BASELINE_PREFIX}_{layer}").collect():
            table = row.tableName
            a = f"{CATALOG}.{SQLINGEST_PREFIX}_{layer}.{table}"
            b = f"{CATALOG}.{BASELINE_PREFIX}_{layer}.{table}"
            da, db = spark.table(a), spark.table(b)
            entry: dict[str, Any] = {}
            if [(f.name, f.dataType) for f in da.schema] != [(f.name, f.dataType) for f in db.schema]:
                entry["schema"] = f"differs: {da.schema.simpleString()} vs {db.schema.simpleString()}"
                report["ok"] = False
            elif layer == "gold":
                only_a, only_b = da.exceptAll(db).count(), db.exceptAll(da).count()
                entry.update(rows=da.count(), only_sqlingest=only_a, only_baseline=only_b)
                report["ok"] &= only_a == 0 and only_b == 0
            else:
                fa, fb = _fingerprint(spark, a), _fingerprint(spark, b)
                entry.update(rows=fa[0], sqlingest=list(fa), baseline=list(fb))
                report["ok"] &= fa == fb
            report["tables"][f"{layer}.{table}"] = entry
    if len(report["tables"]) != 11:
        report["ok"] = False
        report["error"] = f"expected 11 tables, found {sorted(report['tables'])}"
    return report


# -- reporting ----------------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    import pyspark

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr.splitlines()
    return {"cores": os.cpu_count(), "cpu": cpu, "memory": mem, "os": platform.platform(),
            "python": platform.python_version(), "pyspark": pyspark.__version__, "java": java[0] if java else ""}


def git_facts() -> dict[str, Any]:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    changed = [ln for ln in git("status", "--porcelain", "--untracked-files=no").splitlines() if ln.strip()]
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_changes": len(changed)}


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side in ("run", "build", "baseline"):
        rs = [r for r in runs if r["side"] == side]
        if rs:
            out[side] = {"median_seconds": round(statistics.median(r["seconds"] for r in rs), 2),
                         "min_seconds": min(r["seconds"] for r in rs),
                         "seconds": [r["seconds"] for r in rs], "jobs": [r["jobs"] for r in rs]}
    base = out["baseline"]["median_seconds"]
    for side in ("run", "build"):
        if side in out:
            out[side]["ratio_vs_baseline"] = round(out[side]["median_seconds"] / base, 3)
            # best run vs best run: less sensitive to other load on a shared machine
            out[side]["ratio_min_vs_baseline"] = round(out[side]["min_seconds"] / out["baseline"]["min_seconds"], 3)
    return out


def per_step(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Median seconds and jobs per (side, step, phase) across rounds."""
    acc: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in runs:
        for s in r["steps"]:
            key = (r["side"], re.sub(r"^retail\.|^", "", s["step"]), s["phase"])
            acc.setdefault(key, []).append(s)
    return [{"side": k[0], "step": k[1], "phase": k[2],
             "median_seconds": round(statistics.median(x["seconds"] for x in v), 2),
             "jobs": int(statistics.median(x["jobs"] for x in v))} for k, v in acc.items()]


def markdown(summary: dict[str, Any], steps: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    lines = [f"Order lines: {facts['order_lines']:,} · rounds: {facts['rounds']} · {facts['machine']['cores']} cores",
             "", "| side | median wall time (s) | runs (s) | Spark jobs | ratio (median) | ratio (best run) |",
             "|---|---:|---|---:|---:|---:|"]
    names = {"run": "`sqlingest run` (no checks)", "build": "`sqlingest build` (with checks)",
             "baseline": "hand-written PySpark"}
    for side in ("run", "build", "baseline"):
        if side in summary:
            s = summary[side]
            ratio = f"{s['ratio_vs_baseline']:.3f}×" if "ratio_vs_baseline" in s else "1.000×"
            best = f"{s['ratio_min_vs_baseline']:.3f}×" if "ratio_min_vs_baseline" in s else "1.000×"
            lines.append(f"| {names[side]} | {s['median_seconds']:.1f} | "
                         f"{', '.join(f'{x:.1f}' for x in s['seconds'])} | {s['jobs'][0]} | {ratio} | {best} |")
    lines += ["", "Per model (median seconds / Spark jobs):", "",
              "| model | run: build | baseline | build: checks |", "|---|---:|---:|---:|"]
    index = {(s["side"], s["step"], s["phase"]): s for s in steps}
    models = [s["step"] for s in steps if s["side"] == "baseline"]
    models = list(dict.fromkeys(models))
    lines.extend(_step_row(index, m) for m in models)
    return "\n".join(lines)


def _step_row(index: dict[tuple[str, str, str], dict[str, Any]], model: str) -> str:
    def cell(side: str, phase: str) -> str:
        s = index.get((side, model, phase))
        return f"{s['median_seconds']:.1f} s / {s['jobs']}" if s else "–"

    return f"| {model} | {cell('run', 'build')} | {cell('baseline', 'build')} | {cell('build', 'check')} |"


def main(argv: list[str] | None = None) -> int:
    from generate import DEFAULT_ORDER_LINES, default_dir, generate, is_generated

    parser = argparse.ArgumentParser(description="sqlingest vs hand-written PySpark on the demo pipeline")
    parser.add_argument("--order-lines", type=int, default=DEFAULT_ORDER_LINES,
                        help="size of the generated data (default 5,000,000 order lines)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; each runs every side once (default 2)")
    parser.add_argument("--no-build", action="store_true", help="skip `sqlingest build` (checks) runs")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--data", type=Path, default=None, help="data folder (default bench/data/<scale>)")
    parser.add_argument("--warmup-lines", type=int, default=200_000,
                        help="untimed warm-up of both pipelines on this many order lines first (0: none)")
    parser.add_argument("--keep-tables", action="store_true", help="leave the last run's tables in bench/work")
    args = parser.parse_args(argv)

    spark = make_session(driver_memory=args.driver_memory)
    data = (args.data or default_dir(args.order_lines)).resolve()
    if not is_generated(data):
        print(f"generating data in {data} …", flush=True)
        generate(spark, args.order_lines, data)
    (WORK / "logs").mkdir(parents=True, exist_ok=True)
    jobs = Jobs(spark)
    current_side = ["?"]
    instrument_runner(jobs, current_side)
    if args.warmup_lines:
        # JIT, class loading, catalog connections: paid once here, untimed, on small data
        warm = default_dir(args.warmup_lines).resolve()
        if not is_generated(warm):
            print(f"generating warm-up data in {warm} …", flush=True)
            generate(spark, args.warmup_lines, warm)
        write_project(warm)
        print(f"warm-up on {args.warmup_lines:,} order lines …", end=" ", flush=True)
        for side in ("run", "baseline"):
            run_side(spark, jobs, side, warm, f"warmup-{side}", current_side)
        print("done", flush=True)
    write_project(data)

    sides = ["run", "baseline"] + ([] if args.no_build else ["build"])
    runs: list[dict[str, Any]] = []
    for r in range(1, args.rounds + 1):
        order = sides if r % 2 else list(reversed(sides))
        for side in order:
            label = f"{side}-r{r}"
            print(f"round {r}: {side} …", end=" ", flush=True)
            result = run_side(spark, jobs, side, data, label, current_side)
            # step labels recorded under the side name, so rounds can be compared
            for s in result["steps"]:
                s["side"] = side
            runs.append(result)
            print(f"{result['seconds']:.1f}s, {result['jobs']} Spark jobs", flush=True)
    # the tables of the last run of each pipeline are compared
    if args.no_build or args.rounds % 2 == 0:
        last = "run"
    else:
        last = "build"
    print(f"verifying (sqlingest tables from `{last}`) …", flush=True)
    check = verify(spark)

    facts = {"order_lines": args.order_lines, "warmup_lines": args.warmup_lines, "git": git_facts(), "data": str(data), "rounds": args.rounds,
             "spark_conf": SPARK_CONF, "driver_memory": args.driver_memory,
             "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
    gen = data / "_GENERATED.json"
    if gen.is_file():
        facts["generated"] = json.loads(gen.read_text())
    summary = summarize(runs)
    steps = per_step(runs)
    text = markdown(summary, steps, facts)
    print()
    print(text)
    print()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"foundation-{stamp}.json"
    out.write_text(json.dumps({"facts": facts, "summary": summary, "per_step": steps, "runs": runs,
                               "verification": check, "markdown": text}, indent=2, default=str) + "\n",
                   encoding="utf-8")
    print(f"results: {out.relative_to(REPO)}")
    if not args.keep_tables:
        drop_tables(spark, SQLINGEST_PREFIX)
        drop_tables(spark, BASELINE_PREFIX)
    if not check["ok"]:
        print("VERIFICATION FAILED: the two pipelines do not produce the same tables:", file=sys.stderr)
        print(json.dumps(check, indent=2), file=sys.stderr)
        return 1
    print("verification: gold tables identical (exceptAll both ways), bronze/silver fingerprints equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
