"""Deterministic generated data for the benchmark, in the demo project's raw shapes.

Everything is built with ``spark.range`` and hash functions (no Python loops over rows), so the same
``--order-lines`` always gives the same file contents. Sizes scale with the number of order lines; the default
(5,000,000 lines) gives:

- ``customers/*.csv``     200,000 customers + ~5% later updates (second file), ~0.1% bad ``signup_date``
- ``products/*.csv``      2,000 products, ~0.1% bad ``price``
- ``orders/*.jsonl``      1,363,636 orders + ~10% later status updates of the same order (~1.5M lines),
                          ~0.1% bad ``order_ts`` and ~0.05% bad ``updated_at``, a few malformed lines
- ``order_lines/*.csv``   exactly N lines (3-4 per order), ~0.1% non-numeric ``quantity``, ~0.02% bad ``unit_price``

The bad values are chosen so the demo's checks still pass (they are rescued in bronze and filtered out in silver).

    python bench/generate.py [--order-lines 5000000] [--out bench/data/5M] [--force]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

BENCH = Path(__file__).resolve().parent
MARKER = "_GENERATED.json"
DEFAULT_ORDER_LINES = 5_000_000
EPOCH_2024 = 1_704_067_200  # 2024-01-01T00:00:00Z
CATEGORIES = ["hardware", "accessories", "audio", "video"]
COUNTRIES = ["GB", "US", "NL", "CH", "DE", "FR"]


def scale_name(order_lines: int) -> str:
    if order_lines % 1_000_000 == 0:
        return f"{order_lines // 1_000_000}M"
    if order_lines % 1_000 == 0:
        return f"{order_lines // 1_000}k"
    return str(order_lines)


def default_dir(order_lines: int) -> Path:
    return BENCH / "data" / scale_name(order_lines)


def sizes(order_lines: int) -> dict[str, int]:
    orders = max(1, order_lines * 3 // 11)  # 3.67 lines per order on average
    return {
        "order_lines": order_lines,
        "orders": orders,
        "customers": max(1_000, order_lines // 25),
        "products": 2_000,
    }


def is_generated(out: Path) -> bool:
    return (out / MARKER).is_file()


def _h(col: str, seed: int, mod: int) -> str:
    """A deterministic pseudo-random integer in [0, mod) from a column and a seed (SQL expression)."""
    return f"pmod(xxhash64({col}, {seed}), {mod})"


def _write(df: DataFrame, out: Path, dataset: str, stem: str, ext: str, kind: str) -> list[str]:
    """Write ``df`` (one file per partition) and rename the part files to ``<stem>_<n>.<ext>``."""
    tmp = out / f"_tmp_{dataset}_{stem}"
    shutil.rmtree(tmp, ignore_errors=True)
    if kind == "csv":
        (df.write.mode("overwrite")
         .options(header="true", ignoreLeadingWhiteSpace="false", ignoreTrailingWhiteSpace="false",
                  emptyValue="", nullValue="")
         .csv(str(tmp)))
    else:
        df.write.mode("overwrite").text(str(tmp))
    target = out / dataset
    target.mkdir(parents=True, exist_ok=True)
    parts = sorted(p for p in tmp.iterdir() if p.name.startswith("part-") and not p.name.endswith(".crc"))
    names = []
    for i, part in enumerate(parts):
        name = f"{stem}_{i}.{ext}" if len(parts) > 1 else f"{stem}.{ext}"
        part.rename(target / name)
        names.append(name)
    shutil.rmtree(tmp)
    return names


def generate(spark: SparkSession, order_lines: int = DEFAULT_ORDER_LINES, out: Path | None = None,
             *, force: bool = False) -> Path:
    out = (out or default_dir(order_lines)).resolve()
    if is_generated(out) and not force:
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    n = sizes(order_lines)
    started = time.perf_counter()
    files: dict[str, list[str]] = {}

    # -- customers: an initial export and a later one with ~5% changed e-mails -----------------------------------
    nc = n["customers"]
    countries = "array(" + ", ".join(f"'{c}'" for c in COUNTRIES) + ")"
    base = spark.range(1, nc + 1, numPartitions=1).selectExpr(
        "id AS customer_id",
        f"CASE WHEN {_h('id', 1, 50)} = 0 THEN concat('  Customer ', id, ' ') ELSE concat('Customer ', id) END "
        "AS name",
        f"CASE WHEN {_h('id', 2, 20)} = 0 THEN concat('User', id, '@Example.COM') "
        "ELSE concat('user', id, '@example.com') END AS email",
        f"CASE WHEN {_h('id', 3, 30)} = 0 THEN lower(element_at({countries}, CAST({_h('id', 4, 6)} + 1 AS INT))) "
        f"ELSE element_at({countries}, CAST({_h('id', 4, 6)} + 1 AS INT)) END AS country",
        f"CASE WHEN {_h('id', 5, 1000)} = 0 THEN '2023-02-30' "
        f"ELSE CAST(date_add(DATE'2021-01-01', CAST({_h('id', 6, 1000)} AS INT)) AS STRING) END AS signup_date",
        "'2024-01-01T08:00:00' AS updated_at",
    )
    files["customers"] = _write(base, out, "customers", "customers_2024-01-01", "csv", "csv")
    updates = base.where(f"{_h('customer_id', 7, 20)} = 0").selectExpr(
        "customer_id", "trim(name) AS name", "concat('customer', customer_id, '@mail.example.org') AS email",
        "country", "signup_date", "'2024-06-01T09:30:00' AS updated_at")
    files["customers"] += _write(updates, out, "customers", "customers_2024-06-01", "csv", "csv")

    # -- products -----------------------------------------------------------------------------------------------
    cats = "array(" + ", ".join(f"'{c}'" for c in CATEGORIES) + ")"
    products = spark.range(100, 100 + n["products"], numPartitions=1).selectExpr(
        "id AS product_id",
        f"CASE WHEN {_h('id', 11, 10)} = 0 THEN concat(' Product ', id, '  ') ELSE concat('Product ', id) END AS name",
        f"CASE WHEN {_h('id', 12, 8)} = 0 THEN upper(element_at({cats}, CAST({_h('id', 13, 4)} + 1 AS INT))) "
        f"ELSE element_at({cats}, CAST({_h('id', 13, 4)} + 1 AS INT)) END AS category",
        f"CASE WHEN {_h('id', 14, 1000)} = 0 THEN 'free' "
        f"ELSE CAST(CAST(({_h('id', 15, 50000)} + 99) / 100 AS DECIMAL(10, 2)) AS STRING) END AS price",
        f"CASE WHEN {_h('id', 16, 10)} = 0 THEN 'false' ELSE 'true' END AS active",
    )
    files["products"] = _write(products, out, "products", "products", "csv", "csv")

    # -- orders: JSON lines; ~10% of orders appear again later with a new status --------------------------------
    no = n["orders"]
    span = 365 * 86_400
    order_parts = max(1, no // 500_000)
    orders = spark.range(0, no, numPartitions=order_parts).selectExpr(
        "1000000 + id AS order_id",
        f"1 + {_h('id', 21, nc)} AS customer_id",
        f"{EPOCH_2024} + (id * {span}) DIV {no} + {_h('id', 22, 3600)} AS ts",
        "id",
    )

    def ts(expr: str) -> str:
        return f"date_format(timestamp_seconds({expr}), \"yyyy-MM-dd'T'HH:mm:ss\")"

    def json_line(order_ts: str, status: str, updated_at: str) -> str:
        return ("concat('{\"order_id\": ', order_id, ', \"customer_id\": ', customer_id, "
                f"', \"order_ts\": \"', {order_ts}, '\", \"status\": \"', {status}, "
                f"'\", \"updated_at\": \"', {updated_at}, '\"}}')")

    placed = orders.selectExpr(
        f"CASE WHEN {_h('id', 23, 100000)} < 3 THEN concat('{{\"order_id\": ', order_id, ', \"customer_id\": ') "
        "ELSE " + json_line(
            f"CASE WHEN {_h('id', 24, 1000)} = 0 THEN '2024-13-45T99:00:00' ELSE {ts('ts')} END",
            "'placed'", ts("ts")) + " END AS value")
    files["orders"] = _write(placed, out, "orders", "orders_placed", "jsonl", "text")
    statuses = "array('shipped', 'delivered', 'cancelled', 'Shipped', 'DELIVERED')"
    later = orders.where(f"{_h('id', 25, 10)} = 0").selectExpr(
        "CAST(" + json_line(
            ts("ts"),
            f"element_at({statuses}, CAST({_h('id', 26, 5)} + 1 AS INT))",
            f"CASE WHEN {_h('id', 27, 2000)} = 0 THEN 'not a timestamp' "
            f"ELSE {ts('ts + 3600 + ' + _h('id', 28, 259200))} END") + " AS STRING) AS value"
    ).coalesce(1)
    files["orders"] += _write(later, out, "orders", "orders_updates", "jsonl", "text")

    # -- order lines: exactly N lines, order o gets lines ceil(o*N/no) .. ceil((o+1)*N/no)-1 ---------------------
    nl = n["order_lines"]
    line_parts = max(1, nl // 1_000_000)
    lines = spark.range(0, nl, numPartitions=line_parts).selectExpr(
        f"(id * {no}) DIV {nl} AS o", "id",
    ).selectExpr(
        "CAST(1000000 + o AS STRING) AS order_id",
        f"CAST(id - (o * {nl} + {no} - 1) DIV {no} + 1 AS STRING) AS line_no",
        f"100 + {_h('id', 31, n['products'])} AS pid",
        "id",
    ).selectExpr(
        "order_id", "line_no", "CAST(pid AS STRING) AS product_id",
        f"CASE WHEN {_h('id', 32, 1000)} = 0 THEN 'two' ELSE CAST(1 + {_h('id', 33, 5)} AS STRING) END AS quantity",
        f"CASE WHEN {_h('id', 34, 5000)} = 0 THEN 'n/a' "
        f"ELSE CAST(CAST(({_h('pid', 15, 50000)} + 99) / 100 AS DECIMAL(10, 2)) AS STRING) END AS unit_price",
    )
    files["order_lines"] = _write(lines, out, "order_lines", "order_lines", "csv", "csv")

    facts = {"order_lines": nl, "sizes": n, "files": files, "seconds": round(time.perf_counter() - started, 1),
             "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (out / MARKER).write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--order-lines", type=int, default=DEFAULT_ORDER_LINES)
    parser.add_argument("--out", type=Path, default=None, help="default: bench/data/<scale>")
    parser.add_argument("--force", action="store_true", help="regenerate even when the data is there")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(BENCH))
    from run import make_session

    spark = make_session()
    out = generate(spark, args.order_lines, args.out, force=args.force)
    print(f"data in {out}: {(out / MARKER).read_text()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
