"""``sqlingest retry``: run again the models that failed or were skipped in the last ``build``/``run``/``test``,
with that run's options (vars, --full-refresh, --threads, --defer/--state, …; ``.sqlingest/runs/<run_id>.json``
keeps them). The models that succeeded are not run again."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sqlingest.errors import UserError

RETRIED = ("build", "run", "test")


def add_parser(sub: Any, common: Callable[..., None], lock_timeout: Callable[..., None]) -> None:
    p = sub.add_parser("retry", help="rerun the models that failed or were skipped in the last build/run/test")
    common(p, select=False)
    lock_timeout(p)


def last_run(state_dir: Any) -> dict[str, Any] | None:
    from sqlingest.runs import list_runs

    return next((r for r in list_runs(state_dir, limit=1000) if r.get("command") in RETRIED), None)


def run(args: argparse.Namespace, console: Any) -> int:
    from pathlib import Path

    from sqlingest.cli import _execute
    from sqlingest.project import load_project

    project = load_project(Path(args.project_dir), target=args.target)
    previous = last_run(project.state_dir)
    if previous is None:
        raise UserError("retry: no build, run or test has been recorded yet (.sqlingest/runs/ is empty)",
                        hint="run `sqlingest build` first")
    names = [m["name"] for m in previous.get("models", []) if m.get("status") in ("error", "skipped")]
    if not names:
        console.print(f"nothing to retry: run {previous['run_id']} ({previous['command']}) had no failed or "
                      "skipped model")
        return 0
    options = dict(previous.get("options") or {})
    options.pop("exclude", None)  # the models to run are named exactly
    command = previous["command"]
    if args.target and args.target != previous.get("target"):
        raise UserError(f"retry: the last run was on target {previous.get('target')}, not {args.target}")
    again = argparse.Namespace(**{**vars(args), "command": command, "target": previous.get("target"),
                                  "vars": options.get("vars", args.vars), "select": names, "exclude": None,
                                  "state": options.get("state"), "defer": options.get("defer", False),
                                  "empty": options.get("empty", False),
                                  "full_refresh": options.get("full_refresh", False),
                                  "fail_fast": options.get("fail_fast", False), "threads": options.get("threads"),
                                  "branch": options.get("branch"), "retry_of": previous["run_id"]})
    console.print(f"retrying {len(names)} model(s) of run {previous['run_id']} ({command}): {', '.join(names)}")
    return int(_execute(again, console, models=command != "test", checks=command != "run"))
