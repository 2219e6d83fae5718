"""Shared machinery for non-file sources (jdbc, http, kafka): options, secrets, empty frames and the
*state-in-the-target-table* protocol.

State lives in the table being written, never in a side file
------------------------------------------------------------
An incremental source (``jdbc`` with a ``watermark``, ``kafka``) needs to know where the previous run stopped. That
position is derived from the rows the target table already holds — ``max(<watermark>)``, or the highest Kafka offset
per partition recorded in ``_source_file`` — so it advances in the same commit as the rows themselves:

- a run that fails before its commit leaves the table, hence the state, unchanged: the next run reads the same
  range again (nothing skipped);
- a run that commits has, in the same snapshot, the rows and the new position (nothing read twice).

The runner hands the state to a source (see ``docs/sources.md``): ``state_from_table(spark, relation)`` → one
aggregate query on the target table, whatever its size, then ``read(spark, state=…)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlingest.errors import UserError
from sqlingest.project.layers import RESCUE_COLUMN, SOURCE_FILE_COLUMN
from sqlingest.sources import ReadResult, Source
from sqlingest.sql import quote_identifier as quote
from sqlingest.sql import string_literal, type_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

PROJECT_FILE = "sqlingest.yml"


class StatefulSource(Source):
    """A source whose incremental position is derived from the target table (see the module's docstring)."""

    #: the position comes from :meth:`state_from_table`, not from ``exclude`` (distinct ``_source_file`` values)
    INCREMENTAL_BY_FILE: ClassVar[bool] = False
    #: the runner may call :meth:`state_from_table` and pass ``state=`` to :meth:`read`
    INCREMENTAL_BY_STATE: ClassVar[bool] = True

    # -- options -----------------------------------------------------------------------------------
    def option(self, name: str, default: Any = None) -> Any:
        """A reader option: a key of the ``source:`` section, else of its ``options:`` mapping."""
        extra = self.spec.extra
        if name in extra:
            return extra[name]
        return self.spec.options.get(name, default)

    def required(self, name: str) -> Any:
        value = self.option(name)
        if value in (None, ""):
            raise self.error(f"'{name}' is required for {self.spec.format} sources")
        return value

    def error(self, message: str, hint: str | None = None) -> UserError:
        return UserError(f"source {self.contract.name}: {message}", location=self.contract.location, hint=hint)

    def secret(self, name: str) -> str:
        """A secret through the project's providers (``secrets:`` of ``sqlingest.yml``; default env, then file)."""
        return project_secrets(self.project_dir).get(str(name))

    # -- state -------------------------------------------------------------------------------------
    def state_from_table(self, spark: SparkSession, relation: str) -> Any | None:
        """The position already ingested into ``relation`` (None: read from the beginning)."""
        return None

    def read(self, spark: SparkSession, *, exclude: set[str] | None = None, state: Any = None) -> ReadResult:
        """Read from ``state`` (:meth:`state_from_table`'s position; None: from the beginning). ``exclude`` is
        :class:`~sqlingest.sources.Source`'s file protocol, which these sources do not use."""
        return self.read_from(spark, state)

    def read_from(self, spark: SparkSession, state: Any) -> ReadResult:
        raise NotImplementedError

    # -- frames ------------------------------------------------------------------------------------
    def empty(self, spark: SparkSession) -> DataFrame:
        cols = ", ".join(f"CAST(NULL AS {type_sql(c.type)}) AS {quote(c.name)}" for c in self.contract.columns)
        return spark.sql(f"SELECT {cols}, CAST(NULL AS STRING) AS {RESCUE_COLUMN}, "
                         f"CAST(NULL AS STRING) AS {SOURCE_FILE_COLUMN} WHERE 1 = 0")


def project_secrets(project_dir: Path) -> Any:
    """The project's secret providers, configured as ``load_project`` configures them."""
    import yaml

    from sqlingest.secrets import Secrets

    raw: Any = {}
    path = Path(project_dir) / PROJECT_FILE
    if path.is_file():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            raw = {}
    return Secrets.from_config(Path(project_dir), (raw.get("secrets") or []) if isinstance(raw, dict) else [])


sql_string = string_literal


def read_new(reader: Source, spark: SparkSession, relation: str, *, exclude: set[str] | None = None) -> ReadResult:
    """What ``reader`` has that table ``relation`` does not hold yet (everything when the table does not exist):
    a stateful source starts after the position the table records (``state_from_table``), a file source skips
    the files in the table's ``_source_file`` column (and those in ``exclude``), a snapshot source reads it all."""
    exists = bool(spark.catalog.tableExists(relation))
    if isinstance(reader, StatefulSource) and reader.INCREMENTAL_BY_STATE:
        return reader.read(spark, state=reader.state_from_table(spark, relation) if exists else None)
    if reader.INCREMENTAL_BY_FILE and exists and SOURCE_FILE_COLUMN in spark.table(relation).columns:
        exclude = {r[0] for r in spark.sql(f"SELECT DISTINCT {SOURCE_FILE_COLUMN} FROM {relation}").collect()
                   if r[0]} | (exclude or set())
    return reader.read(spark, exclude=exclude)
