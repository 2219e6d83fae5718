"""Contract semantics at compile time: every check validated against its contract and the project.

Run when contracts are loaded (so every command refuses them, exit 2), after each file passed its schema. Each
problem is a located :class:`ContractError` at the YAML line of the offending check entry (or of the parameter,
when the user wrote it as a key); all of them are reported at once. The rules are listed in ``docs/quality.md``
("Compile-time validation"); source sections are validated by :mod:`sqlingest.validate.source_options`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlingest.errors import ContractError, Location, UserError
from sqlingest.project.contract import (
    CHECK_CLASSES,
    AcceptedValuesCheck,
    AnomalyCheck,
    Check,
    Contract,
    ExpressionCheck,
    FreshnessCheck,
    LengthCheck,
    PrimaryKeyCheck,
    RangeCheck,
    RegexCheck,
    RelationshipsCheck,
    RowCountCheck,
    SqlMetricCheck,
    UniqueCheck,
)
from sqlingest.types import INTEGRAL, category, parse

#: checks fused into the model's write (a predicate per row): the only ones that can quarantine or drop rows
ROW_TYPES = tuple(kind for kind, cls in CHECK_CLASSES.items() if cls.row_level)
#: a Soda duration: one or more <number><unit> with units d, h, m, s (``1d``, ``6h``, ``1d12h``, ``90m``)
DURATION = re.compile(r"^(\d+[dhms])+$")
_THRESHOLD = re.compile(r"^(?:(\d+)|(\d+(?:\.\d+)?)%)$")
_INTEGRAL = INTEGRAL
_INT_RANGE = {"tinyint": 2**7, "smallint": 2**15, "int": 2**31, "bigint": 2**63}


def check_contract_file(contract: Contract, project_contracts: Mapping[str, Contract], *,
                        unloaded: Collection[str] = (), references: bool = True) -> list[UserError]:
    """Every problem of ``contract``'s checks (and source section) against itself and the project's contracts.

    Args:
        project_contracts: every loaded contract keyed by ``layer:domain.dataset`` (for ``relationships``).
        unloaded: keys of contract files that failed to load: references to them are not reported again.
        references: False when ``project_contracts`` is not known (references are then not resolved).
    """
    from sqlingest.validate.source_options import check_source

    errors: list[UserError] = []
    for col in contract.columns:
        for check in col.checks:
            errors.extend(_CheckRules(contract, check, col.name, project_contracts, unloaded, references).run())
    for check in contract.checks:
        errors.extend(_CheckRules(contract, check, None, project_contracts, unloaded, references).run())
    errors.extend(check_source(contract))
    return errors


def implicit_columns(layer: str) -> dict[str, str]:
    """Columns a table of ``layer`` may have beside its declared ones: the layer's audit columns, a source's
    ``_rescued_data``/``_source_file``, and those a materialization adds (SCD2's ``valid_from``…)."""
    from sqlingest import materializations
    from sqlingest.project.layers import SOURCE_COLUMNS, audit_columns

    out = dict(audit_columns(layer))
    if layer == "source":
        out.update(SOURCE_COLUMNS)
    pending = [materializations.Materialization]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        out.update(dict(cls.EXTRA_COLUMNS))
    return out


def type_family(spark_type: str) -> str:
    """``numeric``, ``string``, ``boolean``, ``temporal``, ``binary`` or ``complex`` for a normalised Spark type."""
    try:
        family = category(parse(spark_type))
    except ValueError:
        return "complex"
    return family if family in ("numeric", "string", "boolean", "temporal", "binary") else "complex"


class _CheckRules:
    """The rules for one check; :meth:`run` returns its problems."""

    def __init__(self, contract: Contract, check: Check, owner: str | None, project: Mapping[str, Contract],
                 unloaded: Collection[str], references: bool = True) -> None:
        self.contract = contract
        self.check = check
        self.owner = owner  # the column whose ``checks:`` hold this check (None: a table check)
        self.project = project
        self.unloaded = unloaded
        self.references = references
        self.errors: list[UserError] = []
        self.declared = {c.name: c.type for c in contract.columns}
        self.known = {**implicit_columns(contract.layer), **self.declared}

    # -- helpers -------------------------------------------------------------------------------------
    def where(self, param: str | None = None) -> Location | None:
        if param and param in self.check.param_locations:
            return self.check.param_locations[param]
        return self.check.location or self.contract.location

    def error(self, message: str, param: str | None = None, hint: str | None = None) -> None:
        self.errors.append(ContractError(f"check {self.check.label}: {message}", location=self.where(param),
                                         hint=hint))

    def column_type(self) -> str | None:
        return self.known.get(self.check.column or "")

    # -- rules ---------------------------------------------------------------------------------------
    def run(self) -> list[UserError]:
        """The rules not settled at load (each type's parameters are, by its class): columns, action, threshold
        and the type's own rule. Only called on checks that loaded."""
        kind = self.check.type
        try:
            self.columns()
            self.action(kind)
            self.threshold()
            getattr(self, "rule_" + kind, lambda _: None)(self.check)
        except Exception as exc:  # noqa: BLE001 - a rule's own defect must not hide the others as a traceback
            self.error(f"cannot be validated ({type(exc).__name__}: {exc})")
        return self.errors

    def columns(self) -> None:
        check = self.check
        if check.column is not None and check.column not in self.known:
            self.error(f"column '{check.column}' is not a declared column", "column", self.did_you_mean(check.column))
        if isinstance(check, UniqueCheck | PrimaryKeyCheck):
            for i, name in enumerate(check.columns or []):
                if name not in self.known:
                    self.error(f"column '{name}' is not a declared column", f"columns.{i}", self.did_you_mean(name))
            if not (check.column or check.columns or self.contract.keys.business):
                self.error("needs 'columns' (or a column, or the contract's keys.business)")

    def did_you_mean(self, name: str) -> str | None:
        close = difflib.get_close_matches(name, list(self.declared), n=1)
        return f"did you mean '{close[0]}'?" if close else None

    def action(self, kind: str) -> None:
        """The action must be one the type supports (``sqlingest.checks.support``: the matrix in the docs)."""
        action = self.check.action
        if action is not None and action not in type(self.check).actions:
            able = ", ".join(k for k, c in CHECK_CLASSES.items() if action in c.actions)
            self.error(f"action '{action}' is not supported by {kind} checks ({kind} is evaluated on the whole "
                       f"table; '{action}' needs failing rows to set aside: {able})", "action",
                       f"{kind} supports action: {', '.join(type(self.check).actions)}")

    def threshold(self) -> None:
        text = self.check.tolerance
        if text is None:
            return
        match = _THRESHOLD.match(text.strip())
        if match is None:
            self.error(f"threshold '{text}' is neither a row count (10) nor a percentage ('5%', '0.5%')",
                       "threshold", "a count is a whole number of rows; a fraction is written as a percentage")
        elif match.group(2) is not None and float(match.group(2)) > 100:
            self.error(f"threshold '{text}' is more than 100%", "threshold")

    # -- per type ------------------------------------------------------------------------------------
    def rule_regex(self, check: RegexCheck) -> None:
        from sqlingest.validate.java_regex import java_regex_error

        pattern = check.pattern
        if pattern is None:
            return
        problem = java_regex_error(pattern)
        if problem:
            self.error(f"pattern '{pattern}' is not a valid Java regular expression: {problem}", "pattern",
                       "regex checks run in Spark (java.util.regex); in YAML quote patterns with single quotes")

    def rule_accepted_values(self, check: AcceptedValuesCheck) -> None:
        ctype = self.column_type()
        for i, value in enumerate(check.values or []):
            problem = literal_problem(value, ctype) if ctype else None
            if problem:
                self.error(f"accepted value {show(value)} {problem}", f"values.{i}")

    def rule_range(self, check: RangeCheck) -> None:
        ctype = self.column_type()
        if ctype is None:
            return
        family = type_family(ctype)
        if family not in ("numeric", "temporal", "string"):
            self.error(f"range needs a numeric, date, timestamp or string column; '{check.column}' is {ctype}")
            return
        bounds = {}
        for param in ("min", "max"):
            value = getattr(check, param)
            if value is None:
                continue
            parsed = bound_value(value, ctype)
            if parsed is None:
                self.error(f"{param} {show(value)} is not a {_kind_name(ctype)} (the type of '{check.column}')",
                           param)
            else:
                bounds[param] = parsed
        if len(bounds) == 2 and _greater(bounds["min"], bounds["max"]):
            self.error(f"min {show(check.min)} is greater than max {show(check.max)}", "min")

    def counts(self, check: LengthCheck | RowCountCheck, what: str) -> None:
        values = {}
        for param in ("min", "max"):
            value = getattr(check, param)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.error(f"{param} {show(value)} is not a {what} (a whole number ≥ 0)", param)
            else:
                values[param] = value
        if len(values) == 2 and values["min"] > values["max"]:
            self.error(f"min {values['min']} is greater than max {values['max']}", "min")

    def rule_length(self, check: LengthCheck) -> None:
        self.counts(check, "length")

    def rule_row_count(self, check: RowCountCheck) -> None:
        self.counts(check, "row count")

    def rule_sql_metric(self, check: SqlMetricCheck) -> None:
        values = {}
        for param in ("min", "max"):
            value = getattr(check, param)
            if value is not None:
                number = _number(value)
                if number is None:
                    self.error(f"{param} {show(value)} is not a number", param)
                else:
                    values[param] = number
        if len(values) == 2 and values["min"] > values["max"]:
            self.error(f"min {show(check.min)} is greater than max {show(check.max)}", "min")
        if check.query:
            self.sql(check.query, "query", query=True)

    def rule_freshness(self, check: FreshnessCheck) -> None:
        for param in ("max", "error_after", "warn_after"):
            value = getattr(check, param)
            if value is not None and not DURATION.match(str(value).strip()):
                self.error(f"{param} {show(value)} is not a duration", param,
                           "write <number><unit> with units d, h, m, s: 1d, 6h, 90m, 1d12h")
        ctype = self.column_type()
        if ctype and type_family(ctype) != "temporal":
            self.error(f"freshness needs a date or timestamp column; '{check.column}' is {ctype}", "column")

    def rule_expression(self, check: ExpressionCheck) -> None:
        if check.expression:
            self.sql(check.expression, "expression", query=False)

    def rule_anomaly(self, check: AnomalyCheck) -> None:
        from sqlingest.checks.anomaly import METRICS

        if check.metric not in METRICS:
            close = difflib.get_close_matches(check.metric, METRICS, n=1)
            self.error(f"metric '{check.metric}' is not a run metric ({', '.join(METRICS)})", "metric",
                       f"did you mean '{close[0]}'?" if close else None)
        if check.window < 1:
            self.error(f"window {check.window} must be at least 1 run", "window")
        if check.min_history < 1:
            self.error(f"min_history {check.min_history} must be at least 1 run", "min_history")
        if check.sigma <= 0:
            self.error(f"sigma {check.sigma:g} must be greater than 0", "sigma")

    def rule_relationships(self, check: RelationshipsCheck) -> None:
        target = check.to
        if not target or not self.references:
            return
        ref = self.project.get(target)
        if ref is None:
            if target in self.unloaded:
                return
            keys = sorted(self.project)
            same_name = [k for k in keys if k.split(":", 1)[-1] == target]
            close = same_name or difflib.get_close_matches(target, keys, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "write layer:domain.dataset of a project contract"
            self.error(f"'to: {target}' is not a contract of this project", "to", hint)
            return
        field = check.field or check.column
        if not field:
            return
        col = ref.column(field)
        if col is None:
            close = difflib.get_close_matches(field, [c.name for c in ref.columns], n=1)
            self.error(f"{target} has no column '{field}'", "field" if check.field else "to",
                       f"did you mean '{close[0]}'?" if close else None)
            return
        own = self.column_type()
        if own and type_family(own) != type_family(col.type):
            self.error(f"'{check.column}' ({own}) cannot reference {target}.{field} ({col.type})",
                       "field" if check.field else "to", "both columns need the same kind of type")

    # -- SQL -----------------------------------------------------------------------------------------
    def sql(self, text: str, param: str, *, query: bool) -> None:
        """Parse ``text`` (Spark dialect) and report syntax errors and columns the contract does not declare."""
        import sqlglot
        from sqlglot import exp
        from sqlglot.errors import ParseError, TokenError

        placeholder = "__sqlingest_table__"
        try:
            tree = sqlglot.parse_one(text.replace("{table}", placeholder), read="spark")
        except (ParseError, TokenError) as exc:
            found = getattr(exc, "errors", None) or []
            detail = str(found[0].get("description") or "") if found else str(exc).splitlines()[0]
            detail = re.sub(r"<class '[\w.]*?(\w+)'>", r"\1", detail)
            near = str(found[0].get("highlight") or "").strip() if found else ""
            if detail.startswith("Required keyword"):
                detail, near = f"'{near or detail.rsplit(' for ', 1)[-1]}' is incomplete", ""
            self.error(f"{param} does not parse as Spark SQL: {detail}" + (f" near '{near}'" if near else ""),
                       param)
            return
        if tree is None:
            self.error(f"{param} is empty", param)
            return
        if query and not isinstance(tree, exp.Query):
            self.error(f"query must be a SELECT, got {type(tree).__name__.upper()}", param)
            return
        if not query and isinstance(tree, exp.Query):
            self.error("expression must be a predicate on one row, not a query", param)
            return
        if query:
            tables = {t.name for t in tree.find_all(exp.Table)}
            if tables != {placeholder} or any(True for _ in tree.find_all(exp.CTE, exp.Subquery)):
                return  # other tables are involved: their columns are not known here
            if "{table}" not in text:
                return
        known = {c.lower() for c in self.known}
        lambdas = {p.name.lower() for lam in tree.find_all(exp.Lambda) for p in lam.expressions}
        aliases = {a.alias.lower() for a in tree.find_all(exp.Alias)}
        table_aliases = {t.alias_or_name.lower() for t in tree.find_all(exp.Table)}
        reported: set[str] = set()
        for col in tree.find_all(exp.Column):
            parts = [p.name for p in col.parts]
            if parts and parts[0].lower() in table_aliases and len(parts) > 1:
                parts = parts[1:]
            root = parts[0] if parts else col.name
            low = root.lower()
            if not root or low in known or low in lambdas or low in aliases or low in reported:
                continue
            reported.add(low)
            self.error(f"{param} uses '{root}', which is not a declared column of {self.contract.name}", param,
                       self.did_you_mean(root))


# -- literals -------------------------------------------------------------------------------------------
def show(value: Any) -> str:
    """A YAML value as a user wrote it: ``'abc'``, ``2.5``, ``2024-01-01``."""
    if isinstance(value, (date, datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value + "'"
    return str(value)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return datetime.fromisoformat(value.strip()).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def _kind_name(spark_type: str) -> str:
    family = type_family(spark_type)
    if spark_type in _INTEGRAL:
        return "whole number"
    if family == "numeric":
        return "number"
    if spark_type == "date":
        return "date (yyyy-mm-dd)"
    if family == "temporal":
        return "timestamp (yyyy-mm-dd[ hh:mm:ss])"
    return spark_type


def bound_value(value: Any, spark_type: str) -> Any:
    """``value`` as a comparable bound for a column of ``spark_type`` (None: it is not one)."""
    family = type_family(spark_type)
    if family == "numeric":
        return _number(value)
    if spark_type == "date":
        return _date(value)
    if family == "temporal":
        return _timestamp(value)
    if family == "string":
        return value if isinstance(value, str) else None
    return None


def literal_problem(value: Any, spark_type: str) -> str | None:
    """Why ``value`` cannot be a value of a ``spark_type`` column, as Spark's implicit cast would see it."""
    family = type_family(spark_type)
    if value is None:
        return "is null (a NULL is never an accepted value; use not_null)"
    if isinstance(value, (list, dict)):
        return "is not a single value"
    if family == "string":
        return None  # numbers, booleans and dates cast to text
    if family == "numeric":
        number = _number(value)
        if number is None or not number.is_finite():
            return f"is not a number (the type of the column is {spark_type})"
        if spark_type in _INTEGRAL:
            if number != number.to_integral_value():
                return f"is not a whole number (the type of the column is {spark_type})"
            if not -_INT_RANGE[spark_type] <= number < _INT_RANGE[spark_type]:
                return f"is out of the range of {spark_type}"
        return None
    if family == "boolean":
        if isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in ("true", "false")):
            return None
        return "is not a boolean (true or false)"
    if family == "temporal":
        ok = _date(value) if spark_type == "date" else _timestamp(value)
        return None if ok is not None else f"is not a {_kind_name(spark_type)}"
    return f"cannot be compared with a {spark_type} column"


def _greater(low: Any, high: Any) -> bool:
    try:
        return bool(low > high)
    except TypeError:
        return False
