"""The per-target lock (sqlingest/execute/lock.py) between real processes, without a JVM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sqlingest.execute.lock import LockHeld, TargetLock, lock_path
from tests.conftest import REPO

HOLD = """
import sys, time
from pathlib import Path
from sqlingest.execute.lock import TargetLock
with TargetLock(Path(sys.argv[1]), "dev", "build"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(state: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(state), str(seconds)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_run_fails_at_once_naming_the_holder(tmp_path: Path) -> None:
    proc = hold(tmp_path, 30)
    try:
        with pytest.raises(LockHeld) as err:
            TargetLock(tmp_path, "dev", "build", shown_as=".sqlingest/locks/dev.lock").acquire()
        message = err.value.message
        assert message.startswith(f"another sqlingest build (pid {proc.pid}, started ")
        assert message.endswith(") holds the lock for target dev: .sqlingest/locks/dev.lock")
        assert err.value.exit_code == 1
        # another target has its own lock
        with TargetLock(tmp_path, "prod", "build"):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    proc = hold(tmp_path, 30)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert f'"pid": {proc.pid}' in lock_path(tmp_path, "dev").read_text()  # the stale file is still there
    with TargetLock(tmp_path, "dev", "test") as lock:
        assert lock.holder()["pid"] == os.getpid() and lock.holder()["command"] == "test"
    assert lock_path(tmp_path, "dev").read_text() == ""


def test_lock_timeout_waits_for_the_holder(tmp_path: Path) -> None:
    proc = hold(tmp_path, 1.0)
    started = time.monotonic()
    with TargetLock(tmp_path, "dev", "build", timeout=20):
        waited = time.monotonic() - started
    proc.wait()
    assert 0.3 < waited < 20


def test_the_cli_refuses_a_second_build_before_starting_spark(tmp_path: Path, capsys) -> None:
    from sqlingest.cli import main
    from tests.conftest import write_files

    root = write_files(tmp_path / "p", {"sqlingest.yml": "name: t\nlayers: {gold: {require_contract: false}}\n",
                                          "models/gold/one.sql": "SELECT 1 AS x\n"})
    proc = hold(root / ".sqlingest", 30)
    try:
        assert main(["build", "--project-dir", str(root)]) == 1
        err = capsys.readouterr().err
        assert f"error: another sqlingest build (pid {proc.pid}, started" in err
        assert "holds the lock for target dev: .sqlingest/locks/dev.lock" in err and "--lock-timeout" in err
    finally:
        proc.kill()
        proc.wait()
