"""Contracts: the explicit, versioned declaration of one dataset (columns, keys, physical layout, checks, source).

A contract file is YAML under ``contracts/<domain>/``. Its identity is ``name`` (``domain.dataset``) and ``layer``.
Columns carry Spark SQL types; nothing is inferred.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from sqlingest.errors import Location
from sqlingest.sql import quote_identifier, string_literal, type_sql

ContractLayer = Literal["source", "bronze", "silver", "gold"]
Severity = Literal["error", "warn"]
Action = Literal["fail", "warn", "quarantine", "drop"]

CHECK_TYPES = (
    "not_null", "unique", "primary_key", "accepted_values", "range", "regex", "length",
    "relationships", "row_count", "freshness", "expression", "sql_metric", "sodacl", "anomaly", "decodable",
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHAR_LENGTH = re.compile(r"^\s*(?:var)?char\s*\(\s*(\d+)\s*\)\s*$", re.IGNORECASE)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Check(_Strict):
    """One data quality check. ``column`` is set for column checks; the other fields depend on ``type``."""

    type: str
    column: str | None = None
    columns: list[str] | None = None
    name: str | None = None
    severity: Severity = "error"
    action: Action | None = None
    # parameters (which apply depends on type)
    values: list[Any] | None = None
    min: Any = None
    max: Any = None
    pattern: str | None = None
    to: str | None = None
    field: str | None = None
    expression: str | None = None
    query: str | None = None
    sodacl: Any = None
    warn_after: str | None = None
    error_after: str | None = None
    #: failing rows tolerated: a count (``10``) or a percentage of the rows (``"5%"``, ``"0.5%"``)
    threshold: str | None = None
    # anomaly: which run metric, how many earlier runs, how many standard deviations
    metric: str = "rows_in"
    window: int = 10
    sigma: float = 3.0
    min_history: int = 3
    #: where the check's entry is in its YAML file, and where each parameter the user wrote is (set by the loader)
    location: Location | None = Field(default=None, exclude=True)
    param_locations: dict[str, Location] = Field(default_factory=dict, exclude=True)

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CHECK_TYPES:
            import difflib

            close = difflib.get_close_matches(value, CHECK_TYPES, n=1)
            guess = f"did you mean '{close[0]}'? " if close else ""
            raise ValueError(f"unknown check type '{value}' ({guess}known: {', '.join(CHECK_TYPES)})")
        return value

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold_text(cls, value: Any) -> Any:
        """``threshold: 10`` (a YAML number) is kept as the text ``"10"``; the syntax is checked at compile time."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value

    @property
    def effective_action(self) -> Action:
        return self.action or ("fail" if self.severity == "error" else "warn")

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        target = self.column or ",".join(self.columns or []) or "table"
        return f"{self.type}({target})"


def _shorthand_check(item: Any, column: str | None) -> Any:
    """Turn ``not_null`` / ``{accepted_values: [..]}`` / ``{range: {min: 0}}`` into a check mapping."""
    if isinstance(item, str):
        return {"type": item, "column": column}
    if isinstance(item, dict) and "type" not in item and len(item) >= 1:
        kind = next(iter(item))
        params = item[kind]
        extra = {k: v for k, v in item.items() if k != kind}
        body: dict[str, Any] = {"type": kind, "column": column, **extra}
        if isinstance(params, dict):
            body.update(params)
        elif kind == "accepted_values":
            body["values"] = params
        elif kind in ("regex",):
            body["pattern"] = params
        elif kind == "expression":
            body["expression"] = params
        elif kind == "relationships":
            body["to"] = params
        elif kind == "sodacl":
            body["sodacl"] = params
        elif params is not None:
            raise ValueError(f"check '{kind}' takes a mapping of parameters")
        return body
    if isinstance(item, dict) and column is not None:
        return {"column": column, **item}
    return item


class Column(_Strict):
    name: str
    type: str
    nullable: bool = True
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    default: Any = None
    deprecated: bool = False
    sunset: date | None = None
    previous_names: list[str] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    #: the n of a declared ``varchar(n)`` / ``char(n)`` (the type itself normalises to ``string``): longer values
    #: are rescued in bronze and fail silver/gold writes
    max_length: int | None = None
    location: Location | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _expand_checks(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("checks"), list):
            data = dict(data)
            data["checks"] = [_shorthand_check(c, data.get("name")) for c in data["checks"]]
        if isinstance(data, dict) and isinstance(data.get("type"), str) and data.get("max_length") is None:
            declared = _CHAR_LENGTH.match(data["type"])
            if declared:
                data = dict(data)
                data["max_length"] = int(declared.group(1))
        return data

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"'{value}' is not a valid column name (letters, digits, underscores)")
        return value

    @field_validator("type")
    @classmethod
    def _spark_type(cls, value: str) -> str:
        from sqlingest.validate.types import normalize_type

        return normalize_type(value)


class Keys(_Strict):
    business: list[str] = Field(default_factory=list)
    surrogate: str | None = None
    ordering: str | None = None


class SourceSpec(_Strict):
    """How to read a source dataset. ``format`` selects the source reader plugin."""

    model_config = ConfigDict(extra="allow")
    format: str
    path: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    #: the section as loaded (a located mapping), for compile-time errors at the offending key
    _raw: Any = PrivateAttr(default=None)
    #: text files (csv, json): the character set of the bytes (a Java charset name); invalid bytes are rescued
    encoding: str | None = None  # None: UTF-8
    #: files: a path matching no file is an error unless this is true (then a warning)
    allow_empty: bool | None = None
    #: files whose bytes or schema cannot be read (truncated archive, bad footer, schema contradicting the
    #: contract): ``quarantine`` them as a unit and read the rest, or ``fail`` the model
    bad_files: Literal["quarantine", "fail"] | None = None  # None: quarantine

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Contract(_Strict):
    name: str
    layer: ContractLayer
    version: int = 1
    owner: str | None = None
    description: str | None = None
    format: Literal["iceberg", "delta", "parquet"] | None = None
    namespace: str | None = None
    table: str | None = None
    partitioned_by: list[str] = Field(default_factory=list)
    properties: dict[str, str] = Field(default_factory=dict)
    keys: Keys = Field(default_factory=Keys)
    columns: list[Column]
    checks: list[Check] = Field(default_factory=list)
    source: SourceSpec | None = None
    compatibility: str = "BACKWARD"
    tags: list[str] = Field(default_factory=list)
    #: how this dataset's columns derive from another's: column → Spark SQL expression over the input
    #: (columns not listed map from the input column of the same name); rendered by ``{{ mapped_columns() }}``
    mapping: dict[str, str] = Field(default_factory=dict)
    path: Path | None = Field(default=None, exclude=True)
    location: Location | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _expand_checks(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("checks"), list):
            data = dict(data)
            data["checks"] = [_shorthand_check(c, None) for c in data["checks"]]
        return data

    @field_validator("name")
    @classmethod
    def _qualified(cls, value: str) -> str:
        parts = value.split(".")
        if len(parts) != 2 or not all(_NAME.match(p) for p in parts):
            raise ValueError(f"contract name '{value}' must be 'domain.dataset'")
        return value

    #: cross-field problems kept instead of raised when validated with ``context={"collect_problems": True}``
    #: (the project loader reports them together with every other problem of the file)
    _problems: list[tuple[tuple[str | int, ...], str]] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Contract:
        problems: list[InitErrorDetails] = []

        def problem(loc: tuple[str | int, ...], message: str, value: Any) -> None:
            # located at the offending entry (not the file's first line); "contract" errors print without a prefix
            problems.append(InitErrorDetails(type=PydanticCustomError("contract", message), loc=loc, input=value))

        seen: set[str] = set()
        for i, col in enumerate(self.columns):
            if col.name in seen:
                problem(("columns", i, "name"), f"column '{col.name}' is declared twice", col.name)
            seen.add(col.name)
        keyed: list[tuple[tuple[str | int, ...], str]] = [
            *((("keys", "business", i), k) for i, k in enumerate(self.keys.business)),
            *([(("keys", "ordering"), self.keys.ordering)] if self.keys.ordering else []),
            *((("partitioned_by", i), k) for i, k in enumerate(self.partitioned_by)),
        ]
        for loc, key in keyed:
            if key not in seen:
                what = "partition" if loc[0] == "partitioned_by" else "key"
                problem(loc, f"{what} column '{key}' is not a declared column", key)
        for name in self.mapping:
            if name not in seen:
                problem(("mapping", name), f"mapping names undeclared column '{name}'", name)
        if self.layer == "source" and self.source is None:
            problem(("layer",), "a source contract needs a 'source:' section saying how to read it", self.layer)
        if self.layer != "source" and self.source is not None:
            problem(("source",), "only contracts with layer 'source' may have a 'source:' section", self.layer)
        if problems and (info.context or {}).get("collect_problems"):
            self._problems = [(tuple(p["loc"]), p["type"].message()) for p in problems]  # type: ignore[union-attr]
        elif problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    @property
    def domain(self) -> str:
        return self.name.split(".")[0]

    @property
    def dataset(self) -> str:
        return self.name.split(".")[1]

    @property
    def key(self) -> str:
        """Unique identity in a project: ``layer:domain.dataset``."""
        return f"{self.layer}:{self.name}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def all_checks(self) -> list[Check]:
        """Column checks followed by table checks."""
        return [c for col in self.columns for c in col.checks] + list(self.checks)

    def ddl_columns(self) -> str:
        """``name TYPE [NOT NULL] [COMMENT '…']`` for each column."""
        parts = []
        for col in self.columns:
            part = f"{quote_identifier(col.name)} {type_sql(col.type)}"
            if not col.nullable:
                part += " NOT NULL"
            if col.description:
                part += " COMMENT " + string_literal(col.description)
            parts.append(part)
        return ",\n  ".join(parts)
