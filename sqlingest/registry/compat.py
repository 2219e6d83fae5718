"""Schema compatibility with Confluent Schema Registry semantics, on Avro schemas.

The engine is pure Python. :func:`parse_avro` turns the JSON of an ``.avsc`` file into a small typed tree
(:data:`AvroType`), validating it on the way. :func:`can_read` implements the "Schema Resolution" section of the
Avro 1.11 specification: can a reader using one schema read data written with another? :func:`check` applies the
Schema Registry modes (``BACKWARD``, ``FORWARD``, ``FULL``, their transitive variants and ``NONE``) on top of it.

Incompatibilities carry a field path (``order.lines[].qty``; ``[]`` steps into array items, ``{}`` into map values,
union branches are transparent, ``""`` is the root) and a short rule id. Rule ids describe a *change* from an older
schema to a newer one: :func:`can_read` takes the writer as the older schema and the reader as the newer one, and
:func:`check` renames the rules of its forward direction (where the old schema reads) accordingly, so that a field
dropped from the new schema is reported as ``field-removed-without-default`` in both ``FORWARD`` and ``FULL``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeGuard

from sqlingest.errors import UserError
from sqlingest.registry.modes import Mode

__all__ = [
    "ArrayType",
    "AvroSchema",
    "AvroType",
    "EnumType",
    "Field",
    "FixedType",
    "Incompatibility",
    "MapType",
    "Mode",
    "PrimitiveType",
    "RecordType",
    "SchemaParseError",
    "UnionType",
    "can_read",
    "check",
    "parse_avro",
]

PRIMITIVE_NAMES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")

# Avro 1.11 "Schema Resolution": writer type -> reader types it may be promoted to.
_PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
_NUMERIC = frozenset({"int", "long", "float", "double"})

# Logical types that annotate a primitive type, and the primitive each one requires.
_PRIMITIVE_LOGICAL_TYPES: dict[str, str] = {
    "date": "int",
    "time-millis": "int",
    "time-micros": "long",
    "timestamp-millis": "long",
    "timestamp-micros": "long",
    "timestamp-nanos": "long",
    "local-timestamp-millis": "long",
    "local-timestamp-micros": "long",
    "local-timestamp-nanos": "long",
    "uuid": "string",
}

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)

# Rules can_read() reports (reader = newer schema) -> the same finding when the older schema is the reader.
_FORWARD_RULES = {
    "field-added-without-default": "field-removed-without-default",
    "enum-symbol-removed": "enum-symbol-added",
    "type-narrowed": "type-widened",
    "union-branch-removed": "union-branch-added",
    "nullable-to-required": "required-to-nullable",
}


class SchemaParseError(UserError, ValueError):
    """A schema (Avro, JSON Schema, Spark DDL or a column list) is invalid or cannot be converted."""


@dataclass(frozen=True)
class Incompatibility:
    """One reason why two schemas are not compatible.

    Attributes:
        path: Field path such as ``customer.address.zip`` or ``order.lines[].qty`` (``""`` = the schema itself).
        message: Human readable explanation.
        rule: Short stable id, e.g. ``field-removed-without-default``, ``type-narrowed``, ``enum-symbol-removed``.
    """

    path: str
    message: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message} [{self.rule}]"


# --------------------------------------------------------------------------------------------------------------
# Parsed schema tree
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrimitiveType:
    """A primitive type, optionally annotated with a (valid) logical type."""

    name: str
    logical_type: str | None = None
    precision: int | None = None
    scale: int | None = None


@dataclass(frozen=True)
class Field:
    """A record field. ``has_default`` tells a ``null`` default apart from no default."""

    name: str
    type: AvroType
    has_default: bool = False
    default: Any = None
    aliases: tuple[str, ...] = ()
    doc: str | None = None


@dataclass(eq=False)
class RecordType:
    """A record. Compared by identity: a record may contain itself (recursive schemas)."""

    fullname: str
    aliases: tuple[str, ...] = ()
    fields: list[Field] = field(default_factory=list)
    doc: str | None = None

    @property
    def name(self) -> str:
        """The unqualified name."""
        return self.fullname.rpartition(".")[2]

    @property
    def namespace(self) -> str | None:
        """The namespace, or ``None`` for the null namespace."""
        return self.fullname.rpartition(".")[0] or None

    def __repr__(self) -> str:
        return f"RecordType({self.fullname!r})"


@dataclass(frozen=True)
class EnumType:
    """An enum; ``default`` is the symbol readers use for unknown writer symbols."""

    fullname: str
    symbols: tuple[str, ...]
    default: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The unqualified name."""
        return self.fullname.rpartition(".")[2]


@dataclass(frozen=True)
class FixedType:
    """A fixed-size byte string, optionally a ``decimal`` or ``duration``."""

    fullname: str
    size: int
    aliases: tuple[str, ...] = ()
    logical_type: str | None = None
    precision: int | None = None
    scale: int | None = None

    @property
    def name(self) -> str:
        """The unqualified name."""
        return self.fullname.rpartition(".")[2]


@dataclass(frozen=True)
class ArrayType:
    """An array of ``items``."""

    items: AvroType


@dataclass(frozen=True)
class MapType:
    """A map from strings to ``values``."""

    values: AvroType


@dataclass(frozen=True)
class UnionType:
    """A union of ``branches`` (never directly containing another union)."""

    branches: tuple[AvroType, ...]


AvroType: TypeAlias = PrimitiveType | RecordType | EnumType | FixedType | ArrayType | MapType | UnionType
NamedType: TypeAlias = RecordType | EnumType | FixedType
AvroSchema: TypeAlias = dict[str, Any] | list[Any] | str
"""The parsed JSON of an ``.avsc`` file (a JSON text is accepted too)."""

_PARSED = (PrimitiveType, RecordType, EnumType, FixedType, ArrayType, MapType, UnionType)


# --------------------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------------------


def parse_avro(obj: AvroSchema | AvroType) -> AvroType:
    """Validate an Avro schema and return its typed tree.

    Named types are resolved (a name used after its definition refers to the same node), namespaces follow the
    Avro rules, and field defaults are validated against their types (a union default matches its first branch).
    As the specification requires, an invalid logical type (e.g. a decimal whose scale exceeds its precision) is
    ignored and the underlying type is used.

    Args:
        obj: The parsed JSON of an ``.avsc`` file (dict, list or type name), a JSON text, or an already parsed
            tree (returned unchanged).

    Returns:
        The root of the typed tree.

    Raises:
        SchemaParseError: The schema is invalid (unknown type name, record without fields, enum without symbols,
            duplicate field names or symbols, bad names, invalid defaults, ...).
    """
    if isinstance(obj, _PARSED):
        return obj
    if isinstance(obj, str) and obj.strip()[:1] in ("{", "[", '"'):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as exc:
            raise SchemaParseError(f"schema is not valid JSON: {exc}") from exc
    return _Parser().parse(obj, namespace=None, where="")


class _Parser:
    """Parses one schema; holds the named types defined so far."""

    def __init__(self) -> None:
        self.names: dict[str, NamedType] = {}

    def parse(self, obj: Any, namespace: str | None, where: str) -> AvroType:
        if isinstance(obj, str):
            if obj in PRIMITIVE_NAMES:
                return PrimitiveType(obj)
            return self._lookup(obj, namespace, where)
        if isinstance(obj, list):
            return self._union(obj, namespace, where)
        if isinstance(obj, dict):
            return self._object(obj, namespace, where)
        raise _error(where, f"expected a type name, a JSON object or a union array, got {obj!r}")

    def _object(self, obj: dict[str, Any], namespace: str | None, where: str) -> AvroType:
        if "type" not in obj:
            raise _error(where, f"schema object has no 'type': {_short(obj)}")
        kind = obj["type"]
        if isinstance(kind, (dict, list)):
            return self.parse(kind, namespace, where)
        if not isinstance(kind, str):
            raise _error(where, f"'type' must be a string, got {kind!r}")
        if kind in PRIMITIVE_NAMES:
            return _primitive(kind, obj)
        if kind in ("record", "error"):
            return self._record(obj, namespace, where)
        if kind == "enum":
            return self._enum(obj, namespace, where)
        if kind == "fixed":
            return self._fixed(obj, namespace, where)
        if kind == "array":
            if "items" not in obj:
                raise _error(where, "array has no 'items'")
            return ArrayType(self.parse(obj["items"], namespace, _join(where, "[]")))
        if kind == "map":
            if "values" not in obj:
                raise _error(where, "map has no 'values'")
            return MapType(self.parse(obj["values"], namespace, _join(where, "{}")))
        return self._lookup(kind, namespace, where)

    def _union(self, branches: list[Any], namespace: str | None, where: str) -> UnionType:
        if not branches:
            raise _error(where, "union has no branches")
        parsed: list[AvroType] = []
        seen: set[str] = set()
        for raw in branches:
            branch = self.parse(raw, namespace, where)
            if isinstance(branch, UnionType):
                raise _error(where, "a union may not directly contain another union")
            key = _union_key(branch)
            if key in seen:
                raise _error(where, f"union contains {key!r} more than once")
            seen.add(key)
            parsed.append(branch)
        return UnionType(tuple(parsed))

    def _record(self, obj: dict[str, Any], namespace: str | None, where: str) -> RecordType:
        fullname, space = self._name(obj, namespace, where)
        where = where or fullname
        if "fields" not in obj:
            raise _error(where, f"record {fullname!r} has no 'fields'")
        if not isinstance(obj["fields"], list):
            raise _error(where, f"'fields' of record {fullname!r} must be a list")
        record = RecordType(fullname, _aliases(obj, space, where), doc=_doc(obj, where))
        self._define(record, where)
        raw_defaults: list[tuple[Field, Any, str]] = []
        for raw in obj["fields"]:
            parsed, raw_default = self._field(raw, space, where)
            if any(f.name == parsed.name for f in record.fields):
                raise _error(where, f"record {fullname!r} has two fields named {parsed.name!r}")
            record.fields.append(parsed)
            if parsed.has_default:
                raw_defaults.append((parsed, raw_default, _join(where, parsed.name)))
        for parsed, raw_default, field_where in raw_defaults:  # after all fields: a default may use the record
            problem = _default_problem(parsed.type, raw_default)
            if problem:
                raise _error(field_where, f"invalid default {raw_default!r}: {problem}")
        return record

    def _field(self, raw: Any, namespace: str | None, where: str) -> tuple[Field, Any]:
        if not isinstance(raw, dict):
            raise _error(where, f"a field must be a JSON object, got {raw!r}")
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise _error(where, f"invalid field name {name!r}")
        field_where = _join(where, name)
        if "type" not in raw:
            raise _error(field_where, "field has no 'type'")
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and _NAME_RE.match(a) for a in aliases):
            raise _error(field_where, f"'aliases' must be a list of names, got {aliases!r}")
        parsed = Field(
            name=name,
            type=self.parse(raw["type"], namespace, field_where),
            has_default="default" in raw,
            default=raw.get("default"),
            aliases=tuple(aliases),
            doc=_doc(raw, field_where),
        )
        return parsed, raw.get("default")

    def _enum(self, obj: dict[str, Any], namespace: str | None, where: str) -> EnumType:
        fullname, space = self._name(obj, namespace, where)
        where = where or fullname
        symbols = obj.get("symbols")
        if not isinstance(symbols, list) or not symbols:
            raise _error(where, f"enum {fullname!r} needs a non-empty list of 'symbols'")
        for symbol in symbols:
            if not isinstance(symbol, str) or not _NAME_RE.match(symbol):
                raise _error(where, f"invalid symbol {symbol!r} in enum {fullname!r}")
        if len(set(symbols)) != len(symbols):
            raise _error(where, f"enum {fullname!r} has duplicate symbols")
        default = obj.get("default")
        if default is not None and default not in symbols:
            raise _error(where, f"default {default!r} of enum {fullname!r} is not one of its symbols")
        enum = EnumType(fullname, tuple(symbols), default, _aliases(obj, space, where))
        self._define(enum, where)
        return enum

    def _fixed(self, obj: dict[str, Any], namespace: str | None, where: str) -> FixedType:
        fullname, space = self._name(obj, namespace, where)
        where = where or fullname
        size = obj.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _error(where, f"fixed {fullname!r} needs a non-negative integer 'size', got {size!r}")
        logical, precision, scale = _fixed_logical(obj, size)
        fixed = FixedType(fullname, size, _aliases(obj, space, where), logical, precision, scale)
        self._define(fixed, where)
        return fixed

    def _name(self, obj: dict[str, Any], namespace: str | None, where: str) -> tuple[str, str | None]:
        """Full name of a named type and the namespace its children inherit."""
        name = obj.get("name")
        if not isinstance(name, str) or not name:
            raise _error(where, f"a {obj.get('type')} needs a 'name'")
        if "." not in name and "namespace" in obj:
            namespace = obj["namespace"]
            if namespace is not None and not isinstance(namespace, str):
                raise _error(where, f"'namespace' must be a string, got {namespace!r}")
        fullname = _qualify(name, namespace or None)
        space, _, short = fullname.rpartition(".")
        if short in PRIMITIVE_NAMES:
            raise _error(where, f"a named type may not be called {short!r}")
        if not all(_NAME_RE.match(part) for part in fullname.split(".")):
            raise _error(where, f"invalid name {fullname!r}")
        return fullname, space or None

    def _define(self, named: NamedType, where: str) -> None:
        if named.fullname in self.names:
            raise _error(where, f"type {named.fullname!r} is defined twice")
        self.names[named.fullname] = named

    def _lookup(self, name: str, namespace: str | None, where: str) -> NamedType:
        found = self.names.get(_qualify(name, namespace)) or self.names.get(name)
        if found is None:
            raise _error(where, f"unknown type name {name!r}")
        return found


def _primitive(name: str, obj: dict[str, Any]) -> PrimitiveType:
    logical = obj.get("logicalType")
    if name == "bytes" and logical == "decimal":
        precision, scale = _decimal_params(obj, max_precision=None)
        if precision is not None:
            return PrimitiveType(name, "decimal", precision, scale)
    elif isinstance(logical, str) and _PRIMITIVE_LOGICAL_TYPES.get(logical) == name:
        return PrimitiveType(name, logical)
    return PrimitiveType(name)  # no, unknown or invalid logical type: the spec says use the underlying type


def _fixed_logical(obj: dict[str, Any], size: int) -> tuple[str | None, int | None, int | None]:
    logical = obj.get("logicalType")
    if logical == "decimal":
        max_precision = int((8 * size - 1) * 0.30102999566398120) if size else 0  # floor(log10(2^(8n-1)-1))
        precision, scale = _decimal_params(obj, max_precision)
        if precision is not None:
            return "decimal", precision, scale
    if (logical == "duration" and size == 12) or (logical == "uuid" and size == 16):
        return logical, None, None
    return None, None, None


def _decimal_params(obj: dict[str, Any], max_precision: int | None) -> tuple[int | None, int | None]:
    """``(precision, scale)`` of a valid decimal, ``(None, None)`` when the annotation is invalid."""
    precision, scale = obj.get("precision"), obj.get("scale", 0)
    if not _is_int(precision) or not _is_int(scale):
        return None, None
    if precision < 1 or scale < 0 or scale > precision:
        return None, None
    if max_precision is not None and precision > max_precision:
        return None, None
    return precision, scale


def _aliases(obj: dict[str, Any], namespace: str | None, where: str) -> tuple[str, ...]:
    aliases = obj.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise _error(where, f"'aliases' must be a list of names, got {aliases!r}")
    qualified = tuple(_qualify(a, namespace) for a in aliases)
    for alias in qualified:
        if not all(_NAME_RE.match(part) for part in alias.split(".")):
            raise _error(where, f"invalid alias {alias!r}")
    return qualified


def _doc(obj: dict[str, Any], where: str) -> str | None:
    doc = obj.get("doc")
    if doc is not None and not isinstance(doc, str):
        raise _error(where, f"'doc' must be a string, got {doc!r}")
    return doc


def _union_key(branch: AvroType) -> str:
    if isinstance(branch, PrimitiveType):
        return branch.name
    if isinstance(branch, (RecordType, EnumType, FixedType)):
        return branch.fullname
    return "array" if isinstance(branch, ArrayType) else "map"


def _default_problem(schema: AvroType, value: Any) -> str | None:
    """Why ``value`` (JSON) is not a valid default for ``schema``, or ``None`` if it is."""
    if isinstance(schema, UnionType):
        return _default_problem(schema.branches[0], value)  # a union default matches its first branch
    if isinstance(schema, PrimitiveType):
        return _primitive_default_problem(schema.name, value)
    if isinstance(schema, EnumType):
        return None if value in schema.symbols else f"not a symbol of enum {schema.fullname!r}"
    if isinstance(schema, FixedType):
        if isinstance(value, str) and len(value) == schema.size and _is_byte_string(value):
            return None
        return f"expected a string of {schema.size} byte characters"
    if isinstance(schema, ArrayType):
        if not isinstance(value, list):
            return "expected a JSON array"
        return next(filter(None, (_default_problem(schema.items, v) for v in value)), None)
    if isinstance(schema, MapType):
        if not isinstance(value, dict):
            return "expected a JSON object"
        return next(filter(None, (_default_problem(schema.values, v) for v in value.values())), None)
    if not isinstance(value, dict):
        return "expected a JSON object"
    for f in schema.fields:
        if f.name in value:
            problem = _default_problem(f.type, value[f.name])
        else:
            problem = None if f.has_default else f"no value for field {f.name!r}"
        if problem:
            return problem
    return None


def _primitive_default_problem(name: str, value: Any) -> str | None:
    ok = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "int": _is_int(value) and _INT_RANGE[0] <= value <= _INT_RANGE[1],
        "long": _is_int(value) and _LONG_RANGE[0] <= value <= _LONG_RANGE[1],
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "double": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bytes": isinstance(value, str) and _is_byte_string(value),
        "string": isinstance(value, str),
    }[name]
    return None if ok else f"expected a {name} value"


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_byte_string(value: str) -> bool:
    return all(ord(c) < 256 for c in value)


def _qualify(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _error(where: str, message: str) -> SchemaParseError:
    return SchemaParseError(f"{where}: {message}" if where else message)


def _short(obj: Any) -> str:
    text = json.dumps(obj, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------------------------------------------
# Resolution (can a reader read what a writer wrote?)
# --------------------------------------------------------------------------------------------------------------


def can_read(reader: AvroSchema | AvroType, writer: AvroSchema | AvroType) -> list[Incompatibility]:
    """Check whether data written with ``writer`` can be read with ``reader`` (Avro schema resolution).

    Rule ids treat the reader as the newer schema: a reader field with no default that the writer lacks is
    ``field-added-without-default``, a writer enum symbol the reader lacks is ``enum-symbol-removed``, a ``long``
    written and read as ``int`` is ``type-narrowed``.

    Args:
        reader: The reader's schema (JSON or parsed tree).
        writer: The writer's schema (JSON or parsed tree).

    Returns:
        The incompatibilities found, in schema order; empty when the reader can read every datum of the writer.

    Raises:
        SchemaParseError: One of the schemas is invalid.
    """
    return list(_Resolver().resolve(parse_avro(reader), parse_avro(writer), ""))


class _Resolver:
    """Walks a reader and a writer schema together, yielding incompatibilities."""

    def __init__(self) -> None:
        self.in_progress: set[tuple[int, int]] = set()  # record pairs being resolved: recursion guard

    def resolve(self, reader: AvroType, writer: AvroType, path: str) -> Iterator[Incompatibility]:
        if isinstance(writer, UnionType):
            for branch in writer.branches:
                yield from self._writer_branch(reader, branch, writer, path)
        else:
            yield from self._writer_branch(reader, writer, None, path)

    def _writer_branch(
        self, reader: AvroType, writer: AvroType, writer_union: UnionType | None, path: str
    ) -> Iterator[Incompatibility]:
        """Resolve one non-union writer type (alone, or a branch of ``writer_union``)."""
        candidates = reader.branches if isinstance(reader, UnionType) else (reader,)
        chosen = _select_branch(candidates, writer)
        if chosen is not None:
            yield from self._resolve_plain(chosen, writer, path)
            return
        if writer_union is not None and _is_null(writer):
            yield Incompatibility(
                path, "the writer may write null but the reader does not accept null", "nullable-to-required"
            )
            return
        non_null = [c for c in candidates if not _is_null(c)]
        writer_is_nullable_single = writer_union is None or len(_non_null(writer_union)) == 1
        if len(non_null) == 1 and writer_is_nullable_single:
            # "T" or "[null, T]" on both sides: explain what is wrong between the two Ts.
            yield from self._resolve_plain(non_null[0], writer, path)
        elif writer_union is not None:
            yield Incompatibility(
                path,
                f"writer union branch {_describe(writer)} matches no reader type ({_describe(reader)})",
                "union-branch-removed",
            )
        else:
            yield _mismatch(reader, writer, path)

    def _resolve_plain(self, reader: AvroType, writer: AvroType, path: str) -> Iterator[Incompatibility]:
        """Resolve two non-union types."""
        if isinstance(reader, PrimitiveType) and isinstance(writer, PrimitiveType):
            yield from _resolve_primitive(reader, writer, path)
        elif isinstance(reader, RecordType) and isinstance(writer, RecordType):
            yield from self._resolve_record(reader, writer, path)
        elif isinstance(reader, EnumType) and isinstance(writer, EnumType):
            yield from _resolve_enum(reader, writer, path)
        elif isinstance(reader, FixedType) and isinstance(writer, FixedType):
            yield from _resolve_fixed(reader, writer, path)
        elif isinstance(reader, ArrayType) and isinstance(writer, ArrayType):
            yield from self.resolve(reader.items, writer.items, _join(path, "[]"))
        elif isinstance(reader, MapType) and isinstance(writer, MapType):
            yield from self.resolve(reader.values, writer.values, _join(path, "{}"))
        else:
            yield _mismatch(reader, writer, path)

    def _resolve_record(self, reader: RecordType, writer: RecordType, path: str) -> Iterator[Incompatibility]:
        if not _names_match(reader, writer):
            yield _name_mismatch(reader, writer, path)
            return
        key = (id(reader), id(writer))
        if key in self.in_progress:  # recursive schema: this pair is already being checked further up
            return
        self.in_progress.add(key)
        try:
            writer_fields = {f.name: f for f in writer.fields}
            for reader_field in reader.fields:
                field_path = _join(path, reader_field.name)
                writer_field = _writer_field(reader_field, writer_fields)
                if writer_field is not None:
                    yield from self.resolve(reader_field.type, writer_field.type, field_path)
                elif not reader_field.has_default:
                    yield Incompatibility(
                        field_path,
                        f"reader field {reader_field.name!r} has no default and the writer has no such field",
                        "field-added-without-default",
                    )
        finally:
            self.in_progress.discard(key)


def _resolve_primitive(reader: PrimitiveType, writer: PrimitiveType, path: str) -> Iterator[Incompatibility]:
    if reader.name == writer.name or reader.name in _PROMOTIONS.get(writer.name, ()):
        yield from _resolve_logical(reader, writer, path)
    elif reader.name in _NUMERIC and writer.name in _NUMERIC:
        yield Incompatibility(
            path, f"writer type {writer.name!r} cannot be promoted to reader type {reader.name!r}", "type-narrowed"
        )
    else:
        yield _mismatch(reader, writer, path)


def _resolve_enum(reader: EnumType, writer: EnumType, path: str) -> Iterator[Incompatibility]:
    if not _names_match(reader, writer):
        yield _name_mismatch(reader, writer, path)
        return
    missing = [s for s in writer.symbols if s not in reader.symbols]
    if missing and reader.default is None:
        yield Incompatibility(
            path,
            f"writer symbols {missing} are not in reader enum {reader.fullname!r}, which has no default symbol",
            "enum-symbol-removed",
        )


def _resolve_fixed(reader: FixedType, writer: FixedType, path: str) -> Iterator[Incompatibility]:
    if not _names_match(reader, writer):
        yield _name_mismatch(reader, writer, path)
    elif reader.size != writer.size:
        yield Incompatibility(
            path,
            f"fixed {reader.fullname!r} has size {writer.size} in the writer and {reader.size} in the reader",
            "fixed-size-changed",
        )
    else:
        yield from _resolve_logical(reader, writer, path)


def _resolve_logical(
    reader: PrimitiveType | FixedType, writer: PrimitiveType | FixedType, path: str
) -> Iterator[Incompatibility]:
    """Only decimals matter: date/time annotations do not change how a value is read."""
    reader_decimal, writer_decimal = reader.logical_type == "decimal", writer.logical_type == "decimal"
    if reader_decimal and writer_decimal:
        if reader.precision != writer.precision:
            yield Incompatibility(
                path,
                f"decimal precision changed from {writer.precision} (writer) to {reader.precision} (reader)",
                "decimal-precision-changed",
            )
        if reader.scale != writer.scale:
            yield Incompatibility(
                path,
                f"decimal scale changed from {writer.scale} (writer) to {reader.scale} (reader)",
                "decimal-scale-changed",
            )
    elif reader_decimal or writer_decimal:
        yield Incompatibility(
            path,
            f"writer type {_describe(writer)} and reader type {_describe(reader)} disagree on being a decimal",
            "logical-type-changed",
        )


def _select_branch(candidates: Sequence[AvroType], writer: AvroType) -> AvroType | None:
    """Pick the reader type a writer type resolves to: the first exact match, else the first promotion."""
    for candidate in candidates:
        if _same_kind(candidate, writer):
            return candidate
    for candidate in candidates:
        if (
            isinstance(candidate, PrimitiveType)
            and isinstance(writer, PrimitiveType)
            and candidate.name in _PROMOTIONS.get(writer.name, ())
        ):
            return candidate
    return None


def _same_kind(reader: AvroType, writer: AvroType) -> bool:
    if isinstance(reader, PrimitiveType) and isinstance(writer, PrimitiveType):
        return reader.name == writer.name
    if isinstance(reader, (RecordType, EnumType, FixedType)):
        return type(reader) is type(writer) and _names_match(reader, writer)
    return isinstance(reader, (ArrayType, MapType)) and type(reader) is type(writer)


def _names_match(reader: NamedType, writer: NamedType) -> bool:
    """Avro (Java) rule: same unqualified name, or the writer's full name is one of the reader's aliases."""
    return reader.name == writer.name or writer.fullname in reader.aliases


def _writer_field(reader_field: Field, writer_fields: dict[str, Field]) -> Field | None:
    for name in (reader_field.name, *reader_field.aliases):
        if name in writer_fields:
            return writer_fields[name]
    return None


def _mismatch(reader: AvroType, writer: AvroType, path: str) -> Incompatibility:
    return Incompatibility(
        path, f"writer type {_describe(writer)} cannot be read as reader type {_describe(reader)}", "type-mismatch"
    )


def _name_mismatch(reader: NamedType, writer: NamedType, path: str) -> Incompatibility:
    return Incompatibility(
        path,
        f"writer {_describe(writer)} does not match reader {_describe(reader)} "
        "(names differ and no reader alias matches)",
        "name-mismatch",
    )


def _describe(schema: AvroType) -> str:
    if isinstance(schema, PrimitiveType):
        if schema.logical_type == "decimal":
            return f"'{schema.name}' (decimal({schema.precision},{schema.scale}))"
        return f"'{schema.name}'" + (f" ({schema.logical_type})" if schema.logical_type else "")
    if isinstance(schema, RecordType):
        return f"record {schema.fullname!r}"
    if isinstance(schema, EnumType):
        return f"enum {schema.fullname!r}"
    if isinstance(schema, FixedType):
        return f"fixed {schema.fullname!r}"
    if isinstance(schema, ArrayType):
        return "array"
    if isinstance(schema, MapType):
        return "map"
    return "[" + ", ".join(_describe(b) for b in schema.branches) + "]"


def _is_null(schema: AvroType) -> bool:
    return isinstance(schema, PrimitiveType) and schema.name == "null"


def _non_null(union: UnionType) -> list[AvroType]:
    return [b for b in union.branches if not _is_null(b)]


def _join(path: str, step: str) -> str:
    if not path:
        return step
    return f"{path}{step}" if step in ("[]", "{}") else f"{path}.{step}"


# --------------------------------------------------------------------------------------------------------------
# Registry modes
# --------------------------------------------------------------------------------------------------------------


def check(
    new: AvroSchema | AvroType, history: Sequence[AvroSchema | AvroType], mode: Mode | str
) -> list[Incompatibility]:
    """Check a new schema against the registered versions under a Schema Registry compatibility mode.

    ``BACKWARD``: a reader using ``new`` can read data written with the old schema. ``FORWARD``: a reader using
    the old schema can read data written with ``new``. ``FULL``: both. Non-transitive modes compare with the
    latest version only, ``*_TRANSITIVE`` modes with every version. ``NONE`` accepts everything.

    Args:
        new: The candidate schema.
        history: Registered versions, oldest first (may be empty).
        mode: A :class:`Mode` or its name (case-insensitive).

    Returns:
        Every incompatibility found; the message names the direction and the version (``history[i]``).

    Raises:
        SchemaParseError: A schema is invalid.
        ValueError: ``mode`` is not a known mode.
    """
    mode = mode if isinstance(mode, Mode) else Mode(mode.upper())
    new_parsed = parse_avro(new)
    if mode is Mode.NONE or not history:
        return []
    indexed = list(enumerate(history))
    if not mode.transitive:
        indexed = indexed[-1:]
    found: list[Incompatibility] = []
    for index, old in indexed:
        old_parsed = parse_avro(old)
        label = f"history[{index}]"
        if mode.backward:
            found += [
                Incompatibility(i.path, f"new schema reading data written with {label}: {i.message}", i.rule)
                for i in _Resolver().resolve(new_parsed, old_parsed, "")
            ]
        if mode.forward:
            found += [
                Incompatibility(
                    i.path,
                    f"{label} reading data written with the new schema: {i.message}",
                    _FORWARD_RULES.get(i.rule, i.rule),
                )
                for i in _Resolver().resolve(old_parsed, new_parsed, "")
            ]
    return found
