"""``sqlingest show MODEL`` / ``sqlingest show --inline 'SQL'``: run a model's query (or any SQL with ``ref()`` and
``source()``) on Spark and print the first rows as a table. Nothing is written: no table, no run record, no lock —
sources are read into temporary views, refs read the tables as they are."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlingest.errors import ExecutionError, UserError

INLINE = "__inline__"


def add_parser(sub: Any, common: Callable[..., None], lock_timeout: Callable[..., None]) -> None:
    p = sub.add_parser("show", help="run a model's query (or --inline SQL) and print its first rows; writes nothing")
    common(p, select=False)
    p.add_argument("model", nargs="?", default=None, help="the model whose query to run")
    p.add_argument("--inline", default=None, metavar="SQL",
                   help="SQL to run instead of a model (Jinja: ref(), source(), var(), macros)")
    p.add_argument("--limit", type=int, default=10, help="rows to show (default 10; -1: all)")


def _rendered(plan: Any, args: argparse.Namespace) -> Any:
    """The model (or the inline SQL as a gold model of no contract) rendered with the plan's relations."""
    from sqlingest.project import ModelFile

    if args.inline is not None:
        model = ModelFile(f"gold.{INLINE}", "gold", INLINE, Path("<inline>"), args.inline)
        renderer, relation = plan.renderer, plan.renderer.relation
        renderer.relation = lambda name: INLINE if name == model.name else relation(name)  # `this`: no table
        try:
            return renderer.render(model)
        finally:
            renderer.relation = relation
    names = plan.dag.select([args.model])
    if len(names) != 1:
        raise UserError(f"show takes one model; '{args.model}' matches {len(names)}: {', '.join(sorted(names))}")
    name = names.pop()
    if name not in plan.models:
        raise UserError(f"show: model {name} does not compile")
    return plan.models[name].rendered


def run(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.cli import _plan

    if (args.model is None) == (args.inline is None):
        raise UserError("show takes a MODEL or --inline 'SQL' (one of them)",
                        hint="e.g. sqlingest show silver.events, or "
                             "sqlingest show --inline \"SELECT * FROM {{ ref('silver.events') }}\"")
    if args.model is not None:
        args.select = [args.model]
    plan = _plan(args, console)
    rendered = _rendered(plan, args)
    from sqlingest.cli import _open_log
    from sqlingest.execute.session import build_session
    from sqlingest.runs import new_run_id

    _open_log(plan.project, f"show-{new_run_id()}")  # Spark's log lines go to a log file, not the console
    with console.status("starting Spark…"):
        spark = build_session(plan.project.target.spark, plan.catalog, extra=plan.domain_catalogs.values())
    rows, columns = query(spark, plan.project.root, rendered, args.limit)
    print_table(console, columns, rows)
    shown = f"{len(rows)} row(s)" + (f" (--limit {args.limit})" if args.limit >= 0 and len(rows) == args.limit
                                     else "")
    console.print(f"[dim]{shown}[/]")
    return 0


def query(spark: Any, root: Path, rendered: Any, limit: int) -> tuple[list[tuple[Any, ...]], list[str]]:
    """The first ``limit`` rows of a rendered model's query (its sources read into temporary views)."""
    from sqlingest.execute.runner import spark_message
    from sqlingest.render import source_view
    from sqlingest.sources import load_source

    try:
        for contract in rendered.sources:
            read = load_source(contract, root).read(spark)
            read.frame.createOrReplaceTempView(source_view(contract.domain, contract.dataset))
        frame = spark.sql(rendered.sql)
        if limit >= 0:
            frame = frame.limit(limit)
        return [tuple(r) for r in frame.collect()], list(frame.columns)
    except Exception as exc:  # noqa: BLE001 — Spark/Py4J errors: the root cause, located in the SQL
        hint = "build the model's parents first (sqlingest build)" if "TABLE_OR_VIEW_NOT_FOUND" in str(exc) else None
        shown = "--inline" if rendered.name.endswith(INLINE) else rendered.name
        raise ExecutionError(f"show {shown}: {spark_message(exc)}", hint=hint) from None


def _text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def print_table(console: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Rows as a rich table at its natural width (no wrapping), NULLs as ``NULL``."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for name in columns:
        table.add_column(name, no_wrap=True, overflow="fold")
    for row in rows:
        table.add_row(*(Text(_text(v)) for v in row))
    natural = sum(max([len(name), *(len(_text(r[i])) for r in rows)]) + 3 for i, name in enumerate(columns))
    from rich.console import Console

    # at its natural width, however narrow the terminal (a non-terminal console is 80 columns wide)
    Console(file=console.file, highlight=False, width=max(natural + 3, console.width)).print(table)
