"""Service level objectives of domains and datasets (docs/domains.md), evaluated after every run and by
``sqlingest slo``: freshness, completeness (rows), availability (built by a time of day) and DQ pass rate.

Each evaluation is a row of ``<catalog>.sqlingest_meta.slo_results``; a breach is also an alert event (kind
``slo``) sent to the domain's alert routes and the project's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlingest.errors import UserError
from sqlingest.runs.tables import META_NAMESPACE, run_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sqlingest.plan import Plan
    from sqlingest.project.config import AlertConfig, SloConfig

SLO_RESULTS = """
  run_id STRING, evaluated_at TIMESTAMP, domain STRING, model STRING, relation STRING, slo STRING,
  objective STRING, observed STRING, met BOOLEAN, message STRING
"""
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``6h``, ``2d``, ``90s`` → a timedelta.

    Raises:
        UserError: not such a duration.
    """
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if not found:
        raise UserError(f"freshness '{text}' is not a duration", hint="write e.g. 30m, 6h or 2d")
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])


def parse_time_of_day(text: str) -> time:
    """``HH:MM`` (UTC)."""
    try:
        return time.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise UserError(f"available_by '{text}' is not a time of day", hint="write HH:MM (UTC), e.g. 06:00") \
            from None


@dataclass
class SloResult:
    domain: str
    model: str
    relation: str
    slo: str  # freshness | completeness | availability | dq_pass_rate
    objective: str
    observed: str
    met: bool
    message: str

    def entry(self) -> dict[str, Any]:
        """The run record's entry (read by ``sqlingest report``'s overview)."""
        return {"dataset": self.model, "name": self.slo, "status": "met" if self.met else "breached",
                "domain": self.domain, "relation": self.relation, "objective": self.objective,
                "observed": self.observed, "message": self.message}

    def event(self) -> dict[str, Any]:
        """The alert event of a breach."""
        return {"kind": "slo", "domain": self.domain, "model": self.model, "relation": self.relation,
                "slo": self.slo, "objective": self.objective, "observed": self.observed, "message": self.message}


def _naive(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime.combine(value, time())  # a date


def _table_exists(spark: SparkSession, relation: str) -> bool:
    try:
        spark.table(relation).schema  # noqa: B018 — resolves the table
        return True
    except Exception:  # noqa: BLE001 — AnalysisException: no such table
        return False


def evaluate(spark: SparkSession, plan: Plan, *, models: list[str] | None = None,
             now: datetime | None = None) -> list[SloResult]:
    """Every SLO of the (selected) models of a domain, against their tables and the run tables."""
    project = plan.project
    domains = project.domains
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)  # Spark returns session-local naive
    runs_table = run_table(plan.catalog, "model_runs")
    checks_table = run_table(plan.catalog, "check_results")
    have_runs = _table_exists(spark, runs_table)
    have_checks = _table_exists(spark, checks_table)
    out: list[SloResult] = []
    for name in models if models is not None else plan.selected:
        pm = plan.models.get(name)
        if pm is None or pm.contract is None:
            continue
        domain = domains.of(pm.contract.name)
        if domain is None:
            continue
        slos = domain.slos_for(pm.contract.dataset)

        def result(slo: str, objective: str, observed: str, met: bool, message: str,
                   domain: str = domain.name, name: str = name, relation: str = pm.relation) -> None:
            out.append(SloResult(domain, name, relation, slo, objective, observed, met, message))

        exists = _table_exists(spark, pm.relation)
        runs = []
        if have_runs:
            runs = spark.sql(f"SELECT status, finished_at FROM {runs_table} WHERE model = '{name}' "
                             "AND status IN ('success', 'warn') ORDER BY finished_at DESC").collect()
        if slos.freshness:
            limit = parse_duration(slos.freshness)
            newest = None
            if slos.freshness_column and exists:
                column = slos.freshness_column
                newest = _naive(spark.sql(f"SELECT MAX(`{column}`) FROM {pm.relation}").collect()[0][0])
            elif runs:
                newest = _naive(runs[0]["finished_at"])
            age = now - newest if newest else None
            met = age is not None and age <= limit
            seen = f"{age.total_seconds() / 3600:.2f}h old" if age is not None else "no data"
            result("freshness", f"<= {slos.freshness}", seen, met,
                   f"newest data is {seen}; the objective is at most {slos.freshness}")
        if slos.min_rows is not None:
            count = spark.table(pm.relation).count() if exists else 0
            result("completeness", f">= {slos.min_rows} rows", f"{count} rows", count >= slos.min_rows,
                   f"{count} rows; the objective is at least {slos.min_rows}")
        if slos.available_by:
            by = parse_time_of_day(slos.available_by)
            deadline = datetime.combine(now.date(), by.replace(tzinfo=None))
            built = [t for r in runs if (t := _naive(r["finished_at"])) is not None]
            today = [t for t in built if t.date() == now.date()]
            on_time = [t for t in today if t <= deadline]
            if on_time or now >= deadline:
                seen = (f"built at {min(on_time):%H:%M}" if on_time else
                        f"first built at {min(today):%H:%M}" if today else "not built today")
                result("availability", f"built by {slos.available_by} UTC", seen, bool(on_time),
                       f"{seen}; the objective is a successful build by {slos.available_by} UTC")
        if slos.dq_pass_rate is not None and have_checks:
            rows = spark.sql(
                f"SELECT outcome FROM {checks_table} WHERE model = '{name}' AND run_id = (SELECT MAX(run_id) "
                f"FROM {checks_table} WHERE model = '{name}')").collect()
            if rows:
                passed = sum(1 for r in rows if r["outcome"] == "pass")
                rate = passed / len(rows)
                result("dq_pass_rate", f">= {slos.dq_pass_rate:.0%}", f"{rate:.0%} ({passed}/{len(rows)})",
                       rate >= slos.dq_pass_rate, f"{passed} of {len(rows)} checks passed in the last run; the "
                       f"objective is at least {slos.dq_pass_rate:.0%}")
    return out


def write_results(spark: SparkSession, plan: Plan, run_id: str, results: list[SloResult]) -> None:
    """Append the evaluations to ``<catalog>.sqlingest_meta.slo_results`` (created on first use)."""
    if not results:
        return
    from sqlingest.formats import get_format

    fmt = get_format(plan.project.target.format)
    namespace = plan.catalog.namespace(META_NAMESPACE)
    if namespace is not None:
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {namespace}")
    table = run_table(plan.catalog, "slo_results")
    spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({SLO_RESULTS}) USING {fmt.using}")
    evaluated = datetime.now(UTC).replace(tzinfo=None)
    rows = [(run_id, evaluated, r.domain, r.model, r.relation, r.slo, r.objective, r.observed, r.met, r.message)
            for r in results]
    fmt.append(spark.createDataFrame(rows, SLO_RESULTS), table)


def routes(plan: Plan, results: list[SloResult]) -> list[tuple[AlertConfig, list[dict[str, Any]]]]:
    """(alert route, breach events) for each route: a domain's routes get its breaches, the project's all."""
    breaches = [r for r in results if not r.met]
    out: list[tuple[AlertConfig, list[dict[str, Any]]]] = []
    for domain in plan.project.domains:
        mine = [r.event() for r in breaches if r.domain == domain.name]
        out.extend((alert, mine) for alert in domain.config.alerts if mine)
    everything = [r.event() for r in breaches]
    out.extend((alert, everything) for alert in plan.project.config.alerts if everything)
    return out


def has_slos(plan: Plan) -> bool:
    return any(d.config.slos.model_dump(exclude_none=True) or d.config.dataset_slos for d in plan.project.domains)


def check_slo_config(slos: SloConfig) -> None:
    """Raise the UserError of a malformed duration or time of day."""
    if slos.freshness:
        parse_duration(slos.freshness)
    if slos.available_by:
        parse_time_of_day(slos.available_by)
