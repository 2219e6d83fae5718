"""``sqlingest test --unit`` (model unit tests, one JVM for all), ``--generate MODEL`` (a starter test from the
contracts) and ``build --unit-tests`` (the unit tests first; nothing is built when one fails)."""

from __future__ import annotations

import argparse
import time
from typing import Any


def select_tests(plan: Any, tests: list[Any], select: list[str] | None, exclude: list[str] | None) -> list[Any]:
    """The tests of the selected models (``--select``/``--exclude`` as for build), or ``model::test`` ids."""
    if not select and not exclude:
        return tests
    ids = {s for s in select or [] if "::" in s}
    models = set(plan.selected) if [s for s in select or [] if "::" not in s] or exclude else set()
    return [t for t in tests if t.id in ids or t.model in models]


def run_unit_tests(plan: Any, console: Any, *, select: list[str] | None = None,
                   exclude: list[str] | None = None, spark: Any = None) -> int:
    """Run the project's unit tests of the selected models on one local session; exit 1 when one fails."""
    from sqlingest.execute.session import build_session
    from sqlingest.unittests.runner import UnitRunner
    from sqlingest.unittests.spec import discover

    project = plan.project
    started = time.perf_counter()
    tests = select_tests(plan, discover(project), select, exclude)
    if not tests:
        console.print("no unit tests selected (write them in tests/*.yml or a contract's unit_tests:)")
        return 0
    if spark is None:
        with console.status("starting Spark…"):
            spark = build_session(local_spark(project.target.spark), None, state_dir=project.state_dir)
    failed = 0
    width = max(len(t.id) for t in tests)
    with UnitRunner(plan, spark) as runner:
        for test in tests:
            result = runner.run(test)
            mark = "[green]pass[/]" if result.passed else "[red]FAIL[/]"
            console.print(f"  {test.id:<{width}}  {mark}  {result.seconds:.2f}s")
            if not result.passed:
                failed += 1
                console.print(f"    {test.location}", markup=False)
                for line in result.message.splitlines():
                    console.print(f"    {line}", markup=False)
    total = time.perf_counter() - started
    console.print(f"{len(tests) - failed} passed, {failed} failed in {total:.2f}s")
    return 1 if failed else 0


def local_spark(spark: Any) -> Any:
    """The target's Spark settings on a local master (unit tests never run on a cluster)."""
    if spark.master.startswith("local") and not spark.remote:
        return spark
    return spark.model_copy(update={"master": "local[*]", "remote": None})


def generate(plan: Any, model: str, console: Any) -> int:
    """Write ``tests/<model>.yml`` with a starter unit test: typed sample rows for each input, from the contracts."""
    from sqlingest.errors import UserError
    from sqlingest.unittests.generate import starter

    if model not in plan.models:
        import difflib

        close = difflib.get_close_matches(model, list(plan.models), n=1)
        raise UserError(f"--generate {model}: no such model", hint=f"did you mean '{close[0]}'?" if close else None)
    path = plan.project.root / "tests" / f"{model}.yml"
    if path.exists():
        raise UserError(f"{plan.project.rel(path)} exists already", hint="edit it, or remove it to generate again")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter(plan, model), encoding="utf-8")
    console.print(f"wrote {plan.project.rel(path)}: fill in the expected rows, then `sqlingest test --unit`")
    return 0


def add_flags(parser: argparse.ArgumentParser) -> None:
    """``test``: ``--unit``, ``--generate MODEL``, ``--contracts``."""
    parser.add_argument("--unit", action="store_true",
                        help="run the models' unit tests (tests/*.yml, contracts' unit_tests:) on a local session: "
                             "given rows in, expected rows out; no table written")
    parser.add_argument("--generate", metavar="MODEL", default=None,
                        help="with --unit: write tests/MODEL.yml, a starter unit test from the contracts")
    parser.add_argument("--contracts", action="store_true",
                        help="contract tests (no JVM): registry compatibility, compiled schema = contract, "
                             "consumers still type-check")


def run(args: argparse.Namespace, console: Any, plan: Any) -> int:
    if args.generate:
        return generate(plan, args.generate, console)
    return run_unit_tests(plan, console, select=args.select, exclude=args.exclude)

