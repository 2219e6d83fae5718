"""Differential test of the compiler against Spark's analyzer (issue #14).

For every case of the compile corpus (tests/corpus/compile), the demo project and the unit tests' FILES project,
every model's compiled SQL is analyzed by Spark (``spark.sql(sql).schema``: analysis only, no job) on empty
relations built from the contracts exactly as a build would create them:

- sources are temporary views named ``source_view(domain, dataset)`` with the contract's columns plus
  ``_rescued_data``/``_source_file``, every column nullable (the readers TRY_CAST every value);
- contract-bound models are empty Iceberg tables in the ``lake`` catalog, with the contract's columns, the layer's
  audit columns and the materialization's columns, NOT NULL where the runner declares it (non-bronze columns with
  ``nullable: false``); Iceberg stores tinyint/smallint as int, as it would in a build;
- models without a contract are empty Iceberg tables with the schema Spark gives their SQL, all columns nullable
  (as the runner creates them), so that their dependants can be analyzed.

Two verdicts are compared:

1. ``test_corpus_spark_verdicts``: each case's ``spark: accepts|rejects`` is what Spark 3.5 says (this keeps the
   corpus true to Spark; it does not depend on the compiler);
2. ``test_compiler_agrees_with_spark``: for every model the compiler plans cleanly, its inferred output schema
   (names exactly, types as ``simpleString``, nullability, wherever it inferred them) equals Spark's; every model
   Spark rejects has a compiler error in its file; the compiler reports no SQL error for a model Spark accepts.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sqlingest.catalogs import load_catalog
from sqlingest.errors import CompileErrors, UserError
from sqlingest.materializations import MATERIALIZATIONS
from sqlingest.plan import plan_project, relation_parts
from sqlingest.project import Project, load_project
from sqlingest.project.contract import Contract
from sqlingest.project.layers import audit_columns
from sqlingest.render import Renderer, source_view
from sqlingest.validate import contract_schema
from sqlingest.validate.types import normalize_type, widens
from tests.conftest import REPO, write_files
from tests.corpus.compile import Case, load_cases, materialize

CASES = load_cases()
#: messages of compiler errors that are about the contract (or notes), not about the SQL Spark analyzes
_NOT_SQL = re.compile(r"contract|output (is missing|has column)|not checked|duplicate output|requires a|needs a|"
                      r"must be a SELECT query",
                      re.IGNORECASE)


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@dataclass
class ModelRun:
    """What Spark said of one model's compiled SQL."""

    name: str
    path: str
    sql: str | None
    verdict: str  # accepts | rejects | skipped (an input could not be built) | unrendered (Jinja error)
    schema: list[tuple[str, str, bool]] = field(default_factory=list)
    error: str = ""


@dataclass
class ProjectRun:
    label: str
    root: Path
    models: dict[str, ModelRun]
    compiler_errors: list[UserError] | None = None  # None: planned cleanly
    inferred: dict[str, list[tuple[str, str | None, bool | None]]] = field(default_factory=dict)
    crash: str = ""  # the compiler raised something other than a UserError


class Analyzer:
    """Builds the empty relations a project reads and asks Spark to analyze each model's compiled SQL.

    Tables are created once per (relation, DDL) and reused by later projects; analyses are cached by SQL and the
    DDL of what the SQL reads."""

    def __init__(self, spark: Any, namespaces: dict[str, str]) -> None:
        self.spark = spark
        self.namespaces = namespaces
        self.tables: dict[str, str] = {}  # relation → DDL of the table as created
        self.views: dict[str, str] = {}
        self.cache: dict[tuple[str, tuple[str, ...]], tuple[str, list[tuple[str, str, bool]], str]] = {}
        self.compile_seconds = self.spark_seconds = 0.0
        for ns in namespaces.values():
            spark.sql(f"CREATE NAMESPACE IF NOT EXISTS lake.{ns}")

    # -- relations ---------------------------------------------------------------------------------
    def _view(self, contract: Contract) -> str:
        from pyspark.sql.types import StructType, _parse_datatype_string

        name = source_view(contract.domain, contract.dataset)
        cols = contract_schema(contract)
        ddl = ", ".join(f"{n}:{t}" for n, t in cols)
        if self.views.get(name) != ddl:
            schema = StructType([])
            for n, t in cols:
                schema.add(n, _parse_datatype_string(t), True)
            self.spark.createDataFrame([], schema).createOrReplaceTempView(name)
            self.views[name] = ddl
        return ddl

    def _table(self, relation: str, columns: list[tuple[str, str, bool]]) -> str:
        # the type as the contract writes it: upper-casing it (as the runner does) would upper-case struct fields
        ddl = ", ".join(f"{_quote(n)} {t}{'' if nullable else ' NOT NULL'}" for n, t, nullable in columns)
        if self.tables.get(relation) != ddl:
            self.spark.sql(f"DROP TABLE IF EXISTS {relation}")
            self.spark.sql(f"CREATE TABLE {relation} ({ddl}) USING iceberg")
            self.tables[relation] = ddl
        return ddl

    # -- analysis ----------------------------------------------------------------------------------
    def _analyze(self, sql: str, key: tuple[str, ...]) -> tuple[str, list[tuple[str, str, bool]], str]:
        from pyspark.errors import AnalysisException, ParseException

        cached = self.cache.get((sql, key))
        if cached is not None:
            return cached
        started = time.perf_counter()
        try:
            schema = self.spark.sql(sql).schema
            result = ("accepts", [(f.name, f.dataType.simpleString(), f.nullable) for f in schema.fields], "")
        except (AnalysisException, ParseException) as exc:
            result = ("rejects", [], str(exc).strip().splitlines()[0][:300])
        self.cache[(sql, key)] = result
        self.spark_seconds += time.perf_counter() - started
        return result

    def run(self, label: str, root: Path) -> ProjectRun:
        """Analyze every model of the project at ``root`` with Spark, then plan it with the compiler."""
        project = load_project(root)
        rendered, relations = _render(project)
        sources = {c.key: c for c in project.contracts.values() if c.layer == "source"}
        models: dict[str, ModelRun] = {}
        built: dict[str, str] = {}  # model → DDL of its table (absent: could not be built)
        needed = {d for r in rendered.values() if r is not None for d in r.refs}
        for name in _order(rendered):
            r = rendered[name]
            path = str(project.models[name].path)
            if r is None:
                models[name] = ModelRun(name, path, None, "unrendered")
                continue
            contract = r.contract
            deps = [d for d in r.refs if d in rendered]
            if contract is not None:  # the table exists whatever its SQL says: a build creates it from the contract
                built[name] = self._table(relations[name], _contract_table(contract, r.config.materialized))
            if any(d not in built for d in deps):
                models[name] = ModelRun(name, path, r.sql, "skipped")
                continue
            key = tuple(sorted([built[d] for d in deps] + [self._view(c) for c in r.sources]))
            for c in sources.values():  # a source read without source() (not expected) is still defined
                self._view(c)
            verdict, schema, error = self._analyze(r.sql, key)
            models[name] = ModelRun(name, path, r.sql, verdict, schema, error)
            if contract is None and verdict == "accepts" and schema and name in needed:
                built[name] = self._table(relations[name], [(n, _iceberg(t), True) for n, t, _ in schema])
        run = ProjectRun(label, root, models)
        started = time.perf_counter()
        try:
            plan = plan_project(load_project(root))
        except CompileErrors as exc:
            run.compiler_errors = list(exc.errors)
        except UserError as exc:
            run.compiler_errors = [exc]
        except Exception as exc:  # noqa: BLE001 — a crash is a compiler bug the comparison reports
            run.crash = f"{type(exc).__name__}: {exc}"[:300]
            run.compiler_errors = []
        else:
            for name, pm in plan.models.items():
                validated = pm.validated
                schema = getattr(validated, "schema", None)
                if schema is None:
                    schema = [(n, t, None) for n, t in validated.columns]
                run.inferred[name] = list(schema)
        self.compile_seconds += time.perf_counter() - started
        return run


def _iceberg(spark_type: str) -> str:
    """The type an Iceberg table stores for ``spark_type`` (no tinyint/smallint)."""
    return re.sub(r"\b(tinyint|smallint)\b", "int", spark_type)


def _contract_table(contract: Contract, materialized: str) -> list[tuple[str, str, bool]]:
    """The columns the runner creates for a contract-bound model (sqlingest/execute/runner.py:_ensure_table)."""
    cols = contract_schema(contract)
    known = {n for n, _ in cols}
    try:
        extra = MATERIALIZATIONS.load(materialized).EXTRA_COLUMNS
    except UserError:
        extra = ()
    cols += [(n, t) for n, t in extra if n not in known]
    declared = {c.name: c.nullable or contract.layer == "bronze" for c in contract.columns}
    return [(n, t, declared.get(n, True)) for n, t in cols]


def _render(project: Project) -> tuple[dict[str, Any], dict[str, str]]:
    """Every model rendered as plan_project renders it (None where Jinja fails), and every model's relation."""
    catalog = load_catalog(project.target.catalog, project.root, project.state_dir)
    relations: dict[str, str] = {}
    for name, model in project.models.items():
        try:
            contract = project.contract_for(model)
        except UserError:
            contract = None
        relations[name] = catalog.relation(*relation_parts(project, model, contract))
    renderer = Renderer(project, lambda n: relations[n], run_id="compile")
    rendered: dict[str, Any] = {}
    for name, model in project.models.items():
        try:
            r = renderer.render(model)
        except UserError:
            rendered[name] = None
            continue
        if r.config.enabled:
            relations[name] = catalog.relation(*relation_parts(project, model, r.contract))
            rendered[name] = r
    return rendered, relations


def _order(rendered: dict[str, Any]) -> list[str]:
    """Dependencies first (cycles, not expected here, are broken arbitrarily)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        r = rendered[name]
        for dep in (r.refs if r is not None else []):
            if dep in rendered:
                visit(dep)
        order.append(name)

    for name in sorted(rendered):
        visit(name)
    return order


def config(lakehouse: Any, namespaces: dict[str, str], head: str = "") -> str:
    layers = "".join(f"  {layer}: {{namespace: {ns}{', require_contract: false' if layer == 'gold' else ''}}}\n"
                     for layer, ns in namespaces.items())
    return f"name: corpus\n{head}layers:\n{layers}targets:\n  dev:\n{lakehouse.target()}"


def projects(lakehouse: Any, tmp: Path, namespaces: dict[str, str]) -> Iterator[tuple[str, Path, Case | None]]:
    """(label, root, case) of every project the differential test analyzes."""
    conf = config(lakehouse, namespaces)
    for case in CASES:
        yield case.id, materialize(case, tmp / "cases" / case.id, config=conf), case
    demo = tmp / "demo"
    if demo.exists():
        shutil.rmtree(demo)
    demo.mkdir()
    (demo / "sqlingest.yml").write_text(config(lakehouse, namespaces, head="vars: {currency: EUR}\n"))
    for folder in ("contracts", "models", "macros"):
        shutil.copytree(REPO / folder, demo / folder)
    yield "demo project", demo, None
    from tests.unit.test_compile import FILES

    files = tmp / "unit_files"
    if files.exists():
        shutil.rmtree(files)
    write_files(files, {**FILES, "sqlingest.yml": conf})
    yield "tests/unit/test_compile.py FILES", files, None


def contract_problems(project: Project, run: ProjectRun, only: set[str] | None = None) -> list[str]:
    """Where Spark's output of a contract-bound model does not fit its contract as the runtime strict check sees
    it (missing or extra columns, types that do not widen to the declared ones); bronze is lenient."""
    problems = []
    for name, m in run.models.items():
        model = project.models[name]
        if m.verdict != "accepts" or (only is not None and m.path not in only):
            continue
        try:
            contract = project.contract_for(model)
        except UserError:
            continue
        if contract is None or contract.layer in ("bronze", "source"):
            continue
        out = {n: t for n, t, _ in m.schema}  # simpleString: already normal
        audit = {n for n, _ in audit_columns(contract.layer)}
        for col in contract.columns:
            if col.name not in out:
                problems.append(f"{name}: missing {col.name}")
            elif not widens(out[col.name], normalize_type(col.type)):
                problems.append(f"{name}: {col.name} is {out[col.name]}, contract {col.type}")
        declared = {c.name for c in contract.columns}
        problems += [f"{name}: extra {n}" for n in out if n not in declared and n not in audit]
    return problems


def spark_verdict(case: Case, run: ProjectRun) -> str:
    """rejects when Spark rejects a model the case writes, else accepts."""
    written = {str(Path(p)) for p in case.files if p.startswith("models/")}
    verdicts = [m.verdict for m in run.models.values() if m.path in written]
    return "rejects" if "rejects" in verdicts else "accepts"


def disagreements(run: ProjectRun) -> Iterator[tuple[str, str, str, str]]:
    """(project, model, what, detail) for every point where the compiler and Spark disagree."""
    if run.crash:
        yield run.label, "-", "compiler crashed", run.crash
    errors = run.compiler_errors or []
    files_with_errors = {e.location.path for e in errors if e.location and not _NOT_SQL.search(e.message)}
    files_with_any = {e.location.path for e in errors if e.location}
    for name, m in run.models.items():
        if m.verdict == "rejects" and m.path not in files_with_any:
            yield run.label, name, "Spark rejects, compiler accepts", m.error
        if m.verdict == "accepts" and m.path in files_with_errors:
            msgs = "; ".join(e.message for e in errors if e.location and e.location.path == m.path)
            yield run.label, name, "Spark accepts, compiler rejects", msgs[:300]
        inferred = run.inferred.get(name)
        if inferred is None or m.verdict != "accepts":
            continue
        names = [n for n, _, _ in inferred]
        spark_names = [n for n, _, _ in m.schema]
        if names != spark_names:
            yield run.label, name, "column names", f"compiler {names} vs Spark {spark_names}"
            continue
        for (n, t, nullable), (_, st, snull) in zip(inferred, m.schema, strict=True):
            if t is not None and t != st:
                yield run.label, name, f"type of {n}", f"compiler {t} vs Spark {st}"
            if nullable is not None and nullable != snull:
                yield run.label, name, f"nullability of {n}", f"compiler {nullable} vs Spark {snull}"


def _table(rows: list[tuple[str, ...]], head: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    widths[-1] = min(widths[-1], 120)
    lines = ["  ".join(str(v)[:w].ljust(w) for v, w in zip(row, widths, strict=True)) for row in [head, *rows]]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def runs(lakehouse: Any, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[ProjectRun, Case | None]]:
    uid = uuid.uuid4().hex[:6]
    namespaces = {"bronze": f"cb_{uid}", "silver": f"cs_{uid}", "gold": f"cg_{uid}"}
    analyzer = Analyzer(lakehouse.spark, namespaces)
    tmp = tmp_path_factory.mktemp("differential")
    out = []
    for label, root, case in projects(lakehouse, tmp, namespaces):
        run = analyzer.run(label, root)
        run.root = root
        out.append((run, case))
    return out


def test_corpus_spark_verdicts(runs: list[tuple[ProjectRun, Case | None]]) -> None:
    """Every case says what Spark 3.5 really says of its compiled SQL; clean cases' every model is accepted."""
    wrong = []
    for run, case in runs:
        if case is None:
            continue
        said = spark_verdict(case, run)
        detail = "; ".join(f"{m.name}: {m.verdict} {m.error}" for m in run.models.values()
                           if m.verdict != "accepts")
        if said != case.spark:
            wrong.append((case.id, case.spark, said, detail))
        elif case.clean and any(m.verdict != "accepts" for m in run.models.values()):
            wrong.append((case.id, case.spark, "partly rejected", detail))
        project = load_project(run.root)
        problems = contract_problems(project, run)
        if case.clean and problems:
            wrong.append((case.id, "clean", "output does not fit its contract", "; ".join(problems)))
        written = {p for p in case.files if p.startswith("models/")}
        if case.cls == "contract" and not contract_problems(project, run, written):
            wrong.append((case.id, "contract error", "Spark's output fits the contract", ""))
    assert not wrong, "cases whose spark: field is not what Spark says:\n" + _table(
        wrong, ("case", "declared", "Spark", "detail"))


def test_compiler_agrees_with_spark(runs: list[tuple[ProjectRun, Case | None]]) -> None:
    """No disagreement between the compiler's verdicts and inferred schemas and Spark's analyzer."""
    rows = []
    seen: set[tuple[str, str, str]] = set()
    inferred = not_inferred = 0
    for run, _case in runs:
        for model, m in run.models.items():
            cols = run.inferred.get(model)
            if cols and m.verdict == "accepts":
                inferred += sum(t is not None for _, t, _ in cols) + sum(n is not None for _, _, n in cols)
                not_inferred += sum(t is None for _, t, _ in cols) + sum(n is None for _, _, n in cols)
        for row in disagreements(run):
            key = (row[1], row[2], row[3])  # a base model's disagreement is reported once, not once per case
            if key not in seen:
                seen.add(key)
                rows.append(row)
    print(f"\ncompiler inferred {inferred} column types/nullabilities, left {not_inferred} unknown (None)")
    assert not rows, f"{len(rows)} disagreement(s) between the compiler and Spark:\n" + _table(
        rows, ("project", "model", "what", "detail"))


def test_differential_covers_the_corpus(runs: list[tuple[ProjectRun, Case | None]]) -> None:
    labels = [run.label for run, _ in runs]
    assert len(labels) == len(CASES) + 2 and "demo project" in labels
    analyzed = sum(1 for run, _ in runs for m in run.models.values() if m.verdict in ("accepts", "rejects"))
    assert analyzed > 7 * len(CASES)


