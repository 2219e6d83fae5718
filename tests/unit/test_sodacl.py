"""Contract checks → SodaCL, checked as data (the Soda engine itself runs in the integration tests)."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from sqlingest.checks.sodacl import to_sodacl
from sqlingest.project.contract import Check, Contract


def contract(checks: list[dict]) -> Contract:
    return Contract.model_validate({
        "name": "shop.orders", "layer": "silver", "keys": {"business": ["id"]},
        "columns": [{"name": "id", "type": "bigint"}, {"name": "status", "type": "string"},
                    {"name": "amount", "type": "double"}, {"name": "ts", "type": "timestamp"}],
        "checks": checks})


def sodacl(checks: list[dict]) -> list:
    c = contract(checks)
    doc = yaml.safe_load(to_sodacl(c, "t", [(f"c#{i}", ch) for i, ch in enumerate(c.all_checks())]))
    entries = doc["checks for t"]
    for entry in entries:  # row samples are never collected (sqlingest reports counts); checked here, then removed
        (key, body), = entry.items()
        sampled = key.startswith(("missing_", "invalid_", "duplicate_", "failed rows", "values in "))
        assert body.pop("samples limit", None) == (0 if sampled else None), entry
    return entries


@pytest.mark.parametrize("check, expected", [
    ({"type": "not_null", "column": "id"}, {"missing_count(id)": {"name": "c#0", "fail": "when > 0"}}),
    ({"type": "not_null", "column": "id", "threshold": "5%", "severity": "warn"},
     {"missing_percent(id)": {"name": "c#0", "warn": "when > 5.0"}}),
    ({"type": "unique", "column": "id"}, {"duplicate_count(id)": {"name": "c#0", "fail": "when > 0"}}),
    ({"type": "accepted_values", "column": "status", "values": ["a", "b"]},
     {"invalid_count(status)": {"name": "c#0", "valid values": ["a", "b"], "fail": "when > 0"}}),
    ({"type": "range", "column": "amount", "min": 0, "max": 10},
     {"invalid_count(amount)": {"name": "c#0", "fail": "when > 0", "valid min": 0, "valid max": 10}}),
    ({"type": "regex", "column": "status", "pattern": "^[a-z]+$"},
     {"invalid_count(status)": {"name": "c#0", "valid regex": "^[a-z]+$", "fail": "when > 0"}}),
    ({"type": "length", "column": "status", "max": 3},
     {"invalid_count(status)": {"name": "c#0", "fail": "when > 0", "valid max length": 3}}),
    ({"type": "row_count", "min": 1, "max": 100}, {"row_count": {"name": "c#0", "fail": "when not between 1 and 100"}}),
    ({"type": "row_count", "min": 1}, {"row_count": {"name": "c#0", "fail": "when < 1"}}),
    ({"type": "freshness", "column": "ts", "max": "1d"}, {"freshness(ts)": {"name": "c#0", "fail": "when > 1d"}}),
    ({"type": "expression", "expression": "amount >= 0"},
     {"failed rows": {"name": "c#0", "fail condition": "NOT (amount >= 0)"}}),
])
def test_check_to_sodacl(check, expected):
    assert sodacl([check]) == [expected]


def test_primary_key_is_duplicates_and_missing_per_column():
    entries = sodacl([{"type": "primary_key", "columns": ["id", "status"]}])
    assert entries == [
        {"duplicate_count(id, status)": {"name": "c#0", "fail": "when > 0"}},
        {"missing_count(id)": {"name": "c#0#id", "fail": "when > 0"}},
        {"missing_count(status)": {"name": "c#0#status", "fail": "when > 0"}},
    ]


def test_missing_parameter_fails_at_load():
    with pytest.raises(ValidationError, match=r"accepted_values\.values\s+Field required"):
        sodacl([{"type": "accepted_values", "column": "status"}])


def test_action_defaults_follow_severity():
    assert Check.of(type="not_null", column="x").effective_action == "fail"
    assert Check.of(type="not_null", column="x", severity="warn").effective_action == "warn"


def test_sql_metric_query_names_the_checked_table():
    entries = sodacl([{"type": "sql_metric", "name": "neg", "query": "SELECT COUNT(*) FROM {table} WHERE amount < 0",
                       "max": 0}])
    assert entries == [{"neg": {"name": "c#0", "neg query": "SELECT COUNT(*) FROM t WHERE amount < 0",
                                "fail": "when > 0"}}]
