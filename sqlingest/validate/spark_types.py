"""Spark SQL's type rules at compile time: parsing ``simpleString`` types, wider types, decimal arithmetic and cast
nullability, as Spark 3.5 (non-ANSI, ``allowPrecisionLoss``) applies them.

Types are Spark ``simpleString`` strings throughout (``bigint``, ``decimal(10,2)``, ``array<int>``,
``struct<a:int,b:string>``); ``None`` means "not known" and never causes an error.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlingest.validate.types import normalize_type

INTEGRAL = ("tinyint", "smallint", "int", "bigint")
FRACTIONAL = ("float", "double")
NUMERIC_ORDER = ("tinyint", "smallint", "int", "bigint", "float", "double")
DECIMAL_OF_INTEGRAL = {"tinyint": (3, 0), "smallint": (5, 0), "int": (10, 0), "bigint": (20, 0)}
MAX_PRECISION = 38
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


def decimal(t: str | None) -> tuple[int, int] | None:
    m = _DECIMAL.match(t or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def is_numeric(t: str | None) -> bool:
    return t in NUMERIC_ORDER or decimal(t) is not None


def is_atomic(t: str | None) -> bool:
    return t is not None and not t.startswith(("array<", "map<", "struct<"))


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split at ``sep`` outside ``<>``/``()`` and backticks."""
    out, depth, start, quoted = [], 0, 0, False
    for i, ch in enumerate(text):
        if ch == "`":
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [p for p in out if p != ""]


def array_element(t: str | None) -> str | None:
    if t and t.startswith("array<") and t.endswith(">"):
        return t[6:-1]
    return None


def map_types(t: str | None) -> tuple[str, str] | None:
    if t and t.startswith("map<") and t.endswith(">"):
        parts = split_top(t[4:-1])
        if len(parts) == 2:
            return parts[0], parts[1]
    return None


def struct_fields(t: str | None) -> list[tuple[str, str]] | None:
    if not (t and t.startswith("struct<") and t.endswith(">")):
        return None
    fields = []
    for part in split_top(t[7:-1]):
        name, _, ftype = _split_field(part)
        fields.append((name, ftype))
    return fields


def _split_field(part: str) -> tuple[str, str, str]:
    if part.startswith("`"):
        end = part.index("`", 1)
        while end + 1 < len(part) and part[end + 1] == "`":
            end = part.index("`", end + 2)
        return part[1:end].replace("``", "`"), ":", part[end + 2:]
    return part.partition(":")


def struct_of(fields: list[tuple[str, str | None]]) -> str | None:
    if any(t is None for _, t in fields):
        return None
    return "struct<" + ",".join(f"{_field_name(n)}:{t}" for n, t in fields) + ">"


def _field_name(name: str) -> str:
    return name if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name) else "`" + name.replace("`", "``") + "`"


@lru_cache(maxsize=4096)
def normalize(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return normalize_type(text)
    except ValueError:
        return None


def bounded(p: int, s: int) -> str:
    return f"decimal({min(p, MAX_PRECISION)},{min(s, MAX_PRECISION)})"


def adjust_precision_scale(p: int, s: int) -> str:
    """Spark's ``DecimalType.adjustPrecisionScale`` (``spark.sql.decimalOperations.allowPrecisionLoss``)."""
    if p <= MAX_PRECISION:
        return f"decimal({p},{s})"
    int_digits = p - s
    min_scale = min(s, 6)
    return f"decimal({MAX_PRECISION},{max(MAX_PRECISION - int_digits, min_scale)})"


def as_decimal(t: str | None, literal: int | None = None) -> tuple[int, int] | None:
    """An operand of decimal arithmetic: decimals as they are, integral types (integer literals by their digits)."""
    d = decimal(t)
    if d:
        return d
    if t in INTEGRAL:
        if literal is not None:
            return (max(len(str(abs(literal))), 1), 0)
        return DECIMAL_OF_INTEGRAL[t]
    return None


def wider_decimal(a: tuple[int, int], b: tuple[int, int]) -> str:
    scale = max(a[1], b[1])
    rng = max(a[0] - a[1], b[0] - b[1])
    return bounded(rng + scale, scale)


def tightest(a: str | None, b: str | None) -> str | None:
    """``findTightestCommonType``: same type, void, numeric widening (no decimals), date → timestamp."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    if a == "void":
        return b
    if b == "void":
        return a
    if a in NUMERIC_ORDER and b in NUMERIC_ORDER:
        return NUMERIC_ORDER[max(NUMERIC_ORDER.index(a), NUMERIC_ORDER.index(b))]
    temporal = {a, b}
    if temporal <= {"date", "timestamp", "timestamp_ntz"}:
        return "timestamp" if "timestamp" in temporal else "timestamp_ntz"
    return _complex(a, b, tightest)


def wider(a: str | None, b: str | None, *, string_promotion: bool = True) -> str | None:
    """``findWiderTypeForTwo``: tightest, then decimal widening, then string promotion; ``None`` when unknown or
    incompatible (callers tell the two apart with :func:`compatible`)."""
    if a is None or b is None:
        return None
    t = tightest(a, b)
    if t is not None:
        return t
    da, db = decimal(a), decimal(b)
    if da or db:
        if (da and b in FRACTIONAL) or (db and a in FRACTIONAL):
            return "double"
        xa, xb = as_decimal(a), as_decimal(b)
        if xa and xb:
            return wider_decimal(xa, xb)
    if string_promotion:
        for x, y in ((a, b), (b, a)):
            if x == "string" and is_atomic(y) and y not in ("binary", "boolean"):
                return "string"
    return _complex(a, b, lambda x, y: wider(x, y, string_promotion=string_promotion))


def _complex(a: str, b: str, rule: object) -> str | None:
    fn = rule  # type: ignore[assignment]
    ea, eb = array_element(a), array_element(b)
    if ea is not None and eb is not None:
        e = fn(ea, eb)  # type: ignore[operator]
        return f"array<{e}>" if e else None
    ma, mb = map_types(a), map_types(b)
    if ma and mb:
        k, v = fn(ma[0], mb[0]), fn(ma[1], mb[1])  # type: ignore[operator]
        return f"map<{k},{v}>" if k and v else None
    sa, sb = struct_fields(a), struct_fields(b)
    if sa is not None and sb is not None and len(sa) == len(sb) and \
            all(x[0].lower() == y[0].lower() for x, y in zip(sa, sb, strict=True)):
        fields = [(x[0], fn(x[1], y[1])) for x, y in zip(sa, sb, strict=True)]  # type: ignore[operator]
        return struct_of(fields)
    return None


def compatible(a: str | None, b: str | None) -> bool:
    """False only when both types are known and Spark has no common type for them."""
    if a is None or b is None:
        return True
    return wider(a, b) is not None


def arithmetic(op: str, a: str | None, b: str | None, *, lit_a: int | None = None, lit_b: int | None = None
               ) -> str | None:
    """Result type of ``a op b`` for op in + - * / %, as Spark's type coercion and decimal rules give it."""
    if a is None or b is None:
        return None
    if a == "void" and b == "void":
        return "double" if op == "/" else "void"
    if a == "void":
        a = b
    if b == "void":
        b = a
    if op in "+-" and ("date" in (a, b)) and ({a, b} - {"date"} <= set(INTEGRAL)):
        return "date" if a == "date" or op == "+" else None
    if a == "string" or b == "string":
        other = b if a == "string" else a
        if other in ("string",) or is_numeric(other):
            return "double"
        return None
    if not (is_numeric(a) and is_numeric(b)):
        return None
    da, db = decimal(a), decimal(b)
    if da or db:
        if a in FRACTIONAL or b in FRACTIONAL:
            return "double"
        x, y = as_decimal(a, lit_a), as_decimal(b, lit_b)
        assert x and y
        (p1, s1), (p2, s2) = x, y
        if op in "+-":
            s = max(s1, s2)
            return adjust_precision_scale(max(p1 - s1, p2 - s2) + s + 1, s)
        if op == "*":
            return adjust_precision_scale(p1 + p2 + 1, s1 + s2)
        if op == "/":
            scale = max(6, s1 + p2 + 1)
            return adjust_precision_scale(p1 - s1 + s2 + scale, scale)
        if op == "%":
            s = max(s1, s2)
            return adjust_precision_scale(min(p1 - s1, p2 - s2) + s, s)
        return None
    if op == "/":
        return "double"
    return tightest(a, b)


def sum_type(t: str | None) -> str | None:
    if t in INTEGRAL:
        return "bigint"
    if t in FRACTIONAL or t == "string":
        return "double"
    d = decimal(t)
    if d:
        return bounded(d[0] + 10, d[1])
    return None


def avg_type(t: str | None) -> str | None:
    if t in INTEGRAL or t in FRACTIONAL or t == "string":
        return "double"
    d = decimal(t)
    if d:
        return bounded(d[0] + 4, d[1] + 4)
    return None


def _can_null_safe_cast_to_decimal(src: str, to: tuple[int, int]) -> bool:
    d = as_decimal(src)
    if d is None:
        return False
    return to[1] >= d[1] and to[0] - to[1] >= d[0] - d[1]


def cast_forces_null(src: str | None, to: str | None) -> bool | None:
    """Spark's ``Cast.forceNullable`` (non-ANSI): True when the cast may turn a value into NULL."""
    if src is None or to is None:
        return None
    if src == "void":
        return False
    if src == to:
        return False
    if src == "string" and to == "binary":
        return False
    if src == "string":
        return True
    if to == "string":
        return False
    if src in FRACTIONAL and to == "timestamp":
        return True
    if src == "timestamp" and to == "date":
        return False
    if to == "date":
        return True
    if src == "date" and to in ("timestamp", "timestamp_ntz"):
        return False
    if src == "date":
        return True
    to_dec = decimal(to)
    if to_dec and not _can_null_safe_cast_to_decimal(src, to_dec):
        return True
    if src in FRACTIONAL and to in INTEGRAL:
        return True
    if src.startswith(("array<", "map<", "struct<")):
        return None
    return False
