"""Quarantine: rows that failed a ``quarantine`` row check go to ``<relation>__quarantine`` (created on first use),
once per row (reruns and retries stay idempotent), and are taken back out when the run that put them there is
undone."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlingest.checks.fused import quarantine_rows
from sqlingest.execute.context import RunContext, one
from sqlingest.execute.keys import key_spec
from sqlingest.execute.keys import reason as key_reason
from sqlingest.project.contract import Check, NotNullCheck
from sqlingest.project.layers import QUARANTINE_COLUMNS, quarantine_relation
from sqlingest.validate.conform import quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from sqlingest.plan import PlannedModel


def table(ctx: RunContext, pm: PlannedModel) -> str:
    """Create ``<relation>__quarantine`` if needed; returns its name."""
    relation = quarantine_relation(pm.relation)
    ctx.spark.sql(one(
        pm, "create_table", replace=False, relation=relation, format=pm.format.using, partitioned_by=[],
        location=None, comment=f"Rows of {pm.relation} that failed quarantine checks", properties={},
        columns_ddl=",\n  ".join(f"{quote(n)} {t.upper()}" for n, t in QUARANTINE_COLUMNS)))
    return relation


def rows(ctx: RunContext, frame: DataFrame, columns: Sequence[str], checks: Sequence[Check],
         keys: Sequence[str] = ()) -> DataFrame:
    """The rows of a fused ``frame`` flagged for quarantine, in the quarantine table's shape (a NULL in one of the
    business ``keys`` is recorded as ``business key <col> is NULL``)."""
    def reason(check: Check) -> str | None:
        return key_reason(check.column) if isinstance(check, NotNullCheck) and check.column in keys else None

    return quarantine_rows(frame, columns, checks, ctx.run_id, reason=reason)


def insert(ctx: RunContext, pm: PlannedModel, frame: DataFrame, view_prefix: str = "__sqlingest_quarantine__") \
        -> None:
    """Insert the quarantine-shaped ``frame`` into ``pm``'s quarantine table, leaving out rows already there."""
    relation = table(ctx, pm)
    view = view_prefix + re.sub(r"\W", "_", pm.name)
    frame.createOrReplaceTempView(view)
    try:
        ctx.spark.sql(f"INSERT INTO {relation} SELECT * FROM {view} AS n "
                      f"WHERE NOT EXISTS (SELECT 1 FROM {relation} AS q WHERE q._row = n._row)")
    finally:
        ctx.spark.catalog.dropTempView(view)


def write(ctx: RunContext, pm: PlannedModel, frame: DataFrame, columns: Sequence[str],
          checks: Sequence[Check]) -> None:
    """Write the quarantined rows of a fused ``frame`` (a row already waiting in quarantine is not added twice)."""
    spec = key_spec(pm)
    insert(ctx, pm, rows(ctx, frame, columns, checks, spec.keys if spec else ()))


def discard(ctx: RunContext, pm: PlannedModel) -> None:
    """Take this run's rows back out of ``pm``'s quarantine table (the write they belonged to was undone)."""
    relation = quarantine_relation(pm.relation)
    if ctx.exists(relation):
        ctx.spark.sql(f"DELETE FROM {relation} WHERE _run_id = '{ctx.run_id}'")


def samples(ctx: RunContext, pm: PlannedModel, limit: int = 5) -> list[dict[str, Any]]:
    """Up to ``limit`` of this run's quarantined rows, with the checks they failed."""
    return [{"failed_checks": list(r[0]), "row": json.loads(r[1])} for r in ctx.spark.sql(
        f"SELECT _failed_checks, _row FROM {quarantine_relation(pm.relation)} "
        f"WHERE _run_id = '{ctx.run_id}' LIMIT {limit}").collect()]
