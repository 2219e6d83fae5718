"""`sqlingest compile` runs without a JVM (issue #14): the command, run as a program, must not import pyspark or
py4j (nor the runner, the Soda or FastAPI sides)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("pyspark", "py4j", "soda", "fastapi", "uvicorn", "sqlingest.execute", "sqlingest.jvm")

PROBE = """
import json, sys
from sqlingest.cli import main
code = main(["compile", "--project-dir", sys.argv[1]])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_compile_imports_no_jvm_side(tmp_path):
    root = tmp_path / "proj"
    (root / "contracts" / "shop").mkdir(parents=True)
    (root / "models" / "bronze").mkdir(parents=True)
    (root / "sqlingest.yml").write_text("name: probe\n")
    (root / "contracts" / "shop" / "orders.source.yml").write_text(
        "name: shop.orders\nlayer: source\nsource: {format: csv, path: data/*.csv}\n"
        "columns:\n  - {name: id, type: bigint}\n")
    (root / "models" / "bronze" / "orders.sql").write_text("SELECT id FROM {{ source('shop', 'orders') }}\n")
    env = dict(os.environ, PYTHONPATH=str(REPO), JAVA_HOME="/nonexistent")
    proc = subprocess.run([sys.executable, "-c", PROBE, str(root)], env=env, capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    loaded = [m for m in result["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert loaded == []
    assert "sqlglot" in result["modules"]  # the probe did compile
