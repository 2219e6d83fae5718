"""Spark SQL's type rules at compile time, on ``simpleString`` strings — thin wrappers over
:mod:`sqlingest.types` (the one type model), kept for the analyzer's string-typed columns.

Types are Spark ``simpleString`` strings throughout (``bigint``, ``decimal(10,2)``, ``array<int>``,
``struct<a:int,b:string>``); ``None`` means "not known" and never causes an error (nor does a string that does not
parse).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlingest import types as T

INTEGRAL = T.INTEGRAL
FRACTIONAL = T.FRACTIONAL
NUMERIC_ORDER = T.NUMERIC_ORDER
DECIMAL_OF_INTEGRAL = {k: (v.precision, v.scale) for k, v in T.DECIMAL_OF_INTEGRAL.items()}
MAX_PRECISION = T.MAX_PRECISION


@lru_cache(maxsize=8192)
def _t(text: str | None) -> T.SparkType | None:
    if text is None:
        return None
    try:
        return T.parse(text)
    except ValueError:
        return None


def _s(t: T.SparkType | None) -> str | None:
    return None if t is None else str(t)


def _lift(rule: Callable[..., Any]) -> Callable[[str | None, str | None], str | None]:
    def apply(a: str | None, b: str | None) -> str | None:
        x, y = _t(a), _t(b)
        return None if x is None or y is None else _s(rule(x, y))
    return apply


@lru_cache(maxsize=4096)
def normalize(text: str | None) -> str | None:
    """``text`` as a normalised Spark type, ``None`` when unknown or not a type."""
    t = _t(text)
    return None if t is None else str(t.normalized())


def decimal(t: str | None) -> tuple[int, int] | None:
    x = _t(t)
    return (x.precision, x.scale) if isinstance(x, T.DecimalType) else None


def is_numeric(t: str | None) -> bool:
    x = _t(t)
    return x is not None and T.is_numeric(x)


def is_atomic(t: str | None) -> bool:
    x = _t(t)
    return x is not None and T.is_atomic(x)


def array_element(t: str | None) -> str | None:
    x = _t(t)
    return str(x.element) if isinstance(x, T.ArrayType) else None


def map_types(t: str | None) -> tuple[str, str] | None:
    x = _t(t)
    return (str(x.key), str(x.value)) if isinstance(x, T.MapType) else None


def struct_fields(t: str | None) -> list[tuple[str, str]] | None:
    x = _t(t)
    return [(f.name, str(f.type)) for f in x.fields] if isinstance(x, T.StructType) else None


def struct_of(fields: list[tuple[str, str | None]]) -> str | None:
    """A struct of ``(name, type)``; ``None`` when a field's type is unknown."""
    parsed = [(n, _t(t)) for n, t in fields]
    if any(t is None for _, t in parsed):
        return None
    return str(T.StructType(tuple(T.StructField(n, t) for n, t in parsed if t is not None)))


def bounded(p: int, s: int) -> str:
    return str(T.bounded(p, s))


def adjust_precision_scale(p: int, s: int) -> str:
    return str(T.adjust_precision_scale(p, s))


def tightest(a: str | None, b: str | None) -> str | None:
    """``findTightestCommonType``; ``None`` when unknown or there is none."""
    return _lift(T.tightest)(a, b)


def wider(a: str | None, b: str | None, *, string_promotion: bool = True) -> str | None:
    """``findWiderTypeForTwo``; ``None`` when unknown or incompatible (tell them apart with :func:`compatible`)."""
    return _lift(lambda x, y: T.wider(x, y, string_promotion=string_promotion))(a, b)


def compatible(a: str | None, b: str | None) -> bool:
    """False only when both types are known and Spark has no common type for them."""
    x, y = _t(a), _t(b)
    return x is None or y is None or T.compatible(x, y)


def arithmetic(op: str, a: str | None, b: str | None, *, lit_a: int | None = None, lit_b: int | None = None
               ) -> str | None:
    """Result type of ``a op b`` for op in + - * / %, as Spark's type coercion and decimal rules give it."""
    return _lift(lambda x, y: T.arithmetic(op, x, y, lit_a=lit_a, lit_b=lit_b))(a, b)


def sum_type(t: str | None) -> str | None:
    x = _t(t)
    return None if x is None else _s(T.sum_type(x))


def avg_type(t: str | None) -> str | None:
    x = _t(t)
    return None if x is None else _s(T.avg_type(x))


def cast_forces_null(src: str | None, to: str | None) -> bool | None:
    """Spark's ``Cast.forceNullable`` (non-ANSI): True when the cast may turn a value into NULL."""
    x, y = _t(src), _t(to)
    return None if x is None or y is None else T.cast_forces_null(x, y)
