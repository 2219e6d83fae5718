"""A standalone Hive Metastore 2.3 (Thrift) service from the jars pyspark already ships, for tests and
``make services``.

:func:`start_hive_metastore` writes a ``hive-site.xml`` into a folder (Derby database in that folder by default,
or a PostgreSQL database given by JDBC URL), then runs::

    java -cp <folder>/conf:<pyspark>/jars/*[:postgresql.jar] org.apache.hadoop.hive.metastore.HiveMetaStore -p PORT

on 127.0.0.1 and waits until the port answers. The schema is created by DataNucleus on first use
(``datanucleus.schema.autoCreateAll``); ``hive.async.log.enabled=false`` avoids the missing LMAX disruptor.

Spark reaches it with ``spark.hadoop.hive.metastore.uris=thrift://127.0.0.1:PORT`` (catalog ``hive`` with
``uris:``), Iceberg with ``type=hive, uri=thrift://…`` (catalog ``iceberg_hive``).

:class:`HiveMetastoreServer` is the metastore of ``python -m sqlingest.services start hive-metastore`` (on a
``metastore`` database of the development PostgreSQL). Command line for one folder::

    python -m sqlingest.services.hive_metastore start --dir .services/hms [--jdbc-url jdbc:postgresql://… --user U]
    python -m sqlingest.services.hive_metastore stop --dir .services/hms
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlingest.errors import MissingDependency, UserError
from sqlingest.services import base as proc
from sqlingest.services import free_port
from sqlingest.services.base import HOST, Service, ServiceInfo

__all__ = ["HiveMetastoreServer", "HiveMetastoreService", "main", "start_hive_metastore", "stop_hive_metastore"]

MAIN_CLASS = "org.apache.hadoop.hive.metastore.HiveMetaStore"
#: what Spark itself passes to its JVM on Java 17 (Hive/DataNucleus reflect into these packages)
JAVA17_OPENS = [f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in (
    "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
    "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch", "sun.nio.cs", "sun.security.action",
    "sun.util.calendar")]
START_TIMEOUT = 180.0
#: warnings and errors to the service log (Hive's default configuration logs nothing useful to the console)
LOG4J2 = """status = WARN
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %-5p %c{1}: %m%n
rootLogger.level = WARN
rootLogger.appenderRef.console.ref = console
logger.datanucleus.name = DataNucleus
logger.datanucleus.level = ERROR
"""


@dataclass
class HiveMetastoreService:
    """A running metastore.

    Attributes:
        host: Always ``127.0.0.1``.
        port: The Thrift port.
        directory: Folder holding ``conf/hive-site.xml``, the log, the Derby database and ``service.json``.
        warehouse: The default warehouse URI (``file:///…``) for managed tables.
        backend: ``derby`` or ``postgresql``.
        pid: The JVM's process id.
        remove_on_stop: Whether :meth:`stop` deletes ``directory``.
    """

    host: str
    port: int
    directory: str
    warehouse: str
    backend: str
    pid: int | None = None
    remove_on_stop: bool = field(default=False)

    @property
    def uri(self) -> str:
        """``thrift://127.0.0.1:PORT``."""
        return f"thrift://{self.host}:{self.port}"

    @property
    def log_file(self) -> Path:
        return Path(self.directory) / "metastore.log"

    def running(self) -> bool:
        return proc.alive(self.pid) and proc.port_open(self.host, self.port)

    def stop(self) -> None:
        """Stop the JVM and, when :func:`start_hive_metastore` made the folder, delete it. Safe to call twice."""
        proc.terminate(self.pid)
        self.pid = None
        if self.remove_on_stop:
            shutil.rmtree(self.directory, ignore_errors=True)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "uri": self.uri}


def pyspark_jars() -> Path:
    """``<pyspark>/jars`` (Hive 2.3 metastore, Derby, DataNucleus)."""
    try:
        import pyspark
    except ModuleNotFoundError:
        raise MissingDependency("the Hive Metastore service runs from pyspark's jars, and pyspark is not installed",
                                hint="pip install pyspark") from None
    folder = Path(pyspark.__file__).parent / "jars"
    if not list(folder.glob("hive-metastore-*.jar")):
        raise MissingDependency(f"no hive-metastore jar in {folder}")
    return folder


def _postgres_driver() -> Path:
    from sqlingest.jvm import ensure_jars

    for jar in ensure_jars():
        if jar.name.startswith("postgresql-"):
            return jar
    raise MissingDependency("no PostgreSQL JDBC driver among sqlingest's JVM jars (sqlingest/jvm/pom.xml)")


def hive_site(properties: dict[str, str]) -> str:
    body = "".join(f"  <property><name>{escape(k)}</name><value>{escape(v)}</value></property>\n"
                   for k, v in properties.items())
    return f'<?xml version="1.0"?>\n<configuration>\n{body}</configuration>\n'


def start_hive_metastore(
    directory: Path | str | None = None,
    *,
    port: int | None = None,
    jdbc_url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    warehouse: str | None = None,
    heap: str = "384m",
    timeout: float = START_TIMEOUT,
) -> HiveMetastoreService:
    """Start a metastore (or return the one already running from ``directory``).

    Args:
        directory: Folder for configuration, log and Derby database; ``None`` makes a temporary one that
            :meth:`HiveMetastoreService.stop` deletes.
        port: Thrift port; ``None`` picks a free one.
        jdbc_url: A ``jdbc:postgresql://…`` database for the metastore's own tables; ``None`` = Derby in
            ``directory``.
        user: Database user (PostgreSQL).
        password: Database password (PostgreSQL).
        warehouse: Default location of managed tables (path or URI); default ``<directory>/warehouse``.
        heap: The JVM's maximum heap.
        timeout: Seconds to wait until the port answers.

    Raises:
        MissingDependency: pyspark or Java is missing.
        ExecutionError: The metastore did not start (the message holds its log's tail).
    """
    java = shutil.which("java")
    if java is None:
        raise MissingDependency("java not found on PATH", hint="install a Java 17 runtime")
    remove_on_stop = directory is None
    folder = Path(tempfile.mkdtemp(prefix="sqlingest-hms-")) if directory is None else Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)

    state = proc.read_state(folder)
    if state:
        service = HiveMetastoreService(**state)
        if service.running():
            return service

    wh = warehouse or str(folder / "warehouse")
    if "://" not in wh:
        Path(wh).mkdir(parents=True, exist_ok=True)
        wh = Path(wh).resolve().as_uri()
    props = {
        "hive.metastore.warehouse.dir": wh,
        "datanucleus.schema.autoCreateAll": "true",
        "hive.metastore.schema.verification": "false",
        "hive.async.log.enabled": "false",
        "hive.metastore.event.db.notification.api.auth": "false",
        # Iceberg's HiveCatalog mirrors the schema into the metastore: a column added before existing ones
        # (e.g. ahead of audit columns) is a compatible Iceberg change that Hive 2.3 would refuse
        "hive.metastore.disallow.incompatible.col.type.changes": "false",
    }
    classpath = [str(folder / "conf"), str(pyspark_jars() / "*")]
    if jdbc_url:
        if not jdbc_url.startswith("jdbc:postgresql:"):
            raise UserError(f"metastore database '{jdbc_url}' must be a jdbc:postgresql: URL (or none for Derby)")
        props.update({"javax.jdo.option.ConnectionURL": jdbc_url,
                      "javax.jdo.option.ConnectionDriverName": "org.postgresql.Driver",
                      "javax.jdo.option.ConnectionUserName": user or "",
                      "javax.jdo.option.ConnectionPassword": password or "",
                      "datanucleus.rdbms.initializeColumnInfo": "NONE",
                      # DataNucleus adds foreign keys lazily, on a second connection, while the first still holds
                      # a row lock on the referenced table: on PostgreSQL that waits forever (first CREATE TABLE)
                      # (autoCreateAll implies constraints: create tables and columns only)
                      "datanucleus.schema.autoCreateAll": "false",
                      "datanucleus.schema.autoCreateTables": "true",
                      "datanucleus.schema.autoCreateColumns": "true",
                      "datanucleus.schema.autoCreateConstraints": "false"})
        classpath.append(str(_postgres_driver()))
        backend = "postgresql"
    else:
        props.update({"javax.jdo.option.ConnectionURL":
                      f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
                      "javax.jdo.option.ConnectionDriverName": "org.apache.derby.jdbc.EmbeddedDriver"})
        backend = "derby"
    (folder / "conf").mkdir(exist_ok=True)
    (folder / "conf" / "hive-site.xml").write_text(hive_site(props), encoding="utf-8")
    (folder / "conf" / "hive-log4j2.properties").write_text(LOG4J2, encoding="utf-8")

    service = HiveMetastoreService(host=HOST, port=port or free_port(HOST), directory=str(folder), warehouse=wh,
                                   backend=backend, remove_on_stop=remove_on_stop)
    cmd = [java, f"-Xmx{heap}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", *JAVA17_OPENS,
           f"-Dderby.system.home={folder}", "-Djava.net.preferIPv4Stack=true",
           "-cp", ":".join(classpath), MAIN_CLASS, "-p", str(service.port)]
    try:
        popen = proc.spawn(cmd, cwd=folder, log_file=service.log_file,
                           env={"HADOOP_USER_NAME": "sqlingest", "HIVE_CONF_DIR": str(folder / "conf")})
        service.pid = popen.pid
        proc.wait_until(lambda: proc.port_open(HOST, service.port), pid=popen.pid,
                        what="Hive Metastore", log_file=service.log_file, timeout=timeout)
        proc.write_state(folder, asdict(service))
    except BaseException:
        service.stop()
        raise
    return service


def stop_hive_metastore(directory: Path | str) -> bool:
    """Stop the metastore started from ``directory`` (the folder is kept). Returns whether one was found."""
    state = proc.read_state(Path(directory))
    if not state:
        return False
    service = HiveMetastoreService(**{**state, "remove_on_stop": False})
    service.stop()
    proc.write_state(Path(directory), asdict(service))
    return True


class HiveMetastoreServer(Service):
    """The development metastore in ``<root>/hive-metastore`` on PostgreSQL database ``metastore``, warehouse
    ``<root>/hive-warehouse``; exports ``SQLINGEST_HMS_URI`` and ``SQLINGEST_HMS_WAREHOUSE``."""

    name = "hive-metastore"
    requires = ("postgres",)
    start_timeout = START_TIMEOUT

    def launch(self, *, wait: float) -> ServiceInfo:
        from sqlingest.services.postgres import PostgresServer, create_database

        pg = PostgresServer(self.state_dir, self.root).cluster()
        hms = start_hive_metastore(self.data_dir, jdbc_url=create_database(pg, "metastore"), user=pg.user,
                                   password=pg.password, warehouse=str(self.root / "hive-warehouse"),
                                   timeout=wait)
        return ServiceInfo(self.name, hms.pid, hms.port, time.time(), str(hms.log_file), str(self.data_dir),
                           env={"SQLINGEST_HMS_URI": hms.uri, "SQLINGEST_HMS_WAREHOUSE": hms.warehouse})

    def halt(self, info: ServiceInfo) -> None:
        stop_hive_metastore(self.data_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sqlingest.services.hive_metastore start|stop --dir D``."""
    return proc.standalone_main(
        argv, prog="python -m sqlingest.services.hive_metastore",
        description="a standalone Hive Metastore 2.3 (Thrift) service",
        dir_help="folder for configuration, log and Derby database", jdbc_help="jdbc:postgresql://… backend (default: Derby)",
        extra=[("--warehouse", None)], nothing="metastore", stop=stop_hive_metastore, shown=lambda s: s.uri,
        start=lambda a: start_hive_metastore(a.dir, port=a.port, jdbc_url=a.jdbc_url, user=a.user,
                                             password=a.password, warehouse=a.warehouse))


if __name__ == "__main__":
    sys.exit(main())
