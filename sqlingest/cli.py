"""The ``sqlingest`` command line. Exit codes: 0 success, 1 a model or check failed, 2 a user error."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

import yaml

from sqlingest import __version__
from sqlingest.errors import SqlingestError, UserError, redact


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _parse_vars(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at column {mark.column + 1}" if mark is not None else ""
        raise UserError(f"--vars is not valid YAML: {getattr(exc, 'problem', None) or exc}{where}",
                        hint="--vars takes a YAML mapping, e.g. --vars '{start: 2024-01-01}'") from None
    if not isinstance(value, dict):
        raise UserError("--vars must be a mapping, e.g. --vars '{start: 2024-01-01}'")
    return value


def _lock_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lock-timeout", type=float, default=0.0, metavar="SECONDS",
                        help="wait this long for another run on the same target to finish (default 0: fail at once)")


def _metrics_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics-file", default=None, metavar="PATH",
                        help="write the run's metrics to PATH in Prometheus text format (node-exporter textfile)")
    parser.add_argument("--result-json", default=None, metavar="PATH",
                        help="write the run's outcome to PATH as JSON for a scheduler: run_id, status, exit_code, "
                             "target, engine, the run record's path, each model's status (docs/cluster.md)")


def _common(parser: argparse.ArgumentParser, *, select: bool = True) -> None:
    parser.add_argument("--project-dir", default=os.environ.get("SQLINGEST_PROJECT_DIR", "."),
                        help="the project folder (default: the current one or the nearest parent with sqlingest.yml)")
    parser.add_argument("--target", "-t", default=None, help="target from sqlingest.yml (default: default_target)")
    parser.add_argument("--vars", default=None, help="YAML mapping of vars, e.g. '{start: 2024-01-01}'")
    if select:
        from sqlingest.commands import selection_flags

        selection_flags(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sqlingest", description="SQL-first medallion ingestion on Spark.")
    parser.add_argument("--version", action="version", version=f"sqlingest {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="create a new project that builds")
    p.add_argument("directory")

    p = sub.add_parser("compile", help="render, parse and validate every model (no JVM); write target/compiled/")
    _common(p)
    p.add_argument("--live", action="store_true",
                   help="also compare contracts with the live Iceberg tables (pyiceberg, no JVM) and show the plan")

    for name, text in (("build", "run models and their checks in dependency order"),
                       ("run", "run models without checks"),
                       ("test", "run the checks on existing tables")):
        p = sub.add_parser(name, help=text)
        _common(p)
        if name != "test":
            p.add_argument("--full-refresh", action="store_true", help="drop and rebuild the selected tables")
        p.add_argument("--fail-fast", "-x", action="store_true", help="stop at the first failure")
        p.add_argument("--threads", type=int, default=None, help="models run at once (default: the target's)")
        _lock_timeout(p)
        _metrics_file(p)
        if name == "test":
            from sqlingest.commands.unit import add_flags

            add_flags(p)
        if name != "test":
            from sqlingest.commands import build_flags

            build_flags(p)
            p.add_argument("--branch", default=None,
                           help="write-audit-publish on Nessie: build on this branch, merge only if all checks pass")

    p = sub.add_parser("stream", help="run the streaming models continuously (until Ctrl-C/SIGTERM or --timeout)")
    _common(p)
    p.add_argument("--timeout", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--full-refresh", action="store_true", help="drop the tables and checkpoints, start over")
    _lock_timeout(p)
    _metrics_file(p)

    from sqlingest.registry import cli as registry_cli

    registry_cli.add_subcommands(sub)

    p = sub.add_parser("replay", help="re-run a model's quarantined rows after a fix")
    _common(p, select=False)
    p.add_argument("model", help="the model whose <table>__quarantine rows to replay")
    _lock_timeout(p)

    p = sub.add_parser("report", help="write the HTML data-health report")
    _common(p, select=False)
    p.add_argument("--output", "-o", default=None, help="file to write (default: target/report.html)")
    p.add_argument("--limit", type=int, default=200, help="runs to include")

    p = sub.add_parser("docs", help="the documentation site: models, contracts, sources, DAG, column lineage")
    docs = p.add_subparsers(dest="docs_command", metavar="ACTION", required=True)
    d = docs.add_parser("generate", help="write the static site to target/docs/ (no JVM)")
    _common(d, select=False)
    d = docs.add_parser("serve", help="serve target/docs/ on 127.0.0.1")
    _common(d, select=False)
    d.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")

    p = sub.add_parser("slo", help="evaluate the domains' SLOs now (exit 3 when one is breached)")
    _common(p)

    p = sub.add_parser("runs", help="list recent runs")
    _common(p, select=False)
    p.add_argument("--limit", type=int, default=10)
    from sqlingest.commands import add_commands, add_examples

    add_commands(sub, _common, _lock_timeout)
    add_examples(sub)
    _output_flags(parser)
    for command in sub.choices.values():
        _output_flags(command, default=argparse.SUPPRESS)
    return parser


def _output_flags(parser: argparse.ArgumentParser, default: Any = False) -> None:
    """``--verbose``/``--debug``, before or after the command (``sqlingest --debug build`` = ``build --debug``)."""
    parser.add_argument("--verbose", "-v", action="store_true", default=default,
                        help="also show Spark's and the libraries' log lines (always kept in .sqlingest/logs/) "
                             "and how each model was written (e.g. scd2's merge or rewrite, and why)")
    parser.add_argument("--debug", action="store_true", default=default,
                        help="--verbose, plus full JVM stack traces of failed models and Python tracebacks")
    parser.add_argument("--log-format", choices=("text", "json"), default="text" if default is False else default,
                        help="json: every line printed is one JSON object (ts, level, command, msg) for CI")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Every byte it prints is redacted of secrets (:mod:`sqlingest.output`).

    Called as the program (``argv`` None), an unexpected internal error prints its root cause in one line, with
    the traceback in the run's log (and on the console with ``--debug``); called with ``argv`` (tests, scripts)
    it propagates."""
    from sqlingest.output import capture

    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    from sqlingest.commands.logformat import json_lines

    with capture(verbose=args.verbose, debug=args.debug), json_lines(args.log_format == "json", args.command):
        console = _console()
        try:
            return int(COMMANDS[args.command](args, console))
        except SqlingestError as exc:
            print(f"error: {exc.format()}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except Exception as exc:
            if argv is not None or args.debug:
                raise
            return _internal_error(exc)


def _internal_error(exc: Exception) -> int:
    from sqlingest.execute.errors import root_cause
    from sqlingest.output import log_exception, settings

    log_exception("internal error", exc)
    where = f"the traceback is in {settings.log_path}; " if settings.log_path else ""
    print(f"error: internal error: {redact(root_cause(exc))}\n  hint: {where}rerun with --debug to see it",
          file=sys.stderr)
    return 1


def cmd_init(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.scaffold import create_project

    path = create_project(Path(args.directory))
    console.print(f"created project in {path}; next: cd {args.directory} && sqlingest build")
    return 0


def _plan(args: argparse.Namespace, console: Any, run_id: str = "compile") -> Any:
    from sqlingest.plan import plan_project
    from sqlingest.project import load_project

    project = load_project(Path(args.project_dir), target=args.target, cli_vars=_parse_vars(args.vars),
                           tolerant=True)
    from sqlingest.commands import state_of

    plan = plan_project(project, select=getattr(args, "select", None), run_id=run_id,
                        exclude=getattr(args, "exclude", None), state=state_of(args),
                        defer=bool(getattr(args, "defer", False)))
    for warning in plan.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for fallback in plan.fallbacks:
        console.print(f"[cyan]fallback:[/] {fallback}")
    return plan


def cmd_compile(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.plan import write_compiled

    started = time.perf_counter()
    plan = _plan(args, console)
    from sqlingest.plan.manifest import write_manifest

    written = write_compiled(plan, plan.project.root / "target")
    write_manifest(plan, plan.project.root / "target")
    console.print(f"compiled {len(written)} model(s) in {time.perf_counter() - started:.2f}s → "
                  f"{plan.project.rel(plan.project.root / 'target' / 'compiled')}/")
    return _live_plan(plan, console) if args.live else 0


def _live_plan(plan: Any, console: Any) -> int:
    """What a build would do to each live table; exit 2 when a change cannot be applied in place."""
    from sqlingest.catalogs.live import LiveSchemas
    from sqlingest.plan.evolution import additions, evolution_plan

    live = LiveSchemas(plan.catalog)
    blocked = 0
    for name in plan.selected:
        pm = plan.models[name]
        desired = pm.table_schema()
        if desired is None or not pm.materialization.STAGED:
            continue
        current = live.schema(pm.namespace, pm.table)
        if current is None:
            console.print(f"  {name:<28} create {pm.relation}")
        elif current == desired:
            console.print(f"  {name:<28} in sync")
        elif not pm.materialization.EVOLVES_SCHEMA:
            console.print(f"  {name:<28} replace {pm.relation} ({pm.materialization.NAME} materialization "
                          "rebuilds it)")
        elif (steps := additions(current, desired)) is not None:
            console.print(f"  {name:<28} evolve in place: " + "; ".join(steps))
        else:
            blocked += 1
            console.print(f"  {name:<28} [red]incompatible[/]: needs " + "; ".join(
                evolution_plan(pm.relation, current, desired)) + " — or `build --full-refresh`")
    if blocked:
        print(f"error: {blocked} table(s) cannot be evolved in place to their contracts", file=sys.stderr)
        return 2
    return 0


def _execute(args: argparse.Namespace, console: Any, *, models: bool, checks: bool,
             streaming: str = "available_now") -> int:
    from sqlingest.runs import new_run_id

    run_id = new_run_id()
    started = time.perf_counter()
    plan = _plan(args, console, run_id)
    if getattr(args, "unit_tests", False):  # the unit tests first, on the build's own session
        from sqlingest.commands.unit import run_unit_tests
        from sqlingest.execute.session import build_session

        with console.status("starting Spark…"):
            spark = build_session(plan.project.target.spark, plan.catalog)
        if run_unit_tests(plan, console, select=args.select, exclude=args.exclude, spark=spark):
            console.print("[red]unit tests failed: nothing built[/]")
            return 1
    from sqlingest.plan.manifest import write_manifest

    write_manifest(plan, plan.project.root / "target")  # the state a later --state / --defer compares with
    with _target_lock(args, plan.project):
        return _execute_plan(args, console, plan, run_id, started, models=models, checks=checks,
                             streaming=streaming)


def _target_lock(args: argparse.Namespace, project: Any) -> Any:
    """The project's lock for its target (one build/run/test/stream/replay at a time; sqlingest/execute/lock.py)."""
    from sqlingest.execute.lock import TargetLock, lock_path

    return TargetLock(project.state_dir, project.target_name, args.command,
                      timeout=float(getattr(args, "lock_timeout", 0) or 0),
                      shown_as=project.rel(lock_path(project.state_dir, project.target_name)))


def _execute_plan(args: argparse.Namespace, console: Any, plan: Any, run_id: str, started: float, *, models: bool,
                  checks: bool, streaming: str) -> int:
    from sqlingest.execute.runner import Runner, RunOptions
    from sqlingest.execute.session import build_session
    from sqlingest.runs import RunRecord

    project = plan.project
    if not checks:  # `run`: models selected only for their checks have nothing to do
        plan.selected = [n for n in plan.selected if n not in plan.checks_only]
    stop: threading.Event | None = None
    if streaming == "continuous":
        plan.selected = [n for n in plan.selected if plan.models[n].streaming]
        if not plan.selected:
            console.print("no streaming model selected (materialized='streaming' or config(streaming=true))")
            return 2
        stop = _stop_on_signal(getattr(args, "timeout", None))
    console.print(f"sqlingest {args.command} · project [bold]{project.name}[/] · target {project.target_name} · "
                  f"{len(plan.selected)} model(s) · run {run_id}")
    publish = _start_branch(plan, getattr(args, "branch", None), console)
    _open_log(project, run_id)
    with console.status("starting Spark…"):
        spark = build_session(project.target.spark, plan.catalog, extra=plan.domain_catalogs.values())
    from datetime import datetime

    from sqlingest.commands import run_options

    record = RunRecord(run_id, args.command, project.target_name, datetime.now(UTC).isoformat(),
                       options=run_options(args))
    total = len(plan.selected)
    index = {name: i for i, name in enumerate(plan.selected, 1)}
    width = max((len(n) for n in plan.selected), default=10)
    status_ctx: dict[str, Any] = {}

    verbose = bool(getattr(args, "verbose", False) or getattr(args, "debug", False))
    threads = getattr(args, "threads", None) or project.target.threads
    if streaming == "continuous":  # every streaming query runs at once
        threads = len(plan.selected)
    lock = threading.Lock()
    from sqlingest.observe import Observer

    observer = Observer(plan, record, command=args.command, spark=spark,
                        metrics_file=getattr(args, "metrics_file", None))
    observer.start()

    def report(event: str, pm: Any, result: Any) -> None:
        with lock:
            _report(event, pm, result)
            observer(event, pm, result)

    def _report(event: str, pm: Any, result: Any) -> None:
        kind = "checks" if pm.name in plan.checks_only else pm.materialization.NAME
        prefix = f"{index[pm.name]:>3}/{total} {pm.name:<{width}} {kind:<7}"
        if event == "start":
            if threads == 1 and console.is_terminal:
                status_ctx["s"] = console.status(f"{prefix} running…")
                status_ctx["s"].start()
            elif threads > 1:
                console.print(f"{prefix} [dim]started[/]")
            return
        if "s" in status_ctx:
            status_ctx.pop("s").stop()
        if event == "skip":
            console.print(f"{prefix} [yellow]SKIP[/]  {result.error}")
            return
        if event == "batch":
            b = result.batches[-1]
            detail = f"{b.get('rows_in') or 0:,} rows" if b["status"] == "success" else \
                _escape(b.get("message") or b.get("error") or "")
            if b.get("rows_quarantined"):
                detail += f", {b['rows_quarantined']:,} quarantined"
            console.print(f"{prefix} batch {b['batch_id']} {b['status']}  {detail}  [dim]{b['seconds']:.1f}s[/]")
            return
        parts = []
        if result.rows_in is not None:
            parts.append(f"{result.rows_in:,} rows")
        if result.rows_rescued:
            parts.append(f"{result.rows_rescued:,} rescued")
        if result.rows_quarantined:
            parts.append(f"{result.rows_quarantined:,} quarantined")
        if result.rows_dropped:
            parts.append(f"{result.rows_dropped:,} dropped")
        if result.rows_deduplicated:
            parts.append(f"{result.rows_deduplicated:,} deduplicated")
        if result.write_strategy and verbose:
            parts.append(result.write_strategy)
        if result.checks:
            passed = sum(1 for c in result.checks if c.outcome == "pass")
            parts.append(f"checks {passed}/{len(result.checks)}")
        mark = {"success": "[green]OK[/]  ", "warn": "[yellow]WARN[/]", "error": "[red]FAIL[/]"}[result.status]
        console.print(f"{prefix} {mark}  {', '.join(parts)}  [dim]{result.seconds:.1f}s[/]")
        for check in result.checks:
            if check.outcome != "pass":
                console.print(f"        [{'red' if check.failed else 'yellow'}]{check.outcome}[/] "
                              f"{_escape(check.name)}: {_escape(check.message)}", markup=True)
        if result.ties:
            samples = ", ".join(result.ties["samples"])
            console.print(f"        [yellow]warn[/] {_escape(result.ties['message'])}"
                          + (f" (e.g. {_escape(samples)})" if samples else ""))
        if result.error:
            console.print("        [red]" + _escape(result.error).replace("\n", "\n        ") + "[/]")

    empty = bool(getattr(args, "empty", False))
    options = RunOptions(run_models=models, run_checks=checks and not empty, threads=threads,
                         full_refresh=getattr(args, "full_refresh", False),
                         fail_fast=getattr(args, "fail_fast", False), streaming=streaming, stop=stop, empty=empty)
    try:
        Runner(plan, spark, record, options=options, reporter=report).run()
    except BaseException as exc:  # interrupted (Ctrl-C) or crashed: the open lineage runs are aborted
        observer.abort(f"interrupted: {type(exc).__name__}")
        raise
    record.finished_at = datetime.now(UTC).isoformat()
    if publish is not None:
        publish(record.status == "success")
    from sqlingest.runs.tables import write_run

    try:
        write_run(spark, record, catalog=plan.catalog, fmt=project.target.format)
    except Exception as exc:  # noqa: BLE001 — the run itself is done and recorded on disk; say so and go on
        from sqlingest.execute.errors import root_cause

        console.print(f"[yellow]warning:[/] could not append the run to the lakehouse run tables: "
                      f"{_escape(redact(root_cause(exc)))}")
    # SLOs read the run tables just written; the record file and the metrics then carry them
    try:
        _slos(plan, spark, record, console, [m.name for m in record.models if m.status != "skipped"],
              every=verbose)
    finally:
        path = record.save(project.state_dir)
    if project.config.alerts:
        from sqlingest.runs.alerts import notify

        for problem in notify(record, project.config.alerts, plan=plan):
            console.print(f"[yellow]warning:[/] {_escape(problem)}")
    for problem in observer.finish(record):
        console.print(f"[yellow]warning:[/] {_escape(problem)}")
    counts = {s: sum(1 for m in record.models if m.status == s) for s in ("success", "warn", "error", "skipped")}
    console.print(f"Done in {time.perf_counter() - started:.1f}s: {counts['success']} ok, {counts['warn']} warned, "
                  f"{counts['error']} failed, {counts['skipped']} skipped · run log {project.rel(path)}")
    if record.status == "error":
        console.print(f"[dim]Spark's log and full stack traces: {project.rel(_log_path(project, run_id))} "
                      "(or rerun with --debug)[/]")
    code = 1 if record.status == "error" else 0
    if getattr(args, "result_json", None):
        from sqlingest.commands.submit import write_result

        write_result(Path(args.result_json), project, record, path, code)
    return code


def _slos(plan: Any, spark: Any, record: Any, console: Any, models: list[str], *, every: bool = True) -> list[Any]:
    """Evaluate the SLOs of ``models``' domains, record them in the run tables and on the run's record (saved
    after), alert on breaches, print them (``every``: the met ones too, else the breaches and a count)."""
    from sqlingest.runs.slo import evaluate, has_slos, routes, write_results

    if not has_slos(plan):
        return []
    try:
        results = evaluate(spark, plan, models=models)
        write_results(spark, plan, record.run_id, results)
        record.slos = [r.entry() for r in results]
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 — the run is done and recorded; say so and go on
        from sqlingest.execute.errors import root_cause

        console.print(f"[yellow]warning:[/] could not evaluate the SLOs: {_escape(redact(root_cause(exc)))}")
        return []
    from sqlingest.runs.alerts import notify

    for alert, events in routes(plan, results):
        for problem in notify(record, [alert], run_events=events):
            console.print(f"[yellow]warning:[/] {_escape(problem)}")
    for r in results:
        if every or not r.met:
            mark = "[green]met[/]" if r.met else "[red]BREACHED[/]"
            console.print(f"  slo {mark} {r.domain}/{r.model} {r.slo} {_escape(r.objective)}: "
                          f"{_escape(r.observed)}")
    if not every and results:
        breached = sum(1 for r in results if not r.met)
        console.print(f"SLOs: {len(results) - breached} met, {breached} breached"
                      + (" (sqlingest slo, or --verbose, lists each)" if breached else ""))
    return results


def cmd_slo(args: argparse.Namespace, console: Any) -> int:
    """Evaluate the selected models' SLOs now; exit 0 when all are met, 3 when one is breached."""
    from datetime import UTC, datetime

    from sqlingest.execute.session import build_session
    from sqlingest.runs import RunRecord, new_run_id

    run_id = new_run_id()
    plan = _plan(args, console, run_id)
    with console.status("starting Spark…"):
        spark = build_session(plan.project.target.spark, plan.catalog, extra=plan.domain_catalogs.values())
    now = datetime.now(UTC).isoformat()
    record = RunRecord(run_id, "slo", plan.project.target_name, now, now, "success")
    results = _slos(plan, spark, record, console, list(plan.selected))
    breached = [r for r in results if not r.met]
    console.print(f"{len(results)} SLO(s) evaluated, {len(breached)} breached")
    return 3 if breached else 0


def _log_path(project: Any, run_id: str) -> Path:
    return Path(project.state_dir) / "logs" / f"{run_id}.log"


def _open_log(project: Any, run_id: str) -> None:
    """This run's JVM and library log lines go to ``.sqlingest/logs/<run_id>.log`` (redacted)."""
    from sqlingest.output import open_log

    open_log(_log_path(project, run_id))


def _start_branch(plan: Any, branch: str | None, console: Any) -> Any:
    """Write-audit-publish: point the catalog at a new Nessie branch; return the publish step (merge or keep)."""
    if not branch:
        return None
    from sqlingest.errors import Location

    catalog = plan.catalog
    catalog.require("branches", plan.project.target.format, what=f"--branch (target {plan.project.target_name})")
    for name in plan.selected:  # a model may choose its own format
        pm = plan.models[name]
        catalog.require("branches", pm.format.name, what=f"--branch (model {name})",
                        location=Location(str(pm.rendered.model.path), 1, 1))
    refs = catalog.branch_refs()
    base = catalog.use_ref(branch)
    if branch not in refs.branches():
        refs.create_branch(branch, from_ref=base)
    console.print(f"writing to Nessie branch {branch} (from {base}); {base} changes only if every check passes")

    def publish(ok: bool) -> None:
        if ok:
            refs.merge_branch(branch, into=base)
            refs.drop_branch(branch)
            console.print(f"published: merged {branch} into {base}")
        else:
            console.print(f"[red]not published[/]: {base} is untouched; inspect the data on branch {branch}")

    return publish


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def cmd_build(args: argparse.Namespace, console: Any) -> int:
    return _execute(args, console, models=True, checks=True)


def cmd_run(args: argparse.Namespace, console: Any) -> int:
    return _execute(args, console, models=True, checks=False)


def cmd_stream(args: argparse.Namespace, console: Any) -> int:
    import signal

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _execute(args, console, models=True, checks=True, streaming="continuous")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_on_signal(timeout: float | None) -> threading.Event:
    """An event set by SIGTERM/SIGINT (or after ``timeout`` seconds): streams stop after their running batch."""
    import signal

    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    if timeout is not None:
        timer = threading.Timer(timeout, stop.set)
        timer.daemon = True
        timer.start()
    return stop


def cmd_test(args: argparse.Namespace, console: Any) -> int:
    if args.contracts or args.unit or args.generate:
        from sqlingest.commands import unit

        if args.generate and not args.unit:
            raise UserError("--generate writes a unit test: use it with --unit", hint="sqlingest test --unit "
                            f"--generate {args.generate}")
        code = 0
        if args.contracts:
            from sqlingest.commands.contracts_test import run as run_contracts

            code = run_contracts(args, console)
        if args.unit or args.generate:
            # `--select model::test` names one test: the plan is selected by the other selectors only
            models = [s for s in args.select or [] if "::" not in s] or None
            code = max(code, unit.run(args, console, _plan(argparse.Namespace(**{**vars(args), "select": models}),
                                                            console)))
        return code
    return _execute(args, console, models=False, checks=True)


def cmd_runs(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.project import load_project
    from sqlingest.runs import list_runs

    project = load_project(Path(args.project_dir), target=args.target)
    for run in list_runs(project.state_dir, args.limit):
        models = run.get("models", [])
        bad = [m["name"] for m in models if m["status"] == "error"]
        rows = {k: sum(m.get(f"rows_{k}") or 0 for m in models)
                for k in ("in", "written", "quarantined", "dropped", "deduplicated")}
        flow = f"  {rows['in']:,} rows in, {rows['written']:,} published" + "".join(
            f", {rows[k]:,} {k}" for k in ("quarantined", "dropped", "deduplicated") if rows[k])
        ties = sum((m.get("ties") or {}).get("count", 0) for m in models)
        console.print(f"{run['run_id']}  {run['command']:<6} {run['target']:<8} {run['status']:<8} "
                      f"{len(models)} model(s)" + flow + (f", {ties:,} ties" if ties else "")
                      + (f"  failed: {', '.join(bad)}" if bad else ""))
    return 0


def cmd_replay(args: argparse.Namespace, console: Any) -> int:
    from datetime import datetime

    from sqlingest.execute.runner import Runner
    from sqlingest.execute.session import build_session
    from sqlingest.runs import RunRecord, new_run_id

    run_id = new_run_id()
    plan = _plan(args, console, run_id)
    if args.model not in plan.models and not any(n.endswith("." + args.model) for n in plan.models):
        raise UserError(f"replay: no model '{args.model}'", hint=f"models: {', '.join(sorted(plan.models))}")
    names = plan.dag.select([args.model])
    if len(names) != 1:
        raise UserError(f"replay takes one model; '{args.model}' matches {len(names)}")
    name = names.pop()
    _open_log(plan.project, run_id)
    with _target_lock(args, plan.project):
        spark = build_session(plan.project.target.spark, plan.catalog, extra=plan.domain_catalogs.values())
        record = RunRecord(run_id, "replay", plan.project.target_name, datetime.now(UTC).isoformat())
        result = Runner(plan, spark, record).replay(name)
        record.finished_at = datetime.now(UTC).isoformat()
        record.save(plan.project.state_dir)
    if result.status == "error":
        console.print(f"[red]replay of {name} failed:[/] {_escape(result.error or '')}")
        return 1
    console.print(f"replayed {name}: {result.rows_in or 0} quarantined row(s) → {result.rows_written or 0} published, "
                  f"{result.rows_quarantined or 0} still quarantined, {result.rows_dropped or 0} dropped"
                  + (f", {result.rows_deduplicated} deduplicated" if result.rows_deduplicated else ""))
    return 0


def cmd_report(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.project import load_project
    from sqlingest.runs.report import model_contracts, write_report

    project = load_project(Path(args.project_dir), target=args.target)
    output = Path(args.output) if args.output else project.root / "target" / "report.html"
    path = write_report(project.state_dir, output, project=project.name, limit=args.limit,
                        contracts=model_contracts(project))
    console.print(f"report written to {path}")
    return 0


def cmd_docs(args: argparse.Namespace, console: Any) -> int:
    from sqlingest import docs_site

    if args.docs_command == "generate":
        plan = _plan(args, console)
        site = docs_site.generate(plan, plan.project.root / "target" / "docs")
        console.print(f"docs site written to {plan.project.rel(site.root)}/ ({site.pages} pages); "
                      "open index.html or run `sqlingest docs serve`")
        return 0
    from sqlingest.project import load_project

    project = load_project(Path(args.project_dir), target=args.target, tolerant=True)
    root = project.root / "target" / "docs"
    if not (root / "index.html").is_file():
        raise UserError(f"no docs site in {project.rel(root)}/", hint="run `sqlingest docs generate` first")
    def ready(url: str) -> None:
        console.print(f"serving {project.rel(root)}/ at {url} (Ctrl-C to stop)")
        sys.stdout.flush()

    docs_site.serve(root, args.port, ready=ready)
    return 0


def _registry_commands() -> dict[str, Any]:
    from sqlingest.registry import cli as registry_cli

    return dict(registry_cli.COMMANDS)


def _workflow_commands() -> dict[str, Any]:
    from sqlingest.commands import COMMANDS as workflow

    return dict(workflow)


COMMANDS = {"init": cmd_init, "compile": cmd_compile, "build": cmd_build, "run": cmd_run, "test": cmd_test,
            "stream": cmd_stream, "slo": cmd_slo,
            "runs": cmd_runs, "report": cmd_report, "replay": cmd_replay, "docs": cmd_docs, **_registry_commands(),
            **_workflow_commands()}

if __name__ == "__main__":
    sys.exit(main())
