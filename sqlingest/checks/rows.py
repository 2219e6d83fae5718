"""Row-level checks as SQL predicates, fused into the model's write: one pass over the data, no scan per check.

Each function returns a Spark SQL boolean expression that is TRUE when a row *fails* the check. NULL semantics:
``not_null`` fails on NULL; every other row check ignores NULL values (a NULL is not out of range, not an invalid
value); ``expression`` fails only when the predicate is FALSE (NULL counts as passing, as in SQL CHECK constraints).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sqlingest.project.contract import (
    AcceptedValuesCheck,
    Check,
    DecodableCheck,
    ExpressionCheck,
    LengthCheck,
    NotNullCheck,
    RangeCheck,
    RegexCheck,
)
from sqlingest.sql import literal, string_literal
from sqlingest.sql import quote_identifier as _q


def _lit(value: object) -> str:
    """Finite floats as exact decimal literals (``1.5``, not the double ``1.5D``); other text as a string."""
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, bool | int | float):
        return literal(value)
    return string_literal(str(value))


def not_null(check: NotNullCheck) -> str:
    return f"{_q(check.column)} IS NULL"


def accepted_values(check: AcceptedValuesCheck) -> str:
    values = ", ".join(_lit(v) for v in check.values)
    return f"({_q(check.column)} IS NOT NULL AND {_q(check.column)} NOT IN ({values}))"


def _outside(column: str, value: str, low: str | None, high: str | None) -> str:
    """TRUE when ``value`` (an expression over ``column``) is below ``low`` or above ``high``; NULLs pass."""
    parts = ([f"{value} < {low}"] if low is not None else []) + ([f"{value} > {high}"] if high is not None else [])
    return f"({column} IS NOT NULL AND ({' OR '.join(parts) or 'FALSE'}))"


def range_(check: RangeCheck) -> str:
    col = _q(check.column)
    return _outside(col, col, None if check.min is None else _lit(check.min),
                    None if check.max is None else _lit(check.max))


def regex(check: RegexCheck) -> str:
    col = _q(check.column)
    return f"({col} IS NOT NULL AND NOT regexp_like(CAST({col} AS STRING), {_lit(check.pattern)}))"


def length(check: LengthCheck) -> str:
    col = _q(check.column)
    return _outside(col, f"char_length(CAST({col} AS STRING))", None if check.min is None else str(int(check.min)),
                    None if check.max is None else str(int(check.max)))


def expression(check: ExpressionCheck) -> str:
    return f"(NOT coalesce(({check.expression}), TRUE))"


def decodable(check: DecodableCheck) -> str:
    """A bronze row whose source record could not be decoded at all (its raw text/bytes are in the rescue column)."""
    return "(get_json_object(`_rescued_data`, '$._corrupt_record') IS NOT NULL)"


#: the failure predicate of each row-level check type (``Check.row_level``)
ROW_CHECKS: dict[type[Check], Callable[[Any], str]] = {
    NotNullCheck: not_null,
    AcceptedValuesCheck: accepted_values,
    RangeCheck: range_,
    RegexCheck: regex,
    LengthCheck: length,
    ExpressionCheck: expression,
    DecodableCheck: decodable,
}


def is_row_check(check: Check) -> bool:
    """Evaluated in the model's write: a row check, or an identifying one setting its rows aside."""
    return check.in_write


def failure_predicate(check: Check) -> str:
    """SQL that is TRUE for a row failing ``check``."""
    return ROW_CHECKS[type(check)](check)


def exceeds(check: Check, failures: int, rows: int) -> bool:
    """Whether ``failures`` out of ``rows`` breaks the check's threshold (a count, or a percentage)."""
    text = (check.tolerance or "0").strip()
    if text.endswith("%"):
        return rows > 0 and 100.0 * failures / rows > float(text[:-1])
    return failures > int(text)
