"""The one Spark SQL type model: parse, normalise, print, compare and widen Spark 3.5 types.

Every place that reads or writes a Spark type string (contracts, the compiler, the schema registry's converters,
live-schema comparison) goes through this module::

    >>> t = parse("STRUCT<a: LONG, `b c`: ARRAY<DECIMAL(5)>>")
    >>> str(t)
    'struct<a:bigint,`b c`:array<decimal(5,0)>>'
    >>> t.ddl()
    'STRUCT<a: BIGINT, `b c`: ARRAY<DECIMAL(5,0)>>'

:func:`parse` accepts what Spark's ``DataType.fromDDL`` accepts for a single type (aliases such as ``long``,
``integer``, ``dec``, ``timestamp_ltz``; ``name:type`` and ``name type`` struct fields, back-quoted names,
``NOT NULL`` and ``COMMENT`` on fields) and raises :class:`TypeParseError` (a ``ValueError``) with the position of
anything else. ``str(t)`` is Spark's ``simpleString`` (field names back-quoted only when they would not read back);
:meth:`SparkType.ddl` is Spark's ``sql`` form. The rules (:func:`tightest`, :func:`wider`, :func:`widens`,
:func:`arithmetic`, :func:`cast_forces_null`, ...) are Spark 3.5's type coercion (non-ANSI, ``allowPrecisionLoss``).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

__all__ = [
    "MAX_PRECISION",
    "ArrayType",
    "AtomicType",
    "CharType",
    "ColumnDef",
    "DecimalType",
    "MapType",
    "SparkType",
    "StructField",
    "StructType",
    "TypeParseError",
    "VarcharType",
    "arithmetic",
    "avg_type",
    "cast_forces_null",
    "category",
    "compatible",
    "from_pyspark",
    "from_spark_json",
    "from_sqlglot",
    "normalize",
    "parse",
    "parse_columns",
    "quote_field",
    "sum_type",
    "tightest",
    "widens",
    "wider",
]

MAX_PRECISION = 38

# ----------------------------------------------------------------------------------------------------------------
# The tree
# ----------------------------------------------------------------------------------------------------------------


class SparkType:
    """Base of the immutable type tree. ``str(t)`` is Spark's ``simpleString``."""

    def simple_string(self) -> str:
        """Spark's ``simpleString`` (``decimal(10,2)``, ``struct<a:int>``): drops field nullability and comments."""
        return _print(self, ddl=False, constraints=False)

    def full_string(self) -> str:
        """The simple form keeping struct fields' ``not null`` and ``comment '…'`` (reads back exactly)."""
        return _print(self, ddl=False, constraints=True)

    def ddl(self) -> str:
        """Spark's ``sql``/``toDDL`` spelling: ``STRUCT<a: INT NOT NULL COMMENT 'x'>``, ``DECIMAL(10,2)``."""
        return _print(self, ddl=True, constraints=True)

    def normalized(self) -> SparkType:
        """As Spark's tables hold it: ``char(n)``/``varchar(n)`` become ``string`` (recursively)."""
        return self

    def plain(self) -> SparkType:
        """Without nullability flags and comments (what ``simpleString`` can express)."""
        return self

    def children(self) -> tuple[SparkType, ...]:
        return ()

    def __str__(self) -> str:
        return self.simple_string()


@dataclass(frozen=True, repr=False)
class AtomicType(SparkType):
    """A type without parameters, by its ``simpleString``: ``int``, ``timestamp``, ``interval day to second``."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in ATOMIC_NAMES:
            raise ValueError(f"{self.name!r} is not an atomic Spark type")

    def __repr__(self) -> str:
        return f"AtomicType({self.name!r})"


@dataclass(frozen=True, repr=False)
class DecimalType(SparkType):
    precision: int = 10
    scale: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.precision <= MAX_PRECISION:
            raise ValueError(f"decimal precision {self.precision} is not between 0 and {MAX_PRECISION}")
        if not 0 <= self.scale <= self.precision:
            raise ValueError(f"decimal scale {self.scale} is not between 0 and the precision ({self.precision})")

    def __repr__(self) -> str:
        return f"DecimalType({self.precision}, {self.scale})"


@dataclass(frozen=True, repr=False)
class CharType(SparkType):
    """``char(n)``: kept as declared so lengths can be checked; tables hold it as ``string``."""

    length: int

    def normalized(self) -> SparkType:
        return STRING

    def __repr__(self) -> str:
        return f"CharType({self.length})"


@dataclass(frozen=True, repr=False)
class VarcharType(SparkType):
    """``varchar(n)``: kept as declared so lengths can be checked; tables hold it as ``string``."""

    length: int

    def normalized(self) -> SparkType:
        return STRING

    def __repr__(self) -> str:
        return f"VarcharType({self.length})"


@dataclass(frozen=True, repr=False)
class ArrayType(SparkType):
    element: SparkType
    contains_null: bool = True

    def normalized(self) -> SparkType:
        return replace(self, element=self.element.normalized())

    def plain(self) -> SparkType:
        return ArrayType(self.element.plain())

    def children(self) -> tuple[SparkType, ...]:
        return (self.element,)

    def __repr__(self) -> str:
        return f"ArrayType({self.element!r}{'' if self.contains_null else ', contains_null=False'})"


@dataclass(frozen=True, repr=False)
class MapType(SparkType):
    key: SparkType
    value: SparkType
    value_contains_null: bool = True

    def normalized(self) -> SparkType:
        return replace(self, key=self.key.normalized(), value=self.value.normalized())

    def plain(self) -> SparkType:
        return MapType(self.key.plain(), self.value.plain())

    def children(self) -> tuple[SparkType, ...]:
        return (self.key, self.value)

    def __repr__(self) -> str:
        flag = "" if self.value_contains_null else ", value_contains_null=False"
        return f"MapType({self.key!r}, {self.value!r}{flag})"


@dataclass(frozen=True)
class StructField:
    name: str
    type: SparkType
    nullable: bool = True
    comment: str | None = None


@dataclass(frozen=True, repr=False)
class StructType(SparkType):
    fields: tuple[StructField, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.fields, tuple):
            object.__setattr__(self, "fields", tuple(self.fields))

    def field(self, name: str) -> StructField | None:
        """The field called ``name`` (case-insensitively, as Spark resolves it)."""
        return next((f for f in self.fields if f.name.lower() == name.lower()), None)

    def normalized(self) -> SparkType:
        return StructType(tuple(replace(f, type=f.type.normalized()) for f in self.fields))

    def plain(self) -> SparkType:
        return StructType(tuple(StructField(f.name, f.type.plain()) for f in self.fields))

    def children(self) -> tuple[SparkType, ...]:
        return tuple(f.type for f in self.fields)

    def to_ddl_columns(self) -> str:
        """Spark's ``StructType.toDDL``: ``a INT NOT NULL, b STRING COMMENT 'x'``."""
        return ", ".join(_field_ddl(f, top=True) for f in self.fields)

    def __repr__(self) -> str:
        return f"StructType({self.fields!r})"


_INTERVAL_UNITS = ("year", "month", "day", "hour", "minute", "second")


def _interval_names() -> list[str]:
    names = ["interval"]
    for group in (("year", "month"), ("day", "hour", "minute", "second")):
        for i, start in enumerate(group):
            names.append(f"interval {start}")
            names.extend(f"interval {start} to {end}" for end in group[i + 1:])
    return names


INTEGRAL = ("tinyint", "smallint", "int", "bigint")
FRACTIONAL = ("float", "double")
NUMERIC_ORDER = (*INTEGRAL, *FRACTIONAL)
DATETIME = ("date", "timestamp", "timestamp_ntz")
ATOMIC_NAMES = frozenset(
    ["boolean", *NUMERIC_ORDER, "string", "binary", *DATETIME, "void", *_interval_names()])
DECIMAL_OF_INTEGRAL = {"tinyint": DecimalType(3, 0), "smallint": DecimalType(5, 0), "int": DecimalType(10, 0),
                       "bigint": DecimalType(20, 0)}

BOOLEAN, STRING, BINARY, DATE = AtomicType("boolean"), AtomicType("string"), AtomicType("binary"), AtomicType("date")
TIMESTAMP, TIMESTAMP_NTZ, VOID = AtomicType("timestamp"), AtomicType("timestamp_ntz"), AtomicType("void")
TINYINT, SMALLINT, INT, BIGINT = (AtomicType(n) for n in INTEGRAL)
FLOAT, DOUBLE = AtomicType("float"), AtomicType("double")

# ----------------------------------------------------------------------------------------------------------------
# Printing
# ----------------------------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    from sqlglot.dialects.spark import Spark

    return frozenset(k for k in Spark.Tokenizer.KEYWORDS if k.isidentifier())


def quote_field(name: str, *, keywords: bool = False) -> str:
    """A field name as it reads back: plain identifiers as they are, anything else in back-quotes (doubled).

    ``keywords=True`` also quotes SQL keywords (``from``, ``date``), as DDL written for other parsers needs."""
    if _PLAIN.match(name) and not (keywords and name.upper() in _keywords()):
        return name
    return "`" + name.replace("`", "``") + "`"


def _comment(text: str) -> str:
    from sqlingest.sql import string_literal

    return string_literal(text)


def _field_ddl(f: StructField, *, top: bool = False) -> str:
    out = f"{quote_field(f.name, keywords=True)}{' ' if top else ': '}{f.type.ddl()}"
    if not f.nullable:
        out += " NOT NULL"
    if f.comment is not None:
        out += f" COMMENT {_comment(f.comment)}"
    return out


def _print(t: SparkType, *, ddl: bool, constraints: bool) -> str:
    def word(text: str) -> str:
        return text.upper() if ddl else text

    def sub(x: SparkType) -> str:
        return _print(x, ddl=ddl, constraints=constraints)

    if isinstance(t, AtomicType):
        return word(t.name)
    if isinstance(t, DecimalType):
        return word(f"decimal({t.precision},{t.scale})")
    if isinstance(t, CharType):
        return word(f"char({t.length})")
    if isinstance(t, VarcharType):
        return word(f"varchar({t.length})")
    if isinstance(t, ArrayType):
        return f"{word('array')}<{sub(t.element)}>"
    if isinstance(t, MapType):
        return f"{word('map')}<{sub(t.key)}{', ' if ddl else ','}{sub(t.value)}>"
    if isinstance(t, StructType):
        if ddl:
            return "STRUCT<" + ", ".join(_field_ddl(f) for f in t.fields) + ">"
        parts = []
        for f in t.fields:
            part = f"{quote_field(f.name)}:{sub(f.type)}"
            if constraints and not f.nullable:
                part += " not null"
            if constraints and f.comment is not None:
                part += f" comment {_comment(f.comment)}"
            parts.append(part)
        return "struct<" + ",".join(parts) + ">"
    raise TypeError(f"not a Spark type: {t!r}")


# ----------------------------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------------------------


class TypeParseError(ValueError):
    """``text`` is not a Spark type; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, text: str, position: int) -> None:
        super().__init__(f"'{text}' is not a Spark SQL type: {message} at position {position}")
        self.reason, self.text, self.position = message, text, position


_SIMPLE_ALIASES = {
    "boolean": "boolean",
    "tinyint": "tinyint", "byte": "tinyint",
    "smallint": "smallint", "short": "smallint",
    "int": "int", "integer": "int",
    "bigint": "bigint", "long": "bigint",
    "float": "float", "real": "float",
    "double": "double",
    "date": "date",
    "timestamp": "timestamp", "timestamp_ltz": "timestamp", "timestamp_ntz": "timestamp_ntz",
    "string": "string",
    "binary": "binary",
    "void": "void",
}
_DECIMAL_NAMES = ("decimal", "dec", "numeric")
_KNOWN = sorted({*_SIMPLE_ALIASES, *_DECIMAL_NAMES, "char", "character", "varchar", "array", "map", "struct",
                 "interval"})

_TOKEN = re.compile(r"\s*(?:(?P<word>[A-Za-z0-9_]+)|(?P<quoted>`(?:[^`]|``)*`)|(?P<string>'(?:[^'\\]|\\.)*'|"
                    r"\"(?:[^\"\\]|\\.)*\")|(?P<punct>[<>(),:\-.+*/;=])|(?P<bad>\S))", re.DOTALL)


@dataclass
class _Tok:
    kind: str  # word, quoted, string, punct, bad, end
    text: str
    pos: int

    @property
    def lower(self) -> str:
        return self.text.lower() if self.kind == "word" else self.text


@dataclass
class _Parser:
    text: str
    toks: list[_Tok] = field(default_factory=list)
    i: int = 0

    def __post_init__(self) -> None:
        pos = 0
        while True:
            m = _TOKEN.match(self.text, pos)
            if not m or m.end() == pos:
                self.toks.append(_Tok("end", "", len(self.text)))
                return
            kind = m.lastgroup or "bad"
            if kind == "bad":
                raise TypeParseError(f"unexpected {m.group(kind)!r}", self.text, m.start(kind))
            self.toks.append(_Tok(kind, m.group(kind), m.start(kind)))
            pos = m.end()

    # -- helpers
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def fail(self, message: str, tok: _Tok | None = None) -> TypeParseError:
        return TypeParseError(message, self.text, (tok or self.tok).pos)

    def describe(self, tok: _Tok) -> str:
        return "the end" if tok.kind == "end" else repr(tok.text)

    def take(self) -> _Tok:
        tok = self.tok
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        return self.tok.kind in ("word", "punct") and self.tok.lower in texts

    def expect(self, text: str, what: str) -> _Tok:
        if not self.at(text):
            raise self.fail(f"expected {what}, found {self.describe(self.tok)}")
        return self.take()

    def integer(self, what: str) -> int:
        tok = self.tok
        if tok.kind != "word" or not tok.text.isdigit():
            raise self.fail(f"expected {what} (an integer), found {self.describe(tok)}")
        self.take()
        return int(tok.text)

    # -- grammar
    def type(self) -> SparkType:
        tok = self.tok
        if tok.kind != "word" or tok.text.isdigit():
            raise self.fail(f"expected a type, found {self.describe(tok)}")
        name = self.take().lower
        if name in _SIMPLE_ALIASES:
            if self.at("("):
                raise self.fail(f"{name} takes no parameters")
            return AtomicType(_SIMPLE_ALIASES[name])
        if name in _DECIMAL_NAMES:
            return self.decimal(tok)
        if name in ("char", "character", "varchar"):
            if not self.at("("):
                raise self.fail(f"{name} needs a length: {name}(n)")
            self.take()
            length = self.integer("a length")
            self.expect(")", "')'")
            return VarcharType(length) if name == "varchar" else CharType(length)
        if name == "array":
            self.expect("<", "'<' after array")
            if self.at(">"):
                raise self.fail("array needs an element type: array<type>")
            element = self.type()
            self.expect(">", "'>' closing array<")
            return ArrayType(element)
        if name == "map":
            self.expect("<", "'<' after map")
            key = self.type()
            if self.at(">"):
                raise self.fail("map needs a key and a value type: map<key,value>")
            self.expect(",", "',' between the key and value types of map<")
            value = self.type()
            self.expect(">", "'>' closing map<")
            return MapType(key, value)
        if name == "struct":
            return self.struct()
        if name == "interval":
            return self.interval()
        close = difflib.get_close_matches(name, _KNOWN, n=1, cutoff=0.7)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise self.fail(f"unknown type '{tok.text}'{hint}", tok)

    def decimal(self, start: _Tok) -> SparkType:
        precision, scale = 10, 0
        if self.at("("):
            self.take()
            precision = self.integer("a precision")
            if self.at(","):
                self.take()
                scale = self.integer("a scale")
            self.expect(")", "')'")
        if precision > MAX_PRECISION:  # Spark accepts decimal(0,0)
            raise self.fail(f"invalid decimal({precision},{scale}): the precision cannot exceed "
                            f"{MAX_PRECISION}", start)
        if scale > precision:
            raise self.fail(f"invalid decimal({precision},{scale}): the scale cannot exceed the precision", start)
        return DecimalType(precision, scale)

    def struct(self) -> StructType:
        self.expect("<", "'<' after struct")
        fields: list[StructField] = []
        seen: set[str] = set()
        while not self.at(">"):
            if fields:
                self.expect(",", "',' or '>' in struct<")
            tok = self.tok
            f = self.field()
            if f.name.lower() in seen:
                raise self.fail(f"duplicate name '{f.name}' (Spark names are case-insensitive)", tok)
            seen.add(f.name.lower())
            fields.append(f)
        self.take()
        return StructType(tuple(fields))

    def name(self) -> str:
        tok = self.tok
        if tok.kind == "quoted":
            self.take()
            return tok.text[1:-1].replace("``", "`")
        if tok.kind == "word":
            self.take()
            return tok.text
        raise self.fail(f"expected a field name, found {self.describe(tok)}")

    def field(self) -> StructField:
        name = self.name()
        if self.at(":"):
            self.take()
        ftype = self.type()
        nullable, comment = self.constraints(allow_default=False)[:2]
        return StructField(name, ftype, nullable, comment)

    def constraints(self, *, allow_default: bool) -> tuple[bool, str | None, bool, Any]:
        nullable, comment, has_default, default = True, None, False, None
        while self.at("not", "comment", "default"):
            word = self.take().lower
            if word == "not":
                self.expect("null", "NULL after NOT")
                nullable = False
            elif word == "comment":
                tok = self.tok
                if tok.kind != "string":
                    raise self.fail(f"expected a quoted comment, found {self.describe(tok)}")
                self.take()
                comment = _unquote(tok.text)
            else:
                if not allow_default:
                    raise self.fail("struct fields cannot have defaults", self.toks[self.i - 1])
                has_default, default = True, self.literal()
        return nullable, comment, has_default, default

    def literal(self) -> Any:
        tok = self.tok
        if tok.kind == "string":
            self.take()
            return _unquote(tok.text)
        negative = self.at("-")
        if negative:
            self.take()
            tok = self.tok
        if tok.kind == "word":
            low = tok.lower
            if not negative and low in ("null", "true", "false"):
                self.take()
                return None if low == "null" else low == "true"
            if tok.text.isdigit():
                self.take()
                text = tok.text
                if self.at(".") and self.toks[self.i + 1].kind == "word" and self.toks[self.i + 1].text.isdigit():
                    self.take()
                    text += "." + self.take().text
                    return -float(text) if negative else float(text)
                return -int(text) if negative else int(text)
        raise self.fail(f"only literal defaults are supported, found {self.describe(tok)}", tok)

    def interval(self) -> SparkType:
        if not (self.tok.kind == "word" and self.tok.lower in _INTERVAL_UNITS):
            return AtomicType("interval")
        start_tok = self.take()
        start = start_tok.lower
        if not self.at("to"):
            return AtomicType(f"interval {start}")
        self.take()
        end_tok = self.tok
        end = end_tok.lower if end_tok.kind == "word" else ""
        name = f"interval {start} to {end}"
        if name not in ATOMIC_NAMES:
            raise self.fail(f"'interval {start} to {end_tok.text}' is not an interval type (interval year to month, "
                            "interval day to second, ...)", end_tok)
        self.take()
        return AtomicType(name)

    def end(self, what: str) -> None:
        if self.tok.kind != "end":
            raise self.fail(f"unexpected {self.describe(self.tok)} after {what}")


def _unquote(literal: str) -> str:
    """A Spark string literal's value (backslash escapes as Spark's ``unescapeSQLString``)."""
    from sqlingest.sql import unescape_string_literal

    return unescape_string_literal(literal)


@lru_cache(maxsize=8192)
def parse(text: str) -> SparkType:
    """Parse one Spark type (``long``, ``decimal(10,2)``, ``struct<a:int,`b c`:array<string>>``).

    Raises:
        TypeParseError: ``text`` is not a Spark type (a ``ValueError`` whose message gives the position).
    """
    if not isinstance(text, str):
        raise TypeError(f"a Spark type string is needed, got {type(text).__name__}")
    p = _Parser(text)
    if p.tok.kind == "end":
        raise p.fail("empty type")
    t = p.type()
    p.end("the type")
    return t


@dataclass(frozen=True)
class ColumnDef:
    """One column of a schema DDL (``a BIGINT NOT NULL DEFAULT 0 COMMENT 'x'``)."""

    name: str
    type: SparkType
    nullable: bool = True
    comment: str | None = None
    has_default: bool = False
    default: Any = None


def parse_columns(text: str) -> list[ColumnDef]:
    """Parse a schema DDL (``StructType.fromDDL``'s column list): ``name type [NOT NULL] [DEFAULT lit] [COMMENT
    'x']``, comma-separated. Duplicate names (case-insensitive) are refused."""
    p = _Parser(text)
    out: list[ColumnDef] = []
    seen: set[str] = set()
    while p.tok.kind != "end":
        if out:
            p.expect(",", "',' between columns")
        tok = p.tok
        name = p.name()
        if name.lower() in seen:
            raise p.fail(f"duplicate name '{name}' (Spark names are case-insensitive)", tok)
        seen.add(name.lower())
        ctype = p.type()
        nullable, comment, has_default, default = p.constraints(allow_default=True)
        if p.tok.kind == "word":
            raise p.fail(f"unsupported column constraint '{p.tok.text}' (NOT NULL, DEFAULT and COMMENT are)")
        if has_default and not (p.tok.kind == "end" or p.at(",")):
            raise p.fail(f"only literal defaults are supported, found {p.describe(p.tok)}")
        out.append(ColumnDef(name, ctype, nullable, comment, has_default, default))
    return out


def normalize(text: str) -> str:
    """``text`` as the type Spark's tables hold, printed (``LONG`` → ``bigint``, ``varchar(5)`` → ``string``)."""
    return str(parse(text).normalized())


# ----------------------------------------------------------------------------------------------------------------
# Other representations
# ----------------------------------------------------------------------------------------------------------------


def from_spark_json(value: str | dict[str, Any] | Any) -> SparkType:
    """A type from Spark's JSON form (``DataType.json()``; ``"long"``, ``{"type": "array", ...}``)."""
    if isinstance(value, str) and value.lstrip().startswith(("{", '"')):
        value = json.loads(value)
    if isinstance(value, str):
        return parse({"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint",
                      "null": "void", "calendarinterval": "interval"}.get(value, value))
    if not isinstance(value, dict):
        raise ValueError(f"not a Spark JSON type: {value!r}")  # noqa: TRY004 — malformed JSON, a value error
    kind = value.get("type")
    if kind == "array":
        return ArrayType(from_spark_json(value["elementType"]), bool(value.get("containsNull", True)))
    if kind == "map":
        return MapType(from_spark_json(value["keyType"]), from_spark_json(value["valueType"]),
                       bool(value.get("valueContainsNull", True)))
    if kind == "struct":
        fields = []
        for f in value.get("fields", []):
            meta = f.get("metadata") or {}
            ftype = from_spark_json(f["type"])
            declared = meta.get("__CHAR_VARCHAR_TYPE_STRING")
            if isinstance(declared, str):
                ftype = parse(declared)
            comment = meta.get("comment")
            fields.append(StructField(f["name"], ftype, bool(f.get("nullable", True)),
                                      comment if isinstance(comment, str) else None))
        return StructType(tuple(fields))
    if kind == "udt":
        return from_spark_json(value["sqlType"])
    raise ValueError(f"not a Spark JSON type: {value!r}")


def from_pyspark(dtype: Any) -> SparkType:
    """A type from a ``pyspark.sql.types.DataType`` (through its JSON; pyspark is not imported here)."""
    return from_spark_json(dtype.json())


def from_sqlglot(dtype: Any) -> SparkType:
    """A type from a sqlglot ``exp.DataType`` (as the compiler's expressions carry them).

    Raises:
        ValueError: the type has no Spark equivalent.
    """
    from sqlglot import exp

    t = exp.DataType.Type
    kind = dtype.this
    args = dtype.expressions
    if kind in (t.VARCHAR, t.CHAR, t.TEXT, t.NVARCHAR, t.NCHAR):
        return STRING
    if kind == t.ARRAY and len(args) == 1:
        return ArrayType(from_sqlglot(args[0]))
    if kind == t.MAP and len(args) == 2:
        return MapType(from_sqlglot(args[0]), from_sqlglot(args[1]))
    if kind == t.STRUCT:
        fields = []
        for f in args:
            ftype = f.args.get("kind")
            if ftype is None:
                raise ValueError(f"struct field without a type: {f.sql('spark')}")
            fields.append(StructField(f.name, from_sqlglot(ftype)))
        return StructType(tuple(fields))
    if kind == t.DECIMAL:
        params = [int(p.name) for p in args]
        return DecimalType(*params[:2]) if params else DecimalType()
    if kind in (t.TIMESTAMPTZ, t.TIMESTAMPLTZ, t.TIMESTAMP):
        return TIMESTAMP
    if kind == t.TIMESTAMPNTZ:
        return TIMESTAMP_NTZ
    if kind == t.NULL:
        return VOID
    if kind == t.VARBINARY:
        return BINARY
    if kind == t.USERDEFINED:
        raise ValueError(f"'{dtype.sql('spark')}' is not a Spark type")
    return parse(dtype.sql("spark")).normalized()


def walk(t: SparkType) -> Iterator[SparkType]:
    """``t`` and every type nested in it, depth first."""
    yield t
    for child in t.children():
        yield from walk(child)


# ----------------------------------------------------------------------------------------------------------------
# Rules
# ----------------------------------------------------------------------------------------------------------------


def _name(t: SparkType) -> str | None:
    return t.name if isinstance(t, AtomicType) else None


def is_numeric(t: SparkType) -> bool:
    return _name(t) in NUMERIC_ORDER or isinstance(t, DecimalType)


def is_atomic(t: SparkType) -> bool:
    return not isinstance(t, ArrayType | MapType | StructType)


def category(t: SparkType) -> str:
    """A coarse family used at compile time, where inferred types are approximate: ``numeric``, ``temporal``,
    ``array``, ``map``, ``struct``, or the type itself."""
    if is_numeric(t):
        return "numeric"
    if _name(t) in DATETIME:
        return "temporal"
    if isinstance(t, ArrayType):
        return "array"
    if isinstance(t, MapType):
        return "map"
    if isinstance(t, StructType):
        return "struct"
    return str(t)


def widens(actual: SparkType, declared: SparkType) -> bool:
    """True when every value of ``actual`` fits ``declared`` exactly (a safe implicit cast)."""
    if actual == declared or actual == VOID:
        return True
    a, d = _name(actual), _name(declared)
    if a in INTEGRAL and d in INTEGRAL:
        return INTEGRAL.index(a) <= INTEGRAL.index(d)
    if a in ("tinyint", "smallint", "int") and d == "double":
        return True
    if a in ("tinyint", "smallint") and d == "float":
        return True
    if a == "float" and d == "double":
        return True
    if isinstance(declared, DecimalType):
        src = DECIMAL_OF_INTEGRAL.get(a or "") if a else actual if isinstance(actual, DecimalType) else None
        if isinstance(src, DecimalType):
            return declared.scale >= src.scale and \
                declared.precision - declared.scale >= src.precision - src.scale
        return False
    return a == "date" and d in ("timestamp", "timestamp_ntz")


def bounded(p: int, s: int) -> DecimalType:
    """``DecimalType.bounded``."""
    return DecimalType(min(p, MAX_PRECISION), min(s, MAX_PRECISION))


def adjust_precision_scale(p: int, s: int) -> DecimalType:
    """Spark's ``DecimalType.adjustPrecisionScale`` (``spark.sql.decimalOperations.allowPrecisionLoss``)."""
    if p <= MAX_PRECISION:
        return DecimalType(p, s)
    int_digits = p - s
    min_scale = min(s, 6)
    return DecimalType(MAX_PRECISION, max(MAX_PRECISION - int_digits, min_scale))


def as_decimal(t: SparkType, literal: int | None = None) -> DecimalType | None:
    """An operand of decimal arithmetic: decimals as they are, integral types (integer literals by their digits)."""
    if isinstance(t, DecimalType):
        return t
    name = _name(t)
    if name in INTEGRAL:
        if literal is not None:
            return DecimalType(max(len(str(abs(literal))), 1), 0)
        return DECIMAL_OF_INTEGRAL[name]
    return None


def wider_decimal(a: DecimalType, b: DecimalType) -> DecimalType:
    scale = max(a.scale, b.scale)
    rng = max(a.precision - a.scale, b.precision - b.scale)
    return bounded(rng + scale, scale)


def tightest(a: SparkType, b: SparkType) -> SparkType | None:
    """``findTightestCommonType``: same type, void, numeric widening (no decimals), date → timestamp; ``None`` when
    there is none."""
    if a == b:
        return a
    if a == VOID:
        return b
    if b == VOID:
        return a
    na, nb = _name(a), _name(b)
    if na in NUMERIC_ORDER and nb in NUMERIC_ORDER:
        return AtomicType(NUMERIC_ORDER[max(NUMERIC_ORDER.index(na), NUMERIC_ORDER.index(nb))])
    if na in DATETIME and nb in DATETIME:
        return TIMESTAMP if "timestamp" in (na, nb) else TIMESTAMP_NTZ
    return _complex(a, b, tightest)


def wider(a: SparkType, b: SparkType, *, string_promotion: bool = True) -> SparkType | None:
    """``findWiderTypeForTwo``: tightest, then decimal widening, then string promotion; ``None`` when Spark has no
    common type."""
    t = tightest(a, b)
    if t is not None:
        return t
    if isinstance(a, DecimalType) or isinstance(b, DecimalType):
        if _name(a) in FRACTIONAL or _name(b) in FRACTIONAL:
            return DOUBLE
        xa, xb = as_decimal(a), as_decimal(b)
        if xa and xb:
            return wider_decimal(xa, xb)
    if string_promotion:
        for x, y in ((a, b), (b, a)):
            if x == STRING and is_atomic(y) and y not in (BINARY, BOOLEAN):
                return STRING
    return _complex(a, b, lambda x, y: wider(x, y, string_promotion=string_promotion))


def _complex(a: SparkType, b: SparkType, rule: Callable[[SparkType, SparkType], SparkType | None]
             ) -> SparkType | None:
    if isinstance(a, ArrayType) and isinstance(b, ArrayType):
        e = rule(a.element, b.element)
        return ArrayType(e, a.contains_null or b.contains_null) if e else None
    if isinstance(a, MapType) and isinstance(b, MapType):
        k, v = rule(a.key, b.key), rule(a.value, b.value)
        return MapType(k, v, a.value_contains_null or b.value_contains_null) if k and v else None
    if isinstance(a, StructType) and isinstance(b, StructType) and len(a.fields) == len(b.fields) and \
            all(x.name.lower() == y.name.lower() for x, y in zip(a.fields, b.fields, strict=True)):
        fields = []
        for x, y in zip(a.fields, b.fields, strict=True):
            ft = rule(x.type, y.type)
            if ft is None:
                return None
            fields.append(StructField(x.name, ft, x.nullable or y.nullable))
        return StructType(tuple(fields))
    return None


def compatible(a: SparkType, b: SparkType) -> bool:
    """True when Spark has a common type for ``a`` and ``b``."""
    return wider(a, b) is not None


def arithmetic(op: str, a: SparkType, b: SparkType, *, lit_a: int | None = None, lit_b: int | None = None
               ) -> SparkType | None:
    """Result type of ``a op b`` for op in + - * / %, as Spark's type coercion and decimal rules give it."""
    if a == VOID and b == VOID:
        return DOUBLE if op == "/" else VOID
    if a == VOID:
        a = b
    if b == VOID:
        b = a
    if op in "+-" and DATE in (a, b) and all(_name(x) in (*INTEGRAL, "date") for x in (a, b)):
        return DATE if a == DATE or op == "+" else None
    if a == STRING or b == STRING:
        other = b if a == STRING else a
        return DOUBLE if other == STRING or is_numeric(other) else None
    if not (is_numeric(a) and is_numeric(b)):
        return None
    if isinstance(a, DecimalType) or isinstance(b, DecimalType):
        if _name(a) in FRACTIONAL or _name(b) in FRACTIONAL:
            return DOUBLE
        x, y = as_decimal(a, lit_a), as_decimal(b, lit_b)
        assert x and y
        (p1, s1), (p2, s2) = (x.precision, x.scale), (y.precision, y.scale)
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
        return DOUBLE
    return tightest(a, b)


def sum_type(t: SparkType) -> SparkType | None:
    if _name(t) in INTEGRAL:
        return BIGINT
    if _name(t) in FRACTIONAL or t == STRING:
        return DOUBLE
    if isinstance(t, DecimalType):
        return bounded(t.precision + 10, t.scale)
    return None


def avg_type(t: SparkType) -> SparkType | None:
    if _name(t) in (*INTEGRAL, *FRACTIONAL) or t == STRING:
        return DOUBLE
    if isinstance(t, DecimalType):
        return bounded(t.precision + 4, t.scale + 4)
    return None


def cast_forces_null(src: SparkType, to: SparkType) -> bool | None:
    """Spark's ``Cast.forceNullable`` (non-ANSI): True when the cast may turn a value into NULL; ``None`` when not
    known (complex sources)."""
    if src == VOID or src == to:
        return False
    if src == STRING:
        return to != BINARY
    if to == STRING:
        return False
    s, d = _name(src), _name(to)
    if s in FRACTIONAL and d == "timestamp":
        return True
    if s == "timestamp" and d == "date":
        return False
    if d == "date":
        return True
    if s == "date":
        return d not in ("timestamp", "timestamp_ntz")
    if isinstance(to, DecimalType):
        x = as_decimal(src)
        if x is None or not (to.scale >= x.scale and to.precision - to.scale >= x.precision - x.scale):
            return True
    if s in FRACTIONAL and d in INTEGRAL:
        return True
    if not is_atomic(src):
        return None
    return False
