"""Example Dagster assets for the demo project, one per layer (docs/cluster.md; not run in CI).

Each asset runs `sqlingest build --select layer:…` as a subprocess on the `cluster` target and attaches the
`--result-json` outcome (run id, status, per-model status) as metadata; a non-zero exit code (1: a model failed,
2: a user error) fails the materialization.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from dagster import AssetExecutionContext, Definitions, Failure, MetadataValue, asset

PROJECT = "/opt/projects/retail_demo"


def _build(context: AssetExecutionContext, layer: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        result_file = Path(tmp) / "result.json"
        proc = subprocess.run(["sqlingest", "build", "--project-dir", PROJECT, "--target", "cluster", "--select",
                               f"layer:{layer}", "--result-json", str(result_file)],
                              capture_output=True, text=True, check=False)
        context.log.info(proc.stdout)
        if proc.returncode != 0:
            raise Failure(f"sqlingest build of layer {layer} exited {proc.returncode}",
                          metadata={"stderr": MetadataValue.text(proc.stderr[-4000:])})
        result: dict[str, object] = json.loads(result_file.read_text())
    context.add_output_metadata({"run_id": str(result["run_id"]), "status": str(result["status"]),
                                 "models": MetadataValue.json(result["models"])})
    return result


@asset
def bronze(context: AssetExecutionContext) -> None:
    _build(context, "bronze")


@asset(deps=[bronze])
def silver(context: AssetExecutionContext) -> None:
    _build(context, "silver")


@asset(deps=[silver])
def gold(context: AssetExecutionContext) -> None:
    _build(context, "gold")


defs = Definitions(assets=[bronze, silver, gold])
