"""Model unit test files without a JVM: located errors for malformed YAML, inputs, CSV rows, the starter test
`--generate` writes, and `sqlingest test --contracts`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from sqlingest.cli import main
from sqlingest.errors import CompileErrors, UserError
from sqlingest.plan import plan_project
from sqlingest.project import load_project
from sqlingest.scaffold import create_project
from sqlingest.unittests.generate import starter
from sqlingest.unittests.spec import discover, parse_csv


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return create_project(tmp_path / "shop")


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def errors_of(root: Path) -> list[str]:
    try:
        discover(load_project(root))
    except CompileErrors as exc:
        return [e.format() for e in exc.errors]
    except UserError as exc:
        return [exc.format()]
    return []


def test_the_init_project_has_one_unit_test(shop):
    tests = discover(load_project(shop))
    assert [(t.id, str(t.location)) for t in tests] == [("silver.events::latest_event_wins", "tests/events.yml:2:5")]
    kind, name, rows, _ = tests[0].inputs()[0]
    assert (kind, name, len(rows), rows[0]["kind"]) == ("ref", "bronze.events", 3, "PURCHASE")


def test_malformed_unit_tests_are_located(shop):
    write(shop, "tests/bad.yml", """
        unit_tests:
          - name: a
            model: silver.events
            expcet: {rows: []}
          - name: b
            model: silver.evnts
            expect: {rows: []}
          - name: c
            model: silver.events
            given:
              - input: table('x')
            expect: {rows: []}
    """)
    errors = errors_of(shop)
    assert "tests/bad.yml:4:5: unknown key 'expcet'\n  hint: did you mean 'expect'?" in errors
    assert any(e.startswith("tests/bad.yml:2:5: expect: Field required") for e in errors)
    assert any(e.startswith("tests/bad.yml:11:9: given.0.input: input must be ref('<model>') or source(")
               for e in errors)
    assert "tests/bad.yml:6:5: unit test 'b': no model silver.evnts\n  hint: did you mean 'silver.events'?" in errors


def test_invalid_yaml_and_duplicates_are_located(shop):
    write(shop, "tests/broken.yml", "unit_tests:\n  - name: a\n   model: x\n")
    assert errors_of(shop)[0].startswith("tests/broken.yml:3:")
    (shop / "tests/broken.yml").unlink()
    write(shop, "tests/again.yml", (shop / "tests/events.yml").read_text())
    assert any("unit test 'latest_event_wins' of silver.events is defined twice" in e for e in errors_of(shop))


def test_unit_tests_in_a_contract_default_to_its_model(shop):
    path = shop / "contracts/shop/daily_sales.gold.yml"
    path.write_text(path.read_text() + textwrap.dedent("""
        unit_tests:
          - name: one_day
            given: [{input: "ref('silver.events')", format: csv, rows: "event_id,amount\\n1,2.5\\n"}]
            expect: {rows: []}
    """), encoding="utf-8")
    tests = discover(load_project(shop))
    assert {t.id for t in tests} == {"silver.events::latest_event_wins", "gold.daily_sales::one_day"}
    one = next(t for t in tests if t.name == "one_day")
    assert one.location.path == "contracts/shop/daily_sales.gold.yml"
    assert one.inputs()[0][2] == [{"event_id": "1", "amount": "2.5"}]


def test_inline_csv_empty_field_is_null():
    assert parse_csv("a,b\n1,\n,x\n") == [{"a": "1", "b": None}, {"a": None, "b": "x"}]


def test_generated_starter_has_typed_rows_from_the_contracts(shop):
    plan = plan_project(load_project(shop))
    data = yaml.safe_load(starter(plan, "silver.events"))
    test = data["unit_tests"][0]
    assert test["given"][0]["input"] == "ref('bronze.events')"
    first = test["given"][0]["rows"][0]
    assert first == {"event_id": 1, "user_id": 1, "kind": "value 1", "amount": "1.00",
                     "happened_at": "2024-01-01 10:00:00"}
    assert "_rescued_data" not in first and test["this"] == {"rows": []}
    assert test["expect"]["rows"][1]["event_id"] == 2


def test_contract_tests_pass_then_catch_a_broken_model_and_consumer(shop, capsys):
    assert main(["test", "--contracts", "--project-dir", str(shop)]) == 0
    out = capsys.readouterr().out
    assert "  silver:shop.events                 ok  unpublished · schema = contract · 1 consumer(s)" in out
    assert "contract tests: all passed" in out
    path = shop / "contracts/shop/events.silver.yml"
    text = path.read_text()
    path.write_text(text.replace('{name: amount, type: "decimal(10,2)"}', "{name: amount, type: string}"))
    assert main(["test", "--contracts", "--project-dir", str(shop)]) == 1
    out = capsys.readouterr().out
    assert "silver:shop.events                 FAIL  unpublished · schema ≠ contract" in out
    assert "models/silver/events.sql:2:48: column 'amount' is decimal(10,2) but contract shop.events declares " \
           "string" in out
    path.write_text(text)
    gold = shop / "models/gold/daily_sales.sql"
    gold.write_text(gold.read_text().replace("SUM(amount)", "SUM(amount_eur)"))
    assert main(["test", "--contracts", "--project-dir", str(shop)]) == 1
    out = capsys.readouterr().out
    assert "    consumer gold.daily_sales: models/gold/daily_sales.sql:2:" in out
    assert "unknown column 'amount_eur'" in out
    assert "contract tests: 2 failed" in out  # the gold contract's own line fails too (its model does not compile)
