"""Column-level lineage from the compiler: which input columns each output column of each model is computed from.

Computed without a JVM from the plan (``sqlingest compile``): every model's rendered SQL is qualified by sqlglot
against the tables the plan knows (the contracts' columns, the layers' audit columns and the materializations' own
columns), which expands ``*`` and resolves every column to its relation; the lineage then follows each output
column through CTEs, derived tables, joins, aggregates, window functions, set operations, scalar subqueries and
generators (``explode`` in the select list or a ``LATERAL VIEW``). Struct field access (``s.a``) counts as the
top-level column ``s``.

"Directly" means the columns the output value is computed from (the projection's expression, including the
arguments of its aggregates and its window's ``PARTITION BY`` / ``ORDER BY``), one model hop at a time; columns that
only filter, join or group rows are not included. Columns the framework itself writes are computed here too:

- bronze audit columns (``sqlingest/project/layers.py``): ``_rescued_data`` / ``_source_file`` come from the query's
  columns of that name when it has them, ``_record_hash`` from every declared column, and ``_ingested_at``,
  ``_run_id``, ``_batch_id`` are generated (no inputs);
- SCD2 validity columns (``valid_from``, ``valid_to``, ``is_current``): the ordering column (and the delete flag);
- MERGE / SCD1 / insert-overwrite tables hold the query's columns: their lineage is the query's (the table read
  back for the merge is the model's own output, not an input);
- quarantine tables (``<table>__quarantine``, :func:`quarantine_lineage`): ``_row`` is the staged row (every
  output column's inputs), ``_failed_checks`` the columns the row checks read, ``_run_id`` / ``_quarantined_at``
  generated.

Datasets are named as the plan names models (``silver.orders``) and sources as their contract key
(``source:retail.orders``); a table the SQL names that is neither keeps its relation name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from sqlingest.project.layers import (
    BRONZE_AUDIT_COLUMNS,
    QUARANTINE_COLUMNS,
    QUARANTINE_SUFFIX,
    SOURCE_COLUMNS,
)
from sqlingest.render import source_view

if TYPE_CHECKING:
    from sqlingest.plan import Plan, PlannedModel


@dataclass(frozen=True, order=True)
class ColumnRef:
    """One column of one dataset: a model name as the plan names it (``silver.orders``), a source as
    ``source:<domain>.<dataset>``, or the relation of a table outside the project."""

    dataset: str
    column: str

    def __str__(self) -> str:
        return f"{self.dataset}.{self.column}"


Lineage = dict[str, frozenset[ColumnRef]]
SCD2_COLUMNS = ("valid_from", "valid_to", "is_current")


def column_lineage(plan: Plan) -> dict[str, Lineage]:
    """model name → output column → the input columns it is computed from directly (empty set for constants and
    generated columns). Every planned model is included, its columns in the table's order."""
    return _Computer(plan).all()


def table_lineage(plan: Plan) -> dict[str, frozenset[str]]:
    """model name → the datasets its query reads (models, ``source:…`` datasets, outside relations)."""
    computer = _Computer(plan)
    return {name: computer.inputs(name) for name in plan.models}


def quarantine_lineage(plan: Plan, lineage: dict[str, Lineage] | None = None) -> dict[str, Lineage]:
    """``<model>__quarantine`` → column → inputs, for every model whose contract sets rows aside (a row check with
    ``action: quarantine``); the quarantine table's own columns (``_row``, ``_failed_checks`` …)."""
    lineage = lineage if lineage is not None else column_lineage(plan)
    out: dict[str, Lineage] = {}
    for name, pm in plan.models.items():
        if not has_quarantine(pm):
            continue
        cols = lineage.get(name, {})
        everything = frozenset().union(*cols.values()) if cols else frozenset()
        read: set[ColumnRef] = set()
        for check in pm.contract.all_checks() if pm.contract else []:
            if check.effective_action != "quarantine":
                continue
            named = [check.column] if check.column else list(getattr(check, "columns", None) or [])
            if not named:  # an expression check: any column may be read
                read |= everything
            for c in named:
                read |= cols.get(c.lower(), frozenset())
        table: Lineage = {}
        for col, _type in QUARANTINE_COLUMNS:
            table[col] = (everything if col == "_row" else frozenset(read) if col == "_failed_checks"
                          else frozenset())
        out[name + QUARANTINE_SUFFIX] = table
    return out


def has_quarantine(pm: PlannedModel) -> bool:
    """Whether a model's contract sets failing rows aside in a quarantine table."""
    return pm.contract is not None and any(c.effective_action == "quarantine" for c in pm.contract.all_checks())


def table_columns(pm: PlannedModel) -> list[tuple[str, str | None]]:
    """The columns of a model's table as the plan knows them: the contract's (with the layer's audit columns and the
    materialization's), else the query's inferred columns plus those."""
    desired = pm.table_schema()
    if desired is not None:
        return [(n, t) for n, t in desired]
    cols: list[tuple[str, str | None]] = [(n, t) for n, t, _ in pm.validated.schema]
    known = {n for n, _ in cols}
    extra = [*(BRONZE_AUDIT_COLUMNS if pm.layer == "bronze" else []), *pm.materialization.EXTRA_COLUMNS]
    return cols + [(n, t) for n, t in extra if n not in known]


def _parts(table: exp.Table) -> tuple[str, ...]:
    return tuple(p.lower() for p in (table.catalog, table.db, table.name) if p)


class _Computer:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        #: relation parts → (dataset name, columns)
        self.datasets: dict[tuple[str, ...], tuple[str, list[str]]] = {}
        for name, pm in plan.models.items():
            self.datasets[self._key(pm.relation)] = (name, [n for n, _ in table_columns(pm)])
            for contract in pm.rendered.sources:
                cols = [c.name for c in contract.columns]
                cols += [n for n, _ in SOURCE_COLUMNS if n not in cols]
                self.datasets[(source_view(contract.domain, contract.dataset).lower(),)] = (contract.key, cols)
        self._scopes: dict[str, tuple[Scope | None, dict[str, str]]] = {}

    @staticmethod
    def _key(relation: str) -> tuple[str, ...]:
        try:
            return _parts(exp.to_table(relation, dialect="spark"))
        except Exception:  # noqa: BLE001 — a relation sqlglot cannot read is matched by its text
            return (relation.lower(),)

    def scope(self, name: str) -> tuple[Scope | None, dict[str, str]]:
        """The qualified root scope of a model's query, and placeholder table name → dataset."""
        if name in self._scopes:
            return self._scopes[name]
        pm = self.plan.models[name]
        tree = pm.validated.expression.copy() if pm.validated.expression is not None else \
            sqlglot.parse_one(pm.rendered.sql, read="spark")
        schema: dict[str, object] = {}
        names: dict[str, str] = {}
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for i, table in enumerate(list(tree.find_all(exp.Table))):
            if not table.name or (not table.db and table.name.lower() in ctes):
                continue
            parts = _parts(table)
            known = self.datasets.get(parts)
            dataset = known[0] if known else ".".join(parts)
            placeholder = f"__lineage_t{i}"
            names[placeholder] = dataset
            if known:
                schema[placeholder] = {c.lower(): "string" for c in known[1]}
            alias = table.alias or table.name
            table.replace(exp.Table(this=exp.to_identifier(placeholder),
                                    alias=exp.TableAlias(this=exp.to_identifier(alias)),
                                    joins=table.args.get("joins"), laterals=table.args.get("laterals"),
                                    pivots=table.args.get("pivots")))
        try:
            qualified = qualify(tree, schema=schema, dialect="spark", validate_qualify_columns=False,
                                identify=False, quote_identifiers=False)
            root = build_scope(qualified)
        except Exception:  # noqa: BLE001 — SQL sqlglot cannot qualify: no column lineage for this model
            root = None
        self._scopes[name] = (root, names)
        return self._scopes[name]

    def inputs(self, name: str) -> frozenset[str]:
        pm = self.plan.models[name]
        _, names = self.scope(name)
        out = set(names.values())
        out |= {c.key for c in pm.rendered.sources}
        out |= {r for r in pm.rendered.refs if r in self.plan.models}
        return frozenset(out - {name})

    def all(self) -> dict[str, Lineage]:
        return {name: self.model(name) for name in self.plan.models}

    def model(self, name: str) -> Lineage:
        pm = self.plan.models[name]
        root, names = self.scope(name)
        query: dict[str, frozenset[ColumnRef]] = {}
        if root is not None:
            walker = _Walker(names)
            for col in _output_names(root):
                query[col.lower()] = walker.output(root, col)
        out: Lineage = {}
        declared = [c.name for c in pm.contract.columns] if pm.contract else \
            [n for n, _t, _n in pm.validated.schema]
        for col, _type in table_columns(pm):
            key = col.lower()
            if key in query:
                out[col] = query[key]
            elif key in SCD2_COLUMNS and key in {n for n, _ in pm.materialization.EXTRA_COLUMNS}:
                flags = [pm.ordering, pm.rendered.config.delete_flag if key != "valid_from" else None]
                out[col] = frozenset().union(*(query.get(f.lower(), frozenset()) for f in flags if f))
            elif key == "_record_hash":
                out[col] = frozenset().union(*(query.get(c.lower(), frozenset()) for c in declared))
            else:  # generated (_ingested_at, _run_id …) or a column the query does not produce
                out[col] = frozenset()
        return out


def _output_names(scope: Scope) -> list[str]:
    expr = scope.expression
    if isinstance(expr, exp.SetOperation):
        left = scope.set_operation_scopes[0] if scope.set_operation_scopes else None
        return _output_names(left) if left is not None else []
    if isinstance(expr, exp.Select):
        return [s.alias_or_name for s in expr.selects if s.alias_or_name and s.alias_or_name != "*"]
    return []


class _Walker:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.memo: dict[tuple[int, str], frozenset[ColumnRef]] = {}

    def output(self, scope: Scope, column: str) -> frozenset[ColumnRef]:
        """The inputs of output ``column`` of ``scope``."""
        key = (id(scope), column.lower())
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = frozenset()  # a cycle (recursive CTE) resolves to what is known
        expr = scope.expression
        result: frozenset[ColumnRef] = frozenset()
        if isinstance(expr, exp.SetOperation):
            index = _index(_output_names(scope), column)
            for branch in scope.set_operation_scopes:
                branch_names = _output_names(branch)
                if index is not None and index < len(branch_names):
                    result |= self.output(branch, branch_names[index])
        elif isinstance(expr, exp.Select):
            for item in expr.selects:
                if item.alias_or_name.lower() == column.lower():
                    result = self.expression(item, scope)
                    break
        elif isinstance(expr, exp.Lateral | exp.Unnest):  # a generator's columns: its arguments
            result = self.expression(expr.this, scope)
        self.memo[key] = result
        return result

    def expression(self, node: exp.Expr, scope: Scope) -> frozenset[ColumnRef]:
        """The input columns an expression of ``scope`` is computed from (scalar subqueries: their outputs)."""
        out: set[ColumnRef] = set()
        nested = {id(s.expression): s for s in scope.subquery_scopes}
        for n in _walk(node):
            if isinstance(n, exp.Select | exp.SetOperation) and n is not node:
                sub = nested.get(id(n))
                if sub is not None:
                    for col in _output_names(sub):
                        out |= self.output(sub, col)
            elif isinstance(n, exp.Column):
                out |= self.column(n, scope)
        return frozenset(out)

    def column(self, col: exp.Column, scope: Scope) -> frozenset[ColumnRef]:
        name = col.name
        if not name or isinstance(col.this, exp.Star):
            return frozenset()
        table = col.table
        sources = scope.sources
        if not table:
            if len(sources) != 1:
                return frozenset()
            table = next(iter(sources))
        source = sources.get(table)
        if source is None and scope.parent is not None:  # correlated: the outer query's
            return self.column(col, scope.parent)
        if isinstance(source, exp.Table):
            dataset = self.names.get(source.name, source.name)
            return frozenset({ColumnRef(dataset, name.lower())})
        if isinstance(source, Scope):
            return self.output(source, name)
        return frozenset()


def _walk(node: exp.Expr) -> Iterable[exp.Expr]:
    """``node``'s sub-expressions, not descending into nested queries (yielded themselves)."""
    stack: list[Any] = [node]
    while stack:
        n = stack.pop()
        yield n
        if n is not node and isinstance(n, exp.Select | exp.SetOperation):
            continue
        stack.extend(child for child in n.iter_expressions())


def _index(names: list[str], column: str) -> int | None:
    for i, n in enumerate(names):
        if n.lower() == column.lower():
            return i
    return None

