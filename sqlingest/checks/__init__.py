"""Stage 6 — data quality checks declared in contracts, run with Soda Core on Spark after each model."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from sqlingest.checks.messages import describe
from sqlingest.checks.results import CheckResult, Outcome
from sqlingest.checks.sodacl import to_sodacl
from sqlingest.project.contract import Check, Contract, RelationshipsCheck, SodaclCheck

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["CheckResult", "Outcome", "run_checks"]


def _no_telemetry() -> None:
    """Soda Core sends anonymous usage traces by default; sqlingest turns that off (no data leaves the machine)."""
    from soda.common.config_helper import ConfigHelper

    ConfigHelper.get_instance().config["send_anonymous_usage_stats"] = False


def _view_name(relation: str) -> str:
    return "__sqlingest_check__" + re.sub(r"\W", "_", relation)


def run_checks(spark: SparkSession, contract: Contract, relation: str, *,
               relation_of: dict[str, str] | None = None, checks: list[Check] | None = None) -> list[CheckResult]:
    """Run ``contract``'s checks on ``relation`` and return one result per check: ``relationships`` as one SQL
    count each (orphans, with the check's threshold), the others in one Soda scan. A check that cannot be
    evaluated (a missing table, an SQL or Soda error) has an error result (:meth:`Check.error_result`), never a
    pass."""
    checks = contract.all_checks() if checks is None else checks
    if not checks:
        return []
    by_check: dict[int, CheckResult] = {}
    rows = [c for c in checks if c.row_level]
    soda = [c for c in checks if not isinstance(c, RelationshipsCheck) and not c.row_level]
    for check in checks:
        if isinstance(check, RelationshipsCheck):
            by_check[id(check)] = _relationships(spark, check, relation, relation_of or {})
    if rows:
        by_check.update(zip(map(id, rows), _row_checks(spark, relation, rows), strict=True))
    if soda:
        try:
            results = _soda(spark, contract, relation, relation_of or {}, soda)
        except Exception as exc:  # noqa: BLE001 — the scan could not run: every check of it is an error
            from sqlingest.execute.errors import spark_message

            results = [c.error_result(spark_message(exc)) for c in soda]
        by_check.update({id(c): r for c, r in zip(soda, results, strict=True)})
    return [by_check[id(c)] for c in checks]


def _row_checks(spark: SparkSession, relation: str, checks: list[Check]) -> list[CheckResult]:
    """Row checks on a table as it is: the failure predicates of the write (:mod:`sqlingest.checks.rows`) counted
    in one aggregate query, judged as in the write (:func:`sqlingest.checks.fused.fused_result`), so `test` and
    `build` agree. Nothing is set aside here: the message says what failed, not what was done."""
    from sqlingest.checks.fused import fused_result
    from sqlingest.checks.rows import failure_predicate
    from sqlingest.execute.errors import spark_message

    counts = ", ".join(f"count_if({failure_predicate(c)}) AS f{i}" for i, c in enumerate(checks))
    try:
        row = spark.sql(f"SELECT count(*) AS n, {counts} FROM {relation}").collect()[0]
    except Exception as exc:  # noqa: BLE001 — e.g. an expression Spark cannot resolve: an error, not a pass
        reason = spark_message(exc)
        return [c.error_result(reason) for c in checks]
    return [fused_result(c, int(row[f"f{i}"] or 0), int(row["n"] or 0), acted=False) for i, c in enumerate(checks)]


def _relationships(spark: SparkSession, check: RelationshipsCheck, relation: str,
                   relation_of: dict[str, str]) -> CheckResult:
    """Orphans of ``check`` in ``relation``: non-NULL values of its column not found in the referenced table."""
    from sqlingest.checks.rows import exceeds
    from sqlingest.execute.errors import spark_message
    from sqlingest.sql import quote_identifier as q

    target = relation_of.get(check.to, check.to)
    column, field = q(check.column), q(check.field or check.column)
    try:
        row = spark.sql(
            f"SELECT count(*) AS n, count_if(t.{column} IS NOT NULL AND o.__k IS NULL) AS orphans "
            f"FROM {relation} AS t LEFT JOIN (SELECT DISTINCT {field} AS __k FROM {target} "
            f"WHERE {field} IS NOT NULL) AS o ON t.{column} = o.__k").collect()[0]
    except Exception as exc:  # noqa: BLE001 — a missing table or column: the check is an error, not a pass
        return check.error_result(spark_message(exc))
    rows, orphans = int(row["n"] or 0), int(row["orphans"] or 0)
    percent = (check.tolerance or "").strip().endswith("%")
    value: float | int = round(100.0 * orphans / rows, 2) if percent and rows else orphans
    outcome = check.verdict(orphans > 0, exceeds(check, orphans, rows))
    return check.result(outcome, value, describe(check, value, outcome="fail" if orphans else "pass",
                                                 percent=percent))


def _errors_of(check: Check, check_id: str, errors: list[str]) -> str:
    """The scan's error messages about ``check`` (Soda names a check by its name or its metric), else all."""
    keys = {check_id, check.label, re.sub(r"\W+", "_", check.label).strip("_")}
    if isinstance(check, SodaclCheck):
        body = check.sodacl if isinstance(check.sodacl, list) else [check.sodacl]
        keys |= {str(k) for entry in body if isinstance(entry, dict) for k in entry}
        keys |= {str(k).split("(")[0] for k in set(keys)}
    own = [e for e in errors if any(k and k in e for k in keys)]
    return "; ".join(dict.fromkeys(e.splitlines()[0] for e in (own or errors)[:2]))


def _soda(spark: SparkSession, contract: Contract, relation: str, relation_of: dict[str, str],
          checks: list[Check]) -> list[CheckResult]:
    """One Soda scan of ``checks`` on ``relation``."""
    _no_telemetry()
    from soda.scan import Scan

    view = _view_name(relation)
    spark.table(relation).createOrReplaceTempView(view)
    refs: dict[str, str] = {}
    ids = [(f"{check.label}#{i}", check) for i, check in enumerate(checks)]
    sodacl = to_sodacl(contract, view, ids, refs)
    scan = Scan()
    scan.disable_telemetry()
    scan.set_scan_definition_name(f"sqlingest_{view}")
    scan.set_data_source_name("spark_df")
    scan.add_spark_session(spark, data_source_name="spark_df")
    scan.add_sodacl_yaml_str(sodacl)
    logging.getLogger("soda").setLevel(logging.ERROR)
    scan.execute()
    results = scan.get_scan_results()
    by_name: dict[str, list[dict[str, Any]]] = {}
    for item in results.get("checks", []):
        base = "#".join(str(item.get("name", "")).split("#")[:2])
        by_name.setdefault(base, []).append(item)
    out: list[CheckResult] = []
    errors = [log.get("message", "") for log in results.get("logs", []) if log.get("level") == "ERROR"]
    for check_id, check in ids:
        items = by_name.get(check_id, [])
        outcomes = [str(i.get("outcome")) for i in items]
        if not items or any(o not in ("pass", "warn", "fail") for o in outcomes):
            out.append(check.error_result(_errors_of(check, check_id, errors) or "Soda did not evaluate this check"))
            continue
        value = (items[0].get("diagnostics") or {}).get("value")
        broken = "fail" in outcomes or "warn" in outcomes
        failing = broken or (check.tolerance is not None and isinstance(value, int | float) and value > 0)
        outcome = check.verdict(failing, broken)
        message = describe(check, value, outcome="fail" if failing else "pass",
                           percent=(check.tolerance or "").strip().endswith("%"))
        out.append(check.result(outcome, value, message))
    return out
