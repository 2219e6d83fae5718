"""Delta tables addressed by path: no catalog, no metastore.

A table is a folder ``<warehouse>/<namespace>/<table>`` and SQL names it ``delta.`<folder>``` (Delta's path
identifier, served by the session's ``DeltaCatalog``). Target configuration::

    catalog:
      type: delta_path
      warehouse: .sqlingest/delta-warehouse     # or s3a://bucket/lake, abfss://…

Namespaces are folders (nothing to create in a catalog); dropping a table (``--full-refresh``) deletes its folder
through Hadoop's FileSystem API, so any file system Spark can write to works.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sqlingest.catalogs import Catalog
from sqlingest.errors import ConfigError
from sqlingest.sql import quote_identifier

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_PATH_IDENTIFIER = re.compile(r"^(?P<format>\w+)\.`(?P<path>(?:[^`]|``)+)`$")


def path_of(relation: str) -> str | None:
    """The folder of a path identifier (``delta.`/lake/silver/orders``` → ``/lake/silver/orders``), else None."""
    match = _PATH_IDENTIFIER.match(relation)
    return match.group("path").replace("``", "`") if match else None


class DeltaPathCatalog(Catalog):
    """Delta tables in folders under ``warehouse``, named ``delta.`<warehouse>/<namespace>/<table>```."""

    FORMATS: ClassVar[tuple[str, ...]] = ("delta",)
    OPTIONS = ("warehouse", "properties")

    def warehouse(self) -> str:
        """The root folder: an absolute local path, or a URI (``s3a://…``) kept as written."""
        value = self.options.get("warehouse")
        if value and "://" in str(value):
            return str(value).rstrip("/")
        return str(self.path(str(value)) if value else (self.state_dir / "delta-warehouse").resolve())

    def location(self, namespace: str, table: str) -> str:
        """The folder of a table (a dotted namespace becomes nested folders)."""
        return "/".join([self.warehouse(), *namespace.split("."), table])

    def relation(self, namespace: str, table: str) -> str:
        return "delta." + quote_identifier(self.location(namespace, table))

    def namespace(self, namespace: str) -> str | None:
        return None

    def spark_conf(self) -> dict[str, str]:
        conf: dict[str, str] = {}
        if "://" not in self.warehouse():  # keep Spark's own (unused) warehouse folder out of the working directory
            conf["spark.sql.warehouse.dir"] = str((self.state_dir / "spark-warehouse").resolve())
        for key, value in (self.options.get("properties") or {}).items():
            conf[key if key.startswith("spark.") else f"spark.hadoop.{key}"] = str(value)
        return conf

    def prepare(self) -> None:
        if "://" not in self.warehouse():
            Path(self.warehouse()).mkdir(parents=True, exist_ok=True)

    def drop_table(self, spark: SparkSession, relation: str) -> None:
        """Delete the table's folder (``DROP TABLE`` does nothing to a path identifier)."""
        folder = path_of(relation)
        if folder is None:
            raise ConfigError(f"'{relation}' is not a path identifier of catalog type delta_path")
        jvm = spark.sparkContext._jvm
        hadoop_path = jvm.org.apache.hadoop.fs.Path(folder)  # type: ignore[union-attr]
        conf = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[union-attr]
        hadoop_path.getFileSystem(conf).delete(hadoop_path, True)
