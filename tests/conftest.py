"""Shared test helpers: write small projects into temporary folders."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path):
    """``make_project(files, config=None)`` → project folder; ``config`` replaces the default sqlingest.yml."""

    def make(files: dict[str, str], config: str | None = None) -> Path:
        base = {"sqlingest.yml": config or "name: t\n"}
        return write_files(tmp_path / "proj", {**base, **files})

    return make
