"""Checks that read another model's table are DAG edges (no JVM)."""

from __future__ import annotations

from sqlingest.plan import plan_project
from sqlingest.plan.dag import check_references
from sqlingest.project import load_project
from sqlingest.project.contract import Check
from tests.check_edges_project import FILES


def test_a_relationships_check_orders_its_model_after_the_referenced_one(make_project) -> None:
    plan = plan_project(load_project(make_project(FILES)))
    assert plan.order == ["gold.z_customers", "gold.a_orders"]
    assert plan.dag.parents["gold.a_orders"] == ["gold.z_customers"]
    assert plan.checks_only == []


def test_selecting_the_referenced_model_selects_the_dependant_for_its_checks(make_project) -> None:
    plan = plan_project(load_project(make_project(FILES)), select=["gold.z_customers"])
    assert plan.selected == ["gold.z_customers", "gold.a_orders"]
    assert plan.checks_only == ["gold.a_orders"]
    plan = plan_project(load_project(make_project(FILES)), select=["gold.a_orders"])
    assert plan.selected == ["gold.a_orders"] and plan.checks_only == []


def test_queries_naming_another_models_relation_are_references() -> None:
    model_of = {"gold:k.c": "gold.c", "lake.g.c": "gold.c", "lake.g.cc": "gold.cc"}
    metric = Check.of(type="sql_metric", name="m", query="SELECT COUNT(*) FROM {table} t LEFT JOIN lake.g.c c ON 1=1")
    assert check_references([metric], model_of) == {"gold.c"}
    assert check_references([Check.of(type="relationships", column="x", to="gold:k.c")], model_of) == {"gold.c"}
    assert check_references([Check.of(type="expression", expression="x > 0")], model_of) == set()
