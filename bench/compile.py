"""Benchmark: `sqlingest compile` on a generated 200-model project (issue #14's goal: < 2 s, no JVM).

    python bench/compile.py [--datasets 40] [--runs 5] [--keep DIR]

The project is realistic and compiles clean: ``--datasets`` domains' worth of source contracts (JSON files, a dozen
typed columns each: ints, decimals, dates, timestamps, arrays, maps, structs), one bronze model per source
(``append``), one silver model per dataset (``merge`` on a business key, a contract with checks: not_null, unique,
accepted_values, range), and gold models that join, aggregate, window and explode them (three per dataset, one
with a contract) — 200 models with the default 40 datasets — plus a macro file used by the silver models.

``sqlingest compile`` runs as a subprocess (``python -m sqlingest compile --project-dir …``) ``--runs`` times after
an untimed warm-up; the median wall time is printed. The JVM must not start: the subprocess runs with
``JAVA_HOME=/nonexistent`` and no ``java`` on ``PATH``, and one extra run with ``-X importtime`` must not import
``pyspark`` or ``py4j`` (else exit 1). Exit 1 as well when compile fails.

The timed runs are warm, as a user's second ``compile`` is: the warm-up leaves the project's compiled-template cache
(``.sqlingest/cache/templates``) and Python's bytecode cache. Python writes the latter into a temporary folder
(``PYTHONPYCACHEPREFIX``) even when ``PYTHONDONTWRITEBYTECODE`` is set in the calling environment (an installed
package has its ``.pyc`` files); ``--no-bytecode`` keeps ``PYTHONDONTWRITEBYTECODE=1`` (every module compiled from
source on every run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 2.0

COLUMNS = [  # name, type, nullable
    ("id", "bigint", False), ("ref_id", "int", True), ("status", "string", True), ("amount", "decimal(10,2)", True),
    ("rate", "double", True), ("qty", "int", True), ("created_at", "timestamp", True), ("day", "date", True),
    ("flag", "boolean", True), ("tags", "array<int>", True), ("attrs", "map<string,int>", True),
    ("addr", "struct<street:string,zip:string>", True),
]


def _cols(layer: str, checks: bool) -> str:
    lines = []
    for name, dtype, nullable in COLUMNS:
        extra = "" if nullable or layer == "bronze" else ", nullable: false"
        check = ""
        if checks and name == "id":
            check = ", checks: [not_null, unique]"
        elif checks and name == "status":
            check = ", checks: [{accepted_values: [open, paid, shipped, cancelled]}]"
        elif checks and name == "amount":
            check = ", checks: [{range: {min: 0}}]"
        lines.append(f'  - {{name: {name}, type: "{dtype}"{extra}{check}}}')
    return "\n".join(lines) + "\n"


def generate(root: Path, datasets: int) -> int:
    """Write the project; returns the number of models."""
    (root / "macros").mkdir(parents=True)
    (root / "sqlingest.yml").write_text("name: bench_compile\nlayers:\n  gold: {require_contract: false}\n")
    (root / "macros" / "util.sql").write_text(
        "{% macro clean(c) -%}NULLIF(TRIM({{ c }}), ''){%- endmacro %}\n"
        "{% macro money(c) -%}CAST({{ c }} AS DECIMAL(10, 2)){%- endmacro %}\n")
    models = 0
    for i in range(datasets):
        ds = f"d{i:03d}"
        domain = f"dom{i % 4}"
        contracts = root / "contracts" / domain
        contracts.mkdir(parents=True, exist_ok=True)
        (contracts / f"{ds}.source.yml").write_text(
            f"name: {domain}.{ds}\nlayer: source\nsource: {{format: json, path: data/{ds}/*.jsonl}}\ncolumns:\n"
            + _cols("source", False))
        (contracts / f"{ds}.bronze.yml").write_text(f"name: {domain}.{ds}\nlayer: bronze\ncolumns:\n"
                                                    + _cols("bronze", False))
        (contracts / f"{ds}.silver.yml").write_text(
            f"name: {domain}.{ds}\nlayer: silver\nkeys: {{business: [id], ordering: created_at}}\ncolumns:\n"
            + _cols("silver", True) + "checks:\n  - {type: row_count, min: 1}\n")
        (contracts / f"{ds}_summary.gold.yml").write_text(
            f"name: {domain}.{ds}_summary\nlayer: gold\ncolumns:\n  - {{name: status, type: string}}\n"
            "  - {name: n, type: bigint, nullable: false}\n  - {name: total, type: \"decimal(20,2)\"}\n"
            "  - {name: avg_rate, type: double}\n")
        write = {
            f"models/bronze/{ds}.sql":
                f"{{{{ config(materialized='append') }}}}\nSELECT * FROM {{{{ source('{domain}', '{ds}') }}}}\n",
            f"models/silver/{ds}.sql":
                "{{ config(materialized='merge') }}\n"
                "SELECT id, ref_id, lower({{ clean('status') }}) AS status, amount, rate, qty, created_at, day, flag,\n"
                "       filter(tags, t -> t IS NOT NULL) AS tags, attrs, addr\n"
                f"FROM {{{{ ref('bronze.{ds}') }}}}\nWHERE id IS NOT NULL\n",
            f"models/gold/{ds}_summary.sql":
                "SELECT status, count(*) AS n, sum(amount) AS total, avg(rate) AS avg_rate\n"
                f"FROM {{{{ ref('silver.{ds}') }}}}\nGROUP BY status\n",
            f"models/gold/{ds}_joined.sql":
                f"WITH other AS (SELECT ref_id AS k, max(created_at) AS last_at FROM {{{{ ref('silver.d{(i + 1) % datasets:03d}') }}}}\n"
                "               GROUP BY ref_id)\n"
                "SELECT s.id, s.status, {{ money('s.amount * 2') }} AS doubled, o.last_at,\n"
                "       row_number() OVER (PARTITION BY s.status ORDER BY s.created_at DESC) AS rn,\n"
                "       s.addr.zip AS zip, s.attrs['k'] AS k\n"
                f"FROM {{{{ ref('silver.{ds}') }}}} AS s LEFT JOIN other AS o ON o.k = s.ref_id\n",
            f"models/gold/{ds}_tags.sql":
                "SELECT id, tag, count(*) OVER (PARTITION BY tag) AS per_tag\n"
                f"FROM {{{{ ref('silver.{ds}') }}}}\nLATERAL VIEW OUTER explode(tags) t AS tag\n",
        }
        for rel, text in write.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        models += len(write)
    return models


def _env(pycache: str | None = None) -> dict[str, str]:
    env = dict(os.environ, JAVA_HOME="/nonexistent", PYTHONPATH=str(REPO))
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not (Path(p) / "java").exists())
    return env


def compile_once(root: Path, *extra: str, pycache: str | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    cmd = [sys.executable, *extra, "-m", "sqlingest", "compile", "--project-dir", str(root)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=_env(pycache), capture_output=True, text=True, check=False)
    return time.perf_counter() - started, proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=40, help="datasets (5 models each; default 40 → 200)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="write the project here instead of a temporary folder")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="run with PYTHONDONTWRITEBYTECODE=1 (no .pyc files: every module compiled every run)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp) / "project"
        pycache = None if args.no_bytecode else str(Path(tmp) / "pycache")
        models = generate(root, args.datasets)
        _, proc = compile_once(root, pycache=pycache)  # warm-up: the template and bytecode caches
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr)
            print(f"compile failed (exit {proc.returncode})")
            return 1
        _, proc = compile_once(root, "-X", "importtime", pycache=pycache)  # the import check
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr)
            print(f"compile failed (exit {proc.returncode})")
            return 1
        heavy = sorted({line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                        if line.startswith("import time:") and any(m in line for m in ("pyspark", "py4j"))})
        if heavy:
            print(f"compile imported {', '.join(heavy)}: the JVM side must not be loaded")
            return 1
        times = []
        for _ in range(args.runs):
            seconds, proc = compile_once(root, pycache=pycache)
            if proc.returncode != 0:
                print(proc.stdout + proc.stderr)
                return 1
            times.append(seconds)
        median = statistics.median(times)
        print(f"sqlingest compile, {models} models ({args.datasets} datasets): median {median:.2f} s wall over "
              f"{args.runs} runs (min {min(times):.2f} s, max {max(times):.2f} s); goal < {GOAL_SECONDS:.0f} s: "
              f"{'met' if median < GOAL_SECONDS else 'NOT met'}; no pyspark/py4j imported, JAVA_HOME=/nonexistent"
              f"{', no bytecode cache' if args.no_bytecode else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
