"""File sources (CSV, JSON lines, Parquet, Avro) read against the contract's schema.

Text formats are read as strings and cast with ``TRY_CAST``: a value that does not cast becomes NULL in its column
and its raw text goes to ``_rescued_data``; malformed lines are kept with their raw text; undeclared fields are
rescued too. Nothing is dropped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import UserError
from sqlingest.project.layers import RESCUE_COLUMN, SOURCE_FILE_COLUMN
from sqlingest.sources import ReadResult, Source
from sqlingest.sql import quote_identifier as quote
from sqlingest.sql import string_literal, type_sql
from sqlingest.validate.conform import conform_strings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

CORRUPT = "_corrupt_record"


def canonical_file(uri: str) -> str:
    """One spelling per local file: ``file:///a/b`` and ``file:/a/b`` both become ``file:/a/b``."""
    if uri.startswith("file:"):
        return "file:/" + uri[5:].lstrip("/")
    return uri


class _FileSource(Source):
    INCREMENTAL_BY_FILE = True
    SPARK_FORMAT = ""

    def paths(self) -> list[str]:
        if not self.spec.path:
            raise UserError(f"source {self.contract.name}: 'path' is required for {self.spec.format} sources",
                            location=self.contract.location)
        path = self.spec.path
        if "://" in path or path.startswith("file:"):
            return [path]
        full = Path(path) if Path(path).is_absolute() else self.project_dir / path
        return [str(full)]

    def reader_options(self) -> dict[str, str]:
        """Spark reader options: the ``options:`` mapping, and Spark options written as keys of ``source:``
        (which win); compile time refused any key the format does not use (``validate/source_options.py``)."""
        from sqlingest.validate.source_options import FILE_FORMATS, OWN_KEYS

        if self.spec.format in OWN_KEYS and self.spec.format not in FILE_FORMATS:
            return {}  # another built-in reader staging its data as files (http): its keys are not Spark's
        own = OWN_KEYS.get(self.spec.format, set()) | {"cdc"}
        merged = {**self.spec.options, **{k: v for k, v in self.spec.extra.items() if k not in own}}
        return {k: _text(v) for k, v in merged.items() if k not in own}

    def listing_options(self) -> dict[str, str]:
        """The generic file options (``pathGlobFilter``, ``recursiveFileLookup``, ``modifiedBefore``…), which
        decide which files are listed."""
        from sqlingest.validate.source_options import FILE_GENERIC

        generic = {k.lower() for k in FILE_GENERIC}
        return {k: v for k, v in self.reader_options().items() if k.lower() in generic}

    def list_files(self, spark: SparkSession, exclude: set[str] | None) -> list[str]:
        """Files matching the path (globs allowed), minus those already ingested. No Spark job is run."""
        try:
            files = spark.read.format("text").options(**self.listing_options()).load(self.paths()).inputFiles()
        except Exception as exc:  # Spark raises AnalysisException for a path that matches nothing
            if "PATH_NOT_FOUND" in str(exc) or "Path does not exist" in str(exc):
                return []
            raise
        files = sorted(canonical_file(f) for f in files)
        return [f for f in files if f not in (exclude or set())]

    def read(self, spark: SparkSession, *, exclude: set[str] | None = None) -> ReadResult:
        files = self.list_files(spark, exclude)
        if not files:
            return ReadResult(self.empty(spark), [])
        return ReadResult(self.read_files(spark, files), files)

    def empty(self, spark: SparkSession) -> DataFrame:
        cols = ", ".join(f"CAST(NULL AS {type_sql(c.type)}) AS {quote(c.name)}" for c in self.contract.columns)
        return spark.sql(f"SELECT {cols}, CAST(NULL AS STRING) AS {RESCUE_COLUMN}, "
                         f"CAST(NULL AS STRING) AS {SOURCE_FILE_COLUMN} WHERE 1 = 0")

    def read_files(self, spark: SparkSession, files: list[str]) -> DataFrame:
        raise NotImplementedError

    def stream_reader(self, spark: SparkSession) -> Any:
        """Spark's file stream source: new files only (seen files are remembered in the checkpoint), late files
        included whatever their modification time (``maxFileAge``), ``max_files_per_trigger`` per micro-batch."""
        reader = spark.readStream.option("maxFileAge", "36500d")
        limit = self.spec.extra.get("max_files_per_trigger")
        return reader.option("maxFilesPerTrigger", str(int(limit))) if limit else reader


class CsvSource(_FileSource):
    """CSV with a header. Columns are matched by header name; extra header columns are rescued."""

    STREAMING = True

    def read_files(self, spark: SparkSession, files: list[str]) -> DataFrame:
        options = {"header": "true", **self.reader_options()}
        header = options.get("header", "true").lower() == "true"
        if header:
            names = _local_header(files[0], options) or spark.read.options(**options).csv(files[0]).columns
        else:
            names = [c.name for c in self.contract.columns]
        return self._decode(spark.read, files, names, options)

    def read_stream(self, spark: SparkSession) -> DataFrame:
        """New CSV files as a stream. Columns are matched by the header of the first file present at start (the
        contract's column order when there is none yet); later files must have the same header."""
        options = {"header": "true", **self.reader_options()}
        names = [c.name for c in self.contract.columns]
        if options.get("header", "true").lower() == "true":
            present = self.list_files(spark, None)
            names = (_local_header(present[0], options) if present else None) or names
        return self._decode(self.stream_reader(spark), self.paths()[0], names, options)

    def _decode(self, reader: Any, files: list[str] | str, names: list[str], options: dict[str, str]) -> DataFrame:
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType([StructField(n, StringType()) for n in names] + [StructField(CORRUPT, StringType())])
        raw = (reader.schema(schema)
               .options(**options, mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT, enforceSchema="true")
               .csv(files)
               .selectExpr("*", f"_metadata.file_path AS {SOURCE_FILE_COLUMN}"))
        return conform_strings(raw, self.contract, present=names, corrupt=CORRUPT)


def _local_header(uri: str, options: dict[str, str]) -> list[str] | None:
    """The header of a local CSV file read directly (no Spark job), or None when it is not a plain local file."""
    import csv
    from urllib.parse import unquote, urlparse

    if not uri.startswith("file:"):
        return None
    path = Path(unquote(urlparse(uri).path))
    if path.suffix in (".gz", ".bz2", ".zst", ".lz4", ".snappy") or not path.is_file():
        return None
    delimiter = options.get("sep") or options.get("delimiter") or ","
    quote = options.get("quote") or '"'
    encoding = options.get("encoding") or options.get("charset") or "utf-8"
    with path.open(encoding=encoding, newline="") as handle:
        row = next(csv.reader(handle, delimiter=delimiter, quotechar=quote), None)
    return [name.strip() for name in row] if row else None


class JsonSource(_FileSource):
    """JSON lines. Each line is parsed once into a map of raw values; undeclared keys are rescued."""

    STREAMING = True

    def read_files(self, spark: SparkSession, files: list[str]) -> DataFrame:
        if str(self.reader_options().get("multiLine", "false")).lower() == "true":
            raise UserError(f"source {self.contract.name}: multiLine JSON is not supported; use JSON lines",
                            location=self.contract.location)
        return self._decode(spark.read.options(**self.reader_options()).text(files))

    def read_stream(self, spark: SparkSession) -> DataFrame:
        return self._decode(self.stream_reader(spark).options(**self.reader_options()).text(self.paths()[0]))

    def _decode(self, text: DataFrame) -> DataFrame:
        """Lines of text (``value``) → declared columns, rescue and ``_source_file``."""
        declared = [c.name for c in self.contract.columns]
        raw = text.selectExpr(
            "value", "from_json(value, 'map<string,string>') AS __m",
            f"_metadata.file_path AS {SOURCE_FILE_COLUMN}",
        ).where("trim(value) <> ''")
        names = ", ".join("'" + n + "'" for n in declared)
        projected = raw.selectExpr(
            *[f"__m[{_lit(n)}] AS {quote(n)}" for n in declared],
            f"CASE WHEN __m IS NULL THEN value END AS {CORRUPT}",
            f"map_filter(__m, (k, v) -> NOT array_contains(array({names}), k)) AS __undeclared",
            SOURCE_FILE_COLUMN,
        )
        return conform_strings(projected, self.contract, present=declared, corrupt=CORRUPT,
                               undeclared_map="__undeclared")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_lit = string_literal


class _BinarySource(_FileSource):
    """Self-describing formats: the file's own schema is read (not inferred from samples), then conformed."""

    def read_files(self, spark: SparkSession, files: list[str]) -> DataFrame:
        from sqlingest.validate.conform import conform_typed

        raw = spark.read.format(self.SPARK_FORMAT).options(**self.reader_options()).load(files)
        raw = raw.selectExpr("*", f"_metadata.file_path AS {SOURCE_FILE_COLUMN}")
        return conform_typed(raw, self.contract)


class ParquetSource(_BinarySource):
    SPARK_FORMAT = "parquet"


class AvroSource(_BinarySource):
    SPARK_FORMAT = "avro"
