"""Live Iceberg schemas read with pyiceberg — no JVM — so ``sqlingest compile --live`` can compare contracts with
the tables they describe and say what a build would change."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote as urlquote

from sqlingest import types as T
from sqlingest.catalogs import Catalog
from sqlingest.errors import CatalogUnavailable, UserError


def _spark_type(t: Any) -> str:
    """A pyiceberg type as Spark's ``simpleString`` (the one model prints it: quoted field names, ``decimal(p,s)``)."""
    return str(_to_model(t))


def _to_model(t: Any) -> T.SparkType:
    """A pyiceberg type as Spark reads it (Iceberg's Spark integration: ``uuid`` → string, ``fixed`` → binary,
    ``timestamp`` → timestamp_ntz, ``timestamptz`` → timestamp; ``time`` has no Spark type)."""
    from pyiceberg import types as it

    simple = {it.LongType: T.BIGINT, it.IntegerType: T.INT, it.StringType: T.STRING, it.DoubleType: T.DOUBLE,
              it.FloatType: T.FLOAT, it.BooleanType: T.BOOLEAN, it.DateType: T.DATE, it.BinaryType: T.BINARY,
              it.TimestamptzType: T.TIMESTAMP, it.TimestampType: T.TIMESTAMP_NTZ, it.UUIDType: T.STRING,
              it.FixedType: T.BINARY}
    for cls, spark in simple.items():
        if isinstance(t, cls):
            return spark
    if isinstance(t, it.DecimalType):
        return T.DecimalType(t.precision, t.scale)
    if isinstance(t, it.ListType):
        return T.ArrayType(_to_model(t.element_type), not t.element_required)
    if isinstance(t, it.MapType):
        return T.MapType(_to_model(t.key_type), _to_model(t.value_type), not t.value_required)
    if isinstance(t, it.StructType):
        return T.StructType(tuple(T.StructField(f.name, _to_model(f.field_type), not f.required, f.doc)
                                  for f in t.fields))
    raise UserError(f"the live table has a column of Iceberg type {t}, which sqlingest cannot compare yet")


def sqlalchemy_uri(jdbc: str, user: str | None = None, password: str | None = None) -> str:
    """The SQLAlchemy URI of an Iceberg JDBC catalog's database."""
    if jdbc.startswith("jdbc:sqlite:"):
        return "sqlite:///" + jdbc.removeprefix("jdbc:sqlite:")
    match = re.match(r"jdbc:postgresql://([^/]+)/([^?]+)", jdbc)
    if match:
        auth = ""
        if user:
            auth = urlquote(user) + (":" + urlquote(password) if password else "") + "@"
        return f"postgresql+psycopg2://{auth}{match.group(1)}/{match.group(2)}"
    raise UserError(f"cannot read the catalog database {jdbc} without a JVM")


class LiveSchemas:
    """Reads table schemas of a catalog through pyiceberg, with the loader the catalog gives
    (:meth:`Catalog.live_tables`): ``iceberg_jdbc`` (SQLite, PostgreSQL), ``iceberg_nessie`` (Nessie's API v2 gives
    the table's metadata file, read directly) and ``iceberg_hive`` (a Hive Metastore service over Thrift; needs the
    ``thrift`` package: ``pip install 'sqlingest[hive]'``)."""

    def __init__(self, catalog: Catalog) -> None:
        logging.getLogger("pyiceberg").setLevel(logging.ERROR)  # it warns about optional FileIO backends
        self._load = catalog.live_tables()

    def schema(self, namespace: str, table: str) -> list[tuple[str, str]] | None:
        """``[(column, spark type)]`` of a live table, or None when it does not exist yet."""
        loaded = self._load(namespace, table)
        if loaded is None:
            return None
        return [(f.name, _spark_type(f.field_type)) for f in loaded.schema().fields]


def catalog_loader(catalog: Any) -> Callable[[str, str], Any]:
    """``(namespace, table) → pyiceberg Table | None`` for a pyiceberg catalog."""
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

    def load(namespace: str, table: str) -> Any:
        try:
            return catalog.load_table((*namespace.split("."), table))
        except (NoSuchTableError, NoSuchNamespaceError):
            return None
        except Exception as exc:  # noqa: BLE001 — the client's own errors (socket, Thrift, HTTP, SQL)
            raise CatalogUnavailable(f"cannot read {namespace}.{table} from the live catalog: {exc}") from None

    return load


def nessie_loader(uri: str, ref: str) -> Callable[[str, str], Any]:
    """``(namespace, table) → pyiceberg Table | None`` on Nessie reference ``ref``: the table's metadata location
    from Nessie's API v2, the metadata file read with pyiceberg."""
    from pyiceberg.table import StaticTable

    from sqlingest.catalogs.wap import NessieRefs

    refs = NessieRefs(uri)

    def load(namespace: str, table: str) -> Any:
        content = refs.content([*namespace.split("."), table], ref=ref)
        if not content or content.get("type") != "ICEBERG_TABLE":
            return None
        return StaticTable.from_metadata(str(content["metadataLocation"]))

    return load
