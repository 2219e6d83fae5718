"""Stage 3 — parse rendered SQL with sqlglot (Spark dialect) and validate it against contracts.

All problems are collected as located :class:`ModelCompileError` s; nothing here needs a JVM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from sqlingest.errors import Location, ModelCompileError, UserError
from sqlingest.project.contract import Contract
from sqlingest.project.layers import SOURCE_COLUMNS, audit_columns
from sqlingest.render import RenderedModel, source_view
from sqlingest.validate.types import category, to_spark

Schema = dict[str, list[tuple[str, str]]]


@dataclass
class ValidatedModel:
    rendered: RenderedModel
    expression: exp.Expression
    columns: list[tuple[str, str | None]] = field(default_factory=list)
    errors: list[UserError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def contract_schema(contract: Contract) -> list[tuple[str, str]]:
    """The columns a table built under ``contract`` has: declared columns, then the layer's audit columns."""
    cols = [(c.name, c.type) for c in contract.columns]
    if contract.layer == "source":
        extra = SOURCE_COLUMNS
    else:
        extra = audit_columns(contract.layer)
    names = {n for n, _ in cols}
    return cols + [(n, t) for n, t in extra if n not in names]


def parse_sql(rendered: RenderedModel) -> exp.Expression:
    """Parse one model's SQL; it must be exactly one query.

    Raises:
        ModelCompileError: a syntax error, located at the offending token.
    """
    rel = str(rendered.model.path)
    try:
        statements = [s for s in sqlglot.parse(rendered.sql, read="spark") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line, col = _map_line(rendered, first.get("line", 0)), first.get("col", 0)
        desc = first.get("description", str(exc)).split(". Line")[0]
        raise ModelCompileError(f"SQL syntax error: {desc}", location=Location(rel, line, col),
                                hint=_hint_for(first.get("highlight"))) from None
    if len(statements) != 1:
        raise ModelCompileError(f"a model must be exactly one query, found {len(statements)} statements",
                                location=Location(rel, 1, 1))
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise ModelCompileError(f"a model must be a SELECT query, not {statement.key.upper()}",
                                location=Location(rel, 1, 1),
                                hint="sqlingest writes the DDL and DML; the model only says what to select")
    return statement  # type: ignore[return-value]  # sqlglot's typing does not make Query an Expression


def _hint_for(highlight: str | None) -> str | None:
    return f"near '{highlight}'" if highlight else None


def _map_line(rendered: RenderedModel, line: int) -> int:
    """Rendered line → template line. Jinja keeps lines unless a macro emits several; then the rendered line."""
    return line


def validate(rendered: RenderedModel, schema: Schema, *, relation_of_source: dict[str, str] | None = None
             ) -> ValidatedModel:
    """Parse ``rendered`` and check its output against its contract and its inputs' schemas.

    Args:
        rendered: the rendered model.
        schema: table identifier (as written in SQL: a relation or source view name) → columns.

    Returns:
        The parsed query, its output columns (name, Spark type or None where unknown) and every error found.
    """
    rel = str(rendered.model.path)
    try:
        expression = parse_sql(rendered)
    except ModelCompileError as exc:
        return ValidatedModel(rendered, exp.select("1"), errors=[exc])
    result = ValidatedModel(rendered, expression)

    # Flatten every referenced table to a one-part name so sources and catalog tables share one schema level.
    flat: dict[str, object] = {}
    copy = expression.copy()
    unknown: list[str] = []
    cte_names = {cte.alias_or_name for cte in copy.find_all(exp.CTE)}
    # relations with quoted parts (path identifiers: delta.`/lake/silver/orders`) as sqlglot names them, unquoted
    unquoted = {_unquote(k): v for k, v in schema.items() if "`" in k}
    for table in list(copy.find_all(exp.Table)):
        if not table.name or table.name in cte_names and not table.db:
            continue
        full = ".".join(p.name for p in table.parts)
        cols = schema.get(full, unquoted.get(full))
        if cols is None:
            unknown.append(full)
            continue
        key = re.sub(r"\W", "_", full)
        flat[key] = {n: t for n, t in cols}
        alias = table.alias or table.name
        table.replace(exp.Table(this=exp.to_identifier(key), alias=exp.TableAlias(this=exp.to_identifier(alias))))
    if unknown:
        result.warnings.append(f"{rel}: columns not checked: unknown table(s) {', '.join(sorted(set(unknown)))}")
        selects: list[exp.Expression] = expression.selects  # type: ignore[attr-defined]  # parse_sql: a Query
        result.columns = [(s.alias_or_name, None) for s in selects]
        if any(isinstance(s, exp.Star) or s.alias_or_name == "*" for s in selects):
            result.columns = []
        return result
    try:
        qualified = qualify(copy, schema=flat, dialect="spark", validate_qualify_columns=True,
                            quote_identifiers=False)
        annotated = annotate_types(qualified, schema=flat, dialect="spark")
    except OptimizeError as exc:
        result.errors.append(_locate_optimize_error(exc, expression, rendered))
        return result
    for select in annotated.selects:  # type: ignore[attr-defined]  # qualify keeps the Query
        dtype = select.type
        spark_type = None
        if dtype is not None and dtype.this not in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL):
            try:
                spark_type = to_spark(dtype)
            except Exception:  # noqa: BLE001 — sqlglot may infer types Spark has no name for; then we cannot compare
                spark_type = None
        result.columns.append((select.alias_or_name, spark_type))
    result.errors.extend(check_contract(rendered, result.columns))
    return result


def _unquote(identifier: str) -> str:
    """``delta.`/a/b``` → ``delta./a/b`` (a doubled backtick is a literal one)."""
    return identifier.replace("``", "\0").replace("`", "").replace("\0", "`")


_UNKNOWN_COLUMN = re.compile(r"(?:Unknown column:?|Column) '?\"?(\w+)\"?'?")


def _locate_optimize_error(exc: OptimizeError, expression: exp.Expression, rendered: RenderedModel) -> UserError:
    rel = str(rendered.model.path)
    text = str(exc)
    match = _UNKNOWN_COLUMN.search(text)
    if match:
        name = match.group(1)
        for column in expression.find_all(exp.Column):
            if column.name == name:
                meta = column.this.meta
                line = _map_line(rendered, meta.get("line", 0))
                col = max(meta.get("col", 0) - len(name) + 1, 1) if meta.get("col") else 0
                return ModelCompileError(f"unknown column '{name}'", location=Location(rel, line, col),
                                         hint=_column_hint(name, column, expression))
        return ModelCompileError(f"unknown column '{name}'", location=Location(rel, 1, 1))
    return ModelCompileError(f"cannot resolve query: {text}", location=Location(rel, 1, 1))


def _column_hint(name: str, column: exp.Column, expression: exp.Expression) -> str | None:
    return "check the input's contract for the column's name" if not column.table else \
        f"'{column.table}' has no column '{name}'"


def check_contract(rendered: RenderedModel, columns: list[tuple[str, str | None]]) -> list[UserError]:
    """Compare a model's output columns with its contract (names always, types by family)."""
    contract = rendered.contract
    rel = str(rendered.model.path)
    if contract is None:
        return []
    errors: list[UserError] = []
    where = Location(rel, 1, 1)
    names = [n for n, _ in columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        errors.append(ModelCompileError(f"duplicate output columns: {', '.join(dupes)}", location=where))
    out = dict(columns)
    audit = {n for n, _ in audit_columns(contract.layer)}
    declared = {c.name for c in contract.columns}
    missing = [c.name for c in contract.columns if c.name not in out]
    if missing:
        errors.append(ModelCompileError(
            f"output is missing contract column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(contract {contract.name}, {contract.path})", location=where,
            hint="select them, or change the contract"))
    extra = [n for n in names if n not in declared and n not in audit]
    if extra and contract.layer != "bronze":
        errors.append(ModelCompileError(
            f"output has column{'s' if len(extra) > 1 else ''} not in contract {contract.name}: "
            f"{', '.join(extra)}", location=where,
            hint=f"declare {'them' if len(extra) > 1 else 'it'} in {contract.path} or drop from the SELECT "
                 f"({contract.layer} is strict)"))
    for col in contract.columns:
        actual = out.get(col.name)
        if actual and category(actual) != category(col.type) and category(actual) != "void":
            errors.append(ModelCompileError(
                f"column '{col.name}' is {actual} but contract {contract.name} declares {col.type}",
                location=where, hint=f"CAST({col.name} AS {col.type.upper()}) if the conversion is intended"))
    return errors


def build_schema(contracts: list[Contract], relations: dict[str, str]) -> Schema:
    """Schema of every source view and contract-bound relation. ``relations`` maps contract key → identifier."""
    schema: Schema = {}
    for contract in contracts:
        if contract.layer == "source":
            schema[source_view(contract.domain, contract.dataset)] = contract_schema(contract)
        elif contract.key in relations:
            schema[relations[contract.key]] = contract_schema(contract)
    return schema
