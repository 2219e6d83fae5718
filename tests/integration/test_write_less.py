"""Writes that do no more than the batch needs: ``insert_overwrite`` on Parquet replaces only the partitions the
batch touches (a plain ``INSERT OVERWRITE`` made dynamic by the table's options), and a ``merge``/``scd1`` batch
that changes nothing commits nothing (the Iceberg snapshot count and the Delta version stay as they are), while a
batch that changes some keys MERGEs only those rows, with the key range of the changed rows bounding the table's
side of the join."""

from __future__ import annotations

import pytest

from sqlingest.project import load_project
from tests.integration.test_materializations_scd import (
    BATCHES,
    FILES,
    LATEST,
    PARTITIONS,
    SALES,
    build,
    latest,
    model_results,
    partitions,
    relation,
)

pytestmark = pytest.mark.slow


def parquet_files(spark, rel: str) -> set[str]:
    return {r[0] for r in spark.sql(f"SELECT DISTINCT input_file_name() FROM {rel}").collect()}


#: a `table` model on a Parquet table partitioned by its first column: Spark keeps partition columns last, so the
#: write (by position) must follow the table's order, not the contract's
DAILY = {
    "contracts/s/daily.gold.yml": ("name: s.daily\nlayer: gold\npartitioned_by: [day]\ncolumns:\n"
                                   "  - {name: day, type: date}\n  - {name: store, type: string}\n"
                                   "  - {name: total, type: bigint}\n"),
    "models/gold/daily.sql": ("SELECT day, store, CAST(SUM(amount) AS BIGINT) AS total FROM {{ ref('silver.sales') }} "
                              "GROUP BY day, store\n"),
}


def test_insert_overwrite_on_parquet_replaces_only_the_partitions_of_the_batch(lakehouse, project):
    spark = lakehouse.spark
    files = {**{k: v for k, v in FILES.items() if "sales" in k}, **DAILY}
    target = {"format": "parquet", "catalog": "spark_session"}
    root = project(files, **target)
    rel = relation(root, target, "sales")
    (root / "data" / "sales").mkdir(parents=True)
    (root / "data" / "sales" / "0.csv").write_text(SALES[0])
    build(root)
    assert partitions(spark, rel) == PARTITIONS[0]
    ddl = spark.sql(f"SHOW CREATE TABLE {rel}").first()[0]
    assert "'partitionOverwriteMode' = 'dynamic'" in ddl and "PARTITIONED BY (day)" in ddl
    untouched = {f for f in parquet_files(spark, rel) if "day=2024-01-01" in f}
    assert untouched

    (root / "data" / "sales" / "1.csv").write_text(SALES[1])  # restates 2024-01-02, adds 2024-01-03
    build(root)
    assert partitions(spark, rel) == PARTITIONS[1]
    after = parquet_files(spark, rel)
    assert {f for f in after if "day=2024-01-01" in f} == untouched, "a partition outside the batch was rewritten"

    build(root)  # no new file: the batch is empty and replaces no partition
    assert partitions(spark, rel) == PARTITIONS[1]
    assert parquet_files(spark, rel) == after
    daily = f"spark_catalog.{load_project(root).config.layer('gold').namespace}.daily"
    assert sorted(tuple(r) for r in spark.sql(f"SELECT CAST(day AS STRING), store, total FROM {daily}").collect()) \
        == [(d, st, a) for d, st, a in PARTITIONS[1]]


FORMATS = [
    pytest.param({}, id="iceberg"),
    pytest.param({"format": "delta", "catalog": "spark_session"}, id="delta"),
]


def commits(spark, rel: str, fmt: str) -> int:
    if fmt == "iceberg":
        return int(spark.sql(f"SELECT count(*) FROM {rel}.snapshots").first()[0])
    return int(spark.sql(f"DESCRIBE HISTORY {rel} LIMIT 1").first()["version"])


@pytest.mark.parametrize("target", FORMATS)
def test_merge_and_scd1_batches_that_change_nothing_commit_nothing(lakehouse, project, target):
    spark, fmt = lakehouse.spark, target.get("format", "iceberg")
    files = {k: v for k, v in FILES.items()
             if k.startswith(("contracts/s/cust", "models/bronze/cust", "contracts/s/c_merge", "models/silver/c_merge",
                              "contracts/s/c_scd1", "models/silver/c_scd1"))}
    root = project(files, **target)
    rel = {t: relation(root, target, t) for t in ("c_merge", "c_scd1")}
    (root / "data" / "cust").mkdir(parents=True)
    (root / "data" / "cust" / "0.csv").write_text(BATCHES[0])
    build(root)
    assert latest(spark, rel["c_merge"]) == latest(spark, rel["c_scd1"]) == LATEST[0]
    before = {t: commits(spark, r, fmt) for t, r in rel.items()}

    # c_merge reprocesses every bronze row (all unchanged), c_scd1 reads only the run's (empty) batch
    build(root)
    models = model_results(root)
    assert {t: commits(spark, r, fmt) for t, r in rel.items()} == before
    assert models["silver.c_merge"]["write_strategy"] == "nothing to write (no staged row changes the table)"
    assert latest(spark, rel["c_merge"]) == LATEST[0]

    # an update (1), a delete (3), an insert (4), a row older than the table's (2): three rows change c_merge's
    # table (merge ignores the ordering against the table: the older row of 2 equals nothing held, so it applies)
    (root / "data" / "cust" / "1.csv").write_text(BATCHES[1])
    build(root)
    models = model_results(root)
    assert latest(spark, rel["c_scd1"]) == latest(spark, rel["c_merge"]) == LATEST[1]
    assert models["silver.c_scd1"]["write_strategy"] == "merge (3 changed row(s) in t.`id` BETWEEN 1 AND 4)"
    assert models["silver.c_merge"]["write_strategy"].startswith("merge (")
    assert {t: commits(spark, r, fmt) for t, r in rel.items()} == {t: n + 1 for t, n in before.items()}
