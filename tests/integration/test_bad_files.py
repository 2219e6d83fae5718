"""The bad-file corpus (``tests/data/bad_files/make.py``): every file's rows published, rescued or quarantined exactly
as expected, and ``rows_in = published + quarantined + dropped`` for every model.

One build reads the whole corpus (one bronze ``append`` model per source folder); each test then looks at one file
through ``_source_file``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from sqlingest.cli import main
from tests.conftest import REPO, write_files

_spec = importlib.util.spec_from_file_location("bad_files_make", REPO / "tests" / "data" / "bad_files" / "make.py")
assert _spec and _spec.loader
corpus = importlib.util.module_from_spec(_spec)
sys.modules["bad_files_make"] = corpus
_spec.loader.exec_module(corpus)

CASES = corpus.cases()


def _columns() -> str:
    return "".join(f"  - {{name: {n}, type: \"{t}\", nullable: {str(nullable).lower()}}}\n"
                   for n, t, nullable in corpus.COLUMNS)


def _config(lakehouse, uid: str) -> str:
    return ("name: bad\n"
            f"layers:\n  bronze: {{namespace: b_{uid}}}\n  silver: {{namespace: s_{uid}}}\n"
            f"  gold: {{namespace: g_{uid}, require_contract: false}}\n"
            f"targets:\n  dev:\n{lakehouse.target()}")


def _source(name: str, keys: dict, path: str) -> str:
    extra = "".join(f", {k}: {json.dumps(v)}" for k, v in keys.items() if k != "format")
    return (f"name: bad.{name}\nlayer: source\nsource: {{format: {keys['format']}, path: '{path}'{extra}}}\n"
            f"columns:\n{_columns()}")


def _records(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / ".sqlingest" / "runs").glob("*.json"))]


def corpus_files(lakehouse, uid: str) -> dict[str, str]:
    """One source contract per corpus folder, all read by one bronze ``append`` model (one write for the corpus)."""
    files = {"sqlingest.yml": _config(lakehouse, uid),
             "contracts/bad/corpus.bronze.yml": f"name: bad.corpus\nlayer: bronze\ncolumns:\n{_columns()}",
             "models/bronze/corpus.sql": "{{ config(materialized='append') }}\n" + "\nUNION ALL\n".join(
                 f"SELECT * FROM {{{{ source('bad', '{name}') }}}}" for name in corpus.SOURCES) + "\n"}
    for name, keys in corpus.SOURCES.items():
        files[f"contracts/bad/{name}.source.yml"] = _source(name, keys, f"data/{name}/*")
    return files


@pytest.fixture(scope="module")
def built(lakehouse, tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_files")
    uid = uuid.uuid4().hex[:8]
    write_files(root, corpus_files(lakehouse, uid))
    corpus.make(root / "data")
    assert main(["build", "--project-dir", str(root)]) == 0
    spark = lakehouse.spark
    rel = f"lake.b_{uid}.corpus"
    published: dict[str, list] = {}
    quarantined: dict[str, list] = {}
    for r in spark.table(rel).select("_source_file", "_rescued_data", "id", "name", "amount").collect():
        published.setdefault(r[0].rsplit("/", 1)[1], []).append(r)
    for r in spark.table(rel + "__quarantine").collect():
        quarantined.setdefault(json.loads(r["_row"])["_source_file"].rsplit("/", 1)[1], []).append(r)
    return {"root": root, "uid": uid, "published": published, "quarantined": quarantined,
            "record": _records(root)[-1]}


def test_corpus_is_large_enough():
    formats = Counter(corpus.SOURCES[c.source]["format"] for c in CASES)
    assert len(CASES) >= 60 and all(formats[f] >= 10 for f in ("csv", "json", "parquet", "avro")), formats


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_file_outcome(built, case):
    rows = built["published"].get(case.name, [])
    assert len(rows) == case.rows
    rescued = sorted(tuple(sorted(json.loads(r["_rescued_data"]))) for r in rows if r["_rescued_data"])
    assert rescued == sorted(case.rescued)
    held = built["quarantined"].get(case.name, [])
    if case.quarantined is None:
        assert held == []
    else:
        assert len(held) == 1, held
        (reason,) = held[0]["_failed_checks"]
        assert reason.startswith("bad_file: " + case.quarantined), reason
        assert json.loads(held[0]["_row"])["_reason"] == reason.removeprefix("bad_file: ")


def test_invariant(built):
    (model,) = built["record"]["models"]
    bad = sum(1 for c in CASES if c.quarantined)
    assert model["status"] == "warn"
    assert model["rows_in"] == model["rows_written"] + model["rows_quarantined"] + model["rows_dropped"]
    assert (model["rows_written"], model["rows_quarantined"], model["rows_dropped"]) == (
        sum(c.rows for c in CASES), bad, 0)
    assert model["rows_rescued"] == sum(len(c.rescued) for c in CASES)


def test_raw_bytes_are_rescued_not_replaced_and_values_not_rounded(built):
    pub = built["published"]
    bad = next(r for r in pub["invalid_utf8.csv"] if r["id"] == 2)
    assert bad["name"] is None
    assert json.loads(bad["_rescued_data"]) == {"name": "caf\u00e9", "_encoding_error": "UTF-8"}  # ISO-8859-1 text
    line = json.loads(next(r for r in pub["j_invalid_utf8.jsonl"] if r["_rescued_data"])["_rescued_data"])
    assert line == {"_corrupt_record": '{"id": 2, "name": "caf\u00e9"}', "_encoding_error": "UTF-8"}
    amounts = {r["id"]: (r["amount"], r["_rescued_data"]) for r in pub["decimal_loss.csv"]}
    assert amounts[1] == (None, json.dumps({"amount": "123.456"}).replace(" ", ""))
    assert str(amounts[3][0]) == "1.50" and amounts[3][1] is None
    assert {r["name"] for r in pub["w_good.csv"]} == {"café", "\u201cq\u201d \u20ac"}
    assert {r["name"] for r in pub["u16_le.csv"]} == {"été", "中文"}
    assert {r["name"] for r in pub["quoted_newline.csv"]} == {"two\nlines", "name2"}


def test_second_build_reads_nothing_again(built, lakehouse):
    root = built["root"]
    assert main(["build", "--project-dir", str(root)]) == 0
    (model,) = _records(root)[-1]["models"]
    assert (model["status"], model["rows_in"]) == ("success", 0)
    count = lakehouse.spark.table(f"lake.b_{built['uid']}.corpus__quarantine").count()
    assert count == sum(1 for c in CASES if c.quarantined)


EMPTY = {
    "contracts/e/items.source.yml": """
        name: e.items
        layer: source
        source: {format: csv, path: data/none/*.csv%s}
        columns:
          - {name: id, type: bigint}
    """,
    "contracts/e/items.bronze.yml": "name: e.items\nlayer: bronze\ncolumns:\n  - {name: id, type: bigint}\n",
    "models/bronze/items.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('e', 'items') }}\n",
}


def test_source_matching_no_files_fails(project, capsys):
    root = project({**EMPTY, "contracts/e/items.source.yml": EMPTY["contracts/e/items.source.yml"] % ""})
    assert main(["build", "--project-dir", str(root)]) == 1
    out = capsys.readouterr().out
    assert (f"source e.items matched no files: path data/none/*.csv (glob root {root}/data/none does not exist); "
            "nothing was written") in out
    assert "allow_empty: true" in out


def test_allow_empty_warns_and_creates_the_table(project, lakehouse, capsys):
    root = project({**EMPTY, "contracts/e/items.source.yml": EMPTY["contracts/e/items.source.yml"]
                    % ", allow_empty: true"})
    (root / "data" / "none").mkdir(parents=True)
    assert main(["build", "--project-dir", str(root)]) == 0
    (model,) = _records(root)[-1]["models"]
    assert model["status"] == "warn"
    assert model["checks"][-1]["message"] == (f"source e.items matched no files: path data/none/*.csv "
                                              f"(glob root {root}/data/none)")
    assert lakehouse.spark.table(model["relation"]).count() == 0


def test_bad_files_fail_mode_fails_the_model(project, lakehouse, capsys):
    root = project({**EMPTY, "contracts/e/items.source.yml": EMPTY["contracts/e/items.source.yml"].replace(
        "data/none/*.csv%s", "data/in/*.csv.gz, bad_files: fail")})
    (root / "data" / "in").mkdir(parents=True)
    (root / "data" / "in" / "a.csv.gz").write_bytes(corpus.half(corpus.gz(b"id\n" + b"1\n" * 5000)))
    assert main(["build", "--project-dir", str(root)]) == 1
    out = capsys.readouterr().out
    assert "source e.items: 1 file(s) cannot be read: file:" in out and "a.csv.gz: truncated gzip archive" in out
    assert not lakehouse.spark.catalog.tableExists(_records(root)[-1]["models"][0]["relation"])


LOSSY = {
    "contracts/l/items.source.yml": """
        name: l.items
        layer: source
        source: {format: csv, path: data/*.csv}
        columns:
          - {name: id, type: bigint}
          - {name: name, type: string}
          - {name: amount, type: "decimal(5,2)"}
    """,
    "contracts/l/items.bronze.yml": """
        name: l.items
        layer: bronze
        columns:
          - {name: id, type: bigint}
          - {name: name, type: string}
          - {name: amount, type: "decimal(5,2)"}
    """,
    "models/bronze/items.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('l', 'items') }}\n",
    "contracts/l/narrow.gold.yml": """
        name: l.narrow
        layer: gold
        columns:
          - {name: id, type: bigint}
          - {name: amount, type: "decimal(4,1)"}
    """,
    "models/gold/narrow.sql": "SELECT id, amount FROM {{ ref('bronze.items') }}\n",
    "contracts/l/explicit.gold.yml": """
        name: l.explicit
        layer: gold
        columns:
          - {name: id, type: bigint}
          - {name: amount, type: "decimal(4,1)"}
    """,
    "models/gold/explicit.sql": "SELECT id, CAST(ROUND(amount, 1) AS DECIMAL(4,1)) AS amount "
                                  "FROM {{ ref('bronze.items') }}\n",
    "contracts/l/short.gold.yml": """
        name: l.short
        layer: gold
        columns:
          - {name: id, type: bigint}
          - {name: name, type: "varchar(5)"}
    """,
    "models/gold/short.sql": "SELECT id, name FROM {{ ref('bronze.items') }}\n",
    "data/a.csv": "id,name,amount\n1,abc,1.25\n2,abcdefg,2.50\n",
}


def test_lossy_gold_conversion_is_a_compile_error(project, capsys):
    root = project(LOSSY)
    assert main(["compile", "--project-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert "models/gold/narrow.sql:1:12: column 'amount' is decimal(5,2) but contract l.narrow declares " \
           "decimal(4,1)" in err
    assert "explicit.sql" not in err and "short.sql" not in err


def test_over_long_strings_fail_gold_and_explicit_conversions_pass(project, lakehouse):
    root = project({k: v for k, v in LOSSY.items() if "narrow" not in k})
    assert main(["build", "--project-dir", str(root)]) == 1
    models = {m["name"]: m for m in _records(root)[-1]["models"]}
    assert models["bronze.items"]["status"] == "success"
    assert models["gold.explicit"]["status"] == "success"
    assert sorted(str(r[0]) for r in lakehouse.spark.table(models["gold.explicit"]["relation"])
                  .select("amount").collect()) == ["1.3", "2.5"]
    assert models["gold.short"]["status"] == "error"
    assert "max_length(name) (1 row has name of a length above 5)" in models["gold.short"]["error"]
    assert lakehouse.spark.table(models["gold.short"]["relation"]).count() == 0  # nothing published
