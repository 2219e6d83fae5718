"""Domains (docs/domains.md): inherited defaults that contracts may tighten but never loosen, access between
domains, ``--select domain:<name>``, namespaces and secret scoping — all at compile time, without a JVM."""

from __future__ import annotations

import pytest

from sqlingest.errors import CompileErrors, UserError
from sqlingest.plan import plan_project
from sqlingest.project import load_project

CONFIG = """\
name: t
layers:
  gold: {require_contract: false}
domains:
  marketing:
    owners: [marketing-data@example.com]
    consumers: [product]
"""

SALES = """\
owners: [sales-data@example.com]
datasets: ["shop.*"]
namespaces: {bronze: sales_bronze, silver: sales_silver}
secrets: [sales_api_key]
defaults:
  format: iceberg
  evolution: strict
  partitioned_by: {silver: [day]}
  properties: {write.target-file-size-bytes: "134217728"}
  retention_days: 30
  required_checks: [not_null]
"""

ORDERS = """\
name: sales.orders
layer: silver
access: public
keys: {business: [id]}
columns:
  - {name: id, type: bigint, nullable: false, checks: [not_null, unique]}
  - {name: day, type: date}
  - {name: amount, type: double}
"""

FILES = {
    "domains/sales.yml": SALES,
    "contracts/sales/orders.source.yml": """
        name: sales.orders
        layer: source
        source: {format: csv, path: data/*.csv}
        columns:
          - {name: id, type: bigint}
          - {name: day, type: date}
          - {name: amount, type: double}
    """,
    "contracts/sales/orders.bronze.yml": """
        name: sales.orders
        layer: bronze
        columns:
          - {name: id, type: bigint, checks: [not_null]}
          - {name: day, type: date}
          - {name: amount, type: double}
    """,
    "contracts/sales/orders.silver.yml": ORDERS,
    "contracts/shop/customers.silver.yml": """
        name: shop.customers
        layer: silver
        keys: {business: [id]}
        columns:
          - {name: id, type: bigint, nullable: false, checks: [not_null, unique]}
          - {name: day, type: date}
    """,
    "models/bronze/orders.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('sales', 'orders') }}\n",
    "models/silver/orders.sql": "SELECT id, day, amount FROM {{ ref('bronze.orders') }}\n",
    "models/silver/customers.sql": "SELECT DISTINCT id, day FROM {{ ref('bronze.orders') }}\n",
    "contracts/marketing/spend.gold.yml": """
        name: marketing.spend
        layer: gold
        columns:
          - {name: day, type: date}
          - {name: amount, type: double}
    """,
    "models/gold/spend.sql": "SELECT day, SUM(amount) AS amount\nFROM {{ ref('silver.orders') }}\nGROUP BY day\n",
}


def load(make_project, **overrides):
    files = {k: v for k, v in {**FILES, **overrides}.items() if v is not None}
    return load_project(make_project(files, config=CONFIG))


def errors_of(make_project, **overrides) -> list[str]:
    with pytest.raises(UserError) as err:
        plan_project(load(make_project, **overrides))
    exc = err.value
    return [e.format() for e in (exc.errors if isinstance(exc, CompileErrors) else [exc])]


def test_datasets_inherit_their_domains_defaults(make_project):
    project = load(make_project)
    orders = project.contracts["silver:sales.orders"]
    assert orders.format == "iceberg"
    assert orders.compatibility == "FULL_TRANSITIVE"  # strict
    assert orders.partitioned_by == ["day"]
    assert orders.properties == {"write.target-file-size-bytes": "134217728"}
    assert orders.retention_days == 30
    # shop.* belongs to sales through `datasets:`; marketing.spend to the inline domain
    assert project.domains.domain_name(project.contracts["silver:shop.customers"]) == "sales"
    assert project.domains.domain_name(project.contracts["gold:marketing.spend"]) == "marketing"
    assert project.domains.get("marketing").config.consumers == ["product"]
    plan = plan_project(project)
    assert plan.models["silver.orders"].relation == "lake.sales_silver.orders"
    assert plan.models["bronze.orders"].relation == "lake.sales_bronze.orders"
    assert plan.models["gold.spend"].relation == "lake.gold.spend"  # marketing sets no namespaces


def test_a_contract_may_tighten_its_domains_defaults(make_project):
    tightened = ORDERS.replace("access: public\n", "access: public\nretention_days: 7\n"
                               "compatibility: FULL_TRANSITIVE\npartitioned_by: [day, id]\n"
                               "properties: {write.target-file-size-bytes: '134217728', extra: 'x'}\n")
    project = load(make_project, **{"contracts/sales/orders.silver.yml": tightened})
    orders = project.contracts["silver:sales.orders"]
    assert (orders.retention_days, orders.partitioned_by) == (7, ["day", "id"])
    assert orders.properties == {"write.target-file-size-bytes": "134217728", "extra": "x"}


def test_loosening_a_domain_default_is_an_error_at_the_contracts_line(make_project):
    loose = ORDERS.replace("access: public\n", "access: public\nformat: delta\ncompatibility: BACKWARD\n"
                           "retention_days: 90\npartitioned_by: [id]\n"
                           "properties:\n  write.target-file-size-bytes: '1'\n")
    with pytest.raises(CompileErrors) as err:
        load(make_project, **{"contracts/sales/orders.silver.yml": loose})
    assert [e.format().split("\n")[0] for e in err.value.errors] == [
        "contracts/sales/orders.silver.yml:4:1: sales.orders: format 'delta' loosens domain sales's format 'iceberg'",
        ("contracts/sales/orders.silver.yml:7:1: sales.orders: partitioned_by ['id'] loosens domain sales's "
        "partitioning ['day'] of silver datasets (missing day)"),
        ("contracts/sales/orders.silver.yml:5:1: sales.orders: compatibility BACKWARD loosens domain sales's "
        "evolution policy 'strict' (FULL_TRANSITIVE)"),
        ("contracts/sales/orders.silver.yml:9:3: sales.orders: property write.target-file-size-bytes='1' loosens "
        "domain sales's write.target-file-size-bytes='134217728'"),
        ("contracts/sales/orders.silver.yml:6:1: sales.orders: retention_days 90 loosens domain sales's retention "
        "of 30 days"),
    ]
    assert "never loosen them" in (err.value.errors[0].hint or "")


def test_a_required_check_missing_and_an_undeclared_partition_column(make_project):
    bare = """\
name: shop.customers
layer: silver
keys: {business: [id]}
columns:
  - {name: id, type: bigint, nullable: false}
"""
    with pytest.raises(CompileErrors) as err:
        load(make_project, **{"contracts/shop/customers.silver.yml": bare})
    assert [e.format().split("\n")[0] for e in err.value.errors] == [
        ("contracts/shop/customers.silver.yml:4:1: shop.customers: domain sales partitions silver datasets by day; "
        "day is not a declared column"),
        ("contracts/shop/customers.silver.yml:1:1: shop.customers: domain sales requires a not_null check on every "
        "dataset"),
    ]


def test_a_domain_file_error_is_located(make_project):
    with pytest.raises(UserError) as err:
        load(make_project, **{"domains/sales.yml": SALES + "owner: me\n"})
    assert "domains/sales.yml:12:1: unknown key 'owner'" in err.value.format()
    with pytest.raises(UserError) as err:
        load(make_project, **{"domains/sales.yml": SALES.replace("evolution: strict", "evolution: sometimes")})
    assert err.value.format().startswith("domains/sales.yml:1:1: domain sales: unknown evolution policy 'sometimes'")


def test_a_model_of_another_domain_may_ref_only_public_datasets(make_project):
    # marketing's gold.spend reads sales' public silver.orders: fine
    plan_project(load(make_project))
    bad = "SELECT day, COUNT(*) AS amount\nFROM {{ ref('silver.customers') }}\nGROUP BY day\n"
    assert [e.split("\n")[0] for e in errors_of(make_project, **{"models/gold/spend.sql": bad})] == [
        ("models/gold/spend.sql:2:9: ref('silver.customers'): shop.customers is protected to domain sales; models "
        "of domain marketing may ref only its public datasets")]


def test_protected_within_the_domain_and_private_to_its_dataset(make_project):
    private = """\
name: sales.orders
layer: bronze
access: private
columns:
  - {name: id, type: bigint, checks: [not_null]}
  - {name: day, type: date}
  - {name: amount, type: double}
"""
    # silver.orders (dataset orders) may read its private bronze; silver.customers (same domain) may not
    errors = errors_of(make_project, **{"contracts/sales/orders.bronze.yml": private})
    assert [e.split("\n")[0] for e in errors] == [
        ("models/silver/customers.sql:1:33: ref('bronze.orders'): sales.orders is private; only models of the "
        "dataset orders in domain sales may ref it")]
    # protected (the default): every model of the domain may read it
    plan_project(load(make_project))


def test_select_domain(make_project):
    project = load(make_project)
    assert plan_project(project, select=["domain:marketing"]).selected == ["gold.spend"]
    assert plan_project(project, select=["domain:sales"]).selected == \
        ["bronze.orders", "silver.customers", "silver.orders"]
    assert plan_project(project, select=["+domain:marketing"]).selected == \
        ["bronze.orders", "silver.orders", "gold.spend"]
    assert plan_project(project, select=["domain:sales layer:gold"]).selected == \
        ["bronze.orders", "silver.customers", "silver.orders", "gold.spend"]
    with pytest.raises(UserError, match=r"--select 'domain:finance': no domain 'finance'"):
        plan_project(project, select=["domain:finance"])


def test_a_domain_writes_only_to_its_namespaces(make_project):
    moved = ORDERS.replace("access: public\n", "access: public\nnamespace: gold\n")
    with pytest.raises(UserError) as err:
        load(make_project, **{"contracts/sales/orders.silver.yml": moved})
    assert err.value.format().split("\n")[0] == (
        "contracts/sales/orders.silver.yml:4:1: sales.orders: namespace 'gold' is not one of domain sales's "
        "namespaces (sales_bronze, sales_silver); a domain writes only to its namespaces")


def test_secrets_are_scoped_to_their_domain(make_project, monkeypatch):
    monkeypatch.setenv("SQLINGEST_SECRET_SALES_API_KEY", "s3cr3t-value")
    uses = "SELECT id, day, amount FROM {{ ref('bronze.orders') }} -- {{ secret('sales_api_key') }}\n"
    # a model of sales may read it
    plan = plan_project(load(make_project, **{"models/silver/orders.sql": uses}))
    assert "s3cr3t-value" in plan.models["silver.orders"].rendered.sql
    reads = "SELECT day, SUM(amount) AS amount\nFROM {{ ref('silver.orders') }}\n" \
            "WHERE '{{ secret('sales_api_key') }}' <> ''\nGROUP BY day\n"
    assert [e.split("\n")[0] for e in errors_of(make_project, **{"models/gold/spend.sql": reads})] == [
        ("models/gold/spend.sql:3:11: secret('sales_api_key') is scoped to domain sales; a model of domain "
        "marketing may not read it")]


def test_completeness_slos_are_validated_against_the_models(make_project):
    slos = ("slos: {completeness: {vs: bronze.ordrs}}\n"
            "dataset_slos:\n  orders: {completeness: {per: day, column: placed_at}, freshness_column: ts}\n")
    errors = errors_of(make_project, **{"domains/sales.yml": SALES + slos})
    vs = [e for e in errors if "completeness.vs" in e]
    assert len(vs) == 1 and vs[0].startswith(
        "domains/sales.yml:1:1: domain sales: SLO completeness.vs 'bronze.ordrs' is not a model") \
        and "did you mean 'bronze.orders'?" in vs[0]
    assert any("SLO freshness_column 'ts' is not a column of silver.orders (sales.orders)" in e for e in errors)
    assert any("SLO completeness.column 'placed_at' is not a column of silver.orders" in e for e in errors)
    # a malformed objective is a load error at the domain's file
    with pytest.raises(UserError) as err:
        load(make_project, **{"domains/sales.yml": SALES + "slos: {completeness: {per: day}}\n"})
    assert "completeness per period needs column:" in err.value.format()
    with pytest.raises(UserError) as err:
        load(make_project, **{"domains/sales.yml": SALES + "slos: {completeness: {min_ratio: 0.5}}\n"})
    assert "completeness needs either vs: <model> or per:" in err.value.format()
    # valid ones plan; the vs side counts the business key when both sides have it
    ok = "dataset_slos:\n  orders: {completeness: {vs: bronze.orders, min_ratio: 0.99}}\n"
    plan = plan_project(load(make_project, **{"domains/sales.yml": SALES + ok}))
    from sqlingest.runs.slo import completeness_key

    assert completeness_key(plan, "silver.orders", "bronze.orders", None) == ["id"]
    assert completeness_key(plan, "silver.orders", "bronze.orders", ["day"]) == ["day"]


def test_completeness_periods_are_the_complete_ones_before_now():
    from datetime import datetime

    from sqlingest.runs.slo import previous_periods

    now = datetime(2026, 3, 4, 10, 30)  # a Wednesday
    assert previous_periods(now, "day", 2) == [datetime(2026, 3, 2), datetime(2026, 3, 3)]
    assert previous_periods(now, "hour", 1) == [datetime(2026, 3, 4, 9)]
    assert previous_periods(now, "week", 2) == [datetime(2026, 2, 16), datetime(2026, 2, 23)]
    assert previous_periods(now, "month", 3) == [datetime(2025, 12, 1), datetime(2026, 1, 1), datetime(2026, 2, 1)]


def test_the_demos_three_domains_and_who_reads_whom():
    """The demo: sales, marketing and product; gold.customer_value (marketing) and gold.product_sales (product)
    read sales' public silver tables. The manifest and the docs site list owners, declared consumers and the
    cross-domain reads found in the DAG."""
    from pathlib import Path

    from sqlingest.docs_site import site_data
    from sqlingest.plan.manifest import build_manifest

    repo = Path(__file__).resolve().parents[2]
    plan = plan_project(load_project(repo))
    domains = build_manifest(plan)["domains"]
    assert sorted(domains) == ["marketing", "product", "sales"]
    sales = domains["sales"]
    assert sales["owners"] == ["sales-data@example.com"] and sales["consumers"] == ["marketing", "product"]
    assert sales["read_by"] == {
        "marketing": ["gold.customer_value <- silver.order_lines", "gold.customer_value <- silver.orders"],
        "product": ["gold.product_sales <- silver.order_lines"]}
    assert domains["marketing"]["models"] == ["bronze.customers", "gold.customer_value", "silver.customers"]
    assert domains["product"]["read_by"] == {}
    models = build_manifest(plan)["models"]
    assert (models["silver.orders"]["domain"], models["silver.orders"]["access"]) == ("sales", "public")
    assert (models["silver.customers"]["domain"], models["silver.customers"]["access"]) == ("marketing", "protected")
    # the domains' policies differ: evolution modes and the partitioning of sales' gold
    contracts = plan.project.contracts
    assert contracts["silver:retail.orders"].compatibility == "FULL_TRANSITIVE"
    assert contracts["silver:retail.customers"].compatibility == "BACKWARD_TRANSITIVE"
    assert contracts["silver:retail.products"].compatibility == "BACKWARD"
    assert contracts["gold:retail.daily_revenue"].partitioned_by == ["order_date"]
    site = site_data(plan)
    assert site["models"]["gold.customer_value"]["domain"] == "marketing"
    assert site["domains"]["sales"]["read_by"]["product"] == ["gold.product_sales <- silver.order_lines"]


def test_a_domain_brings_its_own_catalog_connection(make_project, monkeypatch):
    """Per-domain credentials: sales declares its own connection on target dev; its models' tables live in the
    catalog lake_sales reached with sales' user and password (env_var in the domain file); the session registers
    both catalogs, and the password is redacted by Spark like the target's own."""
    from sqlingest.execute.session import session_conf

    monkeypatch.setenv("SALES_PW", "sales-pw-0042")
    own = SALES + ("targets:\n  dev:\n    catalog: {uri: 'jdbc:postgresql://127.0.0.1:5432/sales', user: sales_writer, "
                   "password: \"{{ env_var('SALES_PW') }}\"}\n")
    plan = plan_project(load(make_project, **{"domains/sales.yml": own}))
    assert plan.models["silver.orders"].relation == "lake_sales.sales_silver.orders"
    assert plan.models["gold.spend"].relation == "lake.gold.spend"  # marketing: the target's catalog
    # a ref from marketing reads sales' table through sales' catalog
    assert "lake_sales.sales_silver.orders" in plan.models["gold.spend"].rendered.sql
    assert plan.catalog_of(plan.models["silver.orders"]).name == "lake_sales"
    conf = session_conf(plan.project.target.spark, plan.catalog, extra=plan.domain_catalogs.values())
    assert conf["spark.sql.catalog.lake_sales.jdbc.user"] == "sales_writer"
    assert conf["spark.sql.catalog.lake_sales.jdbc.password"] == "sales-pw-0042"
    assert conf["spark.sql.catalog.lake_sales.uri"] == "jdbc:postgresql://127.0.0.1:5432/sales"
    assert conf["spark.sql.catalog.lake.uri"].startswith("jdbc:sqlite:")
    from sqlingest.errors import redact

    assert redact("connect with sales-pw-0042 failed") == "connect with *** failed"
    # an unset variable is a located error in the domain's file
    monkeypatch.delenv("SALES_PW")
    with pytest.raises(UserError) as err:
        load(make_project, **{"domains/sales.yml": own})
    assert "SALES_PW" in err.value.format() and "domains/sales.yml" in err.value.format()
