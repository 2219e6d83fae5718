"""Catalog capabilities declared are capabilities checked (issue #16): the planner refuses a materialization whose
capability the target's catalog does not declare for the format, ``--branch`` consults ``branches``, and a
catalog answers live schemas itself (no JVM in any of these)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from sqlingest.catalogs import CATALOGS, Catalog
from sqlingest.catalogs.capabilities import declared, format_capabilities
from sqlingest.catalogs.iceberg import IcebergJdbcCatalog
from sqlingest.catalogs.live import LiveSchemas
from sqlingest.cli import main
from sqlingest.errors import UnsupportedCombination, UserError
from sqlingest.plan import plan_project
from sqlingest.project import load_project
from sqlingest.project.config import CatalogConfig


class NoMergeIceberg(IcebergJdbcCatalog):
    """An Iceberg catalog that does not declare MERGE (e.g. one whose commits cannot take row-level changes)."""

    CAPABILITIES: ClassVar[dict[str, frozenset[str]]] = {"iceberg": format_capabilities("iceberg") - {"merge"}}


class BranchingIcebergOnly(IcebergJdbcCatalog):
    """Holds Iceberg and Parquet tables; branches only for Iceberg ones."""

    FORMATS = ("iceberg", "parquet")
    CAPABILITIES: ClassVar[dict[str, frozenset[str]]] = {"iceberg": format_capabilities("iceberg") | {"branches"},
                                                         "parquet": format_capabilities("parquet")}


HERE = "tests.unit.test_catalog_capabilities"
FILES = {
    "contracts/shop/orders.source.yml": """
        name: shop.orders
        layer: source
        source: {format: csv, path: data/*.csv}
        columns:
          - {name: id, type: bigint}
          - {name: amount, type: "decimal(10,2)"}
    """,
    "models/silver/orders.sql": """
        {{ config(materialized='merge', unique_key='id') }}
        SELECT id, amount FROM {{ source('shop', 'orders') }}
    """,
}


def _config(catalog: str, extra: str = "") -> str:
    return (f"name: t\nlayers:\n  silver: {{require_contract: false}}\ntargets:\n  dev:\n"
            f"    catalog: {{type: {catalog}, name: lake}}\n    format: iceberg\n{extra}")


def test_a_materialization_needing_an_undeclared_capability_is_refused_at_compile_time(make_project) -> None:
    root = make_project(FILES, config=_config(f"{HERE}.NoMergeIceberg"))
    with pytest.raises(UnsupportedCombination) as err:
        plan_project(load_project(root))
    assert err.value.message == (f"materialized='merge' needs merge, which catalog type '{HERE}.NoMergeIceberg' "
                                 "does not declare for iceberg tables")
    assert err.value.location is not None
    assert (Path(err.value.location.path).name, err.value.location.line) == ("orders.sql", 1)
    assert "use a target whose catalog declares it" in (err.value.hint or "")


def test_the_declared_fallback_stands_in_for_an_undeclared_capability(make_project) -> None:
    root = make_project(FILES, config=_config(f"{HERE}.NoMergeIceberg", "    fallbacks: {merge: rebuild}\n"))
    plan = plan_project(load_project(root))
    assert (plan.models["silver.orders"].materialization.NAME, plan.models["silver.orders"].replaces) == \
        ("rebuild", "merge")


def test_a_catalog_declaring_the_capability_plans_the_model(make_project) -> None:
    root = make_project(FILES, config=_config("iceberg_jdbc"))
    assert plan_project(load_project(root)).models["silver.orders"].materialization.NAME == "merge"


def test_branch_on_a_catalog_without_branches_is_refused_before_spark(make_project, capsys) -> None:
    root = make_project(FILES, config=_config("iceberg_jdbc"))
    assert main(["build", "--project-dir", str(root), "--branch", "etl"]) == UnsupportedCombination.exit_code
    err = capsys.readouterr().err
    assert "--branch (target dev) needs branches, which catalog type 'iceberg_jdbc' does not declare for iceberg " \
           "tables" in err
    assert "iceberg_nessie" in err  # the hint names the catalog types that declare it
    assert not (root / ".sqlingest" / "logs").exists()  # refused before the run's log and Spark


def test_branch_is_refused_for_a_model_whose_format_has_no_branches(make_project, capsys) -> None:
    files = {**FILES, "models/silver/orders.sql": "{{ config(materialized='table', format='parquet') }}\n"
                                                  "SELECT id, amount FROM {{ source('shop', 'orders') }}\n"}
    root = make_project(files, config=_config(f"{HERE}.BranchingIcebergOnly"))
    assert main(["build", "--project-dir", str(root), "--branch", "etl"]) == UnsupportedCombination.exit_code
    err = capsys.readouterr().err
    assert "orders.sql:1:1" in err and "--branch (model silver.orders) needs branches" in err
    assert "for parquet tables" in err


def test_every_catalog_declaring_branches_implements_them() -> None:
    """Declared is implemented: a built-in declaring ``branches`` overrides ``branch_refs`` and ``use_ref``."""
    declaring = []
    for name in [n for n in CATALOGS.names() if "." not in n]:  # the built-ins (not this file's, loaded by path)
        cls = CATALOGS.load(name)
        if any("branches" in caps for caps in declared(cls).values()):
            declaring.append(name)
            assert cls.branch_refs is not Catalog.branch_refs and cls.use_ref is not Catalog.use_ref, name
    assert declaring == ["iceberg_nessie"]


def test_live_schemas_come_from_the_catalog(tmp_path: Path) -> None:
    """A catalog that cannot be read without a JVM says so; one that can gives its own loader."""
    hadoop = CATALOGS.load("iceberg_hadoop")(CatalogConfig(type="iceberg_hadoop", name="lake"), tmp_path, tmp_path)
    with pytest.raises(UserError, match=r"--live reads Iceberg catalogs .*this target's is 'iceberg_hadoop'"):
        LiveSchemas(hadoop)
    jdbc = IcebergJdbcCatalog(CatalogConfig(type="iceberg_jdbc", name="lake"), tmp_path, tmp_path)
    jdbc.prepare()
    assert LiveSchemas(jdbc).schema("silver", "orders") is None  # an empty SQLite catalog: no such table yet
