"""``sqlingest ls``: the project's models, contracts, sources and tests (contract checks), after ``--select``.

Text output names one resource per line (``silver.events``, ``contract:silver:shop.events``,
``source:shop.events``, ``seed:countries``, ``test:silver.events:unique(event_id)``); ``--output path`` prints files,
``--output json`` one JSON object per line. No JVM."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from typing import Any

RESOURCE_TYPES = ("model", "contract", "source", "seed", "test")


def add_parser(sub: Any, common: Callable[..., None], lock_timeout: Callable[..., None]) -> None:
    p = sub.add_parser("ls", help="list models, contracts, sources and tests (after --select/--exclude)")
    common(p)
    p.add_argument("--resource-type", action="append", choices=RESOURCE_TYPES, default=None,
                   help="what to list (repeatable; default: model)")
    p.add_argument("--output", "-o", choices=("text", "json", "path"), default="text")


def resources(plan: Any, types: list[str]) -> Iterator[dict[str, Any]]:
    """The selected resources of ``types``, in dependency order: one dict per resource."""
    project = plan.project
    selected = [n for n in plan.selected if n not in plan.checks_only]
    rendered = {n: plan.rendered[n] for n in selected if n in plan.rendered}
    if "model" in types:
        for name, r in rendered.items():
            pm = plan.models[name]
            yield {"resource_type": "model", "name": name, "unique_id": name, "path": str(r.model.path),
                   "layer": r.model.layer, "relation": pm.relation, "materialized": pm.materialization.NAME,
                   "contract": r.contract.key if r.contract else None,
                   "tags": sorted(set(r.config.tags + (r.contract.tags if r.contract else []))),
                   "owner": r.contract.owner if r.contract else None, "depends_on": plan.dag.parents.get(name, [])}
    if "contract" in types:
        chosen = {r.contract.key: r.contract for r in rendered.values() if r.contract}
        for r in rendered.values():
            chosen.update({c.key: c for c in r.sources})
        if len(selected) == len(plan.order):  # nothing narrowed the selection: every contract, used or not
            chosen = dict(project.contracts)
        for key in sorted(chosen):
            c = chosen[key]
            yield {"resource_type": "contract", "name": c.name, "unique_id": f"contract:{key}", "layer": c.layer,
                   "path": str(c.path), "owner": c.owner, "version": c.version,
                   "columns": [col.name for col in c.columns]}
    if "source" in types:
        seen: dict[str, Any] = {}
        for r in rendered.values():
            for c in r.sources:
                seen.setdefault(c.name, c)
        if len(selected) == len(plan.order):
            seen = {c.name: c for c in project.contracts.values() if c.layer == "source"}
        for name in sorted(seen):
            c = seen[name]
            yield {"resource_type": "source", "name": name, "unique_id": f"source:{name}", "path": str(c.path),
                   "format": c.source.format if c.source else None, "owner": c.owner}
    if "seed" in types:
        from sqlingest.plan import seed_relations

        relations = seed_relations(project, plan.catalog)
        for c in sorted((c for c in project.contracts.values() if c.layer == "seed"), key=lambda c: c.dataset):
            yield {"resource_type": "seed", "name": c.dataset, "unique_id": f"seed:{c.dataset}",
                   "path": f"seeds/{c.dataset}.csv", "contract": str(c.path),
                   "relation": relations[f"seed.{c.dataset}"]}
    if "test" in types:
        for name, r in rendered.items():
            if r.contract is None:
                continue
            for check in r.contract.all_checks():
                at = check.location
                yield {"resource_type": "test", "name": f"{name}:{check.label}", "unique_id": f"test:{name}:"
                       f"{check.label}", "model": name, "type": check.type, "column": check.column,
                       "severity": check.severity, "path": f"{r.contract.path}:{at.line}" if at else
                       str(r.contract.path)}


def run(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.cli import _plan

    plan = _plan(args, console)
    types = args.resource_type or ["model"]
    for item in resources(plan, types):
        if args.output == "json":
            print(json.dumps(item, default=str))
        elif args.output == "path":
            print(item["path"])
        else:
            print(item["unique_id"])
    return 0
