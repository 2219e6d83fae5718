"""Contracts: the explicit, versioned declaration of one dataset (columns, keys, physical layout, checks, source).

A contract file is YAML under ``contracts/<domain>/``. Its identity is ``name`` (``domain.dataset``) and ``layer``.
Columns carry Spark SQL types; nothing is inferred.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from sqlingest.errors import Location
from sqlingest.project.config import FormatName
from sqlingest.sql import quote_identifier, string_literal, type_sql

if TYPE_CHECKING:
    from sqlingest.checks.results import CheckResult, Outcome

#: ``seed``: a CSV file under ``seeds/`` loaded by ``sqlingest seed`` (``ref('<dataset>')`` reads its table)
ContractLayer = Literal["source", "bronze", "silver", "gold", "seed"]
Severity = Literal["error", "warn"]
Action = Literal["fail", "warn", "quarantine", "drop"]
#: what a check that cannot be evaluated (a missing table, an SQL or Soda error) does: fail its model at its
#: severity (``fail``, the default), or only warn (``warn``)
OnError = Literal["fail", "warn"]
#: every action, and the actions of a check judging the whole table whose failing rows are not identifiable
ALL_ACTIONS: tuple[Action, ...] = ("fail", "warn", "quarantine", "drop")
TABLE_ACTIONS: tuple[Action, ...] = ("fail", "warn")

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHAR_LENGTH = re.compile(r"^\s*(?:var)?char\s*\(\s*(\d+)\s*\)\s*$", re.IGNORECASE)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Check(_Strict):
    """One data quality check: the parameters every type has. Each type is a subclass declaring exactly its own
    parameters (:data:`AnyCheck`, discriminated on ``type``), so a missing or unknown parameter fails at load."""

    type: str
    column: str | None = None
    name: str | None = None
    severity: Severity = "error"
    action: Action | None = None
    on_error: OnError = "fail"
    #: where the check's entry is in its YAML file, and where each parameter the user wrote is (set by the loader)
    location: Location | None = Field(default=None, exclude=True)
    param_locations: dict[str, Location] = Field(default_factory=dict, exclude=True)

    #: evaluated per row, fused into the model's write (the only checks that can quarantine or drop rows)
    row_level: ClassVar[bool] = False
    #: about the whole table: not allowed in a column's ``checks:`` and takes no ``column``
    table_only: ClassVar[bool] = False
    #: parameters of which at least one must be given (and not empty), and how the message names them
    needs: ClassVar[tuple[tuple[str, ...], str] | None] = None
    #: the actions the type supports (:mod:`sqlingest.checks.support` is the table of every type's options)
    actions: ClassVar[tuple[Action, ...]] = TABLE_ACTIONS
    #: a dataset-level check whose failing rows are identifiable (a ``unique``'s duplicates, a
    #: ``relationships``' orphans): with ``action: quarantine``/``drop`` it is evaluated in the write, like a row check
    identifies_rows: ClassVar[bool] = False

    @field_validator("column")
    @classmethod
    def _no_column(cls, value: str | None) -> str | None:
        if value is not None and cls.table_only:
            raise PydanticCustomError("table_check_column", "{kind} checks take no 'column'",
                                      {"kind": cls.model_fields["type"].default})
        return value

    @model_validator(mode="after")
    def _needs(self) -> Check:
        if self.needs and all(getattr(self, p) in (None, [], "") for p in self.needs[0]):
            raise PydanticCustomError("contract", "check {label}: needs {what}",
                                      {"label": self.label, "what": self.needs[1]})
        return self

    @classmethod
    def of(cls, **data: Any) -> AnyCheck:
        """The check of ``data['type']`` (a plain constructor for code and tests: ``Check.of(type="unique", …)``)."""
        return _CHECK.validate_python(data)

    @property
    def effective_action(self) -> Action:
        return self.action or ("fail" if self.severity == "error" else "warn")

    @property
    def can_fail(self) -> bool:
        """Whether a run of this check may fail its model (so the table's version before the write is kept)."""
        if self.severity != "error":
            return False
        if self.in_write:  # a fused check that cannot be evaluated fails the write itself
            return self.effective_action == "fail" or (self.effective_action != "warn" and self.tolerance is not None)
        return self.effective_action == "fail" or self.on_error == "fail"

    @property
    def in_write(self) -> bool:
        """Evaluated per row in the model's write (fused): row checks, and identifying checks that set rows aside."""
        return self.row_level or (self.identifies_rows and self.effective_action in ("quarantine", "drop"))

    @property
    def target_columns(self) -> list[str]:
        """The columns the check judges (empty: the table)."""
        return [self.column] if self.column else []

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return f"{self.type}({self.column or ','.join(self.target_columns) or 'table'})"

    @property
    def tolerance(self) -> str | None:
        """The failing rows tolerated (``threshold``) of a check counting failing rows; None for the others."""
        return None

    @property
    def referenced_contract(self) -> str | None:
        """The contract (``layer:domain.dataset``) or relation the check reads besides its own table."""
        return None

    @property
    def sql_text(self) -> str | None:
        """SQL (or raw SodaCL) the check runs, in which other relations may be named."""
        return None

    def result(self, outcome: Outcome, value: Any = None, message: str = "", *, fused: bool = False) -> CheckResult:
        """This check's result in a run."""
        from sqlingest.checks.results import CheckResult

        return CheckResult(self.label, outcome, self.severity, self.effective_action, value, message, fused,
                           self.type, self.column)

    def verdict(self, failing: bool, broken: bool) -> Outcome:
        """The outcome of this check when rows failed it (``failing``) and, beyond that, its threshold is exceeded
        (``broken``). ``fail`` only when the model fails: a ``severity: error`` check whose action is ``fail``, or
        one that sets rows aside (``quarantine``/``drop``) beyond an explicit ``threshold``; ``warn`` when rows
        failed but the model goes on; ``pass`` otherwise."""
        action = self.effective_action
        if action in ("quarantine", "drop"):
            broken = broken and self.tolerance is not None
            return ("fail" if self.severity == "error" else "warn") if broken else "warn" if failing else "pass"
        if not broken:
            return "pass"
        return "fail" if action == "fail" and self.severity == "error" else "warn"

    def error_result(self, reason: str) -> CheckResult:
        """The result of this check when it cannot be evaluated: ``error`` (the model fails) for a ``severity:
        error`` check with ``on_error: fail``, else a warning saying why."""
        if self.severity == "error" and self.on_error == "fail":
            return self.result("error", None, f"could not be evaluated: {reason}")
        why = "on_error: warn" if self.severity == "error" else "severity: warn"
        return self.result("warn", None, f"could not be evaluated ({why}): {reason}")


class _Counted(Check):
    """A check counting failing rows (or values), of which ``threshold`` are tolerated."""

    #: failing rows tolerated: a count (``10``) or a percentage of the rows (``"5%"``, ``"0.5%"``)
    threshold: str | None = None

    @property
    def tolerance(self) -> str | None:
        return self.threshold

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold_text(cls, value: Any) -> Any:
        """``threshold: 10`` (a YAML number) is kept as the text ``"10"``; the syntax is checked at compile time."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value


_COLUMN = "'column' (or declare the check under the column)"


class NotNullCheck(_Counted):
    type: Literal["not_null"] = "not_null"
    column: str
    row_level = True
    actions = ALL_ACTIONS


class UniqueCheck(_Counted):
    """Unique values of ``column``, or of ``columns`` together (default: the contract's business key)."""

    type: Literal["unique"] = "unique"
    columns: list[str] | None = None
    actions = ALL_ACTIONS
    identifies_rows = True

    @property
    def target_columns(self) -> list[str]:
        return list(self.columns or []) or super().target_columns


class PrimaryKeyCheck(_Counted):
    """Unique and not null ``column`` / ``columns`` (default: the contract's business key)."""

    type: Literal["primary_key"] = "primary_key"
    columns: list[str] | None = None

    @property
    def target_columns(self) -> list[str]:
        return list(self.columns or []) or super().target_columns


class AcceptedValuesCheck(_Counted):
    type: Literal["accepted_values"] = "accepted_values"
    column: str
    values: list[Any]
    row_level = True
    actions = ALL_ACTIONS
    needs = (("values",), "values (the accepted literals)")


class RangeCheck(_Counted):
    type: Literal["range"] = "range"
    column: str
    min: Any = None
    max: Any = None
    row_level = True
    actions = ALL_ACTIONS
    needs = (("min", "max"), "min or max")


class RegexCheck(_Counted):
    type: Literal["regex"] = "regex"
    column: str
    pattern: str
    row_level = True
    actions = ALL_ACTIONS
    needs = (("pattern",), "pattern (a Java regular expression)")


class LengthCheck(_Counted):
    type: Literal["length"] = "length"
    column: str
    min: Any = None
    max: Any = None
    row_level = True
    actions = ALL_ACTIONS
    needs = (("min", "max"), "min or max")


class RelationshipsCheck(_Counted):
    """Every value of ``column`` exists in ``field`` (default: the same name) of the contract ``to``."""

    type: Literal["relationships"] = "relationships"
    column: str
    to: str
    field: str | None = None
    needs = (("to",), "to (the referenced contract, layer:domain.dataset)")
    actions = ALL_ACTIONS
    identifies_rows = True

    @property
    def referenced_contract(self) -> str | None:
        return self.to


class RowCountCheck(Check):
    type: Literal["row_count"] = "row_count"
    min: Any = None
    max: Any = None
    table_only = True
    needs = (("min", "max"), "min or max")


class FreshnessCheck(Check):
    type: Literal["freshness"] = "freshness"
    column: str
    max: Any = None
    warn_after: str | None = None
    error_after: str | None = None
    needs = (("max", "error_after", "warn_after"), "max (a duration such as 1d, 6h, 1d12h)")


class ExpressionCheck(_Counted):
    type: Literal["expression"] = "expression"
    expression: str
    row_level = True
    actions = ALL_ACTIONS
    needs = (("expression",), "expression (a SQL predicate)")

    @property
    def sql_text(self) -> str | None:
        return self.expression


class SqlMetricCheck(Check):
    type: Literal["sql_metric"] = "sql_metric"
    query: str
    min: Any = None
    max: Any = None
    table_only = True
    needs = (("query",), "query (SELECT … FROM {table})")

    @property
    def sql_text(self) -> str | None:
        return self.query


class SodaclCheck(Check):
    type: Literal["sodacl"] = "sodacl"
    sodacl: Any
    table_only = True
    needs = (("sodacl",), "sodacl (the SodaCL check)")

    @property
    def sql_text(self) -> str | None:
        import json

        return json.dumps(self.sodacl, default=str)


class AnomalyCheck(Check):
    """This run's ``metric`` against the model's last ``window`` runs (``sigma`` standard deviations)."""

    type: Literal["anomaly"] = "anomaly"
    metric: str = "rows_in"
    window: int = 10
    sigma: float = 3.0
    min_history: int = 3
    table_only = True


class DecodableCheck(_Counted):
    """A bronze row whose source record could not be decoded at all (implicit for Kafka's quarantine mode)."""

    type: Literal["decodable"] = "decodable"
    row_level = True
    actions = ALL_ACTIONS
    table_only = True


#: every check type, by its ``type:`` (in the order the error messages list them)
CHECK_CLASSES: dict[str, type[Check]] = {
    cls.model_fields["type"].default: cls for cls in (
        NotNullCheck, UniqueCheck, PrimaryKeyCheck, AcceptedValuesCheck, RangeCheck, RegexCheck, LengthCheck,
        RelationshipsCheck, RowCountCheck, FreshnessCheck, ExpressionCheck, SqlMetricCheck, SodaclCheck,
        AnomalyCheck, DecodableCheck)
}
CHECK_TYPES = tuple(CHECK_CLASSES)
#: a check of any type, discriminated on ``type`` (the field type of contracts' and columns' ``checks``)
AnyCheck = Annotated[
    NotNullCheck | UniqueCheck | PrimaryKeyCheck | AcceptedValuesCheck | RangeCheck | RegexCheck | LengthCheck
    | RelationshipsCheck | RowCountCheck | FreshnessCheck | ExpressionCheck | SqlMetricCheck | SodaclCheck
    | AnomalyCheck | DecodableCheck,
    Field(discriminator="type"),
]
_CHECK: TypeAdapter[AnyCheck] = TypeAdapter(AnyCheck)
_COMMON = set(Check.model_fields) - {"location", "param_locations"}


def _check_label(data: Any) -> str:
    """The label of a check entry that did not load (as :attr:`Check.label` would be)."""
    if not isinstance(data, dict):
        return str(data)
    if data.get("name"):
        return str(data["name"])
    columns = data.get("columns") if isinstance(data.get("columns"), list) else None
    target = data.get("column") or (",".join(str(c) for c in columns) if columns else "table")
    return f"{data.get('type')}({target})"


def check_error(err: Any, data: Any) -> tuple[tuple[Any, ...], str | None, str | None] | None:
    """A pydantic error inside a check entry as (location path, message, hint), worded like the compile-time
    rules (message None: the usual wording, at that path); None when ``err`` is not about a check. ``data`` is
    the contract mapping as loaded (located YAML)."""
    import difflib

    loc = tuple(err["loc"])
    at = next((i for i in range(1, len(loc)) if loc[i - 1] == "checks" and isinstance(loc[i], int)), None)
    if at is None:
        return None
    entry, rest = loc[: at + 1], loc[at + 1:]
    raw: Any = data
    for part in entry:
        raw = raw[part] if isinstance(raw, (dict, list)) else None
    column = data["columns"][entry[1]] if entry[0] == "columns" else None
    owner = column.get("name") if isinstance(column, dict) else None
    try:
        body = _shorthand_check(raw, owner)
    except ValueError:
        body = raw
    dotted = ".".join(str(p) for p in entry)
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        kind = (err.get("ctx") or {}).get("tag")
        if kind is None:
            return (*entry, "type"), f"{dotted}.type: Field required", f"known types: {', '.join(CHECK_TYPES)}"
        close = difflib.get_close_matches(str(kind), CHECK_TYPES, n=1)
        guess = f"did you mean '{close[0]}'? " if close else ""
        known = ", ".join(CHECK_TYPES)
        return (*entry, "type"), f"{dotted}.type: unknown check type '{kind}' ({guess}known: {known})", None
    kind = rest[0] if rest and rest[0] in CHECK_CLASSES else None
    if kind is None:
        return None
    rest = rest[1:]
    cls = CHECK_CLASSES[kind]
    where = (*entry, kind) if isinstance(raw, dict) and kind in raw and "type" not in raw else entry
    label = _check_label(body)
    allowed = set(cls.model_fields) - {"location", "param_locations"}
    if err["type"] == "table_check_column" or (err["type"] == "extra_forbidden" and rest == ("column",)):
        if owner is not None:
            return entry, f"check {label}: {kind} is a table check, not a column check", \
                "move it to the contract's top-level checks: list"
        return (*where, "column"), f"check {label}: {kind} checks take no 'column'", None
    if err["type"] == "extra_forbidden" and len(rest) == 1:
        param = str(rest[0])
        users = sorted(t for t, c in CHECK_CLASSES.items() if param in c.model_fields and param not in _COMMON)
        hint = f"'{param}' is a parameter of {', '.join(users)} checks" if users else None
        close = difflib.get_close_matches(param, sorted(allowed - _COMMON), n=1)
        if close:
            hint = f"did you mean '{close[0]}'?"
        return (*where, param), f"check {label}: '{param}' is not a parameter of {kind} checks", \
            hint or f"{kind} takes: {', '.join(sorted(allowed - {'type'}))}"
    if err["type"] == "missing" and len(rest) == 1:
        what = _COLUMN if rest[0] == "column" else (cls.needs[1] if cls.needs else f"'{rest[0]}'")
        return entry, f"check {label}: needs {what}", None
    if err["type"] == "contract":
        return entry, str(err["msg"]), None
    return (*where, *rest), None, None  # any other problem: worded as usual, at the parameter


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
    checks: list[AnyCheck] = Field(default_factory=list)
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
    format: FormatName | None = None
    namespace: str | None = None
    table: str | None = None
    partitioned_by: list[str] = Field(default_factory=list)
    properties: dict[str, str] = Field(default_factory=dict)
    keys: Keys = Field(default_factory=Keys)
    columns: list[Column]
    checks: list[AnyCheck] = Field(default_factory=list)
    source: SourceSpec | None = None
    compatibility: str = "BACKWARD"
    tags: list[str] = Field(default_factory=list)
    #: how this dataset's columns derive from another's: column → Spark SQL expression over the input
    #: (columns not listed map from the input column of the same name); rendered by ``{{ mapped_columns() }}``
    mapping: dict[str, str] = Field(default_factory=dict)
    #: who may ``ref`` the dataset: ``public`` (any domain), ``protected`` (its domain), ``private`` (its domain's
    #: models of the same dataset, e.g. silver.orders reading bronze.orders); None: the domain's default
    access: Literal["public", "protected", "private"] | None = None
    #: the longest the dataset keeps its data (days); at most its domain's ``retention_days``
    retention_days: int | None = Field(default=None, ge=1)
    #: model unit tests of the model bound to this contract (``sqlingest.unittests.spec``); not part of the schema
    unit_tests: list[Any] = Field(default_factory=list, exclude=True)
    path: Path | None = Field(default=None, exclude=True)
    location: Location | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _expand_checks(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("checks"), list):
            data = dict(data)
            data["checks"] = [_shorthand_check(c, None) for c in data["checks"]]
        return data

    @classmethod
    def located_error(cls, err: Any, data: Any) -> tuple[tuple[Any, ...], str | None, str | None] | None:
        """How the loader words a validation error of this model (see :func:`check_error`)."""
        return check_error(err, data)

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
    #: the YAML mapping as loaded (its key locations place errors at a field's line)
    _data: Any = PrivateAttr(default=None)

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
        return [*(c for col in self.columns for c in col.checks), *self.checks]

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
