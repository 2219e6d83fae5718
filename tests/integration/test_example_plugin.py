"""The example plugin of docs/testing.md (examples/sqlingest-sqlite: a JDBC dialect source for SQLite files),
installed through its entry point, passes the source conformance suite plugin authors run
(sqlingest.testing.sources) — on the shared session, with the SQLite JDBC driver sqlingest's jars carry."""

from __future__ import annotations

import importlib
import sqlite3
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sqlingest.sources import SOURCES
from sqlingest.testing.sources import SourceBehaviour, SourceUnderTest
from tests.conftest import REPO

PLUGIN = REPO / "examples" / "sqlingest-sqlite"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory):
    """The plugin as `pip install` leaves it: its package importable and its entry point in a dist-info."""
    site = tmp_path_factory.mktemp("site")
    dist = site / "sqlingest_sqlite-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sqlingest-sqlite\nVersion: 0.1.0\n")
    points = tomllib.loads(PLUGIN.joinpath("pyproject.toml").read_text())["project"]["entry-points"]
    (dist / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in names.items())
        for group, names in points.items()))
    sys.path[:0] = [str(site), str(PLUGIN)]
    importlib.invalidate_caches()
    yield
    sys.path.remove(str(site))
    sys.path.remove(str(PLUGIN))
    SOURCES._loaded.pop("sqlite", None)


class Sqlite(SourceUnderTest):
    """A SQLite file with text columns, read by watermark on ``id``."""

    format = "sqlite"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        with sqlite3.connect(root / "shop.db") as db:
            db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, amount TEXT)")

    def options(self) -> dict[str, Any]:
        return {"database": "shop.db", "table": "items", "watermark": "id"}

    def add(self, spark: Any, records: list[dict[str, str]]) -> None:
        with sqlite3.connect(self.root / "shop.db") as db:
            db.executemany("INSERT INTO items VALUES (?, ?, ?)",
                           [(int(r["id"]), r["name"], r["amount"]) for r in records])


def test_the_plugin_loads_through_its_entry_point(installed):
    assert "sqlite" in SOURCES.names()
    assert SOURCES.load("sqlite").__module__ == "sqlingest_sqlite"


class TestSqlitePlugin(SourceBehaviour):
    @pytest.fixture
    def case(self, installed, tmp_path: Path) -> SourceUnderTest:
        return Sqlite(tmp_path)

    @pytest.fixture
    def spark(self, lakehouse):
        return lakehouse.spark
