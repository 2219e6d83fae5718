"""A private Nessie server for tests and ``make services``.

The server is Nessie's runnable Quarkus jar (``org.projectnessie.nessie:nessie-quarkus:<ver>:runner``), fetched
once from Maven Central with ``mvn dependency:copy`` into ``~/.cache/sqlingest/services/nessie-<ver>/`` (or
``$SQLINGEST_NESSIE_JAR``), and run with ``java -jar`` (Java 21+, see :func:`find_java`) on 127.0.0.1 on free
ports (HTTP and Quarkus management).
The version store is in memory by default, or ``JDBC2`` on PostgreSQL. Start-up is complete when
``/api/v2/config`` answers.

Spark reaches it through Iceberg's NessieCatalog (catalog ``iceberg_nessie``): ``type=nessie``,
``uri=http://127.0.0.1:PORT/api/v2``, ``ref=main``, ``warehouse=file:///…``.

:class:`NessieServer` is the server of ``python -m sqlingest.services start nessie`` (JDBC2 on a ``nessie``
database of the development PostgreSQL). Command line for one folder::

    python -m sqlingest.services.nessie start --dir .services/nessie [--jdbc-url jdbc:postgresql://… --user U]
    python -m sqlingest.services.nessie stop --dir .services/nessie
"""

from __future__ import annotations

import os
import re
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
from sqlingest.services import base as proc
from sqlingest.services import free_port
from sqlingest.services.base import HOST, Service, ServiceInfo

__all__ = ["NESSIE_VERSION", "NessieServer", "NessieService", "ensure_server_jar", "main", "start_nessie",
           "stop_nessie"]

#: the newest nessie-quarkus runner on Maven Central at the time of writing (Java 17+)
NESSIE_VERSION = "0.99.0"
START_TIMEOUT = 120.0
#: nessie-quarkus 0.99 is compiled for Java 21 (class file 65)
MIN_JAVA = 21


def _java_major(java: str) -> int:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False).stderr
    except OSError:
        return 0
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java(minimum: int = MIN_JAVA) -> str:
    """A ``java`` of at least version ``minimum``: ``$SQLINGEST_NESSIE_JAVA``, ``$JAVA_HOME``, ``PATH``, then the
    newest under ``/usr/lib/jvm``.

    Raises:
        MissingDependency: None found.
    """
    candidates = [os.environ.get("SQLINGEST_NESSIE_JAVA")]
    if os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    candidates.append(shutil.which("java"))
    candidates += [str(p) for p in Path("/usr/lib/jvm").glob("*/bin/java")]
    found = [(major, c) for c in dict.fromkeys(c for c in candidates if c and Path(c).exists())
             if (major := _java_major(c)) >= minimum]
    if not found:
        raise MissingDependency(f"the Nessie server needs Java {minimum}+, and none was found",
                                hint="install one (e.g. openjdk-21-jre-headless) or set SQLINGEST_NESSIE_JAVA")
    if os.environ.get("SQLINGEST_NESSIE_JAVA") in {c for _, c in found}:
        return os.environ["SQLINGEST_NESSIE_JAVA"]
    return max(found)[1]


@dataclass
class NessieService:
    """A running Nessie server.

    Attributes:
        host: Always ``127.0.0.1``.
        port: The HTTP port of the REST API.
        management_port: Quarkus' management port (health, metrics).
        directory: Folder holding the log and ``service.json``.
        store: ``IN_MEMORY`` or ``JDBC2``.
        pid: The JVM's process id.
        remove_on_stop: Whether :meth:`stop` deletes ``directory``.
    """

    host: str
    port: int
    management_port: int
    directory: str
    store: str
    version: str = NESSIE_VERSION
    pid: int | None = None
    remove_on_stop: bool = field(default=False)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_v2(self) -> str:
        """``http://127.0.0.1:PORT/api/v2`` — the ``uri`` Iceberg's NessieCatalog takes."""
        return f"{self.url}/api/v2"

    @property
    def log_file(self) -> Path:
        return Path(self.directory) / "nessie.log"

    def running(self) -> bool:
        return proc.alive(self.pid) and proc.http_ok(f"{self.api_v2}/config")

    def stop(self) -> None:
        """Stop the JVM and, when :func:`start_nessie` made the folder, delete it. Safe to call twice."""
        proc.terminate(self.pid)
        self.pid = None
        if self.remove_on_stop:
            shutil.rmtree(self.directory, ignore_errors=True)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "url": self.url, "api_v2": self.api_v2}


def ensure_server_jar(version: str = NESSIE_VERSION) -> Path:
    """The Nessie server runner jar (``$SQLINGEST_NESSIE_JAR``, else fetched with :func:`sqlingest.jvm.fetch` into
    ``~/.cache/sqlingest/services/nessie-<version>/`` the first time).

    Raises:
        MissingDependency: Maven is missing and no jar is cached.
        ExecutionError: Maven could not resolve it.
    """
    from sqlingest.jvm import cache_dir, fetch

    explicit = os.environ.get("SQLINGEST_NESSIE_JAR")
    if explicit:
        return Path(explicit)
    folder = cache_dir() / "services" / f"nessie-{version}"
    jar = folder / f"nessie-quarkus-{version}-runner.jar"
    if jar.exists():  # also a jar fetched before the fetch() marker existed
        return jar
    fetch(folder, [f"org.projectnessie.nessie:nessie-quarkus:{version}:runner"], transitive=False,
          what=f"the Nessie server {version}",
          hint="apt-get install -y maven, or set SQLINGEST_NESSIE_JAR to a runner jar")
    if not jar.exists():
        raise ExecutionError(f"Maven did not leave {jar.name} in {folder}")
    return jar


def start_nessie(
    directory: Path | str | None = None,
    *,
    port: int | None = None,
    jdbc_url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    version: str = NESSIE_VERSION,
    heap: str = "384m",
    timeout: float = START_TIMEOUT,
) -> NessieService:
    """Start a Nessie server (or return the one already running from ``directory``).

    Args:
        directory: Folder for the log and state; ``None`` makes a temporary one that :meth:`NessieService.stop`
            deletes.
        port: HTTP port; ``None`` picks a free one.
        jdbc_url: ``jdbc:postgresql://…`` for a persistent ``JDBC2`` version store; ``None`` = in memory.
        user: Database user.
        password: Database password.
        version: nessie-quarkus version.
        heap: The JVM's maximum heap.
        timeout: Seconds to wait until the API answers.

    Raises:
        MissingDependency: Java or Maven is missing.
        ExecutionError: The server did not start (the message holds its log's tail).
    """
    java = find_java(MIN_JAVA)
    remove_on_stop = directory is None
    folder = Path(tempfile.mkdtemp(prefix="sqlingest-nessie-")) if directory is None else Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    state = proc.read_state(folder)
    if state:
        service = NessieService(**state)
        if service.running():
            return service
    jar = ensure_server_jar(version)

    service = NessieService(host=HOST, port=port or free_port(HOST), management_port=free_port(HOST),
                            directory=str(folder), store="JDBC2" if jdbc_url else "IN_MEMORY", version=version,
                            remove_on_stop=remove_on_stop)
    props = {
        "quarkus.http.host": HOST,
        "quarkus.http.port": str(service.port),
        "quarkus.management.host": HOST,
        "quarkus.management.port": str(service.management_port),
        "quarkus.otel.sdk.disabled": "true",
        "quarkus.log.console.level": "WARN",
        "quarkus.log.file.enable": "false",
        "nessie.version.store.type": service.store,
    }
    if jdbc_url:
        if not jdbc_url.startswith("jdbc:postgresql:"):
            raise UserError(f"Nessie's JDBC store '{jdbc_url}' must be a jdbc:postgresql: URL")
        props.update({
            "nessie.version.store.persist.jdbc.datasource": "postgresql",
            "quarkus.datasource.postgresql.jdbc.url": jdbc_url,
            "quarkus.datasource.postgresql.username": user or "",
            "quarkus.datasource.postgresql.password": password or "",
        })
    cmd = [java, f"-Xmx{heap}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
           *(f"-D{k}={v}" for k, v in props.items()), "-jar", str(jar)]
    try:
        popen = proc.spawn(cmd, cwd=folder, log_file=service.log_file)
        service.pid = popen.pid
        proc.wait_until(lambda: proc.http_ok(f"{service.api_v2}/config"), pid=popen.pid, what="Nessie",
                        log_file=service.log_file, timeout=timeout)
        proc.write_state(folder, asdict(service))
    except BaseException:
        service.stop()
        raise
    return service


def stop_nessie(directory: Path | str) -> bool:
    """Stop the server started from ``directory`` (the folder is kept). Returns whether one was found."""
    state = proc.read_state(Path(directory))
    if not state:
        return False
    service = NessieService(**{**state, "remove_on_stop": False})
    service.stop()
    proc.write_state(Path(directory), asdict(service))
    return True


class NessieServer(Service):
    """The development server in ``<root>/nessie``, its JDBC2 version store on PostgreSQL database ``nessie``;
    exports ``SQLINGEST_NESSIE_URI`` (the ``/api/v2`` endpoint)."""

    name = "nessie"
    requires = ("postgres",)
    start_timeout = START_TIMEOUT

    def launch(self, *, wait: float) -> ServiceInfo:
        from sqlingest.services.postgres import PostgresServer, create_database

        pg = PostgresServer(self.state_dir, self.root).cluster()
        nessie = start_nessie(self.data_dir, jdbc_url=create_database(pg, "nessie"), user=pg.user,
                              password=pg.password, timeout=wait)
        return ServiceInfo(self.name, nessie.pid, nessie.port, time.time(), str(nessie.log_file),
                           str(self.data_dir), env={"SQLINGEST_NESSIE_URI": nessie.api_v2})

    def halt(self, info: ServiceInfo) -> None:
        stop_nessie(self.data_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sqlingest.services.nessie start|stop --dir D``."""
    return proc.standalone_main(
        argv, prog="python -m sqlingest.services.nessie",
        description="a private Nessie server (in memory, or JDBC2 on PostgreSQL)",
        dir_help="folder for the log and state", jdbc_help="jdbc:postgresql://… version store (default: in memory)",
        extra=[("--version", NESSIE_VERSION)], nothing="Nessie server", stop=stop_nessie, shown=lambda s: s.api_v2,
        start=lambda a: start_nessie(a.dir, port=a.port, jdbc_url=a.jdbc_url, user=a.user, password=a.password,
                                     version=a.version))


if __name__ == "__main__":
    sys.exit(main())
