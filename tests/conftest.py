"""Shared test helpers: write small projects into temporary folders."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INTEGRATION = REPO / "tests" / "integration"
#: the demo's model unit tests run in tests/integration/test_unit_tests.py on the shared session, not as items of
#: the sqlingest pytest plugin (which would collect them where it is installed)
collect_ignore = ["retail.yml"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under ``tests/integration`` is marked ``integration`` (``-m "not integration"`` = unit tests)."""
    for item in items:
        if INTEGRATION in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)


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
