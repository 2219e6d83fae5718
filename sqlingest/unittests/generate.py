"""``sqlingest test --unit --generate MODEL``: a starter unit test from the contracts — two typed sample rows for each
input the model reads (its declared columns, no audit columns) and the expected rows in the model contract's shape,
to be corrected by hand."""

from __future__ import annotations

import re
from typing import Any

import yaml

from sqlingest.project.layers import audit_columns
from sqlingest.validate import contract_schema


def sample(dtype: str, i: int) -> Any:
    """A typed sample value of ``dtype`` (row ``i``, from 1)."""
    t = dtype.lower()
    if t in ("bigint", "int", "integer", "smallint", "tinyint", "long", "short", "byte"):
        return i
    if t.startswith("decimal"):
        scale = int(m.group(1)) if (m := re.search(r",\s*(\d+)\)", t)) else 0
        return f"{i}.{'0' * scale}" if scale else str(i)
    if t in ("double", "float", "real"):
        return i + 0.5
    if t == "boolean":
        return i % 2 == 1
    if t == "date":
        return f"2024-01-0{i}"
    if t.startswith("timestamp"):
        return f"2024-01-0{i} 10:00:00"
    if t in ("string", "binary") or t.startswith(("varchar", "char")):
        return f"{t[:1]}{i}" if t == "binary" else f"value {i}"
    return None  # struct/array/map: leave as NULL, fill in by hand


def _rows(schema: list[tuple[str, str]], skip: set[str]) -> list[dict[str, Any]]:
    return [{n: sample(t, i) for n, t in schema if n not in skip} for i in (1, 2)]


def starter(plan: Any, model: str) -> str:
    pm = plan.models[model]
    rendered = pm.rendered
    audit = {n for n, _ in audit_columns("bronze")} | {n for n, _ in pm.materialization.EXTRA_COLUMNS}
    given = []
    for ref in rendered.refs:
        upstream = plan.models.get(ref)
        schema = (upstream.table_schema() if upstream is not None else None) or []
        given.append({"input": f"ref('{ref}')", "rows": _rows(schema, audit)})
    for contract in rendered.sources:
        given.append({"input": f"source('{contract.domain}', '{contract.dataset}')",
                      "rows": _rows(contract_schema(contract), audit)})
    out = pm.contract and [(c.name, c.type) for c in pm.contract.columns]
    expected = _rows(out or [(n, t or "string") for n, t, _ in pm.validated.schema], audit)
    test = {"name": f"{model.split('.')[-1]}_starter", "model": model,
            "description": "Generated from the contracts: replace the sample rows with a case that matters.",
            "given": given, "expect": {"rows": expected}}
    if pm.materialization.INCREMENTAL:
        test["this"] = {"rows": []}
    body = yaml.safe_dump({"unit_tests": [test]}, sort_keys=False, default_flow_style=None, width=110)
    return (f"# A starter unit test of {model} (sqlingest test --unit --generate {model}).\n"
            "# Every input lists only the columns it needs; the others are typed NULLs from its contract.\n" + body)
