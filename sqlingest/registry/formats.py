"""Converters between a column list and Avro, JSON Schema (draft 2020-12) and Spark DDL.

A column is a dict ``{"name", "type", "nullable", "default", "doc", "aliases"}`` whose ``type`` is a Spark SQL type
string (``bigint``, ``decimal(10,2)``, ``array<string>``, ``map<string,int>``, ``struct<a:int,b:string>``, ...).
Only ``name`` and ``type`` are required; ``nullable`` defaults to true; other keys are ignored. Functions
returning columns always give ``name``, ``type`` (canonical lower-case spelling) and ``nullable``, and
``default``, ``doc`` and ``aliases`` only when there is one.

Spark types are parsed with sqlglot (Spark dialect). Things a target format cannot express raise
:class:`~sqlingest.registry.compat.SchemaParseError`, except what is documented as dropped on each function.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import SqlglotError

from sqlingest.registry.compat import (
    ArrayType,
    AvroType,
    EnumType,
    FixedType,
    MapType,
    PrimitiveType,
    RecordType,
    SchemaParseError,
    UnionType,
    parse_avro,
)

__all__ = [
    "avro_to_columns",
    "columns_to_avro",
    "columns_to_json_schema",
    "columns_to_spark_ddl",
    "json_schema_to_columns",
    "spark_ddl_to_columns",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
MAX_DECIMAL_PRECISION = 38  # Spark's limit

_DT = exp.DataType.Type
_SIMPLE_SPARK_TYPES: dict[Any, str] = {
    _DT.TINYINT: "tinyint",
    _DT.SMALLINT: "smallint",
    _DT.INT: "int",
    _DT.BIGINT: "bigint",
    _DT.FLOAT: "float",
    _DT.DOUBLE: "double",
    _DT.TEXT: "string",
    _DT.VARCHAR: "string",
    _DT.CHAR: "string",
    _DT.BINARY: "binary",
    _DT.VARBINARY: "binary",
    _DT.BOOLEAN: "boolean",
    _DT.DATE: "date",
    _DT.TIMESTAMP: "timestamp",
    _DT.TIMESTAMPTZ: "timestamp",
    _DT.TIMESTAMPLTZ: "timestamp",
    _DT.TIMESTAMPNTZ: "timestamp_ntz",
}
_STRING_TYPES = frozenset({_DT.VARCHAR, _DT.CHAR})  # char(n)/varchar(n) become plain strings

_SPARK_TO_AVRO: dict[str, Any] = {
    "tinyint": "int",
    "smallint": "int",
    "int": "int",
    "bigint": "long",
    "float": "float",
    "double": "double",
    "string": "string",
    "binary": "bytes",
    "boolean": "boolean",
    "date": {"type": "int", "logicalType": "date"},
    "timestamp": {"type": "long", "logicalType": "timestamp-micros"},
    "timestamp_ntz": {"type": "long", "logicalType": "local-timestamp-micros"},
}
_AVRO_TO_SPARK: dict[tuple[str, str | None], str] = {
    ("int", None): "int",
    ("int", "date"): "date",
    ("int", "time-millis"): "int",
    ("long", None): "bigint",
    ("long", "time-micros"): "bigint",
    ("long", "timestamp-millis"): "timestamp",
    ("long", "timestamp-micros"): "timestamp",
    ("long", "timestamp-nanos"): "timestamp",
    ("long", "local-timestamp-millis"): "timestamp_ntz",
    ("long", "local-timestamp-micros"): "timestamp_ntz",
    ("long", "local-timestamp-nanos"): "timestamp_ntz",
    ("float", None): "float",
    ("double", None): "double",
    ("boolean", None): "boolean",
    ("string", None): "string",
    ("string", "uuid"): "string",
    ("bytes", None): "binary",
}

_SPARK_TO_JSON: dict[str, dict[str, Any]] = {
    "tinyint": {"type": "integer", "format": "int8"},
    "smallint": {"type": "integer", "format": "int16"},
    "int": {"type": "integer", "format": "int32"},
    "bigint": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "float"},
    "double": {"type": "number", "format": "double"},
    "string": {"type": "string"},
    "binary": {"type": "string", "contentEncoding": "base64"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "timestamp": {"type": "string", "format": "date-time"},
    "timestamp_ntz": {"type": "string", "format": "local-date-time"},
}
_JSON_FORMATS: dict[tuple[str, str | None], str] = {
    ("integer", "int8"): "tinyint",
    ("integer", "int16"): "smallint",
    ("integer", "int32"): "int",
    ("number", "float"): "float",
    ("string", "date"): "date",
    ("string", "date-time"): "timestamp",
    ("string", "local-date-time"): "timestamp_ntz",
}
_JSON_DEFAULTS = {"integer": "bigint", "number": "double", "string": "string", "boolean": "boolean"}
_JSON_DECIMAL_RE = re.compile(r"decimal\((\d+),(\d+)\)\Z")

_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SPARK_KEYWORDS = frozenset(k for k in Spark.Tokenizer.KEYWORDS if k.isidentifier())


# --------------------------------------------------------------------------------------------------------------
# Spark type model
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SparkType:
    """A Spark type: ``kind`` is a simple type name, ``decimal``, ``array``, ``map`` or ``struct``."""

    kind: str
    precision: int = 0
    scale: int = 0
    element: _SparkType | None = None  # array element or map value
    key: _SparkType | None = None  # map key
    fields: tuple[_StructField, ...] = ()


@dataclass(frozen=True)
class _StructField:
    name: str
    type: _SparkType
    nullable: bool = True
    doc: str | None = None


@dataclass(frozen=True)
class _Column:
    name: str
    type: _SparkType
    nullable: bool = True
    has_default: bool = False
    default: Any = None
    doc: str | None = None
    aliases: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": _render(self.type), "nullable": self.nullable}
        if self.has_default:
            out["default"] = self.default
        if self.doc is not None:
            out["doc"] = self.doc
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out


def _parse_spark_type(type_str: str, where: str) -> _SparkType:
    try:
        parsed = sqlglot.parse_one(type_str, into=exp.DataType, dialect="spark")
    except SqlglotError as exc:
        raise SchemaParseError(f"{where}: cannot parse Spark type {type_str!r}") from exc
    return _from_sqlglot(parsed, where)


def _from_sqlglot(node: exp.Expression, where: str) -> _SparkType:
    """Convert a parsed sqlglot type, checking arities (sqlglot accepts e.g. ``map<string>``)."""
    if not isinstance(node, exp.DataType) or not isinstance(node.this, _DT):
        raise SchemaParseError(f"{where}: unsupported Spark type {node.sql('spark')!r}")
    kind, args = node.this, node.expressions
    if kind in _SIMPLE_SPARK_TYPES and (not args or kind in _STRING_TYPES):
        return _SparkType(_SIMPLE_SPARK_TYPES[kind])
    if kind == _DT.DECIMAL and len(args) <= 2:
        params = [_int_param(a, where) for a in args]
        return _decimal(params[0] if params else 10, params[1] if len(params) > 1 else 0, where)
    if kind == _DT.ARRAY and len(args) == 1:
        return _SparkType("array", element=_from_sqlglot(args[0], f"{where}[]"))
    if kind == _DT.MAP and len(args) == 2:
        key = _from_sqlglot(args[0], where)
        return _SparkType("map", key=key, element=_from_sqlglot(args[1], f"{where}{{}}"))
    if kind == _DT.STRUCT:
        fields = tuple(_struct_field(a, where) for a in args)
        _check_unique([f.name for f in fields], where)
        return _SparkType("struct", fields=fields)
    raise SchemaParseError(f"{where}: unsupported Spark type {node.sql('spark')!r}")


def _struct_field(node: exp.Expression, where: str) -> _StructField:
    if not isinstance(node, exp.ColumnDef) or node.args.get("kind") is None:
        raise SchemaParseError(f"{where}: invalid struct field {node.sql('spark')!r}")
    field_where = f"{where}.{node.name}"
    nullable, doc, has_default, _ = _constraints(node, field_where)
    if has_default:
        raise SchemaParseError(f"{field_where}: struct fields cannot have defaults")
    return _StructField(node.name, _from_sqlglot(node.args["kind"], field_where), nullable, doc)


def _constraints(node: exp.ColumnDef, where: str) -> tuple[bool, str | None, bool, Any]:
    """``(nullable, doc, has_default, default)`` from ``NOT NULL``, ``COMMENT`` and ``DEFAULT`` constraints."""
    nullable, doc, has_default, default = True, None, False, None
    for constraint in node.constraints:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null"):
            nullable = False
        elif isinstance(kind, exp.CommentColumnConstraint):
            doc = kind.this.name
        elif isinstance(kind, exp.DefaultColumnConstraint):
            has_default, default = True, _literal_value(kind.this, where)
        else:
            raise SchemaParseError(f"{where}: unsupported column constraint {constraint.sql('spark')!r}")
    return nullable, doc, has_default, default


def _literal_value(node: exp.Expression, where: str) -> Any:
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return -_literal_value(node.this, where)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        return int(node.this) if node.this.isdigit() else float(node.this)
    raise SchemaParseError(f"{where}: only literal defaults are supported, got {node.sql('spark')!r}")


def _int_param(node: exp.Expression, where: str) -> int:
    value = node.this if isinstance(node, exp.DataTypeParam) else node
    if isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
        return int(value.this)
    raise SchemaParseError(f"{where}: invalid decimal parameter {node.sql('spark')!r}")


def _decimal(precision: int, scale: int, where: str) -> _SparkType:
    if not 1 <= precision <= MAX_DECIMAL_PRECISION or not 0 <= scale <= precision:
        raise SchemaParseError(
            f"{where}: invalid decimal({precision},{scale}): need 1 <= precision <= "
            f"{MAX_DECIMAL_PRECISION} and 0 <= scale <= precision"
        )
    return _SparkType("decimal", precision=precision, scale=scale)


def _render(t: _SparkType, ddl: bool = False) -> str:
    """Spark spelling of a type: canonical lower-case (``struct<a:int>``) or DDL (``STRUCT<a: INT>``)."""

    def word(text: str) -> str:
        return text.upper() if ddl else text

    if t.kind == "decimal":
        return word(f"decimal({t.precision},{t.scale})")
    if t.kind == "array":
        return f"{word('array')}<{_render(_element(t), ddl)}>"
    if t.kind == "map":
        sep = ", " if ddl else ","
        return f"{word('map')}<{_render(_key(t), ddl)}{sep}{_render(_element(t), ddl)}>"
    if t.kind == "struct":
        parts = []
        for f in t.fields:
            part = f"{_quote(f.name)}{': ' if ddl else ':'}{_render(f.type, ddl)}"
            if not f.nullable:
                part += word(" not null")
            if f.doc is not None:
                part += f"{word(' comment')} {exp.Literal.string(f.doc).sql('spark')}"
            parts.append(part)
        return f"{word('struct')}<{(', ' if ddl else ',').join(parts)}>"
    return word(t.kind)


def _quote(name: str) -> str:
    if _PLAIN_IDENTIFIER.match(name) and name.upper() not in _SPARK_KEYWORDS:
        return name
    return "`" + name.replace("`", "``") + "`"


def _element(t: _SparkType) -> _SparkType:
    assert t.element is not None
    return t.element


def _key(t: _SparkType) -> _SparkType:
    assert t.key is not None
    return t.key


def _parse_columns(columns: list[dict[str, Any]]) -> list[_Column]:
    if not isinstance(columns, list):
        raise SchemaParseError(f"columns must be a list of dicts, got {type(columns).__name__}")
    parsed = [_parse_column(raw, i) for i, raw in enumerate(columns)]
    _check_unique([c.name for c in parsed], "columns")
    return parsed


def _parse_column(raw: Any, index: int) -> _Column:
    if not isinstance(raw, dict):
        raise SchemaParseError(f"column #{index}: expected a dict, got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise SchemaParseError(f"column #{index}: 'name' must be a non-empty string, got {name!r}")
    type_str, nullable = raw.get("type"), raw.get("nullable", True)
    doc, aliases = raw.get("doc"), raw.get("aliases", [])
    if not isinstance(type_str, str):
        raise SchemaParseError(f"column {name!r}: 'type' must be a Spark type string, got {type_str!r}")
    if not isinstance(nullable, bool):
        raise SchemaParseError(f"column {name!r}: 'nullable' must be a boolean, got {nullable!r}")
    if doc is not None and not isinstance(doc, str):
        raise SchemaParseError(f"column {name!r}: 'doc' must be a string, got {doc!r}")
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise SchemaParseError(f"column {name!r}: 'aliases' must be a list of strings, got {aliases!r}")
    return _Column(
        name=name,
        type=_parse_spark_type(type_str, name),
        nullable=nullable,
        has_default="default" in raw,
        default=raw.get("default"),
        doc=doc,
        aliases=tuple(aliases),
    )


def _check_unique(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise SchemaParseError(f"{where}: duplicate name {name!r} (Spark names are case-insensitive)")
        seen.add(name.lower())


# --------------------------------------------------------------------------------------------------------------
# Avro
# --------------------------------------------------------------------------------------------------------------


def columns_to_avro(name: str, columns: list[dict[str, Any]], namespace: str | None = None) -> dict[str, Any]:
    """Build an Avro record schema from a column list.

    Nullable columns become ``["null", T]`` with a ``null`` default, or ``[T, "null"]`` when they have a non-null
    default (Avro matches a union default against the first branch). Structs become nested records named
    ``<parent>_<field>`` (a numeric suffix keeps names unique). Array elements and map values are not made
    nullable. The result is validated with :func:`~sqlingest.registry.compat.parse_avro`, so column defaults must
    be valid Avro JSON defaults for their type (e.g. days since epoch for a ``date``).

    Args:
        name: Record name (an Avro name).
        columns: Column dicts, see the module docstring.
        namespace: Optional Avro namespace.

    Returns:
        The Avro schema as a JSON-ready dict.

    Raises:
        SchemaParseError: A column is malformed, its type is not supported (e.g. a map with non-string keys), a
            name is not a valid Avro name, or a default does not fit its type.
    """
    names = _NameAllocator()
    record_name = names.allocate(name)
    fields = []
    for column in _parse_columns(columns):
        field = _avro_field(column.name, column.type, column.nullable, record_name, names, column.doc)
        if column.has_default:
            field["type"] = _order_union_for_default(field["type"], column.default)
            field["default"] = column.default
        if column.aliases:
            field["aliases"] = list(column.aliases)
        fields.append(field)
    schema: dict[str, Any] = {"type": "record", "name": record_name}
    if namespace:
        schema["namespace"] = namespace
    schema["fields"] = fields
    parse_avro(schema)  # validate names and defaults
    return schema


class _NameAllocator:
    """Hands out record names, suffixing ``_2``, ``_3``, ... on collision."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def allocate(self, wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate in self.used:
            n += 1
            candidate = f"{wanted}_{n}"
        self.used.add(candidate)
        return candidate


def _avro_field(
    name: str, t: _SparkType, nullable: bool, parent: str, names: _NameAllocator, doc: str | None
) -> dict[str, Any]:
    avro_type = _to_avro(t, f"{parent}_{name}", names, name)
    field: dict[str, Any] = {"name": name, "type": ["null", avro_type] if nullable else avro_type}
    if nullable:
        field["default"] = None
    if doc is not None:
        field["doc"] = doc
    return field


def _order_union_for_default(avro_type: Any, default: Any) -> Any:
    if isinstance(avro_type, list) and default is not None:
        return [avro_type[1], "null"]
    return avro_type


def _to_avro(t: _SparkType, name_hint: str, names: _NameAllocator, where: str) -> Any:
    if t.kind in _SPARK_TO_AVRO:
        simple = _SPARK_TO_AVRO[t.kind]
        return dict(simple) if isinstance(simple, dict) else simple
    if t.kind == "decimal":
        return {"type": "bytes", "logicalType": "decimal", "precision": t.precision, "scale": t.scale}
    if t.kind == "array":
        return {"type": "array", "items": _to_avro(_element(t), name_hint, names, f"{where}[]")}
    if t.kind == "map":
        if _key(t).kind != "string":
            raise SchemaParseError(f"{where}: Avro map keys are strings, got map key type {_render(_key(t))!r}")
        return {"type": "map", "values": _to_avro(_element(t), name_hint, names, f"{where}{{}}")}
    record_name = names.allocate(name_hint)
    fields = [_avro_field(f.name, f.type, f.nullable, record_name, names, f.doc) for f in t.fields]
    return {"type": "record", "name": record_name, "fields": fields}


def avro_to_columns(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Read the columns of an Avro record schema.

    ``["null", T]`` unions (either order) give nullable columns; enums become ``string``, fixed ``binary`` (or
    ``decimal``), records ``struct``. Logical types map to ``date``, ``timestamp`` (``timestamp-*``),
    ``timestamp_ntz`` (``local-timestamp-*``) and ``decimal(p,s)``; time and uuid types keep their underlying type.
    A ``null`` default of a nullable column is implied and not returned. Nested fields keep their docs but lose
    defaults and aliases; nullability of array items and map values is dropped.

    Args:
        schema: The parsed JSON of an Avro record schema.

    Returns:
        The column dicts, in field order.

    Raises:
        SchemaParseError: The schema is invalid, not a record, recursive, or uses a union other than
            ``["null", T]`` or a type Spark cannot hold (``null``, decimals over 38 digits).
    """
    root = parse_avro(schema)
    if not isinstance(root, RecordType):
        raise SchemaParseError("an Avro schema for columns must be a record")
    columns = []
    for field in root.fields:
        nullable, inner = _split_nullable(field.type, field.name)
        default_implied = nullable and field.has_default and field.default is None
        columns.append(
            _Column(
                name=field.name,
                type=_from_avro(inner, field.name, (root.fullname,)),
                nullable=nullable,
                has_default=field.has_default and not default_implied,
                default=field.default,
                doc=field.doc,
                aliases=field.aliases,
            ).as_dict()
        )
    return columns


def _split_nullable(t: AvroType, where: str) -> tuple[bool, AvroType]:
    if not isinstance(t, UnionType):
        return False, t
    non_null = [b for b in t.branches if not (isinstance(b, PrimitiveType) and b.name == "null")]
    if len(non_null) != 1:
        raise SchemaParseError(
            f"{where}: only unions of null and one type are supported, got {len(non_null)} non-null branches"
        )
    return len(non_null) < len(t.branches), non_null[0]


def _from_avro(t: AvroType, where: str, enclosing: tuple[str, ...]) -> _SparkType:
    if isinstance(t, PrimitiveType):
        if t.logical_type == "decimal":
            return _decimal(t.precision or 0, t.scale or 0, where)
        kind = _AVRO_TO_SPARK.get((t.name, t.logical_type))
        if kind is None:
            raise SchemaParseError(f"{where}: Avro type {t.name!r} has no Spark equivalent")
        return _SparkType(kind)
    if isinstance(t, EnumType):
        return _SparkType("string")
    if isinstance(t, FixedType):
        if t.logical_type == "decimal":
            return _decimal(t.precision or 0, t.scale or 0, where)
        return _SparkType("binary")
    if isinstance(t, ArrayType):
        return _SparkType("array", element=_from_avro(_split_nullable(t.items, where)[1], f"{where}[]", enclosing))
    if isinstance(t, MapType):
        value = _from_avro(_split_nullable(t.values, where)[1], f"{where}{{}}", enclosing)
        return _SparkType("map", key=_SparkType("string"), element=value)
    if isinstance(t, RecordType):
        if t.fullname in enclosing:
            raise SchemaParseError(f"{where}: recursive record {t.fullname!r} cannot be a Spark type")
        fields = []
        for f in t.fields:
            nullable, inner = _split_nullable(f.type, f"{where}.{f.name}")
            field_type = _from_avro(inner, f"{where}.{f.name}", (*enclosing, t.fullname))
            fields.append(_StructField(f.name, field_type, nullable, f.doc))
        return _SparkType("struct", fields=tuple(fields))
    raise SchemaParseError(f"{where}: nested unions are not supported")


# --------------------------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------------------------


def columns_to_json_schema(columns: list[dict[str, Any]]) -> dict[str, Any]:
    """Build a JSON Schema (draft 2020-12) object schema from a column list.

    Non-nullable columns are ``required``; nullable ones also accept ``null``. Integer and floating types carry a
    ``format`` (``int8``/``int16``/``int32``/``int64``, ``float``/``double``), decimals ``"format":
    "decimal(p,s)"``, timestamps ``date-time`` (``local-date-time`` without time zone) and binary
    ``"contentEncoding": "base64"``. ``doc`` becomes ``description``; aliases are dropped.

    Args:
        columns: Column dicts, see the module docstring.

    Returns:
        The JSON Schema as a JSON-ready dict.

    Raises:
        SchemaParseError: A column is malformed or is a map with non-string keys.
    """
    schema: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT}
    members = [(c.name, c.type, c.nullable, c.doc, c.has_default, c.default) for c in _parse_columns(columns)]
    schema.update(_json_object(members, ""))
    return schema


def _json_object(members: list[tuple[str, _SparkType, bool, str | None, bool, Any]], where: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, t, nullable, doc, has_default, default in members:
        prop = _to_json(t, f"{where}.{name}" if where else name)
        if nullable:
            prop["type"] = [prop["type"], "null"]
        if doc is not None:
            prop["description"] = doc
        if has_default:
            prop["default"] = default
        properties[name] = prop
    out: dict[str, Any] = {"type": "object", "properties": properties}
    required = [name for name, _, nullable, *_ in members if not nullable]
    if required:
        out["required"] = required
    return out


def _to_json(t: _SparkType, where: str) -> dict[str, Any]:
    if t.kind in _SPARK_TO_JSON:
        return dict(_SPARK_TO_JSON[t.kind])
    if t.kind == "decimal":
        return {"type": "number", "format": f"decimal({t.precision},{t.scale})"}
    if t.kind == "array":
        return {"type": "array", "items": _to_json(_element(t), f"{where}[]")}
    if t.kind == "map":
        if _key(t).kind != "string":
            raise SchemaParseError(f"{where}: JSON object keys are strings, got map key type {_render(_key(t))!r}")
        return {"type": "object", "additionalProperties": _to_json(_element(t), f"{where}{{}}")}
    return _json_object([(f.name, f.type, f.nullable, f.doc, False, None) for f in t.fields], where)


def json_schema_to_columns(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Read the columns of a JSON Schema object schema (the inverse of :func:`columns_to_json_schema`).

    A property is nullable when it is not ``required`` or accepts ``null`` (``"type": [T, "null"]`` or an
    ``anyOf``/``oneOf`` with a ``{"type": "null"}`` branch). Local ``$ref`` s (``#/$defs/...``) are followed.
    Integers without a format are ``bigint``, numbers ``double``; objects with ``properties`` are structs and
    objects with an ``additionalProperties`` schema are ``map<string,...>``.

    Args:
        schema: A JSON Schema whose root is an object with ``properties``.

    Returns:
        The column dicts, in property order.

    Raises:
        SchemaParseError: The root is not an object with properties, or a property uses something without a
            Spark equivalent (several non-null types, free-form objects, arrays without ``items``, bad ``$ref``).
    """
    if not isinstance(schema, dict):
        raise SchemaParseError(f"a JSON Schema must be an object, got {type(schema).__name__}")
    resolver = _JsonResolver(schema)
    root = resolver.resolve(schema, "")
    if not isinstance(root, dict) or not isinstance(root.get("properties"), dict):
        raise SchemaParseError("a JSON Schema for columns must be an object with 'properties'")
    columns = []
    for name, nullable, t, prop in resolver.members(root, ""):
        default_implied = nullable and "default" in prop and prop["default"] is None
        columns.append(
            _Column(
                name=name,
                type=t,
                nullable=nullable,
                has_default="default" in prop and not default_implied,
                default=prop.get("default"),
                doc=prop.get("description"),
            ).as_dict()
        )
    return columns


class _JsonResolver:
    """Converts JSON Schema nodes to Spark types, following local ``$ref`` s."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.following: list[str] = []

    def resolve(self, node: Any, where: str) -> Any:
        """Follow the ``$ref`` chain of a node, if any (siblings of ``$ref`` are ignored)."""
        seen: list[str] = []
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#"):
                raise SchemaParseError(f"{where}: only local $ref are supported, got {ref!r}")
            if ref in seen or ref in self.following:
                raise SchemaParseError(f"{where}: recursive $ref {ref!r} cannot be a Spark type")
            seen.append(ref)
            node = self._pointer(ref, where)
        return node

    def _pointer(self, ref: str, where: str) -> Any:
        node: Any = self.document
        for token in filter(None, ref[1:].split("/")):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise SchemaParseError(f"{where}: $ref {ref!r} points nowhere")
        return node

    def members(self, node: dict[str, Any], where: str) -> Iterator[tuple[str, bool, _SparkType, dict[str, Any]]]:
        """Yield ``(name, nullable, type, property schema)`` for each property of an object."""
        required = node.get("required", [])
        if not isinstance(required, list):
            raise SchemaParseError(f"{where or 'root'}: 'required' must be a list")
        _check_unique(list(node["properties"]), where or "properties")
        for name, raw in node["properties"].items():
            prop_where = f"{where}.{name}" if where else name
            prop = self.resolve(raw, prop_where)
            if not isinstance(prop, dict):
                raise SchemaParseError(f"{prop_where}: a property schema must be an object")
            accepts_null, t = self.convert(raw, prop_where)
            yield name, accepts_null or name not in required, t, prop

    def convert(self, raw: Any, where: str) -> tuple[bool, _SparkType]:
        """Convert a schema node to ``(accepts null, Spark type)``."""
        ref = raw.get("$ref") if isinstance(raw, dict) else None
        node = self.resolve(raw, where)
        if not isinstance(node, dict):
            raise SchemaParseError(f"{where}: a schema must be an object, got {node!r}")
        if ref:
            self.following.append(ref)
        try:
            return self._convert(node, where)
        finally:
            if ref:
                self.following.pop()

    def _convert(self, node: dict[str, Any], where: str) -> tuple[bool, _SparkType]:
        for keyword in ("anyOf", "oneOf"):
            if keyword in node:
                return self._alternatives(node[keyword], where)
        types = node.get("type", _infer_json_type(node))
        if types is None:
            raise SchemaParseError(f"{where}: no 'type', and none can be inferred")
        type_list = types if isinstance(types, list) else [types]
        non_null = [t for t in type_list if t != "null"]
        if len(non_null) != 1:
            raise SchemaParseError(f"{where}: need exactly one non-null JSON type, got {types!r}")
        return len(non_null) < len(type_list), self._typed(non_null[0], node, where)

    def _alternatives(self, branches: Any, where: str) -> tuple[bool, _SparkType]:
        if not isinstance(branches, list):
            raise SchemaParseError(f"{where}: anyOf/oneOf must be a list")
        resolved = [(b, self.resolve(b, where)) for b in branches]
        non_null = [raw for raw, b in resolved if not (isinstance(b, dict) and b.get("type") == "null")]
        if len(non_null) != 1:
            raise SchemaParseError(f"{where}: anyOf/oneOf must hold one non-null schema, got {len(non_null)}")
        accepts_null, t = self.convert(non_null[0], where)
        return accepts_null or len(non_null) < len(branches), t

    def _typed(self, json_type: Any, node: dict[str, Any], where: str) -> _SparkType:
        fmt = node.get("format")
        if json_type == "array":
            if not isinstance(node.get("items"), dict):
                raise SchemaParseError(f"{where}: an array needs an 'items' schema")
            return _SparkType("array", element=self.convert(node["items"], f"{where}[]")[1])
        if json_type == "object":
            return self._object(node, where)
        decimal = _JSON_DECIMAL_RE.match(fmt) if json_type == "number" and isinstance(fmt, str) else None
        if decimal:
            return _decimal(int(decimal[1]), int(decimal[2]), where)
        if json_type == "string" and node.get("contentEncoding") == "base64":
            return _SparkType("binary")
        kind = _JSON_FORMATS.get((json_type, fmt)) or _JSON_DEFAULTS.get(json_type)
        if kind is None:
            raise SchemaParseError(f"{where}: unsupported JSON type {json_type!r}")
        return _SparkType(kind)

    def _object(self, node: dict[str, Any], where: str) -> _SparkType:
        if isinstance(node.get("properties"), dict):
            fields = tuple(
                _StructField(name, t, nullable, prop.get("description"))
                for name, nullable, t, prop in self.members(node, where)
            )
            return _SparkType("struct", fields=fields)
        if isinstance(node.get("additionalProperties"), dict):
            value = self.convert(node["additionalProperties"], f"{where}{{}}")[1]
            return _SparkType("map", key=_SparkType("string"), element=value)
        raise SchemaParseError(f"{where}: an object needs 'properties' or an 'additionalProperties' schema")


def _infer_json_type(node: dict[str, Any]) -> str | None:
    if "properties" in node or "additionalProperties" in node:
        return "object"
    if "items" in node:
        return "array"
    if node.get("enum") and all(isinstance(v, str) for v in node["enum"]):
        return "string"
    return None


# --------------------------------------------------------------------------------------------------------------
# Spark DDL
# --------------------------------------------------------------------------------------------------------------


def columns_to_spark_ddl(columns: list[dict[str, Any]]) -> str:
    """Render a column list as a Spark schema DDL string, e.g. ``a BIGINT NOT NULL, b STRING COMMENT 'x'``.

    The result is what ``StructType.fromDDL`` / ``spark.read.schema()`` accept: names are back-quoted when they are
    not plain identifiers or are SQL keywords; defaults and aliases are dropped.

    Args:
        columns: Column dicts, see the module docstring.

    Returns:
        The DDL string (empty for no columns).

    Raises:
        SchemaParseError: A column is malformed.
    """
    parts = []
    for column in _parse_columns(columns):
        part = f"{_quote(column.name)} {_render(column.type, ddl=True)}"
        if not column.nullable:
            part += " NOT NULL"
        if column.doc is not None:
            part += f" COMMENT {exp.Literal.string(column.doc).sql('spark')}"
        parts.append(part)
    return ", ".join(parts)


def spark_ddl_to_columns(ddl: str) -> list[dict[str, Any]]:
    """Parse a Spark schema DDL string (``a BIGINT NOT NULL, b STRING COMMENT 'x'``) into columns.

    ``NOT NULL``, ``COMMENT`` and literal ``DEFAULT`` values are understood.

    Args:
        ddl: Comma-separated column definitions.

    Returns:
        The column dicts, in order.

    Raises:
        SchemaParseError: The DDL does not parse, is not a plain column list, or uses an unsupported type or
            column constraint.
    """
    if not ddl.strip():
        return []
    try:
        statements = sqlglot.parse(f"CREATE TABLE t ({ddl})", dialect="spark")
    except SqlglotError as exc:
        raise SchemaParseError(f"cannot parse Spark DDL {ddl!r}: {exc}") from exc
    create = statements[0] if len(statements) == 1 else None
    if (
        not isinstance(create, exp.Create)
        or not isinstance(create.this, exp.Schema)
        or create.expression is not None
        or create.args.get("properties") is not None
    ):
        raise SchemaParseError(f"not a plain Spark column list: {ddl!r}")
    columns = []
    for node in create.this.expressions:
        if not isinstance(node, exp.ColumnDef) or node.args.get("kind") is None:
            raise SchemaParseError(f"not a column definition: {node.sql('spark')!r}")
        nullable, doc, has_default, default = _constraints(node, node.name)
        columns.append(
            _Column(node.name, _from_sqlglot(node.args["kind"], node.name), nullable, has_default, default, doc)
        )
    _check_unique([c.name for c in columns], "columns")
    return [c.as_dict() for c in columns]
