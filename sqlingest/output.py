"""Where output goes: every byte sqlingest, Python libraries, Spark and the JVM print passes :func:`redact` first.

The command line calls :func:`capture` around a command:

- **console**: ``sys.stdout`` and ``sys.stderr`` are wrapped in :class:`RedactingStream`, so no secret value
  reaches the terminal, whoever prints (sqlingest's messages and warnings, rich, tracebacks);
- **Python logging** (py4j, pyspark, Soda, sqlingest's own) and ``warnings`` go to the run's log file; the
  console shows them only with ``--verbose`` (INFO) or ``--debug`` (DEBUG: full JVM stacks of failed models);
- **the JVM**: :func:`launch_gateway` starts Spark's JVM with its stdout and stderr read by a thread that redacts
  each line, writes it to the run's log file (``.sqlingest/logs/<run_id>.log``) and echoes it to the console only
  with ``--verbose``/``--debug``. The JVM logs WARN and above (INFO with ``--verbose``) — Spark's banner, ivy,
  Iceberg and Delta warnings are in the file, not on the console. Configuration values that hold a secret are not
  put on the ``spark-submit`` command line (visible to every local user in ``ps``); the session sets them when
  it starts.

Outside :func:`capture` (a SparkSession built by library code or tests) nothing changes: the JVM is launched by
pyspark as usual and logs errors only.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

from sqlingest.errors import redact

__all__ = ["RedactingStream", "capture", "launch_gateway", "open_log", "settings"]

_log = logging.getLogger("sqlingest")


@dataclass
class Settings:
    """What the command line asked for."""

    #: inside :func:`capture`: the JVM is launched through the redacting pipe
    active: bool = False
    verbose: bool = False
    debug: bool = False
    log_path: Path | None = None

    @property
    def jvm_level(self) -> str:
        """The JVM's root log level: ERROR outside the command line; WARN into the log (INFO with --verbose)."""
        if not self.active:
            return "ERROR"
        return "INFO" if self.verbose else "WARN"


settings = Settings()
_lock = threading.Lock()
_file: TextIO | None = None
_console_err: TextIO = sys.__stderr__ or sys.stderr


class RedactingStream(io.TextIOBase):
    """A text stream that redacts secret values from everything written to it before passing it on."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @property
    def wrapped(self) -> TextIO:
        return self._stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _FileHandler(logging.Handler):
    """Python log records into the run's log file (through :func:`_write`, shared with the JVM's lines)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _write(self.format(record) + "\n", echo=False)
        except Exception:  # noqa: BLE001 — logging never breaks a run
            self.handleError(record)


def _console_level() -> int:
    if settings.debug:
        return logging.DEBUG
    if settings.verbose:
        return logging.INFO
    # without a log file, warnings must still go somewhere; with one, the console stays quiet
    return logging.CRITICAL + 1 if settings.log_path is not None else logging.WARNING


@contextmanager
def capture(*, verbose: bool = False, debug: bool = False) -> Iterator[None]:
    """Redact the console and route logs for the duration of one command (restored afterwards)."""
    global _console_err
    saved = (sys.stdout, sys.stderr, settings.active, settings.verbose, settings.debug, settings.log_path)
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)
    _console_err = sys.stderr  # type: ignore[assignment]
    settings.active, settings.verbose, settings.debug = True, verbose or debug, debug
    root = logging.getLogger()
    saved_level, saved_sqlingest = root.level, _log.level
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(_RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    console.setLevel(_console_level())
    console.set_name("sqlingest-console")
    logfile = _FileHandler(logging.DEBUG)
    logfile.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root.addHandler(console)
    root.addHandler(logfile)
    root.setLevel(logging.INFO)
    _log.setLevel(logging.DEBUG)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(console)
        root.removeHandler(logfile)
        root.setLevel(saved_level)
        _log.setLevel(saved_sqlingest)
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved[0], saved[1]
        _console_err = sys.stderr
        settings.active, settings.verbose, settings.debug = saved[2], saved[3], saved[4]
        close_log()
        settings.log_path = saved[5]


def open_log(path: Path) -> Path:
    """Send the JVM's lines and Python's log records of this command to ``path`` (redacted, appended)."""
    global _file
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        if _file is not None:
            _file.close()
        _file = path.open("a", encoding="utf-8")
    settings.log_path = path
    for handler in logging.getLogger().handlers:
        if handler.get_name() == "sqlingest-console":
            handler.setLevel(_console_level())
    return path


def close_log() -> None:
    global _file
    with _lock:
        if _file is not None:
            _file.close()
            _file = None


def _write(text: str, *, echo: bool) -> None:
    """One redacted chunk into the log file (if any), and to the console when ``echo``."""
    text = redact(text)
    with _lock:
        if _file is not None:
            _file.write(text)
            _file.flush()
    if echo:
        try:
            _console_err.write(text)
            _console_err.flush()
        except (ValueError, OSError):  # the console went away (process exiting)
            pass


def _pump(stream: IO[bytes]) -> None:
    """Read the JVM's output line by line until it exits."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace")
        # outside a command (or with --verbose) the JVM's lines go to the console as they would without the pipe
        _write(line, echo=settings.verbose or not settings.active or settings.log_path is None)


def launch_gateway(conf: dict[str, str]) -> None:
    """Start Spark's JVM (once per process) with its output through the redacting pipe.

    Only values without a secret go on the ``spark-submit`` command line; pyspark sets every value of the
    builder's configuration in the JVM's SparkConf when the context starts, so nothing is lost.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway as pyspark_launch

    if SparkContext._gateway is not None:
        return
    launch = SparkConf(loadDefaults=False)
    for key, value in conf.items():
        if redact(value) == value:
            launch.set(key, value)
    gateway = pyspark_launch(launch, popen_kwargs={"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT})
    proc = getattr(gateway, "proc", None)
    if proc is not None and proc.stdout is not None:
        threading.Thread(target=_pump, args=(proc.stdout,), name="sqlingest-jvm-log", daemon=True).start()
    SparkContext._gateway = gateway
    SparkContext._jvm = gateway.jvm


def log_exception(message: str, exc: BaseException) -> None:
    """The full story of a failure (Python traceback and JVM stack) into the log; on the console with --debug."""
    stack = getattr(exc, "stackTrace", None)
    _log.debug("%s%s", message, f"\nJVM stacktrace:\n{stack}" if stack else "", exc_info=exc)
