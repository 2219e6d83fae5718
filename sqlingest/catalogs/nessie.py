"""Iceberg on Nessie: a catalog with Git-like branches across all its tables (write-audit-publish).

Target configuration::

    catalog:
      type: iceberg_nessie
      name: lake
      uri: http://127.0.0.1:19120/api/v2
      ref: main                      # the branch (or tag) tables are read from and written to
      warehouse: .sqlingest/nessie-warehouse

A server for development: ``python -m sqlingest.services start nessie``. Branches are
created, merged and dropped with :mod:`sqlingest.catalogs.wap` (Nessie REST API v2) or, with Nessie's Spark SQL
extensions on the class path, ``CREATE BRANCH … IN lake``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from sqlingest.catalogs.capabilities import format_capabilities
from sqlingest.catalogs.iceberg import _IcebergCatalog
from sqlingest.errors import ConfigError

if TYPE_CHECKING:
    from sqlingest.catalogs.wap import NessieRefs


class IcebergNessieCatalog(_IcebergCatalog):
    """Iceberg's NessieCatalog (native Nessie API v2; Nessie's Iceberg REST endpoint refuses ``file://``)."""

    OPTIONS = ("uri", "ref", "warehouse", "properties")
    CAPABILITIES: ClassVar[dict[str, frozenset[str]]] = {"iceberg": format_capabilities("iceberg") | {"branches"}}

    def uri(self) -> str:
        uri = self.options.get("uri")
        if not uri or not str(uri).startswith(("http://", "https://")):
            raise ConfigError(f"catalog type 'iceberg_nessie' needs uri: http://host:port/api/v2 (got {uri!r})",
                              hint="start a server: python -m sqlingest.services start nessie")
        return str(uri).rstrip("/")

    @property
    def ref(self) -> str:
        return str(self.options.get("ref") or "main")

    def branch_refs(self) -> NessieRefs:
        from sqlingest.catalogs.wap import NessieRefs

        return NessieRefs(self.uri())

    def use_ref(self, ref: str) -> str:
        previous, self.options["ref"] = self.ref, ref
        return previous

    def live_tables(self) -> Callable[[str, str], Any]:
        from sqlingest.catalogs.live import nessie_loader

        return nessie_loader(self.uri(), self.ref)

    def spark_conf(self) -> dict[str, str]:
        prefix = f"spark.sql.catalog.{self.name}"
        conf = self._base()
        conf[f"{prefix}.type"] = "nessie"
        conf[f"{prefix}.uri"] = self.uri()
        conf[f"{prefix}.ref"] = self.ref
        conf[f"{prefix}.client-api-version"] = "2"
        for key, value in (self.options.get("properties") or {}).items():
            conf[f"{prefix}.{key}"] = str(value)
        return conf
