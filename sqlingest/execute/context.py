"""What every step of a model's run shares: the plan, the session, the options, the run record and the reporter
(:class:`RunContext`), and the staged rows handed from staging to publish (:class:`Staged`).

The steps (``stage``, ``ddl``, ``publish``, ``quarantine``, ``verify``, ``replay``, and ``streaming`` for the
micro-batches) are functions of a :class:`RunContext`; the :class:`~sqlingest.execute.runner.Runner` only schedules
them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlingest.project.contract import Check

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sqlingest.plan import Plan, PlannedModel
    from sqlingest.runs import ModelResult, RunRecord

Reporter = Callable[[str, "PlannedModel", "ModelResult | None"], None]


def _noop(event: str, model: PlannedModel, result: ModelResult | None) -> None:
    return None


@dataclass
class RunOptions:
    run_models: bool = True
    run_checks: bool = True
    full_refresh: bool = False
    fail_fast: bool = False
    threads: int | None = None
    retries: int = 3
    #: streaming models: "available_now" (process what is there, then stop: `build`) or "continuous" (`stream`)
    streaming: str = "available_now"
    #: continuous streaming stops (after the running micro-batch) when this is set
    stop: threading.Event | None = None
    #: ``--empty``: sources and the model's query yield zero rows (Spark prunes the reads: ``LIMIT 0``), so a build
    #: checks the DDL and SQL on the target without reading data; existing tables rewritten in full are left as they are
    empty: bool = False


@dataclass
class Staged:
    """A model's rows ready to be written: the conformed frame and its data columns, and what the readers found."""

    frame: DataFrame
    columns: list[str]
    inputs: list[str] = field(default_factory=list)
    skip_write: bool = False
    #: row checks the source readers add (e.g. undecodable messages → quarantine)
    checks: list[Check] = field(default_factory=list)
    #: inputs the readers quarantined as a unit, unread: (input, reason); and their warnings
    rejected: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: the table was created by this run (it held no row before): a keyed write may be a plain INSERT
    new_table: bool = False


@dataclass
class RunContext:
    """One run of a plan on one session."""

    plan: Plan
    spark: SparkSession
    record: RunRecord
    options: RunOptions = field(default_factory=RunOptions)
    report: Reporter = _noop
    #: per model built in this run: the table version to restore when a check fails it (None: not restorable, or
    #: no check could fail it)
    before: dict[str, int | None] = field(default_factory=dict)
    #: streaming models run in this process (their row checks ran per micro-batch; nothing to restore)
    streamed: set[str] = field(default_factory=set)

    #: contract key → relation of every planned model (for relationship checks)
    relation_of: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.relation_of = {pm.contract.key: pm.relation for pm in self.plan.models.values() if pm.contract}

    @property
    def run_id(self) -> str:
        return self.record.run_id

    def exists(self, relation: str) -> bool:
        return bool(self.spark.catalog.tableExists(relation))

    def job_group(self, name: str) -> str:
        """The Spark job group a model's jobs run under (so they can be counted and cancelled)."""
        return f"sqlingest:{self.record.run_id}:{name}"

    def row_checks(self, pm: PlannedModel, implicit: list[Check]) -> list[Check]:
        """The row checks fused into ``pm``'s write: the readers' implicit ones, then the contract's (when checks
        run)."""
        from sqlingest.checks.fused import select_row_checks

        return select_row_checks(pm.contract, implicit, run_checks=self.options.run_checks)


def one(pm: PlannedModel, template: str, **context: object) -> str:
    """The one statement ``template`` of ``pm``'s materialization renders."""
    return pm.materialization.render(template, **context)[0]
