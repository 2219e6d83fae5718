"""An example Airflow DAG running the demo project layer by layer (docs/cluster.md; not run in CI).

Each task is one `sqlingest build --select layer:…` on the `cluster` target (a standalone cluster, client mode: the
driver runs on the Airflow worker). The exit code fails the task (1: a model failed, 2: a user error); the
`--result-json` file (run id, status, each model's status) is pushed to XCom for the next task or an alert.
For YARN or Kubernetes, `SparkSubmitOperator` takes the command `sqlingest submit --target … --deploy-mode cluster
--dry-run` prints (application `sqlingest/submit_app.py`, its `--conf`s and arguments).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

PROJECT = "/opt/projects/retail_demo"
RESULTS = "/tmp/sqlingest-results"


def build(layer: str) -> str:
    return (f"sqlingest build --project-dir {PROJECT} --target cluster --select layer:{layer} "
            f"--result-json {RESULTS}/{{{{ run_id }}}}-{layer}.json")


def push_result(layer: str, **context: object) -> dict[str, object]:
    """The build's result for XCom: what downstream tasks and alerts read (the run id links to the run record)."""
    run_id = context["run_id"]
    result: dict[str, object] = json.loads(Path(f"{RESULTS}/{run_id}-{layer}.json").read_text())
    return result


with DAG("sqlingest_retail_demo", start_date=datetime(2024, 1, 1), schedule="@hourly", catchup=False,
         tags=["sqlingest"]) as dag:
    previous = None
    for layer in ("bronze", "silver", "gold"):
        run = BashOperator(task_id=f"build_{layer}", bash_command=build(layer),
                           env={"SQLINGEST_SPARK_CLUSTER": "spark://spark-master:7077"}, append_env=True)
        result = PythonOperator(task_id=f"result_{layer}", python_callable=push_result, op_kwargs={"layer": layer})
        run >> result
        if previous is not None:
            previous >> run
        previous = result
