"""The compile stages (render → parse/validate → plan) on small projects, without a JVM."""

from __future__ import annotations

import re

import pytest

from sqlingest.cli import main
from sqlingest.errors import CompileErrors, UserError
from sqlingest.plan import plan_project, write_compiled
from sqlingest.project import load_project

FILES = {
    "contracts/shop/orders.source.yml": """
        name: shop.orders
        layer: source
        source: {format: csv, path: data/*.csv}
        columns:
          - {name: id, type: bigint}
          - {name: amount, type: "decimal(10,2)"}
          - {name: status, type: string}
    """,
    "contracts/shop/orders.silver.yml": """
        name: shop.orders
        layer: silver
        keys: {business: [id]}
        columns:
          - {name: id, type: bigint, nullable: false, checks: [not_null, unique]}
          - {name: amount, type: "decimal(10,2)"}
          - {name: status, type: string}
    """,
    "macros/m.sql": "{% macro upper_of(c) %}UPPER({{ c }}){% endmacro %}\n",
    "models/bronze/orders.sql": """
        {{ config(materialized='append') }}
        SELECT * FROM {{ source('shop', 'orders') }}
    """,
    "models/silver/orders.sql": """
        {{ config(materialized='merge') }}
        SELECT id, amount, {{ upper_of('status') }} AS status
        FROM {{ ref('bronze.orders') }}
    """,
    "models/gold/by_status.sql": """
        SELECT status, COUNT(*) AS n FROM {{ ref('orders') if false else ref('silver.orders') }} GROUP BY status
    """,
}


CONFIG = "name: t\nlayers:\n  gold: {require_contract: false}\n"


def plan(make_project, **overrides):
    return plan_project(load_project(make_project({**FILES, **overrides}, config=CONFIG)))


def errors_of(make_project, **overrides) -> list[str]:
    with pytest.raises(UserError) as err:
        plan(make_project, **overrides)
    exc = err.value
    items = exc.errors if isinstance(exc, CompileErrors) else [exc]
    return [e.format() for e in items]


def test_plan_orders_models_and_resolves_relations(make_project):
    p = plan(make_project)
    assert p.order == ["bronze.orders", "silver.orders", "gold.by_status"]
    silver = p.models["silver.orders"]
    assert silver.relation == "lake.silver.orders"
    assert silver.unique_key == ["id"]
    assert "UPPER(status)" in silver.rendered.sql
    assert "FROM lake.bronze.orders" in silver.rendered.sql
    assert p.models["gold.by_status"].validated.columns == [("status", "string"), ("n", "bigint")]


def test_unknown_column_is_reported_at_its_position(make_project):
    errs = errors_of(make_project, **{"models/silver/orders.sql": (
        "{{ config(materialized='merge') }}\nSELECT id, amount,\n       stauts AS status\nFROM {{ ref('bronze.orders') }}\n")})
    assert errs == [errs[0]]
    assert errs[0].startswith("models/silver/orders.sql:3:8: unknown column 'stauts'")


def test_syntax_error_is_located(make_project):
    errs = errors_of(make_project, **{"models/gold/by_status.sql": "SELECT (status, n FROM x\n"})
    assert errs[0].startswith("models/gold/by_status.sql:1:")
    assert "syntax error" in errs[0]


def test_missing_and_extra_contract_columns(make_project):
    errs = errors_of(make_project, **{"models/silver/orders.sql": (
        "{{ config(materialized='merge') }}\nSELECT id, status, 1 AS bonus FROM {{ ref('bronze.orders') }}\n")})
    # the missing column is blamed at its line in the contract, the extra one at its select item
    assert errs == [
        ("contracts/shop/orders.silver.yml:6:5: output is missing contract column 'amount' (contract shop.orders)\n"
         "  hint: select it (decimal(10,2)), or change the contract contracts/shop/orders.silver.yml"),
        ("models/silver/orders.sql:2:20: output has column 'bonus' not in contract shop.orders\n"
         "  hint: declare it in contracts/shop/orders.silver.yml or drop it from the SELECT (silver is strict)")]


def test_type_family_mismatch(make_project):
    errs = errors_of(make_project, **{"models/silver/orders.sql": (
        "{{ config(materialized='merge') }}\n"
        "SELECT id, CAST(amount AS STRING) AS amount, status FROM {{ ref('bronze.orders') }}\n")})
    assert any("column 'amount' is string but contract shop.orders declares decimal(10,2)" in e for e in errs)


def test_all_model_errors_at_once(make_project):
    errs = errors_of(make_project, **{
        "models/silver/orders.sql": "SELECT nope FROM {{ ref('bronze.orders') }}\n",
        "models/gold/by_status.sql": "SELECT {{ undefined_macro() }}\n"})
    assert any(e.startswith("models/gold/by_status.sql:1") for e in errs)
    assert len(errs) >= 1


def test_unknown_ref_with_hint(make_project):
    errs = errors_of(make_project, **{"models/gold/by_status.sql": "SELECT 1 AS x FROM {{ ref('silver.order') }}\n"})
    assert "models/gold/by_status.sql:1:23: ref('silver.order'): no such model" in errs[0]
    assert "did you mean 'silver.orders'" in errs[0]


def test_jinja_syntax_error_line(make_project):
    errs = errors_of(make_project, **{"models/gold/by_status.sql": "SELECT 1 AS x\n{% if %}\n"})
    assert errs[0].startswith("models/gold/by_status.sql:2:")


def test_cycle_is_an_error(make_project):
    errs = errors_of(make_project, **{
        "models/gold/a.sql": "SELECT n FROM {{ ref('gold.b') }}\n",
        "models/gold/b.sql": "SELECT n FROM {{ ref('gold.a') }}\n"})
    assert any("dependency cycle: gold.a -> gold.b -> gold.a" in e for e in errs)


def test_merge_on_parquet_is_refused_at_compile_time(make_project):
    config = CONFIG + "targets:\n  dev:\n    catalog: {type: spark_session}\n    format: parquet\n"
    root = make_project(FILES, config=config)
    with pytest.raises(UserError) as err:
        plan_project(load_project(root))
    assert "materialized='merge' needs merge, which parquet tables do not support" in str(err.value)


def test_iceberg_on_session_catalog_is_refused(make_project):
    config = CONFIG + "targets:\n  dev:\n    catalog: {type: spark_session}\n    format: iceberg\n"
    with pytest.raises(UserError, match="cannot hold iceberg tables"):
        plan_project(load_project(make_project(FILES, config=config)))


def test_merge_needs_a_key(make_project):
    errs = errors_of(make_project, **{"models/gold/by_status.sql": (
        "{{ config(materialized='merge') }}\nSELECT status FROM {{ ref('silver.orders') }}\n")})
    assert any("needs a unique key" in e for e in errs)


def test_unknown_config_key(make_project):
    errs = errors_of(make_project, **{"models/gold/by_status.sql": "{{ config(materialised='table') }}\nSELECT 1 AS x\n"})
    assert "unknown config key 'materialised'" in errs[0]


def test_select_layers_tags_and_ancestors(make_project):
    root = make_project(FILES, config=CONFIG)
    project = load_project(root)
    assert plan_project(project, select=["layer:silver"]).selected == ["silver.orders"]
    assert plan_project(project, select=["+by_status"]).selected == ["bronze.orders", "silver.orders",
                                                                        "gold.by_status"]
    assert plan_project(project, select=["silver.orders+"]).selected == ["silver.orders", "gold.by_status"]
    with pytest.raises(UserError, match="matches no model"):
        plan_project(project, select=["tag:nothing"])


def test_var_and_is_incremental(make_project):
    p = plan(make_project, **{"models/gold/by_status.sql": (
        "SELECT '{{ var('region', 'eu') }}' AS region{% if is_incremental() %}, 1 AS inc{% endif %}\n")})
    assert "'eu' AS region" in p.models["gold.by_status"].rendered.sql
    incremental = p.renderer.render(p.models["gold.by_status"].rendered.model, incremental=True)
    assert "1 AS inc" in incremental.sql


def test_compiled_sql_is_written(make_project):
    p = plan(make_project)
    paths = write_compiled(p, p.project.root / "target")
    text = (p.project.root / "target/compiled/silver/orders.sql").read_text()
    assert len(paths) == 3 and "FROM lake.bronze.orders" in text and "materialized: merge" in text


def test_cli_compile_exit_codes(make_project, capsys):
    root = make_project(FILES, config=CONFIG)
    assert main(["compile", "--project-dir", str(root)]) == 0
    (root / "models/silver/orders.sql").write_text("SELECT id, amount, nope AS status FROM {{ ref('bronze.orders') }}\n")
    assert main(["compile", "--project-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert "models/silver/orders.sql:1:20: unknown column 'nope'" in err
    assert "Traceback" not in err


def test_unknown_materialization(make_project):
    errs = errors_of(make_project, **{"models/gold/by_status.sql": "{{ config(materialized='tabel') }}\nSELECT 1 AS x\n"})
    assert errs[0].startswith("models/gold/by_status.sql:1:1: unknown materialization 'tabel'")
    assert "did you mean 'table'" in errs[0]


def test_layer_rules_are_compile_errors(make_project):
    silver = FILES["contracts/shop/orders.silver.yml"].replace(", checks: [not_null, unique]", "")
    config = "name: t\nlayers:\n  gold: {require_descriptions: true, table_pattern: '[a-z]+'}\n"
    root = make_project({**FILES, "contracts/shop/orders.silver.yml": silver}, config=config)
    with pytest.raises(CompileErrors) as err:
        plan_project(load_project(root))
    text = err.value.format()
    assert "contracts/shop/orders.silver.yml:5:5: silver requires a not_null check on business key 'id'" in text
    assert "silver requires a unique check on business key 'id'" in text
    assert "models/gold/by_status.sql:1:1: gold models need a contract" in text


def test_primary_key_check_satisfies_key_rules(make_project):
    silver = FILES["contracts/shop/orders.silver.yml"].replace(", checks: [not_null, unique]", "").replace(
        "keys: {business: [id]}", "keys: {business: [id]}\n        checks: [{type: primary_key, columns: [id]}]")
    plan(make_project, **{"contracts/shop/orders.silver.yml": silver})


def test_compile_refuses_a_contract_that_breaks_its_published_history(make_project, capsys):
    root = make_project(FILES, config=CONFIG)
    assert main(["contracts", "publish", "--project-dir", str(root)]) == 0
    path = root / "contracts/shop/orders.silver.yml"
    path.write_text(path.read_text() + "  - {name: channel, type: string, nullable: false}\n")
    assert main(["compile", "--project-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert "contracts/shop/orders.silver.yml:1:1: silver:shop.orders breaks BACKWARD compatibility" in err
    assert "channel" in err


def test_deprecated_columns_warn_then_fail_after_sunset(make_project):
    silver = FILES["contracts/shop/orders.silver.yml"].replace(
        '{name: status, type: string}', '{name: status, type: string, deprecated: true, sunset: 2999-01-01}')
    assert any("column 'status' of shop.orders is deprecated (sunset 2999-01-01)" in w
               for w in plan(make_project, **{"contracts/shop/orders.silver.yml": silver}).warnings)
    expired = silver.replace("2999-01-01", "2001-01-01")
    errs = errors_of(make_project, **{"contracts/shop/orders.silver.yml": expired})
    assert any("passed its sunset date 2001-01-01" in e for e in errs)


def test_incremental_predicate_full_incremental_and_backfill(make_project):
    model = ("{{ config(materialized='merge') }}\nSELECT id, amount, status FROM {{ ref('bronze.orders') }}\n"
             "WHERE {{ incremental_predicate('_ingested_at', lookback='2 days') }}\n")
    p = plan(make_project, **{"models/silver/orders.sql": model})
    full = p.models["silver.orders"].rendered
    assert full.sql.rstrip().endswith("WHERE TRUE")
    incremental = p.renderer.render(full.model, incremental=True)
    assert ("WHERE (_ingested_at >= (SELECT COALESCE(MAX(_ingested_at), TIMESTAMP '1970-01-01 00:00:00') "
            "- INTERVAL 2 days FROM lake.silver.orders))") in incremental.sql
    root = make_project({**FILES, "models/silver/orders.sql": model}, config=CONFIG)
    backfill = plan_project(load_project(root, cli_vars={"start": "2024-01-01", "end": "2024-02-01"}))
    assert ("WHERE (_ingested_at >= TIMESTAMP '2024-01-01' AND _ingested_at < TIMESTAMP '2024-02-01')"
            in backfill.models["silver.orders"].rendered.sql)


def test_mapping_renders_the_contract_select_list(make_project):
    silver = FILES["contracts/shop/orders.silver.yml"].rstrip(" ") + (
        "        mapping:\n          amount: \"amount * 100\"\n          status: \"UPPER(status)\"\n")
    model = "{{ config(materialized='merge') }}\nSELECT {{ mapped_columns() }}\nFROM {{ ref('bronze.orders') }}\n"
    p = plan(make_project, **{"contracts/shop/orders.silver.yml": silver, "models/silver/orders.sql": model})
    sql = p.models["silver.orders"].rendered.sql
    assert "CAST(`id` AS BIGINT) AS `id`" in sql
    assert "CAST(amount * 100 AS DECIMAL(10,2)) AS `amount`" in sql
    assert "CAST(UPPER(status) AS STRING) AS `status`" in sql
    bad = silver.replace("status: \"UPPER(status)\"", "nope: \"1\"")
    errs = errors_of(make_project, **{"contracts/shop/orders.silver.yml": bad, "models/silver/orders.sql": model})
    assert any("mapping names undeclared column 'nope'" in e for e in errs)


def test_model_can_pin_a_published_contract_version(make_project):
    root = make_project(FILES, config=CONFIG)
    assert main(["contracts", "publish", "--project-dir", str(root)]) == 0
    path = root / "contracts/shop/orders.silver.yml"
    path.write_text(path.read_text() + "  - {name: note, type: string}\n")
    assert main(["contracts", "publish", "--project-dir", str(root)]) == 0
    model = root / "models/silver/orders.sql"
    model.write_text("{{ config(materialized='merge', contract_version=1) }}\n"
                     "SELECT id, amount, status FROM {{ ref('bronze.orders') }}\n")
    p = plan_project(load_project(root))
    assert [c.name for c in p.models["silver.orders"].contract.columns] == ["id", "amount", "status"]
    model.write_text(model.read_text().replace("contract_version=1", "contract_version=7"))
    with pytest.raises(UserError, match="v7 is not published"):
        plan_project(load_project(root))


PARQUET = CONFIG + "targets:\n  dev:\n    catalog: {type: spark_session}\n    format: parquet\n"


def test_merge_on_parquet_refusal_names_the_fallback(make_project, capsys):
    root = make_project(FILES, config=PARQUET)
    assert main(["compile", "--project-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert "models/silver/orders.sql:1:1: materialized='merge' needs merge, which parquet tables do not support" in err
    assert "or declare the replacement in the target: fallbacks: {merge: rebuild}" in err


def test_declared_fallback_replaces_merge_with_a_rebuild(make_project, capsys):
    root = make_project(FILES, config=PARQUET + "    fallbacks: {merge: rebuild}\n")
    p = plan_project(load_project(root))
    silver = p.models["silver.orders"]
    assert (silver.materialization.NAME, silver.replaces, silver.unique_key) == ("rebuild", "merge", ["id"])
    assert not silver.materialization.INCREMENTAL  # every run reads the model's whole input
    assert p.models["bronze.orders"].replaces is None
    assert p.fallbacks == [("silver.orders: materialized='merge' → full rebuild on every run (parquet tables cannot "
                            "run merge; target dev declares fallbacks: {merge: rebuild})")]
    assert main(["compile", "--project-dir", str(root)]) == 0
    assert "fallback: silver.orders: materialized='merge' → full rebuild" in capsys.readouterr().out
    header = (root / "target/compiled/silver/orders.sql").read_text().splitlines()[0]
    assert header == "-- model: silver.orders  materialized: rebuild (fallback for merge)  format: parquet"


def test_rebuild_templates_compute_latest_rows_and_scd2_versions(make_project):
    from sqlingest.materializations import REBUILDS, WriteContext

    ctx = WriteContext("lake.s.t", "stage", "", ["id", "tier", "ts", "deleted"], unique_key=["id"], ordering="ts",
                       delete_flag="deleted", tracked_columns=["tier"])
    [latest] = REBUILDS["merge"]().statements(ctx)
    assert latest.startswith("INSERT OVERWRITE TABLE lake.s.t\nSELECT id, tier, ts, deleted\n")
    assert "ORDER BY ts DESC NULLS LAST, coalesce(deleted, false) DESC, xxhash64(id, tier, ts, deleted)" in latest
    assert latest.rstrip().endswith("WHERE __sqlingest_rn = 1\n  AND NOT coalesce(deleted, false)")
    [versions] = REBUILDS["scd2"]().statements(ctx)
    assert versions.startswith("INSERT OVERWRITE TABLE lake.s.t\nSELECT id, tier, ts, deleted, valid_from, "
                               "valid_to, is_current\n")
    assert "lag(tier) OVER w <=> tier" in versions and "lag(ts)" not in versions  # tracked columns only
    assert "lead(__sqlingest_ts) OVER (PARTITION BY id ORDER BY __sqlingest_ts) AS valid_to" in versions
    assert REBUILDS["scd2"].EXTRA_COLUMNS == (("valid_from", "timestamp"), ("valid_to", "timestamp"),
                                              ("is_current", "boolean"))


def test_fallbacks_accept_only_rebuild(make_project):
    root = make_project(FILES, config=PARQUET + "    fallbacks: {merge: ignore}\n")
    with pytest.raises(UserError) as err:
        load_project(root)
    assert "targets.dev.fallbacks.merge: Input should be 'rebuild'" in str(err.value)
    assert str(err.value).startswith("sqlingest.yml:8:17: ")


def test_delta_path_relations_are_validated_like_catalog_tables(make_project):
    config = CONFIG + "targets:\n  dev:\n    catalog: {type: delta_path, warehouse: wh}\n    format: delta\n"
    root = make_project(FILES, config=config)
    p = plan_project(load_project(root))
    assert p.models["silver.orders"].relation == f"delta.`{root.resolve()}/wh/silver/orders`"
    assert f"FROM delta.`{root.resolve()}/wh/bronze/orders`" in p.models["silver.orders"].rendered.sql
    assert not p.warnings  # every input's columns were checked
    assert p.models["gold.by_status"].validated.columns == [("status", "string"), ("n", "bigint")]
    (root / "models/gold/by_status.sql").write_text(
        "SELECT stauts, COUNT(*) AS n FROM {{ ref('silver.orders') }} GROUP BY stauts\n")
    with pytest.raises(UserError, match="models/gold/by_status.sql:1:8: unknown column 'stauts'"):
        plan_project(load_project(root))


def test_quarantine_relation_of_quoted_identifiers():
    from sqlingest.project.layers import quarantine_relation

    assert quarantine_relation("lake.silver.orders") == "lake.silver.orders__quarantine"
    assert quarantine_relation("delta.`/w/silver/orders`") == "delta.`/w/silver/orders__quarantine`"


def test_every_target_of_the_demo_project_compiles(monkeypatch):
    """The repository's sqlingest.yml: each target's catalog options are valid and every model plans on it (but the
    Spark Connect target, which is refused: docs/cluster.md)."""
    from sqlingest.errors import UnsupportedCombination
    from tests.conftest import REPO

    monkeypatch.delenv("SQLINGEST_KAFKA_BOOTSTRAP", raising=False)  # the streaming model stays disabled
    project = load_project(REPO)
    for target in project.config.targets:
        if target == "connect":
            with pytest.raises(UnsupportedCombination, match="target 'connect' runs on Spark Connect"):
                plan_project(load_project(REPO, target=target))
            continue
        p = plan_project(load_project(REPO, target=target))
        assert len(p.models) == 11, target
        assert bool(p.fallbacks) == (target == "hms_parquet"), target


def test_streaming_needs_a_streamable_source_and_a_transactional_format(make_project, capsys):
    files = {**FILES, "models/bronze/orders.sql": "{{ config(materialized='streaming') }}\n"
                                                  "SELECT * FROM {{ source('shop', 'orders') }}\n"}
    parquet = FILES["contracts/shop/orders.source.yml"].replace("{format: csv, path: data/*.csv}",
                                                                  "{format: parquet, path: data/*.parquet}")
    root = make_project({**files, "contracts/shop/orders.source.yml": parquet})
    assert main(["compile", "--project-dir", str(root), "--select", "bronze.orders"]) == 2
    err = capsys.readouterr().err
    assert "models/bronze/orders.sql:1:1" in err and "source shop.orders (parquet) cannot be read as a stream" in err

    kafka = FILES["contracts/shop/orders.source.yml"].replace("{format: csv, path: data/*.csv}",
                                                                "{format: kafka, topic: orders}")
    root = make_project({**files, "contracts/shop/orders.source.yml": kafka}, config="name: t\ndefault_target: p\n"
                        "targets: {p: {format: parquet, catalog: {type: spark_session}}}\n")
    assert main(["compile", "--project-dir", str(root), "--select", "bronze.orders"]) == 2
    assert "materialized='streaming' needs commits, which parquet tables do not support" in capsys.readouterr().err


def test_streaming_merge_models_are_declared_with_config_streaming(make_project):
    """config(streaming=true) drives merge/scd1/scd2 per micro-batch; other materializations and formats refuse it."""
    silver = "{{ config(materialized='%s', streaming=true) }}\nSELECT id, amount, status FROM {{ source('shop', 'orders') }}\n"
    p = plan(make_project, **{"models/silver/orders.sql": silver % "scd1", "models/gold/by_status.sql": "SELECT 1 AS x\n"})
    assert p.models["silver.orders"].streaming and not p.models["bronze.orders"].streaming
    errs = errors_of(make_project, **{"models/gold/by_status.sql": (
        "{{ config(materialized='table', streaming=true) }}\nSELECT 1 AS x\n")})
    assert "config(streaming=true) does not apply to materialized='table'" in errs[0]
    assert "merge, scd1, scd2" in errs[0] and "models/gold/by_status.sql" in errs[0]
    parquet = FILES["contracts/shop/orders.source.yml"].replace("format: csv", "format: parquet")
    errs = errors_of(make_project, **{"models/silver/orders.sql": silver % "merge",
                                      "contracts/shop/orders.source.yml": parquet})
    assert any("source shop.orders (parquet) cannot be read as a stream" in e for e in errs)


def test_scd2_strategy_options_are_checked(make_project):
    errs = errors_of(make_project, **{"models/gold/by_status.sql": (
        "{{ config(materialized='table', scd2_strategy='rewrite') }}\nSELECT 1 AS x\n")})
    assert "scd2_strategy applies to materialized='scd2' only (this model is 'table')" in errs[0]
    assert "models/gold/by_status.sql" in errs[0]
    errs = errors_of(make_project, **{"models/gold/by_status.sql": (
        "{{ config(materialized='table', scd2_strategy='fast') }}\nSELECT 1 AS x\n")})
    assert "scd2_strategy" in errs[0] and "'auto', 'merge' or 'rewrite'" in errs[0]
    errs = errors_of(make_project, **{"models/gold/by_status.sql": (
        "{{ config(materialized='table', rewrite_fraction=2) }}\nSELECT 1 AS x\n")})
    assert "rewrite_fraction" in errs[0]


def test_scd2_strategies_share_the_version_chains(make_project):
    """merge (one MERGE) and rewrite (one INSERT OVERWRITE) compute the chains with the same CTEs."""
    from sqlingest.materializations import Scd2, WriteContext

    def ctx(strategy: str) -> WriteContext:
        return WriteContext("lake.s.t", "stage", "", ["id", "tier", "ts"], unique_key=["id"], ordering="ts",
                            tracked_columns=["tier"], extra={"strategy": strategy})

    [merge] = Scd2().statements(ctx("merge"))
    [rewrite] = Scd2().statements(ctx("rewrite"))
    assert merge.startswith("MERGE INTO lake.s.t AS t\nUSING (\n  WITH batch AS (")
    assert rewrite.startswith("INSERT OVERWRITE TABLE lake.s.t\nSELECT id, tier, ts, valid_from, valid_to, "
                              "is_current\nFROM (\n  WITH batch AS (")

    def chain(sql: str) -> str:  # the CTEs, without the MERGE's stored flag
        text = sql[sql.index("WITH batch AS ("):sql.index("  chain AS (")]
        return re.sub(r"\s+", " ", re.sub(r"SELECT \*, bool_or.*?FROM \((.*?)\)\s+\)\s+WHERE", r"\1 ) WHERE", text,
                                          flags=re.DOTALL))

    assert chain(merge) == chain(rewrite)
    assert "__sqlingest_stored" in merge and "__sqlingest_stored" not in rewrite
    assert "LEFT ANTI JOIN batch_keys AS k\n    ON t.id <=> k.id" not in rewrite  # the table's rows are aliased h
    assert "LEFT ANTI JOIN batch_keys AS k\n    ON h.id <=> k.id AND (h.valid_to IS NULL OR h.valid_to >= " \
           "k.__sqlingest_since)" in rewrite


def test_auto_strategy_needs_no_spark_to_honour_the_config_or_an_override(make_project):
    from sqlingest.formats import get_format
    from sqlingest.materializations import Scd2
    from sqlingest.materializations.strategy import choose

    root = make_project(FILES, config=CONFIG)
    options = {"fmt": get_format("iceberg"), "relation": "lake.s.t", "stage": "stage", "unique_key": ["id"], "fraction": 0.5}
    assert str(choose(None, Scd2(root), requested="rewrite", **options)) == \
        "rewrite (config(scd2_strategy='rewrite'))"
    (root / "macros" / "materializations").mkdir()
    (root / "macros" / "materializations" / "scd2.sql").write_text("MERGE INTO {{ relation }} …")
    assert Scd2(root).overrides("scd2") and not Scd2(root).overrides("scd2_rewrite")
    assert str(choose(None, Scd2(root), requested="auto", **options)) == "merge (the project overrides scd2.sql)"
