from __future__ import annotations

import pytest

from sqlingest.errors import CompileErrors, UserError
from sqlingest.project import load_contracts

SOURCE = """
name: shop.orders
layer: source
source: {format: csv, path: data/*.csv}
columns:
  - {name: id, type: long, nullable: false}
  - name: amount
    type: decimal(10,2)
    checks: [not_null, {range: {min: 0}}]
  - {name: status, type: varchar(10), checks: [{accepted_values: [a, b]}]}
"""


def test_contract_types_are_normalised_and_checks_expanded(make_project):
    root = make_project({"contracts/shop/orders.yml": SOURCE})
    contract = load_contracts(root)["source:shop.orders"]
    assert [(c.name, c.type) for c in contract.columns] == [
        ("id", "bigint"), ("amount", "decimal(10,2)"), ("status", "string")]
    checks = contract.all_checks()
    assert [(c.type, c.column) for c in checks] == [
        ("not_null", "amount"), ("range", "amount"), ("accepted_values", "status")]
    assert checks[1].min == 0 and checks[2].values == ["a", "b"]
    assert contract.columns[1].location is not None and contract.columns[1].location.line == 6


def test_unknown_type_is_located(make_project):
    root = make_project({"contracts/shop/orders.yml": SOURCE.replace("type: long", "type: lng")})
    with pytest.raises(UserError) as err:
        load_contracts(root)
    assert "contracts/shop/orders.yml:5:" in err.value.format()
    assert "'lng' is not a Spark SQL type" in err.value.format()


def test_unknown_key_has_hint(make_project):
    root = make_project({"contracts/shop/orders.yml": SOURCE + "partitoned_by: [id]\n"})
    with pytest.raises(UserError) as err:
        load_contracts(root)
    assert "unknown key 'partitoned_by'" in err.value.format()
    assert "did you mean 'partitioned_by'" in err.value.format()


def test_key_must_be_declared(make_project):
    bad = SOURCE + "keys: {business: [order_id]}\n"
    with pytest.raises(UserError, match="'order_id' is not a declared column"):
        load_contracts(make_project({"contracts/shop/orders.yml": bad}))


def test_all_bad_contracts_reported_at_once(make_project):
    files = {"contracts/shop/a.yml": SOURCE.replace("type: long", "type: nope"),
             "contracts/shop/b.yml": SOURCE.replace("layer: source", "layer: platinum")}
    with pytest.raises(CompileErrors) as err:
        load_contracts(make_project(files))
    paths = {e.location.path for e in err.value.errors if e.location}
    assert paths == {"contracts/shop/a.yml", "contracts/shop/b.yml"}


def test_unknown_check_type(make_project):
    bad = SOURCE.replace("checks: [not_null, {range: {min: 0}}]", "checks: [not_nul]")
    with pytest.raises(UserError, match="unknown check type 'not_nul'"):
        load_contracts(make_project({"contracts/shop/orders.yml": bad}))


def test_duplicate_contract(make_project):
    files = {"contracts/shop/a.yml": SOURCE, "contracts/shop/b.yml": SOURCE}
    with pytest.raises(UserError, match="declared twice"):
        load_contracts(make_project(files))


@pytest.mark.parametrize("bad", ["array<>", "'", "struct<", "int int"])
def test_malformed_types_are_user_errors(make_project, bad):
    text = SOURCE.replace("type: long", f"type: \"{bad}\"")
    with pytest.raises(UserError, match="is not a Spark SQL type"):
        load_contracts(make_project({"contracts/shop/orders.yml": text}))
