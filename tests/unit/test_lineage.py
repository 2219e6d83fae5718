"""Column-level lineage from the compiler (sqlingest/lineage.py), hand-derived, without a JVM."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlingest.lineage import ColumnRef, column_lineage, quarantine_lineage, table_lineage
from sqlingest.plan import plan_project
from sqlingest.project import load_project

REPO = Path(__file__).resolve().parents[2]


def refs(*names: str) -> frozenset[ColumnRef]:
    """``"silver.orders.order_id"`` → ColumnRef("silver.orders", "order_id") (the last dot splits)."""
    return frozenset(ColumnRef(*n.rsplit(".", 1)) for n in names)


@pytest.fixture(scope="module")
def demo():
    plan = plan_project(load_project(REPO))
    return plan, column_lineage(plan)


def test_demo_bronze_audit_columns(demo):
    _, lineage = demo
    src = "source:retail.orders"
    assert lineage["bronze.orders"] == {
        "order_id": refs(f"{src}.order_id"), "customer_id": refs(f"{src}.customer_id"),
        "order_ts": refs(f"{src}.order_ts"), "status": refs(f"{src}.status"),
        "updated_at": refs(f"{src}.updated_at"),
        "_rescued_data": refs(f"{src}._rescued_data"), "_source_file": refs(f"{src}._source_file"),
        "_ingested_at": frozenset(), "_run_id": frozenset(), "_batch_id": frozenset(),
        "_record_hash": refs(*(f"{src}.{c}" for c in ("order_id", "customer_id", "order_ts", "status",
                                                      "updated_at"))),
    }


def test_demo_merge_and_scd2(demo):
    _, lineage = demo
    assert lineage["silver.order_lines"]["amount"] == refs("bronze.order_lines.quantity",
                                                           "bronze.order_lines.unit_price")
    assert lineage["silver.orders"]["order_date"] == refs("bronze.orders.order_ts")
    customers = lineage["silver.customers"]
    assert list(customers) == ["customer_id", "name", "email", "country", "signup_date", "updated_at",
                               "valid_from", "valid_to", "is_current"]
    assert customers["email"] == refs("bronze.customers.email")
    # the SCD2 validity columns come from the ordering column (updated_at)
    for col in ("valid_from", "valid_to", "is_current"):
        assert customers[col] == refs("bronze.customers.updated_at")


def test_demo_gold_through_cte_join_and_aggregates(demo):
    plan, lineage = demo
    assert lineage["gold.customer_value"] == {
        "customer_id": refs("silver.customers.customer_id"),
        "name": refs("silver.customers.name"),
        "country": refs("silver.customers.country"),
        "orders": refs("silver.orders.order_id"),
        "lifetime_value": refs("silver.order_lines.amount"),
        "first_order_ts": refs("silver.orders.order_ts"),
        "last_order_ts": refs("silver.orders.order_ts"),
    }
    assert lineage["gold.daily_revenue"]["currency"] == frozenset()  # a constant
    assert lineage["gold.daily_revenue"]["revenue"] == refs("silver.order_lines.amount")
    tables = table_lineage(plan)
    assert tables["gold.customer_value"] == {"silver.customers", "silver.orders", "silver.order_lines"}
    assert tables["bronze.orders"] == {"source:retail.orders"}


def test_demo_quarantine_table(demo):
    plan, lineage = demo
    q = quarantine_lineage(plan, lineage)
    assert list(q) == ["silver.order_lines__quarantine"]  # the one contract with a quarantine check
    table = q["silver.order_lines__quarantine"]
    assert table["_failed_checks"] == refs("bronze.order_lines.quantity")
    assert table["_row"] == refs(*(f"bronze.order_lines.{c}" for c in
                                   ("order_id", "line_no", "product_id", "quantity", "unit_price")))
    assert table["_run_id"] == table["_quarantined_at"] == frozenset()


TRICKY = {
    "sqlingest.yml": "name: t\nlayers:\n  gold: {require_contract: false}\n  silver: {require_contract: false}\n",
    "contracts/shop/events.source.yml": """
        name: shop.events
        layer: source
        source: {format: json, path: data/*.json}
        columns:
          - {name: id, type: bigint}
          - {name: user_id, type: bigint}
          - {name: tags, type: "array<string>"}
          - {name: geo, type: "struct<city:string,zip:string>"}
          - {name: amount, type: "decimal(10,2)"}
          - {name: ts, type: timestamp}
    """,
    "contracts/shop/users.source.yml": """
        name: shop.users
        layer: source
        source: {format: json, path: data/*.json}
        columns:
          - {name: user_id, type: bigint}
          - {name: country, type: string}
    """,
    "models/bronze/events.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('shop', 'events') }}\n",
    "models/bronze/users.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('shop', 'users') }}\n",
    # SELECT * over a join, a struct field, a window
    "models/silver/enriched.sql": """
        {{ config(materialized='table') }}
        SELECT e.id, e.tags, e.geo.city AS city, u.*,
               row_number() OVER (PARTITION BY e.user_id ORDER BY e.ts) AS seq,
               SUM(e.amount) OVER (PARTITION BY u.country) AS country_amount
        FROM {{ ref('bronze.events') }} AS e
        JOIN {{ ref('bronze.users') }} AS u ON u.user_id = e.user_id
        WHERE e.amount > 0
    """,
    # explode in the select list and in a LATERAL VIEW, through a CTE and a derived table
    "models/gold/tags.sql": """
        WITH t AS (SELECT id, explode(tags) AS tag, city FROM {{ ref('silver.enriched') }})
        SELECT x.tag, x.n, x.cities FROM (
          SELECT tag, COUNT(DISTINCT id) AS n, COLLECT_SET(city) AS cities FROM t GROUP BY tag) AS x
    """,
    "models/gold/lateral.sql": """
        SELECT id, upper(tag) AS tag FROM {{ ref('silver.enriched') }} LATERAL VIEW explode(tags) v AS tag
    """,
    # UNION, a scalar subquery, a CASE, a constant
    "models/gold/mixed.sql": """
        SELECT user_id AS k, CASE WHEN country = 'FR' THEN 1 ELSE 0 END AS flag,
               (SELECT MAX(seq) FROM {{ ref('silver.enriched') }} s WHERE s.user_id = u.user_id) AS max_seq,
               'x' AS tag
        FROM {{ ref('bronze.users') }} AS u
        UNION ALL
        SELECT id, seq, seq, city FROM {{ ref('silver.enriched') }}
    """,
}


@pytest.fixture(scope="module")
def tricky(tmp_path_factory):
    from tests.conftest import write_files

    root = write_files(tmp_path_factory.mktemp("lineage"), TRICKY)
    plan = plan_project(load_project(root))
    return plan, column_lineage(plan)


def test_select_star_join_struct_and_window(tricky):
    _, lineage = tricky
    enriched = lineage["silver.enriched"]
    # u.* expands to the bronze table's columns, audit columns included
    assert list(enriched) == ["id", "tags", "city", "user_id", "country", "_rescued_data", "_source_file",
                              "_ingested_at", "_run_id", "_batch_id", "_record_hash", "seq", "country_amount"]
    assert enriched["_record_hash"] == refs("bronze.users._record_hash")
    assert enriched["city"] == refs("bronze.events.geo")  # a struct field is its top-level column
    assert enriched["user_id"] == refs("bronze.users.user_id")  # from u.*
    assert enriched["country"] == refs("bronze.users.country")
    assert enriched["seq"] == refs("bronze.events.user_id", "bronze.events.ts")  # the window's keys
    assert enriched["country_amount"] == refs("bronze.events.amount", "bronze.users.country")
    # the filter (amount > 0) and the join keys are not what a column is computed from
    assert enriched["id"] == refs("bronze.events.id")


def test_explode_cte_derived_table_and_lateral_view(tricky):
    plan, lineage = tricky
    assert lineage["gold.tags"] == {"tag": refs("silver.enriched.tags"), "n": refs("silver.enriched.id"),
                                    "cities": refs("silver.enriched.city")}
    assert lineage["gold.lateral"] == {"id": refs("silver.enriched.id"), "tag": refs("silver.enriched.tags")}
    assert table_lineage(plan)["gold.tags"] == {"silver.enriched"}


def test_union_scalar_subquery_case_and_constant(tricky):
    _, lineage = tricky
    assert lineage["gold.mixed"] == {
        "k": refs("bronze.users.user_id", "silver.enriched.id"),
        "flag": refs("bronze.users.country", "silver.enriched.seq"),
        "max_seq": refs("silver.enriched.seq"),
        "tag": refs("silver.enriched.city"),
    }
