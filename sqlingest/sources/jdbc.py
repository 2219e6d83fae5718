"""``jdbc`` source: a database table or query read through Spark's JDBC reader, full or incremental.

Incremental reads use a ``watermark`` column (e.g. ``updated_at``): only rows with ``watermark > high-water mark``
are read, where the high-water mark is ``max(<watermark>)`` of the rows the target table already holds (see
:mod:`sqlingest.sources.stateful`), so it advances in the same commit as the rows. The predicate is applied on the
raw JDBC frame with a literal of the column's own type, so Spark pushes it into the database's ``WHERE``.

Each row's ``_source_file`` is ``jdbc:<url without parameters>/<table>`` followed, for incremental sources, by
``#<watermark>=<value>`` — the runner's file protocol can then derive the same high-water mark without reading the
watermark column itself (and lineage shows which version of the row was read).

Credentials: ``user`` (or ``user_secret``) and ``password_secret`` (a secret's name, resolved through the project's
secret providers and redacted everywhere). A literal password in the contract or the URL is refused.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from sqlingest.project.layers import SOURCE_FILE_COLUMN
from sqlingest.sources import ReadResult
from sqlingest.sources.stateful import StatefulSource, sql_string
from sqlingest.sql import type_sql
from sqlingest.validate.conform import conform_typed, quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: keys of ``source:`` this reader interprets itself (anything else in ``options:`` goes to Spark's JDBC reader)
OWN_KEYS = {"url", "table", "query", "user", "user_secret", "password_secret", "driver", "watermark",
            "partition_column", "lower_bound", "upper_bound", "num_partitions", "undeclared", "name"}
_PASSWORD_IN_URL = re.compile(r"password=", re.IGNORECASE)


class JdbcSource(StatefulSource):
    """Reads ``table`` (or ``query``) from ``url``; incremental by ``watermark``; parallel by ``partition_column``."""

    # -- configuration -----------------------------------------------------------------------------
    def url(self) -> str:
        url = str(self.required("url"))
        if not url.startswith("jdbc:"):
            raise self.error(f"'url' must be a JDBC URL (jdbc:…), got '{url.split('?')[0]}'")
        if _PASSWORD_IN_URL.search(url):
            raise self.error("the JDBC URL must not hold a password",
                             hint="use 'password_secret: <secret name>' (env SQLINGEST_SECRET_<NAME> or a provider)")
        return url

    def relation_sql(self) -> str:
        """What goes into Spark's ``dbtable``: the table, or ``(<query>) sqlingest_q``."""
        table, query = self.option("table"), self.option("query")
        if bool(table) == bool(query):
            raise self.error("give exactly one of 'table' or 'query'")
        if query:
            return f"({str(query).strip().rstrip(';')}) sqlingest_q"
        return str(table)

    def identity(self) -> str:
        """``jdbc:<url without parameters>/<table or query-<hash>>`` (no credentials)."""
        base = self.url().split("?", 1)[0].split(";", 1)[0]
        name = self.option("name") or self.option("table") or \
            "query-" + hashlib.sha1(str(self.option("query")).encode()).hexdigest()[:12]
        return f"{base}/{name}"

    def watermark(self) -> str | None:
        wm = self.option("watermark")
        if wm is None:
            return None
        if self.contract.column(str(wm)) is None:
            raise self.error(f"watermark column '{wm}' is not a declared column",
                             hint="declare it in the contract's columns so it is kept in the target table")
        return str(wm)

    def credentials(self) -> dict[str, str]:
        if self.option("password") is not None:
            raise self.error("a literal 'password' is not allowed",
                             hint="use 'password_secret: <secret name>' (env SQLINGEST_SECRET_<NAME> or a provider)")
        creds: dict[str, str] = {}
        if self.option("user_secret"):
            creds["user"] = self.secret(self.option("user_secret"))
        elif self.option("user") is not None:
            creds["user"] = str(self.option("user"))
        if self.option("password_secret"):
            creds["password"] = self.secret(self.option("password_secret"))
        return creds

    def reader_options(self) -> dict[str, str]:
        opts = {k: _text(v) for k, v in self.spec.options.items() if k not in OWN_KEYS and k != "password"}
        opts["url"] = self.url()
        opts["dbtable"] = self.relation_sql()
        opts.update(self.credentials())
        if self.option("driver"):
            opts["driver"] = str(self.option("driver"))
        opts.setdefault("fetchsize", "1000")
        return opts

    # -- state -------------------------------------------------------------------------------------
    def state_from_table(self, spark: SparkSession, relation: str) -> str | None:
        wm = self.watermark()
        if wm is None:
            return None
        columns = spark.table(relation).columns
        if wm in columns:
            row = spark.sql(f"SELECT CAST(max({quote(wm)}) AS STRING) FROM {relation}").first()
            return row[0] if row else None
        if SOURCE_FILE_COLUMN in columns:  # the model renamed or dropped the column: use the lineage
            wm_type = self.contract.column(wm).type  # type: ignore[union-attr]
            prefix = self.identity() + f"#{wm}="
            row = spark.sql(
                f"SELECT CAST(max(TRY_CAST(substr({SOURCE_FILE_COLUMN}, {len(prefix) + 1}) AS {type_sql(wm_type)})) "
                f"AS STRING) FROM {relation} WHERE startswith({SOURCE_FILE_COLUMN}, {sql_string(prefix)})").first()
            return row[0] if row else None
        return None

    # -- read --------------------------------------------------------------------------------------
    def read_from(self, spark: SparkSession, state: Any) -> ReadResult:
        from pyspark.sql import functions as F

        opts = self.reader_options()
        part = self.option("partition_column")
        if part:
            lower, upper = self.option("lower_bound"), self.option("upper_bound")
            if lower is None or upper is None:
                lower, upper = self._bounds(spark, opts, str(part))
            if lower is not None:
                opts.update(partitionColumn=str(part), lowerBound=_text(lower), upperBound=_text(upper),
                            numPartitions=_text(self.option("num_partitions", 4)))
        raw = spark.read.format("jdbc").options(**opts).load()
        wm = self.watermark()
        identity = self.identity()
        read_range = identity
        if wm is not None:
            field = next((f for f in raw.schema.fields if f.name.lower() == wm.lower()), None)
            if field is None:
                raise self.error(f"watermark column '{wm}' is not in {self.option('table') or 'the query'}")
            if state is not None:
                raw = raw.where(F.col(quote(field.name)) > F.lit(str(state)).cast(field.dataType))
                read_range = f"{identity}#{wm}>{state}"
            source = F.concat(F.lit(f"{identity}#{wm}="), F.col(quote(field.name)).cast("string"))
        else:
            source = F.lit(identity)
        raw = raw.select("*", source.alias(SOURCE_FILE_COLUMN))
        if str(self.option("undeclared", "rescue")) == "ignore":
            declared = {c.name.lower() for c in self.contract.columns}
            raw = raw.select(*[quote(c) for c in raw.columns if c.lower() in declared or c == SOURCE_FILE_COLUMN])
        frame = conform_typed(_match_case(raw, self.contract), self.contract)
        return ReadResult(frame, [read_range])

    def _bounds(self, spark: SparkSession, opts: dict[str, str], column: str) -> tuple[Any, Any]:
        """``min``/``max`` of the partition column, asked from the database (one row)."""
        probe = dict(opts)
        probe["dbtable"] = (f"(SELECT min({column}) AS lo, max({column}) AS hi FROM {opts['dbtable']}) "
                            "sqlingest_bounds")
        row = spark.read.format("jdbc").options(**probe).load().first()
        if row is None or row["lo"] is None:
            return None, None
        return row["lo"], row["hi"]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _match_case(df: DataFrame, contract: Any) -> DataFrame:
    """Databases fold identifiers (PostgreSQL to lower, Oracle to upper): name columns as the contract does."""
    by_lower = {c.name.lower(): c.name for c in contract.columns}
    renamed = [f"{quote(c)} AS {quote(by_lower[c.lower()])}" if c.lower() in by_lower and c != by_lower[c.lower()]
               else quote(c) for c in df.columns]
    return df.selectExpr(*renamed)
