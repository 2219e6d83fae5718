"""Spark's scratch folders under the state folder: a folder whose process is gone is removed (no JVM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlingest.execute import scratch
from tests.conftest import REPO

OWN = """
import sys, time
from pathlib import Path
from sqlingest.execute.scratch import scratch_dir
print(scratch_dir(Path(sys.argv[1])), flush=True)
time.sleep(60)
"""


def test_only_the_folders_of_gone_processes_are_removed(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    running = subprocess.Popen([sys.executable, "-c", OWN, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env)
    killed = subprocess.Popen([sys.executable, "-c", OWN, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert running.stdout is not None and killed.stdout is not None
        alive_dir, dead_dir = Path(running.stdout.readline().strip()), Path(killed.stdout.readline().strip())
        (dead_dir / "spark-1234" / "userFiles-1").mkdir(parents=True)
        (dead_dir / "spark-1234" / "userFiles-1" / "big.jar").write_bytes(b"x" * 1000)
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        half_made = scratch.scratch_root(tmp_path) / "999999999-abcdef"  # no .owner, no such process
        half_made.mkdir()
        removed = scratch.clean_leftovers(tmp_path)
        assert sorted(removed) == sorted([dead_dir, half_made])
        assert alive_dir.is_dir() and not dead_dir.exists()
    finally:
        running.kill()
        running.wait()


def test_the_session_conf_points_every_scratch_folder_there(tmp_path: Path) -> None:
    folder = tmp_path / "tmp" / "1-x"
    conf = scratch.scratch_conf(folder)
    assert conf["spark.local.dir"] == str(folder)
    assert all(v.startswith(str(folder)) for v in conf.values())
    assert scratch.java_options(folder) == f"-Djava.io.tmpdir={folder}"
