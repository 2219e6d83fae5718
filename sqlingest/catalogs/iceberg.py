"""Iceberg catalogs: JDBC (SQLite embedded default, PostgreSQL for teams) and Hadoop (path-based)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlingest.catalogs import Catalog
from sqlingest.errors import ConfigError

ICEBERG_CATALOG = "org.apache.iceberg.spark.SparkCatalog"


class _IcebergCatalog(Catalog):
    FORMATS: ClassVar[tuple[str, ...]] = ("iceberg",)

    def warehouse(self) -> str:
        value = self.options.get("warehouse")
        path = self.path(value) if value and "://" not in str(value) else None
        if value and path is None:
            return str(value)
        return (path or (self.state_dir / "warehouse").resolve()).as_uri()

    def _base(self) -> dict[str, str]:
        prefix = f"spark.sql.catalog.{self.name}"
        return {prefix: ICEBERG_CATALOG, f"{prefix}.warehouse": self.warehouse()}

    def prepare(self) -> None:
        warehouse = self.warehouse()
        if warehouse.startswith("file:"):
            from pathlib import Path
            from urllib.parse import urlparse

            Path(urlparse(warehouse).path).mkdir(parents=True, exist_ok=True)


class IcebergJdbcCatalog(_IcebergCatalog):
    """Iceberg's JDBC catalog. Default: SQLite at ``.sqlingest/catalog.db`` (one writer at a time)."""

    OPTIONS = ("uri", "user", "password", "warehouse", "properties")

    def uri(self) -> str:
        uri = self.options.get("uri")
        if uri:
            if not str(uri).startswith("jdbc:"):
                raise ConfigError(f"catalog uri '{uri}' must be a JDBC URL (jdbc:sqlite:… or jdbc:postgresql:…)")
            return str(uri)
        return f"jdbc:sqlite:{(self.state_dir / 'catalog.db').resolve()}"

    def spark_conf(self) -> dict[str, str]:
        prefix = f"spark.sql.catalog.{self.name}"
        conf = self._base()
        conf[f"{prefix}.type"] = "jdbc"
        conf[f"{prefix}.uri"] = self.uri()
        conf[f"{prefix}.jdbc.schema-version"] = "V1"
        if self.options.get("user") is not None:
            conf[f"{prefix}.jdbc.user"] = str(self.options["user"])
        if self.options.get("password") is not None:
            conf[f"{prefix}.jdbc.password"] = str(self.options["password"])
        for key, value in (self.options.get("properties") or {}).items():
            conf[f"{prefix}.{key}"] = str(value)
        return conf

    def prepare(self) -> None:
        super().prepare()
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def live_tables(self) -> Callable[[str, str], Any]:
        from pyiceberg.catalog.sql import SqlCatalog

        from sqlingest.catalogs.live import catalog_loader, sqlalchemy_uri

        uri = sqlalchemy_uri(self.uri(), self.options.get("user"), self.options.get("password"))
        return catalog_loader(SqlCatalog(self.name, uri=uri, warehouse=self.warehouse()))


class IcebergHadoopCatalog(_IcebergCatalog):
    """Iceberg's Hadoop catalog: metadata and data under one warehouse path, no catalog service."""

    OPTIONS = ("warehouse", "properties")

    def spark_conf(self) -> dict[str, str]:
        conf = self._base()
        conf[f"spark.sql.catalog.{self.name}.type"] = "hadoop"
        for key, value in (self.options.get("properties") or {}).items():
            conf[f"spark.sql.catalog.{self.name}.{key}"] = str(value)
        return conf
