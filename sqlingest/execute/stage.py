"""Staging: a model's sources become temporary views, its query runs over them, and its rows are conformed to the
contract (bronze: lenient, plus the audit columns; other layers: strict)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlingest.execute import bad_inputs
from sqlingest.execute.context import RunContext, Staged
from sqlingest.project.contract import Check
from sqlingest.project.layers import RESCUE_COLUMN, SOURCE_FILE_COLUMN, audit_columns
from sqlingest.render import source_view
from sqlingest.sources import load_source
from sqlingest.sources.stateful import StatefulSource
from sqlingest.validate.conform import conform_strict, conform_typed, quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from sqlingest.plan import PlannedModel


def stage(ctx: RunContext, pm: PlannedModel, sql: str, exists: bool) -> Staged:
    """Read ``pm``'s sources (incrementally where its materialization reads incrementally and the table exists),
    run ``sql`` over them and conform the rows."""
    spark = ctx.spark
    inputs: list[str] = []
    implicit: list[Check] = []
    rejected: list[tuple[str, str]] = []
    warnings: list[str] = []
    any_input = False
    incremental = pm.materialization.READS_INCREMENTALLY and exists
    for contract in pm.rendered.sources:
        reader = load_source(contract, ctx.plan.project.root)
        implicit += reader.implicit_checks(streaming=False)
        if isinstance(reader, StatefulSource) and reader.INCREMENTAL_BY_STATE:
            # the position (watermark / offsets) is derived from the target table itself: one aggregate query
            state = reader.state_from_table(spark, pm.relation) if incremental else None
            read = reader.read(spark, state=state)  # type: ignore[call-arg]
        else:
            exclude: set[str] | None = None
            if reader.INCREMENTAL_BY_FILE and incremental \
                    and SOURCE_FILE_COLUMN in spark.table(pm.relation).columns:
                exclude = {r[0] for r in spark.sql(
                    f"SELECT DISTINCT {SOURCE_FILE_COLUMN} FROM {pm.relation}").collect() if r[0]}
                exclude |= bad_inputs.quarantined(ctx, pm)
            read = reader.read(spark, exclude=exclude)
        any_input = any_input or bool(read.inputs) or bool(read.rejected)
        inputs.extend(read.inputs)
        rejected.extend(read.rejected)
        warnings.extend(read.warnings)
        (read.frame.limit(0) if ctx.options.empty else read.frame).createOrReplaceTempView(
            source_view(contract.domain, contract.dataset))
    # an incremental read with nothing new is skipped, but a first run creates the (empty) table
    skip = bool(pm.rendered.sources) and not any_input and incremental
    query = spark.sql(sql)
    frame = conform(ctx, pm, query.limit(0) if ctx.options.empty else query)
    implicit += bad_inputs.length_checks(pm.contract)
    return Staged(frame, list(frame.columns), inputs, skip, implicit, rejected, warnings, new_table=not exists)


def conform(ctx: RunContext, pm: PlannedModel, frame: DataFrame) -> DataFrame:
    """The model query's rows in the contract's shape: bronze lenient (+ audit columns), others strict."""
    contract = pm.contract
    if contract is not None and contract.layer == "bronze":
        return with_audit(conform_typed(frame, contract), [c.name for c in contract.columns], ctx.run_id)
    if contract is not None:
        return conform_strict(frame, contract, model=pm.name)
    if pm.layer == "bronze":
        audit = {n for n, _ in audit_columns("bronze")}
        return with_audit(frame, [c for c in frame.columns if c not in audit], ctx.run_id)
    return frame


def with_audit(frame: DataFrame, declared: list[str], run_id: str) -> DataFrame:
    """``declared`` columns, then the bronze audit columns (kept from the input where it has them)."""
    from pyspark.sql import functions as F

    present = set(frame.columns)
    hashed = F.md5(F.concat_ws("\u001f", *[F.coalesce(F.col(quote(c)).cast("string"), F.lit("\u0000"))
                                           for c in declared]))
    values = {
        RESCUE_COLUMN: F.col(RESCUE_COLUMN) if RESCUE_COLUMN in present else F.lit(None).cast("string"),
        SOURCE_FILE_COLUMN: F.col(SOURCE_FILE_COLUMN) if SOURCE_FILE_COLUMN in present
        else F.lit(None).cast("string"),
        "_ingested_at": F.current_timestamp(),
        "_run_id": F.lit(run_id),
        "_batch_id": F.lit(run_id),
        "_record_hash": hashed,
    }
    cols = [F.col(quote(c)) for c in declared]
    cols += [values[name].cast(dtype).alias(name) for name, dtype in audit_columns("bronze")]
    return frame.select(*cols)
