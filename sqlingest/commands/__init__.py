"""The daily-workflow commands (``ls``, ``show``, ``seed``, ``retry``, ``submit``), the selection and build flags they share
with ``build``/``run``/``test``/``compile``, and every command's ``--help`` examples.

Each command lives in its own module with ``add_parser(sub, common, lock_timeout)`` and ``run(args, console)``;
:mod:`sqlingest.cli` only dispatches. Nothing here imports pyspark at import time."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: command → module under sqlingest.commands
MODULES = {"ls": "ls", "show": "show", "seed": "seed", "retry": "retry", "submit": "submit"}


def selection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--select", "-s", action="append", default=None,
                        help="models: name (globs), layer:, tag:, source:, owner:, domain:, path:, state:modified; "
                             "+name (ancestors), name+ (descendants), @name; 'a,b' both, 'a b' either")
    parser.add_argument("--exclude", action="append", default=None,
                        help="models to leave out (same syntax as --select)")
    parser.add_argument("--state", default=None, metavar="DIR",
                        help="folder with a manifest.json (from `sqlingest compile`) for state:modified and --defer")


def build_flags(parser: argparse.ArgumentParser) -> None:
    """``build``/``run``: ``--defer`` and ``--empty``."""
    parser.add_argument("--defer", action="store_true",
                        help="read unselected parents from the tables the --state manifest names (another target)")
    parser.add_argument("--empty", action="store_true",
                        help="build with zero rows: sources and refs read nothing; checks DDL and SQL on the target "
                             "(existing `table` models keep their rows; checks are not run)")
    parser.add_argument("--unit-tests", action="store_true",
                        help="run the selected models' unit tests first (sqlingest test --unit); build nothing when "
                             "one fails")


def state_of(args: argparse.Namespace) -> dict[str, Any] | None:
    state = getattr(args, "state", None)
    if not state:
        return None
    from sqlingest.plan.manifest import load_manifest

    return load_manifest(Path(state))


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of a build/run as the run record keeps them (``sqlingest retry`` reuses them)."""
    keys = ("select", "exclude", "state", "defer", "empty", "vars", "full_refresh", "fail_fast", "threads",
            "branch", "retry_of")
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) not in (None, False, [])}


def _module(command: str) -> Any:
    return importlib.import_module(f"sqlingest.commands.{MODULES[command]}")


def add_commands(sub: Any, common: Callable[..., None], lock_timeout: Callable[..., None]) -> None:
    for command in MODULES:
        _module(command).add_parser(sub, common, lock_timeout)


def _dispatch(command: str) -> Callable[[argparse.Namespace, Any], int]:
    def run(args: argparse.Namespace, console: Any) -> int:
        return int(_module(command).run(args, console))

    return run


COMMANDS = {name: _dispatch(name) for name in MODULES}

EXAMPLES: dict[str, str] = {
    "init": "sqlingest init /tmp/shop && cd /tmp/shop",
    "compile": "sqlingest compile\nsqlingest compile --select silver.events+\nsqlingest compile --live --target pg",
    "build": ("sqlingest build\nsqlingest build --select 'layer:silver,tag:pii' --exclude silver.customers\n"
              "sqlingest build --select state:modified+ --defer --state prod-manifest/\n"
              "sqlingest build --empty --target prod       # DDL and SQL checked, no data read\n"
              "sqlingest build --log-format json           # one JSON object per line, for CI"),
    "run": "sqlingest run --select +gold.daily_sales\nsqlingest run --full-refresh --select bronze.events",
    "test": "sqlingest test\nsqlingest test --select owner:sales",
    "stream": "sqlingest stream --timeout 60\nsqlingest stream --select bronze.order_events",
    "replay": "sqlingest replay bronze.order_events",
    "report": "sqlingest report && xdg-open target/report.html",
    "runs": "sqlingest runs --limit 5",
    "ls": ("sqlingest ls\nsqlingest ls --select source:shop.events+ --output path\n"
           "sqlingest ls --resource-type test --select silver.events\nsqlingest ls --resource-type contract "
           "--output json"),
    "show": ("sqlingest show silver.events\nsqlingest show gold.daily_sales --limit 5\n"
             "sqlingest show --inline \"SELECT kind, COUNT(*) AS n FROM {{ ref('silver.events') }} GROUP BY kind\""),
    "seed": "sqlingest seed\nsqlingest seed --select country_codes --full-refresh",
    "submit": ("sqlingest submit --target cluster                      # spark-submit, client mode\n"
               "sqlingest submit --target emr --deploy-mode cluster --dry-run   # the command for a scheduler\n"
               "sqlingest submit --target cluster --result-json /tmp/result.json"),
    "retry": "sqlingest build          # a model fails\n# fix it, then rerun only what failed or was skipped:\n"
             "sqlingest retry",
    "contracts": ("sqlingest contracts list\nsqlingest contracts diff contracts/shop/events.silver.yml\n"
                  "sqlingest contracts compat old.yml new.yml --mode BACKWARD\nsqlingest contracts publish"),
    "registry": "sqlingest registry serve --port 8081",
    "docs": "sqlingest docs generate\nsqlingest docs serve --port 8080",
    "slo": "sqlingest slo                      # exit 3 when an SLO is breached\nsqlingest slo --select domain:sales",
}


def add_examples(sub: Any) -> None:
    """An ``Examples:`` epilog on every command that has some (``sqlingest <command> --help``)."""
    for name, parser in sub.choices.items():
        text = EXAMPLES.get(name)
        if text and not parser.epilog:
            parser.epilog = "examples:\n" + "\n".join(f"  {line}" for line in text.splitlines())
            parser.formatter_class = argparse.RawDescriptionHelpFormatter
