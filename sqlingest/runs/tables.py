"""Run records in the lakehouse: ``<catalog>.sqlingest_meta.model_runs`` and ``…check_results``, appended once per
run, so runs and quality metrics can be queried (and charted) over time with plain SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlingest.runs import RunRecord

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

META_NAMESPACE = "sqlingest_meta"

MODEL_RUNS = """
  run_id STRING, command STRING, target STRING, started_at TIMESTAMP, finished_at TIMESTAMP,
  model STRING, relation STRING, materialization STRING, status STRING,
  rows_in BIGINT, rows_written BIGINT, rows_rescued BIGINT, rows_quarantined BIGINT, rows_dropped BIGINT,
  seconds DOUBLE, sql_hash STRING, error STRING
"""
CHECK_RESULTS = """
  run_id STRING, finished_at TIMESTAMP, model STRING, relation STRING, check_name STRING, outcome STRING,
  severity STRING, action STRING, value DOUBLE, message STRING
"""


def _value(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def write_run(spark: SparkSession, record: RunRecord, *, namespace: str, fmt: str) -> None:
    """Append ``record`` to the run tables in ``namespace`` (``<catalog>.sqlingest_meta``), creating them once."""
    from datetime import datetime

    from sqlingest.errors import redact

    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {namespace}")
    for table, ddl in (("model_runs", MODEL_RUNS), ("check_results", CHECK_RESULTS)):
        spark.sql(f"CREATE TABLE IF NOT EXISTS {namespace}.{table} ({ddl}) USING {fmt}")
    started = datetime.fromisoformat(record.started_at)
    finished = datetime.fromisoformat(record.finished_at) if record.finished_at else None
    runs = [(record.run_id, record.command, record.target, started, finished, m.name, m.relation,
             m.materialization, m.status, m.rows_in, m.rows_written, m.rows_rescued, m.rows_quarantined,
             m.rows_dropped, float(m.seconds), m.sql_hash, redact(m.error) if m.error else None)
            for m in record.models]
    checks = [(record.run_id, finished, m.name, m.relation, c["name"], c["outcome"], c["severity"],
               c["action"], _value(c.get("value")), redact(str(c.get("message") or "")))
              for m in record.models for c in m.checks]
    if runs:
        spark.createDataFrame(runs, MODEL_RUNS).writeTo(f"{namespace}.model_runs").append()
    if checks:
        spark.createDataFrame(checks, CHECK_RESULTS).writeTo(f"{namespace}.check_results").append()
