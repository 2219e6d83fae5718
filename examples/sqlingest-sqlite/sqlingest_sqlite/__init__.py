"""``sqlite`` source: a table (or query) of a SQLite database file, read through Spark's JDBC reader with the
SQLite JDBC driver — a JDBC dialect on top of sqlingest's ``jdbc`` source (incremental by ``watermark``, typed by
the contract, values that do not fit rescued).

    source: {format: sqlite, database: data/shop.db, table: orders, watermark: id}

``database`` is relative to the project root. SQLite has no users or passwords, so no credentials are taken.
"""

from __future__ import annotations

from pathlib import Path

from sqlingest.sources.jdbc import JdbcSource

DRIVER = "org.sqlite.JDBC"


class SqliteSource(JdbcSource):
    def database(self) -> Path:
        path = Path(str(self.required("database")))
        return path if path.is_absolute() else (self.project_dir / path).resolve()

    def url(self) -> str:
        return f"jdbc:sqlite:{self.database()}"

    def credentials(self) -> dict[str, str]:
        return {}

    def reader_options(self) -> dict[str, str]:
        opts = {k: v for k, v in super().reader_options().items() if k != "database"}
        opts["driver"] = DRIVER
        return opts
