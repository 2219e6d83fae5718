"""A Spark standalone cluster and a Spark Connect server on loopback, from the pinned pyspark's own Spark.

Both run the classes of the Spark that the installed ``pyspark`` wheel ships (``<pyspark>/bin/spark-class`` and
``spark-submit``; no separate Spark download), each JVM in its own process group, listening on 127.0.0.1 on free
ports:

- :func:`start_cluster` — one ``org.apache.spark.deploy.master.Master`` and ``workers`` (default 2)
  ``org.apache.spark.deploy.worker.Worker`` processes, each worker offering ``cores`` (default 1) and ``memory``
  (default ``1g``) with its own work folder (``<dir>/worker-N``). Ready when the master's ``/json/`` page lists every
  worker ``ALIVE``. The master URL is ``spark://127.0.0.1:PORT``.
- :func:`start_connect` — ``org.apache.spark.sql.connect.service.SparkConnectServer`` through ``spark-submit``,
  with the ``spark-connect_2.12`` jar of the pinned Spark (:func:`connect_jars`) and sqlingest's session jars
  (Iceberg, Delta, JDBC drivers) and static configuration (the SQL extensions), its own Spark running
  ``local[2]`` by default. Ready when its gRPC port accepts connections. The client URL is ``sc://127.0.0.1:PORT``.

:class:`SparkClusterServer` (``spark-cluster``; exports ``SQLINGEST_SPARK_CLUSTER``) and
:class:`SparkConnectServer` (``spark-connect``; exports ``SQLINGEST_SPARK_REMOTE``) are the services of
``python -m sqlingest.services start spark-cluster spark-connect`` (the demo's ``cluster`` and ``connect`` targets
read those variables). See docs/cluster.md.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlingest.errors import ExecutionError
from sqlingest.services import base as proc
from sqlingest.services import free_port
from sqlingest.services.base import HOST, Service, ServiceInfo

__all__ = ["CONNECT_ARTIFACT", "SparkCluster", "SparkClusterServer", "SparkConnect", "SparkConnectServer",
           "connect_jars", "spark_home", "start_cluster", "start_connect", "stop_cluster", "stop_connect"]

START_TIMEOUT = 120.0
#: the JVM heap of the master and worker daemons themselves (executors get the worker's ``memory``)
DAEMON_MEMORY = "256m"
CONNECT_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def spark_home() -> Path:
    """The Spark of the installed pyspark wheel (``bin/spark-class``, ``bin/spark-submit``, ``jars/``)."""
    import pyspark

    return Path(pyspark.__file__).parent


def spark_version() -> str:
    import pyspark

    return str(pyspark.__version__)


#: the Spark Connect server plugin of the pinned Spark (its dependencies are shaded into it)
CONNECT_ARTIFACT = "org.apache.spark:spark-connect_2.12:{version}"


def connect_jars() -> list[Path]:
    """The Spark Connect server's jar for the pinned Spark, fetched once into
    ``~/.cache/sqlingest/jars/connect-<spark version>`` (see :func:`sqlingest.jvm.fetch`)."""
    from sqlingest.jvm import cache_dir, fetch

    version = spark_version()
    return fetch(cache_dir() / "jars" / f"connect-{version}", [CONNECT_ARTIFACT.format(version=version)],
                 transitive=False, what=f"the Spark Connect server {version}")


def _env() -> dict[str, str]:
    """Spark's launch scripts with the wheel's Spark, bound to loopback, small daemons."""
    home = spark_home()
    return {"SPARK_HOME": str(home), "SPARK_LOCAL_IP": HOST, "SPARK_MASTER_HOST": HOST,
            "SPARK_DAEMON_MEMORY": DAEMON_MEMORY, "SPARK_NO_DAEMONIZE": "1",
            "SPARK_DAEMON_JAVA_OPTS": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
            # executors' Python workers: the driver's own interpreter (pyspark importable), see docs/cluster.md
            "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
            # nothing of sqlingest on the executors' Python path: a build must not need it there (docs/cluster.md)
            "PYTHONPATH": ""}


def _master_json(webui_port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{webui_port}/json/", timeout=2) as resp:
            data: dict[str, Any] = json.loads(resp.read())
            return data
    except (OSError, ValueError):
        return None


@dataclass
class SparkCluster:
    """A running standalone cluster.

    Attributes:
        port: The master's RPC port (``spark://127.0.0.1:PORT``).
        webui_port: The master's web UI (``/json/`` lists the workers).
        directory: Folder of the logs, the workers' work folders and ``service.json``.
        pid: The master JVM.
        workers: The worker JVMs.
        cores: Cores each worker offers.
        memory: Memory each worker offers to executors.
    """

    port: int
    webui_port: int
    directory: str
    pid: int | None = None
    workers: list[int] = field(default_factory=list)
    cores: int = 1
    memory: str = "1g"
    host: str = HOST

    @property
    def url(self) -> str:
        return f"spark://{self.host}:{self.port}"

    def alive_workers(self) -> int:
        data = _master_json(self.webui_port)
        if data is None:
            return -1
        return sum(1 for w in data.get("workers", []) if w.get("state") == "ALIVE")

    def running(self) -> bool:
        return proc.alive(self.pid) and self.alive_workers() == len(self.workers)

    def stop(self) -> None:
        """Workers first, then the master. Safe to call twice."""
        for pid in self.workers:
            proc.terminate(pid, grace=10)
        proc.terminate(self.pid, grace=10)
        self.pid, self.workers = None, []

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "url": self.url}


def start_cluster(directory: Path | str, *, workers: int = 2, cores: int = 1, memory: str = "1g",
                  timeout: float = START_TIMEOUT) -> SparkCluster:
    """Start a master and ``workers`` workers (or return the cluster already running from ``directory``).

    Raises:
        ExecutionError: A process exited or the workers did not register in time (with the log's tail).
    """
    folder = Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    state = proc.read_state(folder)
    if state:
        found = SparkCluster(**state)
        if found.running():
            return found
        found.stop()
    spark_class = str(spark_home() / "bin" / "spark-class")
    cluster = SparkCluster(port=free_port(HOST), webui_port=free_port(HOST), directory=str(folder), cores=cores,
                           memory=memory)
    env = _env()
    try:
        log = folder / "master.log"
        popen = proc.spawn([spark_class, "org.apache.spark.deploy.master.Master", "--host", HOST,
                            "--port", str(cluster.port), "--webui-port", str(cluster.webui_port)],
                           cwd=folder, log_file=log, env=env)
        cluster.pid = popen.pid
        # the workers start at once: they retry registering until the master listens
        for n in range(1, workers + 1):
            work = folder / f"worker-{n}"
            work.mkdir(exist_ok=True)
            wlog = folder / f"worker-{n}.log"
            worker = proc.spawn([spark_class, "org.apache.spark.deploy.worker.Worker", "--host", HOST,
                                 "--port", str(free_port(HOST)), "--webui-port", str(free_port(HOST)),
                                 "--cores", str(cores), "--memory", memory, "--work-dir", str(work), cluster.url],
                                cwd=work, log_file=wlog, env=env)
            cluster.workers.append(worker.pid)
        deadline = time.monotonic() + timeout
        while cluster.alive_workers() < workers:
            if not proc.alive(cluster.pid):
                raise ExecutionError(f"the Spark master exited during start-up:\n{proc.tail(log)}")
            dead = [p for p in cluster.workers if not proc.alive(p)]
            if dead or time.monotonic() > deadline:
                n = cluster.workers.index(dead[0]) + 1 if dead else 1
                why = "exited during start-up" if dead else f"did not register within {timeout:.0f}s"
                raise ExecutionError(f"Spark worker {n} {why}:\n{proc.tail(folder / f'worker-{n}.log')}")
            time.sleep(0.3)
        proc.write_state(folder, asdict(cluster))
    except BaseException:
        cluster.stop()
        raise
    return cluster


def stop_cluster(directory: Path | str) -> bool:
    """Stop the cluster started from ``directory`` (the folder is kept). Returns whether one was found."""
    state = proc.read_state(Path(directory))
    if not state:
        return False
    cluster = SparkCluster(**state)
    cluster.stop()
    (Path(directory) / proc.STATE_FILE).unlink(missing_ok=True)
    return True


@dataclass
class SparkConnect:
    """A running Spark Connect server.

    Attributes:
        port: The gRPC port (``sc://127.0.0.1:PORT``).
        directory: Folder of the log and ``service.json``.
        master: The server's own Spark master.
        pid: The server JVM.
    """

    port: int
    directory: str
    master: str
    pid: int | None = None
    host: str = HOST

    @property
    def url(self) -> str:
        return f"sc://{self.host}:{self.port}"

    def running(self) -> bool:
        return proc.alive(self.pid) and proc.port_open(self.host, self.port)

    def stop(self) -> None:
        proc.terminate(self.pid, grace=15)
        self.pid = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "url": self.url}


def start_connect(directory: Path | str, *, master: str = "local[2]", port: int | None = None,
                  driver_memory: str = "1g", conf: dict[str, str] | None = None,
                  timeout: float = START_TIMEOUT) -> SparkConnect:
    """Start a Spark Connect server (or return the one already running from ``directory``) with sqlingest's jars
    and static SQL configuration (:func:`sqlingest.execute.session.server_conf`); ``conf`` is added to it.

    Raises:
        MissingDependency: Maven is missing and the jars are not cached.
        ExecutionError: The server exited or did not listen in time (with the log's tail).
    """
    from sqlingest.execute.session import server_conf

    folder = Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    state = proc.read_state(folder)
    if state:
        found = SparkConnect(**state)
        if found.running():
            return found
        found.stop()
    server = SparkConnect(port=port or free_port(HOST), directory=str(folder), master=master)
    settings = {**server_conf(connect_jars()), "spark.connect.grpc.binding.port": str(server.port),
                "spark.connect.grpc.binding.address": HOST, "spark.driver.host": HOST, "spark.driver.bindAddress": HOST,
                "spark.ui.enabled": "false",
                "spark.sql.warehouse.dir": str(folder / "spark-warehouse"), **(conf or {})}
    cmd = [str(spark_home() / "bin" / "spark-submit"), "--class", CONNECT_CLASS, "--name", "sqlingest-connect",
           "--master", master, "--driver-memory", driver_memory, *(a for k, v in settings.items() for a in ("--conf", f"{k}={v}"))]
    log = folder / "connect.log"
    try:
        popen = proc.spawn(cmd, cwd=folder, log_file=log, env={**_env(), "SPARK_DAEMON_MEMORY": driver_memory})
        server.pid = popen.pid
        proc.wait_until(server.running, pid=popen.pid, what="the Spark Connect server", log_file=log,
                        timeout=timeout)
        proc.write_state(folder, asdict(server))
    except BaseException:
        server.stop()
        raise
    return server


def stop_connect(directory: Path | str) -> bool:
    """Stop the Connect server started from ``directory``. Returns whether one was found."""
    state = proc.read_state(Path(directory))
    if not state:
        return False
    SparkConnect(**state).stop()
    (Path(directory) / proc.STATE_FILE).unlink(missing_ok=True)
    return True


class SparkClusterServer(Service):
    """The development cluster in ``<root>/spark-cluster``: a master and two one-core workers; exports
    ``SQLINGEST_SPARK_CLUSTER`` (``spark://127.0.0.1:PORT``)."""

    name = "spark-cluster"
    on_demand = True
    start_timeout = START_TIMEOUT

    def launch(self, *, wait: float) -> ServiceInfo:
        cluster = start_cluster(self.data_dir, timeout=wait)
        return ServiceInfo(self.name, cluster.pid, cluster.port, time.time(), str(self.data_dir / "master.log"),
                           str(self.data_dir), env={"SQLINGEST_SPARK_CLUSTER": cluster.url},
                           extra={"workers": cluster.workers, "webui_port": cluster.webui_port})

    def halt(self, info: ServiceInfo) -> None:
        stop_cluster(self.data_dir)


class SparkConnectServer(Service):
    """The development Connect server in ``<root>/spark-connect`` (its own ``local[2]`` Spark); exports
    ``SQLINGEST_SPARK_REMOTE`` (``sc://127.0.0.1:PORT``)."""

    name = "spark-connect"
    on_demand = True
    start_timeout = START_TIMEOUT

    def launch(self, *, wait: float) -> ServiceInfo:
        server = start_connect(self.data_dir, timeout=wait)
        return ServiceInfo(self.name, server.pid, server.port, time.time(), str(self.data_dir / "connect.log"),
                           str(self.data_dir), env={"SQLINGEST_SPARK_REMOTE": server.url})

    def halt(self, info: ServiceInfo) -> None:
        stop_connect(self.data_dir)
