"""One model's build, step by step: DDL (namespace, full refresh), the incremental rendering, then either the
streaming query (:mod:`sqlingest.execute.streaming`), the materialization's statements as they are (views), or
staging → table DDL/evolution → publish → inputs quarantined as a unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlingest.execute import bad_inputs, ddl
from sqlingest.execute.context import RunContext
from sqlingest.execute.publish import publish
from sqlingest.execute.stage import stage
from sqlingest.materializations import WriteContext

if TYPE_CHECKING:
    from sqlingest.plan import PlannedModel
    from sqlingest.runs import ModelResult


def build(ctx: RunContext, pm: PlannedModel, result: ModelResult) -> None:
    """Build ``pm`` and fill ``result`` (rows, inputs, fused checks)."""
    exists = ddl.prepare(ctx, pm)
    rendered = pm.rendered
    if pm.materialization.INCREMENTAL and exists:
        rendered = ctx.plan.renderer.render(rendered.model, incremental=True)
        rendered.relation = pm.relation
    if pm.streaming:
        from sqlingest.execute.streaming import StreamingModel

        StreamingModel(ctx, pm, result).run(exists)
        return
    if not pm.materialization.STAGED:
        for statement in pm.materialization.statements(WriteContext(pm.relation, "", rendered.sql, [])):
            ctx.spark.sql(statement)
        return
    staged = stage(ctx, pm, rendered.sql, exists)
    result.inputs = staged.inputs
    if staged.skip_write:
        result.rows_in = result.rows_written = 0
        bad_inputs.record(ctx, pm, result, [], staged.warnings)
        return
    ddl.ensure_table(ctx, pm, staged.frame, exists)
    if ctx.options.empty and exists and (not pm.materialization.INCREMENTAL or pm.materialization.OVERWRITES):
        result.rows_in = result.rows_written = 0  # zero rows would replace the table's: analysed, not written
        return
    publish(ctx, pm, staged, rendered.sql, result)
    if staged.rejected or staged.warnings:
        bad_inputs.record(ctx, pm, result, staged.rejected, staged.warnings)
