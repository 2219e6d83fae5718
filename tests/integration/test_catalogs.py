"""Catalogs × table formats on real services: one behaviour suite over every combination the shared session can
reach, the demo project on a Hive Metastore service in a subprocess, write-audit-publish on Nessie, and the
committed support matrix.

Services (PostgreSQL, a PostgreSQL-backed Hive Metastore, an in-memory Nessie) are started once per session by the
fixtures below and always stopped. Iceberg catalogs are registered in the shared SparkSession at run time with
``spark.conf.set("spark.sql.catalog.<name>", …)`` (Spark loads catalog plugins lazily by name).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import uuid
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from sqlingest.catalogs import CATALOGS, load_catalog
from sqlingest.catalogs.capabilities import declared, supports
from sqlingest.cli import main
from sqlingest.errors import UnsupportedCombination
from sqlingest.project.config import CatalogConfig
from tests.conftest import REPO, write_files
from tests.demo import copy_demo
from tests.integration.conftest import METASTORE_URIS

pytestmark = pytest.mark.integration
with warnings.catch_warnings():
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    #: starts its own Spark JVM in a subprocess (deselect with -m "not slow")
    slow = pytest.mark.slow


# ----------------------------------------------------------------------------------------------------------------
# The support matrix (no JVM)
# ----------------------------------------------------------------------------------------------------------------


def test_support_matrix_doc_is_generated_from_declarations():
    from sqlingest.catalogs.matrix import DOC, render

    assert DOC.read_text(encoding="utf-8") == render(), \
        "docs/support-matrix.md is stale: run python -m sqlingest.catalogs.matrix"


def test_every_catalog_declares_capabilities_for_each_format():
    from sqlingest.catalogs.capabilities import CAPABILITIES

    for name in ("iceberg_jdbc", "iceberg_hadoop", "iceberg_hive", "iceberg_nessie", "hive", "spark_session",
                 "delta_path"):
        cls = CATALOGS.load(name)
        caps = declared(cls)
        assert set(caps) == set(cls.FORMATS) and cls.FORMATS
        assert all(c in CAPABILITIES for fmt in caps.values() for c in fmt)
    assert supports(CATALOGS.load("iceberg_nessie"), "iceberg", "branches")
    assert not supports(CATALOGS.load("iceberg_jdbc"), "iceberg", "branches")
    assert not supports(CATALOGS.load("hive"), "parquet", "merge")


# ----------------------------------------------------------------------------------------------------------------
# Services
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres():
    from sqlingest.services.postgres import start_postgres

    service = start_postgres()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def metastore(postgres):
    """A Hive Metastore 2.3 service on its own PostgreSQL database."""
    from sqlingest.services.hive_metastore import start_hive_metastore
    from sqlingest.services.postgres import create_database

    url = create_database(postgres, "metastore")
    service = start_hive_metastore(jdbc_url=url, user=postgres.user, password=postgres.password)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def nessie():
    from sqlingest.services.nessie import start_nessie

    service = start_nessie()
    yield service
    service.stop()


# ----------------------------------------------------------------------------------------------------------------
# The behaviour suite
# ----------------------------------------------------------------------------------------------------------------

SOURCE = """
name: s.items
layer: source
source: {format: csv, path: data/*.csv, options: {header: "true"}}
columns:
  - {name: id, type: bigint}
  - {name: name, type: string}
  - {name: qty, type: int}
  - {name: seq, type: int}
%(extra)s"""
BRONZE = """
name: s.items
layer: bronze
columns:
  - {name: id, type: bigint}
  - {name: name, type: string}
  - {name: qty, type: int}
  - {name: seq, type: int}
%(extra)s"""
SILVER = """
name: s.items
layer: silver
keys: {business: [id], ordering: seq}
columns:
  - {name: id, type: bigint, nullable: false, checks: [not_null, unique]}
  - {name: name, type: string}
  - {name: qty, type: int}
  - {name: seq, type: int}
%(extra)s"""
NOTE = "  - {name: note, type: string}\n"
BRONZE_MODEL = "{{ config(materialized='append') }}\nSELECT * FROM {{ source('s', 'items') }}\n"
SILVER_MERGE = ("{{ config(materialized='merge') }}\nSELECT id, name, qty, seq%(note)s FROM {{ ref('bronze.items') }}\n"
                "WHERE id IS NOT NULL\n")
SILVER_TABLE = ("{{ config(materialized='table') }}\nSELECT id, name, qty, seq%(note)s FROM (\n"
                "  SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY seq DESC) AS rn\n"
                "  FROM {{ ref('bronze.items') }} WHERE id IS NOT NULL\n) AS latest WHERE rn = 1\n")
GOLD_MODEL = ("{{ config(materialized='table') }}\n"
              "SELECT COUNT(*) AS items, SUM(qty) AS qty FROM {{ ref('silver.items') }}\n")


@dataclass(frozen=True)
class Combo:
    id: str
    catalog_type: str
    fmt: str
    #: the Spark catalog name (None: the session catalog)
    name: str | None
    needs: tuple[str, ...] = ()


COMBOS = [
    Combo("iceberg-jdbc-sqlite", "iceberg_jdbc", "iceberg", "lake"),
    Combo("iceberg-jdbc-postgres", "iceberg_jdbc", "iceberg", "pglake", ("postgres",)),
    Combo("iceberg-nessie", "iceberg_nessie", "iceberg", "nessie", ("nessie",)),
    Combo("iceberg-hadoop", "iceberg_hadoop", "iceberg", "hadoop"),
    Combo("iceberg-hive-metastore", "iceberg_hive", "iceberg", "hms", ("metastore",)),
    Combo("delta-session", "spark_session", "delta", None),
    Combo("parquet-session", "spark_session", "parquet", None),
    Combo("delta-path", "delta_path", "delta", None),
]


def catalog_options(combo: Combo, lakehouse, request) -> dict[str, object]:
    """The target's ``catalog:`` section for a combination (services are started on demand)."""
    root = lakehouse.root
    if combo.catalog_type == "spark_session" and METASTORE_URIS:  # see test_behaviour_on_the_metastore_service
        return {"type": "hive", "uris": METASTORE_URIS, "warehouse": str(root / "spark-warehouse")}
    if combo.catalog_type == "spark_session":
        return {"type": "spark_session", "warehouse": str(root / "spark-warehouse")}
    if combo.catalog_type == "delta_path":  # tables are folders: a fresh warehouse per test
        return {"type": "delta_path", "warehouse": str(request.getfixturevalue("tmp_path") / "delta-warehouse")}
    if combo.name == "lake":
        return {"type": "iceberg_jdbc", "name": "lake", "uri": lakehouse.sqlite_uri,
                "warehouse": lakehouse.warehouse}
    warehouse = str(root / f"warehouse-{combo.id}")
    if combo.catalog_type == "iceberg_jdbc":
        pg = request.getfixturevalue("postgres")
        return {"type": "iceberg_jdbc", "name": combo.name, "uri": pg.jdbc_url, "user": pg.user,
                "password": pg.password, "warehouse": warehouse}
    if combo.catalog_type == "iceberg_nessie":
        return {"type": "iceberg_nessie", "name": combo.name, "uri": request.getfixturevalue("nessie").api_v2,
                "ref": "main", "warehouse": warehouse}
    if combo.catalog_type == "iceberg_hive":
        return {"type": "iceberg_hive", "name": combo.name, "uri": request.getfixturevalue("metastore").uri,
                "warehouse": warehouse}
    return {"type": "iceberg_hadoop", "name": combo.name, "warehouse": warehouse}


def register(spark, options: dict[str, object], root: Path) -> None:
    """Register an Iceberg catalog in the running session (the session catalog is fixed at start-up)."""
    if options["type"] in ("spark_session", "hive", "delta_path"):
        return
    catalog = load_catalog(CatalogConfig(**options), root, root)
    catalog.prepare()
    for key, value in catalog.spark_conf().items():
        spark.conf.set(key, value)


def yaml_flow(options: dict[str, object]) -> str:
    return json.dumps(options)  # JSON is YAML


def versions(spark, fmt: str, rel: str) -> list[int]:
    """The table's versions, oldest first (Iceberg snapshot ids, Delta versions)."""
    if fmt == "iceberg":
        return [r[0] for r in spark.sql(f"SELECT snapshot_id FROM {rel}.snapshots ORDER BY committed_at").collect()]
    return sorted(r[0] for r in spark.sql(f"DESCRIBE HISTORY {rel}").select("version").collect())


def rows(spark, rel: str, cols: str) -> list[tuple]:
    return sorted(tuple(r) for r in spark.sql(f"SELECT {cols} FROM {rel}").collect())


@pytest.mark.parametrize("combo", COMBOS, ids=[c.id for c in COMBOS])
def test_catalog_format_behaviour(combo: Combo, lakehouse, tmp_path, request):
    """create from a contract → evolve (add column) → append → overwrite → merge → exact contents → time travel;
    what the catalog does not declare is refused at plan time."""
    from sqlingest.plan import plan_project
    from sqlingest.project import load_project

    spark = lakehouse.spark
    options = catalog_options(combo, lakehouse, request)
    register(spark, options, lakehouse.root)
    cls = CATALOGS.load(str(options["type"]))
    caps = declared(cls)[combo.fmt]
    assert {"create", "append", "overwrite"} <= caps

    uid = uuid.uuid4().hex[:8]
    config = (f"name: t\nlayers:\n  bronze: {{namespace: b_{uid}}}\n  silver: {{namespace: s_{uid}}}\n"
              f"  gold: {{namespace: g_{uid}, require_contract: false}}\n"
              f"targets:\n  dev:\n    catalog: {yaml_flow(options)}\n    format: {combo.fmt}\n"
              "    spark: {master: 'local[2]', conf: {spark.sql.shuffle.partitions: '2'}}\n")
    merge = "merge" in caps
    silver_model = SILVER_MERGE if merge else SILVER_TABLE
    root = write_files(tmp_path / "proj", {
        "sqlingest.yml": config,
        "contracts/s/items.source.yml": SOURCE % {"extra": ""},
        "contracts/s/items.bronze.yml": BRONZE % {"extra": ""},
        "contracts/s/items.silver.yml": SILVER % {"extra": ""},
        "models/bronze/items.sql": BRONZE_MODEL,
        "models/silver/items.sql": silver_model % {"note": ""},
        "models/gold/totals.sql": GOLD_MODEL,
        "data/a.csv": "id,name,qty,seq\n1,a,10,1\n2,b,20,1\n",
    })
    ns = {layer: load_project(root).config.layer(layer).namespace for layer in ("bronze", "silver", "gold")}
    catalog = load_catalog(CatalogConfig(**options), root, root / ".sqlingest")
    bronze, silver, gold = (catalog.relation(ns["bronze"], "items"), catalog.relation(ns["silver"], "items"),
                            catalog.relation(ns["gold"], "totals"))
    if combo.catalog_type == "delta_path":
        assert bronze == f"delta.`{options['warehouse']}/{ns['bronze']}/items`"

    if not merge:  # refused before anything runs
        (root / "models/silver/items.sql").write_text(SILVER_MERGE % {"note": ""})
        with pytest.raises(UnsupportedCombination, match="merge"):
            plan_project(load_project(root))
        (root / "models/silver/items.sql").write_text(silver_model % {"note": ""})

    # 1. create from the contracts, append, merge/overwrite
    assert main(["build", "--project-dir", str(root)]) == 0
    assert rows(spark, bronze, "id, name, qty, seq") == [(1, "a", 10, 1), (2, "b", 20, 1)]
    assert rows(spark, silver, "id, name, qty") == [(1, "a", 10), (2, "b", 20)]
    assert rows(spark, gold, "items, qty") == [(2, 30)]
    first = versions(spark, combo.fmt, bronze)[-1] if "time_travel" in caps else None

    # 2. evolve compatibly (a new nullable column) and feed a new file: append + merge (update and insert)
    evolve = "schema_evolution" in caps
    note = ", note" if evolve else ""
    if evolve:
        for name, template in (("source", SOURCE), ("bronze", BRONZE), ("silver", SILVER)):
            (root / f"contracts/s/items.{name}.yml").write_text(template % {"extra": NOTE})
        (root / "models/silver/items.sql").write_text(silver_model % {"note": ", note"})
        (root / "data/b.csv").write_text("id,name,qty,seq,note\n2,B,25,2,upd\n3,c,30,1,new\n")
    else:
        (root / "data/b.csv").write_text("id,name,qty,seq\n2,B,25,2\n3,c,30,1\n")
    assert main(["build", "--project-dir", str(root)]) == 0

    cols = "id, name, qty, seq" + note
    expected_bronze = [(1, "a", 10, 1), (2, "B", 25, 2), (2, "b", 20, 1), (3, "c", 30, 1)]
    if evolve:
        expected_bronze = [r + ({(2, 2): "upd", (3, 1): "new"}.get((r[0], r[3])),) for r in expected_bronze]
    assert rows(spark, bronze, cols) == sorted(expected_bronze)
    expected_silver = [(1, "a", 10), (2, "B", 25), (3, "c", 30)]
    if evolve:
        expected_silver = [(1, "a", 10, None), (2, "B", 25, "upd"), (3, "c", 30, "new")]
    assert rows(spark, silver, "id, name, qty" + note) == expected_silver
    assert rows(spark, gold, "items, qty") == [(3, 65)]  # overwritten in place, not appended
    if evolve:
        assert "note" in spark.table(bronze).columns and "note" in spark.table(silver).columns

    # 3. time travel: the bronze table as it was after the first build
    if "time_travel" in caps:
        assert spark.sql(f"SELECT * FROM {bronze} VERSION AS OF {first}").count() == 2
        assert len(versions(spark, combo.fmt, bronze)) >= 2


@slow
def test_behaviour_on_the_metastore_service(metastore, postgres, tmp_path):
    """The behaviour suite's Delta and Parquet combinations once more, with Spark's session catalog on the Hive
    Metastore service: in a pytest process of its own (a session's metastore is fixed when it starts)."""
    env = {**os.environ, "SQLINGEST_TEST_METASTORE_URIS": metastore.uri,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    ids = [f"{__file__}::test_catalog_format_behaviour[{c}]" for c in ("delta-session", "parquet-session")]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
                           str(tmp_path / "child"), *ids], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert proc.returncode == 0 and "2 passed" in proc.stdout, proc.stdout[-4000:] + proc.stderr[-2000:]
    # the tables are the service's: its PostgreSQL database lists them (bronze, silver, gold of both runs)
    import psycopg2

    with contextlib.closing(psycopg2.connect(postgres.dsn.rsplit("/", 1)[0] + "/metastore")) as conn, \
            conn.cursor() as cur:
        cur.execute('SELECT d."NAME", t."TBL_NAME" FROM "TBLS" t JOIN "DBS" d ON d."DB_ID" = t."DB_ID"')
        tables = {(db.split("_")[0], name) for db, name in cur.fetchall()}
    assert {("b", "items"), ("s", "items"), ("g", "totals")} <= tables


# ----------------------------------------------------------------------------------------------------------------
# The demo project against a Hive Metastore service, in its own Spark process
# ----------------------------------------------------------------------------------------------------------------


def demo_project(root: Path, target: str, suffix: str) -> Path:
    """The repository's demo project, its layers in namespaces ``<layer>_<suffix>``."""
    config = ("name: retail_demo\nvars: {currency: EUR}\nlayers:\n"
              + "".join(f"  {layer}: {{namespace: {layer}_{suffix}}}\n" for layer in ("bronze", "silver", "gold"))
              + f"targets:\n  dev:\n{target}")
    write_files(root, {"sqlingest.yml": config})
    return copy_demo(root)


def build_in_subprocess(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "sqlingest", "build", "--project-dir", str(root)], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "0 failed" in proc.stdout


SPARK_SMALL = ("    spark: {master: 'local[2]', driver_memory: 1g, conf: {spark.sql.shuffle.partitions: '2', "
               "spark.ui.enabled: 'false', spark.default.parallelism: '2', "
               "spark.databricks.delta.snapshotPartitions: '2'}}\n")
DAILY_REVENUE = [("2024-01-01", 6, 24, Decimal("2167.85")), ("2024-01-02", 7, 35, Decimal("6638.84")),
                 ("2024-01-03", 6, 39, Decimal("7938.51"))]


def daily_revenue(spark, rel: str) -> list[tuple]:
    return sorted((r["order_date"].isoformat(), r["orders"], r["items"], r["revenue"])
                  for r in spark.sql(f"SELECT * FROM {rel}").collect())


@slow
def test_demo_delta_on_hive_metastore_service(lakehouse, metastore, tmp_path):
    """Delta tables in Spark's session catalog on a (PostgreSQL-backed) Hive Metastore service."""
    warehouse = tmp_path / "hms-warehouse"
    root = demo_project(tmp_path / "demo", f"    catalog: {{type: hive, uris: '{metastore.uri}', "
                                           f"warehouse: '{warehouse}'}}\n    format: delta\n{SPARK_SMALL}", "d")
    build_in_subprocess(root)
    # read the tables the other process wrote, by path (this session's catalog is the embedded Derby one)
    spark = lakehouse.spark
    gold = warehouse / "gold_d.db"
    assert daily_revenue(spark, f"delta.`{gold / 'daily_revenue'}`") == DAILY_REVENUE
    assert spark.read.format("delta").load(str(warehouse / "silver_d.db" / "orders")).count() == 19
    for table in ("customer_value", "product_sales"):
        assert spark.read.format("delta").load(str(gold / table)).count() > 0


@slow
def test_demo_iceberg_on_hive_metastore_service(lakehouse, metastore, tmp_path):
    """Iceberg tables in a HiveCatalog on the metastore service, built by another process, read back here."""
    warehouse = tmp_path / "ice-warehouse"
    options = {"type": "iceberg_hive", "name": "hms_demo", "uri": metastore.uri, "warehouse": str(warehouse)}
    target = f"    catalog: {yaml_flow(options)}\n    format: iceberg\n{SPARK_SMALL}"
    root = demo_project(tmp_path / "demo", target, "i")
    build_in_subprocess(root)
    spark = lakehouse.spark
    register(spark, options, tmp_path)
    assert daily_revenue(spark, "hms_demo.gold_i.daily_revenue") == DAILY_REVENUE
    assert spark.table("hms_demo.silver_i.orders").count() == 19
    for table in ("customer_value", "product_sales"):
        assert spark.table(f"hms_demo.gold_i.{table}").count() > 0


# ----------------------------------------------------------------------------------------------------------------
# The repository's demo project, unchanged, on every target of its sqlingest.yml (only --target differs)
# ----------------------------------------------------------------------------------------------------------------

DEMO_TARGETS = ("pg", "nessie", "hms_parquet", "delta_path")
#: its tables live in another metastore than this session's (fixed when a session starts): a process of its own
SUBPROCESS_TARGETS = ("hms_parquet",)
#: their catalog is named `lake` like this session's: built in a new session of this application (see target_session)
LAKE_TARGETS = ("pg", "nessie")
#: run-dependent columns (bronze audit), left out when comparing contents across targets
RUN_COLUMNS = ("_ingested_at", "_run_id", "_batch_id", "_source_file")
#: set, it enables the demo's Kafka streaming model (bronze.order_events), which these builds leave out
KAFKA = "SQLINGEST_KAFKA_BOOTSTRAP"
REBUILT = {"silver.customers": "scd2", "silver.orders": "merge", "silver.order_lines": "merge",
           "silver.products": "merge"}


def repo_demo(root: Path) -> Path:
    """A copy of the demo project exactly as committed, sqlingest.yml included."""
    return copy_demo(root, config=True)


def service_env(target: str, request) -> dict[str, str]:
    """The environment the demo's targets read their service endpoints from (as `scripts/services.sh` writes)."""
    if target == "pg":
        from sqlingest.services.postgres import create_database

        pg = request.getfixturevalue("postgres")
        return {"SQLINGEST_PG_JDBC_URL": create_database(pg, "demo_pg"), "SQLINGEST_PG_USER": pg.user,
                "SQLINGEST_PG_PASSWORD": pg.password}
    if target == "nessie":
        return {"SQLINGEST_NESSIE_URI": request.getfixturevalue("nessie").api_v2}
    if target == "hms_parquet":
        return {"SQLINGEST_HMS_URI": request.getfixturevalue("metastore").uri}
    return {}


@contextlib.contextmanager
def target_session(spark, catalog: str = "lake"):
    """A new session of this Spark application in which catalog ``catalog`` is not configured, active while the
    block runs: `sqlingest build` in this process then registers the target's own catalog under that name, as it
    does in a new process (the test session's `lake` is untouched)."""
    from pyspark.sql import SparkSession

    session = spark.newSession()
    prefix = f"spark.sql.catalog.{catalog}"
    for key, _ in spark.sparkContext.getConf().getAll():
        if key == prefix or key.startswith(prefix + "."):
            session.conf.unset(key)
    jvm = spark.sparkContext._jvm
    SparkSession._activeSession = session
    jvm.SparkSession.setActiveSession(session._jsparkSession)
    try:
        yield session
    finally:
        SparkSession._activeSession = spark
        jvm.SparkSession.setActiveSession(spark._jsparkSession)


@dataclass
class DemoBuild:
    target: str
    root: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None
    output: str = ""
    returncode: int | None = None
    #: the session an in-process build ran in (None: this test session, or another process)
    session: object | None = None

    def wait(self) -> str:
        if self.process is not None and self.returncode is None:
            out, err = self.process.communicate(timeout=900)
            self.output, self.returncode = out + err, self.process.returncode
        assert self.returncode == 0, self.output[-4000:]
        return self.output

    def plan(self):
        from sqlingest.plan import plan_project
        from sqlingest.project import load_project

        with self.environment():
            return plan_project(load_project(self.root, target=self.target))

    def build_here(self, *args: str) -> None:
        """`sqlingest build --target <target>` in this process."""
        with self.environment():
            self.returncode, self.output = build_in_process(self.root, "--target", self.target, *args)

    @contextlib.contextmanager
    def environment(self):
        with pytest.MonkeyPatch.context() as mp:
            mp.delenv(KAFKA, raising=False)
            for key, value in self.env.items():
                mp.setenv(key, value)
            yield


def build_in_process(root: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["build", "--project-dir", str(root), *args])
    return code, out.getvalue()


def contents(session, relations: dict[str, str]) -> dict[str, list[str]]:
    """Every table's rows (without run-dependent columns; columns by name: a Parquet table keeps its partition
    columns last), sorted, per model."""
    out = {}
    for name, rel in relations.items():
        df = session.sql(f"SELECT * FROM {rel}")
        cols = [f"`{c}`" for c in sorted(df.columns) if c not in RUN_COLUMNS]
        out[name] = sorted(repr(tuple(r)) for r in df.select(*cols).collect())
    return out


@pytest.fixture(scope="module")
def demo_builds(lakehouse, request, tmp_path_factory):
    """The committed demo built with `--target <target>` for each selected target, and, as the reference, on the
    dev target's catalog type (Iceberg on SQLite-JDBC: this session's `lake`). A target whose metastore differs
    from this session's builds in its own process, started first so that it overlaps with the builds here."""
    selected = {item.callspec.params["target"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_demo_builds_on_target"}
    base = tmp_path_factory.mktemp("demo-targets")
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    builds = {t: DemoBuild(t, repo_demo(base / t), service_env(t, request)) for t in DEMO_TARGETS if t in selected}
    for build in builds.values():
        if build.target in SUBPROCESS_TARGETS:
            env = {**{k: v for k, v in os.environ.items() if k != KAFKA}, **build.env, "PYTHONPATH": pythonpath,
                   "SQLINGEST_SPARK_MASTER": "local[2]", "SQLINGEST_DRIVER_MEMORY": "1g"}
            build.process = subprocess.Popen(
                [sys.executable, "-m", "sqlingest", "build", "--project-dir", str(build.root), "--target",
                 build.target], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the reference: the same models, contracts, macros and data on the dev target's catalog type
        dev = base / "dev"
        repo_demo(dev)
        uid = uuid.uuid4().hex[:8]
        (dev / "sqlingest.yml").write_text(
            "name: retail_demo\nvars: {currency: EUR}\nlayers:\n"
            + "".join(f"  {layer}: {{namespace: {layer}_{uid}}}\n" for layer in ("bronze", "silver", "gold"))
            + f"targets:\n  dev:\n{lakehouse.target()}")
        reference = builds["dev"] = DemoBuild("dev", dev, {})
        reference.build_here()
        assert reference.returncode == 0, reference.output
        for build in builds.values():
            if build.target in LAKE_TARGETS:
                with target_session(lakehouse.spark) as session:
                    build.session = session
                    build.build_here()
            elif build.target not in SUBPROCESS_TARGETS and build.returncode is None:
                build.build_here()  # delta_path: no catalog to register
        yield builds
    finally:
        for build in builds.values():
            if build.process is not None and build.process.poll() is None:
                build.process.kill()
                build.process.communicate()


def readable(build: DemoBuild, spark) -> tuple[object, dict[str, str]]:
    """A session that can read the tables ``build`` wrote, and each model's relation in it."""
    plan = build.plan()
    relations = {name: pm.relation for name, pm in plan.models.items()}
    if build.target == "hms_parquet":
        # written through the metastore service; this session's metastore is another: read the files by path
        warehouse = plan.catalog.warehouse_dir()
        return spark, {name: f"parquet.`{warehouse}/{pm.namespace}.db/{pm.table}`"
                       for name, pm in plan.models.items()}
    return build.session or spark, relations


@slow
@pytest.mark.parametrize("target", DEMO_TARGETS)
def test_demo_builds_on_target(target, demo_builds, lakehouse):
    """`sqlingest build --target <target>` on the committed demo project: every table (bronze, silver, gold,
    without run-dependent audit columns) holds the same rows as on the dev target."""
    build = demo_builds[target]
    output = build.wait()
    assert "11 model(s)" in output and "0 failed" in output
    spark = lakehouse.spark
    reference = contents(*readable(demo_builds["dev"], spark))
    session, relations = readable(build, spark)
    assert daily_revenue(session, relations["gold.daily_revenue"]) == DAILY_REVENUE
    got = contents(session, relations)
    assert set(got) == set(reference)
    for name in sorted(reference):
        assert got[name] == reference[name], f"{name} differs from the dev target's"
    assert all(reference.values()) and len(got["silver.orders"]) == 19

    if target == "hms_parquet":  # merge/scd2 refused on Parquet; the target's fallbacks replace them, visibly
        for name, materialization in REBUILT.items():
            assert (f"fallback: {name}: materialized='{materialization}' → full rebuild on every run "
                    f"(parquet tables cannot run {materialization}") in output
        record = json.loads(max((build.root / ".sqlingest" / "runs").glob("*.json")).read_text())
        assert {m["name"]: m["materialization"] for m in record["models"] if m["name"] in REBUILT} == \
            dict.fromkeys(REBUILT, "rebuild")
    if target == "delta_path":  # tables, quarantine and run log are folders under the warehouse
        warehouse = build.root / ".sqlingest" / "delta-warehouse"
        assert relations["silver.orders"] == f"delta.`{warehouse}/silver/orders`"
        assert spark.sql(f"SELECT * FROM delta.`{warehouse}/silver/order_lines__quarantine`").count() == 1
        runs = spark.sql(f"SELECT model, status FROM delta.`{warehouse}/sqlingest_meta/model_runs`").collect()
        assert len(runs) == 11 and {r["status"] for r in runs} <= {"success", "warn"}


def test_delta_path_restore_replace_and_full_refresh(lakehouse, tmp_path):
    """Path-based Delta: a failing check restores the table to its previous version; a `table` model whose schema
    changes replaces its table; --full-refresh deletes the table's folder and rebuilds it from scratch."""
    warehouse = tmp_path / "wh"
    root = write_files(tmp_path / "proj", {
        "sqlingest.yml": ("name: p\nlayers:\n  gold: {require_contract: false}\ntargets:\n  dev:\n"
                          f"    catalog: {{type: delta_path, warehouse: '{warehouse}'}}\n    format: delta\n"),
        "models/gold/totals.sql": "SELECT COUNT(*) AS n FROM {{ ref('bronze.items') }}\n",
        "contracts/p/items.source.yml": (
            "name: p.items\nlayer: source\nsource: {format: csv, path: data/*.csv}\n"
            "columns:\n  - {name: id, type: bigint}\n  - {name: qty, type: int}\n"),
        "contracts/p/items.bronze.yml": (
            "name: p.items\nlayer: bronze\ncolumns:\n  - {name: id, type: bigint}\n  - {name: qty, type: int}\n"
            "checks:\n  - {type: range, column: qty, min: 0}\n"),
        "models/bronze/items.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('p', 'items') }}\n",
        "data/a.csv": "id,qty\n1,5\n2,6\n",
    })
    spark = lakehouse.spark
    rel = f"delta.`{warehouse}/bronze/items`"
    assert build_in_process(root)[0] == 0
    assert rows(spark, rel, "id, qty") == [(1, 5), (2, 6)]
    gold = f"delta.`{warehouse}/gold/totals`"
    assert rows(spark, gold, "*") == [(2,)]
    (root / "models/gold/totals.sql").write_text("SELECT COUNT(*) AS n, SUM(qty) AS qty FROM {{ ref('bronze.items') }}")
    assert build_in_process(root, "--select", "gold.totals")[0] == 0
    assert rows(spark, gold, "*") == [(2, 11)]  # replaced with the new schema, history kept
    assert len(spark.sql(f"DESCRIBE HISTORY {gold}").collect()) >= 3
    (root / "data/b.csv").write_text("id,qty\n3,-1\n")
    code, out = build_in_process(root)
    assert code == 1 and "table restored to its previous version" in out
    assert rows(spark, rel, "id, qty") == [(1, 5), (2, 6)]
    history = spark.sql(f"DESCRIBE HISTORY {rel}").collect()
    assert history[0]["operation"] == "RESTORE" and len(history) >= 3
    (root / "data/b.csv").write_text("id,qty\n3,7\n")
    assert build_in_process(root, "--full-refresh")[0] == 0
    assert rows(spark, rel, "id, qty") == [(1, 5), (2, 6), (3, 7)]
    assert [r["operation"] for r in spark.sql(f"DESCRIBE HISTORY {rel}").collect()][-1] == "CREATE TABLE"
    assert len(spark.sql(f"DESCRIBE HISTORY {rel}").collect()) == 2  # a new table: create, then the append


# ----------------------------------------------------------------------------------------------------------------
# Write-audit-publish on Nessie
# ----------------------------------------------------------------------------------------------------------------


def test_write_audit_publish_on_nessie(lakehouse, nessie, tmp_path):
    """A build on a branch whose audit fails leaves main untouched; one that passes is merged into main."""
    from sqlingest.catalogs.wap import AuditFailed, NessieRefs, write_audit_publish

    spark = lakehouse.spark
    uid = uuid.uuid4().hex[:8]
    warehouse = str(tmp_path / "wap-warehouse")

    def catalog(ref: str) -> str:
        name = f"wap_{ref.replace('-', '_')}"
        register(spark, {"type": "iceberg_nessie", "name": name, "uri": nessie.api_v2, "ref": ref,
                         "warehouse": warehouse, "properties": {"cache-enabled": "false"}}, tmp_path)
        return name

    main_cat = catalog("main")
    table = f"ns_{uid}.orders"
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {main_cat}.ns_{uid}")
    spark.sql(f"CREATE TABLE {main_cat}.{table} (id BIGINT, qty INT) USING iceberg")
    spark.sql(f"INSERT INTO {main_cat}.{table} VALUES (1, 5), (2, 7)")
    before = NessieRefs(nessie.api_v2).head("main")

    def build(rows: str):
        return lambda branch: spark.sql(f"INSERT INTO {catalog(branch)}.{table} VALUES {rows}")

    def audit(branch: str) -> bool:  # the contract's check: qty >= 0
        return spark.sql(f"SELECT COUNT(*) FROM {catalog(branch)}.{table} WHERE qty < 0").first()[0] == 0

    with pytest.raises(AuditFailed):
        write_audit_publish(nessie.api_v2, f"bad-{uid}", build("(3, -1)"), audit)
    assert NessieRefs(nessie.api_v2).head("main") == before
    assert rows(spark, f"{main_cat}.{table}", "id, qty") == [(1, 5), (2, 7)]
    assert rows(spark, f"{catalog(f'bad-{uid}')}.{table}", "id, qty") == [(1, 5), (2, 7), (3, -1)]  # kept

    result = write_audit_publish(nessie.api_v2, f"good-{uid}", build("(3, 4)"), audit)
    assert result.published and result.head != before
    assert rows(spark, f"{main_cat}.{table}", "id, qty") == [(1, 5), (2, 7), (3, 4)]
    refs = NessieRefs(nessie.api_v2)
    assert f"good-{uid}" not in refs.branches() and f"bad-{uid}" in refs.branches()
    refs.drop_branch(f"bad-{uid}")


def test_cli_branch_write_audit_publish(lakehouse, nessie, tmp_path):
    """`sqlingest build --branch`: a passing build is merged into main; a failing one leaves main untouched."""
    import uuid

    from sqlingest.catalogs.wap import NessieRefs
    from sqlingest.cli import main
    from tests.conftest import write_files

    warehouse = tmp_path / "wh"
    uid = uuid.uuid4().hex[:6]

    def config(name: str) -> str:
        # A Spark session keeps a catalog's first ref; each in-process build here therefore uses a fresh catalog
        # name for the same Nessie server (a real `sqlingest build` is a new process).
        return ("name: wap\nlayers:\n  gold: {require_contract: false}\ntargets:\n  dev:\n"
                f"    catalog: {{type: iceberg_nessie, name: {name}, uri: '{nessie.api_v2}', ref: main, "
                f"warehouse: '{warehouse}'}}\n    format: iceberg\n")

    root = write_files(tmp_path / "wap", {
        "sqlingest.yml": config(f"wap_{uid}_1"),
        "contracts/w/items.source.yml": (
            "name: w.items\nlayer: source\nsource: {format: csv, path: data/*.csv}\n"
            "columns:\n  - {name: id, type: bigint}\n  - {name: qty, type: int}\n"),
        "contracts/w/items.bronze.yml": (
            "name: w.items\nlayer: bronze\ncolumns:\n  - {name: id, type: bigint}\n  - {name: qty, type: int}\n"
            "checks:\n  - {type: range, column: qty, min: 0}\n"),
        "models/bronze/items.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('w', 'items') }}\n",
        "data/a.csv": "id,qty\n1,5\n2,6\n",
    })
    refs = NessieRefs(nessie.api_v2)
    assert main(["build", "--project-dir", str(root), "--branch", f"etl-{uid}-1"]) == 0
    assert f"etl-{uid}-1" not in refs.branches()
    main_head = refs.head("main")
    (root / "data/b.csv").write_text("id,qty\n3,-1\n")
    (root / "sqlingest.yml").write_text(config(f"wap_{uid}_2"))
    assert main(["build", "--project-dir", str(root), "--branch", f"etl-{uid}-2"]) == 1
    assert refs.head("main") == main_head and f"etl-{uid}-2" in refs.branches()
    (root / "sqlingest.yml").write_text(config(f"wap_{uid}_3"))
    from sqlingest.catalogs import load_catalog
    from sqlingest.execute.session import build_session
    from sqlingest.project import load_project

    project = load_project(root)
    spark = build_session(project.target.spark, load_catalog(project.target.catalog, root, project.state_dir))
    assert sorted(r[0] for r in spark.sql(f"SELECT id FROM wap_{uid}_3.bronze.items").collect()) == [1, 2]


# ----------------------------------------------------------------------------------------------------------------
# `sqlingest compile --live` on Nessie and on a Hive Metastore (pyiceberg, no JVM)
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("catalog_type", ["iceberg_nessie", "iceberg_hive"])
def test_compile_live_reads_nessie_and_hive_metastore(catalog_type, lakehouse, tmp_path, request, capsys):
    """Tables built through Spark are read back without a JVM: in sync, then a compatible change (evolve in place),
    then an incompatible one (exit 2)."""
    uid = uuid.uuid4().hex[:8]
    name = f"live_{uid}"
    if catalog_type == "iceberg_nessie":
        options = {"type": catalog_type, "name": name, "uri": request.getfixturevalue("nessie").api_v2, "ref": "main",
                   "warehouse": str(tmp_path / "wh")}
    else:
        options = {"type": catalog_type, "name": name, "uri": request.getfixturevalue("metastore").uri,
                   "warehouse": str(tmp_path / "wh")}
    root = write_files(tmp_path / "proj", {
        "sqlingest.yml": (f"name: t\nlayers:\n  bronze: {{namespace: b_{uid}}}\n  silver: {{namespace: s_{uid}}}\n"
                          f"targets:\n  dev:\n    catalog: {yaml_flow(options)}\n    format: iceberg\n"),
        "contracts/s/items.source.yml": SOURCE % {"extra": ""},
        "contracts/s/items.bronze.yml": BRONZE % {"extra": ""},
        "contracts/s/items.silver.yml": SILVER % {"extra": ""},
        "models/bronze/items.sql": BRONZE_MODEL,
        "models/silver/items.sql": SILVER_MERGE % {"note": ""},
        "data/a.csv": "id,name,qty,seq\n1,a,10,1\n",
    })
    capsys.readouterr()
    assert main(["compile", "--project-dir", str(root), "--live"]) == 0
    out = capsys.readouterr().out
    assert f"{'bronze.items':<28} create {name}.b_{uid}.items" in out
    assert main(["build", "--project-dir", str(root)]) == 0
    capsys.readouterr()
    assert main(["compile", "--project-dir", str(root), "--live"]) == 0
    out = capsys.readouterr().out
    assert f"{'bronze.items':<28} in sync" in out and f"{'silver.items':<28} in sync" in out

    contract = root / "contracts/s/items.silver.yml"
    contract.write_text(SILVER % {"extra": NOTE})
    (root / "models/silver/items.sql").write_text(SILVER_MERGE % {"note": ", CAST(NULL AS STRING) AS note"})
    assert main(["compile", "--project-dir", str(root), "--live"]) == 0
    assert f"{'silver.items':<28} evolve in place: ADD COLUMN `note` STRING AFTER `seq`" in capsys.readouterr().out
    contract.write_text((SILVER % {"extra": ""}).replace("{name: qty, type: int}", "{name: qty, type: string}"))
    (root / "models/silver/items.sql").write_text(
        SILVER_MERGE.replace("qty, seq", "CAST(qty AS STRING) AS qty, seq") % {"note": ""})
    assert main(["compile", "--project-dir", str(root), "--live"]) == 2
    assert f"{'silver.items':<28} incompatible: needs ALTER TABLE" in capsys.readouterr().out
