"""Shared plumbing for JVM helper services (Hive Metastore, Nessie): start a detached process, wait until it
answers, remember it in a state file so ``python -m sqlingest.services.<name> stop`` finds it again, stop it.
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
from pathlib import Path
from typing import Any

from sqlingest.errors import ExecutionError

STATE_FILE = "service.json"


def spawn(cmd: Sequence[str], *, cwd: Path, log_file: Path,
          env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own process group, stdout and stderr appended to ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        return subprocess.Popen(list(cmd), cwd=str(cwd), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                                start_new_session=True)


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as dead
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError):
        return False


def wait_until(ready: Callable[[], bool], *, pid: int, what: str, log_file: Path, timeout: float) -> None:
    """Poll ``ready`` until true; raise with the log's tail when the process dies or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if not alive(pid):
            raise ExecutionError(f"{what} exited during start-up:\n{tail(log_file)}")
        time.sleep(0.5)
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
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def write_state(folder: Path, data: dict[str, Any]) -> None:
    (folder / STATE_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def read_state(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / STATE_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
