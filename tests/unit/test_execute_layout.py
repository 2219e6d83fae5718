"""The shape of ``sqlingest/execute``: the runner only schedules; streaming drives the same steps without it; no
module reaches into the runner's private names; no materialization is tested by name outside its package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sqlingest"
RUNNER = PACKAGE / "execute" / "runner.py"
MATERIALIZATIONS = PACKAGE / "materializations"


def _sources(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_streaming_imports_no_runner() -> None:
    tree = _tree(PACKAGE / "execute" / "streaming.py")
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert "sqlingest.execute.runner" not in imported
    assert "Runner" not in names


def _private_runner_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.module == "sqlingest.execute.runner":
            found += [f"{path.name}:{node.lineno} imports {a.name}" for a in node.names if a.name.startswith("_")]
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                and isinstance(node.value, ast.Name) and node.value.id in ("runner", "Runner", "self.runner"):
            found.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "runner":
            found.append(f"{path.name}:{node.lineno} uses runner.{node.attr}")
    return found


def test_no_private_runner_names_outside_the_runner() -> None:
    uses = [u for p in _sources(PACKAGE, ROOT / "bench", ROOT / "tests") if p != RUNNER
            for u in _private_runner_uses(p)]
    assert uses == []


def test_the_check_catches_a_private_use(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlingest.execute.runner import _Staged\nself.runner._conform(1)\nrunner._counts()\n")
    assert len(_private_runner_uses(bad)) == 3


def _materialization_classes() -> set[str]:
    names = set()
    for path in _sources(MATERIALIZATIONS):
        names |= {n.name for n in ast.walk(_tree(path)) if isinstance(n, ast.ClassDef)}
    return names


def _is_name_ref(node: ast.expr) -> bool:
    """``<x>.materialization.NAME``, ``<x>.materialization.name``, ``<x>.NAME``, ``<config>.materialized``."""
    return isinstance(node, ast.Attribute) and (node.attr in ("NAME", "materialized")
                                                 or node.attr == "name" and isinstance(node.value, ast.Attribute)
                                                 and node.value.attr == "materialization")


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return bool(node.elts) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts)
    return False


def _name_tests(tree: ast.Module, where: str, classes: set[str]) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_name_ref(s) for s in sides) and any(_is_literal(s) for s in sides):
                found.append(f"{where}:{node.lineno} compares a materialization's name")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" \
                and len(node.args) == 2:
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            if any(isinstance(k, ast.Name) and k.id in classes for k in kinds):
                found.append(f"{where}:{node.lineno} isinstance of a materialization")
    return found


def test_no_materialization_name_test_outside_its_package() -> None:
    classes = _materialization_classes() - {"WriteContext", "Strategy"}
    assert {"Scd2", "Table", "View"} <= classes
    found = [f for p in _sources(PACKAGE) if MATERIALIZATIONS not in p.parents
             for f in _name_tests(_tree(p), str(p.relative_to(ROOT)), classes)]
    assert found == []


@pytest.mark.parametrize("code", ["if pm.materialization.NAME == 'view': pass",
                                  "if r.config.materialized != 'scd2': pass",
                                  "x = pm.materialization.name in ('append', 'merge')",
                                  "isinstance(pm.materialization, (Table, Scd2))"])
def test_the_name_check_catches(code: str) -> None:
    assert len(_name_tests(ast.parse(code), "m.py", {"Scd2", "Table"})) == 1


def test_the_name_check_lets_declarations_through() -> None:
    code = "if pm.materialization.REPLAYABLE and r.config.materialized not in allowed: print(pm.materialization.NAME)"
    assert _name_tests(ast.parse(code), "m.py", {"Scd2"}) == []
