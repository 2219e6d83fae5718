"""Checks as a discriminated union per type (each declares exactly its parameters, so a missing or unknown one
fails when the contract loads, at its YAML line), and check results as a frozen type with literal outcomes."""

from __future__ import annotations

import dataclasses
import json

import pytest
from pydantic import ValidationError

from sqlingest.checks.results import CheckResult
from sqlingest.cli import main
from sqlingest.project.contract import (
    CHECK_CLASSES,
    CHECK_TYPES,
    AnomalyCheck,
    Check,
    NotNullCheck,
    RangeCheck,
    RelationshipsCheck,
    SqlMetricCheck,
    UniqueCheck,
)

SILVER = "contracts/shop/orders.silver.yml"
HEAD = """\
name: shop.orders
layer: silver
columns:
  - {name: id, type: bigint}
  - {name: qty, type: int}
checks:
"""


def errors(make_project, capsys, *checks: str) -> list[str]:
    root = make_project({SILVER: HEAD + "".join(f"  - {c}\n" for c in checks)})
    assert main(["compile", "--project-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.removeprefix("error: ").rstrip("\n").splitlines() if not line.endswith(" found")]


# -- the union ------------------------------------------------------------------------------------------------


def test_every_type_has_its_own_class():
    assert len(CHECK_TYPES) == 15
    assert all(cls.model_fields["type"].default == kind for kind, cls in CHECK_CLASSES.items())
    assert type(Check.of(type="range", column="qty", min=0)) is RangeCheck
    assert type(Check.of(type="anomaly")) is AnomalyCheck


def test_row_level_and_table_only_are_declared_by_the_classes():
    row = {k for k, c in CHECK_CLASSES.items() if c.row_level}
    table = {k for k, c in CHECK_CLASSES.items() if c.table_only}
    assert row == {"not_null", "accepted_values", "range", "regex", "length", "expression", "decodable"}
    assert table == {"row_count", "sql_metric", "sodacl", "anomaly", "decodable"}


@pytest.mark.parametrize(("data", "missing"), [
    ({"type": "not_null"}, "column"),
    ({"type": "accepted_values", "column": "x"}, "values"),
    ({"type": "regex", "column": "x"}, "pattern"),
    ({"type": "relationships", "column": "x"}, "to"),
    ({"type": "expression"}, "expression"),
    ({"type": "sql_metric"}, "query"),
    ({"type": "sodacl"}, "sodacl"),
    ({"type": "freshness"}, "column"),
])
def test_a_required_parameter_is_required_by_the_type(data, missing):
    with pytest.raises(ValidationError) as exc:
        Check.of(**data)
    assert [(e["type"], e["loc"][-1]) for e in exc.value.errors()] == [("missing", missing)]


@pytest.mark.parametrize("data", [
    {"type": "range", "column": "x"}, {"type": "length", "column": "x"}, {"type": "row_count"},
    {"type": "freshness", "column": "x"}, {"type": "regex", "column": "x", "pattern": ""},
])
def test_one_of_several_parameters_is_required(data):
    with pytest.raises(ValidationError, match=r"check \w+\(\w+\): needs "):
        Check.of(**data)


def test_a_parameter_of_another_type_is_refused():
    with pytest.raises(ValidationError) as exc:
        Check.of(type="not_null", column="x", pattern="^a")
    assert [(e["type"], e["loc"]) for e in exc.value.errors()] == [("extra_forbidden", ("not_null", "pattern"))]


def test_typed_parameters_have_their_types_and_defaults():
    anomaly = Check.of(type="anomaly", window="5")
    assert isinstance(anomaly, AnomalyCheck) and anomaly.window == 5 and anomaly.metric == "rows_in"
    assert Check.of(type="not_null", column="x", threshold=10).tolerance == "10"
    assert Check.of(type="row_count", min=1).tolerance is None


def test_labels_and_references_come_from_the_class():
    assert UniqueCheck(columns=["a", "b"]).label == "unique(a,b)"
    assert UniqueCheck(columns=["a", "b"]).target_columns == ["a", "b"]
    assert NotNullCheck(column="a").target_columns == ["a"]
    assert RelationshipsCheck(column="c", to="silver:shop.customers").referenced_contract == "silver:shop.customers"
    assert SqlMetricCheck(name="m", query="SELECT 1").sql_text == "SELECT 1"
    assert NotNullCheck(column="a").referenced_contract is None and NotNullCheck(column="a").sql_text is None


# -- located load errors ----------------------------------------------------------------------------------------


def test_missing_parameter_at_the_check_entry(make_project, capsys):
    assert errors(make_project, capsys, "{type: accepted_values, column: qty}") == [
        f"{SILVER}:7:5: check accepted_values(qty): needs values (the accepted literals)"]


def test_unknown_parameter_at_its_key_with_the_type_that_has_it(make_project, capsys):
    assert errors(make_project, capsys, "{type: unique, column: id, values: [1]}") == [
        f"{SILVER}:7:32: check unique(id): 'values' is not a parameter of unique checks",
        "  hint: 'values' is a parameter of accepted_values checks"]


def test_a_typo_gets_did_you_mean_among_the_types_parameters(make_project, capsys):
    assert errors(make_project, capsys, "{type: anomaly, windw: 5}") == [
        f"{SILVER}:7:21: check anomaly(table): 'windw' is not a parameter of anomaly checks",
        "  hint: did you mean 'window'?"]


def test_a_wrongly_typed_parameter_is_named_without_the_union_tag(make_project, capsys):
    assert errors(make_project, capsys, "{type: anomaly, window: many}") == [
        f"{SILVER}:7:21: checks.0.window: Input should be a valid integer, unable to parse string as an integer"]


def test_the_other_checks_of_the_file_are_still_validated(make_project, capsys):
    assert errors(make_project, capsys, "{type: regex, column: qty}", "{type: not_null, column: qtx}") == [
        f"{SILVER}:7:5: check regex(qty): needs pattern (a Java regular expression)",
        f"{SILVER}:8:22: check not_null(qtx): column 'qtx' is not a declared column",
        "  hint: did you mean 'qty'?"]


# -- results ----------------------------------------------------------------------------------------------------


def test_a_result_is_frozen():
    result = CheckResult("not_null(x)", "fail", "error", "fail", 3, "3 rows have NULL x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.outcome = "pass"  # type: ignore[misc]


@pytest.mark.parametrize(("field", "value"), [("outcome", "failed"), ("severity", "fatal"), ("action", "ignore")])
def test_outcome_severity_and_action_are_literals(field, value):
    args = {"name": "c", "outcome": "fail", "severity": "error", "action": "fail", field: value}
    with pytest.raises(ValueError, match=f"{field} '{value}' is not one of"):
        CheckResult(**args)


@pytest.mark.parametrize(("outcome", "severity", "action", "failed"), [
    ("fail", "error", "fail", True), ("error", "error", "fail", True), ("fail", "error", "quarantine", True),
    ("warn", "error", "fail", False), ("pass", "error", "fail", False), ("warn", "warn", "fail", False),
])
def test_failed_is_derived_from_the_outcome(outcome, severity, action, failed):
    """The printed outcome says whether the model fails: ``fail``/``error`` fail it, ``warn``/``pass`` do not
    (the check's severity, action and threshold decide the outcome: ``Check.verdict``)."""
    assert CheckResult("c", outcome, severity, action).failed is failed


def test_a_check_makes_its_result_and_the_record_round_trips():
    result = NotNullCheck(column="x", severity="warn").result("warn", 2, "2 rows have NULL x", fused=True)
    assert (result.name, result.action, result.type, result.column, result.fused) == \
        ("not_null(x)", "warn", "not_null", "x", True)
    record = json.loads(json.dumps(result.to_record()))
    assert record == {"name": "not_null(x)", "outcome": "warn", "severity": "warn", "action": "warn", "value": 2,
                      "message": "2 rows have NULL x", "fused": True, "type": "not_null", "column": "x",
                      "failed": False}
    assert CheckResult.from_record(record) == result
    old = {"name": "unique(id)", "outcome": "fail", "severity": "error", "action": "fail", "value": 1,
           "message": "", "failed": True}
    assert CheckResult.from_record(old).failed
