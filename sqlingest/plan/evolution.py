"""Schema evolution: what it takes to bring a live table to its contract's schema."""

from __future__ import annotations

from sqlingest.sql import quote_identifier as quote
from sqlingest.sql import type_sql


def additions(live: list[tuple[str, str]], desired: list[tuple[str, str]]) -> list[str] | None:
    """``ADD COLUMN … AFTER …`` statements when ``desired`` only adds columns to ``live``; None otherwise."""
    live_names = [n for n, _ in live]
    if [c for c in desired if c[0] in live_names] != live:
        return None
    statements = []
    previous: str | None = None
    for name, dtype in desired:
        if name not in live_names:
            position = f" AFTER {quote(previous)}" if previous else " FIRST"
            statements.append(f"ADD COLUMN {quote(name)} {type_sql(dtype)}{position}")
        previous = name
    return statements


def evolution_plan(relation: str, live: list[tuple[str, str]], desired: list[tuple[str, str]]) -> list[str]:
    live_d, want = dict(live), dict(desired)
    steps = [f"ALTER TABLE {relation} DROP COLUMN {quote(n)}" for n in live_d if n not in want]
    steps += [f"ALTER TABLE {relation} ALTER COLUMN {quote(n)} TYPE {type_sql(want[n])} (from {live_d[n]})"
              for n in want if n in live_d and live_d[n] != want[n]]
    steps += [f"ALTER TABLE {relation} ADD COLUMN {quote(n)} {type_sql(want[n])}" for n in want if n not in live_d]
    if not steps:
        steps.append("reorder columns to the contract's order")
    return steps


def schema_diff(live: list[tuple[str, str]], desired: list[tuple[str, str]]) -> str:
    live_d, want = dict(live), dict(desired)
    parts = []
    added = [n for n in want if n not in live_d]
    removed = [n for n in live_d if n not in want]
    changed = [f"{n}: {live_d[n]} → {want[n]}" for n in want if n in live_d and live_d[n] != want[n]]
    if added:
        parts.append("new columns " + ", ".join(added))
    if removed:
        parts.append("columns no longer declared " + ", ".join(removed))
    if changed:
        parts.append("types " + ", ".join(changed))
    if not parts:
        parts.append("column order differs")
    return "; ".join(parts)
