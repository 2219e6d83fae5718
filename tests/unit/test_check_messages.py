"""Check results in words (sqlingest/checks/messages.py)."""

from __future__ import annotations

import pytest

from sqlingest.checks.messages import describe
from sqlingest.project.contract import Check


@pytest.mark.parametrize("check,value,expected", [
    (Check.of(type="not_null", column="customer_id"), 1, "1 row has NULL customer_id"),
    (Check.of(type="not_null", column="customer_id"), 3.0, "3 rows have NULL customer_id"),
    (Check.of(type="unique", column="id"), 2, "2 duplicate values of id"),
    (Check.of(type="primary_key", columns=["id", "line"]), 1, "1 duplicate value of id, line"),
    (Check.of(type="accepted_values", column="kind", values=["a", "b"]), 4, "4 rows have kind outside [a, b]"),
    (Check.of(type="range", column="amount", min=0), 1, "1 row has amount below 0"),
    (Check.of(type="range", column="amount", min=0, max=10), 2, "2 rows have amount outside [0, 10]"),
    (Check.of(type="regex", column="code", pattern="^[A-Z]+$"), 1, "1 row has code not matching '^[A-Z]+$'"),
    (Check.of(type="length", column="code", max=3), 2, "2 rows have code of a length above 3"),
    (Check.of(type="relationships", column="customer_id", to="silver:shop.customers", field="id"), 5,
     "5 rows have customer_id not found in silver:shop.customers.id"),
    (Check.of(type="row_count", min=1), 0, "the table has 0 rows (expected at least 1)"),
    (Check.of(type="freshness", column="updated_at", max="2d"), 3 * 86400 * 1000 + 5000,
     "newest updated_at is 3 days old (error after 2 days)"),
    (Check.of(type="freshness", column="seen", max="6h", severity="warn"), 7 * 3600 * 1000,
     "newest seen is 7 hours old (warning after 6 hours)"),
    (Check.of(type="expression", expression="a < b"), 1, "1 row fails a < b"),
    (Check.of(type="sql_metric", name="negative", query="SELECT 1", max=0), 3, "negative is 3 (expected at most 0)"),
    (Check.of(type="sodacl", sodacl={"x": {}}), 7, "measured 7"),
])
def test_each_check_type_says_what_failed(check: Check, value: object, expected: str) -> None:
    assert describe(check, value) == expected


def test_actions_and_passes() -> None:
    check = Check.of(type="not_null", column="id", action="quarantine")
    assert describe(check, 2, action="quarantine") == "2 rows have NULL id (quarantined)"
    assert describe(check, 1, action="drop") == "1 row has NULL id (dropped)"
    assert describe(check, 0, outcome="pass") == ""
    assert describe(Check.of(type="unique", column="id"), None) == "could not be evaluated"


def test_a_percent_threshold_measures_a_share() -> None:
    check = Check.of(type="not_null", column="id", threshold="5%")
    assert describe(check, 12.5, percent=True) == "12.5% of the rows have NULL id"
