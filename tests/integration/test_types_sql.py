"""The one type model's DDL and sqlingest.sql's literals, read back by Spark itself (one query each)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from sqlingest import types as T
from sqlingest.sql import literal, quote_identifier, string_literal, type_sql
from sqlingest.validate.types import spark_type_of

pytestmark = pytest.mark.integration

TYPES = [
    "bigint", "decimal(38,18)", "decimal(5)", "char(3)", "varchar(7)", "timestamp_ntz", "timestamp_ltz",
    "interval day to second", "interval year to month", "array<map<string,decimal(10,2)>>",
    "struct<myField:int,`b c`:array<string>,`a``b`:struct<`x:y`:date>>",
    "STRUCT<Upper: INT NOT NULL COMMENT 'it\\'s', lower: BINARY>", "struct<>",
]


def test_spark_reads_the_models_ddl_back_as_the_same_type(lakehouse) -> None:  # type: ignore[no-untyped-def]
    columns = ", ".join(f"CAST(NULL AS {type_sql(t)}) AS {quote_identifier(f'c{i}')}" for i, t in enumerate(TYPES))
    schema = lakehouse.spark.sql(f"SELECT {columns}").schema
    got = [spark_type_of(f.dataType) for f in schema.fields]
    assert got == [str(T.parse(t).normalized().plain()) for t in TYPES]
    assert got[10] == "struct<myField:int,`b c`:array<string>,`a``b`:struct<`x:y`:date>>"


VALUES = [None, True, False, 0, -7, 2**62, 1.5, -0.25, 1e300, float("inf"), float("-inf"), Decimal("1.50"),
          Decimal("-12345678901234567890.123"), dt.date(2024, 2, 29), dt.datetime(2024, 1, 31, 12, 0, 1, 500),
          "it's a \\ back\\'slash\n", "", "字 é", b"\x00\xff"]


def test_spark_reads_literals_back_as_the_values(lakehouse) -> None:  # type: ignore[no-untyped-def]
    columns = ", ".join(f"{literal(v)} AS c{i}" for i, v in enumerate([*VALUES, float("nan")]))
    row = lakehouse.spark.sql(f"SELECT {columns}").first()
    got = list(row)
    assert math.isnan(got.pop())
    assert [bytes(g) if isinstance(g, bytearray) else g for g in got] == VALUES
    assert lakehouse.spark.sql(f"SELECT {string_literal(VALUES[15])} AS s").first()[0] == VALUES[15]
