"""The repository's demo project, copied into a test's folder: one list of the folders a project holds."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: the demo's project folders besides sqlingest.yml and data/ (domains/: its three domains, docs/domains.md)
PROJECT_FOLDERS = ("contracts", "models", "macros", "domains")


def copy_demo(root: Path, *, data: bool = True, config: bool = False) -> Path:
    """Copy the demo's project folders (and ``data/``, and ``sqlingest.yml`` when asked) into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    if config:
        shutil.copy(REPO / "sqlingest.yml", root / "sqlingest.yml")
    for folder in (*PROJECT_FOLDERS, *(("data",) if data else ())):
        shutil.copytree(REPO / folder, root / folder)
    return root
