"""A compile-time Spark SQL analyzer over sqlglot's syntax tree: it resolves names through the scopes of CTEs,
subqueries, joins and lateral views, infers each expression's Spark type and nullability, and reports what Spark's
analyzer would reject (unknown or ambiguous columns, unknown functions and wrong argument counts, ungrouped columns,
misplaced aggregates and window functions, set operations that do not line up).

It never guesses: whatever it does not understand gets an unknown type (``None``) and no error. Every diagnostic
carries the syntax node it is about, so the caller can locate it in the template.
"""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from sqlingest.validate import spark_types as st


@dataclass
class Col:
    """One column of a relation (a table, a CTE, a subquery, a query's output)."""

    name: str
    type: str | None = None
    nullable: bool | None = None
    node: exp.Expr | None = None  # the select item that produced it (query outputs)


@dataclass
class Diagnostic:
    message: str
    node: exp.Expr | None
    hint: str | None = None


class _Unresolvable(Exception):
    """A relation whose columns cannot be known (unknown table): stop checking names in that scope."""


@dataclass
class Source:
    alias: str
    cols: list[Col] | None  # None: unknown (any column resolves, untyped)
    hidden: bool = False  # right side of a semi/anti join: not visible in the SELECT list
    full_name: str = ""  # a table's name as written (``lake.silver.orders``): columns may be qualified by it


@dataclass
class Scope:
    sources: list[Source] = field(default_factory=list)
    outer: Scope | None = None
    aliases: dict[str, Col] = field(default_factory=dict)  # select-list aliases visible (lateral alias, HAVING, ORDER)
    lambdas: dict[str, Col] = field(default_factory=dict)
    #: USING/NATURAL join columns: unqualified references resolve to the merged column
    merged: dict[str, Col] = field(default_factory=dict)

    def child(self) -> Scope:
        return Scope(outer=self)


@dataclass
class Typed:
    type: str | None
    nullable: bool | None


UNKNOWN = Typed(None, None)

AGGREGATES = {
    "count", "sum", "avg", "mean", "min", "max", "first", "first_value", "last", "last_value", "any_value",
    "collect_list", "collect_set", "array_agg", "count_if", "approx_count_distinct", "stddev", "stddev_samp",
    "stddev_pop", "std", "variance", "var_samp", "var_pop", "corr", "covar_pop", "covar_samp", "bool_and", "bool_or",
    "every", "some", "any", "max_by", "min_by", "percentile", "percentile_approx", "approx_percentile", "median",
    "mode", "skewness", "kurtosis", "bit_and", "bit_or", "bit_xor", "histogram_numeric", "count_min_sketch",
    "regr_count", "regr_avgx", "regr_avgy", "regr_slope", "regr_intercept", "regr_r2", "regr_sxx", "regr_sxy",
    "regr_syy", "try_sum", "try_avg", "hll_sketch_agg", "hll_union_agg", "percentile_cont", "percentile_disc",
    "listagg", "string_agg", "grouping", "grouping_id",
}
WINDOW_ONLY = {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
               "nth_value"}
GENERATORS = {"explode", "explode_outer", "posexplode", "posexplode_outer", "inline", "inline_outer", "stack",
              "json_tuple"}

# sqlglot expression classes → the Spark function name they stand for (when the user's spelling is not kept)
_CLASS_NAMES: dict[type[exp.Expr], str] = {
    exp.Count: "count", exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max",
    exp.First: "first", exp.Last: "last", exp.FirstValue: "first_value", exp.LastValue: "last_value",
    exp.ArrayAgg: "collect_list", exp.ArrayUniqueAgg: "collect_set", exp.CountIf: "count_if",
    exp.ApproxDistinct: "approx_count_distinct", exp.Stddev: "stddev", exp.StddevPop: "stddev_pop",
    exp.StddevSamp: "stddev_samp", exp.Variance: "variance", exp.VariancePop: "var_pop",
    exp.RowNumber: "row_number", exp.Coalesce: "coalesce", exp.Explode: "explode", exp.Posexplode: "posexplode",
    exp.Inline: "inline", exp.AnyValue: "any_value", exp.LogicalAnd: "bool_and", exp.LogicalOr: "bool_or",
    exp.ArgMax: "max_by", exp.ArgMin: "min_by", exp.Median: "median", exp.Lag: "lag", exp.Lead: "lead",
    exp.NthValue: "nth_value", exp.PercentileCont: "percentile_cont", exp.PercentileDisc: "percentile_disc",
    exp.ApproxQuantile: "percentile_approx", exp.Corr: "corr", exp.CovarPop: "covar_pop",
    exp.CovarSamp: "covar_samp", exp.Skewness: "skewness", exp.Kurtosis: "kurtosis",
    exp.Mode: "mode",
}
for _name in ("Rank", "DenseRank", "PercentRank", "CumeDist", "Ntile"):
    if hasattr(exp, _name):
        _CLASS_NAMES[getattr(exp, _name)] = {"Rank": "rank", "DenseRank": "dense_rank", "PercentRank":
                                             "percent_rank", "CumeDist": "cume_dist", "Ntile": "ntile"}[_name]

_BOOLEAN = (exp.Predicate, exp.Not, exp.And, exp.Or, exp.Xor, exp.Exists, exp.In, exp.Between, exp.Is,
            exp.Like, exp.ILike, exp.RegexpLike, exp.Boolean)


def _registry() -> Any:
    try:
        from sqlingest.validate.functions import builtin_registry
    except ImportError:  # pragma: no cover — the snapshot module is optional while it is being built
        return None
    return builtin_registry()


def func_name(node: exp.Func) -> str:
    """The Spark name of a function call as the user wrote it (best effort)."""
    try:
        from sqlingest.validate.functions import spark_name

        name = spark_name(node)
        if name:
            return name.lower()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if type(node) in _CLASS_NAMES:
        return _CLASS_NAMES[type(node)]
    return node.sql_names()[0].lower() if node.sql_names() else node.key


def _identifier(node: exp.Expr | None) -> str:
    if node is None:
        return ""
    return str(node.name if not isinstance(node, str) else node)


def _key(name: str) -> str:
    return name.lower()


class Analyzer:
    """Analyzes one query against ``tables`` (identifier as written, lower-case → columns)."""

    def __init__(self, tables: dict[str, list[Col] | None], *, functions: Any = None,
                 unknown_tables: set[str] | None = None) -> None:
        self.tables = {k.lower(): v for k, v in tables.items()}
        self.functions = functions if functions is not None else _registry()
        #: aggregate function names: the hand list plus the registry's (built-in and declared) aggregates
        self.aggregates = _aggregates_of(self.functions)
        self.diagnostics: list[Diagnostic] = []
        self.unknown_tables: set[str] = unknown_tables if unknown_tables is not None else set()
        self._reported: set[int] = set()
        self._later_ctes: set[str] = set()  # CTEs of the WITH being analyzed that are not defined yet

    # -- entry ---------------------------------------------------------------------------------------------
    def analyze(self, query: exp.Expr) -> list[Col] | None:
        """The output columns of ``query`` (None if they cannot be known); diagnostics in ``self.diagnostics``."""
        return self.query(query, None, {})

    def error(self, message: str, node: exp.Expr | None, hint: str | None = None) -> None:
        if node is not None and id(node) in self._reported:
            return
        if node is not None:
            self._reported.add(id(node))
        self.diagnostics.append(Diagnostic(message, node, hint))

    # -- queries -------------------------------------------------------------------------------------------
    def query(self, q: exp.Expr, outer: Scope | None, ctes: dict[str, list[Col] | None]) -> list[Col] | None:
        ctes = dict(ctes)
        with_ = q.args.get("with_") or q.args.get("with")
        if with_ is not None:
            pending = [_key(c.alias) for c in with_.expressions]
            for i, cte in enumerate(with_.expressions):
                self._later_ctes = set(pending[i:])
                cols = self.query(cte.this, outer, ctes)
                alias = cte.args.get("alias")
                names = [c.name for c in alias.columns] if alias is not None and alias.columns else None
                if names and cols is not None:
                    if len(names) != len(cols):
                        self.error(f"CTE '{cte.alias}' names {len(names)} columns but its query has {len(cols)}",
                                   cte)
                        cols = None
                    else:
                        cols = [Col(n, c.type, c.nullable, c.node) for n, c in zip(names, cols, strict=True)]
                ctes[_key(cte.alias)] = cols
            self._later_ctes = set()
        if isinstance(q, exp.Subquery):
            return self.query(q.this, outer, ctes)
        if isinstance(q, exp.SetOperation):
            return self.set_operation(q, outer, ctes)
        if isinstance(q, exp.Select):
            return self.select(q, outer, ctes)
        if isinstance(q, exp.Values):
            return self.values(q)
        return None

    def values(self, q: exp.Values) -> list[Col] | None:
        rows = [row.expressions if isinstance(row, exp.Tuple) else [row] for row in q.expressions]
        if not rows:
            return None
        scope = Scope()
        typed_rows = [[self.expr(e, scope, _Ctx()) for e in row] for row in rows]
        width = len(typed_rows[0])
        if any(len(r) != width for r in typed_rows):
            self.error("VALUES rows have different numbers of columns", q)
            return None
        alias = q.args.get("alias")
        names = [c.name for c in alias.columns] if alias is not None and alias.columns else \
            [f"col{i + 1}" for i in range(width)]
        cols = []
        for i, name in enumerate(names[:width]):
            types = [r[i] for r in typed_rows]
            t: str | None = types[0].type
            for other in types[1:]:
                t = st.wider(t, other.type)
            nullable = _any_nullable([x.nullable for x in types])
            cols.append(Col(name, t, nullable))
        return cols

    def set_operation(self, q: exp.SetOperation, outer: Scope | None, ctes: dict[str, list[Col] | None]
                      ) -> list[Col] | None:
        left = self.query(q.left, outer, ctes)
        right = self.query(q.right, outer, ctes)
        op = {exp.Union: "UNION", exp.Intersect: "INTERSECT", exp.Except: "EXCEPT"}.get(type(q), "UNION")
        if left is None or right is None:
            return left
        if len(left) != len(right):
            self.error(f"{op} branches have different numbers of columns ({len(left)} vs {len(right)})",
                       _first_select(q.right) or q.right,
                       hint="every branch must select the same number of columns")
            return None
        out = []
        for i, (a, b) in enumerate(zip(left, right, strict=True), 1):
            if not st.compatible(a.type, b.type):
                self.error(f"{op} column {i} ('{a.name}'): incompatible types {a.type} and {b.type}",
                           b.node or q.right, hint="CAST one side to the other's type")
                out.append(Col(a.name, None, None, a.node))
                continue
            nullable = a.nullable or b.nullable if None not in (a.nullable, b.nullable) else None
            if op != "UNION":
                nullable = a.nullable if op == "EXCEPT" else (a.nullable and b.nullable
                                                              if None not in (a.nullable, b.nullable) else None)
            out.append(Col(a.name, st.wider(a.type, b.type), nullable, a.node))
        return out

    # -- FROM ----------------------------------------------------------------------------------------------
    def relation(self, node: exp.Expr, scope: Scope, ctes: dict[str, list[Col] | None]) -> Source | None:
        alias_node = node.args.get("alias")
        alias = _identifier(alias_node.this) if isinstance(alias_node, exp.TableAlias) and alias_node.this else ""
        col_names = [c.name for c in alias_node.columns] if isinstance(alias_node, exp.TableAlias) and \
            alias_node.columns else None
        cols: list[Col] | None
        if isinstance(node, exp.Table):
            if isinstance(node.this, exp.Func):  # table-valued function: range(10), explode(...)
                cols = self.table_function(node.this, scope)
                name = alias or func_name(node.this)
            else:
                full = ".".join(p.name for p in node.parts)
                name = alias or node.name
                if not node.db and _key(node.name) in ctes:
                    cols = ctes[_key(node.name)]
                elif full.lower() in self.tables:
                    cols = self.tables[full.lower()]
                elif not node.db and _key(node.name) in self._later_ctes:
                    self.error(f"unknown table '{node.name}': the CTE '{node.name}' is defined after its use", node,
                               hint="a CTE can read only the CTEs defined before it in the same WITH")
                    cols = None
                else:
                    self.unknown_tables.add(full)
                    cols = None
        elif isinstance(node, exp.Subquery):
            cols = self.query(node.this, scope.outer if node.args.get("lateral") is None else scope, ctes)
            name = alias
        elif isinstance(node, exp.Values):
            cols = self.values(node)
            name = alias
        elif isinstance(node, (exp.Unnest,)):
            return Source(alias, None)
        else:
            return Source(alias, None)
        if node.args.get("pivots"):
            cols = None  # PIVOT/UNPIVOT: the output columns come from the data
        if cols is not None and col_names:
            if len(col_names) != len(cols):
                self.error(f"'{name}' names {len(col_names)} columns but has {len(cols)}", alias_node)
                cols = None
            else:
                cols = [Col(n, c.type, c.nullable) for n, c in zip(col_names, cols, strict=True)]
        full = ".".join(p.name for p in node.parts) if isinstance(node, exp.Table) and not alias else ""
        return Source(name, [Col(c.name, c.type, c.nullable) for c in cols] if cols is not None else None,
                      full_name=full)

    def table_function(self, fn: exp.Func, scope: Scope) -> list[Col] | None:
        name = func_name(fn)
        if name == "range":
            return [Col("id", "bigint", False)]
        if name in GENERATORS:
            return self.generator_columns(fn, scope, _Ctx())
        return None

    def from_clause(self, select: exp.Select, scope: Scope, ctes: dict[str, list[Col] | None]) -> None:
        from_ = select.args.get("from_") or select.args.get("from")
        if from_ is not None:
            src = self.relation(from_.this, scope, ctes)
            if src is not None:
                scope.sources.append(src)
        for join in select.args.get("joins") or []:
            self.join(join, scope, ctes)
        for lateral in select.args.get("laterals") or []:
            self.lateral_view(lateral, scope)

    def join(self, join: exp.Join, scope: Scope, ctes: dict[str, list[Col] | None]) -> None:
        src = self.relation(join.this, scope, ctes)
        if src is None:
            return
        side = (join.side or "").upper()
        kind = (join.kind or "").upper()
        if side in ("LEFT", "FULL") and src.cols is not None:
            src.cols = [Col(c.name, c.type, True if c.nullable is not None else None) for c in src.cols]
        if side in ("RIGHT", "FULL"):
            for s in scope.sources:
                if s.cols is not None:
                    s.cols = [Col(c.name, c.type, True if c.nullable is not None else None) for c in s.cols]
        using = join.args.get("using")
        left_sources = list(scope.sources)
        scope.sources.append(src)
        if using:
            for ident in using:
                name = _identifier(ident)
                lefts = [(s, c) for s in left_sources if s.cols is not None
                         for c in s.cols if _key(c.name) == _key(name)]
                rights = [c for c in (src.cols or []) if _key(c.name) == _key(name)]
                if src.cols is not None and not rights:
                    self.error(f"USING column '{name}' is not a column of '{src.alias}'", ident)
                    continue
                if not lefts and all(s.cols is not None for s in left_sources):
                    self.error(f"USING column '{name}' is not a column of the left side of the join", ident)
                    continue
                left = lefts[0][1] if lefts else None
                right = rights[0] if rights else None
                types = [c.type for c in (left, right) if c is not None]
                t = types[0] if len(types) == 1 else st.wider(*types) if types else None
                if side == "FULL":
                    nullable = _all_nullable([c.nullable for c in (left, right) if c is not None])
                elif side == "RIGHT":
                    nullable = right.nullable if right else None
                else:
                    nullable = left.nullable if left else None
                if side == "RIGHT" and right is not None:
                    t = right.type if left is None else t
                scope.merged[_key(name)] = Col(left.name if left else name, t, nullable)
        on = join.args.get("on")
        if on is not None:
            ctx = _Ctx(clause="JOIN ON")
            self.expr(on, scope, ctx)
        if kind in ("SEMI", "ANTI"):  # the right side is visible in ON only
            src.hidden = True

    def lateral_view(self, lateral: exp.Lateral, scope: Scope) -> None:
        fn = lateral.this
        alias = lateral.args.get("alias")
        name = _identifier(alias.this) if alias is not None and alias.this else ""
        cols = self.generator_columns(fn, scope, _Ctx()) if isinstance(fn, exp.Func) else None
        if cols is not None and alias is not None and alias.columns:
            names = [c.name for c in alias.columns]
            if len(names) != len(cols):
                self.error(f"LATERAL VIEW {func_name(fn)} produces {len(cols)} column"
                           f"{'s' if len(cols) != 1 else ''}, but {len(names)} alias"
                           f"{'es are' if len(names) != 1 else ' is'} given", alias)
                cols = None
            else:
                cols = [Col(n, c.type, c.nullable) for n, c in zip(names, cols, strict=True)]
        if cols is not None and lateral.args.get("outer"):
            cols = [Col(c.name, c.type, True if c.nullable is not None else None) for c in cols]
        scope.sources.append(Source(name, cols))

    def generator_columns(self, fn: exp.Func, scope: Scope, ctx: _Ctx) -> list[Col] | None:
        name = func_name(fn)
        args = _call_args(fn)
        typed = [self.expr(a, scope, ctx) for a in args]
        self.check_call(fn, name, len(args))
        outer = name.endswith("_outer") or bool(fn.args.get("outer"))
        base = name.removesuffix("_outer")
        arg = typed[0] if typed else UNKNOWN
        cols: list[Col] | None = None
        if base in ("explode", "posexplode"):
            element = st.array_element(arg.type)
            kv = st.map_types(arg.type)
            if element is not None:
                cols = [Col("col", element, True)]
            elif kv is not None:
                cols = [Col("key", kv[0], False), Col("value", kv[1], True)]
            elif arg.type is None:
                return None
            else:
                self.error(f"{name}() needs an array or a map, got {arg.type}", args[0] if args else fn)
                return None
            if base == "posexplode":
                cols.insert(0, Col("pos", "int", False))
        elif base == "inline":
            element = st.array_element(arg.type)
            fields = st.struct_fields(element)
            if fields is None:
                if arg.type is not None and element is None:
                    self.error(f"inline() needs an array of structs, got {arg.type}", args[0] if args else fn)
                return None
            cols = [Col(n, t, True) for n, t in fields]
        else:
            return None
        if outer:
            cols = [Col(c.name, c.type, True) for c in cols]
        return cols

    # -- SELECT --------------------------------------------------------------------------------------------
    def select(self, select: exp.Select, outer: Scope | None, ctes: dict[str, list[Col] | None]
               ) -> list[Col] | None:
        scope = Scope(outer=outer)
        self.from_clause(select, scope, ctes)
        where = select.args.get("where")
        if where is not None:
            self.expr(where.this, scope, _Ctx(clause="WHERE"))

        windows = {_key(w.alias_or_name): w for w in select.args.get("windows") or []}
        items = select.expressions
        group = select.args.get("group")
        having = select.args.get("having")
        # output columns, in order; stars expanded
        outputs: list[Col] = []
        unknown_output = False
        item_types: list[tuple[exp.Expr, Typed]] = []
        ctx = _Ctx(clause="SELECT", windows=windows, ctes=ctes)
        for item in items:
            star = _star_of(item)
            if star is not None:
                expanded = self.expand_star(star, scope)
                if expanded is None:
                    unknown_output = True
                    continue
                for c in expanded:
                    outputs.append(Col(c.name, c.type, c.nullable, item))
                continue
            typed = self.expr(item, scope, ctx)
            item_types.append((item, typed))
            name = _output_name(item)
            col = Col(name, typed.type, typed.nullable, item)
            outputs.append(col)
            if isinstance(item, exp.Alias):
                scope.aliases.setdefault(_key(name), col)
            if isinstance(item.unalias(), exp.Func) and func_name(item.unalias()) in GENERATORS:
                gen_cols = self.generator_columns(item.unalias(), scope, _Ctx(clause="SELECT"))
                outputs.pop()
                if gen_cols is None:
                    unknown_output = True
                else:
                    alias_names = _alias_names(item)
                    if alias_names and len(alias_names) == len(gen_cols):
                        gen_cols = [Col(n, c.type, c.nullable) for n, c in zip(alias_names, gen_cols, strict=True)]
                    outputs.extend(Col(c.name, c.type, c.nullable, item) for c in gen_cols)
        generators = [i for i in items if isinstance(i.unalias(), exp.Func) and func_name(i.unalias()) in GENERATORS]
        if len(generators) > 1:
            self.error("only one generator (explode, posexplode, inline, stack…) is allowed per SELECT",
                       generators[1], hint="use LATERAL VIEW for the second one")

        # grouping
        aggregated = bool(group) or any(_has_aggregate(e, self.aggregates) for e in items) or \
            (having is not None and _has_aggregate(having.this, self.aggregates))
        keys: list[str] | None = None
        if aggregated:
            before = len(self.diagnostics)
            keys = self.group_keys(group, items, scope) if group else []
            if len(self.diagnostics) > before:
                keys = None  # a broken GROUP BY: do not blame the select list for it
            for item, _typed in item_types:
                self.check_grouped(item.unalias(), keys, scope, item)
            for item in items if keys is not None else []:
                if _star_of(item) is not None and scope.sources:
                    self.error("'*' cannot be used in an aggregate query", item,
                               hint="list the grouped columns instead")
        if having is not None:
            having_scope = scope
            self.expr(having.this, having_scope, _Ctx(clause="HAVING", allow_aggregate=True, windows=windows))
            if aggregated and keys is not None:
                self.check_grouped(having.this, keys, scope, having.this, aliases=True)
        qualify = select.args.get("qualify")
        if qualify is not None:
            self.expr(qualify.this, scope, _Ctx(clause="QUALIFY", windows=windows))
        order = select.args.get("order")
        if order is not None:
            for ordered in order.expressions:
                target = ordered.this
                if isinstance(target, exp.Literal) and not target.is_string:
                    n = int(target.name) if target.name.isdigit() else 0
                    if not 1 <= n <= len(outputs) and not unknown_output:
                        self.error(f"ORDER BY position {target.name} is not in the select list (1 to "
                                   f"{len(outputs)})", target)
                    continue
                self.expr(target, scope, _Ctx(clause="ORDER BY", allow_aggregate=True, windows=windows,
                                              prefer_aliases=True))
                if aggregated and keys is not None and not _refers_to_alias(target, scope):
                    self.check_grouped(target, keys, scope, target, aliases=True)
        if unknown_output:
            return None
        if group is not None and (group.args.get("rollup") or group.args.get("cube") or any(
                isinstance(e, (exp.GroupingSets, exp.Rollup, exp.Cube)) for e in group.expressions)):
            # grouping sets: the grouping columns are NULL in the rows of the sets that leave them out
            outputs = [Col(c.name, c.type, True if not _has_aggregate(c.node.unalias(), self.aggregates) else c.nullable, c.node)
                       if c.node is not None else c for c in outputs]
        return outputs

    def expand_star(self, star: exp.Expr, scope: Scope) -> list[Col] | None:
        qualifier = star.table if isinstance(star, exp.Column) else ""
        if qualifier:
            src = self.find_source(qualifier, scope)
            if src is not None:
                return src.cols
            # struct.* — a struct column's fields
            col = self.resolve_name([qualifier], star, scope, report=False)
            if col is not None:
                fields = st.struct_fields(col.type)
                if fields is not None:
                    return [Col(n, t, True) for n, t in fields]
                if col.type is not None:
                    self.error(f"'{qualifier}.*': '{qualifier}' is a {col.type}, not a struct or a table", star)
                return None
            self.error(f"unknown table or alias '{qualifier}' in '{qualifier}.*'", star,
                       hint=_did_you_mean(qualifier, [s.alias for s in scope.sources]))
            return None
        if not scope.sources:
            self.error("SELECT * needs a FROM clause", star)
            return None
        out: list[Col] = []
        seen_merged: set[str] = set()
        if scope.merged:
            for name, col in scope.merged.items():
                out.append(Col(col.name, col.type, col.nullable))
                seen_merged.add(name)
        for src in scope.sources:
            if src.hidden:
                continue
            if src.cols is None:
                return None
            out.extend(Col(c.name, c.type, c.nullable) for c in src.cols if _key(c.name) not in seen_merged)
        return out

    def group_keys(self, group: exp.Group | None, items: Sequence[exp.Expr], scope: Scope
                   ) -> list[str] | None:
        """Canonical forms of the grouping expressions; None for GROUP BY ALL / unknown."""
        if group is None:
            return []
        if group.args.get("all"):
            return [self.canon(i.unalias(), scope) for i in items if not _has_aggregate(i, self.aggregates)]
        exprs: list[exp.Expr] = []
        for e in group.expressions:
            if isinstance(e, (exp.GroupingSets, exp.Rollup, exp.Cube)):
                for part in e.expressions:
                    inner = part.this if isinstance(part, exp.Paren) else part
                    exprs.extend(inner.expressions if isinstance(inner, exp.Tuple) else [inner])
            else:
                exprs.append(e)
        keys = []
        ctx = _Ctx(clause="GROUP BY")
        for e in exprs:
            if isinstance(e, exp.Literal) and not e.is_string and e.name.isdigit():
                n = int(e.name)
                if 1 <= n <= len(items):
                    target = items[n - 1].unalias()
                    if _has_aggregate(target, self.aggregates):
                        self.error(f"GROUP BY position {n} refers to an aggregate function", e)
                    keys.append(self.canon(target, scope))
                else:
                    self.error(f"GROUP BY position {n} is not in the select list (1 to {len(items)})", e)
                continue
            if isinstance(e, exp.Column) and not e.table:
                # GROUP BY a select alias (spark.sql.groupByAliases), unless it is an input column
                name = _key(e.name)
                if self.resolve_name([e.name], e, scope, report=False) is None:
                    for item in items:
                        if isinstance(item, exp.Alias) and _key(item.alias) == name:
                            keys.append(self.canon(item.this, scope))
                            break
                    else:
                        self.expr(e, scope, ctx)
                    continue
            self.expr(e, scope, ctx)
            keys.append(self.canon(e, scope))
        return keys

    def canon(self, e: exp.Expr, scope: Scope) -> str:
        """A canonical form of an expression for matching against GROUP BY keys."""
        def transform(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                parts = _parts(node)
                where = self.locate_name(parts, scope)
                if where is not None:
                    return exp.column(where[1], table=where[0])
                return exp.column(".".join(p.lower() for p in parts))
            if isinstance(node, exp.Identifier):
                return exp.to_identifier(node.name.lower())
            return node
        try:
            return e.copy().transform(transform).sql(dialect="spark", normalize=True).lower()
        except Exception:  # noqa: BLE001 — canonical forms are best effort
            return e.sql().lower()

    def locate_name(self, parts: list[str], scope: Scope) -> tuple[str, str] | None:
        """(source alias, column) a column reference resolves to, without reporting."""
        if len(parts) >= 2:
            src = self.find_source(parts[0], scope)
            if src is not None:
                return (_key(src.alias), _key(parts[1]))
        name = _key(parts[0])
        if name in scope.merged:
            return ("", name)
        for src in scope.sources:
            if src.cols is not None and any(_key(c.name) == name for c in src.cols):
                return (_key(src.alias), name)
        return None

    def check_grouped(self, e: exp.Expr, keys: list[str] | None, scope: Scope, item: exp.Expr,
                      *, aliases: bool = False) -> None:
        if keys is None:
            return
        if self.canon(e, scope) in keys:
            return
        if isinstance(e, (exp.Literal, exp.Null, exp.Boolean, exp.Star, exp.Placeholder)):
            return
        if isinstance(e, exp.AggFunc) or (isinstance(e, exp.Func) and func_name(e) in self.aggregates) or \
                isinstance(e, exp.Filter) and _is_aggregate(e.this, self.aggregates):
            return
        if isinstance(e, exp.Window):
            for part in (e.args.get("partition_by") or []):
                self.check_grouped(part, keys, scope, item, aliases=aliases)
            order = e.args.get("order")
            if order is not None:
                for o in order.expressions:
                    self.check_grouped(o.this, keys, scope, item, aliases=aliases)
            inner = e.this
            if not _is_aggregate(inner, self.aggregates):
                for arg in _call_args(inner) if isinstance(inner, exp.Func) else []:
                    self.check_grouped(arg, keys, scope, item, aliases=aliases)
            return
        if isinstance(e, (exp.Subquery, exp.Exists)):
            return
        if isinstance(e, exp.Lambda):
            return
        if isinstance(e, exp.Anonymous) and self.functions is not None and \
                self.functions.lookup(func_name(e)) is None:
            return  # an unknown function is reported as such; whether it aggregates cannot be known
        if isinstance(e, exp.Column):
            if isinstance(e.this, exp.Star):
                return
            parts = _parts(e)
            if aliases and len(parts) == 1 and _key(parts[0]) in scope.aliases and \
                    self.locate_name(parts, scope) is None:
                return
            if self.locate_name(parts, scope) is None:
                # an outer (correlated) reference, a struct field of a grouped column, or an unknown name
                if len(parts) > 1 and self.canon(exp.column(parts[0]), scope) in keys:
                    return
                if len(parts) > 1 and self.locate_name(parts[:1], scope) is not None and \
                        self.canon(exp.column(parts[0]), scope) in keys:
                    return
                return
            if len(parts) > 1 and self.find_source(parts[0], scope) is None and \
                    self.canon(exp.column(parts[0]), scope) in keys:
                return
            shown = ".".join(parts)
            self.error(f"column '{shown}' must be in GROUP BY or inside an aggregate function", e,
                       hint=f"add {shown} to GROUP BY, or wrap it in an aggregate such as first({shown}) or "
                            f"max({shown})")
            return
        if isinstance(e, (exp.Dot, exp.Bracket)) and self.canon(e.this, scope) in keys:
            return
        for child in e.iter_expressions():
            if isinstance(child, (exp.DataType, exp.Var)):
                continue
            self.check_grouped(child, keys, scope, item, aliases=aliases)

    # -- names ---------------------------------------------------------------------------------------------
    def find_source(self, alias: str, scope: Scope | None) -> Source | None:
        while scope is not None:
            for src in scope.sources:
                if src.alias and _key(src.alias) == _key(alias):
                    return src
            scope = scope.outer
        return None

    def resolve_name(self, parts: list[str], node: exp.Expr, scope: Scope, *, report: bool = True,
                     prefer_aliases: bool = False) -> Col | None:
        """Resolve a (possibly qualified, possibly struct-field) column reference through the scopes.

        Returns the column (with its type) or None (after reporting, when ``report``)."""
        current: Scope | None = scope
        first = parts[0]
        while current is not None:
            if _key(first) in current.lambdas:
                return self.fields(current.lambdas[_key(first)], parts[1:], node, report)
            # qualified by a table's full name (no alias): lake.silver.orders.id
            for src in current.sources:
                if src.full_name and len(parts) > 2:
                    prefix = src.full_name.lower().split(".")
                    if [p.lower() for p in parts[:len(prefix)]] == prefix and len(parts) > len(prefix):
                        return self.resolve_name([src.alias, *parts[len(prefix):]], node, current, report=report)
            if prefer_aliases and len(parts) == 1 and _key(first) in current.aliases:
                return current.aliases[_key(first)]
            # qualified by a source alias
            if len(parts) >= 2:
                qualifier = next((s for s in current.sources if s.alias and _key(s.alias) == _key(first)
                                  and not s.hidden), None)
                if qualifier is not None:
                    src = qualifier
                    if src.cols is None:
                        return Col(parts[1])
                    col = next((c for c in src.cols if _key(c.name) == _key(parts[1])), None)
                    if col is None:
                        if report:
                            self.error(f"unknown column '{parts[1]}' in '{src.alias}'", node,
                                       hint=_did_you_mean(parts[1], [c.name for c in src.cols]) or
                                       f"'{src.alias}' has columns {_list(c.name for c in src.cols)}")
                        return None
                    return self.fields(col, parts[2:], node, report)
            # an unqualified column (or a struct column with fields)
            name = _key(first)
            if name in current.merged:
                return self.fields(current.merged[name], parts[1:], node, report)
            matches = [(s, c) for s in current.sources if s.cols is not None and not s.hidden for c in s.cols
                       if _key(c.name) == name]
            if len(matches) > 1:
                if report:
                    cands = ", ".join(f"{s.alias}.{c.name}" if s.alias else c.name for s, c in matches)
                    self.error(f"ambiguous column '{first}': it could be {cands}", node,
                               hint="qualify it with the input's alias")
                return None
            if matches:
                return self.fields(matches[0][1], parts[1:], node, report)
            if any(s.cols is None for s in current.sources):
                return Col(parts[-1])  # an unknown input may hold it
            if len(parts) == 1 and _key(first) in current.aliases:  # lateral column alias / HAVING alias
                return current.aliases[_key(first)]
            current = current.outer
        if report:
            names = self.visible_names(scope)
            if len(parts) >= 2 and all(s.cols is not None for s in scope.sources):
                self.error(f"unknown table or alias '{parts[0]}'" if len(parts) == 2 else
                           f"unknown column '{'.'.join(parts)}'", node,
                           hint=_did_you_mean(parts[0], [s.alias for s in scope.sources] + names))
            else:
                self.error(f"unknown column '{'.'.join(parts)}'", node,
                           hint=_did_you_mean(parts[-1] if len(parts) == 1 else parts[0], names) or
                           (f"the inputs have columns {_list(names)}" if names else None))
        return None

    def visible_names(self, scope: Scope) -> list[str]:
        names: list[str] = []
        for src in scope.sources:
            names.extend(c.name for c in src.cols or [])
        return names

    def fields(self, col: Col, fields: list[str], node: exp.Expr, report: bool) -> Col | None:
        current = col
        for f in fields:
            element = st.array_element(current.type)
            if element is not None and st.struct_fields(element) is not None:
                # arr.field on an array of structs: the array of that field's values
                inner = self.fields(Col(current.name, element, True), [f], node, report)
                if inner is None:
                    return None
                current = Col(inner.name, f"array<{inner.type}>" if inner.type else None, current.nullable)
                continue
            sf = st.struct_fields(current.type)
            if sf is None:
                if current.type is None:
                    return Col(f)
                if report:
                    self.error(f"'{current.name}' is a {current.type}, it has no field '{f}'", node)
                return None
            match = next(((n, t) for n, t in sf if _key(n) == _key(f)), None)
            if match is None:
                if report:
                    self.error(f"struct '{current.name}' has no field '{f}'", node,
                               hint=_did_you_mean(f, [n for n, _ in sf]) or f"its fields are {_list(n for n, _ in sf)}")
                return None
            current = Col(match[0], match[1], True if current.nullable is not None else None)
        return current

    # -- expressions ---------------------------------------------------------------------------------------
    def expr(self, e: exp.Expr, scope: Scope, ctx: _Ctx) -> Typed:
        try:
            return self._expr(e, scope, ctx)
        except RecursionError:  # pragma: no cover
            return UNKNOWN

    def _children(self, e: exp.Expr, scope: Scope, ctx: _Ctx) -> list[Typed]:
        return [self.expr(c, scope, ctx) for c in e.iter_expressions()
                if not isinstance(c, (exp.DataType, exp.Var, exp.Identifier))]

    def _expr(self, e: exp.Expr, scope: Scope, ctx: _Ctx) -> Typed:
        if isinstance(e, exp.Alias):
            return self.expr(e.this, scope, ctx)
        if isinstance(e, exp.Paren):
            return self.expr(e.this, scope, ctx)
        if isinstance(e, exp.Column):
            if isinstance(e.this, exp.Star):
                return UNKNOWN
            col = self.resolve_name(_parts(e), e, scope, prefer_aliases=ctx.prefer_aliases)
            return Typed(col.type, col.nullable) if col is not None else UNKNOWN
        if isinstance(e, exp.Identifier):  # lambda variables appear as bare identifiers
            col = scope.lambdas.get(_key(e.name)) if scope.lambdas else None
            if col is None:
                found = self.resolve_name([e.name], e, scope, report=False)
                return Typed(found.type, found.nullable) if found else UNKNOWN
            return Typed(col.type, col.nullable)
        if isinstance(e, exp.Literal):
            return _literal(e)
        if isinstance(e, exp.Null):
            return Typed("void", True)
        if isinstance(e, exp.Boolean):
            return Typed("boolean", False)
        if isinstance(e, exp.Star):
            return UNKNOWN
        if isinstance(e, (exp.Cast, exp.TryCast)):
            inner = self.expr(e.this, scope, ctx)
            to = _datatype(e.to)
            if to is None:
                return UNKNOWN
            from sqlingest.validate.functions import NAME_KEY

            written = str(e.meta.get(NAME_KEY, "")).lower()
            if written and written not in ("cast", "try_cast"):  # to_timestamp(s), int(x): a function sqlglot casts
                if written in _ALWAYS_NULLABLE:
                    return Typed(to, True)
                force = st.cast_forces_null(inner.type, to)
                return Typed(to, None if inner.nullable is None or force is None else inner.nullable or force)
            typed_literal = isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal) and e.this.is_string
            if typed_literal:
                return Typed(to, False)
            if isinstance(e, exp.TryCast) and e.args.get("safe"):
                return Typed(to, True)
            force = st.cast_forces_null(inner.type, to)
            if inner.nullable is None or force is None:
                return Typed(to, None)
            return Typed(to, inner.nullable or force)
        if isinstance(e, exp.Subquery):
            cols = self.query(e.this, scope, ctx.ctes)
            if cols is not None and len(cols) != 1:
                self.error(f"a scalar subquery must return one column, this one returns {len(cols)}", e)
                return UNKNOWN
            return Typed(cols[0].type, True) if cols else UNKNOWN
        if isinstance(e, exp.Exists) and isinstance(e.this, (exp.Query, exp.Subquery)):
            self.query(e.this, scope, ctx.ctes)
            return Typed("boolean", False)
        if isinstance(e, exp.In):
            value = self.expr(e.this, scope, ctx)
            query = e.args.get("query")
            nullables = [value.nullable]
            if query is not None:
                cols = self.query(query.this if isinstance(query, exp.Subquery) else query, scope, ctx.ctes)
                nullables.extend(c.nullable for c in cols or [Col("", None, None)])
            for item in e.expressions:
                nullables.append(self.expr(item, scope, ctx).nullable)
            return Typed("boolean", _any_nullable(nullables))
        if isinstance(e, exp.Window):
            return self.window(e, scope, ctx)
        if isinstance(e, exp.Filter):  # agg(...) FILTER (WHERE ...)
            inner = self.expr(e.this, scope, ctx)
            cond = e.args.get("expression")
            if cond is not None:
                self.expr(cond.this if isinstance(cond, exp.Where) else cond, scope, _Ctx(clause="FILTER"))
            return inner
        if isinstance(e, exp.Lambda):
            return UNKNOWN
        if isinstance(e, exp.Case):
            return self.case(e, scope, ctx)
        if isinstance(e, exp.If):
            cond = self.expr(e.this, scope, ctx)
            del cond
            yes = self.expr(e.args["true"], scope, ctx)
            no = self.expr(e.args["false"], scope, ctx) if e.args.get("false") is not None else Typed("void", True)
            self.check_call(e, "if", 3 if e.args.get("false") is not None else 2)
            return Typed(st.wider(yes.type, no.type), _any_nullable([yes.nullable, no.nullable]))
        if isinstance(e, exp.Coalesce):
            args = _call_args(e)
            name = func_name(e)
            self.check_call(e, name, len(args))
            typed = [self.expr(a, scope, ctx) for a in args]
            common = typed[0].type if typed else None
            for other in typed[1:]:
                common = st.wider(common, other.type)
            if name == "nvl2" or name == "nullif":
                return Typed(common, None)
            return Typed(common, _all_nullable([x.nullable for x in typed]))
        if isinstance(e, exp.Bracket):
            return self.bracket(e, scope, ctx)
        if isinstance(e, exp.Struct):
            fields: list[tuple[str, str | None]] = []
            for i, part in enumerate(e.expressions):
                if isinstance(part, exp.PropertyEQ):
                    fields.append((part.this.name, self.expr(part.expression, scope, ctx).type))
                else:
                    value = part.this if isinstance(part, exp.Alias) else part
                    fname = part.alias if isinstance(part, exp.Alias) else \
                        part.name if isinstance(part, exp.Column) else f"col{i + 1}"
                    fields.append((fname, self.expr(value, scope, ctx).type))
            return Typed(st.struct_of(fields), False)
        if isinstance(e, exp.VarMap):
            keys = [self.expr(k, scope, ctx) for k in e.args["keys"].expressions]
            values = [self.expr(v, scope, ctx) for v in e.args["values"].expressions]
            kt = keys[0].type if keys else None
            vt = values[0].type if values else None
            for k in keys[1:]:
                kt = st.wider(kt, k.type)
            for v in values[1:]:
                vt = st.wider(vt, v.type)
            return Typed(f"map<{kt},{vt}>" if kt and vt else None, False)
        if isinstance(e, exp.Dot) and isinstance(e.this, exp.Struct):
            # a field of a struct built here: its value's type and nullability
            self.expr(e.this, scope, ctx)
            for part in e.this.expressions:
                if isinstance(part, exp.PropertyEQ) and _key(part.this.name) == _key(e.name):
                    return self.expr(part.expression, scope, ctx)
            return UNKNOWN
        if isinstance(e, exp.Dot):
            base = self.expr(e.this, scope, ctx)
            field_name = e.name
            col = self.fields(Col(e.this.sql(), base.type, base.nullable), [field_name], e, True) \
                if base.type is not None else None
            return Typed(col.type, col.nullable) if col is not None else UNKNOWN
        if isinstance(e, _BOOLEAN):
            kids = self._children(e, scope, ctx)
            if isinstance(e, (exp.Is,)):
                return Typed("boolean", False)
            if isinstance(e, exp.NullSafeEQ):
                return Typed("boolean", False)
            if isinstance(e, exp.Like) and e.args.get("escape") is not None:
                pass
            return Typed("boolean", _any_nullable([k.nullable for k in kids]))
        if isinstance(e, exp.Binary) and type(e) in _ARITH:
            a = self.expr(e.left, scope, ctx)
            b = self.expr(e.right, scope, ctx)
            op = _ARITH[type(e)]
            result = st.arithmetic(op, a.type, b.type, lit_a=_int_literal(e.left), lit_b=_int_literal(e.right))
            nullable = _any_nullable([a.nullable, b.nullable])
            if op in "/%" or (result is not None and st.decimal(result) is not None):
                nullable = True if result is not None else None
            return Typed(result, nullable)
        if isinstance(e, exp.IntDiv):
            a, b = self.expr(e.left, scope, ctx), self.expr(e.right, scope, ctx)
            return Typed("bigint", True)
        if isinstance(e, exp.Neg):
            inner = self.expr(e.this, scope, ctx)
            return inner if st.is_numeric(inner.type) else Typed(None, inner.nullable)
        if isinstance(e, exp.DPipe):
            kids = [self.expr(e.left, scope, ctx), self.expr(e.right, scope, ctx)]
            types = {k.type for k in kids}
            joined: str | None = "string"
            if None in types:
                joined = "string" if "string" in types else None
            elif all(x is not None and x.startswith("array<") for x in types):
                joined = None
            elif types == {"binary"}:
                joined = "binary"
            return Typed(joined, _any_nullable([k.nullable for k in kids]))
        if isinstance(e, (exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor)):
            a, b = self.expr(e.left, scope, ctx), self.expr(e.right, scope, ctx)
            return Typed(st.tightest(a.type, b.type) if a.type in st.INTEGRAL else None,
                         _any_nullable([a.nullable, b.nullable]))
        if isinstance(e, exp.Interval):
            return UNKNOWN
        if isinstance(e, (exp.Tuple, exp.Array)) and not isinstance(e, exp.Func):
            self._children(e, scope, ctx)
            return UNKNOWN
        if isinstance(e, exp.Func):
            return self.function(e, scope, ctx)
        self._children(e, scope, ctx)
        return UNKNOWN

    def case(self, e: exp.Case, scope: Scope, ctx: _Ctx) -> Typed:
        if e.this is not None:
            self.expr(e.this, scope, ctx)
        results: list[Typed] = []
        for when in e.args.get("ifs") or []:
            self.expr(when.this, scope, ctx)
            results.append(self.expr(when.args["true"], scope, ctx))
        default = e.args.get("default")
        results.append(self.expr(default, scope, ctx) if default is not None else Typed("void", True))
        t = results[0].type
        for other in results[1:]:
            t = st.wider(t, other.type)
        return Typed(t, _any_nullable([r.nullable for r in results]))

    def bracket(self, e: exp.Bracket, scope: Scope, ctx: _Ctx) -> Typed:
        base = self.expr(e.this, scope, ctx)
        for k in e.expressions:
            self.expr(k, scope, ctx)
        element = st.array_element(base.type)
        if element is not None:
            return Typed(element, True)
        kv = st.map_types(base.type)
        if kv is not None:
            return Typed(kv[1], True)
        fields = st.struct_fields(base.type)
        if fields is not None and e.expressions and isinstance(e.expressions[0], exp.Literal):
            name = e.expressions[0].name
            match = next((t for n, t in fields if _key(n) == _key(name)), None)
            return Typed(match, True) if match else UNKNOWN
        return UNKNOWN

    def window(self, e: exp.Window, scope: Scope, ctx: _Ctx) -> Typed:
        if ctx.clause in ("WHERE", "GROUP BY", "JOIN ON", "HAVING"):
            self.error(f"window functions are not allowed in {ctx.clause}", e,
                       hint="compute it in a subquery or CTE and filter on the result")
        spec = e.args.get("alias")
        if isinstance(spec, exp.Identifier) or (spec is not None and not isinstance(spec, exp.Expr)):
            pass
        named = e.args.get("alias")
        if named is not None and isinstance(named, exp.Identifier) and ctx.windows is not None and \
                _key(named.name) not in ctx.windows:
            self.error(f"unknown window '{named.name}'", named,
                       hint=_did_you_mean(named.name, list(ctx.windows)) or f"define it with WINDOW {named.name} "
                                                                            "AS (...)")
        inner_ctx = _Ctx(clause="SELECT", allow_aggregate=ctx.allow_aggregate, windows=ctx.windows, in_window=True,
                         ctes=ctx.ctes)
        for part in e.args.get("partition_by") or []:
            self.expr(part, scope, _Ctx(clause="SELECT", windows=ctx.windows, ctes=ctx.ctes))
        order = e.args.get("order")
        if order is not None:
            for o in order.expressions:
                self.expr(o.this, scope, _Ctx(clause="SELECT", windows=ctx.windows, ctes=ctx.ctes))
        inner = e.this
        if isinstance(inner, exp.Func):
            return self.function(inner, scope, inner_ctx, windowed=True)
        return self.expr(inner, scope, inner_ctx)

    def check_call(self, node: exp.Expr, name: str, nargs: int) -> bool:
        registry = self.functions
        if registry is None:
            return True
        try:
            from sqlingest.validate.functions import NAME_KEY, NARGS_KEY, argument_count

            if NAME_KEY not in node.meta and not isinstance(node, exp.Anonymous):
                return True  # a node sqlglot made up (not a call the user wrote)
            counted = argument_count(node) if NARGS_KEY in node.meta or isinstance(node, exp.Anonymous) else None
            message = registry.check_call(name, counted)
        except Exception:  # noqa: BLE001 — a registry problem must never become a user error
            return True
        if message:
            hint = None
            if registry.lookup(name) is None:
                close = registry.suggest(name)
                hint = f"did you mean '{close}'?" if close else "declare project functions under functions: in " \
                                                             "sqlingest.yml"
            self.error(message, node, hint=hint)
            return False
        return True

    def function(self, e: exp.Func, scope: Scope, ctx: _Ctx, *, windowed: bool = False) -> Typed:
        name = func_name(e)
        args = _call_args(e)
        aggregate = name in self.aggregates or isinstance(e, exp.AggFunc)
        if aggregate and not windowed:
            if ctx.clause in ("WHERE", "GROUP BY", "JOIN ON"):
                self.error(f"aggregate functions are not allowed in {ctx.clause} ({name})", e,
                           hint="filter on aggregates with HAVING" if ctx.clause == "WHERE" else None)
            elif ctx.in_aggregate:
                self.error(f"cannot nest aggregate function {name}() inside another aggregate function", e,
                           hint="aggregate in a subquery or CTE first")
        if name in WINDOW_ONLY and not windowed:
            self.error(f"{name}() is a window function and needs an OVER clause", e,
                       hint=f"{name}(...) OVER (PARTITION BY ... ORDER BY ...)")
        if name in GENERATORS and ctx.clause != "SELECT" and not ctx.in_window:
            self.error(f"generator {name}() is not allowed in {ctx.clause}", e,
                       hint="use it in the SELECT list or in LATERAL VIEW")
        self.check_call(e, name, len(args))
        lambdas = [a for a in args if isinstance(a, exp.Lambda)]
        arg_ctx = _Ctx(clause=ctx.clause, allow_aggregate=ctx.allow_aggregate, windows=ctx.windows,
                       in_aggregate=ctx.in_aggregate or (aggregate and not windowed) or
                       (aggregate and windowed and False), in_window=ctx.in_window, ctes=ctx.ctes)
        if aggregate and windowed:
            arg_ctx.in_aggregate = True
        if aggregate and not windowed:
            arg_ctx.in_aggregate = True
        typed: list[Typed] = []
        args = [_unwrap_synthetic(a) for a in args]
        for a in args:
            if isinstance(a, exp.Lambda):
                typed.append(UNKNOWN)
                continue
            if isinstance(a, exp.Star):
                typed.append(Typed("int", False))
                continue
            if isinstance(a, exp.Distinct):
                typed.extend(self.expr(x, scope, arg_ctx) for x in a.expressions)
                continue
            typed.append(self.expr(a, scope, arg_ctx))
        if lambdas:
            return self.higher_order(e, name, args, typed, scope, arg_ctx)
        return self.function_type(e, name, typed)

    def higher_order(self, e: exp.Func, name: str, args: list[exp.Expr], typed: list[Typed], scope: Scope,
                     ctx: _Ctx) -> Typed:
        def run(lam: exp.Lambda, types: list[Col]) -> Typed:
            inner = Scope(sources=scope.sources, outer=scope.outer, aliases=scope.aliases,
                          lambdas={**scope.lambdas}, merged=scope.merged)
            for ident, col in zip(lam.expressions, types, strict=False):
                inner.lambdas[_key(ident.name)] = col
            return self.expr(lam.this, inner, ctx)

        arr = typed[0] if typed else UNKNOWN
        element = st.array_element(arr.type)
        el = Col("x", element, True if element is not None else None)
        lam = next((a for a in args if isinstance(a, exp.Lambda)), None)
        if lam is None:
            return UNKNOWN
        if name == "transform":
            body = run(lam, [el, Col("i", "int", False)])
            return Typed(f"array<{body.type}>" if body.type else None, arr.nullable)
        if name in ("filter", "array_sort"):
            run(lam, [el, Col("i", "int", False)] if name == "filter" else [el, el])
            return Typed(arr.type, arr.nullable)
        if name in ("exists", "forall"):
            run(lam, [el])
            return Typed("boolean", None)
        if name in ("aggregate", "reduce"):
            lams = [a for a in args if isinstance(a, exp.Lambda)]
            zero = typed[1] if len(typed) > 1 else UNKNOWN
            acc = Col("acc", zero.type, None)
            merged = run(lams[0], [acc, el])
            result = merged
            if len(lams) > 1:
                result = run(lams[1], [Col("acc", zero.type, None)])
            return Typed(result.type if len(lams) > 1 else zero.type, None)
        if name in ("transform_keys", "transform_values", "map_filter"):
            kv = st.map_types(arr.type)
            k = Col("k", kv[0] if kv else None, False)
            v = Col("v", kv[1] if kv else None, True)
            body = run(lam, [k, v])
            if name == "map_filter":
                return Typed(arr.type, arr.nullable)
            if kv and body.type:
                return Typed(f"map<{body.type},{kv[1]}>" if name == "transform_keys" else f"map<{kv[0]},{body.type}>",
                             arr.nullable)
            return UNKNOWN
        if name == "zip_with":
            other = st.array_element(typed[1].type) if len(typed) > 1 else None
            body = run(lam, [el, Col("y", other, True)])
            return Typed(f"array<{body.type}>" if body.type else None, None)
        for a in args:
            if isinstance(a, exp.Lambda):
                run(a, [el, el])
        return UNKNOWN

    def function_type(self, e: exp.Func, name: str, typed: list[Typed]) -> Typed:
        t0 = typed[0] if typed else UNKNOWN
        nullables = [t.nullable for t in typed]
        if name == "count" or name in ("count_if", "approx_count_distinct"):
            return Typed("bigint", False)
        if name in ("sum", "try_sum"):
            return Typed(st.sum_type(t0.type), True)
        if name in ("avg", "mean", "try_avg"):
            return Typed(st.avg_type(t0.type), True)
        if name in ("min", "max", "first", "last", "any_value", "first_value", "last_value", "nth_value",
                    "lag", "lead", "max_by", "min_by", "mode", "median" if False else "_"):
            t = t0.type
            if name in ("lag", "lead") and len(typed) >= 3:
                t = st.wider(t, typed[2].type)
            return Typed(t, True)
        if name in ("collect_list", "collect_set", "array_agg"):
            return Typed(f"array<{t0.type}>" if t0.type else None, False)
        if name in ("row_number", "rank", "dense_rank", "ntile"):
            return Typed("int", False)
        if name in ("percent_rank", "cume_dist"):
            return Typed("double", False)
        if name in ("stddev", "stddev_samp", "stddev_pop", "std", "variance", "var_samp", "var_pop", "corr",
                    "covar_pop", "covar_samp", "skewness", "kurtosis", "median", "percentile"):
            return Typed("double", True)
        if name in ("bool_and", "bool_or", "every", "some", "any"):
            return Typed("boolean", True)
        if name in ("greatest", "least"):
            t = t0.type
            for other in typed[1:]:
                t = st.wider(t, other.type)
            return Typed(t, _all_nullable(nullables))
        if name in ("nvl", "ifnull"):
            t = st.wider(t0.type, typed[1].type) if len(typed) > 1 else None
            return Typed(t, _all_nullable(nullables))
        if name == "nullif":
            return Typed(t0.type, True)
        if name in ("array",):
            t = t0.type if typed else "void"
            for other in typed[1:]:
                t = st.wider(t, other.type)
            return Typed(f"array<{t}>" if t else None, False)
        if name == "named_struct":
            args = _call_args(e)
            fields: list[tuple[str, str | None]] = []
            for i in range(0, len(args) - 1, 2):
                key = args[i]
                if not (isinstance(key, exp.Literal) and key.is_string):
                    return Typed(None, False)
                fields.append((key.name, typed[i + 1].type))
            return Typed(st.struct_of(fields), False)
        if name == "struct":
            args = _call_args(e)
            fields = []
            for i, (a, at) in enumerate(zip(args, typed, strict=False)):
                fname = a.alias if isinstance(a, exp.Alias) else a.name if isinstance(a, exp.Column) \
                    else f"col{i + 1}"
                fields.append((fname, at.type))
            return Typed(st.struct_of(fields), False)
        if name in ("map",):
            ks = [t.type for t in typed[0::2]]
            vs = [t.type for t in typed[1::2]]
            if not ks:
                return Typed("map<void,void>" if False else None, False)
            k, v = ks[0], vs[0] if vs else None
            for x in ks[1:]:
                k = st.wider(k, x)
            for x in vs[1:]:
                v = st.wider(v, x)
            return Typed(f"map<{k},{v}>" if k and v else None, False)
        if name == "element_at":
            element = st.array_element(t0.type)
            kv = st.map_types(t0.type)
            return Typed(element or (kv[1] if kv else None), True)
        if name in ("size", "cardinality"):
            return Typed("int", False)
        if name in ("current_date",):
            return Typed("date", False)
        if name in ("current_timestamp", "now"):
            return Typed("timestamp", False)
        registry = self.functions
        if registry is None:
            return UNKNOWN
        info = registry.lookup(name)
        if info is None:
            return UNKNOWN
        arg_types = [t.type for t in typed]
        try:
            rtype = registry.return_type(name, arg_types) if None not in arg_types or not arg_types else None
        except Exception:  # noqa: BLE001 — a registry problem must never become a user error
            rtype = None
        if rtype is not None and st.decimal(rtype) is not None and rtype not in arg_types:
            rtype = None  # decimal results depend on precisions and literal values the snapshot only sampled
        if rtype is not None and rtype.startswith("struct<") and info.kind == "generator":
            rtype = None
        rule = info.nullable
        nullable: bool | None = None
        if name in _ALWAYS_NULLABLE:
            rule = "always"
        elif name in _NEVER_NULL:
            rule = "never"
        elif name == "nvl2" and len(nullables) == 3:
            return Typed(rtype, _any_nullable(nullables[1:]))
        if rule == "always":
            nullable = True
        elif rule == "never":
            nullable = False
        elif rule == "args":
            nullable = _any_nullable(nullables) if nullables else False
        return Typed(rtype, nullable)


@dataclass
class _Ctx:
    clause: str = "SELECT"
    allow_aggregate: bool = False
    windows: dict[str, exp.Expr] | None = None
    in_aggregate: bool = False
    in_window: bool = False
    prefer_aliases: bool = False
    ctes: dict[str, list[Col] | None] = field(default_factory=dict)


#: Spark's static nullability where the snapshot's probes (valid, non-null inputs) cannot show it: parsers of
#: strings may return NULL for any input; concat_ws skips NULLs and is never NULL
_ALWAYS_NULLABLE = {"to_timestamp", "to_timestamp_ntz", "to_timestamp_ltz", "to_unix_timestamp", "unix_timestamp",
                    "to_date", "from_json", "get_json_object", "json_tuple", "regexp_extract", "try_cast",
                    "try_to_number", "try_to_timestamp", "try_divide", "try_add", "try_subtract", "try_multiply",
                    "try_element_at", "parse_url", "str_to_map", "from_csv", "schema_of_json", "element_at"}
_NEVER_NULL = {"concat_ws", "current_date", "current_timestamp", "now", "uuid", "rand", "randn",
               "monotonically_increasing_id", "spark_partition_id", "input_file_name", "current_database", "current_user"}

_ARITH: dict[type[exp.Expr], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.Mod: "%"}


def _literal(e: exp.Literal) -> Typed:
    if e.is_string:
        return Typed("string", False)
    text = e.name
    try:
        if text.isdigit():
            value = int(text)
            if value <= 2**31 - 1:
                return Typed("int", False)
            if value <= 2**63 - 1:
                return Typed("bigint", False)
            return Typed(f"decimal({len(text)},0)", False)
        if "e" in text.lower():
            return Typed("double", False)
        if "." in text:
            whole, _, frac = text.partition(".")
            whole = whole.lstrip("0")
            digits = len(whole) + len(frac)
            precision = max(digits, len(frac), 1)
            return Typed(f"decimal({precision},{len(frac)})", False)
    except ValueError:
        pass
    return Typed(None, False)


def _int_literal(e: exp.Expr) -> int | None:
    if isinstance(e, exp.Literal) and not e.is_string and e.name.isdigit():
        return int(e.name)
    return None


def _datatype(dt: exp.DataType | None) -> str | None:
    if dt is None:
        return None
    from sqlingest.validate.types import to_spark

    try:
        if dt.this == exp.DataType.Type.USERDEFINED:
            return None
        return st.normalize(to_spark(dt))
    except Exception:  # noqa: BLE001
        return None


def _parts(col: exp.Column) -> list[str]:
    parts = [p.name for p in (col.args.get("catalog"), col.args.get("db"), col.args.get("table")) if p is not None]
    parts.append(col.name)
    return parts


def _star_of(item: exp.Expr) -> exp.Expr | None:
    if isinstance(item, exp.Star):
        return item
    if isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
        return item
    return None


def _alias_names(item: exp.Expr) -> list[str]:
    if isinstance(item, exp.Aliases):
        return [a.name for a in item.expressions]
    if isinstance(item, exp.Alias):
        return [item.alias]
    return []


def _output_name(item: exp.Expr) -> str:
    """The column name Spark gives a select item (aliases and columns exactly; other expressions best effort)."""
    if isinstance(item, exp.Alias):
        return item.alias
    if isinstance(item, exp.Column):
        return item.name
    if isinstance(item, exp.Dot):
        return item.name
    return spark_auto_name(item)


def spark_auto_name(e: exp.Expr) -> str:
    """Spark's name for an un-aliased expression (``upper(name)``, ``(a + b)``, ``count(1)``), best effort."""
    if isinstance(e, exp.Column):
        return e.name
    if isinstance(e, exp.Literal):
        return e.name
    if isinstance(e, exp.Count) and isinstance(e.this, exp.Star):
        return "count(1)"
    if isinstance(e, exp.Func):
        args = ", ".join(spark_auto_name(a) for a in _call_args(e))
        return f"{func_name(e)}({args})"
    if isinstance(e, exp.Binary) and type(e) in _ARITH:
        return f"({spark_auto_name(e.left)} {_ARITH[type(e)]} {spark_auto_name(e.right)})"
    return e.sql(dialect="spark")


def _call_args(fn: exp.Expr) -> list[exp.Expr]:
    try:
        from sqlingest.validate.functions import call_arguments

        return list(call_arguments(fn))  # type: ignore[arg-type]
    except ImportError:  # pragma: no cover
        pass
    if isinstance(fn, exp.Anonymous):
        return list(fn.expressions)
    args: list[exp.Expr] = []
    for key in fn.arg_types:
        value = fn.args.get(key)
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, list):
            args.extend(v for v in value if isinstance(v, exp.Expr))
        elif isinstance(value, exp.Expr):
            args.append(value)
    return args


#: aggregate function names: the hand list, Spark's registry's aggregates and the project's declared ones
_AGGREGATES_BY_REGISTRY: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


def _aggregates_of(functions: Any) -> frozenset[str]:
    """The aggregate names a registry knows, computed once per registry (a project's models share one)."""
    if functions is None:
        return frozenset(AGGREGATES)
    found = _AGGREGATES_BY_REGISTRY.get(functions)
    if found is None:
        found = _AGGREGATES_BY_REGISTRY[functions] = frozenset(_known_aggregates(functions))
    return found


def _known_aggregates(functions: Any) -> set[str]:
    names = set(AGGREGATES)
    if functions is not None:
        try:
            for name in functions.names():
                info = functions.lookup(name)
                if info is not None and info.kind == "aggregate":
                    names.add(name.lower())
        except Exception:  # noqa: BLE001 — never let a registry problem become a user error
            return names
    return names


def _unwrap_synthetic(node: exp.Expr) -> exp.Expr:
    """An argument as the user wrote it: sqlglot wraps some in conversions of its own (``year(ts)`` →
    ``Year(TsOrDsToDate(ts))``) that have no position and no written name; Spark applies no such function."""
    from sqlingest.validate.functions import NAME_KEY

    while (isinstance(node, exp.Func) and not isinstance(node, (exp.Anonymous, exp.Cast, exp.TryCast))
           and NAME_KEY not in node.meta and "start" not in node.meta
           and isinstance(node.this, exp.Expr) and len([v for v in node.args.values() if v is not None]) == 1):
        node = node.this
    return node


def _is_aggregate(e: exp.Expr | None, names: frozenset[str] | set[str] = frozenset(AGGREGATES)) -> bool:
    if e is None:
        return False
    if isinstance(e, exp.AggFunc):
        return True
    return isinstance(e, exp.Func) and func_name(e) in names


def _has_aggregate(e: exp.Expr, names: frozenset[str] | set[str] = frozenset(AGGREGATES)) -> bool:
    """An aggregate function outside any window and any subquery."""
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, (exp.Subquery, exp.Window, exp.Lambda, exp.Exists)):
            continue
        if node is not e and isinstance(node, exp.Query):
            continue
        if _is_aggregate(node, names):
            return True
        stack.extend(node.iter_expressions())
    return False


def _refers_to_alias(e: exp.Expr, scope: Scope) -> bool:
    return isinstance(e, exp.Column) and not e.table and _key(e.name) in scope.aliases


def _first_select(q: exp.Expr) -> exp.Expr | None:
    while isinstance(q, (exp.SetOperation, exp.Subquery)):
        q = q.left if isinstance(q, exp.SetOperation) else q.this
    if isinstance(q, exp.Select) and q.expressions:
        return q.expressions[0]
    return None


def _any_nullable(values: Iterable[bool | None]) -> bool | None:
    values = list(values)
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


def _all_nullable(values: Iterable[bool | None]) -> bool | None:
    values = list(values)
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    cands = sorted({c for c in candidates if c})
    lower = {c.lower(): c for c in cands}
    close = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
    return f"did you mean '{lower[close[0]]}'?" if close else None


def _list(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:12])
    return shown + (f", … ({len(names)} in all)" if len(names) > 12 else "")


def first_offset(node: exp.Expr | None) -> int | None:
    """The offset in the SQL text of the first token of ``node`` (sqlglot keeps ``start`` on tokens' nodes)."""
    if node is None:
        return None
    best: int | None = None
    for n in node.walk():
        start = n.meta.get("start") if n.meta else None
        if start is None:
            continue
        # identifiers' and functions' start is their own first character; a qualified column starts at its table
        if best is None or start < best:
            best = start
    return best


Callback = Callable[[str], None]
