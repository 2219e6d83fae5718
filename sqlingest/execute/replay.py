"""Replay: the quarantined rows of a model run again through its (fixed) contract and materialization; rows that
pass now are published and leave the quarantine, the others stay."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlingest.errors import CheckFailed, ExecutionError, SqlingestError
from sqlingest.execute import bad_inputs
from sqlingest.execute.context import RunContext, Staged
from sqlingest.execute.errors import spark_message
from sqlingest.execute.publish import publish
from sqlingest.execute.verify import verify
from sqlingest.project.layers import quarantine_relation
from sqlingest.runs import ModelResult
from sqlingest.validate.conform import quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from sqlingest.plan import PlannedModel


def quarantined_rows(ctx: RunContext, pm: PlannedModel, quarantine: str) -> Staged:
    """The rows of ``quarantine`` (not the files quarantined as a unit), parsed back into the table's columns."""
    extra = {n for n, _ in pm.materialization.EXTRA_COLUMNS}
    fields = [f for f in ctx.spark.table(pm.relation).schema.fields if f.name not in extra]
    ddl = ", ".join(f"{quote(f.name)} {f.dataType.simpleString()}" for f in fields)
    rows: DataFrame = ctx.spark.table(quarantine).where(bad_inputs.NOT_A_FILE) \
        .selectExpr(f"from_json(_row, '{ddl}') AS __r", "_row").select("__r.*", "_row")
    return Staged(rows, [f.name for f in fields])


def replay(ctx: RunContext, name: str) -> ModelResult:
    """Re-run the quarantined rows of model ``name`` through its (fixed) contract and materialization."""
    pm = ctx.plan.models[name]
    result = ModelResult(name, pm.relation, "replay", sql_hash=pm.sql_hash)
    ctx.record.models.append(result)
    started = time.perf_counter()
    quarantine = quarantine_relation(pm.relation)
    try:
        if not pm.materialization.REPLAYABLE:
            raise ExecutionError(f"replay needs an incremental materialization; {name} is "
                                 f"'{pm.materialization.NAME}'", hint="rebuild it with `sqlingest build`")
        if not ctx.exists(quarantine):
            raise ExecutionError(f"{name} has no quarantine table ({quarantine})")
        staged = quarantined_rows(ctx, pm, quarantine)
        kept = pm.format.current_version(ctx.spark, quarantine)
        publish(ctx, pm, staged, pm.rendered.sql, result, replay_from=quarantine)
        if ctx.options.run_checks:
            try:
                verify(ctx, pm, result)
            except CheckFailed:  # the table was restored: give the quarantine its rows back too
                pm.format.restore(ctx.spark, quarantine, kept)
                raise
        result.status = "warn" if any(c.outcome == "warn" for c in result.checks) else "success"
    except SqlingestError as exc:
        result.status, result.error = "error", exc.format()
    except Exception as exc:  # noqa: BLE001 — a failing model is recorded; its descendants are skipped
        result.status, result.error = "error", spark_message(exc)
    result.seconds = round(time.perf_counter() - started, 3)
    ctx.record.status = "error" if result.status == "error" else "success"
    return result
