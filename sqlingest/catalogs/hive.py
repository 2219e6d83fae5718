"""Catalogs on a Hive Metastore.

``hive``          Spark's session catalog on a Hive Metastore — embedded Derby under ``.sqlingest/`` by default, or
                  a metastore service (``uris: thrift://127.0.0.1:9083``): Delta and Parquet tables by name.
``iceberg_hive``  Iceberg's HiveCatalog on a metastore service (``uri: thrift://…``): Iceberg tables, in a named
                  catalog beside the session catalog.

A metastore service for development: ``python -m sqlingest.services.hive_metastore start --dir …`` (Hive 2.3 from
pyspark's jars; Iceberg's HiveCatalog does not work against Hive Metastore 4.x).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlingest.catalogs.iceberg import _IcebergCatalog
from sqlingest.catalogs.session import SessionCatalog
from sqlingest.errors import ConfigError, MissingDependency


def _thrift(value: object, option: str) -> str:
    uris = str(value)
    if not all(u.strip().startswith("thrift://") for u in uris.split(",")):
        raise ConfigError(f"catalog option {option} '{uris}' must be thrift://host:port (comma-separated for several)",
                          hint="start one with: python -m sqlingest.services start hive-metastore")
    return uris


class HiveCatalog(SessionCatalog):
    """Spark's session catalog on a Hive Metastore (embedded Derby, or a service with ``uris``)."""

    FORMATS: ClassVar[tuple[str, ...]] = ("delta", "parquet")
    OPTIONS = ("warehouse", "uris", "properties")

    def spark_conf(self) -> dict[str, str]:
        uris = self.options.get("uris")
        if not uris:
            conf = super().spark_conf()
        else:
            conf = {
                "spark.sql.catalogImplementation": "hive",
                "spark.sql.warehouse.dir": self.warehouse_dir(),
                "spark.hadoop.hive.metastore.uris": _thrift(uris, "uris"),
            }
        for key, value in (self.options.get("properties") or {}).items():
            conf[key if key.startswith("spark.") else f"spark.hadoop.{key}"] = str(value)
        return conf

    def prepare(self) -> None:
        super().prepare()
        if self.options.get("uris") and "://" not in self.warehouse_dir():
            from pathlib import Path

            Path(self.warehouse_dir()).mkdir(parents=True, exist_ok=True)


class IcebergHiveCatalog(_IcebergCatalog):
    """Iceberg's HiveCatalog: table pointers in a Hive Metastore service, metadata and data under ``warehouse``."""

    OPTIONS = ("uri", "warehouse", "properties")

    def spark_conf(self) -> dict[str, str]:
        prefix = f"spark.sql.catalog.{self.name}"
        uri = self.options.get("uri")
        if not uri:
            raise ConfigError("catalog type 'iceberg_hive' needs uri: thrift://host:port",
                              hint="start a metastore: python -m sqlingest.services start hive-metastore")
        conf = self._base()
        conf[f"{prefix}.type"] = "hive"
        conf[f"{prefix}.uri"] = _thrift(uri, "uri")
        # Hive Metastore 2.3 has no usable lock API without its transaction tables (schematool creates them):
        # commit without HMS locks. Safe for one writer per table; set properties: {hadoop.iceberg.engine.hive.
        # lock-enabled: 'true'} on a metastore whose transaction tables exist.
        conf[f"{prefix}.hadoop.iceberg.engine.hive.lock-enabled"] = "false"
        for key, value in (self.options.get("properties") or {}).items():
            conf[f"{prefix}.{key}"] = str(value)
        return conf

    def live_tables(self) -> Callable[[str, str], Any]:
        from sqlingest.catalogs.live import catalog_loader

        try:
            from pyiceberg.catalog.hive import HiveCatalog as PyIcebergHive
        except ImportError:
            raise MissingDependency("--live on an iceberg_hive catalog needs the thrift package",
                                    hint="pip install 'sqlingest[hive]'") from None
        return catalog_loader(PyIcebergHive(self.name, uri=str(self.options.get("uri")), warehouse=self.warehouse()))
