"""Spark SQL types as contracts write them: normalising, and deciding which differences are safe."""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp

_STRINGISH = {exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.TEXT,
              exp.DataType.Type.NVARCHAR, exp.DataType.Type.NCHAR}
_INTEGRAL = ["tinyint", "smallint", "int", "bigint"]
_DIGITS = {"tinyint": 3, "smallint": 5, "int": 10, "bigint": 20}
_SPARK_NAMES = {
    "timestamp": "timestamp", "timestamptz": "timestamp", "timestamp_ntz": "timestamp_ntz",
    "timestampntz": "timestamp_ntz", "boolean": "boolean", "binary": "binary", "varbinary": "binary",
    "date": "date", "double": "double", "float": "float", "bigint": "bigint", "int": "int",
    "smallint": "smallint", "tinyint": "tinyint", "string": "string", "null": "void", "void": "void",
}


def to_spark(dtype: exp.DataType) -> str:
    """A sqlglot data type as Spark's ``simpleString`` (``bigint``, ``decimal(10,2)``, ``struct<a:int>``)."""
    kind = dtype.this
    if kind in _STRINGISH:
        return "string"
    if kind == exp.DataType.Type.ARRAY:
        return f"array<{to_spark(dtype.expressions[0])}>"
    if kind == exp.DataType.Type.MAP:
        key, value = dtype.expressions
        return f"map<{to_spark(key)},{to_spark(value)}>"
    if kind == exp.DataType.Type.STRUCT:
        fields = []
        for field in dtype.expressions:
            name = field.name
            ftype = field.args.get("kind")
            fields.append(f"{name}:{to_spark(ftype)}")
        return "struct<" + ",".join(fields) + ">"
    if kind == exp.DataType.Type.DECIMAL:
        params = [p.name for p in dtype.expressions]
        precision = params[0] if params else "10"
        scale = params[1] if len(params) > 1 else "0"
        return f"decimal({precision},{scale})"
    name = dtype.sql("spark").lower()
    return _SPARK_NAMES.get(name, name)


@lru_cache(maxsize=4096)
def normalize_type(text: str) -> str:
    """Normalise a Spark SQL type name (``LONG`` → ``bigint``, ``varchar(5)`` → ``string``).

    Raises:
        ValueError: ``text`` is not a Spark SQL type.
    """
    try:
        dtype = sqlglot.parse_one(text.strip(), into=exp.DataType, dialect="spark")
        if not isinstance(dtype, exp.DataType) or dtype.this == exp.DataType.Type.USERDEFINED:
            raise ValueError(text)
        return to_spark(dtype)
    except Exception as exc:  # sqlglot raises several error types (and IndexError on 'array<>')
        raise ValueError(f"'{text}' is not a Spark SQL type") from exc


_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


def widens(actual: str, declared: str) -> bool:
    """True when every value of ``actual`` fits ``declared`` exactly (a safe implicit cast)."""
    if actual == declared or actual == "void":
        return True
    if actual in _INTEGRAL and declared in _INTEGRAL:
        return _INTEGRAL.index(actual) <= _INTEGRAL.index(declared)
    if actual in ("tinyint", "smallint", "int") and declared == "double":
        return True
    if actual in ("tinyint", "smallint") and declared == "float":
        return True
    if actual == "float" and declared == "double":
        return True
    dec = _DECIMAL.match(declared)
    if dec:
        precision, scale = int(dec.group(1)), int(dec.group(2))
        if actual in _DIGITS:
            return precision - scale >= _DIGITS[actual]
        src = _DECIMAL.match(actual)
        if src:
            p, s = int(src.group(1)), int(src.group(2))
            return scale >= s and precision - scale >= p - s
    return actual == "date" and declared in ("timestamp", "timestamp_ntz")


def category(spark_type: str) -> str:
    """A coarse family used at compile time, where inferred types are approximate."""
    if spark_type in _INTEGRAL or spark_type in ("float", "double") or spark_type.startswith("decimal"):
        return "numeric"
    if spark_type in ("timestamp", "timestamp_ntz", "date"):
        return "temporal"
    for prefix in ("array", "map", "struct"):
        if spark_type.startswith(prefix):
            return prefix
    return spark_type
