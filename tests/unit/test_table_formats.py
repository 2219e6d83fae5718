"""Table formats: each built-in's declared capabilities, the registry (built-ins, entry points), and the rule that
no code outside ``sqlingest/formats`` tests a format by its name."""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from sqlingest.catalogs.capabilities import format_capabilities
from sqlingest.errors import UnsupportedCombination, UserError
from sqlingest.formats import FORMATS, Capabilities, TableFormat, get_format
from sqlingest.formats.delta import Delta
from sqlingest.formats.iceberg import Iceberg
from sqlingest.formats.parquet import Parquet
from sqlingest.plan import plan_project
from sqlingest.project import load_project
from tests.unit.test_compile import CONFIG, FILES

PACKAGE = Path(__file__).resolve().parents[2] / "sqlingest"
BUILTINS = ("iceberg", "delta", "parquet")


# -- capabilities --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls", "have"), [
    ("iceberg", Iceberg, {"create", "append", "overwrite", "merge", "schema_evolution", "time_travel", "commits",
                          "restore", "writes_report_observations", "merge_reports_observations", "partition_overwrite"}),
    ("delta", Delta, {"create", "append", "overwrite", "merge", "schema_evolution", "time_travel", "commits",
                      "restore", "partition_overwrite"}),
    ("parquet", Parquet, {"create", "append", "overwrite", "writes_report_observations",
                          "merge_reports_observations", "partition_overwrite"}),
])
def test_builtin_capabilities(name: str, cls: type[TableFormat], have: set[str]) -> None:
    fmt = get_format(name)
    assert type(fmt) is cls and fmt.name == name and fmt.using == name
    assert fmt.capabilities.names() == have
    assert {c for c in ("merge", "time_travel", "commits", "restore") if fmt.capability(c)} == \
        have & {"merge", "time_travel", "commits", "restore"}
    # what catalogs get from the format: the support-matrix columns only
    assert format_capabilities(name) == have & {"create", "schema_evolution", "append", "overwrite", "merge",
                                                "time_travel"}


def test_formats_without_commits_refuse_commit_metadata_and_cannot_restore() -> None:
    parquet = get_format("parquet")
    with pytest.raises(UnsupportedCombination, match="parquet tables have no commit metadata, so micro-batches"):
        parquet.commit_options("s", 1)
    assert parquet.restore(None, "t", 3) is False  # type: ignore[arg-type]  # no Spark call: nothing to restore
    assert parquet.current_version(None, "t") is None  # type: ignore[arg-type]


def test_commit_options_carry_stream_and_batch() -> None:
    assert get_format("iceberg").commit_options("q1", 7) == {
        "snapshot-property.sqlingest.stream-id": "q1", "snapshot-property.sqlingest.batch-id": "7"}
    assert get_format("delta").commit_options("q1", 7) == {
        "txnAppId": "q1", "txnVersion": "7", "userMetadata": '{"sqlingest_stream": "q1", "sqlingest_batch": 7}'}


def test_get_format_is_one_instance_per_name_and_names_unknown_ones() -> None:
    assert get_format("delta") is get_format("delta")
    with pytest.raises(UserError) as err:
        get_format("hudi")
    assert err.value.message == "unknown table format 'hudi'"
    assert set(BUILTINS) <= set(FORMATS.names())


def test_an_unknown_format_in_the_target_is_refused_where_it_is_written(make_project) -> None:
    config = CONFIG + "targets:\n  dev:\n    catalog: {type: spark_session}\n    format: hudy\n"
    with pytest.raises(UserError) as err:
        load_project(make_project(FILES, config=config))
    assert "unknown table format 'hudy'" in err.value.format()


# -- a third-party format: one module, one entry point ----------------------------------------------------------
HUDI = '''
from sqlingest.formats import Capabilities, TableFormat


class Hudi(TableFormat):
    name = "hudi"
    using = "hudi"
    capabilities = Capabilities(merge=True, time_travel=True)
    catalogs = ("spark_session",)

    def current_version(self, spark, relation):
        return 42
'''


@pytest.fixture
def hudi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A distribution on sys.path whose entry point ``sqlingest.formats: hudi`` is the module above."""
    (tmp_path / "toy_hudi.py").write_text(textwrap.dedent(HUDI))
    info = tmp_path / "toy_hudi-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-hudi\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[sqlingest.formats]\nhudi = toy_hudi:Hudi\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    FORMATS._loaded.pop("hudi", None)
    from sqlingest import formats

    formats._INSTANCES.pop("hudi", None)
    sys.modules.pop("toy_hudi", None)


def test_a_format_registered_through_an_entry_point_plans_models(hudi, make_project) -> None:
    assert "hudi" in FORMATS.names()
    fmt = get_format("hudi")
    assert fmt.name == "hudi" and fmt.capability("merge") and not fmt.capability("commits")
    assert fmt.current_version(None, "t") == 42  # type: ignore[arg-type]
    config = CONFIG + "targets:\n  dev:\n    catalog: {type: spark_session}\n    format: hudi\n"
    plan = plan_project(load_project(make_project(FILES, config=config)))
    silver = plan.models["silver.orders"]
    assert silver.format is fmt and silver.materialization.NAME == "merge"


def test_a_third_party_format_needs_a_catalog_that_holds_it(hudi, make_project) -> None:
    config = CONFIG + "targets:\n  dev:\n    catalog: {type: delta_path, warehouse: wh}\n    format: hudi\n"
    with pytest.raises(UserError, match="catalog type 'delta_path' cannot hold hudi tables"):
        plan_project(load_project(make_project(FILES, config=config)))


def test_a_plugin_that_is_not_a_table_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FORMATS._loaded, "bogus", object)
    with pytest.raises(UserError, match="table format 'bogus' is not a sqlingest.formats.TableFormat subclass"):
        get_format("bogus")


def test_capabilities_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Capabilities().merge = True  # type: ignore[misc]


# -- no format-name tests outside sqlingest/formats -----------------------------------------------------------------
def format_name_tests(source: str, names: tuple[str, ...] = BUILTINS) -> list[int]:
    """Lines where ``source`` compares something with a format name (``== "delta"``, ``in ("iceberg", …)``) or
    matches on one (``case "delta":``)."""

    def named(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in names
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(named(e) for e in node.elts)
        return False

    lines = []
    for node in ast.walk(ast.parse(source)):
        compared = [node.left, *node.comparators] if isinstance(node, ast.Compare) else \
            [node.value] if isinstance(node, ast.MatchValue) else []
        if any(named(n) for n in compared):
            lines.append(node.lineno)
    return lines


def test_the_detector_finds_format_name_tests() -> None:
    assert format_name_tests('if fmt == "delta":\n    pass\nx = fmt in ("iceberg", "x")\n') == [1, 3]
    assert format_name_tests('match f:\n    case "parquet":\n        pass\n') == [2]
    assert format_name_tests('FORMATS = ("delta", "parquet")\ny = {"iceberg": 1}\nz = fmt.capability("merge")\n') \
        == []


def test_no_format_name_test_outside_the_formats_package() -> None:
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}"
             for path in sorted(PACKAGE.rglob("*.py")) if "formats" not in path.relative_to(PACKAGE).parts[:1]
             for line in format_name_tests(path.read_text(encoding="utf-8"))]
    assert found == [], "test a capability or call a TableFormat method instead: " + ", ".join(found)
