"""Local helper services for tests and ``make services``: private, throw-away server processes (e.g. a PostgreSQL
cluster in a temporary folder, see :mod:`sqlingest.services.postgres`) listening on 127.0.0.1 on free ports.
"""

from __future__ import annotations

import socket

__all__ = ["free_port"]


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
