"""No import cycle in ``sqlingest/`` (issue #16).

The graph is built from the source with ``ast``: an edge ``a → b`` for every import at module level of ``a``
(inside ``if``/``try`` blocks too, but not inside ``if TYPE_CHECKING:``, which never runs). Importing ``x.y.z``
also runs ``x`` and ``x.y``, so the edge goes to those packages as well (except to ``a``'s own parent packages,
which Python has finished importing first). Imports inside functions are left out on purpose: they run when the
function is called, after every module is loaded, and are how the compile path keeps pyspark and the heavy
runtime modules unloaded; a cycle through them cannot fail an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "sqlingest"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    return mods


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(name: str, path: Path, body: list[ast.stmt]) -> set[str]:
    """Absolute names of what the module-level statements ``body`` import (module or ``module.attribute``)."""
    out: set[str] = set()
    for node in body:
        if isinstance(node, ast.If):
            out |= _imported(name, path, node.orelse if _type_checking(node) else [*node.body, *node.orelse])
        elif isinstance(node, ast.Try):
            out |= _imported(name, path, [*node.body, *[s for h in node.handlers for s in h.body], *node.orelse,
                                          *node.finalbody])
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                module = ".".join([*base[:len(base) - node.level + 1], *([module] if module else [])])
            out |= {module} | {f"{module}.{a.name}" for a in node.names}
    return out


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        own_parents = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        deps: set[str] = set()
        for imported in _imported(name, path, ast.parse(path.read_text(encoding="utf-8")).body):
            parts = imported.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix in mods and prefix not in own_parents:
                    deps.add(prefix)
        graph[name] = deps - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(_one_cycle(graph, set(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _one_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself (the cycle to show)."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & component):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError("a strongly connected component has a cycle")


def test_no_import_cycle_in_sqlingest() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles in sqlingest/ (module-level imports):\n" + \
        "\n".join("  " + " → ".join(c) for c in found)


def test_the_graph_sees_cycles() -> None:
    """The detector itself: a cycle through a package's ``__init__`` and a plain one are found, a DAG is not."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_graph_reads_module_level_imports_only() -> None:
    graph = import_graph()
    # sqlingest.plan imports sqlingest.catalogs at module level; the CLI imports its commands' modules lazily
    assert "sqlingest.catalogs" in graph["sqlingest.plan"]
    assert "sqlingest.execute.runner" not in graph["sqlingest.cli"]
    # sqlingest.services names Service only for type checking
    assert "sqlingest.services.base" not in graph["sqlingest.services"]
