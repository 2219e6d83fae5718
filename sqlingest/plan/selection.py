"""Model selection with dbt's semantics: ``--select`` / ``--exclude`` over the model graph.

- Each ``--select`` value, and each space-separated word in it, is a *union* member; a word with commas
  (``tag:pii,layer:silver``) is the *intersection* of its parts.
- A part is a method and a value, with graph operators around it: ``+x`` (x and its ancestors), ``x+`` (and its
  descendants), ``2+x`` / ``x+1`` (up to that many generations), ``@x`` (x, its descendants and their ancestors).
- Methods: a model name (``silver.orders`` or ``orders``, globs allowed), ``layer:``, ``tag:`` (model config or
  contract tags), ``source:domain.name`` (the models reading that source; globs allowed), ``owner:`` and
  ``domain:`` (of the model's contract), ``path:`` (model files under a folder or matching a glob), and
  ``state:modified`` / ``state:new`` against a saved manifest (``--state DIR``, see :mod:`sqlingest.plan.manifest`).
- ``--exclude`` takes the same syntax; its models are removed from the selection.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlingest.errors import UserError
from sqlingest.plan.dag import Dag

METHODS = ("layer", "tag", "source", "owner", "domain", "path", "state")
_PART = re.compile(r"^(?P<at>@)?(?:(?P<up>\d*)\+)?(?P<core>[^+@]+?)(?:\+(?P<down>\d*))?$")
HINT = ("a model name (globs allowed), layer:, tag:, source:, owner:, domain:, path:, state:modified; + for "
        "ancestors/descendants, a,b for both, space for either")


@dataclass
class ModelFacts:
    """What selection methods look at for one model."""

    tags: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # domain.name of the sources it reads
    owner: str | None = None
    domain: str | None = None
    path: str = ""


@dataclass
class SelectionContext:
    dag: Dag
    facts: Mapping[str, ModelFacts] = field(default_factory=dict)
    #: models ``state:modified`` matches (None: no ``--state`` given)
    modified: set[str] | None = None
    #: models ``state:new`` matches
    new: set[str] | None = None


def select_models(ctx: SelectionContext, select: Iterable[str] | None, exclude: Iterable[str] | None = None) \
        -> set[str]:
    """The models ``select`` picks (every model when it is empty) minus those ``exclude`` picks.

    Raises:
        UserError: a selector is malformed, uses an unknown method, or (in ``--select``) matches no model.
    """
    words = _words(select)
    chosen = set(ctx.dag.parents) if not words else set().union(*(_word(ctx, w, "--select") for w in words))
    for word in _words(exclude):
        chosen -= _word(ctx, word, "--exclude", strict=False)
    return chosen


def _words(values: Iterable[str] | None) -> list[str]:
    return [w for v in values or () for w in v.split()]


def _word(ctx: SelectionContext, word: str, flag: str, *, strict: bool = True) -> set[str]:
    parts = [p for p in word.split(",") if p]
    if not parts:
        raise UserError(f"{flag} '{word}' is empty", hint=HINT)
    result: set[str] | None = None
    for part in parts:
        matched = _part(ctx, part, flag)
        if not matched and strict and len(parts) == 1 and not part.lstrip("@+0123456789").startswith("state:"):
            import difflib

            close = difflib.get_close_matches(part.strip("@+0123456789"), list(ctx.dag.parents), n=1)
            raise UserError(f"{flag} '{part}' matches no model",
                            hint=(f"did you mean '{close[0]}'? " if close else "") + HINT)
        result = matched if result is None else result & matched
    return result or set()


def _part(ctx: SelectionContext, part: str, flag: str) -> set[str]:
    m = _PART.match(part)
    if not m:
        raise UserError(f"{flag} '{part}' is not a selector", hint=HINT)
    base = _method(ctx, m["core"], flag)
    out = set(base)
    dag = ctx.dag
    if m["at"]:
        for name in base:
            below = dag.descendants(name)
            out |= below
            for child in below:
                out |= dag.ancestors(child)
        return out
    if m["up"] is not None:
        for name in base:
            out |= _walk(dag.parents, name, int(m["up"]) if m["up"] else None)
    if m["down"] is not None:
        for name in base:
            out |= _walk(dag.children, name, int(m["down"]) if m["down"] else None)
    return out


def _walk(edges: Mapping[str, Iterable[str]], start: str, depth: int | None) -> set[str]:
    out: set[str] = set()
    frontier, level = {start}, 0
    while frontier and (depth is None or level < depth):
        frontier = {n for f in frontier for n in edges.get(f, ())} - out
        out |= frontier
        level += 1
    return out


def _method(ctx: SelectionContext, core: str, flag: str) -> set[str]:
    names = set(ctx.dag.parents)
    if ":" not in core:
        return {n for n in names if fnmatch.fnmatchcase(n, core) or fnmatch.fnmatchcase(n.split(".", 1)[-1], core)}
    method, value = core.split(":", 1)
    facts = {n: ctx.facts.get(n, ModelFacts()) for n in names}
    if method == "layer":
        return {n for n in names if n.split(".")[0] == value}
    if method == "tag":
        return {n for n in names if any(fnmatch.fnmatchcase(t, value) for t in facts[n].tags)}
    if method == "source":
        return {n for n in names if any(fnmatch.fnmatchcase(s, value) for s in facts[n].sources)}
    if method == "owner":
        return {n for n in names if facts[n].owner and fnmatch.fnmatchcase(facts[n].owner, value)}  # type: ignore
    if method == "domain":
        return {n for n in names if facts[n].domain and fnmatch.fnmatchcase(facts[n].domain, value)}  # type: ignore
    if method == "path":
        folder = value.rstrip("/") + "/"
        return {n for n in names if facts[n].path.startswith(folder) or fnmatch.fnmatchcase(facts[n].path, value)}
    if method == "state":
        if value not in ("modified", "new"):
            raise UserError(f"{flag} 'state:{value}': unknown state", hint="state:modified or state:new")
        chosen = ctx.modified if value == "modified" else ctx.new
        if chosen is None:
            raise UserError(f"{flag} 'state:{value}' needs --state DIR (a folder holding a manifest.json "
                            "written by `sqlingest compile`)", hint="e.g. --state prod-target/")
        return set(chosen) & names
    import difflib

    close = difflib.get_close_matches(method, METHODS, n=1)
    raise UserError(f"{flag} '{core}': unknown selector method '{method}'",
                    hint=(f"did you mean '{close[0]}:'? " if close else "") + f"methods: {', '.join(METHODS)}")
