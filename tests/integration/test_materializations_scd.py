"""Write semantics of merge (with a delete flag), scd1, scd2 and insert_overwrite on Iceberg and Delta tables.

Every scenario feeds batches as new CSV files into a source folder; bronze appends only the new files, silver reads
bronze. Two ways of feeding silver are covered on purpose:

- *full*: the silver model reads every bronze row on every run. The simplest and most robust choice (a failed run
  loses nothing), and the strictest test of idempotency: every run reprocesses rows already applied.
- *batch*: ``{% if is_incremental() %} WHERE _batch_id = '{{ run_id }}' {% endif %}`` reads only the rows bronze
  appended in this run. Cheaper; late and out-of-order rows then arrive alone and must land where they belong.

Both must end with the same tables, and a ``--full-refresh`` (every batch at once) must rebuild exactly the same
tables as the batch-by-batch runs.
"""

from __future__ import annotations

import json
import re

import pytest

from sqlingest.cli import main
from sqlingest.project import load_project

FORMATS = [
    pytest.param({}, id="iceberg"),
    pytest.param({"format": "delta", "catalog": "spark_session"}, id="delta"),
]

CUST_COLUMNS = """
columns:
  - {name: id, type: bigint%(id)s}
  - {name: name, type: string}
  - {name: tier, type: string}
  - {name: updated_at, type: timestamp}
  - {name: deleted, type: boolean}
"""
SILVER_CUST = "name: s.%(name)s\nlayer: silver\nkeys: {business: [id], ordering: updated_at}\n" + CUST_COLUMNS
SELECT_CUST = "SELECT id, name, tier, updated_at, deleted FROM {{ ref('bronze.cust') }}\n"
BATCH_ONLY = "{% if is_incremental() %}WHERE _batch_id = '{{ run_id }}'{% endif %}\n"

SALES_COLUMNS = """
columns:
  - {name: day, type: date}
  - {name: store, type: string}
  - {name: amount, type: int}
"""

FILES = {
    "contracts/s/cust.source.yml": "name: s.cust\nlayer: source\nsource: {format: csv, path: data/cust/*.csv}\n"
                                   + CUST_COLUMNS % {"id": ""},
    "contracts/s/cust.bronze.yml": "name: s.cust\nlayer: bronze\n" + CUST_COLUMNS % {"id": ""},
    "models/bronze/cust.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('s', 'cust') }}\n",
    # one row per key: the silver layer's key checks hold as they are
    **{f"contracts/s/{n}.silver.yml": SILVER_CUST % {"name": n, "id": ", nullable: false, checks: [not_null, unique]"}
       for n in ("c_merge", "c_scd1")},
    # one row per version: the key alone is not unique (see scd2_project)
    **{f"contracts/s/{n}.silver.yml": SILVER_CUST % {"name": n, "id": ", nullable: false, checks: [not_null]"}
       for n in ("c_scd2", "c_scd2_batch", "c_scd2_rewrite")},
    "models/silver/c_merge.sql": "{{ config(materialized='merge', delete_flag='deleted') }}\n" + SELECT_CUST,
    "models/silver/c_scd1.sql": "{{ config(materialized='scd1', delete_flag='deleted') }}\n" + SELECT_CUST
                                + BATCH_ONLY,
    "models/silver/c_scd2.sql": ("{{ config(materialized='scd2', delete_flag='deleted', "
                                 "tracked_columns=['name', 'tier']) }}\n" + SELECT_CUST),
    # tracked columns default to every non-key column; the ordering column and the delete flag are left out.
    # Both write strategies (one MERGE; one rewrite of the table) must leave the same rows.
    "models/silver/c_scd2_batch.sql": ("{{ config(materialized='scd2', delete_flag='deleted', "
                                       "scd2_strategy='merge') }}\n" + SELECT_CUST + BATCH_ONLY),
    "models/silver/c_scd2_rewrite.sql": ("{{ config(materialized='scd2', delete_flag='deleted', "
                                         "scd2_strategy='rewrite') }}\n" + SELECT_CUST + BATCH_ONLY),
    "contracts/s/sales.source.yml": "name: s.sales\nlayer: source\nsource: {format: csv, path: data/sales/*.csv}\n"
                                    + SALES_COLUMNS,
    "contracts/s/sales.bronze.yml": "name: s.sales\nlayer: bronze\n" + SALES_COLUMNS,
    "models/bronze/sales.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('s', 'sales') }}\n",
    "contracts/s/sales.silver.yml": ("name: s.sales\nlayer: silver\npartitioned_by: [day]\n"
                                     "keys: {business: [day, store]}\nchecks: [primary_key]\n" + SALES_COLUMNS),
    # each file restates whole days: per day, the rows of the latest file win
    "models/silver/sales.sql": """
        {{ config(materialized='insert_overwrite') }}
        SELECT day, store, amount FROM (
          SELECT *, dense_rank() OVER (PARTITION BY day ORDER BY _source_file DESC) AS file_rank
          FROM {{ ref('bronze.sales') }}
          {% if is_incremental() %}WHERE _batch_id = '{{ run_id }}'{% endif %}
        ) WHERE file_rank = 1
    """,
}

HEAD = "id,name,tier,updated_at,deleted\n"
BATCHES = [
    # 1: a duplicate with unchanged values (1), a change inside the batch (2), an exact duplicate row (3)
    HEAD + "1,Ann,gold,2024-01-01 00:00:00,false\n"
           "1,Ann,gold,2024-01-02 00:00:00,false\n"
           "2,Bob,silver,2024-01-01 00:00:00,false\n"
           "2,Bob,gold,2024-01-03 00:00:00,false\n"
           "3,Cid,bronze,2024-01-01 00:00:00,false\n"
           "3,Cid,bronze,2024-01-01 00:00:00,false\n",
    # 2: an update (1), a delete (3), an insert (4), a late row between two versions (2)
    HEAD + "1,Ann,platinum,2024-01-05 00:00:00,false\n"
           "3,,,2024-01-04 00:00:00,true\n"
           "4,Dan,silver,2024-01-04 00:00:00,\n"
           "2,Bob,bronze,2024-01-02 00:00:00,false\n",
    # 3: re-open a deleted key (3), a late row before the first version with the same values (4), a return to
    #    earlier values (1), a late delete inside history (2), a delete of an unknown key (5)
    HEAD + "3,Cid,gold,2024-01-06 00:00:00,false\n"
           "4,Dan,silver,2024-01-03 00:00:00,false\n"
           "1,Ann,gold,2024-01-07 00:00:00,false\n"
           "2,,,2024-01-02 12:00:00,true\n"
           "5,Eve,gold,2024-01-02 00:00:00,true\n",
]
SALES = [
    "day,store,amount\n2024-01-01,A,1\n2024-01-01,B,2\n2024-01-02,A,3\n",
    "day,store,amount\n2024-01-02,A,30\n2024-01-02,C,5\n2024-01-03,A,7\n",
]


def d(day: int, hour: int = 0) -> str:
    return f"2024-01-{day:02d} {hour:02d}:00:00"


#: scd2 history after each batch: (id, name, tier, valid_from, valid_to, is_current)
HISTORY = [
    [
        (1, "Ann", "gold", d(1), None, True),
        (2, "Bob", "silver", d(1), d(3), False),
        (2, "Bob", "gold", d(3), None, True),
        (3, "Cid", "bronze", d(1), None, True),
    ],
    [
        (1, "Ann", "gold", d(1), d(5), False),
        (1, "Ann", "platinum", d(5), None, True),
        (2, "Bob", "silver", d(1), d(2), False),
        (2, "Bob", "bronze", d(2), d(3), False),
        (2, "Bob", "gold", d(3), None, True),
        (3, "Cid", "bronze", d(1), d(4), False),
        (4, "Dan", "silver", d(4), None, True),
    ],
    [
        (1, "Ann", "gold", d(1), d(5), False),
        (1, "Ann", "platinum", d(5), d(7), False),
        (1, "Ann", "gold", d(7), None, True),
        (2, "Bob", "silver", d(1), d(2), False),
        (2, "Bob", "bronze", d(2), d(2, 12), False),
        (2, "Bob", "gold", d(3), None, True),
        (3, "Cid", "bronze", d(1), d(4), False),
        (3, "Cid", "gold", d(6), None, True),
        (4, "Dan", "silver", d(3), None, True),
    ],
]
#: merge/scd1 contents after each batch: (id, name, tier, updated_at)
LATEST = [
    [(1, "Ann", "gold", d(2)), (2, "Bob", "gold", d(3)), (3, "Cid", "bronze", d(1))],
    [(1, "Ann", "platinum", d(5)), (2, "Bob", "gold", d(3)), (4, "Dan", "silver", d(4))],
    [(1, "Ann", "gold", d(7)), (2, "Bob", "gold", d(3)), (3, "Cid", "gold", d(6)), (4, "Dan", "silver", d(4))],
]
#: insert_overwrite contents after each sales batch
PARTITIONS = [
    [("2024-01-01", "A", 1), ("2024-01-01", "B", 2), ("2024-01-02", "A", 3)],
    [("2024-01-01", "A", 1), ("2024-01-01", "B", 2), ("2024-01-02", "A", 30), ("2024-01-02", "C", 5),
     ("2024-01-03", "A", 7)],
]


def scd2_project(project, files: dict[str, str], **target: str):
    """A project whose silver layer requires only not_null on business keys: an scd2 table holds several versions
    per key, so the layer's default unique check on the key alone cannot hold (the versions are unique by
    key + valid_from; until checks know that, scd2 contracts declare not_null only)."""
    root = project(files, **target)
    config = root / "sqlingest.yml"
    text = config.read_text()
    start = text.index("  silver: {") + len("  silver: {")
    config.write_text(text[:start] + "key_checks: [not_null], " + text[start:])
    return root


def relation(root, target: dict, table: str) -> str:
    catalog = "spark_catalog" if target.get("catalog") == "spark_session" else "lake"
    return f"{catalog}.{load_project(root).config.layer('silver').namespace}.{table}"


def history(spark, rel: str) -> list[tuple]:
    rows = spark.sql(f"SELECT id, name, tier, CAST(valid_from AS STRING), CAST(valid_to AS STRING), is_current "
                     f"FROM {rel}").collect()
    return sorted((tuple(r) for r in rows), key=lambda r: (r[0], r[3]))


def latest(spark, rel: str) -> list[tuple]:
    return sorted(tuple(r) for r in spark.sql(
        f"SELECT id, name, tier, CAST(updated_at AS STRING) FROM {rel}").collect())


def partitions(spark, rel: str) -> list[tuple]:
    return sorted(tuple(r) for r in spark.sql(f"SELECT CAST(day AS STRING), store, amount FROM {rel}").collect())


def build(root, *args: str) -> None:
    assert main(["build", "--project-dir", str(root), *args]) == 0


@pytest.mark.parametrize("target", FORMATS)
def test_write_semantics_over_batches(lakehouse, project, target):
    spark = lakehouse.spark
    root = scd2_project(project, FILES, **target)
    rel = {t: relation(root, target, t)
           for t in ("c_merge", "c_scd1", "c_scd2", "c_scd2_batch", "c_scd2_rewrite", "sales")}

    def assert_state(i: int, sales: int) -> None:
        assert history(spark, rel["c_scd2"]) == HISTORY[i], "scd2, every bronze row each run"
        assert history(spark, rel["c_scd2_batch"]) == HISTORY[i], "scd2 by MERGE, only the run's batch"
        assert history(spark, rel["c_scd2_rewrite"]) == HISTORY[i], "scd2 by rewrite, only the run's batch"
        assert latest(spark, rel["c_scd1"]) == LATEST[i]
        assert latest(spark, rel["c_merge"]) == LATEST[i]
        assert partitions(spark, rel["sales"]) == PARTITIONS[sales]

    for i, batch in enumerate(BATCHES):
        (root / "data" / "cust").mkdir(parents=True, exist_ok=True)
        (root / "data" / "cust" / f"{i}.csv").write_text(batch)
        if i < len(SALES):
            (root / "data" / "sales").mkdir(parents=True, exist_ok=True)
            (root / "data" / "sales" / f"{i}.csv").write_text(SALES[i])
        build(root)
        assert_state(i, min(i, len(SALES) - 1))

    scd2_columns = [f.name for f in spark.table(rel["c_scd2"]).schema]
    assert scd2_columns == ["id", "name", "tier", "updated_at", "deleted", "valid_from", "valid_to", "is_current"]
    # a closed version keeps the values of the row that opened it, never the delete row's
    closed = spark.sql(f"SELECT name, CAST(updated_at AS STRING), deleted FROM {rel['c_scd2']} "
                       f"WHERE id = 3 AND NOT is_current").collect()
    assert [tuple(r) for r in closed] == [("Cid", d(1), False)]

    build(root)  # no new file: bronze adds nothing, the full models reprocess everything
    assert_state(len(BATCHES) - 1, len(SALES) - 1)
    build(root, "--full-refresh")  # every batch at once rebuilds the same tables
    assert_state(len(BATCHES) - 1, len(SALES) - 1)
    build(root)
    assert_state(len(BATCHES) - 1, len(SALES) - 1)


@pytest.mark.parametrize("target", FORMATS)
def test_scd2_rerun_of_a_batch_adds_no_versions(lakehouse, project, target):
    """The same rows delivered again (a replayed file) and a reprocessing of all bronze rows change nothing."""
    spark = lakehouse.spark
    files = {k: v for k, v in FILES.items() if k.startswith(("contracts/s/cust", "models/bronze/cust"))}
    files["contracts/s/c_scd2_batch.silver.yml"] = FILES["contracts/s/c_scd2_batch.silver.yml"]
    files["models/silver/c_scd2_batch.sql"] = FILES["models/silver/c_scd2_batch.sql"]
    root = scd2_project(project, files, **target)
    rel = relation(root, target, "c_scd2_batch")
    (root / "data" / "cust").mkdir(parents=True)
    for i in range(2):
        (root / "data" / "cust" / f"{i}.csv").write_text(BATCHES[i])
        build(root)
    assert history(spark, rel) == HISTORY[1]
    (root / "data" / "cust" / "replay.csv").write_text(BATCHES[0] + BATCHES[1][len(HEAD):])
    build(root)
    assert history(spark, rel) == HISTORY[1]



def scd2_batch_project(project, tracked: list[str], strategy: str = "auto", options: str = "", **target: str):
    """bronze.cust and one scd2 model that reads only the run's batch, tracking ``tracked``, written with
    ``strategy`` (``options``: more config, e.g. ``, rewrite_fraction=0.9``)."""
    files = {k: v for k, v in FILES.items() if k.startswith(("contracts/s/cust", "models/bronze/cust"))}
    files["contracts/s/c_scd2_batch.silver.yml"] = FILES["contracts/s/c_scd2_batch.silver.yml"]
    files["models/silver/c_scd2_batch.sql"] = (
        "{{ config(materialized='scd2', delete_flag='deleted', tracked_columns=" + repr(tracked)
        + f", scd2_strategy='{strategy}'{options}) }}}}\n" + SELECT_CUST + BATCH_ONLY)
    root = scd2_project(project, files, **target)
    (root / "data" / "cust").mkdir(parents=True)
    return root


@pytest.mark.parametrize("strategy", ["merge", "rewrite"])
def test_scd2_never_rewrites_versions_that_ended_before_the_batch(lakehouse, project, strategy):
    """A batch recomputes a key's chain only from the version in effect at its earliest row: older versions stay
    exactly as recorded, even when they would compare equal under the model's current tracked columns."""
    spark = lakehouse.spark
    root = scd2_batch_project(project, ["name", "tier"], strategy)
    rel = relation(root, {}, "c_scd2_batch")
    (root / "data" / "cust" / "0.csv").write_text(
        HEAD + f"1,Ann,gold,{d(1)},false\n1,Ann,silver,{d(2)},false\n1,Ann,platinum,{d(3)},false\n")
    build(root)
    recorded = [(1, "Ann", "gold", d(1), d(2), False), (1, "Ann", "silver", d(2), d(3), False)]
    assert history(spark, rel) == [*recorded, (1, "Ann", "platinum", d(3), None, True)]

    # Tracking the name alone, the three versions would be one; a new name at day 4 closes only the current one.
    model = root / "models" / "silver" / "c_scd2_batch.sql"
    model.write_text(model.read_text().replace("['name', 'tier']", "['name']"))
    (root / "data" / "cust" / "1.csv").write_text(HEAD + f"1,Anna,platinum,{d(4)},false\n")
    build(root)
    assert history(spark, rel) == [*recorded, (1, "Ann", "platinum", d(3), d(4), False),
                                   (1, "Anna", "platinum", d(4), None, True)]

    # A late row still reaches back: it is placed by the version in effect at its own time (day 2's).
    (root / "data" / "cust" / "2.csv").write_text(HEAD + f"1,Bea,silver,{d(2, 12)},false\n")
    build(root)
    assert history(spark, rel) == [
        (1, "Ann", "gold", d(1), d(2), False), (1, "Ann", "silver", d(2), d(2, 12), False),
        (1, "Bea", "silver", d(2, 12), d(3), False), (1, "Ann", "platinum", d(3), d(4), False),
        (1, "Anna", "platinum", d(4), None, True)]


def test_scd2_reads_the_history_once_per_source_evaluation(lakehouse, project, monkeypatch):
    """The MERGE's source reads the table's history of the batch's keys once. Iceberg's copy-on-write MERGE
    evaluates the source twice (once to find the files to rewrite, once to rewrite them) and scans the target
    once in each: four scans of the table in the plan. Reading the history a second time (e.g. for the removal
    markers) would make it six."""
    from pyspark.sql import SparkSession

    plans: list[str] = []
    original = SparkSession.sql

    def explaining(self, statement, *args, **kwargs):
        if statement.lstrip().upper().startswith("MERGE"):
            plans.append(original(self, "EXPLAIN FORMATTED " + statement).first()[0])
        return original(self, statement, *args, **kwargs)

    root = scd2_batch_project(project, ["name", "tier"], "merge")
    rel = relation(root, {}, "c_scd2_batch")
    for i in range(2):
        (root / "data" / "cust" / f"{i}.csv").write_text(BATCHES[i])
        if i == 1:
            monkeypatch.setattr(SparkSession, "sql", explaining)
        build(root)
    assert history(lakehouse.spark, rel) == HISTORY[1]
    assert len(plans) == 1
    scans = set(re.findall(r"\((\d+)\) BatchScan " + re.escape(rel) + r"\b", plans[0]))
    assert len(scans) == 4, plans[0]


def model_results(root) -> dict[str, dict]:
    """The models of the project's last run record."""
    runs = sorted((root / ".sqlingest" / "runs").glob("*.json"))
    return {m["name"]: m for m in json.loads(runs[-1].read_text())["models"]}


def data_files(spark, rel: str, fmt: str) -> set[str]:
    if fmt == "iceberg":
        return {r[0] for r in spark.sql(f"SELECT file_path FROM {rel}.files WHERE content = 0").collect()}
    return {r[0] for r in spark.sql(f"SELECT DISTINCT _metadata.file_path FROM {rel}").collect()}


@pytest.mark.parametrize("target", FORMATS)
def test_scd2_auto_strategy_rewrites_only_when_the_batch_touches_most_of_the_table(lakehouse, project, target,
                                                                                   monkeypatch):
    """scd2_strategy='auto': a MERGE when the staged keys lie in files holding less than rewrite_fraction of the
    table's bytes (the other files stay as they are), one rewrite of the table from there on; always a MERGE on a
    small table (not measured) and on a table whose MERGE rewrites no files (Iceberg merge-on-read, Delta deletion
    vectors)."""
    from sqlingest.materializations import strategy

    spark, fmt = lakehouse.spark, target.get("format", "iceberg")
    root = scd2_batch_project(project, ["name", "tier"], "auto", ", rewrite_fraction=0.9", **target)
    rel = relation(root, target, "c_scd2_batch")
    name = "silver.c_scd2_batch"
    everyone = (*range(1, 21), *range(101, 126))

    def feed(i: int, rows: list[tuple[int, str, str]]) -> str:
        (root / "data" / "cust" / f"{i}.csv").write_text(
            HEAD + "".join(f"{k},{n},gold,{ts},false\n" for k, n, ts in rows))
        build(root)
        return model_results(root)[name]["write_strategy"]

    assert feed(0, [(k, f"a{k}", d(1)) for k in range(1, 21)]).startswith("insert (a new table: every version")
    assert re.match(r"merge \(the table holds 0\.\d MiB, under 64 MiB\)$",
                    feed(1, [(k, f"a{k}", d(1)) for k in range(101, 121)]))
    monkeypatch.setattr(strategy, "SMALL_TABLE_BYTES", 0)  # measure even this small table
    # new keys only: nothing is touched, the MERGE inserts another file
    assert feed(2, [(k, f"a{k}", d(1)) for k in range(121, 126)]).startswith("merge (staged keys in files holding 0%")
    first = data_files(spark, rel, fmt)
    assert len(first) >= 3
    # one key of the second batch's file(s): a share under 0.9 — a MERGE; the other files are untouched
    assert re.match(r"merge \(staged keys in files holding \d+% of the table's bytes, rewrite from 90%\)$",
                    feed(3, [(101, "b101", d(2))]))
    second = data_files(spark, rel, fmt)
    assert second & first and second - first
    # every key: all of the bytes — one rewrite of the table, no file is kept
    assert feed(4, [(k, f"c{k}", d(3)) for k in everyone]).startswith("rewrite (staged keys in files holding 100%")
    assert not data_files(spark, rel, fmt) & second
    assert [r for r in history(spark, rel) if r[0] in (1, 101)] == [
        (1, "a1", "gold", d(1), d(3), False), (1, "c1", "gold", d(3), None, True),
        (101, "a101", "gold", d(1), d(2), False), (101, "b101", "gold", d(2), d(3), False),
        (101, "c101", "gold", d(3), None, True)]
    assert len(history(spark, rel)) == 91

    mor = ("'write.merge.mode' = 'merge-on-read'" if fmt == "iceberg" else "'delta.enableDeletionVectors' = true")
    spark.sql(f"ALTER TABLE {rel} SET TBLPROPERTIES ({mor})")
    assert feed(5, [(k, f"d{k}", d(4)) for k in everyone]) == \
        "merge (the table's MERGE rewrites no files (merge-on-read))"
    assert len(history(spark, rel)) == 136


@pytest.mark.parametrize("target", FORMATS)
def test_scd2_rewrite_retries_when_another_writer_committed_after_its_base(lakehouse, project, target, monkeypatch):
    """A plain overwrite would replace whatever another writer committed meanwhile. Here another writer commits right
    after the rewrite noted its base version: the overwrite is refused (Iceberg: validated from that snapshot) or
    undone (Delta: its transaction read a newer version), and the retry, on the new version, keeps their row."""
    from sqlingest.formats import get_format

    spark = lakehouse.spark
    root = scd2_batch_project(project, ["name", "tier"], "rewrite", **target)
    rel = relation(root, target, "c_scd2_batch")
    (root / "data" / "cust" / "0.csv").write_text(BATCHES[0])
    build(root)
    fmt = type(get_format(target.get("format", "iceberg")))
    real, bases = fmt.overwrite_from, []

    def after_another_writer(self, spark_, relation_, statement, base):
        if not bases:
            spark_.sql(f"INSERT INTO {relation_} VALUES (9, 'Zed', 'gold', TIMESTAMP'{d(9)}', false, "
                       f"TIMESTAMP'{d(9)}', NULL, true)")
        bases.append(base)
        return real(self, spark_, relation_, statement, base)

    monkeypatch.setattr(fmt, "overwrite_from", after_another_writer)
    (root / "data" / "cust" / "1.csv").write_text(BATCHES[1])
    build(root)
    assert len(bases) == 2 and bases[0] != bases[1]  # refused or undone, then retried on the new version
    assert model_results(root)["silver.c_scd2_batch"]["attempts"] == 2
    assert history(spark, rel) == [*HISTORY[1], (9, "Zed", "gold", d(9), None, True)]


def test_merge_and_scd1_choose_the_same_row_among_ties(lakehouse, project):
    """Rows of one key with the same ordering value: merge, like scd1, keeps the one with the smallest hash of its
    values (templates/_latest.sql), whatever order the rows arrive in — so reruns and both materializations agree."""
    files = {k: v for k, v in FILES.items()
             if k.startswith(("contracts/s/cust", "models/bronze/cust", "contracts/s/c_merge", "models/silver/c_merge",
                              "contracts/s/c_scd1", "models/silver/c_scd1"))}
    rows = []
    for i in range(1, 21):  # two candidates per key, in alternating order
        pair = [f"{i},x{i},gold,{d(1)},false", f"{i},y{i},gold,{d(1)},false"]
        rows += pair if i % 2 else pair[::-1]
    files["data/cust/0.csv"] = HEAD + "\n".join(rows) + "\n"
    root = scd2_project(project, files)
    build(root)
    spark = lakehouse.spark
    merged, scd1 = latest(spark, relation(root, {}, "c_merge")), latest(spark, relation(root, {}, "c_scd1"))
    assert len(merged) == 20 and {r[1] for r in merged} <= {f"{c}{i}" for c in "xy" for i in range(1, 21)}
    assert merged == scd1

def test_missing_requirements_are_refused(lakehouse, project, capsys):
    files = {k: v for k, v in FILES.items() if k.startswith(("contracts/s/cust", "models/bronze/cust"))}
    files["data/cust/0.csv"] = BATCHES[0]
    files["contracts/s/c_scd2.silver.yml"] = (FILES["contracts/s/c_scd2.silver.yml"]
                                              .replace(", ordering: updated_at", ""))
    files["models/silver/c_scd2.sql"] = "{{ config(materialized='scd2') }}\n" + SELECT_CUST
    files["contracts/s/c_io.silver.yml"] = SILVER_CUST % {"name": "c_io", "id": ", checks: [not_null, unique]"}
    files["models/silver/c_io.sql"] = "{{ config(materialized='insert_overwrite') }}\n" + SELECT_CUST
    root = scd2_project(project, files)
    assert main(["build", "--project-dir", str(root)]) == 2  # refused at compile time, nothing runs
    out = capsys.readouterr().err
    assert "needs an ordering column" in out
    assert "needs partition columns" in out
    for name in ("c_scd2", "c_io"):
        table = relation(root, {}, name)
        assert not spark_has_rows(lakehouse.spark, table)


def spark_has_rows(spark, table: str) -> bool:
    return bool(spark.catalog.tableExists(table)) and spark.table(table).count() > 0


def test_scd2_needs_merge_capability(project, capsys):
    files = {k: v for k, v in FILES.items() if k.startswith(("contracts/s/cust", "models/bronze/cust",
                                                             "contracts/s/c_scd2.", "models/silver/c_scd2."))}
    root = scd2_project(project, files, format="parquet", catalog="spark_session")
    assert main(["compile", "--project-dir", str(root)]) == 2
    captured = capsys.readouterr()
    assert "materialized='scd2' needs merge" in captured.out + captured.err
