"""The hand-written PySpark pipeline the benchmark compares ``sqlingest`` against.

It does the demo project's work as directly as a careful engineer would, with no framework:

- bronze: read CSV / JSON lines with an explicit all-string schema (plus ``_corrupt_record``), ``try_cast`` each
  column to its type, put the raw text of values that did not cast (and malformed lines) into ``_rescued_data`` as
  JSON, add the audit columns (``_source_file``, ``_ingested_at``, ``_run_id``, ``_batch_id``, ``_record_hash``),
  append to an Iceberg table created with explicit DDL;
- silver: ``MERGE INTO`` on the business key, the source deduplicated by the ordering column;
- gold: the three aggregates, ``INSERT OVERWRITE``.

Tables go to ``<catalog>.<prefix>_bronze|silver|gold``. The result must equal sqlingest's (``bench/run.py`` checks).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

CORRUPT = "_corrupt_record"

# (column, type) as in the demo's source/bronze contracts
CUSTOMERS = [("customer_id", "bigint"), ("name", "string"), ("email", "string"), ("country", "string"),
             ("signup_date", "date"), ("updated_at", "timestamp")]
PRODUCTS = [("product_id", "bigint"), ("name", "string"), ("category", "string"), ("price", "decimal(10,2)"),
            ("active", "boolean")]
ORDERS = [("order_id", "bigint"), ("customer_id", "bigint"), ("order_ts", "timestamp"), ("status", "string"),
          ("updated_at", "timestamp")]
ORDER_LINES = [("order_id", "bigint"), ("line_no", "int"), ("product_id", "bigint"), ("quantity", "int"),
               ("unit_price", "decimal(10,2)")]
AUDIT_DDL = ("_rescued_data STRING, _source_file STRING, _ingested_at TIMESTAMP, _run_id STRING, "
             "_batch_id STRING, _record_hash STRING")

SILVER_DDL = {
    "customers": "customer_id BIGINT NOT NULL, name STRING, email STRING, country STRING, "
                 "signup_date DATE COMMENT 'Date the customer signed up; NULL when the source value was invalid', "
                 "updated_at TIMESTAMP NOT NULL",
    "products": "product_id BIGINT NOT NULL, name STRING, category STRING, price DECIMAL(10,2), active BOOLEAN",
    "orders": "order_id BIGINT NOT NULL, customer_id BIGINT, order_ts TIMESTAMP NOT NULL, order_date DATE NOT NULL, "
              "status STRING, updated_at TIMESTAMP NOT NULL",
    "order_lines": "order_id BIGINT NOT NULL, line_no INT NOT NULL, product_id BIGINT NOT NULL, "
                   "quantity INT NOT NULL, unit_price DECIMAL(10,2) NOT NULL, amount DECIMAL(21,2) NOT NULL",
}
GOLD_DDL = {
    "daily_revenue": "order_date DATE NOT NULL, orders BIGINT NOT NULL, items BIGINT NOT NULL, "
                     "revenue DECIMAL(31,2) NOT NULL, currency STRING NOT NULL",
    "product_sales": "product_id BIGINT NOT NULL, product_name STRING, category STRING, units BIGINT NOT NULL, "
                     "revenue DECIMAL(31,2) NOT NULL",
    "customer_value": "customer_id BIGINT NOT NULL, name STRING, country STRING, orders BIGINT NOT NULL, "
                      "lifetime_value DECIMAL(31,2) NOT NULL, first_order_ts TIMESTAMP, last_order_ts TIMESTAMP",
}

Step = Callable[[str], contextlib.AbstractContextManager]


@contextlib.contextmanager
def _no_step(name: str) -> Iterator[None]:
    yield


# -- bronze --------------------------------------------------------------------------------------------------------
def _string_schema(columns: list[tuple[str, str]]):
    from pyspark.sql.types import StringType, StructField, StructType

    return StructType([StructField(c, StringType()) for c, _ in columns] + [StructField(CORRUPT, StringType())])


def _typed_with_audit(raw: DataFrame, columns: list[tuple[str, str]], run_id: str) -> DataFrame:
    """try_cast every column, rescue what did not cast (and malformed records) as JSON, add the audit columns."""
    from pyspark.sql import functions as F

    typed = [F.col(c) if t == "string" else F.expr(f"try_cast(`{c}` AS {t})") for c, t in columns]
    bad = [F.when(F.col(c).isNotNull() & typed[i].isNull(), F.col(c)).alias(c)
           for i, (c, t) in enumerate(columns) if t != "string"]
    rescued = F.nullif(F.to_json(F.struct(*bad, F.col(CORRUPT))), F.lit("{}"))
    df = raw.select(*[e.alias(c) for e, (c, _) in zip(typed, columns)], rescued.alias("_rescued_data"),
                    F.col("_metadata.file_path").alias("_source_file"))
    record_hash = F.md5(F.concat_ws("\u001f", *[F.coalesce(F.col(c).cast("string"), F.lit("\u0000"))
                                               for c, _ in columns]))
    return df.select("*", F.current_timestamp().alias("_ingested_at"), F.lit(run_id).alias("_run_id"),
                     F.lit(run_id).alias("_batch_id"), record_hash.alias("_record_hash"))


def _append_bronze(spark: SparkSession, df: DataFrame, table: str, columns: list[tuple[str, str]]) -> None:
    ddl = ", ".join(f"{c} {t.upper()}" for c, t in columns)
    spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({ddl}, {AUDIT_DDL}) USING iceberg")
    df.writeTo(table).append()


def bronze(spark: SparkSession, data: Path, ns: str, run_id: str, step: Step) -> None:
    csv = {"header": "true", "mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT, "enforceSchema": "true"}
    for name, columns, pattern in (("customers", CUSTOMERS, "customers/*.csv"),
                                   ("products", PRODUCTS, "products/*.csv"),
                                   ("order_lines", ORDER_LINES, "order_lines/*.csv")):
        with step(f"bronze.{name}"):
            raw = spark.read.schema(_string_schema(columns)).options(**csv).csv(str(data / pattern))
            _append_bronze(spark, _typed_with_audit(raw, columns, run_id), f"{ns}.{name}", columns)
    with step("bronze.orders"):
        raw = (spark.read.schema(_string_schema(ORDERS))
               .options(mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT)
               .json(str(data / "orders/*.jsonl")))
        _append_bronze(spark, _typed_with_audit(raw, ORDERS, run_id), f"{ns}.orders", ORDERS)


# -- silver --------------------------------------------------------------------------------------------------------
def _merge(spark: SparkSession, table: str, ddl: str, source: DataFrame, keys: list[str], ordering: str | None
           ) -> None:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({ddl}) USING iceberg")
    order = F.col(ordering).desc_nulls_last() if ordering else F.lit(1)
    latest = (source.withColumn("__rn", F.row_number().over(Window.partitionBy(*keys).orderBy(order)))
              .where("__rn = 1").drop("__rn"))
    view = "__baseline_" + table.replace(".", "_")
    latest.createOrReplaceTempView(view)
    on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    try:
        spark.sql(f"MERGE INTO {table} t USING {view} s ON {on} "
                  "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    finally:
        spark.catalog.dropTempView(view)


def silver(spark: SparkSession, bronze_ns: str, ns: str, step: Step) -> None:
    from pyspark.sql import functions as F

    def clean(c: str):
        return F.nullif(F.trim(F.col(c)), F.lit(""))

    with step("silver.customers"):
        src = (spark.table(f"{bronze_ns}.customers").where("customer_id IS NOT NULL AND updated_at IS NOT NULL")
               .select("customer_id", clean("name").alias("name"), F.lower(clean("email")).alias("email"),
                       F.upper("country").alias("country"), "signup_date", "updated_at"))
        _merge(spark, f"{ns}.customers", SILVER_DDL["customers"], src, ["customer_id"], "updated_at")
    with step("silver.orders"):
        src = (spark.table(f"{bronze_ns}.orders")
               .where("order_id IS NOT NULL AND order_ts IS NOT NULL AND updated_at IS NOT NULL")
               .select("order_id", "customer_id", "order_ts", F.col("order_ts").cast("date").alias("order_date"),
                       F.lower("status").alias("status"), "updated_at"))
        _merge(spark, f"{ns}.orders", SILVER_DDL["orders"], src, ["order_id"], "updated_at")
    with step("silver.order_lines"):
        src = (spark.table(f"{bronze_ns}.order_lines")
               .where("order_id IS NOT NULL AND line_no IS NOT NULL AND product_id IS NOT NULL "
                      "AND quantity IS NOT NULL AND unit_price IS NOT NULL")
               .select("order_id", "line_no", "product_id", "quantity", "unit_price",
                       (F.col("quantity") * F.col("unit_price")).cast("decimal(21,2)").alias("amount")))
        _merge(spark, f"{ns}.order_lines", SILVER_DDL["order_lines"], src, ["order_id", "line_no"], None)
    with step("silver.products"):
        src = (spark.table(f"{bronze_ns}.products").where("product_id IS NOT NULL")
               .select("product_id", clean("name").alias("name"), F.lower("category").alias("category"),
                       "price", "active"))
        _merge(spark, f"{ns}.products", SILVER_DDL["products"], src, ["product_id"], None)


# -- gold ----------------------------------------------------------------------------------------------------------
def _overwrite(spark: SparkSession, table: str, ddl: str, df: DataFrame) -> None:
    spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({ddl}) USING iceberg")
    df.write.insertInto(table, overwrite=True)


def gold(spark: SparkSession, silver_ns: str, ns: str, currency: str, step: Step) -> None:
    from pyspark.sql import functions as F

    orders = spark.table(f"{silver_ns}.orders")
    lines = spark.table(f"{silver_ns}.order_lines")
    with step("gold.daily_revenue"):
        df = (orders.join(lines, "order_id").groupBy("order_date")
              .agg(F.countDistinct("order_id").alias("orders"),
                   F.sum("quantity").cast("bigint").alias("items"),
                   F.sum("amount").cast("decimal(31,2)").alias("revenue"))
              .withColumn("currency", F.lit(currency)))
        _overwrite(spark, f"{ns}.daily_revenue", GOLD_DDL["daily_revenue"], df)
    with step("gold.product_sales"):
        p = spark.table(f"{silver_ns}.products").alias("p")
        df = (p.join(lines.alias("l"), F.col("l.product_id") == F.col("p.product_id"), "left")
              .groupBy("p.product_id", "p.name", "p.category")
              .agg(F.coalesce(F.sum("l.quantity"), F.lit(0)).cast("bigint").alias("units"),
                   F.coalesce(F.sum("l.amount"), F.lit(0)).cast("decimal(31,2)").alias("revenue"))
              .select(F.col("product_id"), F.col("name").alias("product_name"), "category", "units", "revenue"))
        _overwrite(spark, f"{ns}.product_sales", GOLD_DDL["product_sales"], df)
    with step("gold.customer_value"):
        totals = (orders.join(lines, "order_id").groupBy("order_id", "customer_id", "order_ts")
                  .agg(F.sum("amount").alias("total")))
        c = spark.table(f"{silver_ns}.customers").alias("c")
        df = (c.join(totals.alias("t"), F.col("t.customer_id") == F.col("c.customer_id"), "left")
              .groupBy("c.customer_id", "c.name", "c.country")
              .agg(F.count("t.order_id").alias("orders"),
                   F.coalesce(F.sum("t.total"), F.lit(0)).cast("decimal(31,2)").alias("lifetime_value"),
                   F.min("t.order_ts").alias("first_order_ts"), F.max("t.order_ts").alias("last_order_ts"))
              .select(F.col("customer_id"), "name", "country", "orders", "lifetime_value", "first_order_ts",
                      "last_order_ts"))
        _overwrite(spark, f"{ns}.customer_value", GOLD_DDL["customer_value"], df)


def run(spark: SparkSession, data: Path, *, catalog: str = "lake", prefix: str = "bench_baseline",
        currency: str = "EUR", step: Step = _no_step) -> None:
    """The whole pipeline: bronze, silver, gold."""
    ns = {layer: f"{catalog}.{prefix}_{layer}" for layer in ("bronze", "silver", "gold")}
    for name in ns.values():
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {name}")
    bronze(spark, data, ns["bronze"], uuid.uuid4().hex[:12], step)
    silver(spark, ns["bronze"], ns["silver"], step)
    gold(spark, ns["silver"], ns["gold"], currency, step)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generate import default_dir
    from run import make_session

    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
    run(make_session(), default_dir(lines))
