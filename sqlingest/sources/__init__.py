"""Source readers: turn a source contract into a DataFrame with exactly the declared columns — typed as declared,
never inferred — plus ``_rescued_data`` (JSON of values that did not fit, undeclared fields, malformed lines) and
``_source_file``.

Built-ins: csv, json, parquet, avro (files), jdbc, http, kafka, kinesis, debezium (see ``docs/sources.md``).
Others plug in through the ``sqlingest.sources`` entry point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlingest.plugins import PluginRegistry
from sqlingest.project.contract import Contract

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass
class ReadResult:
    """What a reader produced: the DataFrame and which inputs (files, offsets…) it covers."""

    frame: DataFrame
    inputs: list[str] = field(default_factory=list)
    #: inputs quarantined as a unit, unread: (input, reason) — e.g. a truncated archive, a Parquet file without footer
    rejected: list[tuple[str, str]] = field(default_factory=list)
    #: things the run should report as warnings (e.g. an empty source allowed by ``allow_empty``)
    warnings: list[str] = field(default_factory=list)


class Source(ABC):
    """Reads one source contract.

    Args:
        contract: the source's contract (``layer: source``); its ``source:`` section holds reader options.
        project_dir: relative paths are resolved against it.
    """

    #: True when the reader tracks which inputs were already ingested (``exclude``)
    INCREMENTAL_BY_FILE: ClassVar[bool] = False
    #: True when :meth:`read_stream` is implemented (``materialized='streaming'``)
    STREAMING: ClassVar[bool] = False

    def __init__(self, contract: Contract, project_dir: Path) -> None:
        assert contract.source is not None
        self.contract = contract
        self.spec = contract.source
        self.project_dir = project_dir

    @abstractmethod
    def read(self, spark: SparkSession, *, exclude: set[str] | None = None) -> ReadResult:
        """Read the source (skipping inputs in ``exclude``) into declared columns + rescue + source columns."""

    def read_stream(self, spark: SparkSession) -> DataFrame:
        """A streaming DataFrame with the same columns as :meth:`read` (``materialized='streaming'`` models)."""
        from sqlingest.errors import UserError

        raise UserError(f"source {self.contract.name}: {self.contract.source.format if self.contract.source else ''} "
                        "sources cannot be streamed", location=self.contract.location,
                        hint="stream from kafka or json/csv files, or use materialized='append'")

    def implicit_checks(self, *, streaming: bool) -> list[Any]:
        """Row checks the reader adds to the model's own (e.g. undecodable messages → quarantine)."""
        return []


SOURCES: PluginRegistry[type[Source]] = PluginRegistry("sources", {
    "csv": "sqlingest.sources.files:CsvSource",
    "json": "sqlingest.sources.files:JsonSource",
    "parquet": "sqlingest.sources.files:ParquetSource",
    "avro": "sqlingest.sources.files:AvroSource",
    "jdbc": "sqlingest.sources.jdbc:JdbcSource",
    "http": "sqlingest.sources.http:HttpSource",
    "kafka": "sqlingest.sources.kafka:KafkaSource",
    "debezium": "sqlingest.sources.cdc:DebeziumSource",
    "kinesis": "sqlingest.sources.kinesis:KinesisSource",
})


def load_source(contract: Contract, project_dir: Path) -> Source:
    assert contract.source is not None
    return SOURCES.load(contract.source.format)(contract, project_dir)

