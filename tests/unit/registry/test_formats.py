"""Schema format converters (sqlingest.registry.formats)."""

from __future__ import annotations

from typing import Any

import pytest

from sqlingest.registry import Mode, SchemaParseError, check
from sqlingest.registry.compat import parse_avro
from sqlingest.registry.formats import (
    avro_to_columns,
    columns_to_avro,
    columns_to_json_schema,
    columns_to_spark_ddl,
    json_schema_to_columns,
    spark_ddl_to_columns,
)

COLUMNS: list[dict[str, Any]] = [
    {"name": "id", "type": "bigint", "nullable": False, "doc": "surrogate key"},
    {"name": "qty", "type": "int", "nullable": False, "default": 1},
    {"name": "price", "type": "decimal(10,2)"},
    {"name": "ratio", "type": "double", "default": 0.5},
    {"name": "score", "type": "float"},
    {"name": "active", "type": "boolean", "nullable": False},
    {"name": "payload", "type": "binary"},
    {"name": "born", "type": "date"},
    {"name": "seen_at", "type": "timestamp", "nullable": False},
    {"name": "local_at", "type": "timestamp_ntz"},
    {"name": "tags", "type": "array<string>", "aliases": ["labels"]},
    {"name": "attrs", "type": "map<string,int>"},
    {"name": "address", "type": "struct<street:string,zip:string not null>"},
    {"name": "lines", "type": "array<struct<sku:string not null,qty:int,tax:struct<rate:double>>>"},
]


def simple(type_: str, nullable: bool = False) -> list[dict[str, Any]]:
    return [{"name": "c", "type": type_, "nullable": nullable}]


# --------------------------------------------------------------------------------------------------------------
# Avro
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spark", "avro"),
    [
        ("tinyint", "int"),
        ("smallint", "int"),
        ("int", "int"),
        ("bigint", "long"),
        ("float", "float"),
        ("double", "double"),
        ("string", "string"),
        ("varchar(10)", "string"),
        ("binary", "bytes"),
        ("boolean", "boolean"),
        ("date", {"type": "int", "logicalType": "date"}),
        ("timestamp", {"type": "long", "logicalType": "timestamp-micros"}),
        ("timestamp_ntz", {"type": "long", "logicalType": "local-timestamp-micros"}),
        ("decimal(10,2)", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}),
        ("decimal", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 0}),
        ("array<bigint>", {"type": "array", "items": "long"}),
        ("map<string,double>", {"type": "map", "values": "double"}),
    ],
)
def test_columns_to_avro_type_mapping(spark: str, avro: Any) -> None:
    schema = columns_to_avro("t", simple(spark))
    assert schema == {"type": "record", "name": "t", "fields": [{"name": "c", "type": avro}]}


def test_nullable_columns_become_null_first_unions_with_null_default() -> None:
    schema = columns_to_avro("t", [{"name": "c", "type": "string"}])
    assert schema["fields"] == [{"name": "c", "type": ["null", "string"], "default": None}]


def test_nullable_column_with_default_puts_the_type_first() -> None:
    schema = columns_to_avro("t", [{"name": "c", "type": "bigint", "default": 5}])
    assert schema["fields"] == [{"name": "c", "type": ["long", "null"], "default": 5}]


def test_nullable_column_with_null_default_keeps_null_first() -> None:
    schema = columns_to_avro("t", [{"name": "c", "type": "bigint", "default": None}])
    assert schema["fields"] == [{"name": "c", "type": ["null", "long"], "default": None}]


def test_required_column_with_default_doc_and_aliases() -> None:
    column = {"name": "c", "type": "string", "nullable": False, "default": "x", "doc": "the c", "aliases": ["old_c"]}
    schema = columns_to_avro("t", [column], namespace="com.shop")
    assert schema == {
        "type": "record",
        "name": "t",
        "namespace": "com.shop",
        "fields": [{"name": "c", "type": "string", "doc": "the c", "default": "x", "aliases": ["old_c"]}],
    }


def test_structs_become_records_named_after_their_parent() -> None:
    schema = columns_to_avro("order", COLUMNS)
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["address"]["type"] == [
        "null",
        {
            "type": "record",
            "name": "order_address",
            "fields": [
                {"name": "street", "type": ["null", "string"], "default": None},
                {"name": "zip", "type": "string"},
            ],
        },
    ]
    line = fields["lines"]["type"][1]["items"]
    assert line["name"] == "order_lines"
    assert line["fields"][2]["type"][1]["name"] == "order_lines_tax"


def test_struct_record_names_stay_unique() -> None:
    columns = [
        {"name": "a", "type": "struct<b_c:int>", "nullable": False},
        {"name": "a_b", "type": "struct<c:int>", "nullable": False},
        {"name": "x", "type": "struct<y:struct<z:int>>", "nullable": False},
    ]
    schema = columns_to_avro("t", columns)
    names = [schema["fields"][0]["type"]["name"], schema["fields"][1]["type"]["name"]]
    assert names == ["t_a", "t_a_b"]
    parse_avro(schema)  # no duplicate definitions


def test_struct_record_name_collision_gets_a_suffix() -> None:
    columns = [{"name": "x", "type": "struct<a:int>", "nullable": False}]
    schema = columns_to_avro("t_x", [{"name": "y", "type": "int", "nullable": False}, *columns])
    assert schema["fields"][1]["type"]["name"] == "t_x_x"
    schema = columns_to_avro("t", [{"name": "x", "type": "struct<x:struct<a:int>>", "nullable": False}])
    inner = schema["fields"][0]["type"]["fields"][0]["type"][1]
    assert inner["name"] == "t_x_x"
    schema = columns_to_avro(
        "t",
        [
            {"name": "x_y", "type": "struct<a:int>", "nullable": False},
            {"name": "x", "type": "struct<y:struct<b:int>>", "nullable": False},
        ],
    )
    assert schema["fields"][0]["type"]["name"] == "t_x_y"
    assert schema["fields"][1]["type"]["fields"][0]["type"][1]["name"] == "t_x_y_2"


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (simple("map<int,string>"), "Avro map keys are strings"),
        (simple("interval"), "unsupported Spark type"),
        (simple("variant"), "unknown type 'variant'"),
        (simple("not a type"), "cannot parse Spark type"),
        (simple("map<string>"), "map needs a key and a value type"),
        (simple("decimal(40,2)"), "invalid decimal(40,2)"),
        (simple("decimal(5,6)"), "invalid decimal(5,6)"),
        (simple("struct<a:int,A:int>"), "duplicate name 'A'"),
        ([{"name": "c"}], "'type' must be a Spark type string"),
        ([{"name": "c", "type": "int", "nullable": "yes"}], "'nullable' must be a boolean"),
        ([{"type": "int"}], "'name' must be a non-empty string"),
        ([{"name": "c", "type": "int"}, {"name": "C", "type": "int"}], "duplicate name 'C'"),
        ([{"name": "bad name", "type": "int"}], "invalid field name 'bad name'"),
        ([{"name": "d", "type": "date", "nullable": False, "default": "2024-01-01"}], "invalid default"),
        ([{"name": "c", "type": "int", "nullable": False, "default": None}], "invalid default"),
    ],
)
def test_columns_to_avro_rejects_unsupported_input(columns: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(SchemaParseError) as info:
        columns_to_avro("t", columns)
    assert message in str(info.value)


def test_columns_to_avro_output_is_a_valid_avro_schema() -> None:
    parse_avro(columns_to_avro("order", COLUMNS, namespace="com.shop"))


def test_avro_to_columns_reads_logical_types_enums_fixed_and_references() -> None:
    schema = {
        "type": "record",
        "name": "Event",
        "namespace": "com.shop",
        "fields": [
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}], "default": None},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}, "default": "A"},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 16}},
            {
                "name": "amount",
                "type": {
                    "type": "fixed",
                    "name": "Amount",
                    "size": 8,
                    "logicalType": "decimal",
                    "precision": 18,
                    "scale": 4,
                },
            },
            {
                "name": "home",
                "type": {
                    "type": "record",
                    "name": "Address",
                    "fields": [{"name": "zip", "type": "string", "doc": "postal code"}],
                },
            },
            {"name": "work", "type": ["Address", "null"], "doc": "office"},
            {"name": "scores", "type": {"type": "array", "items": ["null", "float"]}},
            {"name": "counts", "type": {"type": "map", "values": "long"}, "default": {}},
            {"name": "old", "type": "int", "aliases": ["legacy"]},
        ],
    }
    assert avro_to_columns(schema) == [
        {"name": "id", "type": "string", "nullable": False},
        {"name": "day", "type": "date", "nullable": True},
        {"name": "at", "type": "timestamp", "nullable": False},
        {"name": "local", "type": "timestamp_ntz", "nullable": False},
        {"name": "kind", "type": "string", "nullable": False, "default": "A"},
        {"name": "hash", "type": "binary", "nullable": False},
        {"name": "amount", "type": "decimal(18,4)", "nullable": False},
        {"name": "home", "type": "struct<zip:string not null comment 'postal code'>", "nullable": False},
        {
            "name": "work",
            "type": "struct<zip:string not null comment 'postal code'>",
            "nullable": True,
            "doc": "office",
        },
        {"name": "scores", "type": "array<float>", "nullable": False},
        {"name": "counts", "type": "map<string,bigint>", "nullable": False, "default": {}},
        {"name": "old", "type": "int", "nullable": False, "aliases": ["legacy"]},
    ]


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("string", "must be a record"),
        (
            {"type": "record", "name": "R", "fields": [{"name": "u", "type": ["null", "int", "string"]}]},
            "only unions of null and one type",
        ),
        ({"type": "record", "name": "R", "fields": [{"name": "u", "type": "null"}]}, "has no Spark equivalent"),
        (
            {"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]},
            "recursive record 'Node'",
        ),
        (
            {
                "type": "record",
                "name": "R",
                "fields": [
                    {
                        "name": "d",
                        "type": {"type": "fixed", "name": "Big", "size": 32, "logicalType": "decimal", "precision": 60},
                    }
                ],
            },
            "invalid decimal(60,0)",
        ),
        ({"type": "record", "name": "R"}, "has no 'fields'"),
    ],
)
def test_avro_to_columns_rejects_unsupported_schemas(schema: Any, message: str) -> None:
    with pytest.raises(SchemaParseError) as info:
        avro_to_columns(schema)
    assert message in str(info.value)


def _normalized(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spell columns the way converters return them: explicit nullable, only present optional keys."""
    out = []
    for column in columns:
        normalized = {"name": column["name"], "type": column["type"], "nullable": column.get("nullable", True)}
        normalized.update({k: column[k] for k in ("default", "doc", "aliases") if k in column})
        out.append(normalized)
    return out


def test_avro_round_trip_from_columns() -> None:
    assert avro_to_columns(columns_to_avro("order", COLUMNS)) == _normalized(COLUMNS)


def test_avro_round_trip_from_avro() -> None:
    schema = columns_to_avro("order", COLUMNS, namespace="com.shop")
    assert columns_to_avro("order", avro_to_columns(schema), namespace="com.shop") == schema


def test_adding_a_nullable_column_is_a_backward_and_forward_compatible_change() -> None:
    old = columns_to_avro("order", COLUMNS)
    new = columns_to_avro("order", [*COLUMNS, {"name": "note", "type": "string"}])
    assert check(new, [old], Mode.FULL) == []
    required = columns_to_avro("order", [*COLUMNS, {"name": "note", "type": "string", "nullable": False}])
    assert [(i.path, i.rule) for i in check(required, [old], Mode.FULL)] == [("note", "field-added-without-default")]


def test_canonical_spelling_of_types() -> None:
    columns = [
        {"name": "a", "type": "LONG"},
        {"name": "b", "type": "STRUCT<x: INT NOT NULL, y: ARRAY<DECIMAL(5, 1)>>"},
        {"name": "c", "type": "Map<String, Struct<`from`: Int>>"},
    ]
    assert [c["type"] for c in avro_to_columns(columns_to_avro("t", columns))] == [
        "bigint",
        "struct<x:int not null,y:array<decimal(5,1)>>",
        "map<string,struct<from:int>>",
    ]


# --------------------------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------------------------


def test_columns_to_json_schema() -> None:
    columns: list[dict[str, Any]] = [
        {"name": "id", "type": "bigint", "nullable": False, "doc": "key"},
        {"name": "price", "type": "decimal(10,2)", "default": 0},
        {"name": "tags", "type": "array<string>"},
        {"name": "attrs", "type": "map<string,int>", "nullable": False},
        {"name": "address", "type": "struct<zip:string not null,city:string>"},
        {"name": "payload", "type": "binary", "nullable": False},
        {"name": "at", "type": "timestamp", "nullable": False},
    ]
    assert columns_to_json_schema(columns) == {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "id": {"type": "integer", "format": "int64", "description": "key"},
            "price": {"type": ["number", "null"], "format": "decimal(10,2)", "default": 0},
            "tags": {"type": ["array", "null"], "items": {"type": "string"}},
            "attrs": {"type": "object", "additionalProperties": {"type": "integer", "format": "int32"}},
            "address": {
                "type": ["object", "null"],
                "properties": {"zip": {"type": "string"}, "city": {"type": ["string", "null"]}},
                "required": ["zip"],
            },
            "payload": {"type": "string", "contentEncoding": "base64"},
            "at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "attrs", "payload", "at"],
    }


def test_json_schema_round_trip() -> None:
    without_aliases = [{k: v for k, v in c.items() if k != "aliases"} for c in COLUMNS]
    assert json_schema_to_columns(columns_to_json_schema(COLUMNS)) == _normalized(without_aliases)


def test_json_schema_to_columns_accepts_common_spellings() -> None:
    schema = {
        "$defs": {"Money": {"type": "number", "format": "decimal(12,2)"}},
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "n": {"type": "number"},
            "ok": {"type": "boolean"},
            "day": {"type": "string", "format": "date"},
            "status": {"enum": ["OPEN", "CLOSED"]},
            "total": {"$ref": "#/$defs/Money"},
            "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "required_but_nullable": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/Money"}]},
            "items": {"items": {"type": "string"}},
            "nested": {"properties": {"a": {"type": "integer", "format": "int32"}}, "required": ["a"]},
        },
        "required": ["id", "n", "ok", "day", "status", "total", "required_but_nullable", "items", "nested"],
    }
    assert json_schema_to_columns(schema) == [
        {"name": "id", "type": "bigint", "nullable": False},
        {"name": "n", "type": "double", "nullable": False},
        {"name": "ok", "type": "boolean", "nullable": False},
        {"name": "day", "type": "date", "nullable": False},
        {"name": "status", "type": "string", "nullable": False},
        {"name": "total", "type": "decimal(12,2)", "nullable": False},
        {"name": "maybe", "type": "string", "nullable": True},
        {"name": "required_but_nullable", "type": "decimal(12,2)", "nullable": True},
        {"name": "items", "type": "array<string>", "nullable": False},
        {"name": "nested", "type": "struct<a:int not null>", "nullable": False},
    ]


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "array", "items": {"type": "string"}}, "must be an object with 'properties'"),
        ({"properties": {"x": {"type": ["string", "integer"]}}}, "exactly one non-null JSON type"),
        ({"properties": {"x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}}, "one non-null schema"),
        ({"properties": {"x": {"type": "object"}}}, "needs 'properties' or an 'additionalProperties' schema"),
        ({"properties": {"x": {"type": "array"}}}, "needs an 'items' schema"),
        ({"properties": {"x": {}}}, "no 'type', and none can be inferred"),
        ({"properties": {"x": {"$ref": "#/$defs/Nope"}}}, "points nowhere"),
        ({"properties": {"x": {"$ref": "https://example.com/s.json"}}}, "only local $ref"),
        (
            {
                "$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
                "properties": {"x": {"$ref": "#/$defs/N"}},
            },
            "recursive $ref",
        ),
        ({"properties": {"x": {"type": "number", "format": "decimal(50,2)"}}}, "invalid decimal(50,2)"),
    ],
)
def test_json_schema_to_columns_rejects_unsupported_schemas(schema: Any, message: str) -> None:
    with pytest.raises(SchemaParseError) as info:
        json_schema_to_columns(schema)
    assert message in str(info.value)


def test_columns_to_json_schema_rejects_non_string_map_keys() -> None:
    with pytest.raises(SchemaParseError, match="JSON object keys are strings"):
        columns_to_json_schema(simple("map<int,string>"))


# --------------------------------------------------------------------------------------------------------------
# Spark DDL
# --------------------------------------------------------------------------------------------------------------


def test_columns_to_spark_ddl() -> None:
    columns: list[dict[str, Any]] = [
        {"name": "a", "type": "bigint", "nullable": False},
        {"name": "b", "type": "string"},
    ]
    assert columns_to_spark_ddl(columns) == "a BIGINT NOT NULL, b STRING"


def test_columns_to_spark_ddl_nested_comments_and_quoting() -> None:
    columns: list[dict[str, Any]] = [
        {"name": "from", "type": "struct<x:int not null,`the y`:array<decimal(5,2)>>", "doc": "it's"},
        {"name": "weird name", "type": "map<string,timestamp_ntz>", "default": {}, "aliases": ["dropped"]},
    ]
    assert columns_to_spark_ddl(columns) == (
        "`from` STRUCT<x: INT NOT NULL, `the y`: ARRAY<DECIMAL(5,2)>> COMMENT 'it\\'s', "
        "`weird name` MAP<STRING, TIMESTAMP_NTZ>"
    )


def test_columns_to_spark_ddl_of_nothing() -> None:
    assert columns_to_spark_ddl([]) == ""
    assert spark_ddl_to_columns("  ") == []


def test_spark_ddl_to_columns() -> None:
    ddl = (
        "id BIGINT NOT NULL COMMENT 'key', name STRING DEFAULT 'n/a', n INT DEFAULT -1, r DOUBLE DEFAULT 1.5, "
        "ok BOOLEAN DEFAULT TRUE, z STRING DEFAULT NULL, s STRUCT<a: INT NOT NULL, b: STRING>, ts TIMESTAMP, "
        "long_alias LONG, ch CHAR(3)"
    )
    assert spark_ddl_to_columns(ddl) == [
        {"name": "id", "type": "bigint", "nullable": False, "doc": "key"},
        {"name": "name", "type": "string", "nullable": True, "default": "n/a"},
        {"name": "n", "type": "int", "nullable": True, "default": -1},
        {"name": "r", "type": "double", "nullable": True, "default": 1.5},
        {"name": "ok", "type": "boolean", "nullable": True, "default": True},
        {"name": "z", "type": "string", "nullable": True, "default": None},
        {"name": "s", "type": "struct<a:int not null,b:string>", "nullable": True},
        {"name": "ts", "type": "timestamp", "nullable": True},
        {"name": "long_alias", "type": "bigint", "nullable": True},
        {"name": "ch", "type": "string", "nullable": True},
    ]


def test_spark_ddl_round_trip() -> None:
    without_extras = [{k: v for k, v in c.items() if k not in ("aliases", "default")} for c in COLUMNS]
    assert spark_ddl_to_columns(columns_to_spark_ddl(COLUMNS)) == _normalized(without_extras)
    weird = [{"name": "select", "type": "int", "nullable": True}, {"name": "a`b", "type": "string", "nullable": True}]
    assert spark_ddl_to_columns(columns_to_spark_ddl(weird)) == weird


@pytest.mark.parametrize(
    ("ddl", "message"),
    [
        ("a", "expected a type, found the end at position 1"),
        ("a BIGINT NOT", "cannot parse Spark DDL"),
        ("a INT) AS SELECT 1 AS (b", "expected ',' between columns, found ')' at position 5"),
        ("a INT, A STRING", "duplicate name 'A'"),
        ("a INT PRIMARY KEY", "unsupported column constraint"),
        ("a INT DEFAULT 1 + 1", "only literal defaults"),
        ("a INTERVAL DAY", "unsupported Spark type"),
        ("a INT); DROP TABLE x; CREATE TABLE y (b INT", "expected ',' between columns"),
    ],
)
def test_spark_ddl_to_columns_rejects_unsupported_ddl(ddl: str, message: str) -> None:
    with pytest.raises(SchemaParseError) as info:
        spark_ddl_to_columns(ddl)
    assert message in str(info.value)


@pytest.mark.parametrize("word", ["select", "from", "not", "order", "date", "timestamp", "table", "default", "comment"])
def test_keyword_names_survive_every_format(word: str) -> None:
    columns = spark_ddl_to_columns(columns_to_spark_ddl([{"name": word, "type": f"struct<`{word}`:int>"}]))
    assert [c["name"] for c in columns] == [word]
    assert spark_ddl_to_columns(columns_to_spark_ddl(columns)) == columns
    assert avro_to_columns(columns_to_avro("t", columns)) == columns
    assert json_schema_to_columns(columns_to_json_schema(columns)) == columns
