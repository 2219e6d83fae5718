"""Per-file integrity checks for file sources, before Spark reads them.

Spark fails a whole read for one bad file (a truncated gzip member raises ``EOFException``, a Parquet file without
its footer fails the job) and silently replaces bytes that are invalid in a charset with U+FFFD. The checks here
find such files first so that they can be quarantined *as a unit* (file name and reason) while the rest of the batch
is read:

- compressed text (``.gz``, ``.bz2``): the archive is decompressed as a stream on the driver (its CRC and length are
  verified); a truncated or corrupt archive is rejected;
- text in an encoding that is not ASCII-compatible (UTF-16, UTF-32): the file is decoded strictly; invalid bytes
  reject the file, because row boundaries cannot be found in it (ASCII-compatible encodings are checked per value
  instead, see :func:`sqlingest.sources.files.CsvSource`);
- Parquet: the magic bytes and the footer are read (on the JVM, no Spark job) and the file's schema is returned;
- Avro: the container header and every block's length and sync marker are walked (no record is decoded) and the
  writer schema is returned.

Text checks run on local files only (``file:`` URIs); other file systems are read without them (documented).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from sqlingest.project.contract import Contract
from sqlingest.validate.types import category, normalize_type

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

#: bytes read per step while streaming a file
CHUNK = 1 << 20
#: encodings whose bytes are never mistaken for ASCII delimiters although they are not checked per value
_STATEFUL = ("utf_7", "iso2022", "hz")


@dataclass
class Rejected:
    """A file that is quarantined as a unit."""

    file: str
    reason: str


def local_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI (or a plain path), None for other file systems."""
    if uri.startswith("file:"):
        return Path(unquote(urlparse(uri).path))
    if "://" in uri:
        return None
    return Path(uri)


def codec_name(encoding: str) -> str:
    """Python's canonical name of a charset (``UTF-8`` → ``utf-8``, ``windows-1252`` → ``cp1252``).

    Raises:
        LookupError: not a known charset.
    """
    return codecs.lookup(encoding).name


def ascii_compatible(encoding: str) -> bool:
    """True when delimiters, quotes and line breaks are the ASCII bytes and never occur inside a multi-byte character,
    so that a file can be split into rows without decoding it (UTF-8, ISO-8859-*, Windows-125x, …)."""
    name = codec_name(encoding)
    if name.replace("-", "_").startswith((*_STATEFUL, "utf_16", "utf_32")):
        return False
    try:
        return "\r\n,;\t|\"'{}[]:abcAZ09".encode(name) == b"\r\n,;\t|\"'{}[]:abcAZ09"
    except UnicodeError:
        return False


def _open(path: Path) -> Any:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    if path.suffix == ".bz2":
        return bz2.open(path, "rb")
    return path.open("rb")


def check_text(uri: str, encoding: str) -> str | None:
    """Why a local text file cannot be read as a unit (None: it can, or it is not local).

    Decompresses ``.gz``/``.bz2`` files to the end; decodes strictly when ``encoding`` is not ASCII-compatible.
    """
    path = local_path(uri)
    if path is None or not path.is_file():
        return None
    strict = not ascii_compatible(encoding)
    if path.suffix not in (".gz", ".bz2") and not strict:
        return None
    decoder = codecs.getincrementaldecoder(codec_name(encoding))("strict") if strict else None
    offset = 0
    try:
        with _open(path) as handle:
            while True:
                chunk = handle.read(CHUNK)
                if decoder is not None:
                    try:
                        decoder.decode(chunk, final=not chunk)
                    except UnicodeDecodeError as exc:
                        return f"invalid {encoding} at byte {offset + exc.start}: row boundaries cannot be found"
                if not chunk:
                    return None
                offset += len(chunk)
    except EOFError:
        return f"truncated {_archive(path)} archive"
    except (OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError; bz2 raises OSError("Invalid data stream")
        return f"corrupt {_archive(path)} archive ({exc})"


def _archive(path: Path) -> str:
    return {".gz": "gzip", ".bz2": "bzip2"}.get(path.suffix, "compressed")


# -- Parquet ---------------------------------------------------------------------------------------------------------
def parquet_schema(spark: SparkSession, uri: str) -> tuple[StructType | None, str | None]:
    """The Spark schema of a Parquet file's footer, or the reason it cannot be read."""
    from pyspark.sql.types import StructType

    path = local_path(uri)
    if path is not None and path.is_file():
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(4)
            handle.seek(max(0, size - 8))
            tail = handle.read(8)
        if size < 12 or head != b"PAR1" or tail[4:] != b"PAR1":
            return None, "not a Parquet file (no PAR1 magic bytes at both ends: truncated or not Parquet)"
        footer = int.from_bytes(tail[:4], "little")
        if footer <= 0 or footer > size - 12:
            return None, f"corrupt Parquet footer (length {footer} in a file of {size} bytes)"
    jvm: Any = spark._jvm  # type: ignore[attr-defined]
    try:
        hadoop_path = jvm.org.apache.hadoop.fs.Path(uri)
        conf = spark._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
        reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(
            jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(hadoop_path, conf))
        try:
            message = reader.getFooter().getFileMetaData().getSchema()
        finally:
            reader.close()
        converter = jvm.org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter(
            spark._jsparkSession.sessionState().conf())  # type: ignore[attr-defined]
        return StructType.fromJson(json.loads(converter.convert(message).json())), None
    except Exception as exc:  # noqa: BLE001 — Py4J wraps the Java exception; its first line is the reason
        text = str(getattr(exc, "java_exception", exc)).splitlines()[0][:300]
        return None, f"unreadable Parquet footer: {text}"


# -- Avro ------------------------------------------------------------------------------------------------------------
class _Truncated(Exception):
    pass


def _long(handle: Any) -> int:
    """One Avro ``long`` (zig-zag varint)."""
    shift = result = 0
    while True:
        byte = handle.read(1)
        if not byte:
            raise _Truncated
        b = byte[0]
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1)
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _bytes(handle: Any) -> bytes:
    size = _long(handle)
    if size < 0:
        raise ValueError("negative length")
    data = handle.read(size)
    if len(data) != size:
        raise _Truncated
    return bytes(data)


def avro_schema(uri: str) -> tuple[str | None, str | None]:
    """The writer schema (JSON text) of a local Avro container file, or the reason it cannot be read.

    Every block's declared length and trailing sync marker are verified; records are not decoded. A file on another
    file system is not checked: ``("", None)``.
    """
    path = local_path(uri)
    if path is None or not path.is_file():
        return "", None
    try:
        with path.open("rb") as handle:
            if handle.read(4) != b"Obj\x01":
                return None, "not an Avro container file (no Obj\\x01 magic bytes)"
            meta: dict[str, bytes] = {}
            while True:
                count = _long(handle)
                if count == 0:
                    break
                if count < 0:
                    _long(handle)  # the block's byte size
                    count = -count
                for _ in range(count):
                    key = _bytes(handle).decode("utf-8")
                    meta[key] = _bytes(handle)
            sync = handle.read(16)
            if len(sync) != 16:
                raise _Truncated
            blocks = 0
            while handle.read(1):
                handle.seek(-1, 1)
                _long(handle)  # records in the block
                size = _long(handle)
                if size < 0:
                    raise ValueError("negative block size")
                handle.seek(size, 1)
                marker = handle.read(16)
                if len(marker) != 16:
                    raise _Truncated
                if marker != sync:
                    return None, f"corrupt Avro file (block {blocks + 1} does not end with the sync marker)"
                blocks += 1
    except _Truncated:
        return None, "truncated Avro file"
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"corrupt Avro header ({exc})"
    schema = meta.get("avro.schema")
    if schema is None:
        return None, "corrupt Avro header (no avro.schema)"
    return schema.decode("utf-8"), None


# -- schema against contract -----------------------------------------------------------------------------------------
def contradiction(schema: StructType, contract: Contract) -> str | None:
    """Why a file's schema cannot hold the contract's columns (None: values are conformed one by one).

    A file contradicts the contract when a non-nullable declared column is missing, when none of the declared
    columns is present, or when a declared column's type can never convert (a struct where a number is declared, a
    boolean where a date is). Narrowing and string types are value-dependent: such values are rescued per row.
    """
    types = {f.name: normalize_type(f.dataType.simpleString()) for f in schema.fields}
    present = [c for c in contract.columns if c.name in types]
    if not present:
        return "none of the contract's columns is in the file (" + ", ".join(sorted(types)[:8]) + ")"
    missing = [c.name for c in contract.columns if not c.nullable and c.name not in types]
    if missing:
        return "missing required column(s): " + ", ".join(missing)
    wrong = [f"{c.name} is {types[c.name]}, contract says {c.type}" for c in present
             if not _convertible(types[c.name], c.type)]
    return "type mismatch: " + "; ".join(wrong) if wrong else None


def _convertible(actual: str, declared: str) -> bool:
    if actual == declared or actual == "string" or declared == "string" or actual == "void":
        return True
    a, d = category(actual), category(declared)
    if a in ("array", "map", "struct") or d in ("array", "map", "struct"):
        return a == d
    return a == d  # numeric ↔ numeric, temporal ↔ temporal; boolean and binary only to themselves
