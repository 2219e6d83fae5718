"""File sources (CSV, JSON lines, Parquet, Avro) read against the contract's schema.

Text formats are read as strings and cast with ``TRY_CAST``: a value that does not cast becomes NULL in its column
and its raw text goes to ``_rescued_data``; malformed lines are kept with their raw text; undeclared fields are
rescued too. Nothing is dropped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import ExecutionError, UserError
from sqlingest.project.layers import RESCUE_COLUMN, SOURCE_FILE_COLUMN
from sqlingest.sources import ReadResult, Source
from sqlingest.sources.integrity import (
    Rejected,
    ascii_compatible,
    avro_schema,
    check_text,
    codec_name,
    contradiction,
    local_path,
    parquet_schema,
)
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
        matched = self.list_files(spark, None)
        if not matched:
            return self._no_files(spark)
        files = [f for f in matched if f not in (exclude or set())]
        if not files:
            return ReadResult(self.empty(spark), [])
        good, rejected = self.inspect(spark, files)
        if rejected and self.spec.bad_files == "fail":
            listed = "; ".join(f"{r.file}: {r.reason}" for r in rejected)
            raise ExecutionError(f"source {self.contract.name}: {len(rejected)} file(s) cannot be read: {listed}; "
                                 "nothing was written",
                                 hint="fix or remove the files, or set `bad_files: quarantine` in the source "
                                      "contract to quarantine them and read the rest")
        frame = self.read_files(spark, good) if good else self.empty(spark)
        return ReadResult(frame, good, rejected=[(r.file, r.reason) for r in rejected])

    def _no_files(self, spark: SparkSession) -> ReadResult:
        """A path that matches nothing: an error, or a warning with ``allow_empty: true``."""
        path = self.paths()[0]
        root = _glob_root(path)
        where = f"glob root {root} does not exist" if not _exists(root) else f"glob root {root}"
        message = f"source {self.contract.name} matched no files: path {self.spec.path} ({where})"
        if self.spec.allow_empty:
            return ReadResult(self.empty(spark), [], warnings=[message])
        raise ExecutionError(message + "; nothing was written",
                             hint="check the source's path, or set `allow_empty: true` in its contract when an "
                                  "empty input is expected")

    @property
    def encoding(self) -> str:
        """The declared character set (``encoding:``, else a Spark ``encoding``/``charset`` option, else UTF-8)."""
        options = {k.lower(): v for k, v in self.reader_options().items()}
        declared = self.spec.encoding or options.get("encoding") or options.get("charset") or "UTF-8"
        try:
            codec_name(str(declared))
        except LookupError:
            raise UserError(f"source {self.contract.name}: unknown encoding '{declared}'",
                            location=self.contract.location,
                            hint="use a Java/Python charset name: UTF-8, UTF-16, ISO-8859-1, windows-1252, …") \
                from None
        return str(declared)

    def inspect(self, spark: SparkSession, files: list[str]) -> tuple[list[str], list[Rejected]]:
        """Split ``files`` into those Spark can read and those quarantined as a unit (see ``integrity``)."""
        good, rejected = [], []
        encoding = self.encoding
        for uri in files:
            reason = check_text(uri, encoding)
            if reason:
                rejected.append(Rejected(uri, reason))
            else:
                good.append(uri)
        return good, rejected

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


def _glob_root(path: str) -> str:
    """The folder part of ``path`` before its first glob character."""
    cut = min([i for i in (path.find(c) for c in "*?[{") if i >= 0], default=-1)
    head = path if cut < 0 else path[:cut]
    return head.rsplit("/", 1)[0] or "/" if cut >= 0 else head


def _exists(root: str) -> bool:
    local = local_path(root)
    return local is None or local.exists()


#: the bytes-as-text charset: every byte is one character (U+0000–U+00FF), so text read with it maps back to the
#: exact bytes; rescued values that are invalid in the declared encoding are given in it
RAW_CHARSET = "ISO-8859-1"


def _decoded(column: str, encoding: str) -> tuple[str, str]:
    """For a column read as ISO-8859-1 text: (its value decoded in ``encoding`` or NULL when its bytes are invalid
    there, its raw ISO-8859-1 text when they are invalid or NULL)."""
    raw = f"encode({column}, '{RAW_CHARSET}')"
    text = f"decode({raw}, {_lit(encoding)})"
    ok = f"(encode({text}, {_lit(encoding)}) = {raw})"
    return f"CASE WHEN {ok} THEN {text} END", f"CASE WHEN NOT {ok} THEN {column} END"


def _is_latin1(encoding: str) -> bool:
    return codec_name(encoding) == "latin-1"


class CsvSource(_FileSource):
    """CSV with a header. Columns are matched by header name; extra header columns are rescued.

    Files in an ASCII-compatible encoding are parsed as ISO-8859-1 (bytes as characters, so row boundaries are
    exact) and every value is then decoded in the declared encoding: a value whose bytes are invalid there is rescued
    with its raw text instead of being replaced by U+FFFD. UTF-16/UTF-32 files are decoded by Spark (``multiLine``)
    after a strict check of the whole file (``integrity.check_text``)."""

    STREAMING = True

    def _options(self) -> tuple[dict[str, str], str | None]:
        """Spark's options and the encoding values must still be decoded from (None: Spark decodes)."""
        # RFC 4180: a quote inside a quoted field is doubled ("say ""hi""")
        options = {"header": "true", "escape": '"', **{k: v for k, v in self.reader_options().items()
                                                        if k.lower() not in ("encoding", "charset")}}
        encoding = self.encoding
        if ascii_compatible(encoding):
            options["encoding"] = RAW_CHARSET
            return options, None if _is_latin1(encoding) else encoding
        options["encoding"], options["multiLine"] = encoding, "true"
        return options, None

    def read_files(self, spark: SparkSession, files: list[str]) -> DataFrame:
        """Files are read in groups of one header each (columns are matched by name per file); a local file with a
        quoted field spanning lines is read with ``multiLine`` (the others line by line, which Spark can split)."""
        options, decode = self._options()
        header = options.get("header", "true").lower() == "true"
        explicit = "multiline" in {k.lower() for k in self.reader_options()}
        groups: dict[tuple[tuple[str, ...] | None, bool], list[str]] = {}
        for uri in files:
            names = _local_header(uri, options, self.encoding) if header else None
            path = local_path(uri)
            if header and names is None and path is not None and path.is_file() and _blank(path):
                continue  # an empty local file: no header, no rows
            multiline = not explicit and options.get("multiLine") != "true" and _open_quote(uri, options)
            groups.setdefault((tuple(names) if names else None, multiline), []).append(uri)
        frame: DataFrame | None = None
        for (header_names, multiline), group in groups.items():
            if not header:
                columns = [c.name for c in self.contract.columns]
            else:
                columns = list(header_names) if header_names else spark.read.options(**options).csv(group[0]).columns
            read_options = {**options, "multiLine": "true"} if multiline else options
            part = self._decode(spark.read, group, columns, read_options, decode)
            frame = part if frame is None else frame.unionByName(part)
        return frame if frame is not None else self.empty(spark)

    def read_stream(self, spark: SparkSession) -> DataFrame:
        """New CSV files as a stream. Columns are matched by the header of the first file present at start (the
        contract's column order when there is none yet); later files must have the same header."""
        options, decode = self._options()
        names = [c.name for c in self.contract.columns]
        if options.get("header", "true").lower() == "true":
            present = self.list_files(spark, None)
            names = (_local_header(present[0], options, self.encoding) if present else None) or names
        return self._decode(self.stream_reader(spark), self.paths()[0], names, options, decode)

    def _decode(self, reader: Any, files: list[str] | str, names: list[str], options: dict[str, str],
                decode: str | None) -> DataFrame:
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType([StructField(n, StringType()) for n in names] + [StructField(CORRUPT, StringType())])
        raw = (reader.schema(schema)
               .options(**options, mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT, enforceSchema="true")
               .csv(files)
               .selectExpr("*", f"_metadata.file_path AS {SOURCE_FILE_COLUMN}"))
        undecodable: dict[str, str] = {}
        if decode is not None:
            selects = []
            for i, name in enumerate([*names, CORRUPT]):
                value, bad = _decoded(quote(name), decode)
                if i == 0 and options.get("header", "true").lower() != "true":
                    value = f"regexp_replace({value}, '^\ufeff', '')"  # a file's byte order mark
                selects += [f"{value} AS {quote(name)}", f"{bad} AS {quote('__raw_' + name)}"]
                undecodable[name] = quote("__raw_" + name)
            raw = raw.selectExpr(*selects, SOURCE_FILE_COLUMN)
        return conform_strings(raw, self.contract, present=names, corrupt=CORRUPT,
                               undecodable=undecodable, encoding=self.encoding)


def _blank(path: Path) -> bool:
    """True for a file without a single non-blank byte (compressed files: nothing decompressed)."""
    import bz2
    import gzip

    opener: Any = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix, open)
    with opener(path, "rb") as handle:
        return not handle.read(4096).strip()


def _open_quote(uri: str, options: dict[str, str]) -> bool:
    """True when a local (uncompressed or gzip/bzip2) file has a line with an odd number of quote characters: a
    quoted field spanning lines, which Spark's line-by-line reader would cut silently."""
    import bz2
    import gzip

    path = local_path(uri)
    if path is None or not path.is_file() or path.suffix not in ("", ".csv", ".txt", ".tsv", ".gz", ".bz2"):
        return False
    quote_byte = (options.get("quote") or '"').encode("latin-1")[:1]
    if not quote_byte:
        return False
    opener: Any = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix, open)
    with opener(path, "rb") as handle:
        return any(line.count(quote_byte) & 1 for line in handle)


def _local_header(uri: str, options: dict[str, str], encoding: str = "UTF-8") -> list[str] | None:
    """The header of a local CSV file read directly (no Spark job), or None when it is not a plain local file."""
    import bz2
    import csv
    import gzip
    import io

    path = local_path(uri)
    if path is None or path.suffix in (".zst", ".lz4", ".snappy", ".deflate") or not path.is_file():
        return None
    delimiter = options.get("sep") or options.get("delimiter") or ","
    quote_char = options.get("quote") or '"'
    name = codec_name(encoding)
    python_encoding = "utf-8-sig" if name == "utf-8" else name
    opener: Any = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix, open)
    with opener(path, "rb") as binary:
        text = io.TextIOWrapper(binary, encoding=python_encoding, errors="replace", newline="")
        row = next(csv.reader(text, delimiter=delimiter, quotechar=quote_char), None)
    return [name.strip() for name in row] if row else None


class JsonSource(_FileSource):
    """JSON lines. Each line is parsed once into a map of raw values; undeclared keys are rescued.

    Lines are split on the raw bytes and decoded in the declared (ASCII-compatible) encoding; a line whose bytes are
    invalid there is kept with its raw text (as ISO-8859-1) in ``_rescued_data._corrupt_record``."""

    STREAMING = True

    def read_files(self, spark: SparkSession, files: list[str]) -> DataFrame:
        if str(self.reader_options().get("multiLine", "false")).lower() == "true":
            raise UserError(f"source {self.contract.name}: multiLine JSON is not supported; use JSON lines",
                            location=self.contract.location)
        self._check_encoding()
        return self._decode(spark.read.options(**self.reader_options()).text(files))

    def read_stream(self, spark: SparkSession) -> DataFrame:
        self._check_encoding()
        return self._decode(self.stream_reader(spark).options(**self.reader_options()).text(self.paths()[0]))

    def _check_encoding(self) -> None:
        if not ascii_compatible(self.encoding):
            raise UserError(f"source {self.contract.name}: JSON lines in {self.encoding} are not supported",
                            location=self.contract.location,
                            hint="JSON lines must be in an ASCII-compatible encoding (UTF-8, ISO-8859-1, "
                                 "windows-1252, …); convert the files, or read them as csv")

    def _decode(self, text: DataFrame) -> DataFrame:
        """Lines of text (``value``) → declared columns, rescue and ``_source_file``."""
        declared = [c.name for c in self.contract.columns]
        encoding = self.encoding
        raw = "CAST(value AS BINARY)"
        decoded = f"decode({raw}, {_lit(encoding)})"
        ok = f"(encode({decoded}, {_lit(encoding)}) = {raw})"
        lines = text.selectExpr(
            f"CASE WHEN {ok} THEN regexp_replace({decoded}, '^\ufeff', '') END AS value",
            f"CASE WHEN NOT {ok} THEN decode({raw}, '{RAW_CHARSET}') END AS __bad",
            f"_metadata.file_path AS {SOURCE_FILE_COLUMN}",
        ).where("trim(coalesce(value, __bad)) <> ''")
        parsed = lines.selectExpr("value", "__bad", "from_json(value, 'map<string,string>') AS __m",
                                  SOURCE_FILE_COLUMN)
        names = ", ".join("'" + n + "'" for n in declared)
        projected = parsed.selectExpr(
            *[f"__m[{_lit(n)}] AS {quote(n)}" for n in declared],
            f"CASE WHEN __m IS NULL AND value IS NOT NULL THEN value END AS {CORRUPT}",
            "__bad",
            f"map_filter(__m, (k, v) -> NOT array_contains(array({names}), k)) AS __undeclared",
            SOURCE_FILE_COLUMN,
        )
        return conform_strings(projected, self.contract, present=declared, corrupt=CORRUPT,
                               undeclared_map="__undeclared", undecodable={CORRUPT: "__bad"}, encoding=encoding)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_lit = string_literal


class _BinarySource(_FileSource):
    """Self-describing formats: each file's own schema is read (not inferred from samples), files contradicting the
    contract are quarantined, and the rest are read in groups of one schema each, then conformed."""

    def inspect(self, spark: SparkSession, files: list[str]) -> tuple[list[str], list[Rejected]]:
        good, rejected = [], []
        self._groups: dict[str, list[str]] = {}
        schemas: dict[str, Any] = {}
        for uri in files:
            key, schema, reason = self._schema(spark, uri, schemas)
            reason = reason or (contradiction(schema, self.contract) if schema is not None else None)
            if reason:
                rejected.append(Rejected(uri, reason))
            else:
                good.append(uri)
                self._groups.setdefault(key, []).append(uri)
        return good, rejected

    def _schema(self, spark: SparkSession, uri: str, seen: dict[str, Any]) -> tuple[str, Any, str | None]:
        """(grouping key, Spark schema or None when unknown, reason the file cannot be read)."""
        raise NotImplementedError

    def read_files(self, spark: SparkSession, files: list[str]) -> DataFrame:
        from sqlingest.validate.conform import conform_typed

        options = self.reader_options()
        groups = [g for g in getattr(self, "_groups", {}).values() if set(g) & set(files)] or [files]
        frame: DataFrame | None = None
        for group in groups:
            raw = spark.read.format(self.SPARK_FORMAT).options(**options).load(group)
            raw = conform_typed(raw.selectExpr("*", f"_metadata.file_path AS {SOURCE_FILE_COLUMN}"), self.contract)
            frame = raw if frame is None else frame.unionByName(raw)
        assert frame is not None
        return frame


class ParquetSource(_BinarySource):
    SPARK_FORMAT = "parquet"

    def _schema(self, spark: SparkSession, uri: str, seen: dict[str, Any]) -> tuple[str, Any, str | None]:
        schema, reason = parquet_schema(spark, uri)
        return (schema.json() if schema is not None else ""), schema, reason


class AvroSource(_BinarySource):
    SPARK_FORMAT = "avro"

    def _schema(self, spark: SparkSession, uri: str, seen: dict[str, Any]) -> tuple[str, Any, str | None]:
        writer, reason = avro_schema(uri)
        if reason or not writer:  # unreadable, or not a local file (not checked)
            return "", None, reason
        if writer not in seen:
            try:
                seen[writer] = spark.read.format("avro").load(uri).schema
            except Exception as exc:  # noqa: BLE001 — a schema Spark cannot map
                return writer, None, "unsupported Avro schema: " + str(exc).splitlines()[0][:300]
        return writer, seen[writer], None
