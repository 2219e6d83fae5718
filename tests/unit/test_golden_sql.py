"""Rendered SQL is byte-identical to the goldens under ``tests/golden/compiled/`` (issue #16's before/after test).

For every project the tests know (the demo project on each of its targets, the compile corpus' base project and
its clean cases, the small projects the unit and integration tests write, the bench generator's project), the
golden holds:

- what ``sqlingest compile`` writes to ``target/compiled/`` for each model (``write_compiled``), and
- the statements the model's materialization renders from ``materializations/templates`` for a fixed write
  context derived from the plan (the contract's columns; no Spark): ``create_table`` and the write statements.
  The runner builds its context from the staged frame at run time, so these pin the templates and the
  materialization classes, not the runner's context building (that is covered by the integration suite).

Refresh after an intended change: ``UPDATE_GOLDEN=1 pytest tests/unit/test_golden_sql.py`` and review the diff.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sqlingest.materializations import Scd2, WriteContext
from sqlingest.plan import Plan, plan_project, write_compiled
from sqlingest.project import load_project
from sqlingest.project.layers import audit_columns
from sqlingest.sql import quote_identifier as quote
from tests.conftest import REPO, write_files
from tests.corpus.compile import load_cases, materialize
from tests.demo import copy_demo

GOLDEN = REPO / "tests" / "golden" / "compiled"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
DEMO_TARGETS = ("dev", "hadoop", "pg", "nessie", "hms_iceberg", "hms_delta", "hms_parquet", "delta_path")
#: the config the tests' small projects run with (tests/integration/conftest.py: gold needs no contract)
LENIENT = "name: t\nlayers:\n  gold: {require_contract: false}\n"
#: columns whose value differs between runs: never compared by a change-detecting write
VOLATILE = {n for n, _ in audit_columns("bronze")} - {"_record_hash", "_rescued_data", "_source_file"}


def _demo(root: Path) -> Path:
    return copy_demo(root, data=False, config=True)


def _files(module: str, attr: str = "FILES", config: str = LENIENT) -> Callable[[Path], Path]:
    def make(root: Path) -> Path:
        spec = importlib.util.spec_from_file_location(module.replace("/", "_"), REPO / module)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return write_files(root, {"sqlingest.yml": config, **getattr(mod, attr)})

    return make


def _bench(root: Path) -> Path:
    spec = importlib.util.spec_from_file_location("bench_compile", REPO / "bench" / "compile.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.generate(root, 3)
    return root


#: label → (writer of the project into a folder, target)
PROJECTS: dict[str, tuple[Callable[[Path], Path], str | None]] = {
    **{f"demo.{t}": (_demo, t) for t in DEMO_TARGETS},
    "corpus_base": (lambda root: materialize(None, root), None),
    "unit_compile_files": (_files("tests/unit/test_compile.py"), None),
    "check_edges": (_files("tests/check_edges_project.py"), None),
    "materializations_scd": (_files("tests/integration/test_materializations_scd.py",
), None),
    "sources_cdc": (_files("tests/integration/test_sources_cdc.py"), None),
    "bench_compile_3": (_bench, None),
}
CLEAN_CASES = [c for c in load_cases() if c.clean]


def _context(plan: Plan, name: str) -> WriteContext:
    """The write context of a model from its plan alone: the contract's columns (else the query's inferred ones)."""
    pm = plan.models[name]
    schema = pm.table_schema()
    if schema is None:  # no contract: the query's columns as the analyzer inferred them
        schema = [(n, t or "string") for n, t, _ in pm.validated.schema]
    extra = {n for n, _ in pm.materialization.EXTRA_COLUMNS}
    columns = [n for n, _ in schema if n not in extra]
    config = pm.rendered.config
    compare = [c for c in columns if c not in pm.unique_key and c not in VOLATILE]
    contract = pm.contract
    return WriteContext(
        relation=pm.relation, stage="__sqlingest_stage__golden", sql=pm.rendered.sql,
        columns=[quote(c) for c in columns], unique_key=[quote(k) for k in pm.unique_key],
        ordering=quote(pm.ordering) if pm.ordering else None, compare_columns=[quote(c) for c in compare],
        update_columns=[quote(c) for c in columns if c not in pm.unique_key],
        delete_flag=quote(config.delete_flag) if config.delete_flag else None,
        tracked_columns=[quote(c) for c in (config.tracked_columns or compare)],
        table_columns=[quote(c) for c in [*columns, *[n for n, _ in pm.materialization.EXTRA_COLUMNS]]],
        run_id="golden",
        extra={"contract": contract, "partitioned_by": [
            quote(p) for p in (config.partitioned_by or (contract.partitioned_by if contract else []))]},
    )


def _statements(plan: Plan, name: str) -> list[tuple[str, str]]:
    """(title, statement) the model's materialization renders for the plan's write context."""
    pm = plan.models[name]
    m = pm.materialization
    out: list[tuple[str, str]] = []
    if not m.STAGED:
        return [("write", s) for s in m.statements(WriteContext(pm.relation, "", pm.rendered.sql, []))]
    ctx = _context(plan, name)
    schema = pm.table_schema() or []
    if schema:
        contract = pm.contract
        out += [("create_table", s) for s in m.render(
            "create_table", replace=False, relation=pm.relation,
            columns_ddl=",\n  ".join(f"{quote(n)} {t.upper()}" for n, t in schema), format=pm.format.using,
            partitioned_by=ctx.extra["partitioned_by"], location=plan.catalog.table_location(pm.namespace, pm.table),
            comment=contract.description if contract else None, properties=contract.properties if contract else {})]
    if m.STREAMING:
        return out
    strategies = ["merge", "rewrite"] if isinstance(m, Scd2) else [None]
    for strategy in strategies:
        if strategy is not None:
            ctx.extra["strategy"] = strategy
        out += [(f"write ({strategy})" if strategy else "write", s) for s in m.statements(ctx)]
    return out


def render_project(root: Path, target: str | None) -> str:
    """Every selected model's compiled file and materialization statements, as one text (the project root shown
    as ``<project>``)."""
    plan = plan_project(load_project(root, target=target, tolerant=True))
    out = root / "target"
    parts = []
    for path in sorted(write_compiled(plan, out)):
        parts.append(f"-- ==> {path.relative_to(out).as_posix()}\n{path.read_text(encoding='utf-8')}")
    for name in sorted(plan.selected):
        for title, statement in _statements(plan, name):
            parts.append(f"-- ==> statement {name}: {title}\n{statement}\n")
    return "".join(parts).replace(str(root.resolve()), "<project>").replace(str(root), "<project>")


def compare(label: str, text: str) -> None:
    golden = GOLDEN / f"{label}.sql"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        return
    assert golden.exists(), f"no golden {golden.relative_to(REPO)}: run with UPDATE_GOLDEN=1 to create it"
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True),
                                            f"golden/{label}.sql", f"rendered/{label}.sql"))
        pytest.fail(f"rendered SQL of {label} differs from its golden (UPDATE_GOLDEN=1 to accept):\n{diff}",
                    pytrace=False)


@pytest.mark.parametrize("label", sorted(PROJECTS))
def test_rendered_sql_matches_golden(label: str, tmp_path: Path) -> None:
    make, target = PROJECTS[label]
    root = make(tmp_path / "p")
    compare(label, render_project(root, target))


@pytest.mark.parametrize("case", CLEAN_CASES, ids=lambda c: c.id)
def test_corpus_case_sql_matches_golden(case, tmp_path: Path) -> None:
    """A clean corpus case: the base project with the case's files (the golden keeps only the case's models and
    statements, the base project's are in ``corpus_base.sql``)."""
    text = render_project(materialize(case, tmp_path / "p"), None)
    kept = [s for s in text.split("-- ==> ") if s and s not in _BASE_SECTIONS]
    compare(f"corpus/{case.id}", "".join(f"-- ==> {s}" for s in kept))


_BASE_SECTIONS: set[str] = set()


@pytest.fixture(autouse=True, scope="module")
def _base_sections(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = materialize(None, tmp_path_factory.mktemp("golden") / "base")
    _BASE_SECTIONS.update(render_project(root, None).split("-- ==> "))
