"""Spark SQL quoting and literals: the one place that turns names and Python values into Spark SQL text."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlingest.types import SparkType

__all__ = [
    "literal", "quote_identifier", "quote_relation", "string_literal", "type_sql", "unescape_string_literal",
]

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def quote_identifier(name: str, *, always: bool = True) -> str:
    """``name`` in back-quotes, back-quotes doubled (``a`b`` → ```a``b```). ``always=False`` leaves plain
    identifiers (``[A-Za-z_][A-Za-z0-9_]*``) bare."""
    if not always and _PLAIN.match(name):
        return name
    return "`" + name.replace("`", "``") + "`"


def quote_relation(parts: Iterable[str], *, always: bool = True) -> str:
    """A multi-part name (catalog, namespace, table) with every part quoted: ```cat`.`db`.`t```."""
    return ".".join(quote_identifier(p, always=always) for p in parts)


def type_sql(spark_type: str) -> str:
    """A Spark type string as SQL text for ``CAST``/DDL (``struct<myField:int>`` → ``STRUCT<myField: INT>``; field
    names keep their case, unlike ``.upper()``). Text that is not a type is returned upper-cased, as before."""
    from sqlingest.types import parse

    try:
        return parse(spark_type).ddl()
    except ValueError:
        return spark_type.upper()


def string_literal(value: str) -> str:
    """A Spark string literal: single quotes, with backslashes and single quotes escaped by a backslash (Spark
    reads backslash escapes in literals unless ``spark.sql.parser.escapedStringLiterals`` is set)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "%": "\\%", "_": "\\_"}


def unescape_string_literal(text: str) -> str:
    """The value of a quoted Spark string literal (``'it\\'s'`` → ``it's``), as Spark's ``unescapeSQLString``."""
    if len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0]:
        raise ValueError(f"not a quoted string literal: {text!r}")
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", body[i + 2:i + 6]):
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            if re.fullmatch(r"[0-3][0-7]{2}", body[i + 1:i + 4]):
                out.append(chr(int(body[i + 1:i + 4], 8)))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def literal(value: object, type: SparkType | str | None = None) -> str:
    """Spark SQL text for a Python value: ``NULL``, ``TRUE``, ``42``, ``1.5D``, ``CAST('NaN' AS DOUBLE)``,
    ``1.50BD``, ``DATE'2024-01-31'``, ``TIMESTAMP'2024-01-31 12:00:00'`` (``TIMESTAMP_NTZ`` for naive datetimes),
    ``'text'``, ``X'00FF'``. With ``type`` the literal is cast to it (``CAST(NULL AS INT)``).

    Raises:
        ValueError: the value has no Spark literal (a NaN decimal, an unsupported Python type).
    """
    text = _literal(value)
    if type is None:
        return text
    from sqlingest.types import parse

    spark_type = parse(type) if isinstance(type, str) else type
    return f"CAST({text} AS {spark_type.ddl()})"


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "CAST('NaN' AS DOUBLE)"
        if math.isinf(value):
            return f"CAST('{'' if value > 0 else '-'}Infinity' AS DOUBLE)"
        return repr(value) + "D"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"Spark decimals cannot hold {value}")
        return format(value, "f") + "BD"
    if isinstance(value, dt.datetime):
        kind = "TIMESTAMP_NTZ" if value.tzinfo is None else "TIMESTAMP"
        return f"{kind}'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE'{value.isoformat()}'"
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, bytes | bytearray):
        return f"X'{bytes(value).hex().upper()}'"
    raise ValueError(f"no Spark literal for a {type(value).__name__}: {value!r}")
