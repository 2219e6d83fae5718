"""The model graph: dependency order, cycles, and dbt-style selection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlingest.errors import Location, ModelCompileError
from sqlingest.project.contract import Check


class Dag:
    """Models and the models each one reads (``parents``)."""

    def __init__(self, parents: Mapping[str, Iterable[str]]) -> None:
        self.parents = {name: sorted(set(deps)) for name, deps in parents.items()}
        self.children: dict[str, list[str]] = {name: [] for name in self.parents}
        for name, deps in self.parents.items():
            for dep in deps:
                self.children.setdefault(dep, []).append(name)

    def order(self, paths: Mapping[str, str] | None = None) -> list[str]:
        """Every model after its parents; ties broken by layer then name, so order is stable.

        Raises:
            ModelCompileError: the graph has a cycle (the cycle is named).
        """
        rank = {"bronze": 0, "silver": 1, "gold": 2}
        key = lambda n: (rank.get(n.split(".")[0], 9), n)
        indegree = {n: len(d) for n, d in self.parents.items()}
        ready = sorted((n for n, d in indegree.items() if d == 0), key=key)
        out: list[str] = []
        while ready:
            node = ready.pop(0)
            out.append(node)
            for child in self.children.get(node, []):
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
                    ready.sort(key=key)
        if len(out) != len(self.parents):
            cycle = self._find_cycle(set(self.parents) - set(out))
            first = cycle[0]
            where = Location((paths or {}).get(first, first), 1, 1)
            raise ModelCompileError(f"dependency cycle: {' -> '.join(cycle)}", location=where,
                                    hint="a model cannot read itself, directly or through others")
        return out

    def _find_cycle(self, nodes: set[str]) -> list[str]:
        start = min(nodes)
        path, seen = [start], {start}
        node = start
        while True:
            nxt = next(p for p in self.parents[node] if p in nodes)
            if nxt in seen:
                return path[path.index(nxt):] + [nxt]
            path.append(nxt)
            seen.add(nxt)
            node = nxt

    def ancestors(self, name: str) -> set[str]:
        out: set[str] = set()
        stack = list(self.parents.get(name, []))
        while stack:
            node = stack.pop()
            if node not in out:
                out.add(node)
                stack.extend(self.parents.get(node, []))
        return out

    def descendants(self, name: str) -> set[str]:
        out: set[str] = set()
        stack = list(self.children.get(name, []))
        while stack:
            node = stack.pop()
            if node not in out:
                out.add(node)
                stack.extend(self.children.get(node, []))
        return out

    def select(self, selectors: list[str] | None, tags: Mapping[str, Iterable[str]] | None = None) -> set[str]:
        """Models matching any selector (:mod:`sqlingest.plan.selection`, with only ``tags`` known).

        Raises:
            UserError: a selector matches nothing.
        """
        from sqlingest.plan.selection import ModelFacts, SelectionContext, select_models

        facts = {n: ModelFacts(tags=list((tags or {}).get(n, ()))) for n in self.parents}
        return select_models(SelectionContext(self, facts), selectors)


def check_references(checks: Iterable[Check], model_of: Mapping[str, str]) -> set[str]:
    """The models a contract's checks read besides its own table: ``relationships`` ``to:`` (a contract key
    ``layer:domain.dataset`` or a relation), and relations named in ``sql_metric`` queries, ``expression``
    predicates and raw ``sodacl``. ``model_of`` maps contract keys and relations (lower case) to model names."""
    import re

    out: set[str] = set()
    relations = [k for k in model_of if ":" not in k]
    for check in checks:
        to = check.referenced_contract
        if to:
            name = model_of.get(to) or model_of.get(to.lower())
            if name:
                out.add(name)
            continue
        text = check.sql_text
        if not text:
            continue
        lowered = text.lower()
        for relation in relations:
            if re.search(r"(?<![\w.`])" + re.escape(relation) + r"(?![\w`])", lowered):
                out.add(model_of[relation])
    return out
