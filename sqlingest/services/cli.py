"""``python -m sqlingest.services start|stop|status|logs [names…]``: the development services of a project.

- ``start`` starts the named services (default: all but the on-demand Spark cluster and Connect server, dependencies first — Hive Metastore and Nessie keep their
  data in the PostgreSQL cluster), then writes every running service's variables to ``.sqlingest/services.env``
  (``$SQLINGEST_SERVICES_ENV`` overrides), so ``set -a; . .sqlingest/services.env; set +a`` exports them;
- ``stop`` stops them (default: all, in reverse order; data folders are kept) and rewrites or removes that file;
- ``status`` prints a table: name, state (running / stopped / stale), pid, port, uptime;
- ``logs`` prints the tail of each one's log.

State files live in ``<project>/.sqlingest/services/<name>.json``, data folders in ``$SQLINGEST_SERVICES_DIR``
(default ``/tmp/sqlingest-services-<uid>``). Exit codes: 0 ok; 1 a service failed to start (the message holds the
tail of its log); 2 a usage error (an unknown service name).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sqlingest.errors import SqlingestError
from sqlingest.services import SERVICES, service_class
from sqlingest.services.base import Service, default_root

__all__ = ["env_file", "main", "resolve", "services", "write_env"]


def services(project_dir: Path, root: Path | None = None,
             names: Sequence[str] | None = None) -> list[Service]:
    """The :class:`Service` objects of ``names`` (default: all), in start order."""
    state_dir = Path(project_dir) / ".sqlingest" / "services"
    wanted = list(names) if names else list(SERVICES)
    return [service_class(n)(state_dir, root) for n in SERVICES if n in wanted]


def resolve(names: Sequence[str]) -> list[str]:
    """``names`` plus what they require, in start order."""
    wanted: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(service_class(name).requires)
    return [n for n in SERVICES if n in wanted]


def env_file(project_dir: Path) -> Path:
    explicit = os.environ.get("SQLINGEST_SERVICES_ENV")
    return Path(explicit) if explicit else Path(project_dir) / ".sqlingest" / "services.env"


def write_env(project_dir: Path, root: Path | None) -> tuple[Path, dict[str, str]]:
    """Write the running services' variables to :func:`env_file` (removed when none runs)."""
    values: dict[str, str] = {}
    for service in services(project_dir, root):
        values.update(service.env())
    path = env_file(project_dir)
    if values:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    else:
        path.unlink(missing_ok=True)
    return path, values


def _uptime(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _start(args: argparse.Namespace, names: list[str]) -> int:
    names = names or [n for n in SERVICES if not service_class(n).on_demand]
    for service in services(args.project_dir, args.root, resolve(names)):
        before = service.status()
        try:
            info = service.start(wait=args.wait)
        except (SqlingestError, OSError) as exc:
            message = exc.format() if isinstance(exc, SqlingestError) else str(exc)
            print(f"{service.name}: failed to start: {message}", file=sys.stderr)
            log = service.logs(args.tail)
            if log and log not in message:
                print(f"--- last lines of {service.name}'s log ---\n{log}", file=sys.stderr)
            write_env(args.project_dir, args.root)
            return 1
        what = "already running" if before == "running" else "started"
        print(f"{service.name}: {what} (pid {info.pid}, port {info.port})", file=sys.stderr)
    path, values = write_env(args.project_dir, args.root)
    print("".join(f"{k}={v}\n" for k, v in values.items()), end="")
    print(f"# written to {path}")
    return 0


def _stop(args: argparse.Namespace, names: list[str]) -> int:
    for service in reversed(services(args.project_dir, args.root, names)):
        state = service.status()
        service.stop()
        print(f"{service.name}: {'stopped' if state == 'running' else 'was ' + state}")
    write_env(args.project_dir, args.root)
    return 0


def _status(args: argparse.Namespace, names: list[str]) -> int:
    rows = [("NAME", "STATE", "PID", "PORT", "UPTIME")]
    now = time.time()
    for service in services(args.project_dir, args.root, names):
        state, info = service.status(), service.info()
        if info is None:
            rows.append((service.name, state, "-", "-", "-"))
        else:
            rows.append((service.name, state, str(info.pid or "-"), str(info.port or "-"),
                         _uptime(now - info.started_at) if state == "running" else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _logs(args: argparse.Namespace, names: list[str]) -> int:
    for service in services(args.project_dir, args.root, names):
        print(f"==> {service.name} <==")
        print(service.logs(args.tail) or "(no log)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--project-dir", type=Path, default=argparse.SUPPRESS,
                        help="the project whose .sqlingest/ holds the state (default: the current folder)")
    common.add_argument("--root", type=Path, default=argparse.SUPPRESS,
                        help="parent of the data folders (default: $SQLINGEST_SERVICES_DIR or "
                             "/tmp/sqlingest-services-<uid>)")
    parser = argparse.ArgumentParser(prog="python -m sqlingest.services", parents=[common],
                                     description="local development services: " + ", ".join(SERVICES))
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", parents=[common], help="start services (and what they need)")
    start.add_argument("--wait", type=float, default=None, help="seconds to wait for each (default: its own)")
    start.add_argument("--tail", type=int, default=30, help="log lines shown when one fails")
    commands.add_parser("stop", parents=[common], help="stop services (their data folders are kept)")
    commands.add_parser("status", parents=[common], help="name, state, pid, port, uptime")
    logs = commands.add_parser("logs", parents=[common], help="the tail of each service's log")
    logs.add_argument("--tail", type=int, default=50)
    for sub in commands.choices.values():
        sub.add_argument("names", nargs="*", metavar="name", help=f"default: all ({', '.join(SERVICES)})")
    args = parser.parse_args(argv)
    args.project_dir = Path(getattr(args, "project_dir", None) or Path.cwd()).resolve()
    args.root = getattr(args, "root", None) or default_root()
    unknown = [n for n in args.names if n not in SERVICES]
    if unknown:
        parser.error(f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    handler = {"start": _start, "stop": _stop, "status": _status, "logs": _logs}[args.command]
    return handler(args, list(args.names))
