"""The table-format plug point: what ``CREATE TABLE … USING <format>`` supports (declared up front, so a combination
that cannot work is refused at compile time, not discovered mid-run) and the operations that differ between formats
(versions and restore, commit metadata, validated overwrites, file and byte accounting).

A format is one subclass of :class:`TableFormat` in one module, registered in :data:`sqlingest.formats.FORMATS`
(built-ins) or through the ``sqlingest.formats`` entry point group. Nothing outside ``sqlingest/formats`` tests a
format's name: callers read :attr:`TableFormat.capabilities` or call a method.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, ClassVar

from sqlingest.errors import UnsupportedCombination

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class Capabilities:
    """What a table format supports. The first seven are the capability names materializations require
    (``Materialization.REQUIRES``) and catalogs declare (:mod:`sqlingest.catalogs.capabilities`)."""

    create: bool = True  # CREATE TABLE from a contract
    append: bool = True  # INSERT INTO
    overwrite: bool = True  # INSERT OVERWRITE in one commit
    merge: bool = False  # MERGE INTO on a unique key
    schema_evolution: bool = False  # ALTER TABLE … ADD COLUMNS in place
    time_travel: bool = False  # read an earlier version (VERSION AS OF)
    #: transactional commits that carry metadata (exactly-once streaming micro-batches)
    commits: bool = False
    #: :meth:`TableFormat.restore` puts the table back to an earlier version (a failed ``fail`` check unpublishes)
    restore: bool = False
    #: a DataFrame write into the table reports the DataFrame's ``Observation`` (Delta's writes run their own query
    #: executions, which do not: the rows are cached and counted first)
    writes_report_observations: bool = True
    #: a MERGE reports the ``Observation`` of its source
    merge_reports_observations: bool = True
    #: replace the partitions present in a write and keep the others (``insert_overwrite``): by a plain
    #: ``INSERT OVERWRITE`` where :meth:`TableFormat.dynamic_overwrite_options` makes it dynamic, else by one MERGE
    partition_overwrite: bool = False

    def names(self) -> frozenset[str]:
        """The names of the capabilities this format has."""
        return frozenset(f.name for f in fields(self) if getattr(self, f.name))


class TableFormat(ABC):
    """A table format. Subclasses set :attr:`name`, :attr:`capabilities` and override what their format can do; the
    defaults are those of a format without versions or commit metadata (Parquet)."""

    #: the name models and targets use (``format: iceberg``)
    name: ClassVar[str]
    #: the ``USING`` clause of ``CREATE TABLE``
    using: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: catalog types (``type:`` of a target's catalog) that hold this format besides those whose ``FORMATS`` list
    #: it: how a third-party format lives in a built-in catalog (e.g. ``("spark_session",)``)
    catalogs: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        return f"<table format {self.name}>"

    def capability(self, name: str) -> bool:
        """Whether this format has capability ``name`` (a field of :class:`Capabilities`)."""
        return bool(getattr(self.capabilities, name))

    # -- versions ------------------------------------------------------------------------------------------------
    def current_version(self, spark: SparkSession, relation: str) -> int | None:
        """The table's current version (None: the table has none yet, or the format has no versions)."""
        return None

    def restore(self, spark: SparkSession, relation: str, version: int | None) -> bool:
        """Put the table back to ``version`` (None: to empty). Returns False when the format cannot."""
        return False

    # -- commits -------------------------------------------------------------------------------------------------
    def commit_options(self, stream_id: str, batch_id: int) -> dict[str, str]:
        """Write options (``DataFrameWriterV2.options``) that record ``batch_id`` of ``stream_id`` with the commit.

        Raises:
            UnsupportedCombination: the format's commits carry no metadata.
        """
        raise UnsupportedCombination(f"{self.name} tables have no commit metadata, so micro-batches cannot be "
                                     "written exactly once", hint="stream into an iceberg or delta table")

    def committing(self, spark: SparkSession, stream_id: str, batch_id: int, run: Callable[[], None]) -> None:
        """Call ``run`` (SQL statements: a MERGE, an INSERT OVERWRITE) so that the commit it makes records
        ``batch_id`` of ``stream_id`` as :meth:`commit_options` does for a DataFrame write (the lookup is
        :meth:`last_committed` either way).

        Raises:
            UnsupportedCombination: the format's commits carry no metadata.
        """
        self.commit_options(stream_id, batch_id)

    def last_committed(self, spark: SparkSession, relation: str, stream_id: str) -> int | None:
        """The highest micro-batch id of ``stream_id`` committed to ``relation`` (None: none yet)."""
        raise UnsupportedCombination(f"{self.name} tables have no commit metadata")

    def overwrite_from(self, spark: SparkSession, relation: str, statement: str, base: int | None) -> None:
        """Run ``statement``, an ``INSERT OVERWRITE TABLE <relation> <query>`` whose query reads the table at version
        ``base``, so that a commit by another writer after ``base`` is never silently replaced (a MERGE detects such
        conflicts itself; a plain overwrite does not). A conflict raises :class:`~sqlingest.errors.TransientError`,
        and the runner retries on the new state. By default: the statement as it is (no concurrent writers to
        detect)."""
        spark.sql(statement)

    # -- files ---------------------------------------------------------------------------------------------------
    def merge_copies_files(self, spark: SparkSession, relation: str) -> bool:
        """Whether a MERGE into the table copies the data files it touches (copy-on-write) rather than recording the
        changed rows beside them (merge-on-read, deletion vectors)."""
        return False

    def data_bytes(self, spark: SparkSession, relation: str) -> int:
        """The bytes of the table's data files (metadata only)."""
        raise ValueError(f"{self.name} tables have no MERGE")

    def bytes_added_since(self, spark: SparkSession, relation: str, since_ms: int) -> int | None:
        """The bytes of data files the commits to the table since ``since_ms`` (Unix milliseconds) added (metadata
        only); None where the format does not record it."""
        return None

    def file_columns(self) -> tuple[str, str]:
        """SQL expressions over a table aliased ``t``: the path and the size of the data file holding a row (the
        size may be NULL when :meth:`touched_bytes` looks it up elsewhere)."""
        raise ValueError(f"{self.name} tables have no MERGE")

    def touched_bytes(self, spark: SparkSession, relation: str, keys: str, unique_key: list[str], *,
                      broadcast: bool = False) -> int:
        """The bytes of the data files holding a row whose key is in the query ``keys``: one scan of the key columns
        and the file names (no other column), semi-joined with the keys (``broadcast``: they are few enough to
        broadcast, whatever the planner estimates)."""
        touched = self._touched(relation, keys, unique_key, broadcast)
        return int(spark.sql(f"SELECT coalesce(sum(size), 0) FROM ({touched})").collect()[0][0])

    def _touched(self, relation: str, keys: str, unique_key: list[str], broadcast: bool) -> str:
        """A query of ``path, size``: the data files holding a row whose key is in ``keys``."""
        match = " AND ".join(f"t.{k} <=> k.{k}" for k in unique_key)
        hint = "/*+ BROADCAST(k) */ " if broadcast else ""
        path, size = self.file_columns()
        return (f"SELECT {hint}DISTINCT {path} AS path, {size} AS size FROM {relation} AS t "
                f"LEFT SEMI JOIN ({keys}) AS k ON {match}")

    def file_stats(self, spark: SparkSession, relation: str) -> tuple[int, int]:
        """``(files, bytes)`` of everything the table's current version holds (metadata only)."""
        raise ValueError(f"{self.name} tables keep no file metadata")

    # -- partitions ----------------------------------------------------------------------------------------------
    def dynamic_overwrite_options(self) -> dict[str, str] | None:
        """The table options (``CREATE TABLE … OPTIONS``) under which ``INSERT OVERWRITE`` replaces only the
        partitions it writes; None: the format replaces partitions by one MERGE instead
        (``templates/insert_overwrite.sql``). Options of the table, not of the session: a session setting would
        also change what other models' concurrent overwrites replace."""
        return None

    def layout(self, columns: list[str], partitioned_by: list[str]) -> list[str]:
        """The order the table keeps ``columns`` in, given its partition columns (a table created from
        ``columns`` lists them in this order)."""
        return columns

    # -- writes and drops ----------------------------------------------------------------------------------------
    def append(self, frame: DataFrame, table: str) -> None:
        """Append ``frame`` to ``table`` by column name (the V2 writer)."""
        frame.writeTo(table).append()

    def drop(self, spark: SparkSession, relation: str) -> None:
        """Drop the table and its files."""
        spark.sql(f"DROP TABLE IF EXISTS {relation}")


def properties(spark: SparkSession, relation: str) -> dict[str, str]:
    """The table's properties (``SHOW TBLPROPERTIES``)."""
    return {str(r[0]): str(r[1]) for r in spark.sql(f"SHOW TBLPROPERTIES {relation}").collect()}


def overwrite_query(statement: str, relation: str) -> str | None:
    """The query of ``INSERT OVERWRITE TABLE <relation> <query>`` (None: ``statement`` is another statement)."""
    head = f"INSERT OVERWRITE TABLE {relation}"
    rest = statement[len(head):]
    return rest if statement.startswith(head) and rest[:1].isspace() else None
