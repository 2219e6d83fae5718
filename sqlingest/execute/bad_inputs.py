"""Inputs a reader could not read as rows: files quarantined as a unit, warnings, and the run-time length checks.

A file quarantined as a unit (truncated archive, Parquet file without footer, schema contradicting the contract)
becomes one row of ``<table>__quarantine``: ``_failed_checks = ["bad_file: <reason>"]``, ``_row`` =
``{"_reason": …, "_source_file": …}`` (no data). It counts as one input unit in ``rows_in`` and ``rows_quarantined``,
so that ``rows_in = published + quarantined + dropped`` still holds, and incremental runs do not read it again
(delete its quarantine row to have it read once more after fixing it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlingest.checks.results import CheckResult
from sqlingest.project.contract import Check, Contract, LengthCheck
from sqlingest.project.layers import quarantine_relation

if TYPE_CHECKING:
    from sqlingest.execute.context import RunContext
    from sqlingest.plan import PlannedModel
    from sqlingest.runs import ModelResult

#: the ``_failed_checks`` entry of a file quarantined as a unit starts with this
PREFIX = "bad_file: "
#: SQL predicate on a quarantine table: the row is a row, not a file quarantined as a unit
NOT_A_FILE = f"NOT exists(_failed_checks, c -> c LIKE '{PREFIX}%')"


def quarantined(ctx: RunContext, pm: PlannedModel) -> set[str]:
    """The files already quarantined as a unit for ``pm`` (not read again by incremental runs)."""
    relation = quarantine_relation(pm.relation)
    if not ctx.exists(relation):
        return set()
    return {r[0] for r in ctx.spark.sql(
        f"SELECT DISTINCT get_json_object(_row, '$._source_file') FROM {relation} WHERE NOT ({NOT_A_FILE})"
    ).collect() if r[0]}


def record(ctx: RunContext, pm: PlannedModel, result: ModelResult, rejected: list[tuple[str, str]],
           warnings: list[str]) -> None:
    """Write the rejected files to the quarantine table, count them, and report both as warnings."""
    from sqlingest.execute import quarantine

    if rejected:
        rows = [([PREFIX + reason], ctx.run_id, json.dumps({"_reason": reason, "_source_file": file},
                                                           sort_keys=True)) for file, reason in rejected]
        frame = ctx.spark.createDataFrame(rows, "_failed_checks array<string>, _run_id string, _row string") \
            .selectExpr("_failed_checks", "_run_id", "current_timestamp() AS _quarantined_at", "_row")
        quarantine.insert(ctx, pm, frame, "__sqlingest_bad_files__")
        result.rows_in = (result.rows_in or 0) + len(rejected)
        result.rows_quarantined = (result.rows_quarantined or 0) + len(rejected)
        listed = "; ".join(f"{file.rsplit('/', 1)[-1]}: {reason}" for file, reason in rejected)
        result.checks.append(_warning("bad_files", len(rejected), f"{len(rejected)} file(s) quarantined: {listed}"))
        result.samples += [{"failed_checks": [PREFIX + reason], "row": {"_source_file": file, "_reason": reason}}
                           for file, reason in rejected[:5]]
    for message in warnings:
        result.checks.append(_warning("empty_source", 0, message))


def _warning(name: str, value: int, message: str) -> CheckResult:
    return CheckResult(name, "warn", "warn", "quarantine" if value else "warn", value, message, fused=True, type=name)


def length_checks(contract: Contract | None) -> list[Check]:
    """Silver and gold: a string longer than a declared ``varchar(n)``/``char(n)`` fails the write (nothing is
    truncated). Bronze rescues such values instead (see ``conform``)."""
    if contract is None or contract.layer not in ("silver", "gold"):
        return []
    return [LengthCheck(column=c.name, max=c.max_length, action="fail", name=f"max_length({c.name})")
            for c in contract.columns if c.max_length is not None]
