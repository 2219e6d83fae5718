"""``target/manifest.json``: what a compile saw — every model (relation, materialization, contract, parents, sources,
hashes of its template and compiled SQL), every contract (columns, hash) — for ``state:modified`` selection and
``--defer`` (``--state DIR``), ``sqlingest ls`` and the docs site. ``lineage`` holds each model's parents; the docs
generator adds column-level lineage to it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest import __version__
from sqlingest.errors import Location, UserError, redact

if TYPE_CHECKING:
    from sqlingest.plan import Plan
    from sqlingest.project.contract import Contract
    from sqlingest.render import RenderedModel

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def contract_hash(contract: Contract) -> str:
    return _hash(json.dumps(contract.model_dump(mode="json"), sort_keys=True, default=str))


def model_hashes(rendered: RenderedModel) -> dict[str, str]:
    """The hashes ``state:modified`` compares: template text, compiled SQL, bound contract."""
    return {"file_hash": _hash(rendered.model.text), "sql_hash": _hash(rendered.sql),
            "contract_hash": contract_hash(rendered.contract) if rendered.contract else ""}


def build_manifest(plan: Plan) -> dict[str, Any]:
    project = plan.project
    models: dict[str, Any] = {}
    for name in plan.order:
        r = plan.rendered.get(name)
        if r is None:
            continue
        pm = plan.models.get(name)
        models[name] = {
            "name": name, "layer": r.model.layer, "path": str(r.model.path), "relation": r.relation,
            "materialized": pm.materialization.NAME if pm else r.config.materialized,
            "contract": r.contract.key if r.contract else None,
            "owner": r.contract.owner if r.contract else None,
            "domain": project.domains.domain_name(r.contract),
            "access": project.domains.access_of(r.contract) if r.contract else None,
            "tags": sorted(set(r.config.tags + (r.contract.tags if r.contract else []))),
            "parents": list(plan.dag.parents.get(name, [])),
            "refs": list(r.refs), "sources": [c.name for c in r.sources],
            **model_hashes(r),
            "compiled_sql": redact(r.sql.strip()),
        }
    contracts = {key: {"name": c.name, "layer": c.layer, "path": str(c.path) if c.path else None,
                       "version": c.version, "owner": c.owner, "description": c.description, "tags": c.tags,
                       "keys": c.keys.model_dump(), "hash": contract_hash(c),
                       "columns": [{"name": col.name, "type": col.type, "nullable": col.nullable,
                                    "description": col.description, "tags": col.tags} for col in c.columns]}
                 for key, c in sorted(project.contracts.items())}
    return {"metadata": {"schema_version": SCHEMA_VERSION, "sqlingest_version": __version__,
                         "project": project.name, "target": project.target_name,
                         "generated_at": datetime.now(UTC).isoformat(timespec="seconds")},
            "models": models, "contracts": contracts,
            "domains": project.domains.describe(plan.dag.parents, {n: r.contract for n, r in plan.rendered.items()}),
            "lineage": {"models": {n: m["parents"] for n, m in models.items()}}}


def write_manifest(plan: Plan, target_dir: Path) -> Path:
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / MANIFEST
    # no indent: json's C encoder serves only unindented output (indented, the 200-model manifest took 0.15 s)
    path.write_text(json.dumps(build_manifest(plan)) + "\n", encoding="utf-8")
    return path


def load_manifest(state: Path | str) -> dict[str, Any]:
    """The manifest in folder ``state`` (or the file itself).

    Raises:
        UserError: no manifest there, or it is not a manifest sqlingest wrote.
    """
    path = Path(state)
    if path.is_dir():
        path = path / MANIFEST
    if not path.is_file():
        raise UserError(f"--state: no {MANIFEST} in {state}",
                        hint="`sqlingest compile` writes target/manifest.json; keep a copy of it from the "
                             "reference build (e.g. main) and pass its folder")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line, col = (exc.lineno, exc.colno) if isinstance(exc, json.JSONDecodeError) else (1, 1)
        raise UserError(f"--state: {MANIFEST} is not valid JSON", location=Location(str(path), line, col)) \
            from None
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise UserError(f"--state: {path} is not a sqlingest manifest (no 'models')",
                        location=Location(str(path), 1, 1))
    return data


def state_changes(manifest: dict[str, Any], rendered: dict[str, RenderedModel]) -> tuple[set[str], set[str]]:
    """(modified, new): models whose template, compiled SQL or contract differ from the manifest's (new ones
    included), and models the manifest does not have."""
    saved = manifest.get("models", {})
    new = {n for n in rendered if n not in saved}
    modified = set(new)
    for name, r in rendered.items():
        if name in new:
            continue
        now, before = model_hashes(r), saved[name]
        if any(before.get(k) != v for k, v in now.items()):
            modified.add(name)
    return modified, new
