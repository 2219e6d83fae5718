"""Local helper services for tests and ``make services``: private, throw-away server processes (a PostgreSQL
cluster, a Hive Metastore and a Nessie server on it, a Kafka broker) listening on 127.0.0.1 on free ports.

Each is a :class:`sqlingest.services.base.Service` (state file, spawn, wait-until-ready, stop, status, logs, the
variables it exports); ``python -m sqlingest.services start|stop|status|logs [names…]`` drives them (see
:mod:`sqlingest.services.cli`). The modules also keep their one-folder functions (``start_postgres()``,
``start_kafka()``, …) that tests and fixtures use.
"""

from __future__ import annotations

import importlib
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlingest.services.base import Service

__all__ = ["SERVICES", "free_port", "service_class"]

#: every service of ``python -m sqlingest.services``, in start order (stopped in reverse)
SERVICES: dict[str, str] = {
    "postgres": "sqlingest.services.postgres:PostgresServer",
    "hive-metastore": "sqlingest.services.hive_metastore:HiveMetastoreServer",
    "nessie": "sqlingest.services.nessie:NessieServer",
    "kafka": "sqlingest.services.kafka:KafkaServer",
    # started only when named (`start spark-cluster spark-connect`, `make cluster-test`): docs/cluster.md
    "spark-cluster": "sqlingest.services.spark:SparkClusterServer",
    "spark-connect": "sqlingest.services.spark:SparkConnectServer",
}


def service_class(name: str) -> type[Service]:
    """The :class:`~sqlingest.services.base.Service` subclass registered as ``name``.

    Raises:
        KeyError: No such service.
    """
    module, _, attr = SERVICES[name].partition(":")
    cls: type[Service] = getattr(importlib.import_module(module), attr)
    return cls


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it; another process may still take it later).

    Args:
        host: The interface to probe.

    Returns:
        The port number.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
