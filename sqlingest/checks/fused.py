"""Row checks fused into a write: pure functions over (frame, columns, checks).

:func:`fuse` adds one failure flag per row check (``__f<i>``) and the quarantine/drop decisions (``__q``, ``__d``)
to a frame and observes every count in the same pass as the write that consumes it; :func:`observed` turns the
observed metrics into counts and one result per check; :func:`quarantine_rows` selects the rows flagged for
quarantine in the quarantine table's shape. Nothing here writes or knows about models: the publish step of a batch
run and every micro-batch of a streaming run use the same functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlingest.checks.messages import describe
from sqlingest.checks.results import CheckResult, Outcome
from sqlingest.checks.rows import exceeds, failure_predicate, is_row_check
from sqlingest.project.contract import Check, Contract, RelationshipsCheck, UniqueCheck
from sqlingest.project.layers import RESCUE_COLUMN
from sqlingest.sql import quote_identifier as quote

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Observation

#: adds columns and metrics to a fused frame, given the predicate of the rows that are published (the business key
#: annotation of the keyed materializations: ``sqlingest.execute.keys.annotate``)
Annotate = Callable[["DataFrame", "Column"], "tuple[DataFrame, list[Any]]"]

#: the predicate, over a fused frame, of the rows that are published (neither quarantined nor dropped)
PUBLISHED = "NOT __q AND NOT __d"


@dataclass
class Fused:
    """A frame with the row checks' flags, the observation its next action fills, and whether it was persisted
    (the caller unpersists it after its writes)."""

    frame: DataFrame
    observation: Observation
    persisted: bool


@dataclass
class Observed:
    """What the observation of a fused write counted."""

    rows_in: int
    rows_quarantined: int
    rows_dropped: int
    rows_deduplicated: int
    rows_written: int
    #: None when the frame has no rescue column
    rows_rescued: int | None
    checks: list[CheckResult] = field(default_factory=list)


def select_row_checks(contract: Contract | None, implicit: Sequence[Check], *, run_checks: bool) -> list[Check]:
    """The row checks fused into a write: the readers' ``implicit`` ones (unless the contract declares the same
    check on the same column), then the contract's (when checks run)."""
    declared = [_keyed(c, contract) for c in contract.all_checks() if is_row_check(c)] \
        if contract is not None and run_checks else []
    return [c for c in implicit if (c.type, c.column) not in {(d.type, d.column) for d in declared}] + declared


def _keyed(check: Check, contract: Contract) -> Check:
    """A ``unique`` check without columns judges the contract's business key (its label unchanged)."""
    if isinstance(check, UniqueCheck) and not check.target_columns:
        return check.model_copy(update={"columns": list(contract.keys.business), "name": check.label})
    return check


def _identify(frame: DataFrame, checks: Sequence[Check], relation_of: Mapping[str, str] | None) -> DataFrame:
    """Add the columns the identifying checks' flags read: ``__x<i>``, the number of rows of this batch with the
    same key (``unique``; NULL when a key column is NULL), or TRUE when the value exists in the referenced table
    (``relationships``; NULL for an orphan)."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    for i, check in enumerate(checks):
        if isinstance(check, UniqueCheck):
            keys = [F.col(quote(c)) for c in check.target_columns]
            present = F.lit(True)
            for key in keys:
                present = present & key.isNotNull()
            frame = frame.withColumn(f"__x{i}", F.when(present, F.count(F.lit(1)).over(Window.partitionBy(*keys))))
        elif isinstance(check, RelationshipsCheck):
            target = (relation_of or {}).get(check.to, check.to)
            field = check.field or check.column
            other = frame.sparkSession.table(target).select(F.col(quote(field)).alias(f"__k{i}")) \
                .where(F.col(f"__k{i}").isNotNull()).distinct().withColumn(f"__x{i}", F.lit(True))
            frame = frame.join(other, F.col(quote(check.column)) == F.col(f"__k{i}"), "left").drop(f"__k{i}")
    return frame


def _flag(i: int, check: Check) -> str:
    """SQL that is TRUE for a row of a fused frame failing check number ``i``."""
    if isinstance(check, UniqueCheck):
        return f"coalesce(__x{i} > 1, FALSE)"
    if isinstance(check, RelationshipsCheck):
        return f"({quote(check.column)} IS NOT NULL AND __x{i} IS NULL)"
    return failure_predicate(check)


def reason_column(i: int, check: Check, label: str) -> Column:
    """The ``_failed_checks`` entry of a row set aside by ``check``: its label, and for an identifying check the
    other side (``relationships(customer_id): customer_id=7 not in silver:shop.customers.id``,
    ``unique(id): id=3 appears 2 times``)."""
    from pyspark.sql import functions as F

    def shown(column: str) -> Column:
        return F.concat(F.lit(f"{column}="), F.coalesce(F.col(quote(column)).cast("string"), F.lit("NULL")))

    if isinstance(check, RelationshipsCheck):
        return F.concat(F.lit(f"{label}: "), shown(check.column),
                        F.lit(f" not in {check.to}.{check.field or check.column}"))
    if isinstance(check, UniqueCheck):
        key = F.concat_ws(", ", *[shown(c) for c in check.target_columns])
        return F.concat(F.lit(f"{label}: "), key, F.lit(" appears "), F.col(f"__x{i}").cast("string"),
                        F.lit(" times"))
    return F.lit(label)


def fuse(frame: DataFrame, columns: Sequence[str], checks: Sequence[Check], *, persist: bool | None = None,
         annotate: Annotate | None = None, relation_of: Mapping[str, str] | None = None) -> Fused:
    """Add one failure flag per row check and the quarantine/drop decisions to ``frame`` (whose data columns are
    ``columns``); observe every count in the same pass as the write.

    ``persist``: cache the frame (True), never (False), or when rows may go to quarantine too (None).
    ``annotate``: more columns and metrics over the published rows (the business key's deduplication and ties).
    ``relation_of``: the relation of each contract key (the tables ``relationships`` checks read)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    observation = Observation(f"sqlingest_{time.monotonic_ns()}")
    metrics = [F.count(F.lit(1)).alias("rows")]
    if RESCUE_COLUMN in columns:
        metrics.append(F.sum(F.when(F.col(RESCUE_COLUMN).isNotNull(), 1).otherwise(0)).alias("rescued"))
    if not checks:
        if annotate is not None:
            frame, extra = annotate(frame, F.lit(True))
            metrics += extra
        frame = frame.observe(observation, *metrics)
        return Fused(frame.persist(), observation, True) if persist else Fused(frame, observation, False)
    frame = _identify(frame, checks, relation_of)
    flags = [F.expr(_flag(i, c)).alias(f"__f{i}") for i, c in enumerate(checks)]

    def any_of(action: str) -> Any:
        cols = [F.col(f"__f{i}") for i, c in enumerate(checks) if c.effective_action == action]
        out = F.lit(False)
        for col in cols:
            out = out | col
        return out

    frame = frame.select("*", *flags).select("*", any_of("quarantine").alias("__q"))
    frame = frame.select("*", (any_of("drop") & ~F.col("__q")).alias("__d"))
    metrics += [F.sum(F.col(f"__f{i}").cast("int")).alias(f"f{i}") for i in range(len(checks))]
    metrics += [F.sum(F.col("__q").cast("int")).alias("quarantined"),
                F.sum(F.col("__d").cast("int")).alias("dropped")]
    if annotate is not None:
        frame, extra = annotate(frame, ~F.col("__q") & ~F.col("__d"))
        metrics += extra
    frame = frame.observe(observation, *metrics)
    if persist or (persist is None and any(c.effective_action == "quarantine" for c in checks)):
        # two writes (quarantine then table, or table then quarantine clean-up) from one computation
        return Fused(frame.persist(), observation, True)
    return Fused(frame, observation, False)


def fused_result(check: Check, failures: int, rows: int, *, acted: bool = True) -> CheckResult:
    """The result of a row check that ``failures`` of ``rows`` rows failed (``acted``: in a write, where its
    action was applied to them; False: on a table as it is, by `sqlingest test`)."""
    action = check.effective_action
    outcome: Outcome = check.verdict(failures > 0, exceeds(check, failures, rows))
    # a percentage threshold measures a share of the rows, as the same check does in `sqlingest test` (Soda)
    percent = (check.tolerance or "").strip().endswith("%")
    value: float | int = round(100.0 * failures / rows, 2) if percent and rows else failures
    message = describe(check, value, action=action if acted else None, percent=percent) if failures else ""
    return check.result(outcome, value, message, fused=acted)


def observed(values: Mapping[str, Any], checks: Sequence[Check]) -> Observed:
    """Rows in/written/quarantined/dropped/rescued and the fused check results, from a fused write's metrics."""
    rows = int(values.get("rows") or 0)
    quarantined = int(values.get("quarantined") or 0)
    dropped = int(values.get("dropped") or 0)
    deduplicated = int(values.get("deduplicated") or 0)
    return Observed(
        rows_in=rows, rows_quarantined=quarantined, rows_dropped=dropped, rows_deduplicated=deduplicated,
        rows_written=rows - quarantined - dropped - deduplicated,
        rows_rescued=int(values.get("rescued") or 0) if "rescued" in values else None,
        checks=[fused_result(check, int(values.get(f"f{i}") or 0), rows) for i, check in enumerate(checks)])


def quarantine_rows(frame: DataFrame, columns: Sequence[str], checks: Sequence[Check], run_id: str, *,
                    reason: Callable[[Check], str | None] | None = None) -> DataFrame:
    """The rows of a fused ``frame`` flagged for quarantine, in the quarantine table's shape
    (``_failed_checks``, ``_run_id``, ``_quarantined_at``, ``_row``). ``reason``: the failed-check entry of a
    check when it is not its label (None: the label)."""
    from pyspark.sql import functions as F

    names = [F.when(F.col(f"__f{i}"), reason_column(i, c, (reason(c) if reason else None) or c.label))
             for i, c in enumerate(checks) if c.effective_action == "quarantine"]
    return frame.where("__q").select(
        F.filter(F.array(*names), lambda x: x.isNotNull()).alias("_failed_checks"),
        F.lit(run_id).alias("_run_id"),
        F.current_timestamp().alias("_quarantined_at"),
        F.to_json(F.struct(*[F.col(quote(c)) for c in columns])).alias("_row"),
    )
