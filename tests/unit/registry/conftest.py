"""Fixtures for the registry tests: a private PostgreSQL cluster for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sqlingest.errors import MissingDependency


@pytest.fixture(scope="session")
def postgres_service() -> Iterator[object]:
    """A throw-away PostgreSQL cluster (skips the test when PostgreSQL or psycopg2 is not installed)."""
    pytest.importorskip("psycopg2")
    from sqlingest.services.postgres import start_postgres

    try:
        service = start_postgres()
    except MissingDependency as exc:
        pytest.skip(exc.format())
    try:
        yield service
    finally:
        service.stop()
