"""Service level objectives of domains and datasets (docs/domains.md), evaluated after every run and by
``sqlingest slo``: freshness, completeness (rows), availability (built by a time of day) and DQ pass rate.

Each evaluation is a row of ``<catalog>.sqlingest_meta.slo_results``; a breach is also an alert event (kind
``slo``) sent to the domain's alert routes and the project's.
"""

from __future__ import annotations

import difflib
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
    slo: str  # freshness | completeness | completeness_period | completeness_ratio | availability | dq_pass_rate
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


def _history(spark: SparkSession, runs_table: str, checks_table: str, names: list[str], today: datetime,
             have_runs: bool, have_checks: bool) -> tuple[dict[str, list[datetime]], dict[str, list[str]]]:
    """For every model of ``names``, at most three queries in all: its successful builds' finish times (the
    newest, and every one of ``today``), and its checks' outcomes in its last run."""
    builds: dict[str, list[datetime]] = {n: [] for n in names}
    outcomes: dict[str, list[str]] = {n: [] for n in names}
    if not names:
        return builds, outcomes
    listed = ", ".join("'" + n.replace("'", "''") + "'" for n in names)
    ok = f"model IN ({listed}) AND status IN ('success', 'warn')"
    if have_runs:
        rows = spark.sql(
            f"SELECT model, MAX(finished_at) FROM {runs_table} WHERE {ok} GROUP BY model "
            f"UNION ALL SELECT model, finished_at FROM {runs_table} WHERE {ok} "
            f"AND finished_at >= TIMESTAMP '{today:%Y-%m-%d %H:%M:%S}'").collect()
        for model, finished in rows:
            if (t := _naive(finished)) is not None and t not in builds[model]:
                builds[model].append(t)
        for times in builds.values():
            times.sort(reverse=True)
    if have_checks:
        rows = spark.sql(
            f"SELECT c.model, c.outcome FROM {checks_table} c JOIN (SELECT model, MAX(run_id) AS run_id FROM "
            f"{checks_table} WHERE model IN ({listed}) GROUP BY model) l ON c.model = l.model AND c.run_id = l.run_id"
        ).collect()
        for model, outcome in rows:
            outcomes[model].append(outcome)
    return builds, outcomes


def evaluate(spark: SparkSession, plan: Plan, *, models: list[str] | None = None,
             now: datetime | None = None) -> list[SloResult]:
    """Every SLO of the (selected) models of a domain, against their tables and the run tables."""
    project = plan.project
    domains = project.domains
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)  # Spark returns session-local naive
    runs_table = run_table(plan.catalog, "model_runs")
    checks_table = run_table(plan.catalog, "check_results")
    governed = []
    for name in models if models is not None else plan.selected:
        pm = plan.models.get(name)
        domain = domains.of(pm.contract.name) if pm is not None and pm.contract is not None else None
        if pm is not None and pm.contract is not None and domain is not None:
            slos = domain.slos_for(pm.contract.dataset)
            if slos.model_dump(exclude_none=True):
                governed.append((name, pm, domain, slos))
    if not governed:
        return []
    builds, outcomes = _history(spark, runs_table, checks_table, [g[0] for g in governed], datetime.combine(
        now.date(), time()), _table_exists(spark, runs_table), _table_exists(spark, checks_table))
    out: list[SloResult] = []
    for name, pm, domain, slos in governed:

        def result(slo: str, objective: str, observed: str, met: bool, message: str,
                   domain: str = domain.name, name: str = name, relation: str = pm.relation) -> None:
            out.append(SloResult(domain, name, relation, slo, objective, observed, met, message))

        exists = _table_exists(spark, pm.relation)
        built = builds[name]
        if slos.freshness:
            limit = parse_duration(slos.freshness)
            newest = None
            if slos.freshness_column and exists:
                column = slos.freshness_column
                newest = _naive(spark.sql(f"SELECT MAX(`{column}`) FROM {pm.relation}").collect()[0][0])
            elif built:
                newest = built[0]
            age = now - newest if newest else None
            met = age is not None and age <= limit
            seen = f"{age.total_seconds() / 3600:.2f}h old" if age is not None else "no data"
            result("freshness", f"<= {slos.freshness}", seen, met,
                   f"newest data is {seen}; the objective is at most {slos.freshness}")
        if slos.min_rows is not None:
            count = spark.table(pm.relation).count() if exists else 0
            result("completeness", f">= {slos.min_rows} rows", f"{count} rows", count >= slos.min_rows,
                   f"{count} rows; the objective is at least {slos.min_rows}")
        if slos.completeness is not None:
            out.append(_completeness(spark, plan, name, domain.name, slos.completeness, exists, now))
        if slos.available_by:
            by = parse_time_of_day(slos.available_by)
            deadline = datetime.combine(now.date(), by.replace(tzinfo=None))
            today = [t for t in built if t.date() == now.date()]
            on_time = [t for t in today if t <= deadline]
            if on_time or now >= deadline:
                seen = (f"built at {min(on_time):%H:%M}" if on_time else
                        f"first built at {min(today):%H:%M}" if today else "not built today")
                result("availability", f"built by {slos.available_by} UTC", seen, bool(on_time),
                       f"{seen}; the objective is a successful build by {slos.available_by} UTC")
        if slos.dq_pass_rate is not None and outcomes[name]:
            last = outcomes[name]
            passed = sum(1 for o in last if o == "pass")
            rate = passed / len(last)
            result("dq_pass_rate", f">= {slos.dq_pass_rate:.0%}", f"{rate:.0%} ({passed}/{len(last)})",
                   rate >= slos.dq_pass_rate, f"{passed} of {len(last)} checks passed in the last run; the "
                   f"objective is at least {slos.dq_pass_rate:.0%}")
    return out



def period_start(now: datetime, per: str) -> datetime:
    """The start of the period (``hour``, ``day``, ``week`` from Monday, ``month``) holding ``now``."""
    if per == "hour":
        return now.replace(minute=0, second=0, microsecond=0)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if per == "day":
        return day
    if per == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def previous_periods(now: datetime, per: str, count: int) -> list[datetime]:
    """The starts of the ``count`` complete periods before the one holding ``now``, oldest first."""
    starts = [period_start(now, per)]
    for _ in range(count):
        last = starts[-1] - timedelta(microseconds=1)
        starts.append(period_start(last, per))
    return sorted(starts[1:])


def completeness_key(plan: Plan, model: str, other: str, key: list[str] | None) -> list[str]:
    """The columns a ``vs`` completeness counts distinct: ``key``, else the model's business key when the other
    side has every one of its columns, else none (rows are counted)."""
    if key:
        return key
    pm, them = plan.models.get(model), plan.models.get(other)
    mine = list(pm.contract.keys.business) if pm and pm.contract and pm.contract.keys else []
    theirs = {c.name for c in them.contract.columns} if them and them.contract else set()
    return mine if mine and set(mine) <= theirs else []


def _completeness(spark: SparkSession, plan: Plan, name: str, domain: str, c: Any, exists: bool,
                  now: datetime) -> SloResult:
    pm = plan.models[name]

    def result(objective: str, observed: str, met: bool, message: str) -> SloResult:
        # its own name beside min_rows' ``completeness``: one series per objective in the tables and metrics
        kind = "completeness_ratio" if c.vs is not None else "completeness_period"
        return SloResult(domain, name, pm.relation, kind, objective, observed, met, message)

    if c.vs is not None:
        other = plan.models.get(c.vs) or plan.rendered.get(c.vs)
        relation = other.relation if other is not None else c.vs
        key = completeness_key(plan, name, c.vs, c.key)
        counted = "COUNT(DISTINCT " + ", ".join(f"`{k}`" for k in key) + ")" if key else "COUNT(*)"
        what = f"distinct {', '.join(key)}" if key else "rows"
        objective = f">= {c.min_ratio:.0%} of the {what} in {c.vs}"
        if not exists or not _table_exists(spark, relation):
            missing = pm.relation if not exists else relation
            return result(objective, "no data", False, f"{missing} does not exist; the objective is {objective}")
        mine = int(spark.sql(f"SELECT {counted} FROM {pm.relation}").collect()[0][0])
        theirs = int(spark.sql(f"SELECT {counted} FROM {relation}").collect()[0][0])
        ratio = mine / theirs if theirs else 1.0
        seen = f"{ratio:.1%} ({mine}/{theirs} {what})"
        return result(objective, seen, ratio >= c.min_ratio,
                      f"{mine} of the {theirs} {what} in {c.vs} are here ({ratio:.1%}); the objective is at "
                      f"least {c.min_ratio:.0%}")
    starts = previous_periods(now, c.per, c.periods)
    end = period_start(now, c.per)
    objective = f">= {c.min_rows} rows per {c.per} of {c.column}, last {c.periods} {c.per}(s)"
    counts = {s: 0 for s in starts}
    if exists:
        rows = spark.sql(
            f"SELECT date_trunc('{c.per}', `{c.column}`) AS p, COUNT(*) FROM {pm.relation} "
            f"WHERE `{c.column}` >= TIMESTAMP '{starts[0]:%Y-%m-%d %H:%M:%S}' "
            f"AND `{c.column}` < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}' GROUP BY 1").collect()
        for r in rows:
            start = _naive(r[0])
            if start in counts:
                counts[start] = int(r[1])
    short = [s for s, n in counts.items() if n < c.min_rows]
    fewest = min(counts.values())
    fmt = "%Y-%m-%d %H:00" if c.per == "hour" else "%Y-%m-%d"
    seen = f"fewest {fewest} rows per {c.per}" + (f", {len(short)} short" if short else "")
    message = (f"{c.per}s with fewer than {c.min_rows} rows: " + ", ".join(f"{s:{fmt}} ({counts[s]})" for s in short)
               if short else f"every one of the last {c.periods} {c.per}(s) has at least {c.min_rows} rows")
    return result(objective, seen, not short, message)


def check_slo_references(plan: Plan) -> list[UserError]:
    """Columns and models the domains' SLOs name that the datasets they apply to do not have (located at the
    domain's file)."""
    from sqlingest.errors import ConfigError

    errors: list[UserError] = []
    project = plan.project
    for name, pm in plan.models.items():
        domain = project.domains.of(pm.contract.name) if pm.contract else None
        if domain is None or pm.contract is None:
            continue
        slos = domain.slos_for(pm.contract.dataset)
        columns = {c.name for c in pm.contract.columns} | {n for n, _ in pm.materialization.EXTRA_COLUMNS}
        named = [("freshness_column", slos.freshness_column)]
        c = slos.completeness
        if c is not None:
            named.append(("completeness.column", c.column))
            named += [("completeness.key", k) for k in (c.key or [])]
        for field, column in named:
            if column and column not in columns:
                errors.append(ConfigError(
                    f"domain {domain.name}: SLO {field} '{column}' is not a column of {name} ({pm.contract.name})",
                    location=domain.location, hint="columns: " + ", ".join(sorted(columns))))
        if c is not None and c.vs is not None:
            other = plan.models.get(c.vs)
            if other is None and c.vs not in plan.rendered:
                close = difflib.get_close_matches(c.vs, list(plan.rendered), n=1)
                errors.append(ConfigError(
                    f"domain {domain.name}: SLO completeness.vs '{c.vs}' is not a model",
                    location=domain.location, hint=f"did you mean '{close[0]}'?" if close else None))
            elif other is not None and other.contract is not None:
                theirs = {col.name for col in other.contract.columns}
                for k in c.key or []:
                    if k not in theirs:
                        errors.append(ConfigError(
                            f"domain {domain.name}: SLO completeness.key '{k}' is not a column of {c.vs}",
                            location=domain.location, hint="columns: " + ", ".join(sorted(theirs))))
    return list({e.message: e for e in errors}.values())  # a domain's SLO applies to many models: once each


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
