"""The check contract end to end, generated from the support table (sqlingest/checks/support.py): every check type
× supported action × threshold (none, count, percent) × outcome (pass, warn, fail, error), on Iceberg and Delta.

Cheap by construction: ONE build per format over one project whose models each hold the cells of one kind of
outcome (cells that do not interact share a model: checks are named, results are per check), then `test` and
`replay` on the same tables. Asserted per cell: the run record's outcome, the printed line; per model: table
contents, quarantine contents and reasons, rows in = published + quarantined + dropped, status; the exit code.
(A model named ``drop`` breaks Delta's ``DESCRIBE HISTORY <relation>``: relations are not quoted; hence
``dropped``.) Not covered here: `anomaly` (needs run history: test_quality_actions.py) and `decodable` (Kafka's quarantine mode:
test_sources_kafka.py)."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from dataclasses import dataclass

import pytest

from sqlingest.checks.support import SUPPORT
from sqlingest.cli import main
from tests.conftest import write_files

pytestmark = pytest.mark.slow

#: 10 rows; each check type's failing data is one row of its own column (unique: the pair ids 2 and 3)
DATA = ("id,nn,dup,st,qty,code,name,ref_id,e,ts\n"
        "1,,1,ok,1,ab,abc,1,1,2001-01-01 00:00:00\n"
        "2,x,7,ok,1,ab,abc,1,1,2001-01-01 00:00:00\n"
        "3,x,7,ok,1,ab,abc,1,1,2001-01-01 00:00:00\n"
        "4,x,4,bad,1,ab,abc,1,1,2001-01-01 00:00:00\n"
        "5,x,5,ok,-1,ab,abc,1,1,2001-01-01 00:00:00\n"
        "6,x,6,ok,1,X1,abc,1,1,2001-01-01 00:00:00\n"
        "7,x,8,ok,1,ab,toolong,1,1,2001-01-01 00:00:00\n"
        "8,x,9,ok,1,ab,abc,99,1,2001-01-01 00:00:00\n"
        "9,x,10,ok,1,ab,abc,1,0,2001-01-01 00:00:00\n"
        "10,x,11,ok,1,ab,abc,1,1,2001-01-01 00:00:00\n")
COLUMNS = [("id", "bigint"), ("nn", "string"), ("dup", "bigint"), ("st", "string"), ("qty", "int"),
           ("code", "string"), ("name", "string"), ("ref_id", "bigint"), ("e", "int"), ("ts", "timestamp")]
#: the failing check of each type (fails on exactly one row, unique on two) and the id of the row(s)
FAILING = {
    "not_null": ("type: not_null, column: nn", [1]),
    "unique": ("type: unique, column: dup", [2, 3]),
    "primary_key": ("type: primary_key, columns: [dup]", [2, 3]),
    "accepted_values": ("type: accepted_values, column: st, values: [ok]", [4]),
    "range": ("type: range, column: qty, min: 0", [5]),
    "regex": ("type: regex, column: code, pattern: '^[a-z]+$'", [6]),
    "length": ("type: length, column: name, max: 5", [7]),
    "relationships": ("type: relationships, column: ref_id, to: 'gold:m.ref', field: id", [8]),
    "expression": ("type: expression, expression: 'e > 0'", [9]),
    "row_count": ("type: row_count, min: 11", []),
    "freshness": ("type: freshness, column: ts, max: 1d", []),
    "sql_metric": ("type: sql_metric, query: 'SELECT COUNT(*) FROM {table} WHERE qty < 0', max: 0", []),
    "sodacl": ("type: sodacl, sodacl: {'min(qty) >= 0': {}}", []),
}
#: a passing form of the types without a threshold
PASSING = {
    "row_count": "type: row_count, min: 1",
    "freshness": "type: freshness, column: fresh, max: 1d",
    "sql_metric": "type: sql_metric, query: 'SELECT COUNT(*) FROM {table} WHERE qty < 0', max: 1",
    "sodacl": "type: sodacl, sodacl: {'max(qty) < 5': {}}",
}
MISSING = "lake.nowhere_" + uuid.uuid4().hex[:6] + ".missing"


@dataclass(frozen=True)
class Cell:
    model: str
    type: str
    action: str
    threshold: str | None
    outcome: str
    body: str

    @property
    def name(self) -> str:
        t = {None: "none", "0": "n0", "1": "n1", "3": "n3", "5%": "p5", "20%": "p20", "50%": "p50"}[self.threshold]
        return f"{self.model}_{self.type}_{self.action}_{t}_{self.outcome}"

    @property
    def yaml(self) -> str:
        threshold = f", threshold: '{self.threshold}'" if self.threshold else ""
        return f"  - {{{self.body}, name: {self.name}, action: {self.action}{threshold}}}\n"


def cells() -> list[Cell]:
    """The matrix, generated from the support table: for each type and action it supports, the thresholds
    (none, a count, a percentage: those it takes) with the outcome each gives on DATA."""
    out: list[Cell] = []
    rotate = [None, "3", "20%"]
    for i, (kind, (body, _)) in enumerate(FAILING.items()):
        s = SUPPORT[kind]
        if s.threshold:
            out += [Cell("observe", kind, "fail", "1", "pass", body) if kind not in ("unique", "primary_key")
                    else Cell("observe", kind, "fail", "50%", "pass", body),
                    Cell("observe", kind, "warn", None, "warn", body),
                    Cell("observe", kind, "warn", "50%", "pass", body),
                    Cell("observe", kind, "warn", "0", "warn", body),
                    Cell("fail_all", kind, "fail", None, "fail", body),
                    Cell("fail_all", kind, "fail", "5%", "fail", body)]
        else:
            out += [Cell("observe", kind, "fail", None, "pass", PASSING[kind]),
                    Cell("observe", kind, "warn", None, "warn", body),
                    Cell("fail_all", kind, "fail", None, "fail", body)]
        if "quarantine" in s.actions:
            out += [Cell("quarantine", kind, "quarantine", rotate[i % 3], "warn", body),
                    Cell("dropped", kind, "drop", rotate[(i + 1) % 3], "warn", body),
                    Cell("over", kind, "quarantine" if i % 2 else "drop", "5%", "fail", body)]
    out += [Cell("error", "sql_metric", "fail", None, "error",
                 f"type: sql_metric, query: 'SELECT COUNT(*) FROM {MISSING}', max: 0"),
            Cell("error", "sodacl", "fail", None, "error", "type: sodacl, sodacl: {'no_such_metric(qty) > 0': {}}"),
            Cell("error", "accepted_values", "quarantine", None, "warn", FAILING["accepted_values"][0]),
            Cell("relaxed", "sql_metric", "fail", None, "warn",
                 f"type: sql_metric, query: 'SELECT COUNT(*) FROM {MISSING}', max: 0, on_error: warn"),
            Cell("relaxed", "sodacl", "warn", None, "warn",
                 "type: sodacl, severity: warn, sodacl: {'no_such_metric(qty) > 0': {}}"),
            Cell("broken_write", "accepted_values", "quarantine", None, "-", FAILING["accepted_values"][0]),
            Cell("broken_write", "expression", "fail", None, "-", "type: expression, expression: 'no_such_fn(e) > 0'")]
    return out


CELLS = cells()
MODELS = sorted({c.model for c in CELLS})


def files() -> dict[str, str]:
    cols = "".join(f"  - {{name: {n}, type: {t}}}\n" for n, t in COLUMNS)
    out = {
        "contracts/m/src.source.yml": f"name: m.src\nlayer: source\nsource: {{format: csv, path: data/*.csv}}\n"
                                      f"columns:\n{cols}",
        "contracts/m/ref.gold.yml": "name: m.ref\nlayer: gold\ncolumns:\n  - {name: id, type: bigint}\n",
        "models/gold/ref.sql": "{{ config(materialized='append') }}\n"
                               "SELECT CAST(id AS BIGINT) AS id FROM VALUES (1), (2), (3) AS t(id)\n",
        "data/a.csv": DATA,
    }
    for model in MODELS:
        checks = "".join(c.yaml for c in CELLS if c.model == model)
        out[f"contracts/m/{model}.gold.yml"] = (f"name: m.{model}\nlayer: gold\ncolumns:\n{cols}"
                                               f"  - {{name: fresh, type: timestamp}}\nchecks:\n{checks}")
        out[f"models/gold/{model}.sql"] = ("{{ config(materialized='append') }}\n"
                                           f"SELECT {', '.join(n for n, _ in COLUMNS)}, current_timestamp() AS fresh "
                                           "FROM {{ source('m', 'src') }}\n")
    return out


@dataclass
class Built:
    root: object
    spark: object
    catalog: str
    namespace: str
    code: int
    out: str
    record: dict

    def relation(self, model: str) -> str:
        return f"{self.catalog}.{self.namespace}.{model}"

    def ids(self, model: str) -> list[int]:
        return sorted(r[0] for r in self.spark.table(self.relation(model)).select("id").collect())

    def quarantine(self, model: str, run_id: str | None = None) -> dict[int, list[str]]:
        rel = self.relation(model) + "__quarantine"
        if not self.spark.catalog.tableExists(rel):
            return {}
        rows = self.spark.table(rel).collect()
        return {json.loads(r["_row"])["id"]: sorted(r["_failed_checks"]) for r in rows
                if run_id is None or r["_run_id"] == run_id}


def runs(root) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / ".sqlingest" / "runs").glob("*.json"))]


@pytest.fixture(scope="module", params=["iceberg", "delta"])
def built(request, lakehouse, tmp_path_factory):
    fmt = request.param
    catalog = "spark_session" if fmt == "delta" else "iceberg_jdbc"
    uid = uuid.uuid4().hex[:8]
    config = (f"name: t\nlayers:\n  gold: {{namespace: g_{uid}}}\n"
              f"targets:\n  dev:\n{lakehouse.target(format=fmt, catalog=catalog)}")
    root = write_files(tmp_path_factory.mktemp(f"matrix_{fmt}"), {"sqlingest.yml": config, **files()})
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["build", "--project-dir", str(root)])
    return Built(root, lakehouse.spark, "spark_catalog" if fmt == "delta" else "lake", f"g_{uid}", code,
                 buffer.getvalue(), runs(root)[-1])


def by_model(record: dict) -> dict[str, dict]:
    return {m["name"].split(".", 1)[1]: m for m in record["models"]}


def test_build_outcomes_exit_code_and_printed_lines(built):
    assert built.code == 1, built.out
    models = by_model(built.record)
    for cell in CELLS:
        if cell.model == "broken_write":
            continue
        checks = {c["name"]: c for c in models[cell.model]["checks"]}
        result = checks[cell.name]
        assert result["outcome"] == cell.outcome, (cell, result)
        assert result["failed"] is (cell.outcome in ("fail", "error")), (cell, result)
        printed = f"{cell.outcome} {cell.name}: "
        assert (printed in built.out) is (cell.outcome != "pass"), (printed, built.out)
        if cell.outcome in ("error", "warn") and cell.model in ("error", "relaxed") and cell.type != "accepted_values":
            assert "could not be evaluated" in result["message"], result
    status = {name: m["status"] for name, m in models.items()}
    assert status == {"ref": "success", "observe": "warn", "fail_all": "error", "quarantine": "warn",
                      "dropped": "warn", "over": "error", "error": "error", "relaxed": "warn",
                      "broken_write": "error"}, status
    assert "could not be evaluated" in models["error"]["error"] and MISSING.split(".")[1] in models["error"]["error"]
    assert "no_such_fn" in models["broken_write"]["error"].lower() or "NO_SUCH_FN" in models["broken_write"]["error"]


def test_build_table_and_quarantine_contents(built):
    run_id = built.record["run_id"]
    models = by_model(built.record)
    everything = list(range(1, 11))
    set_aside = sorted({i for c in CELLS if c.model == "quarantine" for i in FAILING[c.type][1]})
    assert set_aside == list(range(1, 10))
    assert built.ids("observe") == everything and built.ids("relaxed") == everything
    # failing and erroring models: restored to the version before the run (empty), their quarantine taken back
    for model in ("fail_all", "over", "error", "broken_write"):
        assert built.ids(model) == [], model
        assert built.quarantine(model, run_id) == {}, model
    # quarantine: every failing row of every identifying type set aside, with its reason; id 10 published
    assert built.ids("quarantine") == [10]
    reasons = built.quarantine("quarantine", run_id)
    named = {c.type: c.name for c in CELLS if c.model == "quarantine"}
    assert reasons == {
        1: [named["not_null"]], 2: [f"{named['unique']}: dup=7 appears 2 times"],
        3: [f"{named['unique']}: dup=7 appears 2 times"], 4: [named["accepted_values"]], 5: [named["range"]],
        6: [named["regex"]], 7: [named["length"]],
        8: [f"{named['relationships']}: ref_id=99 not in gold:m.ref.id"], 9: [named["expression"]]}, reasons
    assert built.ids("dropped") == [10] and built.quarantine("dropped") == {}
    for model, (rows_in, written, quarantined, dropped) in {
            "observe": (10, 10, 0, 0), "quarantine": (10, 1, 9, 0), "dropped": (10, 1, 0, 9),
            "relaxed": (10, 10, 0, 0)}.items():
        m = models[model]
        assert (m["rows_in"], m["rows_written"], m["rows_quarantined"], m["rows_dropped"]) == \
            (rows_in, written, quarantined, dropped), (model, m)
    q_checks = {c["name"]: c for c in models["quarantine"]["checks"]}
    assert q_checks[named["unique"]]["value"] == 2 and q_checks[named["relationships"]]["value"] == 1


def test_test_agrees_with_build_and_replay_with_quarantine(built, capsys):
    """`sqlingest test` on the built tables gives build's outcome for every check judging the table; the rows a
    build set aside are not in the table, so its quarantine checks pass there. `replay` re-runs them with the same
    verdicts until the cause is fixed, then publishes them once."""
    root, build = built.root, by_model(built.record)
    selected = [a for m in ("observe", "relaxed", "error", "quarantine") for a in ("--select", f"gold.{m}")]
    assert main(["test", "--project-dir", str(root), *selected]) == 1
    tested = by_model(runs(root)[-1])
    for model in ("observe", "relaxed", "error"):
        for check in build[model]["checks"]:
            if check["action"] in ("quarantine", "drop"):
                continue
            again = {c["name"]: c for c in tested[model]["checks"]}[check["name"]]
            same = ("outcome",) if check["type"] == "freshness" else ("outcome", "value")  # an age moves on
            assert [again[k] for k in same] == [check[k] for k in same], (check, again)
    assert {c["outcome"] for c in tested["quarantine"]["checks"]} == {"pass"}, tested["quarantine"]["checks"]
    # replay with nothing fixed: every row stays, each check's verdict as in the build
    assert main(["replay", "--project-dir", str(root), "gold.quarantine"]) == 0
    replayed = runs(root)[-1]["models"][0]
    assert replayed["status"] == "warn"
    # the same verdicts; counts are the same rows, a share is of the rows replayed (9, not 10)
    assert {c["name"]: (c["outcome"], c["value"] if isinstance(c["value"], int) else None)
            for c in replayed["checks"]} == \
        {c["name"]: (c["outcome"], c["value"] if isinstance(c["value"], int) else None)
         for c in build["quarantine"]["checks"]}
    assert sorted(built.quarantine("quarantine")) == list(range(1, 10)) and built.ids("quarantine") == [10]
    # the fix: the referenced table gains the missing key; the orphan is published, the others stay
    built.spark.sql(f"INSERT INTO {built.relation('ref')} VALUES (99)")
    assert main(["replay", "--project-dir", str(root), "gold.quarantine"]) == 0
    assert built.ids("quarantine") == [8, 10]
    assert sorted(built.quarantine("quarantine")) == [1, 2, 3, 4, 5, 6, 7, 9]
    assert main(["replay", "--project-dir", str(root), "gold.quarantine"]) == 0
    assert built.ids("quarantine") == [8, 10]
    capsys.readouterr()
