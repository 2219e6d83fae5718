"""The bad-file corpus: CSV, JSON lines, Parquet and Avro files that are broken in one way each, with the exact
outcome expected for every file once ingested by a bronze ``append`` model.

Deterministic; nothing binary is checked in. Text files are written from the bytes below; Parquet and Avro files
are written with the Spark session given to :func:`make` (then truncated or garbled in Python where that is the
point). ``python tests/data/bad_files/make.py DEST`` writes the text files only (no Spark).

Every source reads the same columns::

    id bigint NOT NULL, name varchar(10), amount decimal(5,2), qty int, day date, ts timestamp

Expectations per file: ``rows`` published into bronze, ``rescued`` = for each rescued row the sorted keys of its
``_rescued_data`` (a sorted list), ``quarantined`` = the start of the reason the file was quarantined for as a unit.
"""

from __future__ import annotations

import bz2
import gzip
import random
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

#: source name → extra keys of its ``source:`` section (format and path are derived)
SOURCES: dict[str, dict[str, Any]] = {
    "csv": {"format": "csv"},
    "csv_1252": {"format": "csv", "encoding": "windows-1252"},
    "csv_utf16": {"format": "csv", "encoding": "UTF-16"},
    "json": {"format": "json"},
    "parquet": {"format": "parquet"},
    "avro": {"format": "avro"},
}

COLUMNS = [("id", "bigint", False), ("name", "varchar(10)", True), ("amount", "decimal(5,2)", True),
           ("qty", "int", True), ("day", "date", True), ("ts", "timestamp", True)]
HEADER = "id,name,amount,qty,day,ts"
SPARK_SCHEMA = "id bigint, name string, amount decimal(5,2), qty int, day date, ts timestamp"


@dataclass
class Case:
    source: str
    name: str
    rows: int = 0
    rescued: list[tuple[str, ...]] = field(default_factory=list)
    quarantined: str | None = None
    #: the file's bytes, or a function returning them
    content: bytes | Callable[[], bytes] = b""


def g(i: int, name: str | None = None, amount: str = "1.50", qty: str = "3", day: str = "2024-01-01",
      ts: str = "2024-01-01 10:00:00") -> str:
    """A good CSV row."""
    return f"{i},{name if name is not None else f'name{i}'},{amount},{qty},{day},{ts}"


def csv(*rows: str, header: str = HEADER, end: str = "\n") -> bytes:
    return (end.join([header, *rows]) + end).encode("utf-8")


def raw(*lines: bytes, header: bytes = HEADER.encode(), end: bytes = b"\n") -> bytes:
    return end.join([header, *lines]) + end


def jl(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def jg(i: int, **over: Any) -> str:
    import json

    row: dict[str, Any] = {"id": i, "name": f"name{i}", "amount": "1.50", "qty": 3, "day": "2024-01-01",
                           "ts": "2024-01-01 10:00:00"}
    row.update(over)
    return json.dumps(row)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def noise(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


E, C, N, Q, D, T, A = ("_encoding_error",), "_corrupt_record", ("name",), ("qty",), ("day",), ("ts",), ("amount",)
ENC_NAME = ("_encoding_error", "name")
BIG = "\n".join(g(i) for i in range(1, 201))

CSV_CASES = [
    Case("csv", "good.csv", 3, [], content=csv(g(1), g(2), g(3))),
    Case("csv", "bom.csv", 2, [], content=b"\xef\xbb\xbf" + csv(g(1), g(2))),
    Case("csv", "crlf.csv", 2, [], content=csv(g(1), g(2), end="\r\n")),
    Case("csv", "cr_only.csv", 2, [], content=csv(g(1), g(2), end="\r")),
    Case("csv", "mixed_endings.csv", 3, [], content=(HEADER + "\r\n" + g(1) + "\n" + g(2) + "\r" + g(3) + "\r\n").encode()),
    Case("csv", "no_final_newline.csv", 2, [], content=csv(g(1), g(2))[:-1]),
    Case("csv", "blank_lines.csv", 2, [], content=csv("", g(1), "", "", g(2))),
    Case("csv", "header_only.csv", 0, [], content=csv()),
    Case("csv", "empty.csv", 0, [], content=b""),
    Case("csv", "invalid_utf8.csv", 3, [ENC_NAME], content=raw(g(1).encode(), b"2,caf\xe9,1.50,3,2024-01-01,2024-01-01 10:00:00", g(3).encode())),
    Case("csv", "latin1_as_utf8.csv", 3, [ENC_NAME, ENC_NAME],
         content=raw(b"1,d\xe9j\xe0,1.50,3,2024-01-01,2024-01-01 10:00:00", g(2).encode(),
                     b"3,na\xefve,1.50,3,2024-01-01,2024-01-01 10:00:00")),
    Case("csv", "cp1252_as_utf8.csv", 1, [ENC_NAME], content=raw(b"1,\x93hi\x94,1.50,3,2024-01-01,2024-01-01 10:00:00")),
    Case("csv", "cut_multibyte.csv", 2, [ENC_NAME], content=raw(g(1).encode(), b"2,caf\xc3,1.50,3,2024-01-01,2024-01-01 10:00:00")),
    Case("csv", "overlong_utf8.csv", 1, [ENC_NAME], content=raw(b"1,a\xc0\xafb,1.50,3,2024-01-01,2024-01-01 10:00:00")),
    Case("csv", "surrogate_utf8.csv", 1, [ENC_NAME], content=raw(b"1,a\xed\xa0\x80b,1.50,3,2024-01-01,2024-01-01 10:00:00")),
    Case("csv", "valid_multibyte.csv", 3, [], content=csv(g(1, "été"), g(2, "中文字"), g(3, "😀ok"))),
    Case("csv", "replacement_char.csv", 1, [], content=csv(g(1, "a\ufffdb"))),
    Case("csv", "invalid_in_number.csv", 1, [("_encoding_error", "qty")], content=raw(b"1,a,1.50,1\xff,2024-01-01,2024-01-01 10:00:00")),
    Case("csv", "nul_byte.csv", 1, [], content=csv(g(1, "a\x00b"))),
    Case("csv", "decimal_loss.csv", 5, [A, A, A],
         content=csv(g(1, amount="123.456"), g(2, amount="12345.6"), g(3, amount="1.5"), g(4, amount="999.99"),
                     g(5, amount="-0.001"))),
    Case("csv", "int_overflow.csv", 5, [Q, Q, Q],
         content=csv(g(1, qty="3000000000"), g(2, qty="-2147483649"), g(3, qty="2147483647"), g(4, qty="1.5"),
                     g(5, qty="07"))),
    Case("csv", "bigint_overflow.csv", 2, [("id",)], content=csv(g(1), "9223372036854775808,x,1.50,3,2024-01-01,2024-01-01 10:00:00")),
    Case("csv", "dates.csv", 6, [D, D, D, D, D],
         content=csv(g(1, day="10000-01-01"), g(2, day="2024-02-30"), g(3, day="2024-01-01 12:34"),
                     g(4, day="0000-01-01"), g(5, day="2024-02-29"), g(6, day="2024-13-01"))),
    Case("csv", "timestamps.csv", 6, [T, T, T, T],
         content=csv(g(1, ts="2024-01-01 10:00:00.1234567"), g(2, ts="2024-02-30 10:00:00"),
                     g(3, ts="10000-01-01 00:00:00"), g(4, ts="2024-01-01 25:00:00"), g(5, ts="2024-01-01T10:00:00Z"),
                     g(6, ts="2024-01-01 10:00:00.123456"))),
    Case("csv", "long_strings.csv", 3, [N, N],
         content=csv(g(1, "abcdefghijk"), g(2, "abcdefghij"), g(3, "éééééééééééé"))),
    Case("csv", "extra_column.csv", 2, [("note",), ("note",)], content=csv(g(1) + ",x", g(2) + ",y", header=HEADER + ",note")),
    Case("csv", "missing_column.csv", 2, [], content=csv("1,a,1.50,3,2024-01-01", "2,b,1.50,3,2024-01-01", header="id,name,amount,qty,day")),
    Case("csv", "reordered_columns.csv", 2, [], content=csv("2024-01-01 10:00:00,2024-01-01,3,1.50,a,1",
                                                           "2024-01-01 10:00:00,2024-01-01,3,1.50,b,2",
                                                           header="ts,day,qty,amount,name,id")),
    Case("csv", "too_many_fields.csv", 2, [(C,)], content=csv(g(1) + ",x,y", g(2))),
    Case("csv", "too_few_fields.csv", 2, [(C,)], content=csv("1,a,1.50", g(2))),
    Case("csv", "quoted_newline.csv", 2, [], content=csv('1,"two\nlines",1.50,3,2024-01-01,2024-01-01 10:00:00', g(2))),
    Case("csv", "quoted_newline_crlf.csv", 2, [], content=csv('1,"x\r\ny",1.50,3,2024-01-01,2024-01-01 10:00:00', g(2), end="\r\n")),
    Case("csv", "quoted_newline_invalid.csv", 2, [ENC_NAME],
         content=raw(b'1,"caf\xe9\nau lait",1.50,3,2024-01-01,2024-01-01 10:00:00', g(2).encode())),
    Case("csv", "escaped_quotes.csv", 1, [], content=csv('1,"say ""hi""",1.50,3,2024-01-01,2024-01-01 10:00:00')),
    Case("csv", "unterminated_quote.csv", 2, [(C, "name")], content=csv(g(1), '2,"open,1.50,3,2024-01-01,2024-01-01 10:00:00')),
    Case("csv", "gzip_good.csv.gz", 2, [], content=gz(csv(g(1), g(2)))),
    Case("csv", "gzip_truncated.csv.gz", quarantined="truncated gzip archive", content=half(gz(csv(BIG)))),
    Case("csv", "gzip_not_gzip.csv.gz", quarantined="corrupt gzip archive", content=csv(g(1))),
    Case("csv", "gzip_invalid_utf8.csv.gz", 2, [ENC_NAME], content=gz(raw(g(1).encode(), b"2,\xff,1.50,3,2024-01-01,2024-01-01 10:00:00"))),
    Case("csv", "gzip_quoted_newline.csv.gz", 2, [], content=gz(csv('1,"a\nb",1.50,3,2024-01-01,2024-01-01 10:00:00', g(2)))),
    Case("csv", "bzip2_good.csv.bz2", 2, [], content=bz2.compress(csv(g(1), g(2)))),
    Case("csv", "bzip2_truncated.csv.bz2", quarantined="truncated bzip2 archive", content=half(bz2.compress(csv(BIG)))),
    Case("csv", "bzip2_garbage.csv.bz2", quarantined="corrupt bzip2 archive", content=noise(300, 1)),
    # windows-1252 declared
    Case("csv_1252", "w_good.csv", 2, [], content=raw(b"1,caf\xe9,1.50,3,2024-01-01,2024-01-01 10:00:00",
                                                      b"2,\x93q\x94 \x80,1.50,3,2024-01-01,2024-01-01 10:00:00")),
    Case("csv_1252", "w_undefined_byte.csv", 2, [ENC_NAME], content=raw(g(1).encode(), b"2,a\x81b,1.50,3,2024-01-01,2024-01-01 10:00:00")),
    Case("csv_1252", "w_utf8_bytes.csv", 1, [], content=csv(g(1, "été"))),  # valid windows-1252 (mojibake): undetectable
    Case("csv_1252", "w_gzip.csv.gz", 1, [], content=gz(raw(b"1,\x80 5,1.50,3,2024-01-01,2024-01-01 10:00:00"))),
    # UTF-16 declared
    Case("csv_utf16", "u16_le.csv", 2, [], content=b"\xff\xfe" + csv(g(1, "été"), g(2, "中文")).decode().encode("utf-16-le")),
    Case("csv_utf16", "u16_be.csv", 2, [], content=b"\xfe\xff" + csv(g(1, "été"), g(2, "中文")).decode().encode("utf-16-be")),
    Case("csv_utf16", "u16_lone_surrogate.csv", quarantined="invalid UTF-16 at byte",
         content=b"\xff\xfe" + (HEADER + "\n1,a").encode("utf-16-le") + b"\x00\xd8" + ",1.50,3,2024-01-01,2024-01-01 10:00:00\n".encode("utf-16-le")),
    Case("csv_utf16", "u16_odd_length.csv", quarantined="invalid UTF-16 at byte",
         content=(csv(g(1)).decode().encode("utf-16"))[:-1]),
    Case("csv_utf16", "u16_gzip.csv.gz", 2, [], content=gz(csv(g(1), g(2)).decode().encode("utf-16"))),
    Case("csv_utf16", "u16_quoted_newline.csv", 2, [],
         content=csv('1,"a\nb",1.50,3,2024-01-01,2024-01-01 10:00:00', g(2)).decode().encode("utf-16")),
]

JSON_CASES = [
    Case("json", "j_good.jsonl", 3, [], content=jl(jg(1), jg(2), jg(3))),
    Case("json", "j_bom.jsonl", 2, [], content=b"\xef\xbb\xbf" + jl(jg(1), jg(2))),
    Case("json", "j_crlf.jsonl", 2, [], content=(jg(1) + "\r\n" + jg(2) + "\r\n").encode()),
    Case("json", "j_invalid_utf8.jsonl", 3, [(C, "_encoding_error")],
         content=jl(jg(1)).rstrip(b"\n") + b'\n{"id": 2, "name": "caf\xe9"}\n' + jl(jg(3))),
    Case("json", "j_latin1.jsonl", 2, [(C, "_encoding_error")] * 2,
         content=b'{"id": 1, "name": "d\xe9j\xe0"}\n{"id": 2, "name": "na\xefve"}\n'),
    Case("json", "j_truncated_line.jsonl", 2, [(C,)], content=jl(jg(1), '{"id": 3, "name": "x')),
    Case("json", "j_not_object.jsonl", 4, [(C,)] * 4, content=jl("[1, 2]", "42", '"text"', "null")),
    Case("json", "j_blank_lines.jsonl", 2, [], content=jl("", jg(1), "   ", jg(2), "")),
    Case("json", "j_undeclared.jsonl", 2, [("note",), ("note",)], content=jl(jg(1, note="x"), jg(2, note="y"))),
    Case("json", "j_values.jsonl", 5, [A, D, N, Q, T],
         content=jl(jg(1, amount=123.456), jg(2, qty=3000000000), jg(3, day="2024-02-30"),
                    jg(4, ts="2024-01-01 10:00:00.1234567"), jg(5, name="abcdefghijk"))),
    Case("json", "j_float_id.jsonl", 1, [("id",)], content=jl(jg(1.0))),  # type: ignore[arg-type]
    Case("json", "j_gzip.jsonl.gz", 2, [], content=gz(jl(jg(1), jg(2)))),
    Case("json", "j_gzip_truncated.jsonl.gz", quarantined="truncated gzip archive",
         content=half(gz(jl(*[jg(i) for i in range(300)])))),
    Case("json", "j_bzip2_truncated.jsonl.bz2", quarantined="truncated bzip2 archive",
         content=half(bz2.compress(jl(*[jg(i) for i in range(300)])))),
    Case("json", "j_empty.jsonl", 0, [], content=b""),
]


# -- Avro (written here) and Parquet (small checked-in files, see ``write_parquet``) --------------------------------
def _zigzag(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _avro_bytes(data: bytes) -> bytes:
    return _zigzag(len(data)) + data


#: short type names → (Avro schema, encoder)
def _avro_type(kind: str) -> tuple[Any, Callable[[Any], bytes]]:
    from datetime import date, datetime

    if kind in ("long", "int"):
        return kind, _zigzag
    if kind == "string":
        return "string", lambda v: _avro_bytes(v.encode("utf-8"))
    if kind == "boolean":
        return "boolean", lambda v: b"\x01" if v else b"\x00"
    if kind == "date":
        return {"type": "int", "logicalType": "date"}, lambda v: _zigzag((v - date(1970, 1, 1)).days)
    if kind == "ts":
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return ({"type": "long", "logicalType": "timestamp-micros"},
                lambda v: _zigzag((v.replace(tzinfo=UTC) - epoch) // _MICRO))
    if kind.startswith("dec("):
        precision, scale = (int(x) for x in kind[4:-1].split(","))

        def dec(v: Any) -> bytes:
            unscaled = int(v.scaleb(scale))
            size = max(1, (unscaled.bit_length() + 8) // 8)
            return _avro_bytes(unscaled.to_bytes(size, "big", signed=True))
        return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}, dec
    if kind == "struct_a":
        return {"type": "record", "name": "a_rec", "fields": [{"name": "a", "type": "int"}]}, lambda v: _zigzag(v[0])
    raise ValueError(kind)


_MICRO = __import__("datetime").timedelta(microseconds=1)
SYNC = b"sqlingest-sync16"


def avro(fields: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> bytes:
    """An Avro container file (null codec, one block) with the given fields and rows."""
    import json

    types = [_avro_type(kind) for _, kind in fields]
    schema = {"type": "record", "name": "row", "fields": [{"name": n, "type": t[0]} for (n, _), t in zip(fields, types)]}
    meta = {"avro.schema": json.dumps(schema).encode(), "avro.codec": b"null"}
    header = b"Obj\x01" + _zigzag(len(meta)) + b"".join(
        _avro_bytes(k.encode()) + _avro_bytes(v) for k, v in meta.items()) + _zigzag(0) + SYNC
    block = b"".join(b"".join(enc(v) for (_, enc), v in zip(types, row)) for row in rows)
    return header + _zigzag(len(rows)) + _zigzag(len(block)) + block + SYNC


AVRO_FIELDS = [("id", "long"), ("name", "string"), ("amount", "dec(5,2)"), ("qty", "int"), ("day", "date"),
               ("ts", "ts")]


def _replace(fields: list[tuple[str, str]], **kinds: str) -> list[tuple[str, str]]:
    return [(n, kinds.get(n, k)) for n, k in fields]


#: Parquet variants: name → (Spark DDL schema, rows); written once with Spark by ``write_parquet`` into
#: ``tests/data/bad_files/parquet/`` (each under 2 KB) and copied from there by ``make``.
def parquet_variants() -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    from datetime import date, datetime
    from decimal import Decimal

    t, d = datetime(2024, 1, 1, 10), date(2024, 1, 1)
    one = Decimal("1.50")
    return {
        "good": (SPARK_SCHEMA, _typed_rows()),
        "wide_types": ("id bigint, name string, amount decimal(12,4), qty bigint, day date, ts timestamp",
                       [(1, "a", Decimal("1.5000"), 1, d, t), (2, "b", Decimal("1.2345"), 1, d, t),
                        (3, "c", Decimal("12345.6789"), 3000000000, d, t)]),
        "strings": ("id string, name string, amount string, qty string, day string, ts string",
                    [("1", "a", "1.50", "1", "2024-01-01", "2024-01-01 10:00:00"),
                     ("2", "b", "x", "1", "bad", "2024-01-01 10:00:00")]),
        "timestamp_as_date": ("id bigint, name string, amount decimal(5,2), qty int, day timestamp, ts timestamp",
                              [(1, "a", one, 1, datetime(2024, 1, 1), t), (2, "b", one, 1, t, t)]),
        "extra_column": (SPARK_SCHEMA + ", note string", [(1, "a", one, 1, d, t, "x"), (2, "b", one, 1, d, t, "y")]),
        "long_name": (SPARK_SCHEMA, [(1, "abcdefghijk", one, 1, d, t)]),
        "missing_nullable": ("id bigint, name string, amount decimal(5,2), qty int, day date",
                             [(1, "a", one, 1, d), (2, "b", one, 1, d)]),
        "wrong_type": ("id bigint, name string, amount decimal(5,2), qty int, day boolean, ts timestamp",
                       [(1, "a", one, 1, True, t)]),
        "struct_amount": ("id bigint, name string, amount struct<a:int>, qty int, day date, ts timestamp",
                          [(1, "a", (1,), 1, d, t)]),
        "missing_required": ("name string, amount decimal(5,2)", [("a", one)]),
        "unrelated": ("x int, y string", [(1, "z")]),
    }


PARQUET_DIR = Path(__file__).parent / "parquet"


def write_parquet(spark: Any, folder: Path = PARQUET_DIR) -> None:
    """(Re)write the checked-in Parquet variants with Spark."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (schema, rows) in parquet_variants().items():
        tmp = folder / f".tmp_{name}"
        spark.createDataFrame(rows, schema).coalesce(1).write.mode("overwrite").parquet(str(tmp))
        part = next(p for p in sorted(tmp.iterdir()) if p.name.startswith("part-"))
        (folder / f"{name}.parquet").write_bytes(part.read_bytes())
        shutil.rmtree(tmp)


def _typed_rows() -> list[tuple[Any, ...]]:
    from datetime import date, datetime
    from decimal import Decimal

    return [(i, f"name{i}", Decimal("1.50"), 3, date(2024, 1, 1), datetime(2024, 1, 1, 10)) for i in (1, 2, 3)]


def _pq(name: str, then: Callable[[bytes], bytes] | None = None) -> Callable[[], bytes]:
    def read() -> bytes:
        data = (PARQUET_DIR / f"{name}.parquet").read_bytes()
        return then(data) if then else data
    return read


def _bad_footer_length(data: bytes) -> bytes:
    return data[:-8] + (len(data) * 2).to_bytes(4, "little") + b"PAR1"


def _garbled_footer(data: bytes) -> bytes:
    length = int.from_bytes(data[-8:-4], "little")
    return data[: -8 - length] + b"\x00" * length + data[-8:]


def _flip_last(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


def binary_cases() -> list[Case]:
    from datetime import date, datetime
    from decimal import Decimal

    t, d, one = datetime(2024, 1, 1, 10), date(2024, 1, 1), Decimal("1.50")
    good = avro(AVRO_FIELDS, _typed_rows())
    outcomes: list[tuple[str, int, list[tuple[str, ...]], str | None]] = [
        ("good", 3, [], None),
        ("wide_types", 3, [A, ("amount", "qty")], None),
        ("strings", 2, [("amount", "day")], None),
        ("timestamp_as_date", 2, [D], None),
        ("extra_column", 2, [("note",), ("note",)], None),
        ("long_name", 1, [N], None),
        ("missing_nullable", 2, [], None),
        ("wrong_type", 0, [], "type mismatch: day is boolean, contract says date"),
        ("struct_amount", 0, [], "type mismatch: amount is struct<a:int>, contract says decimal(5,2)"),
        ("missing_required", 0, [], "missing required column(s): id"),
        ("unrelated", 0, [], "none of the contract's columns is in the file (x, y)"),
    ]
    avro_files = {
        "good": good,
        "wide_types": avro(_replace(AVRO_FIELDS, amount="dec(12,4)", qty="long"), [
            (1, "a", Decimal("1.5000"), 1, d, t), (2, "b", Decimal("1.2345"), 1, d, t),
            (3, "c", Decimal("12345.6789"), 3000000000, d, t)]),
        "strings": avro([(n, "string") for n, _ in AVRO_FIELDS], [
            ("1", "a", "1.50", "1", "2024-01-01", "2024-01-01 10:00:00"),
            ("2", "b", "x", "1", "bad", "2024-01-01 10:00:00")]),
        "timestamp_as_date": avro(_replace(AVRO_FIELDS, day="ts"), [(1, "a", one, 1, datetime(2024, 1, 1), t),
                                                                   (2, "b", one, 1, t, t)]),
        "extra_column": avro([*AVRO_FIELDS, ("note", "string")], [(1, "a", one, 1, d, t, "x"),
                                                                  (2, "b", one, 1, d, t, "y")]),
        "long_name": avro(AVRO_FIELDS, [(1, "abcdefghijk", one, 1, d, t)]),
        "missing_nullable": avro(AVRO_FIELDS[:5], [(1, "a", one, 1, d), (2, "b", one, 1, d)]),
        "wrong_type": avro(_replace(AVRO_FIELDS, day="boolean"), [(1, "a", one, 1, True, t)]),
        "struct_amount": avro(_replace(AVRO_FIELDS, amount="struct_a"), [(1, "a", (1,), 1, d, t)]),
        "missing_required": avro([("name", "string"), ("amount", "dec(5,2)")], [("a", one)]),
        "unrelated": avro([("x", "int"), ("y", "string")], [(1, "z")]),
    }
    cases = []
    for name, rows, rescued, reason in outcomes:
        cases.append(Case("parquet", f"p_{name}.parquet", rows, rescued, reason, content=_pq(name)))
        cases.append(Case("avro", f"a_{name}.avro", rows, rescued, reason, content=avro_files[name]))
    not_parquet = "not a Parquet file (no PAR1 magic bytes at both ends: truncated or not Parquet)"
    cases += [
        Case("parquet", "p_truncated.parquet", quarantined=not_parquet, content=_pq("good", half)),
        Case("parquet", "p_random.parquet", quarantined=not_parquet, content=noise(2000, 2)),
        Case("parquet", "p_zero_bytes.parquet", quarantined=not_parquet, content=b""),
        Case("parquet", "p_bad_footer_length.parquet", quarantined="corrupt Parquet footer (length",
             content=_pq("good", _bad_footer_length)),
        Case("parquet", "p_garbled_footer.parquet", quarantined="unreadable Parquet footer:",
             content=_pq("good", _garbled_footer)),
        Case("avro", "a_truncated.avro", quarantined="truncated Avro file", content=half(good)),
        Case("avro", "a_random.avro", quarantined="not an Avro container file (no Obj\\x01 magic bytes)",
             content=noise(2000, 3)),
        Case("avro", "a_zero_bytes.avro", quarantined="not an Avro container file", content=b""),
        Case("avro", "a_bad_sync.avro", quarantined="corrupt Avro file (block 1 does not end with the sync marker)",
             content=_flip_last(good)),
        Case("avro", "a_bad_header.avro", quarantined="corrupt Avro header",
             content=b"Obj\x01" + _zigzag(1) + _avro_bytes(b"avro.schema") + _zigzag(-5)),
    ]
    return cases


def cases() -> list[Case]:
    return CSV_CASES + JSON_CASES + binary_cases()


def make(root: Path) -> list[Case]:
    """Write every case under ``root/<source>/<name>``."""
    made = cases()
    for case in made:
        folder = root / case.source
        folder.mkdir(parents=True, exist_ok=True)
        (folder / case.name).write_bytes(case.content() if callable(case.content) else case.content)
    return made


if __name__ == "__main__":
    if sys.argv[1:] == ["--parquet"]:  # regenerate the checked-in Parquet variants (needs pyspark)
        from pyspark.sql import SparkSession

        write_parquet(SparkSession.builder.master("local[1]").config("spark.sql.session.timeZone", "UTC")
                      .getOrCreate())
    else:
        for c in make(Path(sys.argv[1])):
            print(c.source, c.name)
