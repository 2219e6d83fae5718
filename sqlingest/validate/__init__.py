"""Stage 3 — parse rendered SQL with sqlglot (Spark dialect) and validate it against contracts.

All problems are collected as located :class:`ModelCompileError` s; nothing here needs a JVM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from sqlingest.errors import Location, ModelCompileError, UserError
from sqlingest.project.contract import Contract
from sqlingest.project.layers import SOURCE_COLUMNS, audit_columns
from sqlingest.render import RenderedModel, source_view
from sqlingest.validate.analyzer import Analyzer, Col, first_offset
from sqlingest.validate.functions import FunctionRegistry, builtin_registry, parse_spark, scan_calls, tokenize_spark
from sqlingest.validate.types import widens

Schema = dict[str, list[tuple[str, str]]]  # or (name, type, nullable) triples


@dataclass
class ValidatedModel:
    rendered: RenderedModel
    expression: exp.Expr
    columns: list[tuple[str, str | None]] = field(default_factory=list)
    errors: list[UserError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: (name, Spark type or None, nullable or None) of each output column, as the analyzer inferred them
    schema: list[tuple[str, str | None, bool | None]] = field(default_factory=list)


def contract_schema(contract: Contract) -> list[tuple[str, str]]:
    """The columns a table built under ``contract`` has: declared columns, then the layer's audit columns."""
    return [(c[0], c[1]) for c in contract_columns(contract)]


def contract_columns(contract: Contract) -> list[tuple[str, str, bool]]:
    """:func:`contract_schema` with each column's nullability as the tables hold it: sources are read with
    TRY_CAST and bronze is lenient, so their columns are nullable; silver and gold tables are created NOT NULL where
    the contract says ``nullable: false``; audit columns are nullable."""
    lenient = contract.layer in ("source", "bronze")
    cols = [(c.name, c.type, c.nullable or lenient) for c in contract.columns]
    extra = SOURCE_COLUMNS if contract.layer == "source" else audit_columns(contract.layer)
    names = {c[0] for c in cols}
    return cols + [(n, t, True) for n, t in extra if n not in names]


def parse_sql(rendered: RenderedModel) -> exp.Expr:
    """Parse one model's SQL; it must be exactly one query that Spark 3.5 can parse.

    Raises:
        ModelCompileError: a tokenizer or syntax error, or syntax Spark 3.5 does not have, located at the offending
            token of the template.
    """
    sql = rendered.sql
    try:
        tokens = tokenize_spark(sql)
    except TokenError as exc:
        raise _token_error(rendered, exc) from None
    try:
        statements = parse_spark(sql, tokens)
    except ParseError as exc:
        # sqlglot refuses some calls with a wrong number of arguments (upper(a, b)): say that, as Spark would
        for site in scan_calls(sql):
            message = builtin_registry().check_call(site.name, site.nargs)
            if message:
                raise ModelCompileError(message, location=locate(rendered, _offset_of(sql, site.line, site.col)),
                                        hint=None) from None
        first = exc.errors[0] if exc.errors else {}
        desc = str(first.get("description", str(exc))).split(". Line")[0]
        start = first.get("start_context")
        highlight = first.get("highlight") or ""
        offset = _offset_of(sql, first.get("line", 0), first.get("col", 0)) - max(len(highlight) - 1, 0)
        del start
        raise ModelCompileError(f"SQL syntax error: {_plain(desc)}", location=locate(rendered, offset),
                                hint=_hint_for(highlight)) from None
    if len(statements) != 1:
        raise ModelCompileError(f"a model must be exactly one query, found {len(statements)} statements",
                                location=locate(rendered, _second_statement_offset(tokens)))
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise ModelCompileError(f"a model must be a SELECT query, not {statement.key.upper()}",
                                location=locate(rendered, first_offset(statement) or 0),
                                hint="sqlingest writes the DDL and DML; the model only says what to select")
    problem = spark35_syntax(statement, tokens, sql)
    if problem is not None:
        message, offset, hint = problem
        raise ModelCompileError(f"{message} is not supported by Spark 3.5", location=locate(rendered, offset),
                                hint=hint)
    return statement  # type: ignore[return-value]  # sqlglot's typing does not make Query an Expression


def _plain(desc: str) -> str:
    """sqlglot's parser messages without its internal class names."""
    desc = re.sub(r"\x1b\[[0-9;]*m", "", desc)
    desc = re.sub(r"Required keyword: '(\w+)' missing for <class 'sqlglot\.expressions\.(?:\w+\.)*(\w+)'>",
                  lambda m: f"incomplete {m.group(2).upper()}", desc)
    desc = re.sub(r"<class 'sqlglot\.[\w.]+'>", "expression", desc)
    return desc.replace("Invalid expression / Unexpected token", "unexpected token")


def _second_statement_offset(tokens: list[Token]) -> int:
    for i, tok in enumerate(tokens):
        if tok.token_type == TokenType.SEMICOLON and i + 1 < len(tokens):
            return tokens[i + 1].start
    return 0


def _token_error(rendered: RenderedModel, exc: TokenError) -> ModelCompileError:
    sql = rendered.sql
    offset = _unterminated(sql)
    if offset is not None:
        return ModelCompileError("SQL syntax error: unterminated string", location=locate(rendered, offset),
                                 hint=f"close the {sql[offset]} quote")
    comment = sql.rfind("/*")
    if comment >= 0 and sql.find("*/", comment) < 0:
        return ModelCompileError("SQL syntax error: unterminated comment", location=locate(rendered, comment),
                                 hint="close it with */")
    return ModelCompileError("SQL syntax error: the query cannot be split into tokens",
                             location=locate(rendered, 0))


def _unterminated(sql: str) -> int | None:
    """The offset of the quote that opens an unterminated string or quoted identifier, if any."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif ch == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        elif ch in "'\"`":
            j = i + 1
            while j < n:
                if sql[j] == "\\" and ch != "`":
                    j += 2
                    continue
                if sql[j] == ch:
                    if ch == "`" and j + 1 < n and sql[j + 1] == "`":
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                return i
            i = j
        i += 1
    return None


def spark35_syntax(statement: exp.Expr, tokens: list[Token], sql: str | None = None
                   ) -> tuple[str, int, str | None] | None:
    """The first construct sqlglot parses that Spark 3.5's parser rejects: (what, offset, hint)."""
    sql_text = sql
    for i, (tok, nxt) in enumerate(zip(tokens, [*tokens[1:], None], strict=True)):
        if tok.token_type == TokenType.DCOLON and tok.text == "::" and tok.end - tok.start == 1 and \
                (sql_text is None or sql_text[tok.start:tok.end + 1] == "::"):
            return "the '::' cast", tok.start, "write CAST(x AS type)"
        if tok.token_type == TokenType.LIMIT and nxt is not None and i + 2 < len(tokens) and \
                tokens[i + 2].token_type == TokenType.COMMA:
            return "LIMIT offset, count", tok.start, "write LIMIT count OFFSET offset"
        if tok.token_type == TokenType.COMMA and (nxt is None or nxt.token_type in _NOT_AFTER_COMMA):
            return "an empty item in a list (a comma with nothing after it)", tok.start, "remove the extra comma"
    for node in statement.walk():
        if isinstance(node, exp.With) and node.args.get("recursive"):
            return "WITH RECURSIVE", _keyword_offset(tokens, "RECURSIVE", node), \
                "Spark 3.5 has no recursive queries"
        if isinstance(node, exp.Qualify):
            return "QUALIFY", _keyword_offset(tokens, "QUALIFY", node), \
                "filter on the window function in an outer query or a CTE"
        if isinstance(node, exp.Star) and any(node.args.get(k) for k in ("except_", "except", "replace", "rename")):
            return "SELECT * EXCEPT/REPLACE", first_offset(node) or 0, "list the columns you want"
        if isinstance(node, exp.Fetch):
            return "FETCH FIRST … ROWS", _keyword_offset(tokens, "FETCH", node), "write LIMIT n"
        if isinstance(node, exp.Distinct) and node.args.get("on") is not None:
            return "DISTINCT ON", _keyword_offset(tokens, "DISTINCT", node), \
                "use row_number() OVER (PARTITION BY …) in a subquery"
        if isinstance(node, exp.From) and isinstance(node.this, (exp.Select, exp.SetOperation)):
            return "a query that starts with FROM (FROM t without SELECT)", first_offset(node.this) or 0, \
                "write SELECT * FROM t, or put the subquery in parentheses"
        if isinstance(node, exp.In) and not (node.expressions or node.args.get("query") or node.args.get("unnest")
                                             or node.args.get("field")):
            return "an empty IN list", first_offset(node) or 0, "IN needs at least one value"
        if isinstance(node, exp.Distinct) and not node.expressions and not isinstance(node.parent, exp.Select):
            return "DISTINCT without an argument", first_offset(node.parent) or 0, "write count(DISTINCT x)"
        if isinstance(node, (exp.Any, exp.All)) and isinstance(node.this, (exp.Subquery, exp.Query)):
            return f"{'ANY' if isinstance(node, exp.Any) else 'ALL'} (subquery)", first_offset(node) or 0, \
                "write IN (subquery) or EXISTS"
    return None


_NOT_AFTER_COMMA = {TokenType.COMMA, TokenType.FROM, TokenType.R_PAREN, TokenType.WHERE, TokenType.GROUP_BY,
                    TokenType.ORDER_BY, TokenType.HAVING, TokenType.LIMIT}


def _keyword_offset(tokens: list[Token], keyword: str, node: exp.Expr) -> int:
    for tok in tokens:
        if tok.text.upper() == keyword:
            return tok.start
    return first_offset(node) or 0


def _offset_of(sql: str, line: int, col: int) -> int:
    """sqlglot's (1-based line, 1-based col of the token's last character) → offset."""
    if line <= 0:
        return 0
    lines = sql.split("\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1])
    return max(offset + max(col, 1) - 1, 0)


def locate(rendered: RenderedModel, offset: int | None) -> Location:
    """The template location of an offset in the rendered SQL (through the render's source map, if any)."""
    rel = str(rendered.model.path)
    if offset is None:
        return Location(rel, 1, 1)
    source_map = getattr(rendered, "source_map", None)
    if source_map is not None:
        line, col = source_map.locate(offset)
        return Location(rel, line, col)
    before = rendered.sql[:offset]
    line = before.count("\n") + 1
    col = offset - (before.rfind("\n") + 1) + 1
    return Location(rel, line, col)


def _hint_for(highlight: str | None) -> str | None:
    return f"near '{highlight}'" if highlight else None


def table_columns(schema: Schema) -> dict[str, list[Col] | None]:
    """The analyzer's view of ``schema`` (columns with their nullability where the schema knows it)."""
    tables: dict[str, list[Col] | None] = {}
    for name, cols in schema.items():
        entry = [Col(c[0], c[1], c[2] if len(c) > 2 else True) for c in cols]  # type: ignore[misc]
        tables[name.lower()] = entry
        if "`" in name:
            tables[_unquote(name).lower()] = entry
    return tables


def validate(rendered: RenderedModel, schema: Schema, *, relation_of_source: dict[str, str] | None = None,
             tables: dict[str, list[Col] | None] | None = None, functions: FunctionRegistry | None = None
             ) -> ValidatedModel:
    """Parse ``rendered`` and check it as Spark's analyzer would, then its output against its contract.

    Args:
        rendered: the rendered model.
        schema: table identifier (as written in SQL: a relation or source view name) → columns.
        tables: ``table_columns(schema)``, when the caller keeps it (a project's models share one).
        functions: the functions the project's sessions know (default: Spark's built-ins).

    Returns:
        The parsed query, its output columns (name, Spark type or None where unknown) and every error found.
    """
    rel = str(rendered.model.path)
    try:
        expression = parse_sql(rendered)
    except ModelCompileError as exc:
        return ValidatedModel(rendered, exp.select("1"), errors=[exc])
    result = ValidatedModel(rendered, expression)
    analyzer = Analyzer(tables if tables is not None else table_columns(schema), functions=functions)
    try:
        outputs = analyzer.analyze(expression)
    except Exception as exc:  # noqa: BLE001 — an analyzer bug must not hide the model: report it plainly
        result.warnings.append(f"{rel}: columns not checked: the compiler could not analyze this query "
                               f"({type(exc).__name__}: {exc})")
        outputs = None
    for diag in analyzer.diagnostics:
        result.errors.append(ModelCompileError(diag.message, location=locate(rendered, first_offset(diag.node)),
                                               hint=diag.hint))
    if analyzer.unknown_tables:
        result.warnings.append(f"{rel}: columns not checked: unknown table(s) "
                               f"{', '.join(sorted(analyzer.unknown_tables))}")
    if outputs is None:
        selects: list[exp.Expr] = expression.selects  # type: ignore[attr-defined]  # parse_sql: a Query
        if not any(isinstance(s, exp.Star) or s.alias_or_name == "*" for s in selects):
            result.columns = [(s.alias_or_name, None) for s in selects]
        return result
    result.columns = [(c.name, c.type) for c in outputs]
    result.schema = [(c.name, c.type, c.nullable) for c in outputs]
    if not result.errors:
        result.errors.extend(check_contract(rendered, outputs))
    return result


def item_start(tokens: list[Token], offset: int) -> int:
    """The offset of the first token of the select item holding ``offset``: sqlglot keeps no position for
    keyword-led expressions (``CAST(…)``, ``CASE …``), so walk back to the comma or SELECT that opens the item."""
    index = next((i for i, t in enumerate(tokens) if t.start <= offset <= t.end), None)
    if index is None:
        return offset
    depth = 0
    j = index - 1
    while j >= 0:
        tok = tokens[j]
        if tok.token_type == TokenType.R_PAREN:
            depth += 1
        elif tok.token_type == TokenType.L_PAREN:
            if depth == 0:
                j -= 1
                continue  # an opening parenthesis of the item itself: CAST(, (a + b)
            depth -= 1
        elif depth == 0 and tok.token_type in (TokenType.COMMA, TokenType.SELECT, TokenType.DISTINCT,
                                               TokenType.ALL):
            break
        j -= 1
    start = tokens[j + 1] if j + 1 <= index else tokens[index]
    return min(start.start, offset)


def _unquote(identifier: str) -> str:
    """``delta.`/a/b``` → ``delta./a/b`` (a doubled backtick is a literal one)."""
    return identifier.replace("``", "\0").replace("`", "").replace("\0", "`")


def check_contract(rendered: RenderedModel, outputs: list[Col] | list[tuple[str, str | None]]) -> list[UserError]:
    """Compare a model's output columns with its contract: names exactly, types by Spark's safe widening.

    Errors are located at the offending select item, or at the contract column's YAML line when the model does not
    select it."""
    contract = rendered.contract
    if contract is None:
        return []
    cols = [c if isinstance(c, Col) else Col(c[0], c[1]) for c in outputs]
    errors: list[UserError] = []

    tokens: list[Token] | None = None

    def at(col: Col | None) -> Location:
        nonlocal tokens
        if col is not None and col.node is not None:
            offset = first_offset(col.node)
            if offset is not None:
                if tokens is None:
                    try:
                        tokens = tokenize_spark(rendered.sql)
                    except TokenError:
                        tokens = []
                offset = item_start(tokens, offset)
            return locate(rendered, offset)
        return locate(rendered, None)

    seen: dict[str, Col] = {}
    for col in cols:
        if col.name in seen:
            errors.append(ModelCompileError(f"duplicate output column '{col.name}'", location=at(col),
                                            hint="give one of them another alias"))
        seen.setdefault(col.name, col)
    audit = {n for n, _ in audit_columns(contract.layer)}
    declared = {c.name for c in contract.columns}
    lower_out = {c.name.lower(): c for c in cols}
    missing = [c for c in contract.columns if c.name not in seen]
    for c in missing:
        near = lower_out.get(c.name.lower())
        where = at(near) if near is not None else (c.location or contract.location or Location(str(contract.path)))
        errors.append(ModelCompileError(
            f"output is missing contract column '{c.name}' (contract {contract.name})", location=where,
            hint=(f"the model selects '{near.name}': column names are exact" if near is not None else
                  f"select it ({c.type}), or change the contract {contract.path}")))
    if contract.layer != "bronze":
        for col in cols:
            if col.name not in declared and col.name not in audit and \
                    not (col.name.lower() in {d.lower() for d in declared} and col.name not in seen):
                if any(m.name.lower() == col.name.lower() for m in missing):
                    continue
                errors.append(ModelCompileError(
                    f"output has column '{col.name}' not in contract {contract.name}", location=at(col),
                    hint=f"declare it in {contract.path} or drop it from the SELECT ({contract.layer} is strict)"))
    for c in contract.columns:
        found = seen.get(c.name)
        actual = found.type if found is not None else None
        if actual is None or actual == "void":
            continue
        if actual != c.type and not widens(actual, c.type):
            errors.append(ModelCompileError(
                f"column '{c.name}' is {actual} but contract {contract.name} declares {c.type}", location=at(found),
                hint=f"CAST(... AS {c.type.upper()}) if the conversion is intended"))
    return errors


def build_schema(contracts: list[Contract], relations: dict[str, str]) -> Schema:
    """Schema of every source view and contract-bound relation. ``relations`` maps contract key → identifier."""
    schema: Schema = {}
    for contract in contracts:
        if contract.layer == "source":
            schema[source_view(contract.domain, contract.dataset)] = contract_columns(contract)  # type: ignore[assignment]
        elif contract.key in relations:
            schema[relations[contract.key]] = contract_columns(contract)  # type: ignore[assignment]
    return schema
