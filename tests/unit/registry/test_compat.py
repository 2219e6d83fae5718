"""Avro schema resolution and Schema Registry compatibility modes (sqlingest.registry.compat)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sqlingest.errors import UserError
from sqlingest.registry import Incompatibility, Mode, SchemaParseError, can_read, check
from sqlingest.registry.compat import ArrayType, PrimitiveType, RecordType, UnionType, parse_avro


def record(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def fld(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def rules(found: list[Incompatibility]) -> list[tuple[str, str]]:
    return [(i.path, i.rule) for i in found]


def single_field(type_: Any) -> dict[str, Any]:
    return record("R", fld("x", type_))


def enum(*symbols: str, **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "Color", "symbols": list(symbols), **extra}


def decimal(precision: int, scale: int) -> dict[str, Any]:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}


V_A = record("R", fld("a", "int"))
V_AB_DEFAULT = record("R", fld("a", "int"), fld("b", "string", default=""))
V_AB_REQUIRED = record("R", fld("a", "int"), fld("b", "string"))


# --------------------------------------------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(Mode))
def test_identical_schemas_are_compatible_in_every_mode(mode: Mode) -> None:
    assert check(V_AB_REQUIRED, [V_AB_REQUIRED, V_AB_REQUIRED], mode) == []


@pytest.mark.parametrize("mode", list(Mode))
def test_empty_history_is_compatible(mode: Mode) -> None:
    assert check(V_AB_REQUIRED, [], mode) == []


def test_none_accepts_anything() -> None:
    assert check(single_field("string"), [single_field({"type": "array", "items": "int"})], Mode.NONE) == []


def test_mode_can_be_given_by_name() -> None:
    assert rules(check(V_AB_REQUIRED, [V_A], "backward")) == [("b", "field-added-without-default")]
    with pytest.raises(ValueError):
        check(V_A, [V_A], "SIDEWAYS")


def test_backward_add_field_without_default_fails() -> None:
    found = check(V_AB_REQUIRED, [V_A], Mode.BACKWARD)
    assert rules(found) == [("b", "field-added-without-default")]
    assert "history[0]" in found[0].message


def test_backward_add_field_with_default_passes() -> None:
    assert check(V_AB_DEFAULT, [V_A], Mode.BACKWARD) == []


@pytest.mark.parametrize("old", [V_AB_DEFAULT, V_AB_REQUIRED])
def test_backward_remove_field_passes_with_or_without_default(old: dict[str, Any]) -> None:
    assert check(V_A, [old], Mode.BACKWARD) == []


def test_forward_remove_field_without_default_fails() -> None:
    assert rules(check(V_A, [V_AB_REQUIRED], Mode.FORWARD)) == [("b", "field-removed-without-default")]


def test_forward_remove_field_with_default_passes() -> None:
    assert check(V_A, [V_AB_DEFAULT], Mode.FORWARD) == []


@pytest.mark.parametrize("new", [V_AB_DEFAULT, V_AB_REQUIRED])
def test_forward_add_field_passes_with_or_without_default(new: dict[str, Any]) -> None:
    assert check(new, [V_A], Mode.FORWARD) == []


def test_full_requires_both_directions() -> None:
    assert check(V_AB_DEFAULT, [V_A], Mode.FULL) == []  # add with default
    assert check(V_A, [V_AB_DEFAULT], Mode.FULL) == []  # remove with default
    assert rules(check(V_AB_REQUIRED, [V_A], Mode.FULL)) == [("b", "field-added-without-default")]
    assert rules(check(V_A, [V_AB_REQUIRED], Mode.FULL)) == [("b", "field-removed-without-default")]


def test_full_reports_each_direction_with_its_own_rule() -> None:
    found = check(single_field("long"), [single_field("int")], Mode.FULL)
    assert rules(found) == [("x", "type-widened")]  # only the old (int) reader fails
    found = check(single_field("int"), [single_field("long")], Mode.FULL)
    assert rules(found) == [("x", "type-narrowed")]  # only the new (int) reader fails


def test_non_transitive_modes_check_only_the_latest_version() -> None:
    incompatible_oldest = single_field("string")
    history = [incompatible_oldest, V_A]
    for mode in (Mode.BACKWARD, Mode.FORWARD, Mode.FULL):
        assert check(V_AB_DEFAULT, history, mode) == []
    assert rules(check(V_AB_DEFAULT, history, Mode.BACKWARD_TRANSITIVE)) == [("a", "field-added-without-default")]


def test_backward_transitive_catches_what_backward_misses() -> None:
    # v2 adds b with a default, v3 drops the default: v3 reads v2 data (b present) but not v1 data.
    history = [V_A, V_AB_DEFAULT]
    assert check(V_AB_REQUIRED, history, Mode.BACKWARD) == []
    found = check(V_AB_REQUIRED, history, Mode.BACKWARD_TRANSITIVE)
    assert rules(found) == [("b", "field-added-without-default")]
    assert "history[0]" in found[0].message


def test_forward_transitive_catches_what_forward_misses() -> None:
    # v1 has b without default, v2 gives it a default, v3 removes it: v2 readers cope, v1 readers do not.
    history = [V_AB_REQUIRED, V_AB_DEFAULT]
    assert check(V_A, history, Mode.FORWARD) == []
    found = check(V_A, history, Mode.FORWARD_TRANSITIVE)
    assert rules(found) == [("b", "field-removed-without-default")]
    assert "history[0]" in found[0].message


def test_full_transitive_catches_what_full_misses() -> None:
    history = [V_A, V_AB_DEFAULT]
    assert check(V_AB_REQUIRED, history, Mode.FULL) == []
    assert rules(check(V_AB_REQUIRED, history, Mode.FULL_TRANSITIVE)) == [("b", "field-added-without-default")]


def test_field_removed_with_default_then_readded_without_default() -> None:
    # v1 {a, b=""}; v2 drops b; v3 re-adds b without a default.
    history = [V_AB_DEFAULT, V_A]
    assert rules(check(V_AB_REQUIRED, history, Mode.BACKWARD)) == [("b", "field-added-without-default")]
    assert check(V_AB_REQUIRED, history, Mode.FORWARD_TRANSITIVE) == []  # old readers ignore or default b
    found = check(V_AB_REQUIRED, history, Mode.FULL_TRANSITIVE)
    assert rules(found) == [("b", "field-added-without-default")]  # v1 data has b, v2 data does not
    assert "history[1]" in found[0].message


def test_transitive_reports_every_failing_version() -> None:
    history = [single_field("long"), single_field("double")]
    assert rules(check(single_field("int"), history, Mode.BACKWARD_TRANSITIVE)) == [
        ("x", "type-narrowed"),
        ("x", "type-narrowed"),
    ]


# --------------------------------------------------------------------------------------------------------------
# Records and fields
# --------------------------------------------------------------------------------------------------------------


def test_reader_field_missing_in_writer_needs_default() -> None:
    assert rules(can_read(V_AB_REQUIRED, V_A)) == [("b", "field-added-without-default")]
    assert can_read(V_AB_DEFAULT, V_A) == []


def test_null_default_counts_as_a_default() -> None:
    reader = record("R", fld("a", "int"), fld("b", ["null", "string"], default=None))
    assert can_read(reader, V_A) == []


def test_writer_field_missing_in_reader_is_ignored() -> None:
    assert can_read(V_A, V_AB_REQUIRED) == []


def test_field_order_does_not_matter() -> None:
    writer = record("R", fld("a", "int"), fld("b", "string"))
    reader = record("R", fld("b", "string"), fld("a", "int"))
    assert can_read(reader, writer) == []


def test_field_rename_with_alias_is_compatible() -> None:
    writer = record("R", fld("qty", "int"))
    renamed = record("R", fld("quantity", "int", aliases=["qty"]))
    assert can_read(renamed, writer) == []
    assert rules(can_read(record("R", fld("quantity", "int")), writer)) == [("quantity", "field-added-without-default")]


def test_record_rename_needs_a_reader_alias() -> None:
    writer = record("Order", fld("a", "int"), namespace="com.shop")
    assert rules(can_read(record("Purchase", fld("a", "int"), namespace="com.shop"), writer)) == [("", "name-mismatch")]
    aliased = record("Purchase", fld("a", "int"), namespace="com.shop", aliases=["Order"])
    assert can_read(aliased, writer) == []  # relative alias is qualified with the reader's namespace


def test_record_namespace_change_is_compatible() -> None:
    writer = record("Order", fld("a", "int"), namespace="com.old")
    assert can_read(record("Order", fld("a", "int"), namespace="com.new"), writer) == []


def test_nested_record_change_reports_full_path() -> None:
    def schema(zip_type: str) -> dict[str, Any]:
        address = record("Address", fld("street", "string"), fld("zip", zip_type))
        customer = record("Customer", fld("name", "string"), fld("address", ["null", address], default=None))
        return record("Order", fld("customer", customer))

    found = check(schema("int"), [schema("string")], Mode.BACKWARD)
    assert rules(found) == [("customer.address.zip", "type-mismatch")]
    assert "'string'" in found[0].message and "'int'" in found[0].message


def test_nested_field_added_without_default_reports_full_path() -> None:
    old = record("Outer", fld("inner", record("Inner", fld("a", "int"))))
    new = record("Outer", fld("inner", record("Inner", fld("a", "int"), fld("b", "int"))))
    assert rules(check(new, [old], Mode.FULL)) == [("inner.b", "field-added-without-default")]
    assert rules(check(old, [new], Mode.FULL)) == [("inner.b", "field-removed-without-default")]


def test_array_of_records_reports_path_with_brackets() -> None:
    def schema(qty: str) -> dict[str, Any]:
        line = record("Line", fld("sku", "string"), fld("qty", qty))
        order = record("OrderBody", fld("lines", {"type": "array", "items": line}))
        return record("Envelope", fld("order", order))

    assert rules(check(schema("int"), [schema("long")], Mode.BACKWARD)) == [("order.lines[].qty", "type-narrowed")]
    assert check(schema("long"), [schema("int")], Mode.BACKWARD) == []
    assert rules(check(schema("long"), [schema("int")], Mode.FORWARD)) == [("order.lines[].qty", "type-widened")]


def test_array_items_promote() -> None:
    assert (
        can_read(single_field({"type": "array", "items": "long"}), single_field({"type": "array", "items": "int"}))
        == []
    )
    assert rules(
        can_read(single_field({"type": "array", "items": "int"}), single_field({"type": "array", "items": "long"}))
    ) == [("x[]", "type-narrowed")]


def test_map_values_are_resolved() -> None:
    def schema(value: Any) -> dict[str, Any]:
        return single_field({"type": "map", "values": value})

    assert can_read(schema("double"), schema("float")) == []
    assert rules(can_read(schema("float"), schema("double"))) == [("x{}", "type-narrowed")]
    assert rules(
        can_read(schema(record("V", fld("n", "int"), fld("m", "int"))), schema(record("V", fld("n", "int"))))
    ) == [("x{}.m", "field-added-without-default")]


def test_array_and_map_do_not_match() -> None:
    assert rules(
        can_read(single_field({"type": "map", "values": "int"}), single_field({"type": "array", "items": "int"}))
    ) == [("x", "type-mismatch")]


def test_record_versus_primitive_is_a_mismatch() -> None:
    assert rules(can_read(single_field("string"), single_field(record("Inner", fld("a", "int"))))) == [
        ("x", "type-mismatch")
    ]


# --------------------------------------------------------------------------------------------------------------
# Primitives and promotions
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "float"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    ],
)
def test_allowed_promotions(writer: str, reader: str) -> None:
    assert can_read(single_field(reader), single_field(writer)) == []


@pytest.mark.parametrize(
    ("writer", "reader"),
    [("long", "int"), ("double", "float"), ("float", "int"), ("float", "long"), ("double", "long"), ("double", "int")],
)
def test_numeric_narrowing_is_rejected(writer: str, reader: str) -> None:
    assert rules(can_read(single_field(reader), single_field(writer))) == [("x", "type-narrowed")]


@pytest.mark.parametrize(
    ("writer", "reader"),
    [("string", "int"), ("int", "string"), ("boolean", "int"), ("bytes", "long"), ("null", "string")],
)
def test_unrelated_primitives_do_not_match(writer: str, reader: str) -> None:
    assert rules(can_read(single_field(reader), single_field(writer))) == [("x", "type-mismatch")]


def test_type_change_messages_name_both_types() -> None:
    (found,) = can_read(single_field("int"), single_field("long"))
    assert found.message == "writer type 'long' cannot be promoted to reader type 'int'"


# --------------------------------------------------------------------------------------------------------------
# Unions and nullability
# --------------------------------------------------------------------------------------------------------------


def test_required_to_nullable_is_backward_compatible_only() -> None:
    required, nullable = single_field("string"), single_field(["null", "string"])
    assert check(nullable, [required], Mode.BACKWARD) == []
    assert rules(check(nullable, [required], Mode.FORWARD)) == [("x", "required-to-nullable")]


def test_nullable_to_required_is_forward_compatible_only() -> None:
    required, nullable = single_field("string"), single_field(["null", "string"])
    assert rules(check(required, [nullable], Mode.BACKWARD)) == [("x", "nullable-to-required")]
    assert check(required, [nullable], Mode.FORWARD) == []


def test_union_widening_and_narrowing() -> None:
    narrow, wide = single_field(["null", "string"]), single_field(["null", "string", "int"])
    assert check(wide, [narrow], Mode.BACKWARD) == []
    assert rules(check(wide, [narrow], Mode.FORWARD)) == [("x", "union-branch-added")]
    assert rules(check(narrow, [wide], Mode.BACKWARD)) == [("x", "union-branch-removed")]
    assert check(narrow, [wide], Mode.FORWARD) == []


def test_writer_union_to_single_type_needs_every_branch_readable() -> None:
    assert rules(can_read(single_field("string"), single_field(["string", "int"]))) == [("x", "union-branch-removed")]
    assert can_read(single_field("double"), single_field(["int", "long", "float"])) == []  # all promote


def test_reader_union_accepts_promotable_writer_type() -> None:
    assert can_read(single_field(["null", "long"]), single_field("int")) == []


def test_reader_union_prefers_exact_branch_over_promotion() -> None:
    reader = single_field([decimal(5, 0), "string"])
    assert can_read(reader, single_field("string")) == []  # string matches string, not the earlier bytes branch
    assert rules(can_read(reader, single_field(decimal(6, 0)))) == [("x", "decimal-precision-changed")]


def test_nullable_type_change_is_explained_through_the_union() -> None:
    assert rules(can_read(single_field(["null", "int"]), single_field(["null", "long"]))) == [("x", "type-narrowed")]
    assert rules(can_read(single_field(["null", "int"]), single_field("long"))) == [("x", "type-narrowed")]


def test_writer_type_matching_no_branch_of_a_wide_reader_union() -> None:
    assert rules(can_read(single_field(["null", "int", "boolean"]), single_field("string"))) == [("x", "type-mismatch")]


def test_union_of_records_is_matched_by_name() -> None:
    a1, b1 = record("A", fld("n", "int")), record("B", fld("s", "string"))
    a2 = record("A", fld("n", "int"), fld("m", "int"))
    assert rules(can_read(single_field([a2, b1]), single_field([a1, b1]))) == [("x.m", "field-added-without-default")]


# --------------------------------------------------------------------------------------------------------------
# Enums and fixed
# --------------------------------------------------------------------------------------------------------------


def test_enum_symbol_added() -> None:
    old, new = single_field(enum("RED", "GREEN")), single_field(enum("RED", "GREEN", "BLUE"))
    assert check(new, [old], Mode.BACKWARD) == []
    found = check(new, [old], Mode.FORWARD)
    assert rules(found) == [("x", "enum-symbol-added")]
    assert "BLUE" in found[0].message


def test_enum_symbol_removed() -> None:
    old, new = single_field(enum("RED", "GREEN", "BLUE")), single_field(enum("RED", "GREEN"))
    assert rules(check(new, [old], Mode.BACKWARD)) == [("x", "enum-symbol-removed")]
    assert check(new, [old], Mode.FORWARD) == []


def test_enum_default_lets_readers_accept_unknown_symbols() -> None:
    old = single_field(enum("UNKNOWN", "RED", "GREEN", default="UNKNOWN"))
    new = single_field(enum("UNKNOWN", "RED", "GREEN", "BLUE", default="UNKNOWN"))
    assert check(new, [old], Mode.FULL) == []
    removed = single_field(enum("UNKNOWN", "RED", default="UNKNOWN"))
    assert check(removed, [old], Mode.BACKWARD) == []


def test_enum_rename_is_a_name_mismatch() -> None:
    renamed = {"type": "enum", "name": "Colour", "symbols": ["RED"]}
    assert rules(can_read(single_field(renamed), single_field(enum("RED")))) == [("x", "name-mismatch")]


def test_fixed_size_change() -> None:
    def fixed(size: int, name: str = "Hash") -> dict[str, Any]:
        return single_field({"type": "fixed", "name": name, "size": size})

    assert can_read(fixed(16), fixed(16)) == []
    assert rules(can_read(fixed(32), fixed(16))) == [("x", "fixed-size-changed")]
    assert rules(check(fixed(16), [fixed(32)], Mode.FULL)) == [("x", "fixed-size-changed"), ("x", "fixed-size-changed")]
    assert rules(can_read(fixed(16, "Digest"), fixed(16))) == [("x", "name-mismatch")]


def test_fixed_and_bytes_do_not_match() -> None:
    fixed = single_field({"type": "fixed", "name": "Hash", "size": 16})
    assert rules(can_read(single_field("bytes"), fixed)) == [("x", "type-mismatch")]


# --------------------------------------------------------------------------------------------------------------
# Logical types
# --------------------------------------------------------------------------------------------------------------


def test_decimal_scale_change() -> None:
    assert rules(can_read(single_field(decimal(10, 3)), single_field(decimal(10, 2)))) == [
        ("x", "decimal-scale-changed")
    ]


def test_decimal_precision_change() -> None:
    assert rules(check(single_field(decimal(12, 2)), [single_field(decimal(10, 2))], Mode.BACKWARD)) == [
        ("x", "decimal-precision-changed")
    ]


def test_decimal_unchanged_is_compatible() -> None:
    assert check(single_field(decimal(10, 2)), [single_field(decimal(10, 2))], Mode.FULL_TRANSITIVE) == []


def test_fixed_decimal_scale_change() -> None:
    def fixed_decimal(scale: int) -> dict[str, Any]:
        return single_field(
            {"type": "fixed", "name": "Amount", "size": 8, "logicalType": "decimal", "precision": 18, "scale": scale}
        )

    assert rules(can_read(fixed_decimal(4), fixed_decimal(2))) == [("x", "decimal-scale-changed")]


def test_decimal_versus_plain_bytes() -> None:
    assert rules(can_read(single_field(decimal(10, 2)), single_field("bytes"))) == [("x", "logical-type-changed")]
    assert rules(can_read(single_field("bytes"), single_field(decimal(10, 2)))) == [("x", "logical-type-changed")]


@pytest.mark.parametrize(
    ("annotated", "plain"),
    [
        ({"type": "int", "logicalType": "date"}, "int"),
        ({"type": "long", "logicalType": "timestamp-micros"}, "long"),
        ({"type": "long", "logicalType": "timestamp-millis"}, {"type": "long", "logicalType": "timestamp-micros"}),
        ({"type": "string", "logicalType": "uuid"}, "string"),
    ],
)
def test_date_and_time_logical_types_on_the_same_primitive_are_compatible(
    annotated: dict[str, Any], plain: Any
) -> None:
    assert check(single_field(annotated), [single_field(plain)], Mode.FULL) == []


def test_date_promotes_like_its_primitive() -> None:
    date = {"type": "int", "logicalType": "date"}
    assert can_read(single_field("long"), single_field(date)) == []
    assert rules(can_read(single_field(date), single_field("long"))) == [("x", "type-narrowed")]


# --------------------------------------------------------------------------------------------------------------
# Named type references
# --------------------------------------------------------------------------------------------------------------


def _two_addresses(zip_type: str) -> dict[str, Any]:
    address = record("Address", fld("zip", zip_type))
    return record("Customer", fld("billing", address), fld("shipping", "Address"))


def test_named_reference_is_resolved() -> None:
    parsed = parse_avro(_two_addresses("string"))
    assert isinstance(parsed, RecordType)
    assert parsed.fields[0].type is parsed.fields[1].type


def test_change_in_a_referenced_type_is_reported_at_every_use() -> None:
    assert rules(check(_two_addresses("int"), [_two_addresses("string")], Mode.BACKWARD)) == [
        ("billing.zip", "type-mismatch"),
        ("shipping.zip", "type-mismatch"),
    ]


def test_namespaced_reference_by_short_name() -> None:
    schema = record(
        "Customer",
        fld("home", record("Address", fld("zip", "string"))),
        fld("work", "Address"),
        fld("other", "com.shop.Address"),
        namespace="com.shop",
    )
    parsed = parse_avro(schema)
    assert isinstance(parsed, RecordType)
    assert {f.type.fullname for f in parsed.fields} == {"com.shop.Address"}  # type: ignore[union-attr]


def _linked_list(value_type: str) -> dict[str, Any]:
    return record(
        "Node",
        fld("value", value_type),
        fld("next", ["null", "Node"], default=None),
    )


def test_recursive_schemas_resolve_without_looping() -> None:
    assert can_read(_linked_list("long"), _linked_list("int")) == []
    assert rules(can_read(_linked_list("int"), _linked_list("long"))) == [("value", "type-narrowed")]


# --------------------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("Nope", "unknown type name 'Nope'"),
        (record("R", fld("a", "Missing")), "unknown type name 'Missing'"),
        ({"type": "record", "name": "R"}, "has no 'fields'"),
        ({"type": "enum", "name": "E"}, "non-empty list of 'symbols'"),
        ({"type": "enum", "name": "E", "symbols": []}, "non-empty list of 'symbols'"),
        ({"type": "enum", "name": "E", "symbols": ["A", "A"]}, "duplicate symbols"),
        ({"type": "enum", "name": "E", "symbols": ["A"], "default": "B"}, "not one of its symbols"),
        ({"type": "enum", "name": "E", "symbols": ["1A"]}, "invalid symbol"),
        (record("R", fld("a", "int"), fld("a", "string")), "two fields named 'a'"),
        (record("R", fld("bad-name", "int")), "invalid field name"),
        (record("R", {"name": "a"}), "field has no 'type'"),
        (record("9R"), "invalid name"),
        ({"type": "fixed", "name": "F"}, "non-negative integer 'size'"),
        ({"type": "fixed", "name": "F", "size": -1}, "non-negative integer 'size'"),
        ({"type": "array"}, "array has no 'items'"),
        ({"type": "map"}, "map has no 'values'"),
        ({"name": "x"}, "has no 'type'"),
        (42, "expected a type name"),
        ([], "union has no branches"),
        (["null", ["int"]], "may not directly contain another union"),
        (["string", "string"], "contains 'string' more than once"),
        (["int", {"type": "int", "logicalType": "date"}], "contains 'int' more than once"),
        (record("R", fld("a", record("R", fld("b", "int")))), "defined twice"),
        (record("int"), "may not be called 'int'"),
        (record("R", fld("a", "string", default=None)), "invalid default None"),
        (record("R", fld("a", ["null", "string"], default="x")), "invalid default 'x'"),
        (record("R", fld("a", "int", default=2**31)), "expected a int value"),
        (record("R", fld("a", {"type": "array", "items": "int"}, default=["x"])), "invalid default"),
        (record("R", fld("a", record("Inner", fld("b", "int")), default={})), "no value for field 'b'"),
        ("{not json", "not valid JSON"),
    ],
)
def test_invalid_schemas_raise_clear_errors(schema: Any, message: str) -> None:
    with pytest.raises(SchemaParseError) as info:
        parse_avro(schema)
    assert message in str(info.value)


def test_parse_errors_name_where_they_are() -> None:
    with pytest.raises(SchemaParseError) as info:
        parse_avro(record("Order", fld("lines", {"type": "array", "items": record("Line", fld("qty", "Qty"))})))
    assert str(info.value).startswith("Order.lines[].qty: unknown type name 'Qty'")


def test_schema_parse_error_is_a_value_error_and_a_user_error() -> None:
    with pytest.raises(SchemaParseError) as info:
        parse_avro("Nope")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, UserError)


def test_check_and_can_read_raise_on_invalid_schemas() -> None:
    with pytest.raises(SchemaParseError):
        check(V_A, ["Nope"], Mode.BACKWARD)
    with pytest.raises(SchemaParseError):
        can_read("Nope", V_A)


def test_valid_defaults_are_accepted() -> None:
    parse_avro(
        record(
            "R",
            fld("a", ["null", "string"], default=None),
            fld("b", ["string", "null"], default="x"),
            fld("c", "double", default=1),
            fld("d", {"type": "array", "items": "int"}, default=[]),
            fld("e", {"type": "map", "values": "long"}, default={"k": 1}),
            fld("f", {"type": "enum", "name": "E", "symbols": ["A", "B"]}, default="B"),
            fld("g", {"type": "fixed", "name": "F", "size": 2}, default="\u00ff\u0000"),
            fld("h", record("Inner", fld("i", "int"), fld("j", "int", default=0)), default={"i": 1}),
        )
    )


def test_invalid_logical_type_falls_back_to_the_underlying_type() -> None:
    parsed = parse_avro({"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 3})
    assert parsed == PrimitiveType("bytes")
    assert parse_avro({"type": "string", "logicalType": "date"}) == PrimitiveType("string")
    assert parse_avro({"type": "int", "logicalType": "no-such-type"}) == PrimitiveType("int")


def test_parse_accepts_json_text_and_wrapped_types() -> None:
    assert parse_avro(json.dumps(["null", "int"])) == UnionType((PrimitiveType("null"), PrimitiveType("int")))
    assert parse_avro({"type": {"type": "array", "items": "int"}}) == ArrayType(PrimitiveType("int"))
    assert parse_avro('"string"') == PrimitiveType("string")


def test_incompatibility_str() -> None:
    assert str(Incompatibility("a.b", "boom", "type-mismatch")) == "a.b: boom [type-mismatch]"
    assert str(Incompatibility("", "boom", "name-mismatch")) == "<root>: boom [name-mismatch]"
