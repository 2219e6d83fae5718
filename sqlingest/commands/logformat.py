"""``--log-format json``: every line a command prints (stdout and stderr) becomes one JSON object
``{"ts", "level", "command", "msg"}`` — for CI systems that parse logs. ``level`` is ``error`` for ``error: …``
lines, ``warning`` for ``warning: …`` lines, else ``info``."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO


class JsonLinesStream(io.TextIOBase):
    def __init__(self, stream: TextIO, command: str | None, stream_name: str) -> None:
        self._stream = stream
        self._command = command
        self._name = stream_name
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            self._emit(line)
        return len(text)

    def _emit(self, line: str) -> None:
        if not line.strip():
            return
        lowered = line.lstrip().lower()
        level = "error" if lowered.startswith("error") else "warning" if lowered.startswith("warning") else "info"
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "level": level,
                  "command": self._command, "stream": self._name, "msg": line.rstrip()}
        self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")

    def flush(self) -> None:
        if self._buffer:
            line, self._buffer = self._buffer, ""
            self._emit(line)
        self._stream.flush()

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def json_lines(enabled: bool, command: str | None) -> Iterator[None]:
    if not enabled:
        yield
        return
    saved = sys.stdout, sys.stderr
    sys.stdout = JsonLinesStream(saved[0], command, "stdout")  # type: ignore[assignment]
    sys.stderr = JsonLinesStream(saved[1], command, "stderr")  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved
