"""The check contract's matrix without a JVM: every check type × action and × threshold / on_error is accepted
or refused at compile time exactly as the support table says (one compile each, all errors at once, located at
the option's key), the outcome of every action × threshold × result, errors never passing, and the generated
support matrix in docs/quality.md being current."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlingest.checks import support
from sqlingest.checks.fused import fused_result
from sqlingest.cli import main
from sqlingest.project.contract import ALL_ACTIONS, CHECK_CLASSES, Check

SILVER = "contracts/shop/orders.silver.yml"
HEAD = """\
name: shop.orders
layer: silver
keys: {business: [id]}
columns:
  - {name: id, type: bigint}
  - {name: status, type: string}
  - {name: qty, type: int}
  - {name: ts, type: timestamp}
checks:
"""
CUSTOMERS = "name: shop.customers\nlayer: silver\ncolumns:\n  - {name: customer_id, type: bigint}\n"
#: a valid table-level entry of every check type (without action/threshold), the YAML text after ``{``
BODY = {
    "not_null": "type: not_null, column: id",
    "unique": "type: unique, column: id",
    "primary_key": "type: primary_key, columns: [id]",
    "accepted_values": "type: accepted_values, column: status, values: [a]",
    "range": "type: range, column: qty, min: 0",
    "regex": "type: regex, column: status, pattern: '^a$'",
    "length": "type: length, column: status, max: 3",
    "relationships": "type: relationships, column: id, to: 'silver:shop.customers', field: customer_id",
    "row_count": "type: row_count, min: 1",
    "freshness": "type: freshness, column: ts, max: 1d",
    "expression": "type: expression, expression: 'qty > 0'",
    "sql_metric": "type: sql_metric, query: 'SELECT COUNT(*) FROM {table}', max: 0",
    "sodacl": "type: sodacl, sodacl: {'row_count > 0': {}}",
    "anomaly": "type: anomaly",
    "decodable": "type: decodable",
}


def test_every_type_has_a_case():
    assert set(BODY) == set(CHECK_CLASSES)


def compile_lines(make_project, capsys, entries: list[str]) -> tuple[int, list[str]]:
    text = HEAD + "".join(f"  - {{{e}}}\n" for e in entries)
    root = make_project({SILVER: text, "contracts/shop/customers.silver.yml": CUSTOMERS})
    code = main(["compile", "--project-dir", str(root)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [line for line in err.removeprefix("error: ").splitlines()
                  if line.startswith(SILVER)]


def test_every_type_x_action_is_accepted_or_refused_at_its_line(make_project, capsys):
    """60 checks in one contract: the refused ones are exactly the unsupported combinations, each at its line
    and the column of its ``action`` key."""
    cases = [(kind, action) for kind in BODY for action in ALL_ACTIONS]
    entries = [f"{BODY[kind]}, action: {action}" for kind, action in cases]
    code, lines = compile_lines(make_project, capsys, entries)
    expected = []
    for i, (kind, action) in enumerate(cases):
        if action in support.SUPPORT[kind].actions:
            continue
        column = 5 + len(BODY[kind]) + 3  # "  - {" + body + ", " → the 'action' key
        expected.append(f"{SILVER}:{10 + i}:{column}: ")
        assert kind not in ("not_null", "unique", "relationships", "expression")  # these support every action
    assert code == (2 if expected else 0)
    assert [line[:len(e)] for line, e in zip(lines, expected, strict=True)] == expected
    assert all("is not supported by" in line for line in lines), lines
    refused = {(kind, action) for kind, action in cases if action not in support.SUPPORT[kind].actions}
    assert ("row_count", "quarantine") in refused and ("unique", "quarantine") not in refused
    assert ("relationships", "drop") not in refused and ("primary_key", "drop") in refused
    assert len(refused) == len(lines)


def test_threshold_and_on_error_per_type(make_project, capsys):
    """``threshold`` is a parameter of the counting types only (elsewhere: 'not a parameter', at its key);
    ``on_error`` of every type; both with a wrong value are refused."""
    entries = [f"{BODY[kind]}, threshold: '5%', on_error: warn" for kind in BODY]
    code, lines = compile_lines(make_project, capsys, entries)
    assert code == 2
    refused = [kind for kind in BODY if not support.SUPPORT[kind].threshold]
    assert refused == ["row_count", "freshness", "sql_metric", "sodacl", "anomaly"]
    assert len(lines) == len(refused), lines
    for line, kind in zip(lines, refused, strict=True):
        i = list(BODY).index(kind)
        assert line.startswith(f"{SILVER}:{10 + i}:{5 + len(BODY[kind]) + 3}: "), line
        assert f"'threshold' is not a parameter of {kind} checks" in line
    code, lines = compile_lines(make_project, capsys, ["type: not_null, column: id, on_error: ignore"])
    assert code == 2 and "on_error" in lines[0] and "'fail' or 'warn'" in lines[0], lines


# -- outcomes ---------------------------------------------------------------------------------------------------
def check(action: str | None, threshold: str | None, severity: str = "error") -> Check:
    return Check.of(type="not_null", column="id", action=action, threshold=threshold, severity=severity)


#: (action, threshold, failing rows of 10) → outcome. The action applies to every failing row; a threshold is
#: the share tolerated before the check fails (for quarantine/drop: before the model fails although the rows
#: were set aside; without a threshold they never fail it).
OUTCOMES = [
    ("fail", None, 0, "pass"), ("fail", None, 1, "fail"), ("fail", "2", 2, "pass"), ("fail", "2", 3, "fail"),
    ("fail", "20%", 2, "pass"), ("fail", "20%", 3, "fail"),
    ("warn", None, 0, "pass"), ("warn", None, 1, "warn"), ("warn", "2", 2, "pass"), ("warn", "20%", 3, "warn"),
    ("quarantine", None, 0, "pass"), ("quarantine", None, 9, "warn"), ("quarantine", "2", 2, "warn"),
    ("quarantine", "2", 3, "fail"), ("quarantine", "20%", 2, "warn"), ("quarantine", "20%", 3, "fail"),
    ("drop", None, 5, "warn"), ("drop", "2", 3, "fail"), ("drop", "20%", 2, "warn"),
]


@pytest.mark.parametrize(("action", "threshold", "failures", "outcome"), OUTCOMES)
def test_outcome_of_every_action_and_threshold(action, threshold, failures, outcome):
    result = fused_result(check(action, threshold), failures, 10)
    assert (result.outcome, result.failed) == (outcome, outcome == "fail")
    warned = fused_result(check(action, threshold, "warn"), failures, 10)
    assert warned.outcome == ("warn" if outcome == "fail" else outcome) and not warned.failed


@pytest.mark.parametrize(("severity", "on_error", "outcome"), [
    ("error", "fail", "error"), ("error", "warn", "warn"), ("warn", "fail", "warn"), ("warn", "warn", "warn")])
def test_an_error_is_never_a_pass(severity, on_error, outcome):
    c = Check.of(type="row_count", min=1, severity=severity, on_error=on_error)
    result = c.error_result("TABLE_OR_VIEW_NOT_FOUND lake.x.y")
    assert (result.outcome, result.failed) == (outcome, outcome == "error")
    assert "could not be evaluated" in result.message and "lake.x.y" in result.message
    if outcome == "warn":
        assert f"{'on_error' if severity == 'error' else 'severity'}: warn" in result.message


def test_support_matrix_in_the_docs_is_generated_from_the_code():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "quality.md").read_text(encoding="utf-8")
    assert support.render(doc) == doc, "run: python -m sqlingest.checks.support"
    assert "| `unique` | table | table | write | write |" in doc
    assert "| `row_count` | table | table | refused | refused |" in doc
