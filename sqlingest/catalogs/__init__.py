"""Catalog adapters: where tables live and how Spark reaches them.

A :class:`Catalog` turns a namespace and table name into the identifier models use, says which table formats it can
hold, and contributes the Spark configuration that registers it. Built-ins live beside this module; others load
through the ``sqlingest.catalogs`` entry point group or a dotted path in ``type:``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlingest.catalogs.capabilities import CAPABILITIES, declared, format_capabilities
from sqlingest.errors import ConfigError, Location, UnsupportedCombination, UserError
from sqlingest.formats import TableFormat, get_format
from sqlingest.plugins import PluginRegistry
from sqlingest.project.config import CatalogConfig

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sqlingest.catalogs.wap import NessieRefs


class Catalog(ABC):
    """One catalog of one target.

    Args:
        config: the target's ``catalog:`` section (``type``, ``name`` and adapter options).
        project_dir: the project root (relative paths in options are resolved against it).
        state_dir: the project's local state folder (``.sqlingest``), for embedded catalogs.
    """

    #: table formats this catalog can create and load
    FORMATS: ClassVar[tuple[str, ...]] = ()
    #: option names this adapter accepts (beyond ``type`` and ``name``)
    OPTIONS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: CatalogConfig, project_dir: Path, state_dir: Path) -> None:
        unknown = sorted(set(config.options) - set(self.OPTIONS))
        if unknown:
            raise ConfigError(f"catalog type '{config.type}' has no option(s) {', '.join(unknown)}",
                              hint=f"options: {', '.join(self.OPTIONS) or '(none)'}")
        self.config = config
        self.name = config.name
        self.project_dir = project_dir
        self.state_dir = state_dir
        self.options: dict[str, Any] = config.options

    def path(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else (self.project_dir / path).resolve()

    def relation(self, namespace: str, table: str) -> str:
        """The identifier SQL uses for a table (``lake.silver.customers``)."""
        return f"{self.name}.{namespace}.{table}"

    def namespace(self, namespace: str) -> str | None:
        """The identifier ``CREATE NAMESPACE`` takes; None when tables need no namespace (path-based tables)."""
        return f"{self.name}.{namespace}"

    def drop_table(self, spark: SparkSession, relation: str) -> None:
        """Remove a table and its data (``--full-refresh``)."""
        spark.sql(f"DROP TABLE IF EXISTS {relation}")

    def check_format(self, fmt: TableFormat, *, where: str = "") -> None:
        """Refuse a format this catalog cannot hold.

        Raises:
            UnsupportedCombination: with what to use instead.
        """
        if not self.holds(fmt):
            raise UnsupportedCombination(
                f"catalog type '{self.config.type}' cannot hold {fmt.name} tables{where}",
                hint=f"use format {' or '.join(self.FORMATS)} with this catalog, or a target whose catalog "
                     f"supports {fmt.name} (see docs/support-matrix.md)")

    def holds(self, fmt: TableFormat) -> bool:
        """Whether this catalog can hold ``fmt`` tables: one of its ``FORMATS``, or a third-party format that names
        this catalog type in its ``catalogs``."""
        return fmt.name in self.FORMATS or self.config.type in fmt.catalogs

    def capabilities(self, fmt: str) -> frozenset[str]:
        """What this catalog declares it can do with ``fmt`` tables (``CAPABILITIES``; catalogs/capabilities.py); a
        third-party format it holds gets what the format itself allows."""
        have = declared(type(self)).get(fmt)
        if have is not None:
            return have
        return format_capabilities(fmt) if self.holds(get_format(fmt)) else frozenset()

    def missing(self, fmt: TableFormat, needs: Iterable[str]) -> list[str]:
        """The capabilities among ``needs`` this catalog does not declare for ``fmt`` tables. A name outside the
        support matrix (``commits``) is the format's own."""
        have = self.capabilities(fmt.name)
        return [c for c in needs if not (c in have if c in CAPABILITIES else fmt.capability(c))]

    def require(self, name: str, fmt: str, *, what: str, location: Location | None = None) -> None:
        """Refuse ``what`` (``--branch``, ``--live``, a model) when this catalog does not declare capability ``name``
        for ``fmt`` tables.

        Raises:
            UnsupportedCombination: naming the catalog types that declare it.
        """
        if name in self.capabilities(fmt):
            return
        others = sorted(t for t in CATALOGS.names() if name in declared(CATALOGS.load(t)).get(fmt, frozenset()))
        raise UnsupportedCombination(
            f"{what} needs {name}, which catalog type '{self.config.type}' does not declare for {fmt} tables",
            location=location,
            hint=(f"use a target whose catalog type declares it: {', '.join(others)}" if others else
                  "no catalog type declares it") + " (docs/support-matrix.md)")

    def live_tables(self) -> Callable[[str, str], Any]:
        """``(namespace, table) → pyiceberg Table | None``: the live tables read without a JVM (``compile --live``;
        sqlingest/catalogs/live.py). A catalog that can read its tables so overrides this.

        Raises:
            UserError: this catalog cannot be read without a JVM.
        """
        raise UserError(f"--live reads Iceberg catalogs (iceberg_jdbc, iceberg_nessie, iceberg_hive); this "
                        f"target's is '{self.config.type}'", hint="run `sqlingest compile` without --live")

    def branch_refs(self) -> NessieRefs:
        """The client that creates, merges and drops this catalog's branches (``branches`` capability)."""
        raise UnsupportedCombination(f"catalog type '{self.config.type}' has no branches")

    def use_ref(self, ref: str) -> str:
        """Point this catalog at branch ``ref`` (before Spark starts); returns the reference it was on."""
        raise UnsupportedCombination(f"catalog type '{self.config.type}' has no branches")

    @abstractmethod
    def spark_conf(self) -> dict[str, str]:
        """Spark configuration that registers this catalog."""

    def prepare(self) -> None:
        """Create local folders and files the catalog needs before Spark starts (no JVM)."""

    def table_location(self, namespace: str, table: str) -> str | None:
        """An explicit LOCATION for path-based tables, or None to let the catalog decide."""
        return None


CATALOGS: PluginRegistry[type[Catalog]] = PluginRegistry("catalogs", {
    "iceberg_jdbc": "sqlingest.catalogs.iceberg:IcebergJdbcCatalog",
    "iceberg_hadoop": "sqlingest.catalogs.iceberg:IcebergHadoopCatalog",
    "spark_session": "sqlingest.catalogs.session:SessionCatalog",
    "hive": "sqlingest.catalogs.hive:HiveCatalog",
    "iceberg_hive": "sqlingest.catalogs.hive:IcebergHiveCatalog",
    "iceberg_nessie": "sqlingest.catalogs.nessie:IcebergNessieCatalog",
    "delta_path": "sqlingest.catalogs.paths:DeltaPathCatalog",
})


def load_catalog(config: CatalogConfig, project_dir: Path, state_dir: Path) -> Catalog:
    """The adapter for ``config.type``."""
    return CATALOGS.load(config.type)(config, project_dir, state_dir)
