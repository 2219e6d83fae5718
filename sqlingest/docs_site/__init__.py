"""``sqlingest docs generate`` / ``docs serve``: a static documentation site of the project in ``target/docs/``.

One page per model (its contract's columns with types, descriptions, tags, checks, keys; the registry's versions;
deprecations; the compiled SQL; the last run's status and check results), per source and per unbound contract; an
index page with the DAG; a client-side search over a JSON index; and column-level lineage from the compiler
(:mod:`sqlingest.lineage`), clickable from any column to its sources and consumers.

Everything is package data rendered with Jinja (templates under ``templates/``, CSS/JS under ``static/``): the site
has no external resources and opens from the file system as well as from ``docs serve``. Its data is written twice:
``search-index.json``/``lineage.json`` for tools, and ``assets/site-data.js`` (the same JSON assigned to
``window.SQLINGEST_SITE``) for the pages, since browsers do not let a page opened from a file fetch JSON.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlingest.errors import redact

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Site:
    root: Path
    pages: int


def page_of(node: str) -> str:
    """The site-relative URL of a model's or a source's page (``source:<name>`` for sources)."""
    if node.startswith("source:"):
        return f"sources/{node.removeprefix('source:')}.html"
    if node.startswith("contract:"):
        return f"contracts/{node.removeprefix('contract:').replace(':', '__')}.html"
    return f"models/{node}.html"


def _check(check: Any) -> dict[str, Any]:
    params = {k: v for k, v in check.model_dump(mode="json", exclude_none=True,
                                                exclude={"type", "column", "name", "severity", "action"}).items()
              if v not in ([], {}) and not (k in ("metric", "window", "sigma", "min_history")
                                            and check.type != "anomaly")}
    return {"label": check.label, "type": check.type, "column": check.column, "severity": check.severity,
            "action": check.effective_action, "params": ", ".join(f"{k}: {v}" for k, v in params.items())}


def _registry(project: Any, key: str) -> list[dict[str, Any]]:
    from sqlingest.errors import UserError
    from sqlingest.registry.file_store import FileStore

    try:
        history = FileStore(project.root).history(key)
    except UserError:
        return []
    return [{"version": v.version, "created_at": v.created_at, "fingerprint": v.fingerprint[:12],
             "columns": len(v.contract.get("columns") or []),
             "deprecated": [c["name"] for c in v.contract.get("columns") or [] if c.get("deprecated")]}
            for v in history]


def _contract(project: Any, contract: Any) -> dict[str, Any]:
    rel = project.rel(contract.path) if contract.path else ""
    return {
        "key": contract.key, "name": contract.name, "layer": contract.layer, "path": rel,
        "version": contract.version, "owner": contract.owner, "description": contract.description,
        "tags": list(contract.tags), "compatibility": contract.compatibility, "format": contract.format,
        "keys": contract.keys.model_dump(exclude_none=True), "partitioned_by": list(contract.partitioned_by),
        "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable, "description": c.description or "",
                     "tags": list(c.tags), "deprecated": c.deprecated, "sunset": str(c.sunset) if c.sunset else None,
                     "previous_names": list(c.previous_names), "checks": [x.label for x in c.checks]}
                    for c in contract.columns],
        "checks": [_check(c) for c in contract.all_checks()],
        "source": ({"format": contract.source.format, "path": contract.source.path}
                   if contract.source is not None else None),
        "registry": _registry(project, contract.key),
    }


def _last_runs(state_dir: Path) -> dict[str, dict[str, Any]]:
    """Model → its result in the last run that ran it."""
    from sqlingest.runs import list_runs
    from sqlingest.runs.report import describe_rows, run_time

    out: dict[str, dict[str, Any]] = {}
    for record in list_runs(state_dir, 50):  # newest first
        for m in record.get("models", []):
            if m["name"] in out:
                continue
            command = record.get("command") or "build"
            rows = describe_rows({**m, "no_new_input": command != "test" and m.get("rows_in") == 0})
            out[m["name"]] = {
                "run_id": record["run_id"], "command": command, "at": run_time(record), "status": m["status"],
                "rows": rows if command != "test" else "", "error": redact(m.get("error") or ""),
                "checks": [{"name": c["name"], "outcome": c.get("outcome"), "action": c.get("action"),
                            "value": c.get("value"), "message": redact(str(c.get("message") or ""))}
                           for c in m.get("checks") or []]}
    return out


def lineage_of(plan: Any) -> tuple[dict[str, dict[str, list[list[str]]]], dict[str, list[str]]]:
    """Column lineage (model → column → [[dataset, column], …]) and table lineage (model → its inputs)."""
    from sqlingest.lineage import column_lineage, table_lineage

    columns = {model: {col: sorted([ref.dataset, ref.column] for ref in refs) for col, refs in cols.items()}
               for model, cols in column_lineage(plan).items()}
    tables = {model: sorted(inputs) for model, inputs in table_lineage(plan).items()}
    return columns, tables


def site_data(plan: Any) -> dict[str, Any]:
    """Everything the pages show, as JSON-ready data."""
    project = plan.project
    runs = _last_runs(project.state_dir)
    lineage, tables = lineage_of(plan)
    bound: set[str] = set()
    models: dict[str, dict[str, Any]] = {}
    sources: dict[str, dict[str, Any]] = {}
    domains = project.domains.describe(plan.dag.parents, {n: r.contract for n, r in plan.rendered.items()})
    for name in plan.order:
        pm = plan.models.get(name)
        if pm is None:
            continue
        r = pm.rendered
        contract = r.contract
        if contract is not None:
            bound.add(contract.key)
        schema = pm.table_schema() or [(n, t or "") for n, t in pm.validated.columns]
        declared = {c.name: c for c in contract.columns} if contract else {}
        columns = []
        for col, ctype in schema:
            c = declared.get(col)
            columns.append({"name": col, "type": ctype, "nullable": c.nullable if c else True,
                            "description": (c.description or "") if c else
                            ("added by the materialization" if col in dict(pm.materialization.EXTRA_COLUMNS)
                             else "audit column" if col.startswith("_") else ""),
                            "tags": list(c.tags) if c else [], "deprecated": bool(c and c.deprecated),
                            "sunset": str(c.sunset) if c and c.sunset else None,
                            "checks": [x.label for x in c.checks] if c else []})
        inputs = [f"source:{s.name}" for s in r.sources] + list(r.refs)
        for s in r.sources:
            bound.add(s.key)
        models[name] = {
            "id": name, "name": name, "layer": pm.layer, "relation": pm.relation, "url": page_of(name),
            "materialization": pm.materialization.NAME + (f" (fallback for {pm.replaces})" if pm.replaces else ""),
            "format": pm.format.name, "unique_key": list(pm.unique_key), "ordering": pm.ordering,
            "tags": sorted(set(r.config.tags + (contract.tags if contract else []))),
            "owner": contract.owner if contract else None,
            "domain": declared.name if contract and (declared := project.domains.of(contract.name)) else None,
            "access": project.domains.access_of(contract) if contract else None,
            "description": (contract.description if contract else None) or "",
            "path": project.rel(r.model.path), "sql": redact(r.sql.strip()), "sql_hash": pm.sql_hash,
            "inputs": sorted(tables.get(name, inputs)), "columns": columns,
            "contract": _contract(project, contract) if contract else None, "last_run": runs.get(name),
        }
    for key, contract in sorted(project.contracts.items()):
        if contract.layer != "source":
            continue
        node = f"source:{contract.name}"
        sources[node] = {"id": node, "name": contract.name, "url": page_of(node), "layer": "source",
                         "description": contract.description or "", "owner": contract.owner,
                         "tags": list(contract.tags),
                         "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable,
                                      "description": c.description or "", "tags": list(c.tags),
                                      "deprecated": c.deprecated, "sunset": str(c.sunset) if c.sunset else None,
                                      "checks": [x.label for x in c.checks]} for c in contract.columns],
                         "contract": _contract(project, contract)}
    for model in models.values():
        model["consumers"] = sorted(n for n, m in models.items() if model["id"] in m["inputs"])
    for node, source in sources.items():
        source["consumers"] = sorted(n for n, m in models.items() if node in m["inputs"])
    unbound = {f"contract:{key}": {"id": f"contract:{key}", "name": key, "url": page_of(f"contract:{key}"),
                                   "contract": _contract(project, c)}
               for key, c in sorted(project.contracts.items()) if key not in bound and c.layer != "source"}
    return {"project": project.name, "target": project.target_name, "models": models, "sources": sources,
            "contracts": unbound, "lineage": lineage, "domains": domains}


def search_index(data: dict[str, Any]) -> list[dict[str, str]]:
    """One entry per model, source, contract and column: what the search box looks through."""
    out = []
    for kind, group in (("model", data["models"]), ("source", data["sources"]), ("contract", data["contracts"])):
        for node in group.values():
            text = " ".join(filter(None, [node.get("description"), " ".join(node.get("tags") or []),
                                          node.get("owner"), node.get("relation")]))
            out.append({"kind": kind, "name": node["name"], "url": node["url"], "text": text})
            columns = node.get("columns") or (node.get("contract") or {}).get("columns") or []
            out += [{"kind": "column", "name": f"{node['name']}.{c['name']}", "url": f"{node['url']}#col-{c['name']}",
                     "text": " ".join(filter(None, [c.get("type"), c.get("description"), " ".join(c.get("tags") or [])]))}
                    for c in columns]
    return out


def dag_layout(data: dict[str, Any]) -> dict[str, Any]:
    """Sources and models placed in columns by depth (longest path from a source), edges from input to model."""
    inputs = {n: m["inputs"] for n, m in data["models"].items()}
    depth: dict[str, int] = {s: 0 for s in data["sources"]}

    def level(node: str, seen: frozenset[str] = frozenset()) -> int:
        if node not in depth:
            parents = [p for p in inputs.get(node, []) if p not in seen]
            depth[node] = 1 + max((level(p, seen | {node}) for p in parents), default=-1) if parents else \
                (0 if node.startswith("source:") else 1)
        return depth[node]

    for node in inputs:
        level(node)
    columns: dict[int, list[str]] = {}
    for node in sorted(depth, key=lambda n: (depth[n], n)):
        columns.setdefault(depth[node], []).append(node)
    width, height, gap_x, gap_y = 190, 30, 70, 14
    nodes = {}
    for d, members in columns.items():
        for i, node in enumerate(members):
            info = data["models"].get(node) or data["sources"].get(node) or {}
            nodes[node] = {"id": node, "x": 10 + d * (width + gap_x), "y": 10 + i * (height + gap_y),
                           "w": width, "h": height, "label": node.removeprefix("source:"),
                           "kind": "source" if node.startswith("source:") else "model",
                           "layer": info.get("layer", ""), "url": info.get("url", page_of(node)),
                           "status": ((info.get("last_run") or {}).get("status") or "")}
    edges = []
    for node, parents in sorted(inputs.items()):
        for p in parents:
            if p in nodes and node in nodes:
                a, b = nodes[p], nodes[node]
                x1, y1, x2, y2 = a["x"] + a["w"], a["y"] + a["h"] / 2, b["x"], b["y"] + b["h"] / 2
                mid = (x1 + x2) / 2
                edges.append({"from": p, "to": node, "d": f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"})
    w = max((n["x"] + n["w"] for n in nodes.values()), default=0) + 10
    h = max((n["y"] + n["h"] for n in nodes.values()), default=0) + 10
    return {"nodes": list(nodes.values()), "edges": edges, "width": w, "height": h}


def generate(plan: Any, out: Path) -> Site:
    """Write the site into ``out`` (replaced)."""
    import jinja2

    data = site_data(plan)
    index = search_index(data)
    dag = dag_layout(data)
    if out.exists():
        shutil.rmtree(out)
    (out / "assets").mkdir(parents=True)
    for asset in (HERE / "static").iterdir():
        shutil.copy(asset, out / "assets" / asset.name)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["page_url"] = page_of
    pages = {"models": data["models"], "sources": data["sources"], "contracts": data["contracts"]}
    nav = {"models": sorted(data["models"].values(), key=lambda m: ({"bronze": 0, "silver": 1, "gold": 2}.get(
        m["layer"], 3), m["name"])), "sources": list(data["sources"].values()),
        "contracts": list(data["contracts"].values())}
    site = {"project": data["project"], "target": data["target"], "lineage": data["lineage"], "search": index,
            "pages": {n: v["url"] for group in pages.values() for n, v in group.items()},
            "layers": {n: v.get("layer", "") for group in pages.values() for n, v in group.items()}}
    blob = json.dumps(site, default=str)
    (out / "assets" / "site-data.js").write_text("window.SQLINGEST_SITE = " + blob.replace("</", "<\\/") + ";\n",
                                                 encoding="utf-8")
    (out / "search-index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    (out / "lineage.json").write_text(json.dumps({"columns": data["lineage"],
                                                  "tables": {n: m["inputs"] for n, m in data["models"].items()}},
                                                 indent=1), encoding="utf-8")
    count = 0

    def write(path: str, template: str, **context: Any) -> None:
        nonlocal count
        depth = path.count("/")
        html = env.get_template(template).render(root="../" * depth, nav=nav, project=data["project"],
                                                 target=data["target"], **context)
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        count += 1

    write("index.html", "index.html.j2", dag=dag, models=nav["models"], sources=nav["sources"],
          contracts=nav["contracts"], domains=data["domains"])
    for model in data["models"].values():
        write(model["url"], "model.html.j2", node=model, title=model["name"])
    for source in data["sources"].values():
        write(source["url"], "source.html.j2", node=source, title=source["name"])
    for contract in data["contracts"].values():
        write(contract["url"], "contract.html.j2", node=contract, title=contract["name"])
    return Site(out, count)


def serve(root: Path, port: int, *, ready: Any = None) -> None:
    """Serve ``root`` on 127.0.0.1 until interrupted; ``ready(url)`` is called once listening."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        if ready is not None:
            ready(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
