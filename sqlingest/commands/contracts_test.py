"""``sqlingest test --contracts``: the CI gate of a contract change, without a JVM. For every contract:

- it is compatible with its published history (``contracts/.registry/``) in its subject's mode;
- the compiler's output schema of its model matches it (names, types, nullability: the compile-time validation);
- every downstream model still type-checks against it (the whole project is compiled, consumers included).

Reuses the compiler and registry checks (``sqlingest.validate.governance.check_history``, ``plan_project``) and
reports them per contract; exit 1 when one fails."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlingest.errors import CompileErrors, UserError


def run(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.plan import plan_project
    from sqlingest.project import load_project

    project = load_project(Path(args.project_dir), target=args.target, tolerant=True)
    errors: list[UserError] = []
    plan = None
    try:
        plan = plan_project(project)
    except CompileErrors as exc:
        errors = list(exc.errors)
    except UserError as exc:
        errors = [exc]
    by_file: dict[str, list[UserError]] = {}
    for err in errors:
        by_file.setdefault(err.location.path if err.location else "", []).append(err)
    registry = _versions(project)
    failed = 0
    shown: set[int] = set()
    bound: dict[str, tuple[str, str]] = {}
    for name, bound_to in project.bound_contracts().items():
        bound[bound_to.key] = (name, str(project.models[name].path))
    consumers: dict[str, list[str]] = {}
    for name, parents in _parents(project, plan).items():
        for parent in parents:
            consumers.setdefault(parent, []).append(name)
    for contract in sorted(project.contracts.values(), key=lambda c: c.key):
        if contract.layer in ("source", "seed"):
            continue
        path = project.rel(contract.path) if contract.path else ""
        # the contract file's own errors: compatibility with its history (plan_project runs check_history), …
        problems = [e.format() for e in by_file.get(path, [])]
        shown.update(id(e) for e in by_file.get(path, []))
        published = registry.get(contract.key)
        compat = f"{contract.compatibility} with v{published}" if published else "unpublished"
        model, model_path = bound.get(contract.key) or (None, "")
        schema = "no model"
        users: list[str] = []
        if model is not None:
            own = by_file.get(model_path, [])
            shown.update(id(e) for e in own)
            problems += [e.format() for e in own]
            schema = "schema ≠ contract" if own or plan is None and not errors else "schema = contract"
            users = consumers.get(model, [])
            for user in users:
                user_path = str(project.models[user].path)
                problems += [f"consumer {user}: {e.format()}" for e in by_file.get(user_path, [])]
                shown.update(id(e) for e in by_file.get(user_path, []))
        mark = "[red]FAIL[/]" if problems else "[green]ok[/]"
        console.print(f"  {contract.key:<34} {mark}  {compat} · {schema} · {len(users)} consumer(s)")
        for line in problems:
            console.print("    " + line.replace("\n", "\n    "), markup=False)
        failed += bool(problems)
    for err in errors:  # what no contract's line showed (a broken contract file, sqlingest.yml …)
        if id(err) not in shown:
            console.print("  " + err.format(), markup=False)
            failed += 1
    console.print(f"contract tests: {'all passed' if not failed else f'{failed} failed'}")
    return 1 if failed else 0


def _versions(project: Any) -> dict[str, int]:
    """Contract key → its latest published version (none published: empty)."""
    if not (Path(project.root) / "contracts" / ".registry").is_dir():
        return {}
    from sqlingest.registry.file_store import FileStore
    from sqlingest.registry.store import SubjectNotFound

    store = FileStore(project.root)
    out = {}
    for contract in project.contracts.values():
        try:
            out[contract.key] = store.versions(contract.key)[-1]
        except (SubjectNotFound, UserError, IndexError):
            continue
    return out


def _parents(project: Any, plan: Any) -> dict[str, list[str]]:
    """Model → the models it reads: the plan's DAG, or (when the project did not compile) each model's rendered
    ``ref()``s."""
    if plan is not None:
        return dict(plan.dag.parents)
    from sqlingest.render import Renderer

    renderer = Renderer(project, lambda name: name)
    out: dict[str, list[str]] = {}
    for name, model in project.models.items():
        try:
            out[name] = renderer.render(model).refs
        except UserError:
            out[name] = []
    return out
