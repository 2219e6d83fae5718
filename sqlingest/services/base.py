"""One base for every local helper service (PostgreSQL, Hive Metastore, Nessie, Kafka, or a test's own).

A :class:`Service` has a name, a data folder (``<root>/<name>``) and a state file in the project's state folder
(``<project>/.sqlingest/services/<name>.json``: pid, port, started_at, log, data_dir and the variables it exports).
Its small surface:

- :meth:`Service.start` — spawn the process (its own process group, stdout and stderr appended to the log file),
  wait until :meth:`Service.ready` (default: the port accepts connections; :func:`http_ok` for an HTTP probe),
  write the state file; a running service is returned as it is, a stale state file is cleaned first;
- :meth:`Service.status` — ``running`` (state file, process alive), ``stopped`` (no state file) or ``stale``
  (state file, process gone: cleaned up by the next start or stop);
- :meth:`Service.stop` — SIGTERM to the whole process group, SIGKILL after a grace period, state file removed;
- :meth:`Service.logs` — the log's tail; :meth:`Service.env` — the variables it exports (e.g.
  ``SQLINGEST_KAFKA_BOOTSTRAP``), written to ``.sqlingest/services.env`` by ``python -m sqlingest.services start``.

A subclass either implements :meth:`Service.command` (and perhaps :meth:`Service.ready` / :meth:`Service.exports`)
and lets the base spawn it, or overrides :meth:`Service.launch` / :meth:`Service.halt` when the program daemonizes
itself (``pg_ctl``) or needs set-up (the JVM services, see their modules).

The process helpers (:func:`spawn`, :func:`alive`, :func:`port_open`, :func:`http_ok`, :func:`wait_until`,
:func:`terminate`, :func:`tail`, :func:`read_state`, :func:`write_state`) are shared by the service modules.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from sqlingest.errors import ExecutionError

__all__ = ["HOST", "STATE_FILE", "Service", "ServiceInfo", "ServiceStatus", "alive", "default_root", "http_ok",
           "port_open", "read_state", "spawn", "tail", "terminate", "wait_until", "write_state"]

HOST = "127.0.0.1"
#: the per-folder state file of the module-level ``start_<service>()`` functions (``<data dir>/service.json``)
STATE_FILE = "service.json"
ServiceStatus = Literal["running", "stopped", "stale"]


def default_root() -> Path:
    """Where service data folders live: ``$SQLINGEST_SERVICES_DIR``, else ``/tmp/sqlingest-services-<uid>``
    (PostgreSQL, run as a non-root user when started as root, must be able to reach its folder)."""
    explicit = os.environ.get("SQLINGEST_SERVICES_DIR")
    return Path(explicit) if explicit else Path(f"/tmp/sqlingest-services-{os.getuid()}")


@dataclass
class ServiceInfo:
    """What a started service left in its state file.

    Attributes:
        name: The service's name.
        pid: The server process (the leader of its process group, or a daemon's pid).
        port: Its main TCP port (``None`` when it has none).
        started_at: Unix time of the start.
        log: The log file.
        data_dir: The service's data folder.
        env: The variables it exports (``SQLINGEST_…``).
        extra: Anything else the service wants to remember.
    """

    name: str
    pid: int | None
    port: int | None
    started_at: float
    log: str
    data_dir: str
    env: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Service:
    """A local helper service: subclass it, set :attr:`name`, and implement :meth:`command` or :meth:`launch`.

    Args:
        state_dir: Folder of the state files (``<project>/.sqlingest/services``).
        root: Parent of the data folders (default :func:`default_root`); the data folder is ``root / name``.
    """

    name: ClassVar[str] = ""
    #: services started first (by name) when this one starts, e.g. ``("postgres",)``
    requires: ClassVar[tuple[str, ...]] = ()
    #: not among the services a bare ``start`` starts (only when named)
    on_demand: ClassVar[bool] = False
    #: seconds :meth:`start` waits by default
    start_timeout: ClassVar[float] = 120.0
    #: seconds between SIGTERM and SIGKILL
    stop_grace: ClassVar[float] = 20.0

    def __init__(self, state_dir: Path | str, root: Path | str | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.root = Path(root) if root is not None else default_root()

    # -- places ------------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.state_dir / f"{self.name}.json"

    @property
    def data_dir(self) -> Path:
        return self.root / self.name

    @property
    def log_file(self) -> Path:
        """The log the base's :meth:`spawn` appends to (a subclass may log elsewhere: see ``info().log``)."""
        return self.data_dir / f"{self.name}.log"

    # -- the surface -------------------------------------------------------------------------------
    def info(self) -> ServiceInfo | None:
        """The state file's content (``None``: never started, or stopped)."""
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        try:
            return ServiceInfo(**data)
        except TypeError:
            return None

    def status(self) -> ServiceStatus:
        info = self.info()
        if info is None:
            return "stopped"
        return "running" if self.is_alive(info) else "stale"

    def start(self, *, wait: float | None = None) -> ServiceInfo:
        """Start the service (a running one is returned as it is; a stale state file is cleaned first).

        Args:
            wait: Seconds to wait until it is ready (default :attr:`start_timeout`).

        Raises:
            ExecutionError: It exited during start-up or was not ready in time (with the log's tail).
        """
        info = self.info()
        if info is not None:
            if self.is_alive(info):
                return info
            self.clean(info)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        info = self.launch(wait=self.start_timeout if wait is None else wait)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(info.to_json(), indent=2) + "\n", encoding="utf-8")
        return info

    def stop(self) -> bool:
        """Stop the service and remove its state file; the data folder is kept. Returns whether it was running."""
        info = self.info()
        if info is None:
            return False
        running = self.is_alive(info)
        if running:
            self.halt(info)
        self.clean(info)
        return running

    def logs(self, tail: int = 50) -> str:
        """The last ``tail`` lines of the service's log."""
        info = self.info()
        return _tail_of(Path(info.log) if info else self.log_file, tail)

    def env(self) -> dict[str, str]:
        """The variables the running service exports (empty when it is not running)."""
        info = self.info()
        return dict(info.env) if info is not None and self.is_alive(info) else {}

    # -- hooks -------------------------------------------------------------------------------------
    def command(self, port: int) -> list[str]:
        """The server's command line, listening on ``port`` (for the base's :meth:`launch`)."""
        raise NotImplementedError(f"{type(self).__name__} implements neither command() nor launch()")

    def ready(self, info: ServiceInfo) -> bool:
        """Whether the started service answers (default: its port accepts connections)."""
        return info.port is not None and port_open(HOST, info.port)

    def exports(self, info: ServiceInfo) -> dict[str, str]:
        """The variables to export once it runs (default: none)."""
        return {}

    def launch(self, *, wait: float) -> ServiceInfo:
        """Spawn :meth:`command` on a free port and wait until :meth:`ready`."""
        from sqlingest.services import free_port

        port = free_port(HOST)
        popen = spawn(self.command(port), cwd=self.data_dir, log_file=self.log_file)
        info = ServiceInfo(self.name, popen.pid, port, time.time(), str(self.log_file), str(self.data_dir))
        wait_until(lambda: self.ready(info), pid=popen.pid, what=self.name, log_file=self.log_file,
                   timeout=wait)
        info.env = self.exports(info)
        return info

    def halt(self, info: ServiceInfo) -> None:
        """Stop the running process (default: SIGTERM its process group, SIGKILL after :attr:`stop_grace`)."""
        terminate(info.pid, grace=self.stop_grace)

    def is_alive(self, info: ServiceInfo) -> bool:
        return alive(info.pid)

    def clean(self, info: ServiceInfo) -> None:
        """Forget a stopped or stale service (its state file)."""
        self.state_file.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------------------------
# Process helpers
# --------------------------------------------------------------------------------------------------------------


def spawn(cmd: Sequence[str], *, cwd: Path, log_file: Path,
          env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own process group, stdout and stderr appended to ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        return subprocess.Popen(list(cmd), cwd=str(cwd), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                                start_new_session=True)


def alive(pid: int | None) -> bool:
    """Whether process ``pid`` exists (a zombie child of this process counts as gone)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    """Whether ``url`` answers with a 2xx status."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError):
        return False


def wait_until(ready: Callable[[], bool], *, pid: int, what: str, log_file: Path, timeout: float) -> None:
    """Poll ``ready`` until true; raise with the log's tail when the process dies or ``timeout`` passes (the
    process group is then terminated)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if not alive(pid):
            raise ExecutionError(f"{what} exited during start-up:\n{tail(log_file)}")
        time.sleep(0.2)
    terminate(pid)
    raise ExecutionError(f"{what} did not become ready within {timeout:.0f}s:\n{tail(log_file)}")


def terminate(pid: int | None, *, grace: float = 20.0) -> None:
    """SIGTERM the process group of ``pid``, then SIGKILL after ``grace`` seconds. Safe on a dead pid."""
    if not pid or not alive(pid):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    except PermissionError:  # not a group leader we may signal: the process alone
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a text file (empty when it cannot be read)."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


_tail_of = tail  # for Service.logs, whose argument is called ``tail``


def write_state(folder: Path, data: dict[str, Any]) -> None:
    (folder / STATE_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def read_state(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / STATE_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def standalone_main(argv: Sequence[str] | None, *, prog: str, description: str, dir_help: str, jdbc_help: str | None,
                    start: Callable[[Any], Any], shown: Callable[[Any], str], stop: Callable[[str], bool],
                    nothing: str, extra: Sequence[tuple[str, str | None]] = ()) -> int:
    """``python -m <prog> start|stop --dir D [--port P] [--jdbc-url U --user … --password …] [--json]`` of a
    service (the JDBC store options only with ``jdbc_help``): ``start(args)`` → a record with ``to_json()``
    (``shown`` is what is printed without ``--json``); ``stop(dir)`` → whether there was one (else
    ``no <nothing> in <dir>``)."""
    import argparse
    import sys

    from sqlingest.errors import UserError

    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--dir", required=True, help=dir_help)
    parser.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    if jdbc_help is not None:
        parser.add_argument("--jdbc-url", default=None, help=jdbc_help)
        parser.add_argument("--user", default=None)
        parser.add_argument("--password", default=None)
    for flag, default in extra:
        parser.add_argument(flag, default=default)
    parser.add_argument("--json", action="store_true", help="print every field as JSON")
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            service = start(args)
            print(json.dumps(service.to_json(), indent=2) if args.json else shown(service))
        elif not stop(args.dir):
            print(f"no {nothing} in {args.dir}", file=sys.stderr)
    except (UserError, ExecutionError) as exc:
        print(f"error: {exc.format()}", file=sys.stderr)
        return exc.exit_code
    return 0
