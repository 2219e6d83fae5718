"""The root cause of a Spark/JVM failure, as one or two lines a person can act on.

Spark wraps the error that matters in layers: ``Py4JJavaError: An error occurred while calling o123.sql.``,
``SparkException: Job aborted due to stage failure: Task 0 in stage 3.0 failed 1 times, most recent failure: Lost
task …:``, ``Exception thrown in awaitResult:``, ``Writing job aborted``, reflection wrappers — each with its JVM
stack. :func:`root_cause` walks the Java ``getCause()`` chain (through py4j while the JVM is up, else parsed from
the text with its ``Caused by:`` lines), skips the wrappers and returns the innermost meaningful message: Spark's
error class and message (``[CAST_INVALID_INPUT] The value 'abc' …``), the file, column, constraint or database
message (``[SQLITE_BUSY] …``, ``FATAL: password authentication failed …``), the last line of a Python UDF's
traceback — without the JVM stack, the logical plan or the ``== SQL ==`` echo beyond the line it points at.
"""

from __future__ import annotations

import re
from typing import Any

from sqlingest.errors import TransientError, redact

__all__ = ["causes", "is_transient", "root_cause", "spark_message"]

#: messages of exceptions that only wrap the one that matters
_WRAPPERS = re.compile(
    r"^(Exception thrown in awaitResult|Job aborted due to stage failure|Writing job aborted|Job aborted\.?$|"
    r"An error occurred while calling |\[TASK_WRITE_FAILED\]|Task failed while writing rows|"
    r"\[INTERNAL_ERROR_BROADCAST\]|Error while (writing|reading) |Boxed Error$|"
    r"Query \[id = [^\]]*, runId = [^\]]*\] terminated with exception:\s*$)")
#: classes that only wrap the one that matters
_WRAPPER_CLASSES = {"java.util.concurrent.ExecutionException", "java.lang.reflect.InvocationTargetException",
                    "java.lang.reflect.UndeclaredThrowableException", "java.util.concurrent.CompletionException",
                    "scala.runtime.NonLocalReturnControl", "py4j.Py4JException",
                    "org.apache.spark.util.TaskCompletionListenerException"}
#: classes whose name adds nothing to their message
_GENERIC = {"org.apache.spark.SparkException", "java.lang.RuntimeException", "java.lang.Exception"}
_CLASS = re.compile(r"^((?:[a-zA-Z_$][\w$]*\.)+[A-Za-z_$][\w$]*)(?::\s?|$)")
_PY4J_HEAD = re.compile(r"^An error occurred while calling [\w.]+\.\s*\n?:?\s*")
_TASK_FAILURE = re.compile(r"Lost task [\d.]+ in stage [\d.]+ \(TID \d+\) \([^)]*\): ")
_SQL_CONTEXT = re.compile(r"\n== SQL(?:\(line (\d+), position (\d+)\))? ==\n(.*?)\n", re.DOTALL)
_MAX = 600


def _java(exc: Any) -> Any:
    """The py4j proxy of the Java throwable behind ``exc``, if it is still reachable."""
    for attr in ("java_exception", "_origin"):
        java = getattr(exc, attr, None)
        if java is not None:
            return java
    return None


def _text(exc: Any) -> str:
    if isinstance(exc, str):
        return exc
    stack = getattr(exc, "stackTrace", None)
    desc = getattr(exc, "desc", None)
    if stack and desc and not str(stack).lstrip().startswith(("Traceback", "\n")):
        return str(stack)
    try:
        return str(desc or exc)
    except Exception:  # noqa: BLE001 — str() of a py4j error asks the JVM, which may be gone
        return repr(exc)


def causes(exc: BaseException | str) -> list[tuple[str, str]]:
    """``(class, message)`` of ``exc`` and each of its causes, outermost first."""
    java = None if isinstance(exc, str) else _java(exc)
    if java is not None:
        try:
            chain: list[tuple[str, str]] = []
            seen: set[int] = set()
            while java is not None and len(chain) < 30:
                key = java.hashCode()
                if key in seen:
                    break
                seen.add(key)
                chain.append((str(java.getClass().getName()), str(java.getMessage() or "")))
                java = java.getCause()
            if chain:
                return chain
        except Exception:  # noqa: BLE001, S110 — the JVM is gone: parse the text instead
            pass
    if not isinstance(exc, str) and type(exc).__name__ == "PythonException":
        return [("org.apache.spark.api.python.PythonException", str(getattr(exc, "desc", None) or exc))]
    return parse(_text(exc))


def parse(text: str) -> list[tuple[str, str]]:
    """``(class, message)`` pairs from a JVM stack trace's text (the message before its first ``at`` line, then
    every ``Caused by:``)."""
    text = _PY4J_HEAD.sub("", text.lstrip(), count=1)
    out: list[tuple[str, str]] = []
    blocks = re.split(r"\n(?:\s*Caused by: |\s*Suppressed: .*?)(?=\S)", "\n" + text)
    for block in blocks:
        block = block.strip("\n")
        if not block.strip():
            continue
        message = re.split(r"\n\s+at [\w$.<>/]+\(|\n\s+\.\.\. \d+ more", block)[0]
        match = _CLASS.match(message)
        if match and "." in match.group(1) and " " not in match.group(1):
            out.append((match.group(1), message[match.end():]))
        else:
            out.append(("", message))
    return out


def _is_wrapper(cls: str, message: str, inner: tuple[str, str] | None) -> bool:
    if cls in _WRAPPER_CLASSES and inner is not None:
        return True
    if inner is None:
        return False
    head = message.strip()
    if not head or _WRAPPERS.match(head):
        return True
    # new RuntimeException(cause): the message is the cause's toString()
    inner_cls, inner_msg = inner
    return head in (f"{inner_cls}: {inner_msg}".strip(), inner_msg.strip(), inner_cls)


def _python_error(message: str) -> tuple[str, str] | None:
    """``(exception type, message)`` of the exception a Python traceback in ``message`` ends with."""
    if "Traceback (most recent call last)" not in message:
        return None
    lines = message.splitlines()
    frames = [i for i, ln in enumerate(lines) if ln.lstrip().startswith('File "')]
    rest = lines[(frames[-1] + 1) if frames else 0:]
    start = next((i for i, ln in enumerate(rest) if ln.strip() and not ln.startswith((" ", "\t"))), None)
    if start is None:
        return None
    text = "\n".join(rest[start:])
    match = re.match(r"^([\w.]+)(?::\s?|$)", text)
    if not match:
        return "", text
    return match.group(1).rsplit(".", 1)[-1], text[match.end():]


def _tidy(cls: str, message: str) -> str:
    """One message without stacks, plans or SQL echo; the line the SQL context points at kept on a second line."""
    message = message.replace("\r", "")
    python = _python_error(message)
    if python is not None:
        name, body = python
        inner = _tidy("", body) if body.lstrip().startswith("[") else f"{name}: {_tidy('', body)}".strip(": ")
        udf = "thrown from the Python worker" in message or cls.endswith("api.python.PythonException")
        return f"Python UDF failed: {inner}" if udf else inner
    context = ""
    sql = _SQL_CONTEXT.search(message + "\n")
    if sql:
        line, pos, fragment = sql.group(1), sql.group(2), sql.group(3).strip()
        where = f"SQL line {line}, position {pos}" if line else "SQL"
        context = f"\n  at {where}: {fragment[:160]}" if fragment else ""
        message = message[:sql.start()]
    # an AnalysisException's plan ("; line 1 pos 7;\n'Project …") and Spark's "\nDriver stacktrace:" go, and so
    # does Delta's JSON of the conflicting commit
    message = re.split(r";\n['+:]|\n'|\n\+- |\nDriver stacktrace:|\n\s+at [\w$.<>/]+\(", message)[0]
    message = re.sub(r"(?m)^Conflicting commit: \{.*$", "", message)
    head = " ".join(part.strip() for part in message.strip().splitlines() if part.strip())
    head = re.sub(r"\s*;\s*$", "", head)
    if cls and cls not in _GENERIC and not head.startswith("[") and not head.startswith(cls.rsplit(".", 1)[-1]):
        head = f"{cls.rsplit('.', 1)[-1]}: {head}" if head else cls.rsplit(".", 1)[-1]
    if len(head) > _MAX:
        head = head[:_MAX - 1] + "…"
    return head + context


def _embedded_task_failure(message: str) -> list[tuple[str, str]]:
    """A stage failure's message carries the failed task's exception as text: its causes, if any."""
    match = _TASK_FAILURE.search(message)
    if not match:
        return []
    return parse(message[match.end():].split("\nDriver stacktrace:")[0])


def root_cause(exc: BaseException | str) -> str:
    """The innermost meaningful message of a Spark/Py4J/JVM error (or of any exception), in one or two lines."""
    chain = causes(exc)
    if chain and _TASK_FAILURE.search(chain[-1][1]):
        chain = chain + _embedded_task_failure(chain[-1][1])
    if not chain:
        return str(exc)
    meaningful = [chain[i] for i in range(len(chain))
                  if not _is_wrapper(*chain[i], chain[i + 1] if i + 1 < len(chain) else None)]
    if not meaningful:
        meaningful = [chain[-1]]
    inner = meaningful[-1]
    text = _tidy(*inner)
    # "Connection refused" says less than "Connection to 127.0.0.1:5432 refused. Check …": keep the outer one too
    if len(inner[1].strip()) < 30 and len(meaningful) > 1:
        outer = _tidy(*meaningful[-2])
        if inner[1].strip() not in outer:
            text = f"{outer} (caused by {text})"
    return text


_TRANSIENT = ("CommitFailedException", "ConcurrentAppendException", "ConcurrentDeleteReadException",
              "ConcurrentDeleteDeleteException", "ConcurrentTransactionException", "ConcurrentWriteException",
              "MetadataChangedException", "ProtocolChangedException", "CommitStateUnknownException",
              "SQLITE_BUSY", "database is locked", "Connection refused", "Connection reset",
              # Iceberg's commit validation (MERGE, validated overwrites): another writer changed the files
              "Found conflicting files", "Found new conflicting delete files", "Missing required files to delete",
              "found new delete for replaced data file")


def is_transient(exc: BaseException) -> bool:
    """Failures a retry can fix: optimistic-commit conflicts and briefly unreachable services."""
    if isinstance(exc, TransientError):
        return True
    text = str(exc)
    return any(marker in text for marker in _TRANSIENT)


def spark_message(exc: BaseException) -> str:
    """The root cause of a Spark/Py4J error (:func:`root_cause`), redacted; the whole story (Python traceback, JVM
    stack) goes to the run's log, and to the console with ``--debug``."""
    from sqlingest.output import log_exception

    log_exception("model failed", exc)
    text = root_cause(exc)
    ln = text.splitlines()[0] if text else ""
    if "Null value appeared in non-nullable field" in ln or "NOT_NULL" in ln or "NOT NULL" in ln.upper() \
            and "constraint" in ln.lower():
        return redact("a NULL reached a NOT NULL column: " + text[:300])
    return redact(text)
