"""Redaction at every sink of one process: console streams, Python logging and warnings, the run's log file, and
the JVM's output pipe (fed here by a plain subprocess)."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
import time
import urllib.parse
import uuid
import warnings

from sqlingest import output
from sqlingest.errors import redact, register_secret


def secret() -> str:
    value = f"CANARY-{uuid.uuid4().hex}/+x"
    register_secret(value)
    return value


def test_encoded_forms_are_redacted_too():
    value = secret()
    for form in (value, base64.b64encode(value.encode()).decode(), urllib.parse.quote(value, safe=""),
                 urllib.parse.quote_plus(value)):
        assert redact(f"Authorization: Basic {form}!") in ("Authorization: Basic ***!", "Authorization: Basic ***=!")


def test_console_logging_and_warnings_are_redacted(tmp_path, capfd):
    value = secret()
    log = tmp_path / "logs" / "run.log"
    # a Soda scan earlier in the same process (the integration suite) reconfigures Soda's logger: start clean
    soda = logging.getLogger("soda")
    soda.disabled, soda.propagate, soda.handlers = False, True, []
    soda.setLevel(logging.NOTSET)
    with output.capture():
        print(f"stdout {value}")
        print(f"stderr {value}", file=sys.stderr)
        logging.getLogger("py4j").warning("before the log file %s", value)  # no log file yet: console
        output.open_log(log)
        logging.getLogger("py4j").info("py4j says %s", value)
        logging.getLogger("soda").warning("soda warns %s", value)
        with warnings.catch_warnings():
            warnings.simplefilter("always")  # the suite turns warnings into errors
            warnings.warn(f"careful {value}", UserWarning, stacklevel=1)
        try:
            raise RuntimeError(f"boom {value}")
        except RuntimeError as exc:
            output.log_exception("model failed", exc)
    out, err = capfd.readouterr()
    assert value not in out + err
    assert "stdout ***" in out and "stderr ***" in err and "before the log file ***" in err
    assert "py4j says" not in err and "soda warns" not in err and "careful" not in err  # quiet: in the file
    text = log.read_text()
    assert value not in text
    for line in ("INFO py4j: py4j says ***", "WARNING soda: soda warns ***", "careful ***", "RuntimeError: boom ***"):
        assert line in text
    assert not isinstance(sys.stdout, output.RedactingStream)  # restored


def test_verbose_and_debug_show_the_log_on_the_console(tmp_path, capfd):
    value = secret()
    with output.capture(verbose=True):
        output.open_log(tmp_path / "a.log")
        logging.getLogger("py4j").info("py4j says %s", value)
        output.log_exception("model failed", RuntimeError("stack"))
    err = capfd.readouterr().err
    assert "py4j says ***" in err and "model failed" not in err
    with output.capture(debug=True):
        output.open_log(tmp_path / "b.log")
        output.log_exception("model failed", RuntimeError("stack"))
    assert "model failed" in capfd.readouterr().err


def test_jvm_lines_go_to_the_log_and_not_to_the_console(tmp_path, capfd):
    value = secret()
    script = f"import sys; print('WARN NativeCodeLoader: {value}'); print('x', file=sys.stderr)"
    with output.capture():
        output.open_log(tmp_path / "run.log")
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.stdout is not None
        output._pump(proc.stdout)
        proc.wait()
        time.sleep(0.05)
    assert capfd.readouterr().err == ""
    text = (tmp_path / "run.log").read_text()
    assert "WARN NativeCodeLoader: ***\n" in text and value not in text and "x\n" in text
