"""Converters between a column list and Avro, JSON Schema (draft 2020-12) and Spark DDL.

A column is a dict ``{"name", "type", "nullable", "default", "doc", "aliases"}`` whose ``type`` is a Spark SQL type
string (``bigint``, ``decimal(10,2)``, ``array<string>``, ``map<string,int>``, ``struct<a:int,b:string>``, ...).
Only ``name`` and ``type`` are required; ``nullable`` defaults to true; other keys are ignored. Functions
returning columns always give ``name``, ``type`` (canonical lower-case spelling) and ``nullable``, and
``default``, ``doc`` and ``aliases`` only when there is one.

Spark types are parsed and printed by :mod:`sqlingest.types` (the one Spark type model). Things a target format cannot express raise
:class:`~sqlingest.registry.compat.SchemaParseError`, except what is documented as dropped on each function.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlingest import types as T
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



# --------------------------------------------------------------------------------------------------------------
# Spark types: the one model (sqlingest.types)
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    name: str
    type: T.SparkType
    nullable: bool = True
    has_default: bool = False
    default: Any = None
    doc: str | None = None
    aliases: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type.full_string(), "nullable": self.nullable}
        if self.has_default:
            out["default"] = self.default
        if self.doc is not None:
            out["doc"] = self.doc
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out


def _parse_spark_type(type_str: str, where: str) -> T.SparkType:
    """A column's type string in the one model, checked to be one the converters can write."""
    try:
        parsed = T.parse(type_str)
    except T.TypeParseError as exc:
        raise SchemaParseError(f"{where}: cannot parse Spark type {type_str!r}: {exc.reason} at position "
                               f"{exc.position}") from None
    return _supported(parsed.normalized(), where)


def _supported(t: T.SparkType, where: str) -> T.SparkType:
    """``t`` when every type in it has an Avro / JSON Schema counterpart (intervals and void have none)."""
    for inner in T.walk(t):
        if isinstance(inner, T.AtomicType) and (inner.name == "void" or inner.name.startswith("interval")):
            raise SchemaParseError(f"{where}: unsupported Spark type {str(inner)!r}")
        if isinstance(inner, T.DecimalType):
            _decimal(inner.precision, inner.scale, where)
    return t


def _decimal(precision: int, scale: int, where: str) -> T.SparkType:
    if not 1 <= precision <= MAX_DECIMAL_PRECISION or not 0 <= scale <= precision:
        raise SchemaParseError(
            f"{where}: invalid decimal({precision},{scale}): need 1 <= precision <= "
            f"{MAX_DECIMAL_PRECISION} and 0 <= scale <= precision"
        )
    return T.DecimalType(precision, scale)


def _kind(t: T.SparkType) -> str:
    """The atomic name of ``t`` (``bigint``), or ``decimal``/``array``/``map``/``struct``."""
    if isinstance(t, T.AtomicType):
        return t.name
    return {T.DecimalType: "decimal", T.ArrayType: "array", T.MapType: "map", T.StructType: "struct"}[type(t)]


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
    name: str, t: T.SparkType, nullable: bool, parent: str, names: _NameAllocator, doc: str | None
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


def _to_avro(t: T.SparkType, name_hint: str, names: _NameAllocator, where: str) -> Any:
    if _kind(t) in _SPARK_TO_AVRO:
        simple = _SPARK_TO_AVRO[_kind(t)]
        return dict(simple) if isinstance(simple, dict) else simple
    if isinstance(t, T.DecimalType):
        return {"type": "bytes", "logicalType": "decimal", "precision": t.precision, "scale": t.scale}
    if isinstance(t, T.ArrayType):
        return {"type": "array", "items": _to_avro(t.element, name_hint, names, f"{where}[]")}
    if isinstance(t, T.MapType):
        if t.key != T.STRING:
            raise SchemaParseError(f"{where}: Avro map keys are strings, got map key type {str(t.key)!r}")
        return {"type": "map", "values": _to_avro(t.value, name_hint, names, f"{where}{{}}")}
    assert isinstance(t, T.StructType)
    record_name = names.allocate(name_hint)
    fields = [_avro_field(f.name, f.type, f.nullable, record_name, names, f.comment) for f in t.fields]
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


def _from_avro(t: AvroType, where: str, enclosing: tuple[str, ...]) -> T.SparkType:
    if isinstance(t, PrimitiveType):
        if t.logical_type == "decimal":
            return _decimal(t.precision or 0, t.scale or 0, where)
        kind = _AVRO_TO_SPARK.get((t.name, t.logical_type))
        if kind is None:
            raise SchemaParseError(f"{where}: Avro type {t.name!r} has no Spark equivalent")
        return T.AtomicType(kind)
    if isinstance(t, EnumType):
        return T.STRING
    if isinstance(t, FixedType):
        if t.logical_type == "decimal":
            return _decimal(t.precision or 0, t.scale or 0, where)
        return T.BINARY
    if isinstance(t, ArrayType):
        return T.ArrayType(_from_avro(_split_nullable(t.items, where)[1], f"{where}[]", enclosing))
    if isinstance(t, MapType):
        value = _from_avro(_split_nullable(t.values, where)[1], f"{where}{{}}", enclosing)
        return T.MapType(T.STRING, value)
    if isinstance(t, RecordType):
        if t.fullname in enclosing:
            raise SchemaParseError(f"{where}: recursive record {t.fullname!r} cannot be a Spark type")
        fields = []
        for f in t.fields:
            nullable, inner = _split_nullable(f.type, f"{where}.{f.name}")
            field_type = _from_avro(inner, f"{where}.{f.name}", (*enclosing, t.fullname))
            fields.append(T.StructField(f.name, field_type, nullable, f.doc))
        return T.StructType(tuple(fields))
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


def _json_object(members: list[tuple[str, T.SparkType, bool, str | None, bool, Any]], where: str) -> dict[str, Any]:
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


def _to_json(t: T.SparkType, where: str) -> dict[str, Any]:
    if _kind(t) in _SPARK_TO_JSON:
        return dict(_SPARK_TO_JSON[_kind(t)])
    if isinstance(t, T.DecimalType):
        return {"type": "number", "format": f"decimal({t.precision},{t.scale})"}
    if isinstance(t, T.ArrayType):
        return {"type": "array", "items": _to_json(t.element, f"{where}[]")}
    if isinstance(t, T.MapType):
        if t.key != T.STRING:
            raise SchemaParseError(f"{where}: JSON object keys are strings, got map key type {str(t.key)!r}")
        return {"type": "object", "additionalProperties": _to_json(t.value, f"{where}{{}}")}
    assert isinstance(t, T.StructType)
    return _json_object([(f.name, f.type, f.nullable, f.comment, False, None) for f in t.fields], where)


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

    def members(self, node: dict[str, Any], where: str) -> Iterator[tuple[str, bool, T.SparkType, dict[str, Any]]]:
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

    def convert(self, raw: Any, where: str) -> tuple[bool, T.SparkType]:
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

    def _convert(self, node: dict[str, Any], where: str) -> tuple[bool, T.SparkType]:
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

    def _alternatives(self, branches: Any, where: str) -> tuple[bool, T.SparkType]:
        if not isinstance(branches, list):
            raise SchemaParseError(f"{where}: anyOf/oneOf must be a list")
        resolved = [(b, self.resolve(b, where)) for b in branches]
        non_null = [raw for raw, b in resolved if not (isinstance(b, dict) and b.get("type") == "null")]
        if len(non_null) != 1:
            raise SchemaParseError(f"{where}: anyOf/oneOf must hold one non-null schema, got {len(non_null)}")
        accepts_null, t = self.convert(non_null[0], where)
        return accepts_null or len(non_null) < len(branches), t

    def _typed(self, json_type: Any, node: dict[str, Any], where: str) -> T.SparkType:
        fmt = node.get("format")
        if json_type == "array":
            if not isinstance(node.get("items"), dict):
                raise SchemaParseError(f"{where}: an array needs an 'items' schema")
            return T.ArrayType(self.convert(node["items"], f"{where}[]")[1])
        if json_type == "object":
            return self._object(node, where)
        decimal = _JSON_DECIMAL_RE.match(fmt) if json_type == "number" and isinstance(fmt, str) else None
        if decimal:
            return _decimal(int(decimal[1]), int(decimal[2]), where)
        if json_type == "string" and node.get("contentEncoding") == "base64":
            return T.BINARY
        kind = _JSON_FORMATS.get((json_type, fmt)) or _JSON_DEFAULTS.get(json_type)
        if kind is None:
            raise SchemaParseError(f"{where}: unsupported JSON type {json_type!r}")
        return T.AtomicType(kind)

    def _object(self, node: dict[str, Any], where: str) -> T.SparkType:
        if isinstance(node.get("properties"), dict):
            fields = tuple(
                T.StructField(name, t, nullable, prop.get("description"))
                for name, nullable, t, prop in self.members(node, where)
            )
            return T.StructType(fields)
        if isinstance(node.get("additionalProperties"), dict):
            value = self.convert(node["additionalProperties"], f"{where}{{}}")[1]
            return T.MapType(T.STRING, value)
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
    struct = T.StructType(tuple(T.StructField(c.name, c.type, c.nullable, c.doc) for c in _parse_columns(columns)))
    return struct.to_ddl_columns()


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
    try:
        parsed = T.parse_columns(ddl)
    except T.TypeParseError as exc:
        raise SchemaParseError(f"cannot parse Spark DDL {ddl!r}: {exc.reason} at position {exc.position}") from None
    columns = [_Column(c.name, _supported(c.type.normalized(), c.name), c.nullable, c.has_default, c.default,
                       c.comment) for c in parsed]
    return [c.as_dict() for c in columns]
