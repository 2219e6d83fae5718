"""Benchmark: a `sqlingest init` project with 50 model unit tests — 25 of the merge model `silver.events` (each
with existing rows, so a throwaway Delta table and a MERGE), 25 of the table model `gold.daily_sales` — timed
through `sqlingest test --unit` in a fresh process (JVM start included). Goal: under 60 s.

    PYTHONPATH=. python bench/unit_tests.py [--tests 50] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlingest.scaffold import create_project

MERGE = """\
  - name: merge_{i}
    model: silver.events
    given:
      - input: ref('bronze.events')
        rows:
          - {{event_id: {i}, kind: PURCHASE, amount: {i}, happened_at: "2024-01-01 10:00:00"}}
          - {{event_id: {i}, kind: Refund, amount: -{i}, happened_at: "2024-01-01 11:00:00"}}
    this:
      rows:
        - {{event_id: 1000, kind: purchase, amount: 1, happened_at: "2023-12-31 00:00:00"}}
    expect:
      rows:
        - {{event_id: {i}, kind: refund, amount: -{i}}}
        - {{event_id: 1000, kind: purchase, amount: 1}}
"""

TABLE = """\
  - name: table_{i}
    model: gold.daily_sales
    given:
      - input: ref('silver.events')
        format: csv
        rows: |
          event_id,amount,happened_at
          1,{i}.00,2024-01-01 10:00:00
          2,1.50,2024-01-01 12:00:00
    expect:
      rows:
        - {{day: 2024-01-01, events: 2, net_amount: {i}.50}}
"""


def make(root: Path, n: int) -> Path:
    create_project(root)
    body = "".join((MERGE if i % 2 else TABLE).format(i=i) for i in range(1, n + 1))
    (root / "tests" / "bench.yml").write_text("unit_tests:\n" + body, encoding="utf-8")
    return root


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=50)
    parser.add_argument("--keep", default=None, help="write the project here (default: a temporary folder)")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sqlingest-bench-unit-")) / "shop"
    make(root, args.tests)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sqlingest", "test", "--unit"], cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:])
    print(f"{args.tests} unit tests: {seconds:.1f} s wall (JVM start included; goal < 60 s); "
          f"load average {os.getloadavg()[0]:.1f}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
