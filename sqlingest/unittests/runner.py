"""Running model unit tests: the model's real compiled SQL over the given rows, and its real materialization.

Each test renders its model again with ``ref()`` pointing at temporary views of the given rows (every column the
input's contract declares, the ones the test leaves out as typed NULLs) and ``source()`` at the views the runner
reads sources into; ``vars`` and ``is_incremental()`` are the test's. The rows are staged and conformed exactly as
a build stages them (:func:`sqlingest.execute.stage.conform`) and written by :func:`sqlingest.execute.publish.publish`
— the same fused row checks, quarantine and MERGE/SCD2 statements — into a **throwaway Delta table addressed by
path** in a temporary folder (a MERGE needs a table, a temporary view cannot be merged into). Its ``this`` rows
are inserted first. No catalog table is created, nothing is written under the project's warehouse, and the folder
is removed after the test (``tests/integration/test_unit_tests.py`` checks both).

Delta by path is always available (the session always loads Delta's catalog) and needs no catalog or metastore;
the statements are the same templates every format runs, so a unit test checks the model's logic, not the target
format's file layout.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import ExecutionError, Location, UserError
from sqlingest.project.config import CatalogConfig
from sqlingest.project.layers import QUARANTINE_COLUMNS, RESCUE_COLUMN, SOURCE_FILE_COLUMN, quarantine_relation
from sqlingest.render import Renderer, source_view
from sqlingest.sql import quote_identifier as quote
from sqlingest.sql import string_literal, type_sql
from sqlingest.unittests.spec import Expect, UnitTest
from sqlingest.validate import contract_schema

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sqlingest.plan import Plan, PlannedModel
    from sqlingest.project import Project


@dataclass
class UnitResult:
    test: UnitTest
    passed: bool
    seconds: float
    #: the readable diff / error of a failing test
    message: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)


def view_name(model: str) -> str:
    """The temporary view a ``ref()``'d model's given rows are in."""
    return "__unit__" + model.replace(".", "__")


class UnitRunner:
    """Runs unit tests of one compiled plan on one session (one JVM for all of them)."""

    def __init__(self, plan: Plan, spark: SparkSession) -> None:
        from sqlingest.catalogs.paths import DeltaPathCatalog

        self.plan = plan
        self.project: Project = plan.project
        self.spark = spark
        self.folder = Path(tempfile.mkdtemp(prefix="sqlingest-unit-"))
        self.catalog = DeltaPathCatalog(CatalogConfig.model_validate(
            {"type": "delta_path", "name": "unit", "warehouse": str(self.folder)}),
                                        self.project.root, self.project.state_dir)
        self.relations: dict[str, str] = {}
        self.renderer = Renderer(self.project, lambda n: self.relations.get(n) or view_name(n), run_id="unit")
        self._count = 0

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> UnitRunner:  # noqa: PYI034 — a final class in practice
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one test ----------------------------------------------------------------------------------
    def run(self, test: UnitTest) -> UnitResult:
        started = time.perf_counter()
        try:
            rows, message = self._run(test)
        finally:
            for view in self.spark.catalog.listTables():
                if view.isTemporary and (view.name.startswith("__unit__") or view.name.startswith("source__")):
                    self.spark.catalog.dropTempView(view.name)
        return UnitResult(test, not message, time.perf_counter() - started, message, rows)

    def run_model(self, model: str, inputs: dict[str, list[dict[str, Any]]] | None = None,
                  existing: list[dict[str, Any]] | None = None, vars: dict[str, Any] | None = None) \
            -> list[dict[str, Any]]:
        """The rows ``model``'s table holds after one write over ``inputs`` (``ref`` name or ``domain.name`` of a
        source → rows) on top of ``existing`` rows (for Python tests: the pytest plugin's ``run_model``)."""
        from sqlingest.unittests.spec import UnitTestSpec

        given = [{"input": (f"source('{k.split('.', 1)[0]}', '{k.split('.', 1)[1]}')" if k not in self.project.models
                            and self.project.source(*k.split(".", 1)) is not None else f"ref('{k}')"),
                  "rows": v} for k, v in (inputs or {}).items()]
        data: dict[str, Any] = {"name": "run_model", "model": model, "given": given, "vars": vars or {},
                                "expect": {}}
        if existing is not None:
            data["this"] = {"rows": existing}
        spec = UnitTestSpec.model_validate(data)
        test = UnitTest(spec, model, Location("<run_model>"), data, self.project.root)  # type: ignore[arg-type]
        result = self.run(test)
        if result.message:
            raise AssertionError(result.message)
        return result.rows

    def _run(self, test: UnitTest) -> tuple[list[dict[str, Any]], str]:
        from sqlingest.execute.context import RunContext, Staged
        from sqlingest.execute.ddl import ensure_table
        from sqlingest.execute.publish import publish
        from sqlingest.execute.stage import conform
        from sqlingest.formats import get_format
        from sqlingest.runs import ModelResult, RunRecord

        pm0 = self.plan.models.get(test.model)
        if pm0 is None:
            raise UserError(f"unit test '{test.name}': model {test.model} is not compiled (disabled?)",
                            location=test.location)
        if pm0.materialization.STREAMING:
            raise UserError(f"unit test '{test.name}': streaming models cannot be unit tested",
                            location=test.location, hint="test the query with a model that reads the same input")
        spec = test.spec
        self._count += 1
        relation = self.catalog.relation(pm0.namespace, f"{pm0.table}_{self._count}")
        self.relations = {test.model: relation}
        has_this = spec.this is not None
        incremental = spec.is_incremental if spec.is_incremental is not None else \
            (has_this and pm0.materialization.INCREMENTAL)
        rendered = self._render(test, pm0, incremental)
        rendered.relation = relation
        pm = dataclasses.replace(pm0, validated=dataclasses.replace(pm0.validated, rendered=rendered),
                                 relation=relation, format=get_format("delta"), table=f"{pm0.table}_{self._count}")
        self._input_views(test, rendered)
        record = RunRecord("unit", "unit", self.project.target_name, datetime.now().isoformat())
        ctx = RunContext(dataclasses.replace(self.plan, catalog=self.catalog), self.spark, record)
        expect = spec.expect
        result = ModelResult(pm.name, relation, pm.materialization.NAME)
        published_order: list[dict[str, Any]] = []
        quarantined: DataFrame | None = None
        self._rows: list[dict[str, Any]] | None = None
        try:
            if pm.materialization.STAGED and not _replaces_rows(pm):
                # the table first (the model's SQL may read `this`), with the contract's DDL, then its `this` rows
                probe = None
                if pm.table_schema() is None:  # no contract: the table has the query's columns
                    probe = conform(ctx, pm, self.spark.sql(self._render(test, pm0, False).sql))
                ensure_table(ctx, pm, probe, False)  # type: ignore[arg-type]  # only read without a contract
                if has_this:
                    assert spec.this is not None
                    existing = test.rows(spec.this, "this")
                    table = self.spark.table(relation)
                    schema = [(f.name, f.dataType.simpleString()) for f in table.schema.fields]
                    typed_frame(self.spark, existing, schema, test.where("this"), what="this") \
                        .createOrReplaceTempView("__unit__this")
                    self.spark.sql(f"INSERT INTO {relation} SELECT * FROM __unit__this")
            query = self.spark.sql(rendered.sql)
            if not pm.materialization.STAGED:  # a view: its query is its content
                actual = query
            else:
                from sqlingest.execute.bad_inputs import length_checks

                frame = conform(ctx, pm, query)
                staged = Staged(frame, list(frame.columns), checks=length_checks(pm.contract))
                if expect.ordered:
                    published_order = rows_of(frame)
                if _replaces_rows(pm):
                    actual, quarantined = self._table_rows(ctx, pm, staged, result)
                else:
                    publish(ctx, pm, staged, rendered.sql, result)
                    actual = self.spark.table(relation)
        except UserError:
            raise  # the test itself is wrong (located): not a failure of the model
        except ExecutionError as exc:  # the model failed: a check, a NULL business key, the contract
            return [], self._error(test, exc.message)
        except Exception as exc:
            from sqlingest.execute.errors import root_cause

            if not type(exc).__module__.startswith(("pyspark", "py4j")):
                raise
            return [], self._error(test, root_cause(exc))  # Spark's errors (a failed cast, raise_error, …)
        if expect.error is not None:
            return [], f"expected the model to fail with an error containing {expect.error!r}, but it succeeded"
        problems: list[str] = []
        out_rows = self._rows if self._rows is not None else rows_of(actual)
        if expect.rows is not None or expect.fixture is not None:
            expected = test.rows(expect, "expect")
            problems += compare(self.spark, expected, published_order if expect.ordered else out_rows,
                                actual, keys=self._keys(pm), where=test.where("expect"), ordered=expect.ordered,
                                what="rows")
        if expect.quarantined is not None:
            problems += self._quarantined(test, expect, relation, actual, pm, quarantined)
        if expect.dropped is not None and (result.rows_dropped or 0) != expect.dropped:
            problems.append(f"dropped: expected {expect.dropped} row(s), {result.rows_dropped or 0} were dropped")
        if expect.checks is not None:
            outcomes = {c.name: c.outcome for c in result.checks}
            for label, outcome in expect.checks.items():
                if label not in outcomes:
                    raise UserError(f"unit test '{test.name}': no row check '{label}' on {test.model}",
                                    location=test.where("expect", "checks", label),
                                    hint=f"its row checks: {', '.join(outcomes) or '(none)'}")
                if outcomes[label] != outcome:
                    problems.append(f"check {label}: expected {outcome}, got {outcomes[label]}")
        return out_rows, "\n".join(problems)

    def _render(self, test: UnitTest, pm: PlannedModel, incremental: bool) -> Any:
        """``pm``'s model rendered with the test's ``vars``, its refs pointing at the given rows' views."""
        saved = self.project.vars
        self.project.vars = {**saved, **test.spec.vars}
        try:
            return self.renderer.render(pm.rendered.model, incremental=incremental)
        finally:
            self.project.vars = saved

    def _error(self, test: UnitTest, message: str) -> str:
        wanted = test.spec.expect.error
        if wanted is not None and wanted in message:
            return ""
        if wanted is not None:
            return f"expected an error containing {wanted!r}, got: {message}"
        return f"the model failed: {message}"

    def _keys(self, pm: PlannedModel) -> list[str]:
        keys = list(pm.unique_key)
        if keys and pm.materialization.KEY_MODE == "versions":
            keys.append("valid_from")
        return keys

    def _table_rows(self, ctx: Any, pm: PlannedModel, staged: Any, result: Any) -> tuple[DataFrame, DataFrame]:
        """A ``table`` model's rows without writing them: its write replaces the table with the published staged
        rows (``templates/table.sql``: one INSERT OVERWRITE of the stage), so they are the table's rows. The row
        checks are fused exactly as :func:`~sqlingest.execute.publish.publish` fuses them. Returns (published rows,
        quarantined rows in the quarantine table's shape)."""
        from sqlingest.checks.fused import PUBLISHED, fuse, observed
        from sqlingest.execute import quarantine
        from sqlingest.execute.publish import record_counts

        row_checks = ctx.row_checks(pm, staged.checks)
        fused = fuse(staged.frame, staged.columns, row_checks, persist=True)
        cols = [quote(c) for c in staged.columns]
        published = (fused.frame.where(PUBLISHED) if row_checks else fused.frame).selectExpr(*cols)
        rows = published.collect()  # the action that fills the observation
        record_counts(result, observed(fused.observation.get, row_checks))
        if result.rows_quarantined:
            set_aside = quarantine.rows(ctx, fused.frame, staged.columns, row_checks).localCheckpoint()
        else:
            set_aside = typed_frame(self.spark, [], [(n, t) for n, t in QUARANTINE_SHAPE], Location("<unit>"),
                                    what="quarantine")
        fused.frame.unpersist()
        self._rows = [{k: _plain(v) for k, v in r.asDict().items()} for r in rows]
        return published.limit(0), set_aside

    def _quarantined(self, test: UnitTest, expect: Expect, relation: str, actual: DataFrame,
                     pm: PlannedModel, table: DataFrame | None) -> list[str]:
        from pyspark.sql import functions as F

        extra = {n for n, _ in pm.materialization.EXTRA_COLUMNS}
        fields = [(f.name, f.dataType.simpleString()) for f in actual.schema.fields if f.name not in extra]
        staged = ", ".join(f"{quote(n)}: {t}" for n, t in fields)
        q = quarantine_relation(relation)
        if table is not None or _exists(self.spark, q):
            frame = (table if table is not None else self.spark.table(q)).select(F.from_json("_row", f"STRUCT<{staged}>").alias("r"),
                                               "_failed_checks").select("r.*", "_failed_checks")
        else:
            frame = typed_frame(self.spark, [], [*fields, ("_failed_checks", "array<string>")], test.location,
                                what="quarantine")
        expected = [dict(r) for r in (expect.quarantined or [])]
        return compare(self.spark, expected, rows_of(frame), frame, keys=list(pm.unique_key),
                       where=test.where("expect", "quarantined"), ordered=False, what="quarantined")

    # -- inputs ------------------------------------------------------------------------------------
    def _input_views(self, test: UnitTest, rendered: Any) -> None:
        given: dict[tuple[str, str], tuple[list[dict[str, Any]], Location]] = {}
        for kind, name, rows, where in test.inputs():
            given[(kind, name)] = (rows, where)
        used = {("ref", r) for r in rendered.refs} | {("source", s.name) for s in rendered.sources}
        for key, (_, where) in given.items():
            if key not in used:
                known = ", ".join(sorted(f"{k}('{n}')" for k, n in used)) or "(none)"
                raise UserError(f"unit test '{test.name}': {test.model} does not read {key[0]}('{key[1]}')",
                                location=where, hint=f"it reads: {known}")
        for ref in rendered.refs:
            rows, where = given.get(("ref", ref), ([], test.location))
            typed_frame(self.spark, rows, self._ref_schema(ref), where, what=f"ref('{ref}')") \
                .createOrReplaceTempView(view_name(ref))
        for contract in rendered.sources:
            rows, where = given.get(("source", contract.name), ([], test.location))
            schema = contract_schema(contract)  # what a reader returns: declared columns, rescue, source file
            schema += [(n, "string") for n in (RESCUE_COLUMN, SOURCE_FILE_COLUMN) if n not in dict(schema)]
            typed_frame(self.spark, rows, schema, where, what=f"source('{contract.domain}', '{contract.dataset}')") \
                .createOrReplaceTempView(source_view(contract.domain, contract.dataset))

    def _ref_schema(self, ref: str) -> list[tuple[str, str]]:
        """The columns a ``ref``'d model's table has (contract, audit and materialization columns)."""
        upstream = self.plan.models.get(ref)
        if upstream is not None:
            schema = upstream.table_schema()
            if schema is not None:
                return schema
            return [(n, t or "string") for n, t, _ in upstream.validated.schema] + \
                [(n, t) for n, t in upstream.materialization.EXTRA_COLUMNS]
        for contract in self.project.contracts.values():  # a seed
            if contract.layer == "seed" and ref == f"seed.{contract.dataset}":
                return contract_schema(contract)
        raise UserError(f"ref('{ref}'): no compiled model or seed")


#: the quarantine table's columns (``sqlingest.project.layers.QUARANTINE_COLUMNS``)
QUARANTINE_SHAPE = QUARANTINE_COLUMNS


def _replaces_rows(pm: PlannedModel) -> bool:
    """Whether ``pm``'s write replaces the table with its published staged rows as they are (``table``): its result
    is known without a table."""
    m = pm.materialization
    return m.STAGED and m.PLAIN_INSERT and not m.INCREMENTAL and m.KEY_MODE is None


def _exists(spark: SparkSession, relation: str) -> bool:
    return bool(spark.catalog.tableExists(relation))


# -- typed rows --------------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _complex(dtype: str) -> bool:
    return dtype.startswith(("struct", "array", "map"))


def typed_frame(spark: SparkSession, rows: list[dict[str, Any]], schema: list[tuple[str, str]], where: Location,
                *, what: str) -> DataFrame:
    """``rows`` as a DataFrame with exactly ``schema``'s columns and types; a column a row leaves out is NULL.

    Raises:
        UserError: a row names a column ``schema`` does not have (located, with a did-you-mean).
    """
    names = [n for n, _ in schema]
    for row in rows:
        for key in row:
            if key not in names:
                import difflib

                close = difflib.get_close_matches(str(key), names, n=1)
                raise UserError(f"{what} has no column '{key}'", location=getattr(row, "key_locations", {}).get(
                    str(key), where), hint=f"did you mean '{close[0]}'?" if close else f"columns: {', '.join(names)}")
    # one SQL VALUES list of text literals, cast to the types: a local relation, no Python worker
    def lit(value: str | None) -> str:
        return "CAST(NULL AS STRING)" if value is None else string_literal(value)

    cols = ", ".join(f"c{i}" for i in range(len(names))) or "c0"
    values = ", ".join("(" + ", ".join(lit(_text(r.get(n))) for n in names) + ")" for r in rows) \
        if rows and names else "(" + ", ".join(["CAST(NULL AS STRING)"] * max(len(names), 1)) + ")"
    select = ", ".join(
        (f"from_json(c{i}, {string_literal(dtype)})" if _complex(dtype) else f"CAST(c{i} AS {type_sql(dtype)})")
        + f" AS {quote(name)}" for i, (name, dtype) in enumerate(schema))
    empty = "" if rows else " WHERE false"
    return spark.sql(f"SELECT {select} FROM VALUES {values} AS __unit_rows({cols}){empty}")


def _plain(value: Any) -> Any:
    from pyspark.sql import Row

    if isinstance(value, Row):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def rows_of(frame: DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r.asDict().items()} for r in frame.collect()]


def _canon(row: dict[str, Any], columns: list[str]) -> str:
    return json.dumps([row.get(c) for c in columns], default=_json_default)


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"D{value.normalize()}"
    return repr(value)


def _show(value: Any) -> str:
    if isinstance(value, Decimal | datetime | date):
        return str(value)
    return repr(value) if isinstance(value, str) else json.dumps(value, default=str)


def _row_text(row: dict[str, Any], columns: list[str]) -> str:
    return "{" + ", ".join(f"{c}: {_show(row.get(c))}" for c in columns) + "}"


def compare(spark: SparkSession, expected_raw: list[dict[str, Any]], actual_rows: list[dict[str, Any]],
            actual: DataFrame, *, keys: list[str], where: Location, ordered: bool, what: str) -> list[str]:
    """The differences between expected rows (typed by ``actual``'s schema, over the columns they name) and the
    actual rows: missing, unexpected, and — by key, when the expected rows carry the key — changed rows."""
    types = {f.name: f.dataType.simpleString() for f in actual.schema.fields}
    columns: list[str] = []
    for row in expected_raw:
        for key in row:
            if key not in types:
                import difflib

                close = difflib.get_close_matches(str(key), list(types), n=1)
                raise UserError(f"expected {what} name column '{key}', which the output does not have",
                                location=getattr(row, "key_locations", {}).get(str(key), where),
                                hint=f"did you mean '{close[0]}'?" if close else f"columns: {', '.join(types)}")
            if key not in columns:
                columns.append(key)
    if not columns:  # `rows: []`: the output must be empty
        columns = list(types)
    expected = rows_of(typed_frame(spark, expected_raw, [(c, types[c]) for c in columns], where,
                                   what=f"expected {what}")) if expected_raw else []
    if ordered:
        exp_c = [_canon(r, columns) for r in expected]
        act_c = [_canon(r, columns) for r in actual_rows]
        if exp_c == act_c:
            return []
        out = [f"{what} (in order) differ:"]
        for i in range(max(len(expected), len(actual_rows))):
            want = _row_text(expected[i], columns) if i < len(expected) else "(none)"
            got = _row_text(actual_rows[i], columns) if i < len(actual_rows) else "(none)"
            out.append(f"  ≠ #{i + 1} expected {want}\n        got      {got}" if want != got
                       else f"    #{i + 1} {want}")
        return ["\n".join(out)]
    by_canon: dict[str, dict[str, Any]] = {}
    exp: Counter[str] = Counter()
    for r in expected:
        c = _canon(r, columns)
        exp[c] += 1
        by_canon[c] = r
    act: Counter[str] = Counter()
    for r in actual_rows:
        c = _canon(r, columns)
        act[c] += 1
        by_canon[c] = r
    missing = list((exp - act).elements())
    unexpected = list((act - exp).elements())
    if not missing and not unexpected:
        return []
    lines: list[str] = []
    key_cols = [k for k in keys if k in columns]
    if keys and len(key_cols) == len(keys):
        def key_of(c: str) -> str:
            return _canon(by_canon[c], key_cols)

        extra_by_key: dict[str, list[str]] = {}
        for c in unexpected:
            extra_by_key.setdefault(key_of(c), []).append(c)
        still_missing = []
        for c in missing:
            pair = extra_by_key.get(key_of(c))
            if pair:
                other = pair.pop(0)
                unexpected.remove(other)
                e, a = by_canon[c], by_canon[other]
                diffs = [f"{col}: expected {_show(e.get(col))}, got {_show(a.get(col))}"
                         for col in columns if _canon(e, [col]) != _canon(a, [col])]
                lines.append(f"  changed {_row_text(e, key_cols)}: " + "; ".join(diffs))
            else:
                still_missing.append(c)
        missing = still_missing
    lines += [f"  missing    {_row_text(by_canon[c], columns)}" for c in missing]
    lines += [f"  unexpected {_row_text(by_canon[c], columns)}" for c in unexpected]
    head = f"{what}: {len(expected)} expected, {len(actual_rows)} got"
    return [head + "\n" + "\n".join(lines)]
