"""What each catalog adapter can do with each table format it holds.

An adapter declares ``CAPABILITIES = {format: frozenset of capability names}``; adapters that do not declare it
get what their formats allow (:func:`format_capabilities`), without ``branches``. The support matrix
(``docs/support-matrix.md``, :mod:`sqlingest.catalogs.matrix`) and the catalog test suite read these declarations.

Capabilities:

``create``            CREATE TABLE from a contract
``schema_evolution``  add a nullable column in place (ALTER TABLE … ADD COLUMNS)
``append``            INSERT INTO
``overwrite``         INSERT OVERWRITE in one commit
``merge``             MERGE INTO on a unique key
``time_travel``       read an earlier version (``VERSION AS OF``)
``branches``          catalog-wide branches: build on a branch, merge it into main (write-audit-publish)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlingest.formats import get_format

if TYPE_CHECKING:
    from sqlingest.catalogs import Catalog

CAPABILITIES: tuple[str, ...] = ("create", "schema_evolution", "append", "overwrite", "merge", "time_travel",
                                 "branches")


def format_capabilities(fmt: str) -> frozenset[str]:
    """What the table format itself allows (every capability but ``branches``)."""
    have = get_format(fmt).capabilities.names()
    return frozenset(c for c in CAPABILITIES if c in have)


def declared(catalog_cls: type[Catalog]) -> dict[str, frozenset[str]]:
    """``{format: capabilities}`` for a catalog adapter class, for every format in its ``FORMATS``."""
    explicit: Mapping[str, frozenset[str]] = getattr(catalog_cls, "CAPABILITIES", None) or {}
    return {fmt: frozenset(explicit.get(fmt, format_capabilities(fmt))) for fmt in catalog_cls.FORMATS}


def supports(catalog_cls: type[Catalog], fmt: str, name: str) -> bool:
    """Whether ``catalog_cls`` declares capability ``name`` for format ``fmt``."""
    return name in declared(catalog_cls).get(fmt, frozenset())
