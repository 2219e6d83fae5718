"""A private, throw-away PostgreSQL cluster for tests and ``make services``.

:func:`start_postgres` runs ``initdb`` into a folder, starts the server on 127.0.0.1 on a free port with ``trust``
authentication (and no Unix socket), creates a database and returns a :class:`PostgresService` with its DSN and
JDBC URL. The server binaries are looked up on ``PATH``, in ``/usr/local/bin`` and in
``/usr/lib/postgresql/<version>/bin``. PostgreSQL refuses to run as root: as root, the server runs as the
``postgres`` user (or ``nobody``) and the folder is handed over to that user.

:class:`PostgresServer` is the same cluster as a :class:`~sqlingest.services.base.Service` (``python -m
sqlingest.services start postgres``). Command line for one folder (prints the DSN; ``--json`` prints every field)::

    python -m sqlingest.services.postgres start --dir .services/postgres
    python -m sqlingest.services.postgres stop --dir .services/postgres

The cluster is for development only: ``fsync`` is off and any local client may connect as any role.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlingest.errors import ExecutionError, MissingDependency, UserError
from sqlingest.services import free_port
from sqlingest.services.base import HOST, STATE_FILE, Service, ServiceInfo, alive, standalone_main, tail

__all__ = ["PostgresServer", "PostgresService", "create_database", "find_binaries", "load_postgres", "main",
           "start_postgres", "stop_postgres"]

_SEARCH_DIRS = ("/usr/local/bin",)
_VERSIONED_DIRS = "/usr/lib/postgresql/*/bin"
_START_ATTEMPTS = 3


@dataclass
class PostgresService:
    """A running private cluster.

    Attributes:
        host: Always ``127.0.0.1``.
        port: The TCP port it listens on.
        user: The superuser role to connect as.
        password: The role's password (authentication is ``trust``, so any password is accepted).
        database: The database created for you.
        directory: The folder holding ``data/``, the server log and ``service.json``.
        bin_dir: The folder of the server binaries used.
        os_user: The operating system user the server runs as (``None`` = the current user).
        remove_on_stop: Whether :meth:`stop` deletes ``directory`` (true for folders :func:`start_postgres` made).
    """

    host: str
    port: int
    user: str
    password: str
    database: str
    directory: str
    bin_dir: str
    os_user: str | None = None
    remove_on_stop: bool = field(default=False)

    @property
    def dsn(self) -> str:
        """``postgresql://user:password@127.0.0.1:port/database`` (libpq and psycopg2 accept it)."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"

    @property
    def jdbc_url(self) -> str:
        """``jdbc:postgresql://127.0.0.1:port/database`` (pass ``user`` and ``password`` separately)."""
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.database}"

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder (``PGDATA``)."""
        return Path(self.directory) / "data"

    @property
    def log_file(self) -> Path:
        """The server log."""
        return Path(self.directory) / "postgres.log"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and, when it made the folder, delete it. Safe to call twice."""
        pg_ctl = Path(self.bin_dir) / "pg_ctl"
        if (self.data_dir / "postmaster.pid").exists():
            _run([str(pg_ctl), "-D", str(self.data_dir), "stop", "-m", "fast", "-w", "-t", "60"],
                 self.os_user, cwd=self.directory, check=False)
        if self.remove_on_stop:
            shutil.rmtree(self.directory, ignore_errors=True)

    def to_json(self) -> dict[str, Any]:
        """Every field plus ``dsn`` and ``jdbc_url``."""
        return {**asdict(self), "dsn": self.dsn, "jdbc_url": self.jdbc_url}

    @property
    def pid(self) -> int | None:
        """The postmaster's pid (first line of ``postmaster.pid``), ``None`` when it is not running."""
        try:
            return int((self.data_dir / "postmaster.pid").read_text(encoding="utf-8").split()[0])
        except (OSError, ValueError, IndexError):
            return None


class PostgresServer(Service):
    """The development cluster in ``<root>/postgres``; exports ``SQLINGEST_PG_{DSN,JDBC_URL,USER,PASSWORD}``."""

    name = "postgres"
    start_timeout = 120.0

    def launch(self, *, wait: float) -> ServiceInfo:
        pg = start_postgres(self.data_dir)
        return ServiceInfo(self.name, pg.pid, pg.port, time.time(), str(pg.log_file), str(self.data_dir),
                           env={"SQLINGEST_PG_DSN": pg.dsn, "SQLINGEST_PG_JDBC_URL": pg.jdbc_url,
                                "SQLINGEST_PG_USER": pg.user, "SQLINGEST_PG_PASSWORD": pg.password})

    def halt(self, info: ServiceInfo) -> None:
        stop_postgres(self.data_dir)
        deadline = time.monotonic() + 10  # pg_ctl returns when postmaster.pid is gone, just before the exit
        while alive(info.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def is_alive(self, info: ServiceInfo) -> bool:
        return alive(info.pid) and (Path(info.data_dir) / "data" / "postmaster.pid").exists()

    def cluster(self) -> PostgresService:
        """The running cluster (started first when needed), for services that keep their data in it."""
        self.start()
        return load_postgres(self.data_dir)


def find_binaries() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``.

    Raises:
        MissingDependency: No PostgreSQL server installation was found.
    """
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates += [Path(d) for d in _SEARCH_DIRS]
    versioned = sorted(glob.glob(_VERSIONED_DIRS), key=_version_key, reverse=True)
    candidates += [Path(d) for d in versioned]
    for folder in candidates:
        initdb, pg_ctl = folder / "initdb", folder / "pg_ctl"
        if initdb.exists() and pg_ctl.exists():
            return initdb.resolve().parent  # /usr/local/bin/initdb may be a symlink into the real bin folder
    raise MissingDependency(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH, in /usr/local/bin or "
        "/usr/lib/postgresql/*/bin",
        hint="install them: apt-get install -y postgresql",
    )


def start_postgres(
    directory: Path | str | None = None,
    *,
    database: str = "sqlingest",
    user: str = "sqlingest",
    port: int | None = None,
) -> PostgresService:
    """Create (or reuse) a private cluster in ``directory`` and start it.

    When ``directory`` already holds a cluster started by this function that is still running, that one is
    returned; a stopped one is started again.

    Args:
        directory: Folder for the cluster; ``None`` makes a temporary one that :meth:`PostgresService.stop`
            deletes.
        database: Name of the database to create.
        user: Superuser role to create.
        port: TCP port; ``None`` picks a free one.

    Returns:
        The running service.

    Raises:
        MissingDependency: PostgreSQL is not installed.
        UserError: The folder cannot be used (e.g. the server user cannot reach it).
        ExecutionError: ``initdb``, the server or ``createdb`` failed (the message holds their output).
    """
    bin_dir = find_binaries()
    os_user = _server_os_user()
    remove_on_stop = directory is None
    folder = Path(tempfile.mkdtemp(prefix="sqlingest-pg-")) if directory is None else Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    _hand_over(folder, os_user)

    state = folder / STATE_FILE
    if state.exists() and (folder / "data" / "PG_VERSION").exists():
        service = PostgresService(**json.loads(state.read_text(encoding="utf-8")))
        if not _running(service):
            _start_server(service, fixed_port=port is not None or directory is not None)
        return service

    service = PostgresService(
        host=HOST,
        port=port or free_port(HOST),
        user=user,
        password=secrets.token_hex(12),
        database=database,
        directory=str(folder),
        bin_dir=str(bin_dir),
        os_user=os_user,
        remove_on_stop=remove_on_stop,
    )
    try:
        _initdb(service)
        _start_server(service, fixed_port=port is not None)
        if database != "postgres":
            _run([str(bin_dir / "createdb"), "-h", HOST, "-p", str(service.port), "-U", user, database],
                 None, cwd=str(folder))
        state.write_text(json.dumps(asdict(service), indent=2) + "\n", encoding="utf-8")
    except BaseException:
        service.stop()
        raise
    return service


def load_postgres(directory: Path | str) -> PostgresService:
    """The cluster :func:`start_postgres` made in ``directory`` (running or not).

    Raises:
        ExecutionError: There is none.
    """
    state = Path(directory) / STATE_FILE
    try:
        return PostgresService(**json.loads(state.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ExecutionError(f"no PostgreSQL cluster in {directory}: {exc}") from None


def stop_postgres(directory: Path | str) -> bool:
    """Stop the cluster in ``directory`` (started with :func:`start_postgres`); the folder is kept.

    Returns:
        Whether a cluster was found there.
    """
    if not (Path(directory) / STATE_FILE).exists():
        return False
    service = load_postgres(directory)
    service.remove_on_stop = False
    service.stop()
    return True


def create_database(service: PostgresService, name: str) -> str:
    """Create database ``name`` in a running cluster unless it exists; returns its JDBC URL."""
    bin_dir = Path(service.bin_dir)
    exists = _run([str(bin_dir / "psql"), "-h", service.host, "-p", str(service.port), "-U", service.user, "-d",
                   service.database, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                  None, cwd=service.directory, check=False)
    if exists.stdout.strip() != "1":
        _run([str(bin_dir / "createdb"), "-h", service.host, "-p", str(service.port), "-U", service.user, name],
             None, cwd=service.directory)
    return f"jdbc:postgresql://{service.host}:{service.port}/{name}"


# --------------------------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------------------------


def _version_key(path: str) -> tuple[int, ...]:
    parts = Path(path).parent.name.split(".")
    return tuple(int(p) for p in parts if p.isdigit())


def _server_os_user() -> str | None:
    """``None`` when not root; otherwise a non-root user to run the server as."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("SQLINGEST_PG_OS_USER"), "postgres", "nobody"):
        if not name:
            continue
        try:
            if pwd.getpwnam(name).pw_uid != 0:
                return name
        except KeyError:
            continue
    raise UserError("running as root, and there is no non-root user to run PostgreSQL as",
                    hint="create one (useradd postgres) or set SQLINGEST_PG_OS_USER")


def _hand_over(folder: Path, os_user: str | None) -> None:
    """Make ``folder`` private to the server user, after checking that user can reach it."""
    if os_user is None:
        folder.chmod(0o700)
        return
    entry = pwd.getpwnam(os_user)
    groups = {entry.pw_gid, *(g for g in os.getgrouplist(os_user, entry.pw_gid))}
    for parent in folder.parents:
        st = parent.stat()
        reachable = (st.st_mode & 0o001 or (st.st_uid == entry.pw_uid and st.st_mode & 0o100)
                     or (st.st_gid in groups and st.st_mode & 0o010))
        if not reachable:
            raise UserError(f"PostgreSQL runs as '{os_user}', who cannot enter {parent}",
                            hint="put the cluster folder under /tmp, or make its parents world-executable")
    os.chown(folder, entry.pw_uid, entry.pw_gid)
    folder.chmod(0o700)


def _initdb(service: PostgresService) -> None:
    folder = Path(service.directory)
    pwfile = folder / "pwfile"
    pwfile.write_text(service.password + "\n", encoding="utf-8")
    try:
        if service.os_user is not None:
            entry = pwd.getpwnam(service.os_user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        _run([str(Path(service.bin_dir) / "initdb"), "-D", str(service.data_dir), "-U", service.user,
              "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", f"--pwfile={pwfile}"],
             service.os_user, cwd=str(folder))
    finally:
        pwfile.unlink(missing_ok=True)


def _start_server(service: PostgresService, *, fixed_port: bool) -> None:
    pg_ctl = str(Path(service.bin_dir) / "pg_ctl")
    for attempt in range(1, _START_ATTEMPTS + 1):
        options = (f"-c listen_addresses={service.host} -c port={service.port} -c unix_socket_directories='' "
                   "-c fsync=off -c full_page_writes=off -c max_connections=100 -c shared_buffers=32MB")
        result = _run([pg_ctl, "-D", str(service.data_dir), "-l", str(service.log_file), "-w", "-t", "60",
                       "-o", options, "start"], service.os_user, cwd=service.directory, check=False)
        if result.returncode == 0:
            return
        log = tail(service.log_file, 20)
        if fixed_port or attempt == _START_ATTEMPTS or "could not bind" not in log:
            raise ExecutionError(f"PostgreSQL did not start (pg_ctl exit {result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}\n{log}")
        service.port = free_port(service.host)  # another process took the port in between: try another


def _running(service: PostgresService) -> bool:
    result = _run([str(Path(service.bin_dir) / "pg_ctl"), "-D", str(service.data_dir), "status"],
                  service.os_user, cwd=service.directory, check=False)
    return result.returncode == 0


def _run(cmd: Sequence[str], os_user: str | None, *, cwd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool, as ``os_user`` when given (requires root), with output captured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    kwargs: dict[str, Any] = {}
    if os_user is not None:
        entry = pwd.getpwnam(os_user)
        kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        env["HOME"] = cwd
    result = subprocess.run(list(cmd), cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=180, check=False, **kwargs)
    if check and result.returncode != 0:
        raise ExecutionError(f"{Path(cmd[0]).name} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sqlingest.services.postgres start|stop --dir D``; exit 0 on success, 2 on a user error."""
    return standalone_main(
        argv, prog="python -m sqlingest.services.postgres",
        description="a private PostgreSQL cluster for development and tests",
        dir_help="folder holding the cluster (created when missing)", jdbc_help=None,
        extra=[("--database", "sqlingest")], nothing="cluster", stop=stop_postgres, shown=lambda s: s.dsn,
        start=lambda a: start_postgres(a.dir, database=a.database, port=a.port))


if __name__ == "__main__":
    sys.exit(main())
