"""Spark's function registry without a JVM: which functions exist, how many arguments each takes, what it returns.

The built-in part is a checked-in snapshot (``spark_functions.json``) that ``scripts/gen_spark_functions.py`` makes
by probing the pinned Spark's analyzer; project-declared functions (``functions:`` in ``sqlingest.yml``) are added
on top and win over a built-in of the same name. The module also maps a sqlglot function node back to the Spark
name the user wrote (:func:`spark_name`) and to the arguments the user wrote (:func:`call_arguments`).

Return-type rules are small expressions over Spark ``simpleString`` types:

- a type (``bigint``, ``array<int>``): always that type;
- ``argN``: the type of argument N (0-based); ``common``: the wider type of all arguments (``common1``: of all
  but the first);
- ``element(R)`` (an array's element type), ``key(R)`` / ``value(R)`` (a map's), ``array(R)`` around a rule.

Each rule carries the probed argument types Spark typed differently (``exceptions``), which take precedence.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from sqlglot import exp
from sqlglot import tokens as _tokens
from sqlglot.dialects.spark import Spark as _Spark
from sqlglot.errors import TokenError

SNAPSHOT = Path(__file__).with_name("spark_functions.json")

Kind = Literal["scalar", "aggregate", "window", "generator"]
KINDS: tuple[str, ...] = ("scalar", "aggregate", "window", "generator")


from sqlingest.validate import spark_types as _st

# --- Spark simpleString type algebra ---------------------------------------------------------------------------

def element_type(dtype: str | None) -> str | None:
    """``array<int>`` → ``int``; anything else → None."""
    return _st.array_element(dtype)


def map_types(dtype: str | None) -> tuple[str, str] | None:
    """``map<string,int>`` → ``('string', 'int')``; anything else → None."""
    return _st.map_types(dtype)


def wider_type(left: str | None, right: str | None) -> str | None:
    """The type Spark coerces two types to (its ``findWiderTypeForTwo``, string promotion included), or None: the
    one type model's rule (:mod:`sqlingest.types`)."""
    return _st.wider(left, right)


def common_type(types: Sequence[str | None]) -> str | None:
    """The wider type of all ``types`` (lambda arguments, shown as ``lambda``, are left out), or None."""
    result: str | None = "void"
    for dtype in types:
        if dtype == "lambda":
            continue
        result = wider_type(result, dtype)
        if result is None:
            return None
    return result


_ARG = re.compile(r"^arg(\d+)$")
_ANY_ARG = re.compile(r"arg\d+")
_CALL = re.compile(r"^(element|key|value|array)\((.*)\)$")


def apply_rule(rule: str | None, arg_types: Sequence[str | None]) -> str | None:
    """Evaluate a return-type rule (see the module docstring) for these argument types; None when unknown."""
    if rule is None:
        return None
    m = _ARG.match(rule)
    if m:
        i = int(m.group(1))
        found = arg_types[i] if i < len(arg_types) else None
        return None if found == "lambda" else found
    if rule == "common":
        return common_type(arg_types)
    if rule == "common1":
        return common_type(arg_types[1:])
    m = _CALL.match(rule)
    if m:
        inner = apply_rule(m.group(2), arg_types)
        if inner is None:
            return None
        if m.group(1) == "array":
            return f"array<{inner}>"
        if m.group(1) == "element":
            return element_type(inner)
        kv = map_types(inner)
        return None if kv is None else kv[0 if m.group(1) == "key" else 1]
    return rule


# --- the registry ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReturnRule:
    """How a function's result type follows from its argument types, for one argument count (None: any count)."""

    arity: int | None
    rule: str | None
    exceptions: tuple[tuple[tuple[str, ...], str], ...] = ()

    def apply(self, arg_types: Sequence[str | None]) -> str | None:
        key = tuple(arg_types)
        for types, result in self.exceptions:
            if types == key:
                return result
        return apply_rule(self.rule, arg_types)


@dataclass(frozen=True)
class FunctionInfo:
    """One callable function: its Spark name, kind, accepted argument counts and return-type rules."""

    name: str
    kind: Kind
    arities: tuple[int, ...]
    variadic_from: int | None = None
    returns: tuple[ReturnRule, ...] = ()
    variadic_step: int = 1
    deterministic: bool = True
    operator: bool = False
    nullable: str | None = None
    syntax_only: bool = False
    source: str = "builtin"
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def accepts(self, n: int) -> bool:
        """True when Spark accepts ``n`` arguments."""
        if n in self.arities:
            return True
        start = self.variadic_from
        return start is not None and n >= start and (n - start) % self.variadic_step == 0

    def arity_text(self) -> str:
        """The accepted counts in words: ``1``, ``1 or 2``, ``2 to 4``, ``1 or more``, ``any number of``."""
        finite = sorted(self.arities)
        tail: list[str] = []
        if self.variadic_from is not None:
            start, step = self.variadic_from, self.variadic_step
            if step == 2:
                parity = "an even number of" if start % 2 == 0 else "an odd number of"
                tail = [parity if start <= 1 else f"{parity} (at least {start})"]
            elif start == 0 and not finite:
                return "any number of"
            else:
                tail = [f"{start} or more"]
        if not finite:
            return tail[0] if tail else "no"
        if finite == [0] and not tail:
            return "no"
        runs: list[str] = []
        lo = prev = finite[0]
        for n in [*finite[1:], None]:
            if n is not None and n == prev + 1:
                prev = n
                continue
            runs.append(str(lo) if lo == prev else (f"{lo} or {prev}" if prev == lo + 1 else f"{lo} to {prev}"))
            if n is not None:
                lo = prev = n
        if not tail and len(runs) == 1 and len(finite) == 1:
            return runs[0]
        words = runs + tail
        return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]

    def return_type(self, arg_types: Sequence[str | None]) -> str | None:
        """The result type for these argument types (Spark ``simpleString``), or None when it cannot be told."""
        n = len(arg_types)
        exact = [r for r in self.returns if r.arity == n]
        anyn = [r for r in self.returns if r.arity is None]
        for rule in exact or anyn:
            return rule.apply(arg_types)
        # a variadic count that was not probed: the widest probed count's rule, when it ignores the count
        probed = sorted((r for r in self.returns if r.arity is not None), key=lambda r: r.arity or 0)
        if probed and self.accepts(n) and n > (probed[-1].arity or 0) and not _ANY_ARG.search(probed[-1].rule or "arg0"):
            return apply_rule(probed[-1].rule, arg_types)
        return None


def _plural(text: str) -> str:
    return "argument" if text == "1" else "arguments"


class FunctionRegistry:
    """Built-in Spark functions plus project-declared ones (which win over a built-in of the same name)."""

    def __init__(self, extra: Mapping[str, FunctionInfo] | None = None,
                 builtins: Mapping[str, FunctionInfo] | None = None) -> None:
        self._functions: dict[str, FunctionInfo] = dict(_load_snapshot() if builtins is None else builtins)
        for name, info in (extra or {}).items():
            self._functions[name.lower()] = info
        self._names = sorted(self._functions)

    def names(self) -> list[str]:
        """Every known function name, lower-case, sorted."""
        return list(self._names)

    def lookup(self, name: str) -> FunctionInfo | None:
        """The function called ``name`` (case-insensitive), or None."""
        return self._functions.get(name.lower())

    def suggest(self, name: str) -> str | None:
        """The known function name closest to a misspelt ``name`` (did-you-mean), or None."""
        lowered = name.lower()
        candidates = [n for n in self._names if not self._functions[n].operator]
        match = difflib.get_close_matches(lowered, candidates, n=1, cutoff=0.7)
        if match:
            return match[0]
        # ``datediff`` for ``date_diff``, ``to_date`` for ``todate``: compare without underscores too
        squashed = {n.replace("_", ""): n for n in candidates}
        match = difflib.get_close_matches(lowered.replace("_", ""), list(squashed), n=1, cutoff=0.8)
        return squashed[match[0]] if match else None

    def check_call(self, name: str, nargs: int | None) -> str | None:
        """None when ``name(…)`` with ``nargs`` arguments is valid, else the message for the user.

        ``nargs=None`` (the count the user wrote cannot be told) checks only that the function exists."""
        info = self.lookup(name)
        if info is None:
            return f"unknown function '{name}'"
        if nargs is None or info.accepts(nargs):
            return None
        text = info.arity_text()
        return f"function '{info.name}' takes {text} {_plural(text)}, got {nargs}"

    def return_type(self, name: str, arg_types: Sequence[str | None]) -> str | None:
        """The result type of ``name(args)`` as Spark's ``simpleString``, or None when unknown."""
        info = self.lookup(name)
        return info.return_type(arg_types) if info else None


# --- loading --------------------------------------------------------------------------------------------------

def _rules(raw: Any) -> tuple[ReturnRule, ...]:
    """The snapshot's ``returns``: a rule, or ``{"<arity>" | "*": rule | {"rule": …, "except": […]}}``."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (ReturnRule(None, raw),)
    rules = []
    for key, value in raw.items():
        arity = None if key == "*" else int(key)
        if isinstance(value, Mapping):
            exceptions = tuple((tuple(types), result) for types, result in value.get("except", []))
            rules.append(ReturnRule(arity, value.get("rule"), exceptions))
        else:
            rules.append(ReturnRule(arity, value))
    return tuple(rules)


def info_from_snapshot(name: str, entry: Mapping[str, Any]) -> FunctionInfo:
    """One snapshot entry as a :class:`FunctionInfo`."""
    return FunctionInfo(
        name=name, kind=entry.get("kind", "scalar"), arities=tuple(entry.get("arities", ())),
        variadic_from=entry.get("variadic_from"), variadic_step=entry.get("variadic_step", 1),
        returns=_rules(entry.get("returns")), deterministic=entry.get("deterministic", True),
        operator=entry.get("operator", False), nullable=entry.get("nullable"),
        syntax_only=entry.get("syntax_only", False),
        extra={k: v for k, v in entry.items() if k in ("class", "group")})


# Calls Spark's grammar takes that its function registry (and so the probe) does not see: the unit forms
# ``datediff(DAY, a, b)``, ``date_add(HOUR, 1, ts)`` and ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``.
# Hand-kept: check them again when the pin moves (tests/integration/test_function_snapshot.py runs each form).
GRAMMAR_ARITIES: dict[str, tuple[Kind, tuple[int, ...], str | None]] = {
    "timestampadd": ("scalar", (3,), None), "dateadd": ("scalar", (3,), None), "date_add": ("scalar", (3,), None),
    "timestampdiff": ("scalar", (3,), "bigint"), "datediff": ("scalar", (3,), "bigint"),
    "date_diff": ("scalar", (3,), "bigint"),
    "percentile_cont": ("aggregate", (1,), "double"), "percentile_disc": ("aggregate", (1,), "double"),
}


def _with_grammar(functions: dict[str, FunctionInfo]) -> dict[str, FunctionInfo]:
    for name, (kind, arities, returns) in GRAMMAR_ARITIES.items():
        rules = (ReturnRule(arities[0], returns),) if returns else ()
        known = functions.get(name)
        if known is None:
            functions[name] = FunctionInfo(name=name, kind=kind, arities=arities, returns=rules, source="grammar")
        else:
            functions[name] = replace(known, arities=tuple(sorted({*known.arities, *arities})),
                                      returns=known.returns + rules)
    return functions


@lru_cache(maxsize=1)
def _load_snapshot() -> dict[str, FunctionInfo]:
    data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return _with_grammar({name: info_from_snapshot(name, entry) for name, entry in data["functions"].items()})


@lru_cache(maxsize=1)
def snapshot_meta() -> dict[str, Any]:
    """The snapshot's header: ``spark_version``, ``generated_by``, and the table-valued functions."""
    data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k != "functions"}


@lru_cache(maxsize=1)
def builtin_registry() -> FunctionRegistry:
    """The registry of the pinned Spark's built-in functions (loaded once)."""
    return FunctionRegistry()


_ARGS_SPEC = re.compile(r"^\s*(\d+)\s*(\+)?\s*$")


def udf_from_config(name: str, spec: Mapping[str, Any]) -> FunctionInfo:
    """A project-declared function from ``sqlingest.yml``'s ``functions:`` map.

    ``args``: a count (``1``), a list of counts (``[1, 2]``) or ``"N+"`` (N or more); ``returns``: a Spark type
    (optional); ``kind``: scalar (default), aggregate, window or generator.

    Raises:
        ValueError: the spec is malformed (the message names the function and the field).
    """
    from sqlingest.validate.types import normalize_type

    unknown = set(spec) - {"args", "returns", "kind", "deterministic", "description"}
    if unknown:
        raise ValueError(f"function '{name}': unknown field(s) {', '.join(sorted(unknown))}"
                         " (expected args, returns, kind, deterministic, description)")
    kind = spec.get("kind", "scalar")
    if kind not in KINDS:
        raise ValueError(f"function '{name}': kind must be one of {', '.join(KINDS)}, not '{kind}'")
    args = spec.get("args", "0+")
    arities: tuple[int, ...] = ()
    variadic: int | None = None
    if isinstance(args, bool):
        raise ValueError(  # noqa: TRY004 - a config error, reported like every other one
            f"function '{name}': args must be a count, a list of counts or 'N+', not {args!r}")
    if isinstance(args, int):
        arities = (args,)
    elif isinstance(args, str) and _ARGS_SPEC.match(args):
        m = _ARGS_SPEC.match(args)
        assert m is not None
        if m.group(2):
            variadic = int(m.group(1))
        else:
            arities = (int(m.group(1)),)
    elif isinstance(args, list) and args and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        arities = tuple(sorted(set(args)))
    else:
        raise ValueError(f"function '{name}': args must be a count, a list of counts or 'N+', not {args!r}")
    if any(a < 0 for a in arities):
        raise ValueError(f"function '{name}': args cannot be negative")
    returns: tuple[ReturnRule, ...] = ()
    if spec.get("returns") is not None:
        try:
            returns = (ReturnRule(None, normalize_type(str(spec["returns"]))),)
        except ValueError as exc:
            raise ValueError(f"function '{name}': returns: {exc}") from None
    return FunctionInfo(name=name.lower(), kind=kind, arities=arities, variadic_from=variadic, returns=returns,
                        deterministic=bool(spec.get("deterministic", True)), source="project")


# --- sqlglot nodes → Spark calls --------------------------------------------------------------------------------

NAME_KEY = "spark_name"
NARGS_KEY = "spark_nargs"
# FUNCTION_PARSERS entries that are not function calls: join hints, and casts (syntax, not registry functions)
_NOT_CALLS = {"BROADCAST", "BROADCASTJOIN", "MAPJOIN", "MERGE", "SHUFFLEMERGE", "MERGEJOIN", "SHUFFLE_HASH",
              "SHUFFLE_REPLICATE_NL", "CAST", "TRY_CAST", "SAFE_CAST", "CONVERT", "TRY_CONVERT"}
# calls whose arguments may use keywords instead of commas: trim(BOTH 'x' FROM s), position('a' IN s) …
_KEYWORD_SYNTAX = {"trim", "ltrim", "rtrim", "btrim", "position", "overlay", "substring", "substr", "extract",
                   "percentile_cont", "percentile_disc", "locate"}
_SYNTAX_WORDS = {"FROM", "IN", "FOR", "PLACING", "AS", "BOTH", "LEADING", "TRAILING"}


def _named(name: str, parse: Any, back: int) -> Any:
    """Wrap a special-syntax function parser so its node remembers the name token (like ``FUNCTIONS`` ones)."""

    def wrapper(self: Any) -> Any:
        token = self._tokens[self._index - back] if self._index >= back else None
        result = parse(self)
        if (isinstance(result, exp.Expr) and not isinstance(result, exp.QueryTransform) and token is not None
                and token.text.upper() == name):
            result.meta[NAME_KEY] = token.text
            result.update_positions(token)
        return result

    return wrapper


def _positioned_primary(parse: Any) -> Any:
    """NULL, TRUE, FALSE keep their token's position, like literals do: tells them from defaults sqlglot adds."""

    def wrapper(self: Any, token: Any) -> Any:
        result = parse(self, token)
        if isinstance(result, exp.Expr) and "start" not in result.meta and token is not None:
            result.update_positions(token)
        return result

    return wrapper


class SqlingestSpark(_Spark):
    """Spark SQL as sqlglot parses it, except that every function call keeps the name the user wrote
    (``node.meta["spark_name"]``) and the position of that name: ``substr``/``substring``, ``nvl``/``coalesce``,
    ``int(x)``/``cast`` are told apart. Generates the same SQL as ``spark``."""

    ORIGINAL_NAME_META_KEY = NAME_KEY

    class Parser(_Spark.Parser):  # type: ignore[misc,valid-type]
        FUNCTION_PARSERS: ClassVar[dict[str, Any]] = {
            name: (parse if name in _NOT_CALLS else _named(name, parse, 2))
            for name, parse in _Spark.Parser.FUNCTION_PARSERS.items()
        }
        PRIMARY_PARSERS: ClassVar[dict[Any, Any]] = {
            **_Spark.Parser.PRIMARY_PARSERS,
            **{t: _positioned_primary(_Spark.Parser.PRIMARY_PARSERS[t])
               for t in (_tokens.TokenType.NULL, _tokens.TokenType.TRUE, _tokens.TokenType.FALSE)},
        }
        NO_PAREN_FUNCTION_PARSERS: ClassVar[dict[str, Any]] = {
            name: (_named(name, parse, 1) if name in ("IF", "ANY", "TRANSFORM") else parse)
            for name, parse in _Spark.Parser.NO_PAREN_FUNCTION_PARSERS.items()
        }

        def _parse_function_call(self, *args: Any, **kwargs: Any) -> Any:
            # count the arguments as written, from the tokens, while they are at hand: sqlglot's node may have
            # dropped some (``first(x, true)``) or added some (``date_add``'s unit)
            index = self._index
            result = super()._parse_function_call(*args, **kwargs)
            if isinstance(result, exp.Expr) and index < len(self._tokens):
                token = self._tokens[index]
                for node in result.walk():
                    if node.meta.get("start") == token.start and (NAME_KEY in node.meta
                                                                   or isinstance(node, exp.Anonymous)):
                        node.meta[NARGS_KEY] = _count_from(self._tokens, index, token.text.lower())
                        break
            return result


def tokenize_spark(sql: str) -> list[_tokens.Token]:
    """Spark SQL's tokens, as :func:`parse_spark` reads them (raises sqlglot's ``TokenError``)."""
    return _dialect().tokenize(sql)


def parse_spark(sql: str, tokens: list[_tokens.Token] | None = None) -> list[exp.Expr]:
    """Parse Spark SQL with :class:`SqlingestSpark` (raises sqlglot's ``ParseError`` like ``sqlglot.parse``).

    ``tokens``: :func:`tokenize_spark` of ``sql``, when the caller has them (the SQL is then not tokenized again)."""
    dialect = _dialect()
    if tokens is None:
        tokens = dialect.tokenize(sql)
    return [s for s in dialect.parser().parse(tokens, sql) if s is not None]


@lru_cache(maxsize=1)
def _dialect() -> SqlingestSpark:
    return SqlingestSpark()


def function_calls(tree: exp.Expr) -> list[exp.Expr]:
    """The function calls the user wrote in ``tree`` (parsed with :class:`SqlingestSpark`), in source order.

    A call is a node that remembers its name, or an unknown function (``exp.Anonymous``). Nodes sqlglot made up
    while rewriting a call (``date_sub`` → an addition of ``-n``) are not calls, and neither are qualified ones
    (``db.fn(x)``: a catalog's function, not the registry's)."""
    calls = [node for node in tree.walk()
             if (NAME_KEY in node.meta or isinstance(node, exp.Anonymous))
             and not (isinstance(node.parent, exp.Dot) and node.arg_key == "expression")]
    return sorted(calls, key=lambda n: (n.meta.get("start", 0)))


def spark_name(node: exp.Expr, sql: str | None = None) -> str | None:
    """The function name as the user wrote it (``substr``, ``nvl``, ``int``), or None when ``node`` is no call.

    Exact for trees parsed with :class:`SqlingestSpark`; otherwise ``sql`` (the text that was parsed) recovers
    it from the name token's position, and failing that the name is sqlglot's canonical one for the class."""
    written = node.meta.get(NAME_KEY)
    if written:
        return str(written)
    if isinstance(node, exp.Anonymous):
        return node.name
    if sql is not None and "start" in node.meta and isinstance(node, exp.Func):
        text = sql[node.meta["start"]:node.meta["end"] + 1]
        if re.match(r"^`?[A-Za-z_][A-Za-z0-9_]*`?$", text):
            return text.strip("`")
    if isinstance(node, (exp.Cast, exp.TryCast)) or not isinstance(node, exp.Func):
        return None
    registry = builtin_registry()
    for name in node.sql_names():
        if registry.lookup(name) is not None:
            return name.lower()
    return None


def _positioned(node: exp.Expr) -> bool:
    return any("start" in n.meta for n in node.walk())


def _flat_args(node: exp.Expr) -> list[exp.Expr]:
    out: list[exp.Expr] = []
    for key in node.arg_types:
        value = node.args.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, exp.Expr) and not (isinstance(item, exp.DataType) and key == "to"):
                out.append(item)
    return out


def _builder_is_plain(name: str) -> bool:
    """True when sqlglot builds ``name(…)`` by zipping the arguments into the node in order (no rewriting)."""
    if name.upper() in SqlingestSpark.Parser.FUNCTION_PARSERS or name.upper() in ("IF", "ANY", "TRANSFORM"):
        return False
    builder = SqlingestSpark.Parser.FUNCTIONS.get(name.upper())
    return getattr(builder, "__name__", "") == "from_arg_list" and hasattr(builder, "__self__")


def call_arguments(node: exp.Expr) -> list[exp.Expr]:
    """The arguments of a call in the order the user wrote them, as far as sqlglot's tree keeps them.

    Arguments sqlglot added (defaults such as ``date_add``'s unit or ``regexp_extract``'s group) are left out;
    ones it dropped (``first(x, true)`` becomes ``IGNORE NULLS``) cannot be recovered. Parsed with
    :class:`SqlingestSpark` the list is as long as the user's whenever the tree still holds that many
    expressions; parsed with plain "spark" it errs long rather than short. Count with :func:`argument_count`."""
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Distinct):
        return list(node.this.expressions)
    name = (spark_name(node) or "").lower()
    if isinstance(node, exp.Struct) and name == "named_struct":
        pairs: list[exp.Expr] = []
        for item in node.expressions:
            if isinstance(item, exp.PropertyEQ):
                pairs += [exp.Literal.string(item.this.name), item.expression]
            else:
                pairs.append(item)
        return pairs
    if isinstance(node, exp.VarMap):
        keys, values = node.args.get("keys"), node.args.get("values")
        ks = keys.expressions if isinstance(keys, exp.Array) else []
        vs = values.expressions if isinstance(values, exp.Array) else []
        return [x for pair in zip(ks, vs) for x in pair]
    # sqlglot's defaults carry no position; what the user wrote does (with SqlingestSpark even NULL, TRUE and
    # FALSE). Parsed with plain "spark", unpositioned NULLs, units and literals are kept (``extract(YEAR FROM d)``,
    # ``trunc(d, 'MM')`` rewrites 'MM'), so that a count errs high rather than low — but initcap's added delimiter.
    ours = NAME_KEY in node.meta
    args = [a for a in _flat_args(node)
            if _positioned(a) or _builder_is_plain(name) or (not ours and isinstance(a, (exp.Null, exp.Var, exp.Literal))
                and not (isinstance(node, exp.Initcap) and a.arg_key == "expression"))]
    if not _builder_is_plain(name) and all(_positioned(a) for a in args):
        args.sort(key=lambda a: min(n.meta["start"] for n in a.walk() if "start" in n.meta))
    written = node.meta.get(NARGS_KEY)
    if isinstance(written, int) and len(args) != written:
        # the count is known from the tokens: make the list that long where the tree allows it (a rewritten
        # 'yyyy' format has no position; sort_array's added nulls_first copies the user's FALSE)
        if len(args) > written:
            args = args[:written]
        else:
            args += [a for a in _flat_args(node) if all(a is not b for b in args)][:written - len(args)]
    return args


@lru_cache(maxsize=32)
def _tokens_of(sql: str) -> tuple[list[_tokens.Token], dict[int, int]]:
    toks = SqlingestSpark().tokenize(sql)
    return toks, {t.start: i for i, t in enumerate(toks)}


def _count_from(toks: list[_tokens.Token], i: int, name: str) -> int | None:
    """Arguments of the call whose name is token ``i``: top-level commas between its parentheses + 1."""
    if i + 1 >= len(toks) or toks[i + 1].token_type != _tokens.TokenType.L_PAREN:
        return 0  # current_date, current_timestamp without parentheses
    T = _tokens.TokenType
    depth, commas, empty, first = 0, 0, True, True
    for tok in toks[i + 1:]:
        if tok.token_type in (T.L_PAREN, T.L_BRACKET, T.L_BRACE):
            depth += 1
            if depth > 1:
                empty = False
            continue
        if tok.token_type in (T.R_PAREN, T.R_BRACKET, T.R_BRACE):
            depth -= 1
            if depth == 0:
                return 0 if empty else commas + 1
            continue
        empty = False
        if depth == 1:
            if tok.token_type == T.COMMA:
                commas += 1
            elif name in _KEYWORD_SYNTAX and tok.text.upper() in _SYNTAX_WORDS:
                return None
            elif first and tok.text.upper() in ("DISTINCT", "ALL"):
                pass
        first = False
    return None


def argument_count(node: exp.Expr, sql: str | None = None) -> int | None:
    """How many arguments the user wrote in this call; None when that cannot be told.

    Parsed with :class:`SqlingestSpark`, or given ``sql`` (the exact text the tree was parsed from), the count
    comes from the tokens between the call's parentheses, whatever sqlglot made of them; keyword syntax
    (``trim(BOTH 'x' FROM s)``, ``position(a IN b)``, ``extract(year FROM d)``) gives None. Otherwise the tree is
    trusted only for calls sqlglot does not rewrite."""
    if NARGS_KEY in node.meta:  # parsed with SqlingestSpark: counted from the tokens then
        return node.meta[NARGS_KEY]  # type: ignore[no-any-return]
    name = (spark_name(node, sql) or "").lower()
    if sql is not None and "start" in node.meta:
        toks, index = _tokens_of(sql)
        i = index.get(node.meta["start"])
        if i is not None:
            return _count_from(toks, i, name)
    if isinstance(node, exp.Struct) and name != "named_struct":
        return None  # plain "spark" parses named_struct('a', 1) and struct(1) alike
    if isinstance(node, exp.Anonymous) or _builder_is_plain(name):
        return len(call_arguments(node))
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Distinct):
        return len(node.this.expressions)
    return None


@dataclass(frozen=True)
class CallSite:
    """A call found in SQL text: the name as written, its argument count (None: not countable), where it is."""

    name: str
    nargs: int | None
    line: int
    col: int


_NOT_BEFORE_CALL = {"AS", "INTO", "TABLE", "JOIN", "FROM", "VIEW", "EXISTS", "USING", "WITH", "OVER"}
_TYPE_NAMES = {"decimal", "dec", "numeric", "char", "varchar"}


def scan_calls(sql: str, registry: FunctionRegistry | None = None) -> list[CallSite]:
    """The calls of known functions in ``sql``, from its tokens alone: for SQL sqlglot cannot parse (it rejects
    ``upper(a, b)`` with a message about its own classes). Unknown names are not reported: without a tree a name
    followed by ``(`` may be a CTE's column list or a table function."""
    registry = registry or builtin_registry()
    try:
        toks, _ = _tokens_of(sql)
    except TokenError:  # the parser reports those
        return []
    T = _tokens.TokenType
    sites = []
    for i, tok in enumerate(toks[:-2]):
        if toks[i + 1].token_type != T.L_PAREN or tok.token_type in (T.STRING, T.NUMBER):
            continue
        prev = toks[i - 1] if i else None
        if prev is not None and (prev.token_type in (T.DOT, T.R_PAREN) or prev.text.upper() in _NOT_BEFORE_CALL):
            continue  # db.fn(…), count(x) FILTER (WHERE …), CAST(x AS decimal(10, 2)), WITH c(a) AS …
        if toks[i + 2].text.upper() in ("SELECT", "WITH") or tok.text.lower() in _TYPE_NAMES:
            continue  # EXISTS (SELECT …), map<string, decimal(10, 2)>
        name = tok.text
        info = registry.lookup(name)
        if info is None or info.operator or info.syntax_only or name.upper() in _NOT_CALLS:
            continue
        sites.append(CallSite(name, _count_from(toks, i, name.lower()), tok.line, tok.col - (tok.end - tok.start)))
    return sites


def check_table_call(name: str, nargs: int | None) -> str | None:
    """A wrong argument count for a built-in table-valued function (``FROM range(1, 2, 3, 4, 5)``), else None.

    Unknown names pass: extensions register table functions of their own (Delta's ``table_changes``)."""
    entry = snapshot_meta().get("table_functions", {}).get(name.lower())
    if entry is None or nargs is None or nargs in entry["arities"]:
        return None
    if entry["arities"] and max(entry["arities"]) >= 8 and nargs > 8:  # probed up to 8: json_tuple, stack
        return None
    info = FunctionInfo(name=name.lower(), kind="generator", arities=tuple(entry["arities"]))
    text = info.arity_text()
    return f"table function '{info.name}' takes {text} {_plural(text)}, got {nargs}"


@dataclass(frozen=True)
class CallProblem:
    """A call Spark would reject: the user message, a did-you-mean hint, and the call's name and position."""

    name: str
    message: str
    hint: str | None
    line: int | None
    col: int | None


def check_calls(tree: exp.Expr, sql: str | None, registry: FunctionRegistry | None = None) -> list[CallProblem]:
    """Every unknown function and wrong argument count in a parsed statement (see :func:`function_calls`)."""
    registry = registry or builtin_registry()
    problems = []
    for node in function_calls(tree):
        name = spark_name(node, sql)
        if name is None or name.upper() in _NOT_CALLS:
            continue
        if isinstance(node.parent, exp.Table):  # FROM range(10): a table-valued function
            message = check_table_call(name, argument_count(node, sql))
            if message:
                problems.append(CallProblem(name, message, None, *_where(node)))
            continue
        message = registry.check_call(name, argument_count(node, sql))
        if message is None:
            continue
        hint = None
        if registry.lookup(name) is None:
            suggestion = registry.suggest(name)
            hint = f"did you mean '{suggestion}'?" if suggestion else None
        problems.append(CallProblem(name, message, hint, *_where(node)))
    return problems


def _where(node: exp.Expr) -> tuple[int | None, int | None]:
    """(line, column of the name's first character): sqlglot's ``col`` is that of its last character."""
    meta = node.meta
    if "line" not in meta:
        return None, None
    return meta["line"], meta["col"] - (meta["end"] - meta["start"])
