"""Per-file integrity checks of file sources (no JVM)."""

from __future__ import annotations

import bz2
import gzip
import importlib.util
import sys

from sqlingest.project.contract import Column, Contract
from sqlingest.sources.files import _glob_root, _open_quote
from sqlingest.sources.integrity import ascii_compatible, avro_schema, check_text, contradiction
from tests.conftest import REPO

_spec = importlib.util.spec_from_file_location("bad_files_make", REPO / "tests" / "data" / "bad_files" / "make.py")
assert _spec and _spec.loader
corpus = importlib.util.module_from_spec(_spec)
sys.modules["bad_files_make"] = corpus
_spec.loader.exec_module(corpus)


def test_ascii_compatible_encodings():
    assert all(ascii_compatible(e) for e in ("UTF-8", "utf8", "ISO-8859-1", "windows-1252", "latin1", "cp1250"))
    assert not any(ascii_compatible(e) for e in ("UTF-16", "UTF-16LE", "UTF-32", "utf-7"))


def test_archives_and_utf16_are_checked(tmp_path):
    ok, cut, fake = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz", tmp_path / "c.csv.bz2"
    ok.write_bytes(gzip.compress(b"id\n1\n"))
    cut.write_bytes(gzip.compress(b"id\n" + b"1\n" * 1000)[:20])
    fake.write_bytes(b"id\n1\n")
    assert check_text(ok.as_uri(), "UTF-8") is None
    assert check_text(cut.as_uri(), "UTF-8") == "truncated gzip archive"
    assert check_text(fake.as_uri(), "UTF-8") == "corrupt bzip2 archive (Invalid data stream)"
    half = tmp_path / "d.csv.bz2"
    half.write_bytes(bz2.compress(b"id\n" + b"1\n" * 1000)[:30])
    assert check_text(half.as_uri(), "UTF-8") == "truncated bzip2 archive"
    u16 = tmp_path / "e.csv"
    u16.write_bytes("id\n1\n".encode("utf-16") + b"\x00\xd8,\x00")
    assert check_text(u16.as_uri(), "UTF-16") == "invalid UTF-16 at byte 12: row boundaries cannot be found"
    assert check_text(u16.as_uri(), "UTF-8") is None  # not compressed, ASCII-compatible: checked per value
    assert check_text("s3a://bucket/x.csv.gz", "UTF-8") is None  # remote: not checked


def test_avro_container_walk(tmp_path):
    good = corpus.avro(corpus.AVRO_FIELDS, corpus._typed_rows())
    cases = {"good": good, "cut": good[:-20], "sync": corpus._flip_last(good), "magic": b"PAR1xxxx"}
    results = {}
    for name, data in cases.items():
        path = tmp_path / f"{name}.avro"
        path.write_bytes(data)
        results[name] = avro_schema(path.as_uri())
    assert results["good"][1] is None and '"name": "amount"' in str(results["good"][0])
    assert results["cut"] == (None, "truncated Avro file")
    assert results["sync"] == (None, "corrupt Avro file (block 1 does not end with the sync marker)")
    assert results["magic"] == (None, "not an Avro container file (no Obj\\x01 magic bytes)")


def test_open_quote_detects_fields_spanning_lines(tmp_path):
    multi, plain = tmp_path / "m.csv", tmp_path / "p.csv"
    multi.write_bytes(b'id,name\n1,"a\nb"\n')
    plain.write_bytes(b'id,name\n1,"say ""hi"""\n')
    assert _open_quote(multi.as_uri(), {}) and not _open_quote(plain.as_uri(), {})


def test_declared_length_and_contradictions():
    col = Column.model_validate({"name": "code", "type": "VARCHAR(10)"})
    assert (col.type, col.max_length) == ("string", 10)
    assert Column.model_validate({"name": "code", "type": "char( 3 )"}).max_length == 3
    assert Column.model_validate({"name": "code", "type": "string"}).max_length is None
    from pyspark.sql import types as T

    kinds = {"bigint": T.LongType(), "int": T.IntegerType(), "string": T.StringType(), "date": T.DateType(),
             "timestamp": T.TimestampType(), "boolean": T.BooleanType()}

    def schema(ddl: str) -> T.StructType:
        return T.StructType([T.StructField(n, kinds[t]) for n, t in (f.split() for f in ddl.split(", "))])

    contract = Contract.model_validate({"name": "a.b", "layer": "source", "source": {"format": "parquet"}, "columns": [
        {"name": "id", "type": "bigint", "nullable": False}, {"name": "day", "type": "date"}]})
    assert contradiction(schema("id bigint, day string"), contract) is None
    assert contradiction(schema("id int, day timestamp"), contract) is None
    assert contradiction(schema("day date"), contract) == "missing required column(s): id"
    assert contradiction(schema("id bigint, day boolean"), contract) == \
        "type mismatch: day is boolean, contract says date"
    assert contradiction(schema("x int"), contract) == "none of the contract's columns is in the file (x)"


def test_glob_root():
    assert _glob_root("/p/data/none/*.csv") == "/p/data/none"
    assert _glob_root("/p/data/*/x/*.csv") == "/p/data"
    assert _glob_root("/p/data/a.csv") == "/p/data/a.csv"
