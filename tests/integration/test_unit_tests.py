"""Model unit tests on the shared session: the demo's (one per layer, incl. SCD2 with late and out-of-order rows),
a merge with deletes, quarantine and check expectations, a failing test's diff, the CLI (`test --unit`,
`--generate`), the pytest plugin in a `sqlingest init` project — and that nothing lands in a catalog or warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sqlingest.cli import main
from sqlingest.plan import plan_project
from sqlingest.project import load_project
from sqlingest.scaffold import create_project
from sqlingest.unittests.runner import UnitRunner
from sqlingest.unittests.spec import discover
from tests.conftest import REPO
from tests.demo import copy_demo

MERGE_PROJECT = {
    "contracts/shop/items.source.yml": """
        name: shop.items
        layer: source
        source: {format: csv, path: data/items/*.csv}
        columns:
          - {name: id, type: bigint}
          - {name: price, type: "decimal(10,2)"}
          - {name: deleted, type: boolean}
          - {name: updated_at, type: timestamp}
    """,
    "contracts/shop/items.silver.yml": """
        name: shop.items
        layer: silver
        keys: {business: [id], ordering: updated_at}
        columns:
          - {name: id, type: bigint, nullable: false, checks: [{not_null: {action: quarantine}}, unique]}
          - name: price
            type: "decimal(10,2)"
            checks: [{range: {min: 0, action: quarantine}}]
          - {name: deleted, type: boolean}
          - {name: updated_at, type: timestamp}
    """,
    "models/silver/items.sql": """
        {{ config(materialized='merge', delete_flag='deleted') }}
        SELECT id, price, deleted, updated_at FROM {{ source('shop', 'items') }}
    """,
    "tests/items.yml": """
        unit_tests:
          - name: deletes_and_updates
            model: silver.items
            given:
              - input: source('shop', 'items')
                rows:
                  - {id: 1, price: 9.5, updated_at: "2024-01-02 00:00:00"}
                  - {id: 1, price: 9, updated_at: "2024-01-01 00:00:00"}
                  - {id: 2, deleted: true, updated_at: "2024-01-02 00:00:00"}
                  - {id: 4, price: -1, updated_at: "2024-01-02 00:00:00"}
            this:
              rows:
                - {id: 1, price: 5, updated_at: "2023-12-01 00:00:00"}
                - {id: 2, price: 6, updated_at: "2023-12-01 00:00:00"}
                - {id: 3, price: 7, updated_at: "2023-12-01 00:00:00"}
            expect:
              rows:
                - {id: 1, price: 9.50}
                - {id: 3, price: 7.00}
              quarantined:
                - {id: 4, price: -1, _failed_checks: ["range(price)"]}
              checks: {"range(price)": warn, "not_null(id)": pass}
          - name: wrong_on_purpose
            model: silver.items
            given:
              - input: source('shop', 'items')
                rows:
                  - {id: 1, price: 9.5, updated_at: "2024-01-02 00:00:00"}
                  - {id: 5, price: 1, updated_at: "2024-01-02 00:00:00"}
            expect:
              rows:
                - {id: 1, price: 9.25}
                - {id: 6, price: 1}
    """,
}


def _warehouse_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.is_dir() else set()


@pytest.fixture(scope="module")
def demo_results(lakehouse, tmp_path_factory):
    """The demo's unit tests, run once: (results, tables before, tables after, runner folder)."""
    root = copy_demo(tmp_path_factory.mktemp("unit_demo"))
    (root / "tests").mkdir()
    shutil.copy(REPO / "tests" / "retail.yml", root / "tests" / "retail.yml")
    (root / "sqlingest.yml").write_text(
        "name: demo\nvars: {currency: EUR}\ntargets:\n  dev:\n" + lakehouse.target(), encoding="utf-8")
    spark = lakehouse.spark
    before = ({t.name for t in spark.catalog.listTables("default")}, _warehouse_files(Path(lakehouse.warehouse)),
              _warehouse_files(lakehouse.root / "spark-warehouse"))
    project = load_project(root)
    plan = plan_project(project)
    with UnitRunner(plan, spark) as runner:
        results = [runner.run(t) for t in discover(project)]
        folder = runner.folder
    after = ({t.name for t in spark.catalog.listTables("default") if not t.isTemporary},
             _warehouse_files(Path(lakehouse.warehouse)), _warehouse_files(lakehouse.root / "spark-warehouse"))
    return results, before, after, folder, root


def test_demo_unit_tests_pass_one_per_layer(demo_results):
    results = demo_results[0]
    assert [(r.test.id, r.message) for r in results if not r.passed] == []
    assert {r.test.model.split(".")[0] for r in results} == {"bronze", "silver", "gold"}
    assert "silver.customers::late_and_out_of_order_versions" in {r.test.id for r in results}


def test_scd2_versions_are_the_materializations_own(demo_results):
    scd2 = next(r for r in demo_results[0] if r.test.model == "silver.customers")
    rows = sorted((r["customer_id"], str(r["valid_from"]), r["is_current"]) for r in scd2.rows)
    assert rows == [(1, "2024-01-01 00:00:00", False), (1, "2024-01-02 00:00:00", False),
                    (1, "2024-01-03 00:00:00", True), (2, "2024-01-02 00:00:00", False),
                    (2, "2024-01-05 00:00:00", True)]


def test_nothing_lands_in_a_catalog_or_warehouse(demo_results):
    _, before, after, folder, root = demo_results
    assert after[0] <= before[0]            # no table in the session catalog
    assert after[1] == before[1]            # nothing in the Iceberg warehouse
    assert after[2] == before[2]            # nothing in the session catalog's warehouse
    assert not folder.exists()              # the throwaway Delta tables are gone
    assert not (root / "spark-warehouse").exists()


def test_merge_with_deletes_quarantine_and_a_readable_diff(lakehouse, project, capsys):
    root = project(MERGE_PROJECT, format="delta", catalog="spark_session")
    capsys.readouterr()
    code = main(["test", "--unit", "--project-dir", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert "silver.items::deletes_and_updates" in out and " pass " in out
    assert "silver.items::wrong_on_purpose" in out and "FAIL" in out
    assert "tests/items.yml:" in out
    assert "rows: 2 expected, 2 got" in out
    assert "changed {id: 1}: price: expected 9.25, got 9.50" in out
    assert "missing    {id: 6, price: 1.00}" in out
    assert "unexpected {id: 5, price: 1.00}" in out
    assert "1 passed, 1 failed in" in out
    # --select by test id runs only that one
    assert main(["test", "--unit", "--project-dir", str(root), "--select", "silver.items::deletes_and_updates"]) == 0


def test_generate_writes_a_starter_that_runs(lakehouse, project, capsys):
    root = project({k: v for k, v in MERGE_PROJECT.items() if not k.startswith("tests/")},
                   format="delta", catalog="spark_session")
    assert main(["test", "--unit", "--generate", "silver.items", "--project-dir", str(root)]) == 0
    text = (root / "tests" / "silver.items.yml").read_text()
    assert "input: source('shop', 'items')" in text and "price: '1.00'" in text
    capsys.readouterr()
    assert main(["test", "--unit", "--project-dir", str(root)]) in (0, 1)  # a starter: it runs; its rows are guesses
    assert "silver.items::items_starter" in capsys.readouterr().out


def test_init_project_unit_test_passes_through_pytest(lakehouse, tmp_path, monkeypatch):
    """`pytest` in a fresh `sqlingest init` project collects its unit test (plugin loaded as the entry point
    would load it) and runs it on the shared session; -k selects it; a Python test uses run_model."""
    root = create_project(tmp_path / "shop")
    (root / "tests" / "test_python.py").write_text(
        "def test_run_model(run_model):\n"
        "    rows = run_model('gold.daily_sales', inputs={'silver.events': [\n"
        "        {'event_id': 1, 'amount': 2, 'happened_at': '2024-01-01 10:00:00'}]})\n"
        "    assert [(str(r['day']), r['events'], str(r['net_amount'])) for r in rows] == [('2024-01-01', 1, '2.00')]\n",
        encoding="utf-8")
    monkeypatch.chdir(root)
    assert pytest.main(["-q", "-p", "no:cacheprovider",
                        "--rootdir", str(root), "-k", "latest_event_wins or run_model", str(root / "tests")]) == 0
