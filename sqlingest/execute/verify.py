"""Verification: the checks that run after a model's write (aggregate checks in one Soda scan, anomaly checks
against the run log; row checks already ran fused into the write), and the restore when one fails: the table goes
back to its version before the write and this run's quarantined rows are taken out again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlingest.checks import CheckResult, Outcome, run_checks
from sqlingest.checks.rows import is_row_check
from sqlingest.errors import CheckFailed, ExecutionError
from sqlingest.execute import quarantine
from sqlingest.execute.context import RunContext
from sqlingest.execute.errors import spark_message
from sqlingest.project.contract import AnomalyCheck

if TYPE_CHECKING:
    from sqlingest.plan import PlannedModel
    from sqlingest.runs import ModelResult


def anomaly(ctx: RunContext, pm: PlannedModel, result: ModelResult, check: AnomalyCheck) -> CheckResult:
    """Compare this run's metric with the model's earlier runs in the lakehouse run log."""
    from sqlingest.checks.anomaly import METRICS, evaluate
    from sqlingest.runs.tables import run_table

    current = getattr(result, check.metric, None) if check.metric in METRICS else None
    if current is None:
        return check.result("pass", None, f"no {check.metric} measured in this run", fused=True)
    table = run_table(ctx.plan.catalog, "model_runs")
    history: list[float] = []
    if ctx.exists(table):
        history = [float(r[0]) for r in ctx.spark.sql(
            f"SELECT {check.metric} FROM {table} WHERE relation = '{pm.relation}' AND status IN ('success', 'warn') "
            f"AND {check.metric} IS NOT NULL ORDER BY started_at DESC LIMIT {int(check.window)}").collect()]
    verdict = evaluate(float(current), history, sigma=check.sigma, min_history=check.min_history)
    outcome: Outcome = check.verdict(verdict.anomalous, verdict.anomalous)
    return check.result(outcome, current, f"{check.metric} {verdict.message}", fused=True)


def verify(ctx: RunContext, pm: PlannedModel, result: ModelResult) -> None:
    """Run ``pm``'s checks after its write; raise :class:`CheckFailed` when one fails (after restoring what this run
    wrote, where the table format can)."""
    contract = pm.contract
    fused = list(result.checks)
    built = ctx.options.run_models and pm.name in ctx.before
    streamed = ctx.options.run_models and pm.name in ctx.streamed
    if contract is not None and contract.all_checks():
        if not ctx.exists(pm.relation):
            raise ExecutionError(f"table {pm.relation} does not exist; build it before testing it",
                                 hint="sqlingest build --select " + pm.name)
        remaining = [c for c in contract.all_checks()
                     if not ((built or streamed) and is_row_check(c)) and not isinstance(c, AnomalyCheck)]
        try:
            fused += [anomaly(ctx, pm, result, c) for c in contract.all_checks() if isinstance(c, AnomalyCheck)]
            result.checks = fused + run_checks(ctx.spark, contract, pm.relation, relation_of=ctx.relation_of,
                                               checks=remaining)
        except Exception as exc:  # noqa: BLE001 — the checks could not run at all: not a pass, whatever raised
            restored = built and any(c.can_fail for c in contract.all_checks()) and \
                pm.format.restore(ctx.spark, pm.relation, ctx.before[pm.name])  # (else no version was kept)
            if restored:
                quarantine.discard(ctx, pm)
            raise ExecutionError(f"the checks of {pm.relation} could not be evaluated: {spark_message(exc)}"
                                 + ("; nothing was published (table restored to its previous version)"
                                    if restored else "")) from None
    failures = [c for c in result.checks if c.failed]
    if not failures:
        return
    message = "; ".join(f"{c.name} ({c.message or c.value})" for c in failures)
    if streamed:
        raise CheckFailed(f"{len(failures)} check(s) failed on {pm.relation}: {message}; the micro-batches "
                          "committed before the failure stay published")
    if built:
        restored = pm.format.restore(ctx.spark, pm.relation, ctx.before[pm.name])
        quarantine.discard(ctx, pm)
        result.rows_written = 0 if restored else result.rows_written
        tail = "nothing was published (table restored to its previous version)" if restored else \
            f"{pm.format.name} tables cannot be restored: the rows stay published"
        raise CheckFailed(f"{len(failures)} check(s) failed on {pm.relation}: {message}; {tail}")
    raise CheckFailed(f"{len(failures)} check(s) failed on {pm.relation}: {message}")
