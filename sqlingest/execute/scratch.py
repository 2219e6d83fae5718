"""Spark's scratch space under the project's state folder, not the system temp dir.

A local Spark driver writes its copy of every jar (``spark-*/userFiles-*``, about 70 MB here), its block manager
(``blockmgr-*``), PySpark's serialized data and Hive's scratch folders into ``java.io.tmpdir`` — ``/tmp`` — and
deletes them only on a clean exit: a killed build leaves them behind, every time. sqlingest points all of them at
``<state_dir>/tmp/<pid>-<id>/`` instead (:func:`scratch_conf`), and when a session starts it removes the folders
of earlier processes that are gone (:func:`clean_leftovers`). A folder is in use while its process holds an
``fcntl.flock`` on its ``.owner`` file, which the operating system releases however the process ends.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from pathlib import Path

from sqlingest.services.base import alive

OWNER = ".owner"
#: the folder of this process, and the open file holding its lock (kept for the life of the process)
_mine: tuple[Path, int] | None = None


def scratch_root(state_dir: Path) -> Path:
    return state_dir / "tmp"


def clean_leftovers(state_dir: Path) -> list[Path]:
    """Remove the scratch folders whose process is gone; returns the removed folders."""
    removed: list[Path] = []
    root = scratch_root(state_dir)
    if not root.is_dir():
        return removed
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or (_mine is not None and folder == _mine[0]):
            continue
        owner = folder / OWNER
        try:
            fd = os.open(owner, os.O_RDWR)
        except FileNotFoundError:
            pid = folder.name.split("-", 1)[0]
            if pid.isdigit() and _alive(int(pid)):
                continue  # being created right now
        else:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is running
            finally:
                os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


_alive = alive  # one definition of "that process still runs": sqlingest.services.base.alive


def scratch_dir(state_dir: Path) -> Path:
    """This process's scratch folder (created and locked on first use)."""
    global _mine
    if _mine is not None and _mine[0].parent == scratch_root(state_dir).resolve():
        return _mine[0]
    folder = (scratch_root(state_dir) / f"{os.getpid()}-{uuid.uuid4().hex[:6]}").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / OWNER, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by the JVM
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _mine = (folder, fd)
    return folder


def scratch_conf(folder: Path) -> dict[str, str]:
    """Spark (and Hive) settings that keep every scratch file under ``folder``; ``java_options`` separately."""
    return {
        "spark.local.dir": str(folder),
        "spark.hadoop.hive.exec.scratchdir": str(folder / "hive"),
        "spark.hadoop.hive.exec.local.scratchdir": str(folder / "hive-local"),
        "spark.hadoop.hive.downloaded.resources.dir": str(folder / "hive-resources"),
    }


def java_options(folder: Path) -> str:
    return f"-Djava.io.tmpdir={folder}"
