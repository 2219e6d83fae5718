"""``sqlingest submit``: run a build as a Spark application through ``spark-submit`` (docs/cluster.md).

The application is ``sqlingest/submit_app.py`` (``sqlingest build …`` as a Python file spark-submit can run); the
command line carries the target's ``master``, sqlingest's session configuration (the manifest's jars as
``spark.jars``, the SQL extensions, the catalog, the target's ``conf``) and the build's own flags, so the driver the
cluster manager starts builds the same session as ``sqlingest build --target …`` would.

``--deploy-mode client`` (default) runs the driver here. ``--deploy-mode cluster`` lets the cluster manager start
the driver (YARN, Kubernetes); Spark refuses it for Python applications on a standalone master ("Cluster deploy
mode is currently not supported for python applications on standalone clusters", verified against the pinned
Spark), so sqlingest refuses it first with that reason. ``--dry-run`` prints the command (for Airflow's
SparkSubmitOperator, an EMR step, a SparkApplication manifest) without running it.

Exit codes are the build's: 0 ok (warnings included), 1 a model failed, 2 a user error; ``--result-json`` writes
the run's outcome (run id, status, exit code, each model's status) for the scheduler.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlingest.errors import UnsupportedCombination

APP = Path(__file__).resolve().parent.parent / "submit_app.py"


def add_parser(sub: Any, common: Callable[..., None], lock_timeout: Callable[..., None]) -> None:
    p = sub.add_parser("submit", help="run a build as a Spark application with spark-submit (client or cluster "
                                      "deploy mode)")
    common(p)
    p.add_argument("--deploy-mode", choices=("client", "cluster"), default="client",
                   help="where the driver runs (cluster: YARN or Kubernetes; not a standalone master)")
    p.add_argument("--spark-submit", default=None, metavar="PATH",
                   help="the spark-submit to run (default: $SPARK_HOME/bin/spark-submit, else the pyspark wheel's)")
    p.add_argument("--dry-run", action="store_true", help="print the spark-submit command and do not run it")
    p.add_argument("--result-json", default=None, metavar="PATH", help="the build's --result-json")
    p.add_argument("--full-refresh", action="store_true", help="the build's --full-refresh")


def spark_submit(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("SPARK_HOME"):
        return str(Path(os.environ["SPARK_HOME"]) / "bin" / "spark-submit")
    from sqlingest.services.spark import spark_home

    return str(spark_home() / "bin" / "spark-submit")


def command(args: argparse.Namespace) -> list[str]:
    """The ``spark-submit`` command line of ``args``' build.

    Raises:
        UnsupportedCombination: cluster deploy mode on a standalone master, or a Spark Connect target.
    """
    from sqlingest.catalogs import load_catalog
    from sqlingest.execute.session import session_conf
    from sqlingest.plan.engine import engine_of
    from sqlingest.project import load_project

    project = load_project(Path(args.project_dir), target=args.target)
    spark = project.target.spark
    if engine_of(spark) == "connect":
        raise UnsupportedCombination(f"target '{project.target_name}' is a Spark Connect target (remote: "
                                     f"{spark.remote}); spark-submit runs classic applications",
                                     hint="submit a target with a `master` (docs/cluster.md)")
    if args.deploy_mode == "cluster" and spark.master.startswith("spark://"):
        raise UnsupportedCombination(
            f"--deploy-mode cluster on a standalone master ({spark.master}): Spark does not support cluster deploy "
            "mode for Python applications on standalone clusters",
            hint="use --deploy-mode client there (the driver runs here), or a YARN / Kubernetes master")
    catalog = load_catalog(project.target.catalog, project.root, project.state_dir)
    conf = session_conf(spark, catalog)
    memory = conf.pop("spark.driver.memory", None)
    cmd = [spark_submit(args.spark_submit), "--master", spark.master, "--deploy-mode", args.deploy_mode,
           "--name", f"sqlingest-{project.name}-{project.target_name}",
           *(["--driver-memory", memory] if memory else [])]
    for key, value in conf.items():
        cmd += ["--conf", f"{key}={value}"]
    build = ["build", "--project-dir", str(project.root), "--target", project.target_name]
    for flag in ("select", "exclude"):
        for value in getattr(args, flag, None) or []:
            build += [f"--{flag}", value]
    if args.result_json:
        build += ["--result-json", str(Path(args.result_json).resolve())]
    if args.full_refresh:
        build.append("--full-refresh")
    return [*cmd, str(APP), *build]


def run(args: argparse.Namespace, console: Any) -> int:
    cmd = command(args)
    if args.dry_run:
        print(shlex.join(cmd))
        return 0
    return subprocess.run(cmd, check=False).returncode


def write_result(path: Path, project: Any, record: Any, record_path: Path, exit_code: int) -> None:
    """The ``--result-json`` file: what a scheduler (Airflow XCom, a Dagster asset's metadata) reads of a run."""
    from sqlingest.plan.engine import engine_of

    data = {"run_id": record.run_id, "command": record.command, "status": record.status, "exit_code": exit_code,
            "project": project.name, "target": project.target_name, "engine": engine_of(project.target.spark),
            "record": str(record_path), "started_at": record.started_at, "finished_at": record.finished_at,
            "models": {m.name: m.status for m in record.models}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
