"""Live Iceberg schemas read with pyiceberg — no JVM — so ``sqlingest compile --live`` can compare contracts with
the tables they describe and say what a build would change."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote as urlquote

from sqlingest.catalogs import Catalog
from sqlingest.errors import UserError


def _spark_type(t: Any) -> str:
    from pyiceberg import types as it

    simple = {it.LongType: "bigint", it.IntegerType: "int", it.StringType: "string", it.DoubleType: "double",
              it.FloatType: "float", it.BooleanType: "boolean", it.DateType: "date", it.BinaryType: "binary",
              it.TimestamptzType: "timestamp", it.TimestampType: "timestamp_ntz", it.UUIDType: "string"}
    for cls, name in simple.items():
        if isinstance(t, cls):
            return name
    if isinstance(t, it.DecimalType):
        return f"decimal({t.precision},{t.scale})"
    if isinstance(t, it.ListType):
        return f"array<{_spark_type(t.element_type)}>"
    if isinstance(t, it.MapType):
        return f"map<{_spark_type(t.key_type)},{_spark_type(t.value_type)}>"
    if isinstance(t, it.StructType):
        return "struct<" + ",".join(f"{f.name}:{_spark_type(f.field_type)}" for f in t.fields) + ">"
    return str(t)


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
    """Reads table schemas of an Iceberg JDBC catalog through pyiceberg."""

    def __init__(self, catalog: Catalog) -> None:
        from pyiceberg.catalog.sql import SqlCatalog

        from sqlingest.catalogs.iceberg import IcebergJdbcCatalog

        logging.getLogger("pyiceberg").setLevel(logging.ERROR)  # it warns about optional FileIO backends
        if not isinstance(catalog, IcebergJdbcCatalog):
            raise UserError(f"--live needs an Iceberg JDBC catalog; this target's is '{catalog.config.type}'")
        opts = catalog.options
        uri = sqlalchemy_uri(catalog.uri(), opts.get("user"), opts.get("password"))
        self.catalog = SqlCatalog(catalog.name, uri=uri, warehouse=catalog.warehouse())

    def schema(self, namespace: str, table: str) -> list[tuple[str, str]] | None:
        """``[(column, spark type)]`` of a live table, or None when it does not exist yet."""
        from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

        try:
            loaded = self.catalog.load_table((namespace, table))
        except (NoSuchTableError, NoSuchNamespaceError):
            return None
        return [(f.name, _spark_type(f.field_type)) for f in loaded.schema().fields]
