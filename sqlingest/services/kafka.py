"""A private, throw-away Apache Kafka broker (KRaft mode, no ZooKeeper) for tests and ``make services``.

The broker runs in its own JVM with its own classpath — ``org.apache.kafka:kafka_2.13`` and its runtime
dependencies, fetched by :func:`sqlingest.jvm.fetch` into ``~/.cache/sqlingest/kafka/<version>/lib`` (once; later
starts reuse the folder) — never on Spark's classpath.

:func:`start_kafka` writes a combined broker+controller ``server.properties`` (one node, replication factor 1,
listeners on 127.0.0.1 free ports), formats the log folder with ``kafka.tools.StorageTool format``, starts
``kafka.Kafka`` and waits until the broker answers. :class:`KafkaService` has the bootstrap address,
:meth:`~KafkaService.create_topic`, :meth:`~KafkaService.produce` (``kafka-python``) and :meth:`~KafkaService.stop`.

:class:`KafkaServer` is the broker of ``python -m sqlingest.services start kafka``. Command line for one folder::

    python -m sqlingest.services.kafka start --dir .services/kafka     # prints the bootstrap address
    python -m sqlingest.services.kafka stop --dir .services/kafka
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlingest.errors import ExecutionError, MissingDependency
from sqlingest.services import free_port
from sqlingest.services.base import HOST, STATE_FILE, Service, ServiceInfo, alive, port_open, spawn, tail, terminate

__all__ = ["KAFKA_VERSION", "KafkaServer", "KafkaService", "kafka_classpath", "main", "start_kafka", "stop_kafka"]

KAFKA_VERSION = os.environ.get("SQLINGEST_KAFKA_VERSION", "3.9.1")
_JVM_OPTS = ["-Xms128m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]

_LOG4J = """log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File={log}
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
"""


def kafka_classpath(version: str = KAFKA_VERSION, cache: Path | None = None) -> Path:
    """The folder of the broker's jars, fetched with :func:`sqlingest.jvm.fetch` on first use.

    Raises:
        MissingDependency: ``mvn`` is not installed.
        ExecutionError: Maven failed (the message holds its output's tail).
    """
    from sqlingest.jvm import cache_dir, fetch

    lib = (cache or cache_dir() / "kafka") / version / "lib"
    fetch(lib, [f"org.apache.kafka:kafka_2.13:{version}", "org.slf4j:slf4j-reload4j:1.7.36"],
          what=f"the Kafka broker {version}")
    return lib


@dataclass
class KafkaService:
    """A running single-node KRaft broker.

    Attributes:
        host: Always ``127.0.0.1``.
        port: The client (PLAINTEXT) port; ``bootstrap`` is ``host:port``.
        controller_port: The KRaft controller port.
        directory: Folder holding ``server.properties``, ``data/``, the logs and ``service.json``.
        pid: The broker JVM's process id.
        remove_on_stop: Whether :meth:`stop` deletes ``directory``.
    """

    host: str
    port: int
    controller_port: int
    directory: str
    pid: int
    version: str = KAFKA_VERSION
    remove_on_stop: bool = False

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after 20 s); delete the folder when it was temporary."""
        terminate(self.pid)
        if self.remove_on_stop:
            shutil.rmtree(self.directory, ignore_errors=True)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "bootstrap": self.bootstrap}

    # -- client helpers (kafka-python) ---------------------------------------------------------------
    def create_topic(self, name: str, partitions: int = 1) -> None:
        """Create ``name`` with ``partitions`` partitions (replication factor 1); an existing topic is kept."""
        admin_mod = _kafka_python()
        from kafka.errors import TopicAlreadyExistsError

        admin = admin_mod.KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="sqlingest-admin")
        try:
            admin.create_topics([admin_mod.NewTopic(name, num_partitions=partitions, replication_factor=1)])
        except TopicAlreadyExistsError:
            pass
        finally:
            admin.close()

    def produce(self, topic: str, values: Iterable[Any], *, keys: Iterable[Any] | None = None,
                partition: int | None = None) -> int:
        """Send ``values`` (dict/list → JSON, str → UTF-8, bytes as they are, None → tombstone) and flush.

        Returns:
            How many messages were acknowledged.
        """
        kafka = _kafka_python()
        producer = kafka.KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5)
        try:
            futures = []
            key_list = list(keys) if keys is not None else None
            for i, value in enumerate(values):
                key = key_list[i] if key_list is not None else None
                futures.append(producer.send(topic, value=_encode(value), key=_encode(key), partition=partition))
            producer.flush()
            for future in futures:
                future.get(timeout=30)
            return len(futures)
        finally:
            producer.close()


def _encode(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")


def _kafka_python() -> Any:
    try:
        import kafka
        import kafka.admin
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependency("the Python package kafka-python is needed to produce test messages",
                                hint="pip install kafka-python") from None
    kafka.KafkaAdminClient = kafka.admin.KafkaAdminClient
    kafka.NewTopic = kafka.admin.NewTopic
    return kafka


def start_kafka(directory: Path | str | None = None, *, port: int | None = None, version: str = KAFKA_VERSION,
                timeout: float = 90.0) -> KafkaService:
    """Format and start a single-node KRaft broker in ``directory`` (``None``: a temporary folder).

    A folder whose broker (``service.json``) is still running is reused.

    Raises:
        MissingDependency: Java or Maven is missing.
        ExecutionError: formatting or start-up failed (the message holds the log's tail).
    """
    java = shutil.which("java")
    if java is None:
        raise MissingDependency("Java is needed to run the Kafka broker", hint="apt-get install openjdk-17-jre")
    lib = kafka_classpath(version)
    remove_on_stop = directory is None
    folder = Path(tempfile.mkdtemp(prefix="sqlingest-kafka-")) if directory is None else Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    state = folder / STATE_FILE
    if state.is_file():
        known = KafkaService(**json.loads(state.read_text(encoding="utf-8")))
        if alive(known.pid) and port_open(known.host, known.port):
            return known
    port = port or free_port(HOST)
    controller = free_port(HOST)
    data = folder / "data"
    shutil.rmtree(data, ignore_errors=True)
    props = folder / "server.properties"
    props.write_text("\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{HOST}:{controller}",
        f"listeners=PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller}",
        f"advertised.listeners=PLAINTEXT://{HOST}:{port}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={data}",
        "num.partitions=1",
        "auto.create.topics.enable=true",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "num.network.threads=2",
        "num.io.threads=2",
        "background.threads=2",
        "log.cleaner.enable=false",
    ]) + "\n", encoding="utf-8")
    log4j = folder / "log4j.properties"
    log4j.write_text(_LOG4J.format(log=folder / "server.log"), encoding="utf-8")
    classpath = str(lib / "*")
    jvm = [java, *_JVM_OPTS, f"-Dlog4j.configuration=file:{log4j}", f"-Dkafka.logs.dir={folder}", "-cp", classpath]
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    fmt = subprocess.run([*jvm, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)],
                         capture_output=True, text=True, check=False)
    if fmt.returncode != 0:
        raise ExecutionError(f"kafka-storage format failed: {(fmt.stdout + fmt.stderr)[-2000:]}")
    proc = spawn([*jvm, "kafka.Kafka", str(props)], cwd=folder, log_file=folder / "stdout.log")
    service = KafkaService(HOST, port, controller, str(folder), proc.pid, version, remove_on_stop)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if port_open(HOST, port) and _ready(service):
            state.write_text(json.dumps(asdict(service), indent=2) + "\n", encoding="utf-8")
            return service
        time.sleep(0.5)
    log = tail(folder / "stdout.log", 20) + tail(folder / "server.log", 20)
    service.stop()
    raise ExecutionError(f"the Kafka broker did not start within {timeout:.0f}s: {log}")


def stop_kafka(directory: Path | str) -> bool:
    """Stop the broker started in ``directory`` (the folder is kept). Returns whether one was found."""
    state = Path(directory) / STATE_FILE
    if not state.is_file():
        return False
    service = KafkaService(**json.loads(state.read_text(encoding="utf-8")))
    service.remove_on_stop = False
    service.stop()
    return True


def _ready(service: KafkaService) -> bool:
    """The broker serves metadata (the controller has elected itself and the broker has registered)."""
    try:
        kafka = _kafka_python()
    except MissingDependency:
        return "Kafka Server started" in tail(Path(service.directory) / "server.log", 200) or \
            "started (kafka.server.KafkaRaftServer)" in tail(Path(service.directory) / "stdout.log", 200)
    try:
        admin = kafka.KafkaAdminClient(bootstrap_servers=service.bootstrap, request_timeout_ms=3000)
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        return False
    try:
        admin.list_topics()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        return False
    finally:
        admin.close()


class KafkaServer(Service):
    """The development broker in ``<root>/kafka``; exports ``SQLINGEST_KAFKA_BOOTSTRAP``."""

    name = "kafka"
    start_timeout = 90.0

    def launch(self, *, wait: float) -> ServiceInfo:
        broker = start_kafka(self.data_dir, timeout=wait)
        return ServiceInfo(self.name, broker.pid, broker.port, time.time(), str(self.data_dir / "server.log"),
                           str(self.data_dir), env={"SQLINGEST_KAFKA_BOOTSTRAP": broker.bootstrap})

    def halt(self, info: ServiceInfo) -> None:
        stop_kafka(self.data_dir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqlingest.services.kafka")
    parser.add_argument("action", choices=["start", "stop", "produce"])
    parser.add_argument("--dir", help="folder of the broker (created if needed); start/stop")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print every field as JSON")
    parser.add_argument("--bootstrap", default=os.environ.get("SQLINGEST_KAFKA_BOOTSTRAP"), help="produce: broker")
    parser.add_argument("--topic", help="produce: the topic (created with --partitions if missing)")
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--file", help="produce: a file of JSON lines, one message each")
    args = parser.parse_args(argv)
    if args.action == "produce":
        if not (args.bootstrap and args.topic and args.file):
            parser.error("produce needs --bootstrap (or SQLINGEST_KAFKA_BOOTSTRAP), --topic and --file")
        host, _, port = str(args.bootstrap).rpartition(":")
        service = KafkaService(host=host, port=int(port), controller_port=0, directory=".", pid=0)
        service.create_topic(args.topic, partitions=args.partitions)
        lines = [ln for ln in Path(args.file).read_text(encoding="utf-8").splitlines() if ln.strip()]
        print(f"{service.produce(args.topic, lines)} message(s) sent to {args.topic}")
        return 0
    if not args.dir:
        parser.error(f"{args.action} needs --dir")
    if args.action == "stop":
        return 0 if stop_kafka(args.dir) else 1
    service = start_kafka(args.dir, port=args.port)
    print(json.dumps(service.to_json(), indent=2) if args.json else service.bootstrap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
