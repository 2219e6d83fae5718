"""Spark SQL types as contracts write them — thin string wrappers over :mod:`sqlingest.types`, the one model."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlingest import types as T


def to_spark(dtype: Any) -> str:
    """A sqlglot data type as Spark's ``simpleString`` (``bigint``, ``decimal(10,2)``, ``struct<a:int>``).

    Raises:
        ValueError: the type has no Spark equivalent.
    """
    return str(T.from_sqlglot(dtype))


@lru_cache(maxsize=4096)
def normalize_type(text: str) -> str:
    """Normalise a Spark SQL type name (``LONG`` → ``bigint``, ``varchar(5)`` → ``string``).

    Raises:
        ValueError: ``text`` is not a Spark SQL type (the message says where and why).
    """
    return T.normalize(text)


def spark_type_of(dtype: Any) -> str:
    """A pyspark ``DataType`` (a DataFrame column's) as its normalised type string. Read from the type's JSON, not
    ``simpleString()``, which leaves field names unquoted (``struct<b c:int>`` does not read back)."""
    return str(T.from_pyspark(dtype).normalized())


def widens(actual: str, declared: str) -> bool:
    """True when every value of ``actual`` fits ``declared`` exactly (a safe implicit cast)."""
    if actual == declared:
        return True
    try:
        return T.widens(T.parse(actual), T.parse(declared))
    except ValueError:
        return False


def category(spark_type: str) -> str:
    """A coarse family used at compile time, where inferred types are approximate."""
    try:
        return T.category(T.parse(spark_type))
    except ValueError:
        return spark_type
