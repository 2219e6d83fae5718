"""Selection semantics (dbt's), ``sqlingest ls``, the manifest, ``state:modified`` and ``--log-format json``
(no JVM)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sqlingest.cli import build_parser, main
from sqlingest.errors import UserError
from sqlingest.plan.dag import Dag
from sqlingest.plan.selection import ModelFacts, SelectionContext, select_models
from sqlingest.scaffold import create_project

DAG = Dag({"bronze.a": [], "bronze.b": [], "silver.a": ["bronze.a"], "silver.b": ["bronze.b", "silver.a"],
           "gold.x": ["silver.b"], "gold.y": ["silver.a"]})
FACTS = {"bronze.a": ModelFacts(sources=["shop.a"], path="models/bronze/a.sql"),
         "bronze.b": ModelFacts(sources=["crm.b"], path="models/bronze/b.sql"),
         "silver.a": ModelFacts(tags=["pii"], owner="ann", domain="shop", path="models/silver/a.sql"),
         "silver.b": ModelFacts(tags=["pii", "daily"], owner="bob", domain="crm", path="models/silver/b.sql"),
         "gold.x": ModelFacts(tags=["daily"], owner="bob", domain="crm", path="models/gold/x.sql"),
         "gold.y": ModelFacts(owner="ann", domain="shop", path="models/gold/y.sql")}


def sel(select, exclude=None, modified=None):
    return select_models(SelectionContext(DAG, FACTS, modified, None), select, exclude)


def test_union_intersection_exclusion():
    assert sel(["tag:pii tag:daily"]) == {"silver.a", "silver.b", "gold.x"}          # space: union
    assert sel(["tag:pii", "gold.y"]) == {"silver.a", "silver.b", "gold.y"}          # several --select: union
    assert sel(["tag:pii,tag:daily"]) == {"silver.b"}                                  # comma: intersection
    assert sel(["tag:pii,layer:gold"]) == set()                                        # an empty intersection
    assert sel(["silver.a+"], ["gold.*"]) == {"silver.a", "silver.b"}                  # exclusion after selection
    assert sel(None, ["layer:bronze", "layer:silver"]) == {"gold.x", "gold.y"}         # exclude alone: from all
    assert sel(["+gold.x"], ["bronze.a+,layer:silver"]) == {"bronze.a", "bronze.b", "gold.x"}


def test_graph_operators_and_methods():
    assert sel(["1+gold.x"]) == {"gold.x", "silver.b"}
    assert sel(["bronze.a+1"]) == {"bronze.a", "silver.a"}
    assert sel(["@silver.a"]) == {"silver.a", "silver.b", "gold.x", "gold.y", "bronze.a", "bronze.b"}
    assert sel(["source:shop.a"]) == {"bronze.a"}
    assert sel(["source:shop.*+"]) == {"bronze.a", "silver.a", "silver.b", "gold.x", "gold.y"}
    assert sel(["owner:ann"]) == {"silver.a", "gold.y"}
    assert sel(["domain:crm"]) == {"silver.b", "gold.x"}
    assert sel(["path:models/gold"]) == {"gold.x", "gold.y"}
    assert sel(["state:modified+"], modified={"silver.a"}) == {"silver.a", "silver.b", "gold.x", "gold.y"}
    assert sel(["state:modified"], modified=set()) == set()  # nothing changed: nothing to do, not an error


def test_selector_errors_are_user_errors():
    with pytest.raises(UserError, match="--select 'nope' matches no model"):
        sel(["nope"])
    with pytest.raises(UserError, match="unknown selector method 'onwer'") as info:
        sel(["onwer:ann"])
    assert "did you mean 'owner:'" in (info.value.hint or "")
    with pytest.raises(UserError, match=r"state:modified' needs --state DIR"):
        sel(["state:modified"])


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return create_project(tmp_path / "shop")


def lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line]


def test_ls_text_json_path(shop, capsys):
    d = ["--project-dir", str(shop)]
    assert main(["ls", *d]) == 0
    assert lines(capsys) == ["bronze.events", "silver.events", "gold.daily_sales"]
    assert main(["ls", *d, "-s", "silver.events+", "--output", "path"]) == 0
    assert lines(capsys) == ["models/silver/events.sql", "models/gold/daily_sales.sql"]
    assert main(["ls", *d, "--resource-type", "source", "--resource-type", "contract", "-s", "bronze.events"]) == 0
    assert lines(capsys) == ["contract:bronze:shop.events", "contract:source:shop.events", "source:shop.events"]
    assert main(["ls", *d, "--resource-type", "test", "--output", "json", "-s", "silver.events"]) == 0
    tests = [json.loads(line) for line in lines(capsys)]
    assert [(t["name"], t["path"]) for t in tests] == [
        ("silver.events:not_null(event_id)", "contracts/shop/events.silver.yml:6"),
        ("silver.events:unique(event_id)", "contracts/shop/events.silver.yml:6"),
        ("silver.events:accepted_values(kind)", "contracts/shop/events.silver.yml:10")]


def test_manifest_and_state_modified(shop, tmp_path, capsys):
    d = ["--project-dir", str(shop)]
    assert main(["compile", *d]) == 0
    manifest = json.loads((shop / "target" / "manifest.json").read_text())
    assert set(manifest) == {"metadata", "models", "contracts", "domains", "lineage"}
    silver = manifest["models"]["silver.events"]
    assert silver["relation"] == "lake.silver.events" and silver["materialized"] == "merge"
    assert silver["parents"] == ["bronze.events"] and silver["contract"] == "silver:shop.events"
    assert len(silver["sql_hash"]) == 16 and "FROM lake.bronze.events" in silver["compiled_sql"]
    assert manifest["lineage"]["models"]["gold.daily_sales"] == ["silver.events"]
    assert [c["name"] for c in manifest["contracts"]["silver:shop.events"]["columns"]][:2] == ["event_id", "user_id"]
    saved = tmp_path / "prod"
    shutil.copytree(shop / "target", saved)
    capsys.readouterr()
    state = ["--state", str(saved)]
    assert main(["ls", *d, "-s", "state:modified", *state]) == 0
    assert lines(capsys) == []  # nothing changed
    model = shop / "models" / "silver" / "events.sql"
    model.write_text(model.read_text().replace("WHERE event_id IS NOT NULL", "WHERE event_id > 0"))
    assert main(["ls", *d, "-s", "state:modified", *state]) == 0
    assert lines(capsys) == ["silver.events"]
    assert main(["ls", *d, "-s", "state:modified+", *state]) == 0
    assert lines(capsys) == ["silver.events", "gold.daily_sales"]
    contract = shop / "contracts" / "shop" / "events.bronze.yml"  # a contract change modifies its model
    contract.write_text(contract.read_text().replace("Events as delivered", "Events as sent"))
    assert main(["ls", *d, "-s", "state:modified", *state]) == 0
    assert lines(capsys) == ["bronze.events", "silver.events"]


def test_state_errors(shop, tmp_path, capsys):
    assert main(["ls", "--project-dir", str(shop), "-s", "state:modified", "--state", str(tmp_path)]) == 2
    assert f"error: --state: no manifest.json in {tmp_path}" in capsys.readouterr().err
    assert main(["ls", "--project-dir", str(shop), "-s", "state:modified"]) == 2
    assert "needs --state DIR" in capsys.readouterr().err


def test_log_format_json_on_errors_and_output(shop, capsys):
    assert main(["ls", "--project-dir", str(shop), "--log-format", "json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (out[0]["level"], out[0]["command"], out[0]["msg"]) == ("info", "ls", "bronze.events")
    assert main(["--log-format", "json", "ls", "--project-dir", str(shop), "-s", "nope"]) == 2
    err = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert err[0]["level"] == "error" and err[0]["msg"] == "error: --select 'nope' matches no model"


def test_every_command_has_examples_and_log_format():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():  # type: ignore[attr-defined]
        assert command.epilog and command.epilog.startswith("examples:\n  sqlingest"), name
        assert any("--log-format" in a.option_strings for a in command._actions), name


SEED_CONTRACT = """name: ref.countries
layer: seed
columns:
  - {name: code, type: string, nullable: false}
  - {name: rate, type: "decimal(4,2)"}
"""


def test_seed_is_a_ref_and_its_header_is_checked(shop, capsys):
    (shop / "seeds").mkdir()
    (shop / "seeds" / "countries.csv").write_text("code,rate\nUS,1.00\n")
    (shop / "contracts" / "seeds").mkdir()
    (shop / "contracts" / "seeds" / "countries.yml").write_text(SEED_CONTRACT)
    (shop / "models" / "gold" / "rated.sql").write_text(
        "{{ config(materialized='table') }}\nSELECT code, rate FROM {{ ref('countries') }}\n")
    (shop / "contracts" / "shop" / "rated.gold.yml").write_text(
        SEED_CONTRACT.replace("ref.countries", "shop.rated").replace("seed", "gold"))
    d = ["--project-dir", str(shop)]
    assert main(["compile", *d, "-s", "gold.rated"]) == 0
    compiled = (shop / "target" / "compiled" / "gold" / "rated.sql").read_text()
    assert "FROM lake.seed.countries" in compiled
    capsys.readouterr()
    assert main(["ls", *d, "--resource-type", "seed", "--output", "json"]) == 0
    seed = json.loads(capsys.readouterr().out)
    assert (seed["name"], seed["path"], seed["relation"]) == ("countries", "seeds/countries.csv",
                                                              "lake.seed.countries")
    (shop / "models" / "gold" / "rated.sql").write_text(
        "{{ config(materialized='table') }}\nSELECT code, rat FROM {{ ref('countries') }}\n")
    assert main(["compile", *d, "-s", "gold.rated"]) == 2  # checked against the seed's contract
    assert "unknown column 'rat'" in capsys.readouterr().err

    from sqlingest.catalogs import load_catalog
    from sqlingest.commands.seed import seeds_of
    from sqlingest.project import load_project

    project = load_project(shop)
    (shop / "seeds" / "countries.csv").write_text("code,rat\nUS,1.00\n")
    (seed_file,) = seeds_of(project, load_catalog(project.target.catalog, shop, project.state_dir), None)
    with pytest.raises(UserError) as info:
        seed_file.rows()
    assert [e.format() for e in info.value.errors] == [  # type: ignore[attr-defined]
        ("seeds/countries.csv:1:6: column 'rat' is not in the seed's contract\n"
         "  hint: declare it in contracts/seeds/countries.yml (columns: code, rate)"),
        "seeds/countries.csv:1:1: column 'rate' of the contract is missing from the header"]


def test_defer_reads_unselected_parents_from_the_state_relations(shop, tmp_path):
    from sqlingest.plan import plan_project
    from sqlingest.plan.manifest import load_manifest
    from sqlingest.project import load_project

    assert main(["compile", "--project-dir", str(shop)]) == 0
    manifest = load_manifest(shop / "target")
    for model in manifest["models"].values():  # "prod": the same models in other namespaces
        model["relation"] = model["relation"].replace("lake.", "lake.prod_")
    project = load_project(shop)
    plan = plan_project(project, select=["gold.daily_sales"], state=manifest, defer=True)
    assert plan.selected == ["gold.daily_sales"]
    assert plan.deferred == {"bronze.events": "lake.prod_bronze.events", "silver.events": "lake.prod_silver.events"}
    assert "FROM lake.prod_silver.events" in plan.models["gold.daily_sales"].rendered.sql
    assert plan.models["gold.daily_sales"].relation == "lake.gold.daily_sales"  # written to this target
    plain = plan_project(project, select=["gold.daily_sales"], state=manifest)
    assert "FROM lake.silver.events" in plain.models["gold.daily_sales"].rendered.sql and not plain.deferred
    with pytest.raises(UserError, match="--defer needs --state DIR"):
        plan_project(project, select=["gold.daily_sales"], defer=True)


def test_a_misspelt_model_name_gets_a_did_you_mean():
    with pytest.raises(UserError) as err:
        sel(["+silver.b2"])
    assert err.value.hint is not None and err.value.hint.startswith("did you mean 'silver.b'? ")
