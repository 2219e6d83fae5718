"""One run at a time per project and target: ``<state_dir>/locks/<target>.lock``.

``build``, ``run``, ``test``, ``stream`` and ``replay`` take the lock before their Spark session starts, so two of
them never write the same tables (and the same SQLite catalog) at once. The lock is an ``fcntl.flock`` on the
file: the operating system releases it when its process ends in any way (``kill -9`` included), so a lock is never
left behind. The file says who holds it (pid, host, start time, command) for the message the second run prints; a
file naming a process that is gone is stale and simply taken over.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from sqlingest.errors import ExecutionError
from sqlingest.services.base import alive


class LockHeld(ExecutionError):
    """Another sqlingest run holds the target's lock (exit 1)."""


def lock_path(state_dir: Path, target: str) -> Path:
    return state_dir / "locks" / f"{target}.lock"


_alive = alive  # one definition of "that process still runs": sqlingest.services.base.alive


class TargetLock:
    """``with TargetLock(state_dir, "dev", "build", timeout=0):`` — held for the block, or :class:`LockHeld`."""

    def __init__(self, state_dir: Path, target: str, command: str, *, timeout: float = 0.0,
                 shown_as: str | None = None) -> None:
        self.path = lock_path(state_dir, target)
        self.target = target
        self.command = command
        self.timeout = max(0.0, timeout)
        #: how the message names the file (e.g. relative to the project)
        self.shown_as = shown_as or str(self.path)
        self._fd: int | None = None

    def holder(self) -> dict[str, object]:
        """What the lock file says about its holder (empty when unreadable)."""
        try:
            value = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def acquire(self) -> Self:
        """Take the lock, waiting up to ``timeout`` seconds.

        Raises:
            LockHeld: another process holds it after the wait.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes (the JVM)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise self._held() from None
                time.sleep(min(0.2, max(0.01, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": datetime.now().isoformat(
            timespec="seconds"), "command": self.command, "target": self.target}
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _held(self) -> LockHeld:
        info = self.holder()
        pid, host = info.get("pid"), info.get("host")
        started = str(info.get("started_at") or "")
        when = started.split("T", 1)[-1] if started else "at an unknown time"
        who = f"another sqlingest {info.get('command') or 'run'} (pid {pid or '?'}"
        if host and host != socket.gethostname():
            who += f" on {host}"
        who += f", started {when})"
        gone = isinstance(pid, int) and host == socket.gethostname() and not _alive(pid)
        hint = ("its process is gone, but a process it started still has the file open: end that process"
                if gone else "wait for it to finish, or pass --lock-timeout SECONDS to wait for the lock")
        return LockHeld(f"{who} holds the lock for target {self.target}: {self.shown_as}", hint=hint)

    def __enter__(self) -> Self:
        return self.acquire() if self._fd is None else self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
