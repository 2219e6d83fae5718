"""Runtime validation of DataFrames against contracts, before anything is written.

- Sources and bronze (lenient): every declared column is cast with ``TRY_CAST``; values that do not fit, undeclared
  fields and malformed records go to ``_rescued_data`` as JSON; the row is kept.
- Silver and gold (strict): the output must have exactly the declared columns with the declared types (or types that
  widen to them losslessly); any mismatch raises :class:`ContractViolation` naming the columns.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlingest.errors import ContractViolation
from sqlingest.project.contract import Column, Contract
from sqlingest.project.layers import RESCUE_COLUMN, SOURCE_FILE_COLUMN, audit_columns
from sqlingest.sql import quote_identifier as quote
from sqlingest.sql import string_literal as _lit
from sqlingest.sql import type_sql
from sqlingest.validate.types import spark_type_of, widens

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["conform_strict", "conform_strings", "conform_typed", "fit", "quote"]  # quote: sqlingest.sql.quote_identifier

_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


def _typed(raw: str, spark_type: str) -> str:
    if spark_type == "string":
        return raw
    if spark_type.startswith(("array<", "map<", "struct<")):
        return f"from_json({raw}, {_lit(spark_type)})"
    return f"TRY_CAST({raw} AS {type_sql(spark_type)})"


def _rescue_expr(entries: list[tuple[str, str]], extra_maps: list[str]) -> str:
    """JSON object of the non-null entries (key, SQL expression) and of ``extra_maps``, or NULL when there are none.

    A key of an extra map (rescued at an earlier stage: the more original text) wins over an entry of the same key.
    """
    extras = [f"coalesce({m}, map())" for m in extra_maps]
    parts = []
    if entries:
        known = (f" AND NOT array_contains(concat({', '.join(f'map_keys({e})' for e in extras)}), k)"
                 if extras else "")
        parts.append("map_filter(map(" + ", ".join(f"{_lit(k)}, {v}" for k, v in entries) + "), "
                     f"(k, v) -> v IS NOT NULL{known})")
    parts.extend(extras)
    if not parts:
        return "CAST(NULL AS STRING)"
    merged = parts[0] if len(parts) == 1 else "map_concat(" + ", ".join(parts) + ")"
    return f"nullif(to_json(map_filter({merged}, (k, v) -> v IS NOT NULL)), '{{}}')"


def _lost(raw: str, typed: str, col: Column) -> str | None:
    """SQL predicate: the non-null ``raw`` text is not represented exactly by ``typed`` (None: nothing to check
    beyond a failed cast). Rounding, truncation, overflow to infinity, out-of-range years and over-long strings are
    losses: such values are rescued instead of being written changed."""
    spark_type = col.type
    if spark_type == "string":
        return f"char_length({raw}) > {col.max_length}" if col.max_length is not None else None
    dec = _DECIMAL.match(spark_type)
    if dec:
        precision, scale = int(dec.group(1)), int(dec.group(2))
        wide = f"TRY_CAST({raw} AS DECIMAL(38,{38 - (precision - scale)}))"
        return f"{typed} IS NULL OR coalesce({typed} <> {wide}, false)"
    if spark_type in ("double", "float"):
        return f"{typed} IS NULL OR (abs({typed}) = double('Infinity') AND NOT {raw} RLIKE '(?i)inf')"
    if spark_type == "date":
        return (f"{typed} IS NULL OR year({typed}) NOT BETWEEN 1 AND 9999 "
                f"OR coalesce(TRY_CAST({raw} AS TIMESTAMP) <> CAST({typed} AS TIMESTAMP), false)")
    if spark_type in ("timestamp", "timestamp_ntz"):
        return f"{typed} IS NULL OR year({typed}) NOT BETWEEN 1 AND 9999 OR {raw} RLIKE '[.][0-9]{{6}}[0-9]*[1-9]'"
    return f"{typed} IS NULL"


def _fit(raw: str, col: Column) -> tuple[str, str | None]:
    """(the declared column's value, the raw text to rescue or NULL) for a string expression ``raw``."""
    typed = _typed(raw, col.type)
    lost = _lost(raw, typed, col)
    if lost is None:
        return typed, None
    if lost == f"{typed} IS NULL":  # a failed cast is NULL already
        return typed, f"CASE WHEN {raw} IS NOT NULL AND {typed} IS NULL THEN {raw} END"
    flag = f"({raw} IS NOT NULL AND ({lost}))"
    return f"CASE WHEN {flag} THEN NULL ELSE {typed} END", f"CASE WHEN {flag} THEN {raw} END"


#: (the declared column's value, the raw text that does not fit or NULL) for a string SQL expression (seeds use it)
fit = _fit


def conform_strings(df: DataFrame, contract: Contract, *, present: list[str], corrupt: str | None = None,
                    undeclared_map: str | None = None, undecodable: dict[str, str] | None = None,
                    encoding: str = "UTF-8") -> DataFrame:
    """Cast string columns to the contract's types, rescuing what does not fit.

    Args:
        df: string columns named ``present``, optionally a raw-malformed-record column ``corrupt`` and a
            ``map<string,string>`` column ``undeclared_map``, and ``_source_file``.
        contract: the source contract.
        present: the columns the input has (declared or not).
        undecodable: column → SQL expression of its raw bytes as text (ISO-8859-1) when they are invalid in
            ``encoding``, else NULL; such a column's value is NULL (the reader made it so), the raw text is
            rescued under the column's name and ``_encoding_error`` names the encoding.
    """
    declared = {c.name for c in contract.columns}
    bad = undecodable or {}
    selects, rescue = [], []
    for col in contract.columns:
        if col.name in present:
            value, lost = _fit(quote(col.name), col)
            selects.append(f"{value} AS {quote(col.name)}")
            parts = [p for p in (bad.get(col.name), lost) if p]
            if parts:
                rescue.append((col.name, parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"))
        else:
            selects.append(f"CAST(NULL AS {type_sql(col.type)}) AS {quote(col.name)}")
    for name in present:
        if name not in declared and name not in (corrupt, SOURCE_FILE_COLUMN):
            rescue.append((name, f"coalesce({bad[name]}, {quote(name)})" if name in bad else quote(name)))
    if corrupt:
        rescue.append((corrupt, f"coalesce({bad[corrupt]}, {quote(corrupt)})" if corrupt in bad else quote(corrupt)))
    if bad:
        rescue.append(("_encoding_error", f"CASE WHEN coalesce({', '.join(bad.values())}) IS NOT NULL "
                                          f"THEN {_lit(encoding)} END" if len(bad) > 1 else
                       f"CASE WHEN {next(iter(bad.values()))} IS NOT NULL THEN {_lit(encoding)} END"))
    selects.append(f"{_rescue_expr(rescue, [undeclared_map] if undeclared_map else [])} AS {RESCUE_COLUMN}")
    selects.append(SOURCE_FILE_COLUMN)
    return df.selectExpr(*selects)


def _as_string(name: str, spark_type: str) -> str:
    if spark_type.startswith(("array<", "map<", "struct<")):
        return f"to_json({quote(name)})"
    return f"CAST({quote(name)} AS STRING)"


def conform_typed(df: DataFrame, contract: Contract, *, keep: tuple[str, ...] = (SOURCE_FILE_COLUMN,)) -> DataFrame:
    """Lenient conform of typed columns: cast to declared types (rescuing failures), rescue undeclared columns.

    An existing ``_rescued_data`` column is merged into the new one; columns in ``keep`` pass through.
    """
    types = {f.name: spark_type_of(f.dataType) for f in df.schema.fields}
    selects, rescue, maps = [], [], []
    for col in contract.columns:
        actual = types.get(col.name)
        if actual is None:
            selects.append(f"CAST(NULL AS {type_sql(col.type)}) AS {quote(col.name)}")
        elif (actual == col.type or widens(actual, col.type)) and not (col.max_length and actual == "string"):
            selects.append(f"CAST({quote(col.name)} AS {type_sql(col.type)}) AS {quote(col.name)}"
                           if actual != col.type else quote(col.name))
        else:
            source = quote(col.name) if actual == "string" else _as_string(col.name, actual)
            value, lost = _fit(source, col)
            selects.append(f"{value} AS {quote(col.name)}")
            if lost:
                rescue.append((col.name, lost))
    declared = {c.name for c in contract.columns}
    audit = {n for n, _ in audit_columns(contract.layer)} | set(keep)
    for name, actual in types.items():
        if name == RESCUE_COLUMN:
            maps.append(f"from_json({RESCUE_COLUMN}, 'map<string,string>')")
        elif name not in declared and name not in audit:
            rescue.append((name, _as_string(name, actual)))
    if not rescue and maps:  # nothing new to rescue: keep the input's rescue column as it is (no JSON round trip)
        selects.append(RESCUE_COLUMN)
    else:
        selects.append(f"{_rescue_expr(rescue, maps)} AS {RESCUE_COLUMN}")
    selects.extend(quote(k) for k in keep if k in types and k != RESCUE_COLUMN)
    return df.selectExpr(*selects)


def conform_strict(df: DataFrame, contract: Contract, *, model: str) -> DataFrame:
    """Check ``df`` has exactly the contract's columns and compatible types; cast lossless widenings.

    Raises:
        ContractViolation: naming every missing, extra or mistyped column. Nothing has been written.
    """
    types = {f.name: spark_type_of(f.dataType) for f in df.schema.fields}
    declared = {c.name for c in contract.columns}
    audit = {n for n, _ in audit_columns(contract.layer)}
    missing = [c.name for c in contract.columns if c.name not in types]
    extra = [n for n in types if n not in declared and n not in audit]
    mistyped = [f"{c.name} is {types[c.name]}, contract says {c.type}" for c in contract.columns
                if c.name in types and not widens(types[c.name], c.type)]
    problems = []
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if extra:
        problems.append("undeclared column(s): " + ", ".join(extra))
    if mistyped:
        problems.append("type mismatch: " + "; ".join(mistyped))
    if problems:
        raise ContractViolation(
            f"model {model} does not match contract {contract.name} ({contract.layer} is strict): "
            + " | ".join(problems) + "; nothing was written",
            hint=f"fix the model's SELECT or the contract {contract.path}")
    selects = [quote(c.name) if types[c.name] == c.type else
               f"CAST({quote(c.name)} AS {type_sql(c.type)}) AS {quote(c.name)}" for c in contract.columns]
    selects += [quote(n) for n in types if n in audit]
    return df.selectExpr(*selects)
