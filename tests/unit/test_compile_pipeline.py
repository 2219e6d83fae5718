"""Compile reports every independent error at once, does not cascade into dependants, and lets a selection compile
only what it needs."""

from __future__ import annotations

from sqlingest.cli import main
from tests.unit.test_compile import CONFIG, FILES

BROKEN_SILVER = ("{{ config(materialized='merge') }}\n"
                 "SELECT id, amount, stauts AS status\n"
                 "FROM {{ ref('bronze.orders') }}\n")


def compile_output(make_project, capsys, files, *args):
    root = make_project({**FILES, **files}, config=CONFIG)
    code = main(["compile", "--project-dir", str(root), *args])
    out = capsys.readouterr()
    return code, out.err + out.out


def test_dependants_of_a_broken_model_are_not_checked_once(make_project, capsys):
    code, text = compile_output(make_project, capsys, {
        "models/silver/orders.sql": BROKEN_SILVER,
        "models/gold/by_status.sql": "SELECT status, nope FROM {{ ref('silver.orders') }}\n",
        "models/gold/again.sql": "SELECT * FROM {{ ref('gold.by_status') }}\n"})
    assert code == 2
    assert "models/silver/orders.sql:2:20: unknown column 'stauts'" in text
    assert "models/gold/by_status.sql:1:26: not checked: depends on a model with errors (silver.orders)" in text
    assert "models/gold/again.sql:1:15: not checked: depends on a model with errors (gold.by_status)" in text
    assert "nope" not in text  # the dependant's own (spurious) findings are not reported
    assert text.count("not checked: depends") == 2
    assert "1 error found; 2 models not checked" in text


def test_contract_errors_do_not_hide_model_errors(make_project, capsys):
    code, text = compile_output(make_project, capsys, {
        "contracts/shop/extra.silver.yml": "name: shop.extra\nlayer: silver\ncolumns:\n  - {name: a, type: nosuchtype}\n",
        "models/gold/by_status.sql": "SELECT status, COUNT(*) AS n FROM {{ ref('silver.orders') }} GROUP BY sttus\n"})
    assert code == 2
    assert "contracts/shop/extra.silver.yml:4" in text
    assert "models/gold/by_status.sql:1:71: unknown column 'sttus'" in text


def test_selection_compiles_what_it_needs(make_project, capsys):
    files = {"models/gold/broken.sql": "SELECT FROM WHERE\n"}
    code, text = compile_output(make_project, capsys, files, "--select", "gold.by_status")
    assert code == 0, text
    code, text = compile_output(make_project, capsys, files, "--select", "gold.broken")
    assert code == 2 and "models/gold/broken.sql:1" in text
    # an ancestor's error still counts
    code, text = compile_output(make_project, capsys, {"models/silver/orders.sql": BROKEN_SILVER},
                                "--select", "gold.by_status")
    assert code == 2 and "unknown column 'stauts'" in text and "not checked" in text
