"""``sqlingest seed``: load the CSV files under ``seeds/`` into tables, typed by their contracts.

A seed is ``seeds/<dataset>.csv`` (header line, comma-separated, an empty field is NULL) with a contract of
``layer: seed`` (``contracts/seeds/<dataset>.yml``, ``name: <domain>.<dataset>``). Types come from the contract,
never from the data. Seeds are hand-written reference data, so they are strict: a header that does not match the
contract, a value that does not fit its column's type (rounding and overflow included, as in bronze's rescue
rules) or a NULL in a NOT NULL column is an error located at the file's line and column, and nothing is written.
A seed's table is replaced only when the CSV or the contract changed: their hash is kept in the table property
``sqlingest.seed_hash`` (``--full-refresh`` reloads anyway). Models read a seed with ``ref('<dataset>')``."""

from __future__ import annotations

import argparse
import csv
import fnmatch
import hashlib
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlingest.errors import CompileErrors, Location, UserError

HASH_PROPERTY = "sqlingest.seed_hash"
MAX_ERRORS = 20


def add_parser(sub: Any, common: Callable[..., None], lock_timeout: Callable[..., None]) -> None:
    p = sub.add_parser("seed", help="load the CSV files under seeds/ into tables (typed by their contracts)")
    common(p, select=False)
    p.add_argument("--select", "-s", action="append", default=None, help="seeds to load (dataset names, globs)")
    p.add_argument("--full-refresh", action="store_true", help="reload even when nothing changed")
    lock_timeout(p)


class Seed:
    def __init__(self, project: Any, catalog: Any, contract: Any) -> None:
        from sqlingest.plan import seed_parts

        self.project, self.catalog, self.contract = project, catalog, contract
        self.namespace, self.table = seed_parts(project, contract)
        self.relation = catalog.relation(self.namespace, self.table)
        self.path = project.root / "seeds" / f"{contract.dataset}.csv"
        self.rel = f"seeds/{contract.dataset}.csv"

    def digest(self) -> str:
        from sqlingest.plan.manifest import contract_hash

        return hashlib.sha256(self.path.read_bytes() + contract_hash(self.contract).encode()).hexdigest()[:32]

    def rows(self) -> tuple[list[str], list[tuple[int, list[str], list[int]]]]:
        """(header, [(line, values, start column of each value)]); a header that does not match is an error."""
        from sqlingest.project.files import read_text

        text = read_text(self.path, self.rel)
        lines = text.splitlines()
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header:
            raise UserError(f"seed {self.contract.dataset} is empty (it needs a header line)",
                            location=Location(self.rel, 1, 1))
        header = [h.strip() for h in header]
        declared = [c.name for c in self.contract.columns]
        problems = []
        for i, name in enumerate(header):
            if name not in declared:
                problems.append(UserError(f"column '{name}' is not in the seed's contract",
                                          location=Location(self.rel, 1, _starts(lines[0], header)[i]),
                                          hint=f"declare it in {self.contract.path} (columns: {', '.join(declared)})"))
        for name in declared:
            if name not in header:
                problems.append(UserError(f"column '{name}' of the contract is missing from the header",
                                          location=Location(self.rel, 1, 1)))
        CompileErrors.raise_if_any(problems)
        out = []
        for values in reader:
            line = reader.line_num
            if not values or values == [""]:
                continue
            if len(values) != len(header):
                raise UserError(f"{len(values)} values, the header has {len(header)}",
                                location=Location(self.rel, line, 1))
            out.append((line, values, _starts(lines[line - 1] if line <= len(lines) else "", values)))
        return header, out


def _starts(text: str, values: list[str]) -> list[int]:
    """The 1-based column where each field of a CSV line starts (exact for unquoted fields)."""
    out, pos = [], 0
    for value in values:
        out.append(pos + 1)
        if text[pos:pos + 1] == '"':
            end = text.find('",', pos + 1)
            pos = (end + 2) if end >= 0 else len(text)
        else:
            pos += len(value) + 1
    return out


def _frame(spark: Any, seed: Seed) -> Any:
    """The seed's rows as the contract types them; every value that does not fit is a located error."""
    from pyspark.sql.types import IntegerType, StringType, StructField, StructType

    from sqlingest.sql import quote_identifier, type_sql
    from sqlingest.validate.conform import fit

    header, rows = seed.rows()
    schema = StructType([StructField("__line", IntegerType())] + [StructField(f"__raw{i}", StringType())
                                                                  for i in range(len(header))])
    raw = spark.createDataFrame([(line, *(v if v != "" else None for v in values)) for line, values, _ in rows],
                                schema)
    position = {name: i for i, name in enumerate(header)}
    values, lost = [], []
    for col in seed.contract.columns:
        source = f"__raw{position[col.name]}"
        value, bad = fit(source, col)
        values.append(f"{value} AS {quote_identifier(col.name)}")
        test = f"({bad}) IS NOT NULL" if bad else "false"
        if not col.nullable:
            test = f"({test} OR {source} IS NULL)"
        lost.append(f"{test} AS __bad{position[col.name]}")
    checked = raw.selectExpr("__line", *[f"__raw{i}" for i in range(len(header))], *lost)
    flags = " OR ".join(f"__bad{i}" for i in range(len(header)))
    starts = {line: cols for line, _, cols in rows}
    problems = []
    for r in checked.where(flags).orderBy("__line").limit(MAX_ERRORS).collect():
        for col in seed.contract.columns:
            i = position[col.name]
            if r[f"__bad{i}"]:
                text = r[f"__raw{i}"]
                what = f"NULL in NOT NULL column '{col.name}'" if text is None else \
                    f"value '{text}' does not fit column '{col.name}' ({type_sql(col.type)})"
                problems.append(UserError(what, location=Location(seed.rel, r["__line"], starts[r["__line"]][i]),
                                          hint=f"fix the value, or the column's type in {seed.contract.path}"))
    CompileErrors.raise_if_any(problems)
    typed = raw.selectExpr(*values)
    # NOT NULL columns stay NOT NULL in the plan (a cast is nullable; the rows were checked above): seeds are small
    nullable = {c.name: c.nullable for c in seed.contract.columns}
    schema = StructType([StructField(f.name, f.dataType, nullable[f.name]) for f in typed.schema.fields])
    return spark.createDataFrame(typed.collect(), schema)


def _live_hash(spark: Any, relation: str) -> str | None:
    rows = spark.sql(f"SHOW TBLPROPERTIES {relation}").collect()
    return next((r["value"] for r in rows if r["key"] == HASH_PROPERTY), None)


def _write(spark: Any, seed: Seed, frame: Any, digest: str) -> None:
    from sqlingest.sql import quote_identifier, string_literal, type_sql
    from sqlingest.validate.types import normalize_type

    catalog, contract = seed.catalog, seed.contract
    ns = catalog.namespace(seed.namespace)
    if ns is not None:
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {ns}")
    desired = [(c.name, normalize_type(c.type)) for c in contract.columns]
    exists = bool(spark.catalog.tableExists(seed.relation))
    if exists:
        live = [(f.name, normalize_type(f.dataType.simpleString())) for f in spark.table(seed.relation).schema]
        if live != desired:  # the contract changed the columns: the seed's table is rebuilt from the file
            catalog.drop_table(spark, seed.relation)
            exists = False
    if not exists:
        ddl = ",\n  ".join(f"{quote_identifier(c.name)} {type_sql(c.type).upper()}"
                           + ("" if c.nullable else " NOT NULL") for c in contract.columns)
        fmt = seed.project.target.format if contract.format is None else contract.format
        from sqlingest.formats import get_format

        location = catalog.table_location(seed.namespace, seed.table)
        spark.sql(f"CREATE TABLE {seed.relation} (\n  {ddl}\n) USING {get_format(fmt).using}"
                  + (f" LOCATION {string_literal(str(location))}" if location else ""))
    view = f"__sqlingest_seed__{contract.dataset}"
    frame.createOrReplaceTempView(view)
    columns = ", ".join(quote_identifier(c.name) for c in contract.columns)
    spark.sql(f"INSERT OVERWRITE {seed.relation} SELECT {columns} FROM {view}")
    spark.sql(f"ALTER TABLE {seed.relation} SET TBLPROPERTIES ({string_literal(HASH_PROPERTY)} = "
              f"{string_literal(digest)})")


def seeds_of(project: Any, catalog: Any, select: list[str] | None) -> list[Seed]:
    chosen = [c for c in project.contracts.values() if c.layer == "seed"]
    if select:
        patterns = [w for s in select for w in s.split()]
        chosen = [c for c in chosen if any(fnmatch.fnmatchcase(c.dataset, p) or fnmatch.fnmatchcase(c.name, p)
                                           for p in patterns)]
        if not chosen:
            raise UserError(f"--select {' '.join(patterns)} matches no seed")
    out = [Seed(project, catalog, c) for c in sorted(chosen, key=lambda c: c.dataset)]
    missing = [UserError(f"seed {s.contract.name}: no file {s.rel}", location=s.contract.location)
               for s in out if not s.path.is_file()]
    CompileErrors.raise_if_any(missing)
    return out


def run(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.catalogs import load_catalog
    from sqlingest.cli import _open_log, _parse_vars, _target_lock
    from sqlingest.execute.session import build_session
    from sqlingest.project import load_project
    from sqlingest.runs import new_run_id

    project = load_project(Path(args.project_dir), target=args.target, cli_vars=_parse_vars(args.vars))
    catalog = load_catalog(project.target.catalog, project.root, project.state_dir)
    seeds = seeds_of(project, catalog, args.select)
    if not seeds:
        console.print("no seeds: put CSV files under seeds/ with a contract of layer: seed "
                      "(contracts/seeds/<name>.yml)")
        return 0
    width = max(len(s.contract.dataset) for s in seeds)
    started = time.perf_counter()
    _open_log(project, f"seed-{new_run_id()}")
    with _target_lock(args, project):
        with console.status("starting Spark…"):
            spark = build_session(project.target.spark, catalog)
        loaded = 0
        for i, seed in enumerate(seeds, 1):
            t0 = time.perf_counter()
            digest = seed.digest()
            prefix = f"{i:>3}/{len(seeds)} {seed.contract.dataset:<{width}} seed   "
            if not args.full_refresh and spark.catalog.tableExists(seed.relation) \
                    and _live_hash(spark, seed.relation) == digest:
                console.print(f"{prefix} unchanged  {seed.relation}")
                continue
            frame = _frame(spark, seed)
            rows = frame.count()
            _write(spark, seed, frame, digest)
            loaded += 1
            console.print(f"{prefix} [green]OK[/]    {rows:,} rows → {seed.relation}  "
                          f"[dim]{time.perf_counter() - t0:.1f}s[/]")
    console.print(f"Done in {time.perf_counter() - started:.1f}s: {loaded} loaded, {len(seeds) - loaded} unchanged")
    return 0
