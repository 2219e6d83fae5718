"""A shared registry in PostgreSQL (needs the ``postgres`` extra: ``pip install 'sqlingest[postgres]'``).

Two tables, created when missing: ``sqlingest_subjects`` (one row per subject, holding its latest version number)
and ``sqlingest_schema_versions`` (one row per version). A publish runs in one transaction that locks the subject
row with ``SELECT … FOR UPDATE`` before reading the history, so concurrent publishers are serialized per subject
and can never both register version N.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlingest.errors import MissingDependency, TransientError, register_secret
from sqlingest.registry.store import (
    RegistryStore,
    SchemaVersion,
    SubjectHistory,
    SubjectNotFound,
    VersionNotFound,
    parse_subject,
)

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS sqlingest_subjects (
    subject        text PRIMARY KEY,
    latest_version integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS sqlingest_schema_versions (
    subject     text NOT NULL REFERENCES sqlingest_subjects (subject),
    version     integer NOT NULL,
    contract    jsonb NOT NULL,
    fingerprint text NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (subject, version)
);
"""
_DDL_LOCK_ID = 0x5A1_1E57  # advisory lock serializing table creation across processes

_COLUMNS = "subject, version, contract, fingerprint, created_at"


def _psycopg2() -> Any:
    try:
        import psycopg2
        import psycopg2.extensions
    except ImportError:
        raise MissingDependency(
            "the PostgreSQL registry store needs psycopg2",
            hint="pip install 'sqlingest[postgres]'",
        ) from None
    return psycopg2


class PostgresStore(RegistryStore):
    """Subjects and versions in a PostgreSQL database."""

    def __init__(self, dsn: str) -> None:
        """Connect once to create the tables when missing.

        Args:
            dsn: A libpq connection string or URL, e.g. ``postgresql://user@127.0.0.1:5432/registry``.

        Raises:
            MissingDependency: psycopg2 is not installed.
            TransientError: The database cannot be reached.
        """
        self._pg = _psycopg2()
        self.dsn = dsn
        try:
            password = self._pg.extensions.parse_dsn(dsn).get("password")
        except self._pg.ProgrammingError:
            password = None
        if password:
            register_secret(password)
        with self._connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK_ID,))
            cur.execute(SCHEMA_SQL)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A new connection whose block is one transaction (committed on success, rolled back on error)."""
        try:
            conn = self._pg.connect(self.dsn, connect_timeout=10)
        except self._pg.OperationalError as exc:
            raise TransientError(f"cannot connect to the registry database: {str(exc).strip()}") from None
        try:
            with conn:
                yield conn
        except (self._pg.OperationalError, self._pg.InterfaceError) as exc:
            raise TransientError(f"the registry database failed: {str(exc).strip()}") from None
        finally:
            conn.close()

    def subjects(self) -> list[str]:
        """Every subject with at least one version, sorted."""
        with self._connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT subject FROM sqlingest_subjects WHERE latest_version > 0 ORDER BY subject")
            return [row[0] for row in cur.fetchall()]

    def versions(self, subject: str) -> list[int]:
        """The version numbers of a subject, ascending.

        Raises:
            InvalidSubject: ``subject`` is malformed.
            SubjectNotFound: The subject has no versions.
        """
        parse_subject(subject)
        with self._connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT version FROM sqlingest_schema_versions WHERE subject = %s ORDER BY version",
                        (subject,))
            found = [row[0] for row in cur.fetchall()]
        if not found:
            raise SubjectNotFound(f"subject {subject!r} has no registered versions")
        return found

    def get(self, subject: str, version: int | None = None) -> SchemaVersion:
        """One version of a subject (``None`` = the latest).

        Raises:
            InvalidSubject: ``subject`` is malformed.
            SubjectNotFound: The subject has no versions.
            VersionNotFound: The subject has no such version.
        """
        parse_subject(subject)
        with self._connection() as conn, conn.cursor() as cur:
            if version is None:
                cur.execute(f"SELECT {_COLUMNS} FROM sqlingest_schema_versions WHERE subject = %s "
                            "ORDER BY version DESC LIMIT 1", (subject,))
            else:
                cur.execute(f"SELECT {_COLUMNS} FROM sqlingest_schema_versions WHERE subject = %s AND version = %s",
                            (subject, version))
            row = cur.fetchone()
            if row is None and version is not None:
                cur.execute("SELECT 1 FROM sqlingest_schema_versions WHERE subject = %s LIMIT 1", (subject,))
                if cur.fetchone() is not None:
                    raise VersionNotFound(f"subject {subject!r} has no version {version}")
        if row is None:
            raise SubjectNotFound(f"subject {subject!r} has no registered versions")
        return _version(row)

    def history(self, subject: str) -> list[SchemaVersion]:
        """Every version of a subject, oldest first (one query)."""
        parse_subject(subject)
        with self._connection() as conn, conn.cursor() as cur:
            return _history(cur, subject)

    @contextmanager
    def _transaction(self, subject: str) -> Iterator[SubjectHistory]:
        parse_subject(subject)
        with self._connection() as conn, conn.cursor() as cur:
            cur.execute("INSERT INTO sqlingest_subjects (subject) VALUES (%s) ON CONFLICT (subject) DO NOTHING",
                        (subject,))
            cur.execute("SELECT latest_version FROM sqlingest_subjects WHERE subject = %s FOR UPDATE", (subject,))
            versions = _history(cur, subject)

            def append(created: SchemaVersion) -> None:
                cur.execute(
                    f"INSERT INTO sqlingest_schema_versions ({_COLUMNS}) VALUES (%s, %s, %s::jsonb, %s, %s)",
                    (created.subject, created.version, json.dumps(created.contract), created.fingerprint,
                     datetime.fromisoformat(created.created_at)),
                )
                cur.execute("UPDATE sqlingest_subjects SET latest_version = %s WHERE subject = %s",
                            (created.version, created.subject))

            yield SubjectHistory(versions, append)


def _history(cur: Any, subject: str) -> list[SchemaVersion]:
    cur.execute(f"SELECT {_COLUMNS} FROM sqlingest_schema_versions WHERE subject = %s ORDER BY version", (subject,))
    return [_version(row) for row in cur.fetchall()]


def _version(row: tuple[Any, ...]) -> SchemaVersion:
    subject, version, contract, fingerprint, created_at = row
    if isinstance(contract, str):
        contract = json.loads(contract)
    if isinstance(created_at, datetime):
        created_at = created_at.astimezone(UTC).isoformat()
    return SchemaVersion(subject, int(version), dict(contract), fingerprint, str(created_at))
