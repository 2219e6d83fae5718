"""Publish: one write of a model's staged rows through its materialization, with the row checks fused into the
same pass (:mod:`sqlingest.checks.fused`), quarantined rows set aside (:mod:`sqlingest.execute.quarantine`) and
every count observed; a replay publishes a quarantine table's rows that now pass."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlingest.checks.fused import PUBLISHED, Observed, fuse, observed
from sqlingest.errors import CheckFailed
from sqlingest.execute import quarantine
from sqlingest.execute.context import RunContext, Staged
from sqlingest.execute.ddl import partition_columns
from sqlingest.execute.keys import (
    KeySpec,
    annotate,
    guard,
    is_null_key_error,
    key_spec,
    null_key_message,
    tie_report,
)
from sqlingest.materializations import WriteContext
from sqlingest.validate.conform import quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from sqlingest.plan import PlannedModel
    from sqlingest.project.contract import Check
    from sqlingest.runs import ModelResult

#: audit columns whose value changes on every run: never compared to detect a changed row
VOLATILE = {"_ingested_at", "_run_id", "_batch_id"}


def publish(ctx: RunContext, pm: PlannedModel, staged: Staged, sql: str, result: ModelResult, *,
            replay_from: str | None = None) -> None:
    """Write staged rows with the model's materialization, evaluating row checks in the same pass.

    With ``replay_from`` (a quarantine table) the staged rows come from it: rows that now pass are published
    and, after the write, removed from the quarantine; rows still failing stay there.
    """
    spark = ctx.spark
    contract = pm.contract
    row_checks = ctx.row_checks(pm, staged.checks)
    # Remember the version to restore only when a check could fail the model (a metadata query otherwise saved).
    can_fail = ctx.options.run_checks and contract is not None and any(
        c.can_fail for c in [*contract.all_checks(), *staged.checks])
    ctx.before[pm.name] = pm.format.current_version(spark, pm.relation) if can_fail else None
    # Delta runs MERGE sources through its own query executions, which do not report the Observation:
    # cache the staged rows and count them first (the MERGE then reads the cache).
    # A first write into a table this run created is a plain INSERT (Materialization.FIRST_WRITE): no MERGE.
    first = staged.new_table and replay_from is None and pm.materialization.inserts_into_new_table()
    delta_merge = not pm.format.capabilities.merge_reports_observations and not pm.materialization.PLAIN_INSERT \
        and not first
    spec = key_spec(pm)
    fused = fuse(staged.frame, staged.columns, row_checks, persist=replay_from is not None or delta_merge,
                 relation_of=ctx.relation_of,
                 annotate=(lambda f, published: annotate(f, spec, staged.columns, published)) if spec else None)
    frame = fused.frame
    staged_rows = frame.count() if delta_merge else None
    quarantines = any(c.effective_action == "quarantine" for c in row_checks) and replay_from is None
    published = published_rows(frame, spec, row_checks, staged.columns, pm.relation)
    try:
        if quarantines:
            quarantine.write(ctx, pm, frame, staged.columns, row_checks)
        apply(ctx, pm, published, staged.columns, sql, result, staged_rows=staged_rows, new_table=first)
        if replay_from is not None:
            resolved = "__sqlingest_replayed__" + re.sub(r"\W", "_", pm.name)
            (frame.where("NOT __q") if row_checks else frame).select("_row").distinct() \
                .createOrReplaceTempView(resolved)
            # a MERGE, not DELETE … WHERE _row IN (subquery): Delta refuses subqueries in a DELETE
            spark.sql(f"MERGE INTO {replay_from} AS q USING {resolved} AS r ON q._row = r._row "
                      "WHEN MATCHED THEN DELETE")
            spark.catalog.dropTempView(resolved)
    except Exception as exc:
        if quarantines:  # the write did not happen: neither do its quarantined rows
            quarantine.discard(ctx, pm)
        if spec is None or not is_null_key_error(exc):
            raise
        raise null_key_failure(frame, spec, pm, bool(row_checks)) from None
    finally:
        if fused.persisted:
            frame.unpersist()
    values = fused.observation.get
    record_counts(result, observed(values, row_checks))
    result.ties = tie_report(values, spec) if spec else None
    if result.rows_quarantined:
        result.samples = quarantine.samples(ctx, pm)


def published_rows(frame: DataFrame, spec: KeySpec | None, row_checks: list[Check], columns: list[str],
                   relation: str) -> DataFrame:
    """The rows of a fused ``frame`` the table gets, in ``columns``; a NULL business key no check sets aside
    fails the write before anything is committed (keys.guard)."""
    from pyspark.sql import functions as F

    if not spec:
        return frame.where(PUBLISHED).select(*[quote(c) for c in columns]) if row_checks else frame
    selected = [(g.alias(c) if (g := guard(spec, row_checks, relation, c)) is not None else F.col(quote(c)))
                for c in columns]
    return (frame.where(PUBLISHED) if row_checks else frame).select(*selected)


def null_key_failure(frame: DataFrame, spec: KeySpec, pm: PlannedModel, checked: bool) -> CheckFailed:
    """The failure of a write whose published rows hold a NULL business key (nothing was committed)."""
    message, hint = null_key_message(frame, spec, PUBLISHED if checked else "TRUE")
    return CheckFailed(f"{pm.relation}: {message}", hint=hint)


def apply(ctx: RunContext, pm: PlannedModel, published: DataFrame, columns: list[str], sql: str,
          result: ModelResult, *, staged_rows: int | None,
          commit: Callable[[Callable[[], None]], None] | None = None, new_table: bool = False) -> None:
    """Write ``published`` (the rows that pass, in ``columns``) with the model's materialization: its template's
    statements over a temporary view of the rows, after :meth:`Materialization.prepare` chose how. Batch runs call
    it once per run, streaming merge/scd models once per micro-batch, with ``commit`` recording the batch id in the
    table's commit (``TableFormat.committing``)."""
    spark = ctx.spark
    config = pm.rendered.config
    stage = "__sqlingest_stage__" + re.sub(r"\W", "_", pm.name)
    published.createOrReplaceTempView(stage)
    compare = [c for c in columns if c not in pm.unique_key and c not in VOLATILE]
    extra_cols = [n for n, _ in pm.materialization.EXTRA_COLUMNS]
    if not extra_cols:  # templates insert by position: in the order the table keeps its columns (Parquet: partitions last)
        columns = pm.format.layout(columns, partition_columns(pm))
    write = WriteContext(
        relation=pm.relation, stage=stage, sql=sql, columns=[quote(c) for c in columns],
        unique_key=[quote(k) for k in pm.unique_key], ordering=quote(pm.ordering) if pm.ordering else None,
        compare_columns=[quote(c) for c in compare],
        update_columns=[quote(c) for c in columns if c not in pm.unique_key],
        delete_flag=quote(config.delete_flag) if config.delete_flag else None,
        tracked_columns=[quote(c) for c in (config.tracked_columns or compare)],
        table_columns=[quote(c) for c in [*columns, *extra_cols]],
        run_id=ctx.run_id,
        extra={"contract": pm.contract, "partitioned_by": [quote(p) for p in partition_columns(pm)],
               "new_table": new_table},
    )
    try:
        chosen = pm.materialization.prepare(spark, write, fmt=pm.format, config=config, staged_rows=staged_rows)
        if chosen is not None:
            result.write_strategy = chosen
        rewrite = pm.materialization.rewrites(write)
        # the version the rewrite reads (known already when a failing check may restore it)
        before = ctx.before.get(pm.name)
        base = (before if before is not None else pm.format.current_version(spark, pm.relation)) if rewrite else None
        statements = pm.materialization.statements(write)

        def run() -> None:
            for statement in statements:
                if rewrite:
                    pm.format.overwrite_from(spark, pm.relation, statement, base)
                else:
                    spark.sql(statement)

        if commit is None:
            run()
        else:
            commit(run)
    finally:
        pm.materialization.finish(spark, write)
        spark.catalog.dropTempView(stage)


def record_counts(result: Any, counts: Observed) -> None:
    """Put a fused write's counts and check results on ``result`` (a model's, or a micro-batch's)."""
    result.rows_in = counts.rows_in
    result.rows_quarantined = counts.rows_quarantined
    result.rows_dropped = counts.rows_dropped
    result.rows_deduplicated = counts.rows_deduplicated
    result.rows_written = counts.rows_written
    if counts.rows_rescued is not None:
        result.rows_rescued = counts.rows_rescued
    result.checks = counts.checks
