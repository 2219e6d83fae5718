"""The step interfaces that need no JVM: fused-check bookkeeping (``sqlingest.checks.fused``), what each
materialization declares and how SCD2 prepares its write, run hooks, retry classification."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from sqlingest.checks.fused import fused_result, observed, select_row_checks
from sqlingest.execute import hooks
from sqlingest.execute.errors import is_transient
from sqlingest.execute.publish import record_counts
from sqlingest.materializations import MATERIALIZATIONS, REBUILDS, Scd2, WriteContext
from sqlingest.project.contract import Contract
from sqlingest.render import ModelConfig
from sqlingest.runs import ModelResult


def contract(checks: list[Any], *, columns: list[Any] | None = None) -> Contract:
    return Contract.model_validate({"name": "shop.orders", "layer": "silver", "checks": checks,
                                    "columns": columns or [{"name": "id", "type": "int"},
                                                           {"name": "amount", "type": "double"}]})


def checks(*items: Any) -> list[Any]:
    return contract(list(items)).all_checks()


# -- fused row checks ---------------------------------------------------------------------------------------------
def test_row_checks_are_the_implicit_ones_then_the_declared_row_checks() -> None:
    declared = contract([{"type": "not_null", "column": "id", "action": "quarantine"},
                         {"type": "row_count", "min": 1}])
    implicit = checks({"type": "not_null", "column": "id"}, {"type": "not_null", "column": "amount"})
    chosen = select_row_checks(declared, implicit, run_checks=True)
    # the declared not_null(id) replaces the implicit one; row_count is no row check
    assert [(c.type, c.column, c.effective_action) for c in chosen] == [
        ("not_null", "amount", "fail"), ("not_null", "id", "quarantine")]
    assert select_row_checks(declared, implicit, run_checks=False) == implicit
    assert select_row_checks(None, implicit, run_checks=True) == implicit


def test_fused_results_by_action_and_threshold() -> None:
    fail, warn, quarantine, tolerant = checks(
        {"type": "not_null", "column": "id"},
        {"type": "not_null", "column": "amount", "severity": "warn"},
        {"type": "range", "column": "amount", "min": 0, "action": "quarantine"},
        {"type": "range", "column": "id", "min": 0, "threshold": "10%"})
    assert fused_result(fail, 0, 10).outcome == "pass"
    failed = fused_result(fail, 2, 10)
    assert (failed.outcome, failed.failed, failed.value, failed.fused, failed.type) == ("fail", True, 2, True,
                                                                                        "not_null")
    assert failed.message
    assert (fused_result(warn, 2, 10).outcome, fused_result(warn, 2, 10).failed) == ("warn", False)
    assert fused_result(quarantine, 3, 10).outcome == "warn"
    assert fused_result(tolerant, 1, 10).outcome == "pass"  # 10% tolerated
    assert fused_result(tolerant, 2, 10).outcome == "fail"


def test_observed_counts_and_their_record() -> None:
    row_checks = checks({"type": "not_null", "column": "id", "action": "quarantine"},
                        {"type": "range", "column": "amount", "min": 0, "action": "drop"})
    counts = observed({"rows": 10, "quarantined": 2, "dropped": 1, "deduplicated": 3, "f0": 2, "f1": 1},
                      row_checks)
    assert (counts.rows_in, counts.rows_written, counts.rows_rescued) == (10, 4, None)
    assert [c.value for c in counts.checks] == [2, 1]
    result = ModelResult("m", "r", "append", rows_rescued=7)
    record_counts(result, counts)
    assert (result.rows_in, result.rows_quarantined, result.rows_dropped, result.rows_deduplicated,
            result.rows_written, result.rows_rescued) == (10, 2, 1, 3, 4, 7)  # no rescue column: kept
    record_counts(result, observed({"rows": 5, "rescued": 1}, []))
    assert (result.rows_written, result.rows_rescued, result.checks) == (5, 1, [])


# -- materializations declare what the steps need -----------------------------------------------------------------
def builtin(name: str) -> Any:
    return MATERIALIZATIONS.load(name)


def test_materializations_declare_what_the_runner_needs() -> None:
    names = ["view", "table", "append", "streaming", "merge", "scd1", "scd2", "insert_overwrite"]
    assert {n for n in names if builtin(n).REPLAYABLE} == {"append", "streaming", "merge", "scd1", "scd2"}
    assert {n for n in names if builtin(n).READS_INCREMENTALLY} == {"append", "streaming"}
    assert {n for n in names if not builtin(n).EVOLVES_SCHEMA} == {"table"}
    assert {n for n in names if not builtin(n).STAGED} == {"view"}
    assert {n for n in names if builtin(n).OVERWRITES} == {"insert_overwrite"}
    assert {n: builtin(n).KEY_MODE for n in names if builtin(n).KEY_MODE} == {
        "merge": "latest", "scd1": "latest", "scd2": "versions"}
    assert {r: cls.KEY_MODE for r, cls in REBUILDS.items()} == {
        "merge": "latest", "scd1": "latest", "scd2": "versions", "insert_overwrite": None}
    assert builtin("scd2").NEEDS_ORDERING and builtin("insert_overwrite").NEEDS_PARTITIONS
    assert not any(builtin(n).PLAIN_INSERT for n in names if n not in ("table", "append", "streaming"))


def write_context() -> WriteContext:
    return WriteContext(relation="lake.silver.c", stage="__stage", sql="SELECT 1", columns=["`id`", "`name`"],
                        unique_key=["`id`"], ordering="`ts`", tracked_columns=["`name`"],
                        table_columns=["`id`", "`name`", "`valid_from`", "`valid_to`", "`is_current`"],
                        compare_columns=["`name`"], update_columns=["`name`"])


@pytest.mark.parametrize(("requested", "template_word"), [("rewrite", "INSERT OVERWRITE"), ("merge", "MERGE INTO")])
def test_scd2_prepares_its_own_write(requested: str, template_word: str) -> None:
    """A requested strategy needs no look at the table: no session is used."""
    from sqlingest.formats import get_format

    fmt = get_format("iceberg")
    scd2, ctx = Scd2(), write_context()
    chosen = scd2.prepare(None, ctx, fmt=fmt, config=ModelConfig(scd2_strategy=requested),  # type: ignore[arg-type]
                          staged_rows=10)
    assert chosen == f"{requested} (config(scd2_strategy='{requested}'))"
    assert ctx.extra["strategy"] == requested and ctx.extra["broadcast_keys"] is True
    assert scd2.rewrites(ctx) is (requested == "rewrite")
    assert template_word in " ".join(scd2.statements(ctx))
    merge, other = builtin("merge")(), write_context()
    other.extra["skip"] = True  # merge's prepare found no staged row that changes the table: nothing is written
    assert merge.statements(other) == [] and not merge.rewrites(other)


@pytest.mark.parametrize("name", ["merge", "scd1"])
def test_merge_and_scd1_keep_only_the_rows_that_change_the_table(name: str) -> None:
    """The rows the MERGE reads (templates/changed_rows.sql): the latest per key, joined with the table's key and
    compared columns; a held key stays when a compared value differs or it is a delete (scd1: and it is not older
    than the table's row), a new key unless it is a delete."""
    from sqlingest.materializations import _key_range

    ctx = write_context()
    ctx.ordering, ctx.delete_flag = "`ts`", "`gone`"
    (sql,) = builtin(name)().render("changed_rows", **vars(ctx), newer_only=builtin(name).NEWER_ONLY)
    held = "`id`, `name`, `ts`" if name == "scd1" else "`id`, `name`"  # scd1 also compares the ordering
    assert "row_number() OVER" in sql and f"LEFT JOIN (\n  SELECT {held}, true AS __sqlingest_held" in sql
    assert "WHEN t.__sqlingest_held IS NULL THEN NOT coalesce(s.`gone`, false)" in sql
    assert "t.`name` <=> s.`name`" in sql
    assert ("s.`ts` >= t.`ts`" in sql) is (name == "scd1")
    assert _key_range("`id`", 3, 90) == "t.`id` BETWEEN 3 AND 90"
    assert _key_range("`k`", "a'b", "z") == "t.`k` BETWEEN 'a\\'b' AND 'z'"
    import datetime as dt

    assert _key_range("`at`", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)) is None  # a local time: no range


# -- hooks --------------------------------------------------------------------------------------------------------
def test_run_hooks_wrap_runs_and_steps_in_order() -> None:
    seen: list[str] = []

    class Hook(hooks.RunHook):
        def __init__(self, name: str) -> None:
            self.name = name

        @contextlib.contextmanager
        def step(self, ctx: Any, step: str, pm: Any) -> Iterator[None]:
            seen.append(f"{self.name}>{step}:{pm}")
            yield
            seen.append(f"{self.name}<{step}")

    hooks.HOOKS.register("test_a", Hook("a"))
    hooks.HOOKS.register("test_b", Hook("b"))
    try:
        active = [h for h in hooks.active() if isinstance(h, Hook)]
        assert [h.name for h in active] == ["a", "b"]
        with hooks.around_step(active, None, "build", "m"):  # type: ignore[arg-type]
            seen.append("work")
        with hooks.around_run(active, None):  # type: ignore[arg-type]  # RunHook.run: nothing by default
            seen.append("run")
    finally:
        hooks.HOOKS.unregister("test_a")
        hooks.HOOKS.unregister("test_b")
    assert not any(isinstance(h, Hook) for h in hooks.active())
    assert seen == ["a>build:m", "b>build:m", "work", "b<build", "a<build", "run"]


def test_transient_failures_are_retried() -> None:
    from sqlingest.errors import TransientError

    assert is_transient(RuntimeError("org.apache.iceberg.exceptions.CommitFailedException: conflict"))
    assert is_transient(TransientError("try again"))
    assert not is_transient(RuntimeError("[CAST_INVALID_INPUT] The value 'abc'"))
