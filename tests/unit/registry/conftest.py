"""Fixtures for the registry tests: a private PostgreSQL cluster for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def postgres_service() -> Iterator[object]:
    """A throw-away PostgreSQL cluster (`make test` installs PostgreSQL; a missing one fails, never skips)."""
    from sqlingest.services.postgres import start_postgres

    service = start_postgres()
    try:
        yield service
    finally:
        service.stop()
