"""Stage 6 — data quality checks declared in contracts, run with Soda Core on Spark after each model."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from sqlingest.checks.messages import describe
from sqlingest.checks.results import CheckResult, Outcome
from sqlingest.checks.sodacl import to_sodacl
from sqlingest.project.contract import Check, Contract

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
    """Run ``contract``'s checks on ``relation`` in one Soda scan and return one result per check."""
    checks = contract.all_checks() if checks is None else checks
    if not checks:
        return []
    _no_telemetry()
    from soda.scan import Scan

    view = _view_name(relation)
    spark.table(relation).createOrReplaceTempView(view)
    refs: dict[str, str] = {}
    for key, target in (relation_of or {}).items():
        ref_view = _view_name(target)
        refs[key] = ref_view
    for check in checks:
        to = check.referenced_contract
        if relation_of and to in relation_of:
            spark.table(relation_of[to]).createOrReplaceTempView(refs[to])
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
        outcome: Outcome
        if not items:
            outcome, value = "error", None
            message = "; ".join(errors[:2]) or "Soda did not evaluate this check"
        else:
            outcomes = [str(i.get("outcome")) for i in items]
            outcome = "fail" if "fail" in outcomes else "warn" if "warn" in outcomes else \
                "pass" if all(o == "pass" for o in outcomes) else "error"
            if outcome == "fail" and check.severity == "warn":
                outcome = "warn"
            value = (items[0].get("diagnostics") or {}).get("value")
            message = describe(check, value, outcome=outcome,
                               percent=(check.tolerance or "").strip().endswith("%"))
        out.append(check.result(outcome, value, message))
    return out
