"""Regenerate ``sqlingest/validate/spark_functions.json``: the pinned Spark's function registry, probed.

Run it whenever the pyspark pin moves (about 6 minutes, one local JVM, no catalogs)::

    PYTHONPATH=$PWD .venv/bin/python scripts/gen_spark_functions.py            # every function
    PYTHONPATH=$PWD .venv/bin/python scripts/gen_spark_functions.py upper nvl  # refresh only these entries

For every function in ``sessionState.functionRegistry`` it records

- ``kind``: aggregate / window / generator / scalar, from the analyzed plan of a call (``Aggregate``, a
  window-only error, ``Generate``) and the function's group;
- ``arities`` and ``variadic_from``/``variadic_step``: the argument counts 0–8 (plus 9–15 when 8 works but 16
  does not) that the analyzer does not reject with ``WRONG_NUM_ARGS``; when 16 and 17 both work the function is
  variadic from the first count after which every probed count works (step 2 when only 16 works: ``map``);
- ``returns``: per probed count, a rule (see :mod:`sqlingest.validate.functions`) fitted to the result types of
  probes with typed NULLs, typed literals, and the function's own documented examples with one argument varied;
  the probes the rule does not explain are kept as exceptions. No rule when fewer than 3/4 of the probes fit it;
- ``deterministic``, ``nullable`` (``args``: only NULL in gives NULL out, ``always``, ``never``), ``operator``
  (usage is not ``name(…)``: ``+``, ``and``, ``between`` — kept, callable with back-quotes), ``class``, ``group``.

Probes only analyze (``executePlan(..., SKIP).analyzed``), they never run a job.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from py4j.protocol import Py4JError

from sqlingest.validate.functions import apply_rule

OUT = REPO / "sqlingest" / "validate" / "spark_functions.json"

TYPES: dict[str, str] = {  # simpleString → a non-NULL literal of that type
    "int": "1", "bigint": "1L", "smallint": "1S", "float": "CAST(1.5 AS FLOAT)", "double": "1.5D",
    "decimal(10,2)": "CAST(1.5 AS DECIMAL(10,2))", "string": "'1'", "date": "DATE'2020-01-01'",
    "timestamp": "TIMESTAMP'2020-01-01 00:00:00'", "boolean": "true", "binary": "X'01'",
    "array<int>": "array(1, 2)", "array<string>": "array('a', 'b')", "map<string,int>": "map('a', 1)",
}
# a missing required (named) parameter: explode() is explode(collection)
WRONG_ARITY = ("WRONG_NUM_ARGS", "DATATYPE_MISMATCH.WRONG_NUM_ARGS", "REQUIRED_PARAMETER_NOT_FOUND")
VARIED = ["int", "bigint", "double", "decimal(10,2)", "string", "date", "timestamp", "boolean", "array<int>",
          "array<string>"]
MAX_VARIED = 3      # vary at most the first 3 arguments of a seed
MAX_EXCEPTIONS = 32
WINDOW_FROM = " OVER (ORDER BY a) FROM VALUES (1) AS t(a)"


class Prober:
    def __init__(self) -> None:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        from pyspark.sql import SparkSession

        self.spark = (SparkSession.builder.master("local[1]").appName("gen_spark_functions")
                      .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                      .config("spark.sql.session.timeZone", "UTC")
                      .config("spark.sql.legacy.timeParserPolicy", "CORRECTED").getOrCreate())
        self.spark.sparkContext.setLogLevel("OFF")
        # pyspark converts every Java exception with several py4j round trips: 10x slower than the probe itself
        import py4j.java_gateway
        import py4j.protocol
        py4j.java_gateway.get_return_value = py4j.protocol.get_return_value
        self.js = self.spark._jsparkSession
        self.jvm = self.spark._jvm
        self.mode = self.jvm.org.apache.spark.sql.execution.CommandExecutionMode.SKIP()
        self.count = 0

    def analyze(self, sql: str) -> tuple[Any, str | None]:
        """(analyzed plan, None) or (None, the error class or the message's first line)."""
        self.count += 1
        state = self.js.sessionState()
        try:
            plan = state.executePlan(state.sqlParser().parsePlan(sql), self.mode).analyzed()
            return plan, None
        except Py4JError as exc:  # the Java message carries the error class
            java = getattr(exc, "java_exception", None)
            msg = (java.getMessage() if java is not None else str(exc)) or ""
            m = re.match(r"\[([A-Z0-9_.]+)\]", msg)
            return None, m.group(1) if m else msg.splitlines()[0][:120] if msg else "error"

    def schema(self, sql: str) -> tuple[list[tuple[str, str, bool]] | None, Any, str | None]:
        plan, err = self.analyze(sql)
        if plan is None:
            return None, None, err
        s = plan.schema()
        cols = [(s.apply(i).name(), s.apply(i).dataType().simpleString(), s.apply(i).nullable())
                for i in range(s.size())]
        return cols, plan, None

    def registry(self) -> list[tuple[str, Any]]:
        reg = self.js.sessionState().functionRegistry()
        return self._entries(reg)

    def table_registry(self) -> list[tuple[str, Any]]:
        return self._entries(self.js.sessionState().tableFunctionRegistry())

    def _entries(self, reg: Any) -> list[tuple[str, Any]]:
        out = []
        it = reg.listFunction().iterator()
        while it.hasNext():
            ident = it.next()
            info = reg.lookupFunction(ident)
            if info.isDefined():
                out.append((ident.funcName(), info.get()))
        return sorted(out, key=lambda e: e[0])


def quote(name: str) -> str:
    return name if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name) else f"`{name}`"


def is_wrong_arity(err: str | None) -> bool:
    return err is not None and err.startswith(WRONG_ARITY)


def call(name: str, args: list[str], kind: str) -> str:
    sql = f"SELECT {quote(name)}({', '.join(args)})"
    return sql + WINDOW_FROM if kind == "window" else sql


# --- arity ---------------------------------------------------------------------------------------------------

def probe_arity(p: Prober, name: str) -> tuple[dict[int, str | None], Any]:
    """{count: error or None} for counts 0–8, 16, 17 (9–15 too when needed), and one accepted plan."""
    results: dict[int, str | None] = {}
    first_plan = None
    counts = [*range(9), 16, 17]
    for k in counts:
        plan, err = p.analyze(f"SELECT {quote(name)}({', '.join(['NULL'] * k)})")
        if plan is None and (err == "INTERNAL_ERROR" or not re.match(r"^[A-Z0-9_.]+$", err or "")):
            # an internal error or a message without an error class: ask again with non-NULL arguments
            plan, err = p.analyze(f"SELECT {quote(name)}({', '.join(['1'] * k)})")
        results[k] = err
        if plan is not None and first_plan is None:
            first_plan = plan
    if not is_wrong_arity(results[8]) and is_wrong_arity(results[16]):
        for k in range(9, 16):
            results[k] = p.analyze(f"SELECT {quote(name)}({', '.join(['NULL'] * k)})")[1]
    return dict(sorted(results.items())), first_plan


def fit_arities(results: dict[int, str | None]) -> tuple[list[int], int | None, int]:
    ok = sorted(k for k, err in results.items() if not is_wrong_arity(err))
    step = 0
    if 16 in ok and 17 in ok:
        step = 1
    elif 16 in ok or 17 in ok:
        step = 2
    if not step:
        return ok, None, 1
    top = 16 if 16 in ok else 17
    # below 9 the probes were exhaustive: variadic from the first count after which every one (in steps) worked
    k = 8 if (8 - top) % step == 0 else 7
    start = top
    while k >= 0 and k in ok:
        start = k
        k -= step
    finite = [k for k in ok if k < start]
    return finite, start, step


# --- kinds and examples -----------------------------------------------------------------------------------------

def plan_kind(plan: Any) -> str | None:
    if plan is None:
        return None
    tree = plan.treeString()
    if re.search(r"^(\+- |\s)*Aggregate ", tree, re.MULTILINE):
        return "aggregate"
    if re.search(r"^(\+- |\s)*Generate ", tree, re.MULTILINE):
        return "generator"
    return "scalar"


ACCEPTED_ERRORS: dict[str, list[str]] = defaultdict(list)  # diagnostics: why a count counted as accepted
GROUP_KINDS = {"agg_funcs": "aggregate", "window_funcs": "window", "generator_funcs": "generator"}


def split_call(text: str, start: int) -> tuple[list[str], int] | None:
    """The top-level arguments of the call whose '(' is at ``start``, and the index after its ')'."""
    depth, args, cur, i, quote_ch = 0, [], [], start, ""
    while i < len(text):
        ch = text[i]
        if quote_ch:
            cur.append(ch)
            if ch == "\\" and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif ch == quote_ch:
                quote_ch = ""
        elif ch in "'\"`":
            quote_ch = ch
            cur.append(ch)
        elif ch in "([":
            depth += 1
            if depth > 1:
                cur.append(ch)
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                arg = "".join(cur).strip()
                if arg or args:
                    args.append(arg)
                return args, i + 1
            cur.append(ch)
        elif ch == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    return None


def example_seeds(name: str, info: Any) -> list[tuple[list[str], str]]:
    """(arguments, FROM tail) of the documented examples that are exactly ``SELECT name(args) [FROM …];``."""
    seeds = []
    for line in (info.getExamples() or "").splitlines():
        line = line.strip()
        if not line.startswith(">"):
            continue
        sql = line[1:].strip().rstrip(";").strip()
        m = re.match(r"^SELECT\s+" + re.escape(name) + r"\s*\(", sql, re.IGNORECASE)
        if not m:
            continue
        parsed = split_call(sql, m.end() - 1)
        if parsed is None:
            continue
        args, end = parsed
        tail = sql[end:].strip()
        if tail and not re.match(r"^FROM\s", tail, re.IGNORECASE):
            continue
        if any(re.search(r"(?i)^(DISTINCT|ALL)\s|\sFROM\s|=>|\sUSING\s|\sIN\s", a) for a in args):
            continue
        seeds.append((args, (" " + tail) if tail else ""))
    return seeds


# --- return types -------------------------------------------------------------------------------------------------

CANDIDATES_1 = ["arg{i}", "element(arg{i})", "value(arg{i})", "key(arg{i})", "array(arg{i})"]


def fit_rule(samples: list[tuple[tuple[str, ...], str]], name: str = "") -> dict[str, Any] | str | None:
    """The rule that explains most samples (≥ 3/4), with the samples it misses as exceptions.

    A constant wins when every sample has the same result; otherwise a rule over the arguments wins ties."""
    if "explode" not in name:
        # struct results name their fields after the arguments' values (struct(a, b), from_json's schema):
        # the argument types do not tell them
        samples = [(types, r) for types, r in samples if "struct<" not in r]
    if not samples:
        return None
    uniq = sorted(set(samples))
    n = len(samples[0][0])
    structural: list[str] = []
    for i in range(n):
        structural += [c.format(i=i) for c in CANDIDATES_1]
    if n > 1:
        structural += ["common", "common1", "array(common)"]
    constants = sorted({r for _, r in uniq})
    order = constants + structural if len(constants) == 1 else structural + constants
    best, best_hits = None, -1
    for cand in order:
        hits = sum(1 for types, r in uniq if apply_rule(cand, list(types)) == r)
        if hits > best_hits:
            best, best_hits = cand, hits
    if best_hits * 4 < len(uniq) * 3:
        table = [[list(t), r] for t, r in uniq if "lambda" not in t]
        return {"rule": None, "except": table[:MAX_EXCEPTIONS]} if table else None
    misses = [[list(t), r] for t, r in uniq if apply_rule(best, list(t)) != r and "lambda" not in t]
    return {"rule": best, "except": misses[:MAX_EXCEPTIONS]} if misses else best


def result_of(cols: list[tuple[str, str, bool]], kind: str) -> tuple[str, bool]:
    if kind == "generator" and len(cols) != 1:
        return "struct<" + ",".join(f"{n}:{t}" for n, t, _ in cols) + ">", any(x for _, _, x in cols)
    return cols[0][1], cols[0][2]


def probe_returns(p: Prober, name: str, kind: str, k: int, seeds: list[tuple[list[str], str]],
                  nulls: Counter[str]) -> dict[str, Any] | str | None:
    samples: list[tuple[tuple[str, ...], str]] = []
    if k == 0:
        cols, _, _ = p.schema(call(name, [], kind))
        if cols:
            rtype, nullable = result_of(cols, kind)
            nulls["never" if not nullable else "maybe"] += 1
            return None if "struct<" in rtype else rtype
        return None
    # homogeneous vectors of typed literals, then a typed NULL of the first type that works (for nullability)
    ok_vectors: list[tuple[list[str], str]] = []
    for t, lit in TYPES.items():
        cols, _, _ = p.schema(call(name, [lit] * k, kind))
        if cols:
            rtype, nullable = result_of(cols, kind)
            samples.append(((t,) * k, rtype))
            ok_vectors.append(([lit] * k, ""))
            nulls["lit_nonnull" if not nullable else "lit_nullable"] += 1
            if len(ok_vectors) == 1:
                cols, _, _ = p.schema(call(name, [f"CAST(NULL AS {t.upper()})"] * k, kind))
                if cols:
                    nulls["null_nullable" if result_of(cols, kind)[1] else "null_nonnull"] += 1
    # a documented example (else the first working homogeneous vector), one argument varied at a time
    # (an example with an untyped NULL argument says little: then the homogeneous vector is varied too)
    examples = [s for s in seeds if len(s[0]) == k][:1]
    examples_enough = False
    for n_seed, (args, tail) in enumerate(examples + ok_vectors[:1]):
        if kind == "window":
            tail = ""
        types = arg_types(p, args, tail)
        if n_seed == 0 and examples and "void" not in types:
            examples_enough = True
        elif n_seed == 1 and examples_enough:
            break
        cols, _, _ = p.schema(call(name, args, kind) + tail)
        if cols is None:
            continue
        samples.append((tuple(types), result_of(cols, kind)[0]))
        for i in range(min(k, MAX_VARIED)):
            if types[i] == "lambda":
                continue
            for t in VARIED:
                if t == types[i]:
                    continue
                varied = [*args[:i], TYPES[t], *args[i + 1:]]
                cols, _, _ = p.schema(call(name, varied, kind) + tail)
                if cols:
                    samples.append(((*types[:i], t, *types[i + 1:]), result_of(cols, kind)[0]))
    return fit_rule(samples, name)


def arg_types(p: Prober, args: list[str], tail: str) -> list[str]:
    cols, _, _ = p.schema("SELECT " + ", ".join(args) + tail)
    if cols is not None and len(cols) == len(args):
        return [t for _, t, _ in cols]
    out = []
    for a in args:
        cols, _, _ = p.schema(f"SELECT {a}{tail}")
        out.append(cols[0][1] if cols else "lambda")
    return out


def compress_returns(per_arity: dict[int, Any]) -> Any:
    values = [json.dumps(v, sort_keys=True) for v in per_arity.values() if v is not None]
    if per_arity and len(values) == len(per_arity) and len(set(values)) == 1 and isinstance(
            next(iter(per_arity.values())), str):
        return next(iter(per_arity.values()))
    known = {str(k): v for k, v in per_arity.items() if v is not None}
    return known or None


# --- main -----------------------------------------------------------------------------------------------------------

def describe(p: Prober, name: str, info: Any) -> dict[str, Any]:
    group = info.getGroup() or ""
    results, plan = probe_arity(p, name)
    finite, variadic, step = fit_arities(results)
    accepted = [k for k, err in results.items() if not is_wrong_arity(err)]
    for k in accepted:
        ACCEPTED_ERRORS[str(results[k])].append(f"{name}/{k}")
    window_only = any(err == "WINDOW_FUNCTION_WITHOUT_OVER_CLAUSE" for err in results.values())
    kind = "window" if window_only else plan_kind(plan) or GROUP_KINDS.get(group, "scalar")
    if group in GROUP_KINDS and kind == "scalar" and plan is None:
        kind = GROUP_KINDS[group]
    entry: dict[str, Any] = {"kind": kind, "arities": finite}
    if variadic is not None:
        entry["variadic_from"] = variadic
        if step != 1:
            entry["variadic_step"] = step
    if not accepted:
        # cast, in, when …: in the registry but only reachable through their syntax; accept any count
        entry["variadic_from"] = 0
        entry["syntax_only"] = True
    usage = (info.getUsage() or "").strip()
    if not re.search(re.escape(name) + r"\s*\(", usage, re.IGNORECASE):  # `+`, `and`, `between`: operator syntax
        entry["operator"] = True
    if plan is not None and not plan.deterministic():
        entry["deterministic"] = False
    # return types: finite counts up to 6 and the first two variadic ones
    probe_counts = [k for k in finite if k <= 6]
    if variadic is not None:
        probe_counts += [variadic, variadic + step] if variadic > 0 else [step, 2 * step]
    seeds = example_seeds(name, info)
    nulls: Counter[str] = Counter()
    per_arity = {k: probe_returns(p, name, kind, k, seeds, nulls) for k in sorted(set(probe_counts))}
    returns = compress_returns(per_arity)
    entry["returns"] = returns
    if nulls["lit_nullable"] == 0 and nulls["lit_nonnull"] and nulls["null_nullable"] and not nulls["null_nonnull"]:
        entry["nullable"] = "args"
    elif (nulls["lit_nonnull"] == 0 and nulls["null_nonnull"] == 0 and nulls["lit_nullable"]
          and nulls["null_nullable"]):
        entry["nullable"] = "always"
    elif nulls["lit_nullable"] == 0 and nulls["null_nullable"] == 0 and (nulls["lit_nonnull"] or nulls["never"]):
        entry["nullable"] = "never"
    entry["class"] = info.getClassName().rsplit(".", 1)[-1]
    entry["group"] = group
    return entry


def describe_tvf(p: Prober, name: str, info: Any) -> dict[str, Any]:
    ok = []
    for k in range(9):
        _, err = p.analyze(f"SELECT * FROM {quote(name)}({', '.join(['1'] * k)})")
        if not is_wrong_arity(err):
            ok.append(k)
    return {"arities": ok, "class": info.getClassName().rsplit(".", 1)[-1]}


def dump(data: dict[str, Any]) -> str:
    """JSON with one function per line: small diffs when the pin moves."""
    lines = ["{"]
    head = {k: v for k, v in data.items() if k not in ("functions", "table_functions")}
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, sort_keys=True)},")
    for section in ("table_functions", "functions"):
        lines.append(f"  {json.dumps(section)}: {{")
        items = sorted(data[section].items())
        for i, (name, entry) in enumerate(items):
            comma = "," if i < len(items) - 1 else ""
            lines.append(f"    {json.dumps(name)}: {json.dumps(entry, sort_keys=True, separators=(',', ':'))}{comma}")
        lines.append("  }," if section != "functions" else "  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    only = set(argv)
    started = time.time()
    p = Prober()
    version = p.spark.version
    functions: dict[str, Any] = {}
    entries = p.registry()
    for i, (name, info) in enumerate(entries):
        if only and name not in only:
            continue
        t0, c0 = time.time(), p.count
        functions[name] = describe(p, name, info)
        if only:
            print(f"{name}: {p.count - c0} probes {time.time() - t0:.1f}s", file=sys.stderr)
        if i % 50 == 0:
            print(f"{i}/{len(entries)} {name} ({p.count} probes, {time.time() - started:.0f}s)", file=sys.stderr)
    tvfs = {name: describe_tvf(p, name, info) for name, info in p.table_registry()}
    data = {"spark_version": version, "generated_by": "scripts/gen_spark_functions.py",
            "table_functions": tvfs, "functions": functions}
    if only:  # refresh just these entries in the checked-in file (for trying out probe changes)
        current = json.loads(OUT.read_text(encoding="utf-8"))
        current["functions"].update(functions)
        OUT.write_text(dump({**current, "table_functions": tvfs}), encoding="utf-8")
        print(f"updated {len(functions)} entries of {OUT.relative_to(REPO)}", file=sys.stderr)
    else:
        OUT.write_text(dump(data), encoding="utf-8")
        print(f"wrote {OUT.relative_to(REPO)}: {len(functions)} functions, {p.count} probes, "
              f"{time.time() - started:.0f}s", file=sys.stderr)
    for err, where in sorted(ACCEPTED_ERRORS.items(), key=lambda e: -len(e[1])):
        print(f"accepted with {err}: {len(where)} {' '.join(where[:8])}", file=sys.stderr)
    p.spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
