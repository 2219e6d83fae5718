"""Spark's session catalog with an embedded Hive metastore (Derby under ``.sqlingest/``): Delta and Parquet
tables by name, for local work without a catalog service."""

from __future__ import annotations

from typing import ClassVar

from sqlingest.catalogs import Catalog


class SessionCatalog(Catalog):
    FORMATS: ClassVar[tuple[str, ...]] = ("delta", "parquet")
    OPTIONS: ClassVar[tuple[str, ...]] = ("warehouse",)

    def relation(self, namespace: str, table: str) -> str:
        return f"spark_catalog.{namespace}.{table}"

    def namespace(self, namespace: str) -> str:
        return f"spark_catalog.{namespace}"

    def warehouse_dir(self) -> str:
        value = self.options.get("warehouse")
        return str(self.path(value) if value else (self.state_dir / "spark-warehouse").resolve())

    def spark_conf(self) -> dict[str, str]:
        derby = (self.state_dir / "metastore_db").resolve()
        return {
            "spark.sql.catalogImplementation": "hive",
            "spark.sql.warehouse.dir": self.warehouse_dir(),
            "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={derby};create=true",
            "spark.hadoop.datanucleus.schema.autoCreateAll": "true",
            "spark.hadoop.hive.metastore.schema.verification": "false",
        }

    def prepare(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
