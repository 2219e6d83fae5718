"""Run records in the lakehouse: ``<catalog>.sqlingest_meta.model_runs``, ``…check_results`` and (streaming models)
``…stream_batches``, appended once per run, so runs, micro-batches and quality metrics can be queried (and charted)
over time with plain SQL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlingest.formats import get_format
from sqlingest.runs import RunRecord

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sqlingest.catalogs import Catalog

META_NAMESPACE = "sqlingest_meta"

MODEL_RUNS = """
  run_id STRING, command STRING, target STRING, started_at TIMESTAMP, finished_at TIMESTAMP,
  model STRING, relation STRING, materialization STRING, status STRING,
  rows_in BIGINT, rows_written BIGINT, rows_rescued BIGINT, rows_quarantined BIGINT, rows_dropped BIGINT,
  seconds DOUBLE, sql_hash STRING, error STRING, write_strategy STRING, rows_deduplicated BIGINT
"""
#: columns added to a run table after its first release: added to an older table before a run is appended (in
#: this order, at the end: rows are appended by position where the format has no by-name writes)
ADDED_COLUMNS = {"model_runs": [("write_strategy", "STRING"), ("rows_deduplicated", "BIGINT")]}
CHECK_RESULTS = """
  run_id STRING, finished_at TIMESTAMP, model STRING, relation STRING, check_name STRING, outcome STRING,
  severity STRING, action STRING, value DOUBLE, message STRING
"""

STREAM_BATCHES = """
  run_id STRING, model STRING, relation STRING, batch_id BIGINT, started_at TIMESTAMP, status STRING,
  start_offsets STRING, end_offsets STRING, rows_in BIGINT, rows_written BIGINT, rows_quarantined BIGINT,
  rows_dropped BIGINT, rows_rescued BIGINT, checks STRING, seconds DOUBLE, error STRING
"""


def _value(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def run_table(catalog: Catalog, table: str) -> str:
    """The identifier of run table ``table`` (``model_runs`` or ``check_results``) in ``catalog``."""
    return catalog.relation(META_NAMESPACE, table)


def write_run(spark: SparkSession, record: RunRecord, *, catalog: Catalog, fmt: str) -> None:
    """Append ``record`` to the run tables of ``catalog`` (``<catalog>.sqlingest_meta``), creating them once."""
    from datetime import datetime

    from sqlingest.errors import redact

    table_format = get_format(fmt)
    namespace = catalog.namespace(META_NAMESPACE)
    if namespace is not None:
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {namespace}")
    streamed = any(m.batches for m in record.models)
    for table, ddl in (("model_runs", MODEL_RUNS), ("check_results", CHECK_RESULTS),
                       *([("stream_batches", STREAM_BATCHES)] if streamed else [])):
        spark.sql(f"CREATE TABLE IF NOT EXISTS {run_table(catalog, table)} ({ddl}) USING {table_format.using}")
        present = {f.name for f in spark.table(run_table(catalog, table)).schema}
        missing = [f"{name} {kind}" for name, kind in ADDED_COLUMNS.get(table, []) if name not in present]
        if missing:
            spark.sql(f"ALTER TABLE {run_table(catalog, table)} ADD COLUMNS ({', '.join(missing)})")
    started = datetime.fromisoformat(record.started_at)
    finished = datetime.fromisoformat(record.finished_at) if record.finished_at else None
    runs = [(record.run_id, record.command, record.target, started, finished, m.name, m.relation,
             m.materialization, m.status, m.rows_in, m.rows_written, m.rows_rescued, m.rows_quarantined,
             m.rows_dropped, float(m.seconds), m.sql_hash, redact(m.error) if m.error else None, m.write_strategy,
             m.rows_deduplicated)
            for m in record.models]
    checks = [(record.run_id, finished, m.name, m.relation, c.name, c.outcome, c.severity, c.action,
               _value(c.value), redact(c.message))
              for m in record.models for c in m.checks]
    batches = [(record.run_id, m.name, m.relation, int(b["batch_id"]), datetime.fromisoformat(b["started_at"]),
                b["status"], json.dumps(b["offsets"]["start"]), json.dumps(b["offsets"]["end"]), b.get("rows_in"),
                b.get("rows_written"), b.get("rows_quarantined"), b.get("rows_dropped"), b.get("rows_rescued"),
                json.dumps([c.to_record() for c in b.get("checks") or []]), float(b.get("seconds") or 0.0),
                redact(b["error"]) if b.get("error") else b.get("message"))
               for m in record.models for b in m.batches]
    for table, rows, ddl in (("model_runs", runs, MODEL_RUNS), ("stream_batches", batches, STREAM_BATCHES),
                             ("check_results", checks, CHECK_RESULTS)):
        if rows:
            table_format.append(spark.createDataFrame(rows, ddl), run_table(catalog, table))
