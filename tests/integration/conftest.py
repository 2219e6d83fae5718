"""One local SparkSession for the whole integration suite, with an Iceberg JDBC catalog (SQLite) named ``lake``
and Spark's session catalog (Delta/Parquet on an embedded Derby metastore), all under pytest's temp folder.

With ``SQLINGEST_TEST_METASTORE_URIS`` set (by a test that runs part of the suite in a pytest process of its own),
the session catalog is that Hive Metastore service instead: a session's metastore is fixed when it starts."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import write_files
from tests.demo import copy_demo

METASTORE_URIS = os.environ.get("SQLINGEST_TEST_METASTORE_URIS")


@dataclass
class Lakehouse:
    spark: object
    root: Path
    sqlite_uri: str
    warehouse: str

    def target(self, *, format: str = "iceberg", catalog: str = "iceberg_jdbc") -> str:
        if catalog == "spark_session":
            cat = f"{{type: spark_session, warehouse: '{self.root / 'spark-warehouse'}'}}"
        else:
            cat = f"{{type: iceberg_jdbc, name: lake, uri: '{self.sqlite_uri}', warehouse: '{self.warehouse}'}}"
        return (f"    catalog: {cat}\n    format: {format}\n"
                "    spark: {master: 'local[2]', conf: {spark.sql.shuffle.partitions: '2', spark.ui.enabled: 'false'}}\n")


@pytest.fixture(scope="session")
def lakehouse(tmp_path_factory: pytest.TempPathFactory):
    from sqlingest.catalogs.hive import HiveCatalog
    from sqlingest.catalogs.iceberg import IcebergJdbcCatalog
    from sqlingest.catalogs.session import SessionCatalog
    from sqlingest.execute.session import build_session
    from sqlingest.project.config import CatalogConfig, SparkConfig

    root = tmp_path_factory.mktemp("lakehouse")
    iceberg = IcebergJdbcCatalog(CatalogConfig(type="iceberg_jdbc", name="lake"), root, root)
    warehouse = str(root / "spark-warehouse")
    session_catalog = (
        HiveCatalog(CatalogConfig(type="hive", warehouse=warehouse, uris=METASTORE_URIS), root, root)
        if METASTORE_URIS else SessionCatalog(CatalogConfig(type="spark_session", warehouse=warehouse), root, root))
    session_catalog.prepare()
    conf = {**session_catalog.spark_conf(), "spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false",
            "spark.default.parallelism": "2",
            # Delta rebuilds a table's state from its log in 50 tasks by default: 2 halve the time of Delta builds here
            "spark.databricks.delta.snapshotPartitions": "2"}
    spark = build_session(SparkConfig(master="local[2]", driver_memory="1g", conf=conf), iceberg)
    yield Lakehouse(spark, root, iceberg.uri(), iceberg.warehouse())
    spark.stop()


@pytest.fixture
def project(lakehouse: Lakehouse, tmp_path: Path):
    """``project(files, format=…, catalog=…)`` → a project whose layers live in namespaces unique to the test."""

    def make(files: dict[str, str], *, format: str = "iceberg", catalog: str = "iceberg_jdbc",
             extra: str = "", head: str = "", name: str = "proj") -> Path:
        uid = uuid.uuid4().hex[:8]
        config = ("name: t\n" + head +
                  f"layers:\n  bronze: {{namespace: b_{uid}}}\n  silver: {{namespace: s_{uid}}}\n"
                  f"  gold: {{namespace: g_{uid}, require_contract: false}}\n"
                  f"targets:\n  dev:\n{lakehouse.target(format=format, catalog=catalog)}{extra}")
        return write_files(tmp_path / name, {"sqlingest.yml": config, **files})

    return make


@pytest.fixture
def demo(project):
    """The repository's demo project (contracts, models, macros, data) in a fresh folder."""
    return copy_demo(project({}, head="vars: {currency: EUR}\n"))


@pytest.fixture(scope="session")
def kafka_broker():
    """One private KRaft broker for the session (a missing service is a failure, not a skip)."""
    from sqlingest.services.kafka import start_kafka

    service = start_kafka()
    yield service
    service.stop()
