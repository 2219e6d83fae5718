"""A check result in words — ``1 row has NULL customer_id``, ``newest updated_at is 3 days old (error after 2
days)`` — the same sentence in every command's output (build, test, replay, streaming micro-batches) and in the run
record. One function, :func:`describe`, per check type; pure (testable without Spark)."""

from __future__ import annotations

import re
from typing import Any

from sqlingest.project.contract import (
    AcceptedValuesCheck,
    AnomalyCheck,
    Check,
    DecodableCheck,
    ExpressionCheck,
    FreshnessCheck,
    LengthCheck,
    NotNullCheck,
    PrimaryKeyCheck,
    RangeCheck,
    RegexCheck,
    RelationshipsCheck,
    RowCountCheck,
    SqlMetricCheck,
    UniqueCheck,
)

#: what happens to the failing rows of a fused check, appended to its sentence
_ACTION = {"quarantine": "quarantined", "drop": "dropped"}


def _n(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _rows(count: int, what: str) -> str:
    """``1 row has …`` / ``3 rows have …``."""
    return f"{count:,} row has {what}" if count == 1 else f"{count:,} rows have {what}"


def _plain(value: Any) -> str:
    return str(value)


def _bounds(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"outside [{_plain(low)}, {_plain(high)}]"
    if low is not None:
        return f"below {_plain(low)}"
    return f"above {_plain(high)}"


_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_WORDS = {"d": "day", "h": "hour", "m": "minute", "s": "second"}


def _seconds(text: str) -> float | None:
    """``1d``, ``6h``, ``30m`` → seconds (None when not such a duration)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhms])\s*", str(text))
    return float(match.group(1)) * dict(_UNITS)[match.group(2)] if match else None


def _age(seconds: float) -> str:
    """A duration in its largest whole unit: ``3 days``, ``5 hours``, ``1 minute``."""
    for unit, size in _UNITS:
        if seconds >= size or unit == "s":
            count = int(seconds // size)
            return f"{count} {_WORDS[unit]}{'s' if count != 1 else ''}"
    return f"{int(seconds)} seconds"  # pragma: no cover


def _limit(text: str) -> str:
    seconds = _seconds(text)
    return _age(seconds) if seconds is not None else str(text)


def _expected(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def describe(check: Check, value: Any, *, outcome: str = "fail", action: str | None = None,
             percent: bool = False) -> str:
    """What a check measured, in words (an empty string for a pass). ``percent``: ``value`` is a share of the
    rows (Soda's ``*_percent`` metrics, used for a ``threshold: "5%"``), not a count."""
    if outcome == "pass":
        return ""
    if percent and value is not None and isinstance(
            check, NotNullCheck | AcceptedValuesCheck | RangeCheck | LengthCheck | RegexCheck | RelationshipsCheck
            | ExpressionCheck):
        shown = describe(check, 2, outcome=outcome).split(" ", 2)[2]  # "have <what>"
        done = _ACTION.get(action or "")
        return f"{float(value):g}% of the rows {shown}" + (f" ({done})" if done and value else "")
    col = check.column or ", ".join(check.target_columns)
    if percent and value is not None and isinstance(check, UniqueCheck | PrimaryKeyCheck):
        return f"{float(value):g}% of the values of {col} are duplicates"
    count = _n(value)
    sentence: str
    if value is None and not isinstance(check, AnomalyCheck):
        sentence = "could not be evaluated"
    elif isinstance(check, NotNullCheck):
        sentence = _rows(count or 0, f"NULL {col}")
    elif isinstance(check, UniqueCheck | PrimaryKeyCheck):
        sentence = f"{count:,} duplicate value{'s' if count != 1 else ''} of {col or 'the key'}"
    elif isinstance(check, AcceptedValuesCheck):
        values = ", ".join(_plain(v) for v in check.values)
        sentence = _rows(count or 0, f"{col} outside [{values}]")
    elif isinstance(check, RangeCheck):
        sentence = _rows(count or 0, f"{col} {_bounds(check.min, check.max)}")
    elif isinstance(check, LengthCheck):
        sentence = _rows(count or 0, f"{col} of a length {_bounds(check.min, check.max)}")
    elif isinstance(check, RegexCheck):
        sentence = _rows(count or 0, f"{col} not matching '{check.pattern}'")
    elif isinstance(check, RelationshipsCheck):
        field = check.field or check.column
        sentence = _rows(count or 0, f"{col} not found in {check.to}.{field}")
    elif isinstance(check, ExpressionCheck):
        sentence = f"{count:,} row{'s' if count != 1 else ''} fail{'s' if count == 1 else ''} {check.expression}"
    elif isinstance(check, DecodableCheck):
        sentence = f"{count:,} record{'s' if count != 1 else ''} could not be decoded"
    elif isinstance(check, RowCountCheck):
        sentence = f"the table has {count:,} row{'s' if count != 1 else ''} (expected {_expected(check.min, check.max)})"
    elif isinstance(check, FreshnessCheck):
        limit = check.max or check.error_after or check.warn_after
        level = "error" if check.severity == "error" else "warning"
        age = _age(float(value) / 1000.0)  # Soda measures freshness in milliseconds
        sentence = f"newest {col} is {age} old ({level} after {_limit(str(limit))})"
    elif isinstance(check, SqlMetricCheck):
        expected = _expected(check.min, check.max) if check.min is not None or check.max is not None else "0"
        sentence = f"{check.name or 'the metric'} is {_plain(value)} (expected {expected})"
    else:  # sodacl, anomaly and plug-in types: the measured value
        sentence = f"measured {_plain(value)}"
    done = _ACTION.get(action or "")
    return f"{sentence} ({done})" if done and count else sentence
