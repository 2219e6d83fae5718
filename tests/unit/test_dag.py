from __future__ import annotations

import pytest

from sqlingest.errors import ModelCompileError
from sqlingest.plan.dag import Dag


def test_order_is_stable_and_respects_dependencies():
    dag = Dag({"gold.a": ["silver.x", "silver.y"], "silver.x": ["bronze.x"], "silver.y": ["bronze.y"],
               "bronze.x": [], "bronze.y": []})
    assert dag.order() == ["bronze.x", "bronze.y", "silver.x", "silver.y", "gold.a"]


def test_cycle_names_every_member():
    dag = Dag({"silver.a": ["silver.b"], "silver.b": ["silver.c"], "silver.c": ["silver.a"], "bronze.z": []})
    with pytest.raises(ModelCompileError, match=r"silver.a -> silver.b -> silver.c -> silver.a"):
        dag.order({"silver.a": "models/silver/a.sql"})


def test_selectors():
    dag = Dag({"bronze.x": [], "silver.x": ["bronze.x"], "gold.x": ["silver.x"], "gold.y": []})
    assert dag.select(["x"]) == {"bronze.x", "silver.x", "gold.x"}
    assert dag.select(["+gold.x"]) == {"bronze.x", "silver.x", "gold.x"}
    assert dag.select(["bronze.x+"]) == {"bronze.x", "silver.x", "gold.x"}
    assert dag.select(["layer:gold"]) == {"gold.x", "gold.y"}
    assert dag.select(["tag:pii"], {"silver.x": ["pii"]}) == {"silver.x"}
    assert dag.select(["gold.*"]) == {"gold.x", "gold.y"}
