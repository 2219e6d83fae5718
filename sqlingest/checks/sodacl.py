"""Contract checks → SodaCL. Pure functions: a check in, a SodaCL check entry out (testable without Spark)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from sqlingest.errors import ContractError
from sqlingest.project.contract import (
    AcceptedValuesCheck,
    Check,
    Contract,
    DecodableCheck,
    ExpressionCheck,
    FreshnessCheck,
    LengthCheck,
    NotNullCheck,
    PrimaryKeyCheck,
    RangeCheck,
    RegexCheck,
    RelationshipsCheck,
    RowCountCheck,
    SodaclCheck,
    SqlMetricCheck,
    UniqueCheck,
)


def _threshold(check: Check) -> tuple[str, str]:
    """(metric suffix, SodaCL 'when' condition) from the check's threshold: count > N or percent > N%."""
    text = (check.tolerance or "0").strip()
    if text.endswith("%"):
        return "percent", f"when > {float(text[:-1])}"
    return "count", f"when > {int(text)}"


def _level(check: Check) -> str:
    return "fail" if check.severity == "error" else "warn"


def check_entry(check: Check, contract: Contract, *, check_id: str, relation_of: dict[str, str] | None = None,
                table: str = "{table}") -> list[Any]:
    """SodaCL entries for one contract check. ``check_id`` is set as the check's name to map results back.

    Raises:
        ContractError: the check lacks a parameter it needs.
    """
    col = check.column
    level = _level(check)
    kind, when = _threshold(check)

    def need(value: Any, what: str) -> Any:
        if value is None or value == []:
            raise ContractError(f"check {check.label} in {contract.name} needs '{what}'",
                                location=contract.location)
        return value

    if isinstance(check, NotNullCheck):
        return [{f"missing_{kind}({need(col, 'column')})": {"name": check_id, level: when}}]
    if isinstance(check, UniqueCheck | PrimaryKeyCheck):
        cols = check.columns or ([col] if col else []) or contract.keys.business
        need(cols, "column(s)")
        out: list[Any] = [{f"duplicate_{kind}({', '.join(cols)})": {"name": check_id, level: when}}]
        if isinstance(check, PrimaryKeyCheck):
            out += [{f"missing_count({c})": {"name": f"{check_id}#{c}", level: "when > 0"}} for c in cols]
        return out
    if isinstance(check, AcceptedValuesCheck):
        return [{f"invalid_{kind}({need(col, 'column')})": {
            "name": check_id, "valid values": need(check.values, "values"), level: when}}]
    if isinstance(check, RangeCheck):
        spec: dict[str, Any] = {"name": check_id, level: when}
        if check.min is not None:
            spec["valid min"] = check.min
        if check.max is not None:
            spec["valid max"] = check.max
        need(check.min if check.min is not None else check.max, "min or max")
        return [{f"invalid_{kind}({need(col, 'column')})": spec}]
    if isinstance(check, RegexCheck):
        return [{f"invalid_{kind}({need(col, 'column')})": {
            "name": check_id, "valid regex": need(check.pattern, "pattern"), level: when}}]
    if isinstance(check, LengthCheck):
        spec = {"name": check_id, level: when}
        if check.min is not None:
            spec["valid min length"] = int(check.min)
        if check.max is not None:
            spec["valid max length"] = int(check.max)
        need(check.min if check.min is not None else check.max, "min or max")
        return [{f"invalid_{kind}({need(col, 'column')})": spec}]
    if isinstance(check, RowCountCheck):
        lo, hi = check.min, check.max
        need(lo if lo is not None else hi, "min or max")
        if lo is not None and hi is not None:
            return [{"row_count": {"name": check_id, level: f"when not between {lo} and {hi}"}}]
        return [{"row_count": {"name": check_id, level: f"when < {lo}" if lo is not None else f"when > {hi}"}}]
    if isinstance(check, FreshnessCheck):
        age = need(check.max or check.error_after or check.warn_after, "max (e.g. 1d, 6h)")
        return [{f"freshness({need(col, 'column')})": {"name": check_id, level: f"when > {age}"}}]
    if isinstance(check, RelationshipsCheck):
        target = need(check.to, "to (the referenced contract, layer:domain.dataset or a table)")
        table = (relation_of or {}).get(target, target)
        field = check.field or col
        return [{f"values in ({need(col, 'column')}) must exist in {table} ({field})": {"name": check_id}}]
    if isinstance(check, ExpressionCheck):
        # Soda 3.5 has no warn condition: the check fails in Soda and a warn severity turns it into a warning
        return [{"failed rows": {"name": check_id,
                                 "fail condition": f"NOT ({need(check.expression, 'expression')})"}}]
    if isinstance(check, DecodableCheck):
        from sqlingest.checks.rows import decodable

        return [{"failed rows": {"name": check_id, "fail condition": decodable(check)}}]
    if isinstance(check, SqlMetricCheck):
        metric = re.sub(r"\W+", "_", check.name or check_id).strip("_")
        query = need(check.query, "query").replace("{table}", table)
        return [{f"{metric}": {"name": check_id, f"{metric} query": query,
                               level: _metric_condition(check)}}]
    if isinstance(check, SodaclCheck):
        body = need(check.sodacl, "sodacl")
        entries = [dict(e) if isinstance(e, dict) else e for e in (body if isinstance(body, list) else [body])]
        for i, entry in enumerate(entries):  # name each entry so its result maps back to this check
            if isinstance(entry, dict) and len(entry) == 1:
                key, spec = next(iter(entry.items()))
                suffix = "" if i == 0 else f"#{i}"
                entry[key] = {**(spec if isinstance(spec, dict) else {}), "name": check_id + suffix}
        return entries
    raise ContractError(f"check type '{check.type}' has no SodaCL form", location=contract.location)


def _metric_condition(check: SqlMetricCheck) -> str:
    if check.min is not None and check.max is not None:
        return f"when not between {check.min} and {check.max}"
    if check.min is not None:
        return f"when < {check.min}"
    if check.max is not None:
        return f"when > {check.max}"
    return "when != 0"


#: metrics whose failing rows Soda would page through to collect samples — sqlingest reports counts, not samples
_SAMPLED = ("missing_", "invalid_", "duplicate_", "failed rows", "values in ")


def _no_samples(entry: Any) -> Any:
    if isinstance(entry, dict) and len(entry) == 1:
        key, body = next(iter(entry.items()))
        if isinstance(body, dict) and str(key).startswith(_SAMPLED):
            body.setdefault("samples limit", 0)
    return entry


def to_sodacl(contract: Contract, table: str, checks: list[tuple[str, Check]],
              relation_of: dict[str, str] | None = None) -> str:
    """A SodaCL document with ``checks for <table>`` holding every given (id, check)."""
    entries: list[Any] = []
    for check_id, check in checks:
        for entry in check_entry(check, contract, check_id=check_id, relation_of=relation_of, table=table):
            if isinstance(entry, dict):
                for body in entry.values():
                    if isinstance(body, dict):
                        for key in [k for k, v in body.items() if v is None]:
                            del body[key]
            entries.append(entry if isinstance(check, SodaclCheck) else _no_samples(entry))
    return yaml.safe_dump({f"checks for {table}": _plain(entries)}, sort_keys=False, allow_unicode=True)


def _plain(value: Any) -> Any:
    """Plain dicts and lists (contract YAML arrives as located subclasses the YAML dumper does not know)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
