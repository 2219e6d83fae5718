"""Domain SLOs on real tables: evaluated after a build and by `sqlingest slo`, recorded in
sqlingest_meta.slo_results, breaches alerted to the domain's route (a local HTTP receiver); per-domain credentials
on a real PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from sqlingest.cli import main
from sqlingest.plan import plan_project
from sqlingest.project import load_project
from sqlingest.runs.slo import evaluate

pytestmark = pytest.mark.slow

FILES = {
    "contracts/shop/events.source.yml": """
        name: shop.events
        layer: source
        source: {format: csv, path: data/*.csv}
        columns:
          - {name: id, type: bigint}
          - {name: ts, type: timestamp}
    """,
    "contracts/shop/events.gold.yml": """
        name: shop.events
        layer: gold
        columns:
          - {name: id, type: bigint, checks: [not_null]}
          - {name: ts, type: timestamp}
        checks:
          - {type: range, column: id, max: 2, severity: warn}
    """,
    "models/bronze/raw.sql": "{{ config(materialized='append') }}\nSELECT * FROM {{ source('shop', 'events') }}\n",
    "models/gold/events.sql": "SELECT id, ts FROM {{ ref('bronze.raw') }}\n",
    "data/a.csv": "id,ts\n1,2020-01-01 00:00:00\n2,2020-01-02 00:00:00\n3,2020-01-03 00:00:00\n",
}


def domain(url: str, slos: str) -> str:
    return f"owners: [shop@example.com]\nalerts: [{{url: '{url}'}}]\nslos: {slos}\n"


@pytest.fixture
def receiver():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def test_slos_breached_then_met(lakehouse, project, receiver, capsys):
    url, received = receiver
    breaching = ("{freshness: 1h, freshness_column: ts, min_rows: 100, dq_pass_rate: 1.0, available_by: '00:00', "
                 "completeness: {per: day, column: ts, min_rows: 1, periods: 2}}")
    root = project({**FILES, "domains/shop.yml": domain(url, breaching)})
    metrics = root / "metrics.prom"
    # a breach does not fail the build
    assert main(["build", "--project-dir", str(root), "--metrics-file", str(metrics)]) == 0
    out = capsys.readouterr().out
    assert "slo BREACHED shop/gold.events completeness >= 100 rows: 3 rows" in out, out
    assert "SLOs: 0 met, 5 breached (sqlingest slo, or --verbose, lists each)" in out, out
    assert ("slo BREACHED shop/gold.events completeness_period >= 1 rows per day of ts, last 2 day(s): fewest 0 rows "
            "per day, 2 short") in out, out
    # the domain's route got one POST with the five breaches
    assert len(received) == 1
    events = received[0]["events"]
    assert [(e["kind"], e["slo"], e["observed"]) for e in events] == [
        ("slo", "freshness", events[0]["observed"]),
        ("slo", "completeness", "3 rows"),
        ("slo", "completeness_period", "fewest 0 rows per day, 2 short"),
        ("slo", "availability", events[3]["observed"]),
        ("slo", "dq_pass_rate", "50% (1/2)")]
    assert events[0]["observed"].endswith("h old") and float(events[0]["observed"][:-6]) > 24 * 365
    assert events[3]["observed"].startswith("first built at ")
    # exported as metrics with the run's
    slo_lines = sorted(line for line in metrics.read_text().splitlines() if line.startswith("sqlingest_slo_met{"))
    assert len(slo_lines) == 5 and all(line.endswith(" 0.0") for line in slo_lines), slo_lines
    assert 'domain="shop"' in slo_lines[0] and 'model="gold.events"' in slo_lines[0]
    spark = lakehouse.spark
    rows = spark.sql("SELECT slo, met FROM lake.sqlingest_meta.slo_results WHERE model = 'gold.events' "
                     f"AND relation LIKE '%{load_project(root).config.layer('gold').namespace}%'").collect()
    assert sorted((r["slo"], r["met"]) for r in rows) == [
        ("availability", False), ("completeness", False), ("completeness_period", False), ("dq_pass_rate", False),
        ("freshness", False)]
    # the run's record carries them too: the report's overview reads them from there
    from sqlingest.runs import list_runs
    from sqlingest.runs.report import collect, overview

    records = list_runs(load_project(root).state_dir)
    assert sorted((s["dataset"], s["name"], s["status"]) for s in records[0]["slos"]) == [
        ("gold.events", "availability", "breached"), ("gold.events", "completeness", "breached"),
        ("gold.events", "completeness_period", "breached"), ("gold.events", "dq_pass_rate", "breached"),
        ("gold.events", "freshness", "breached")]
    summary = overview(collect(records), records, datetime.now(UTC))
    assert summary["slos_recorded"] and len(summary["slo_breaches"]) == 5
    # on demand: the same breaches, exit 3
    assert main(["slo", "--project-dir", str(root)]) == 3
    assert "5 SLO(s) evaluated, 5 breached" in capsys.readouterr().out
    assert len(received) == 2

    met = ("{freshness: 1h, min_rows: 3, dq_pass_rate: 0.5, available_by: '23:59', "
           "completeness: {vs: bronze.raw, key: [id]}}")
    (root / "domains" / "shop.yml").write_text(domain(url, met))
    assert main(["slo", "--project-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "slo met shop/gold.events freshness <= 1h" in out and "BREACHED" not in out, out
    assert ("slo met shop/gold.events completeness_ratio >= 100% of the distinct id in bronze.raw: 100.0% "
            "(3/3 distinct id)") in out, out
    assert len(received) == 2  # nothing to alert
    # availability: built today before 23:59, evaluated after it
    plan = plan_project(load_project(root))
    late = datetime.now(UTC).replace(hour=23, minute=59, second=30)
    results = {r.slo: r for r in evaluate(spark, plan, now=late)}
    assert results["availability"].met and results["availability"].observed.startswith("built at ")


def test_each_domain_writes_through_its_own_credentials(lakehouse, project, tmp_path, monkeypatch, capsys):
    """Per-domain credentials on a real PostgreSQL: domain shop's tables are registered by its own role in its own
    Iceberg JDBC catalog (the catalog tables in PostgreSQL are owned by that role), the other models stay in the
    target's catalog; a wrong password fails only that domain's models, says why, and never prints the password."""
    import shutil
    import tempfile
    import uuid

    import psycopg2

    from sqlingest.services.postgres import create_database, start_postgres

    folder = Path(tempfile.mkdtemp(prefix="sqlingest-pg-domains-"))  # under /tmp: the postgres user can enter it
    folder.chmod(0o755)
    pg = start_postgres(folder / "pg")
    try:
        uid = uuid.uuid4().hex[:6]
        role, password = f"shop_writer_{uid}", f"pw-{uid}-shop"
        hba = pg.data_dir / "pg_hba.conf"
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        with psycopg2.connect(pg.dsn) as conn, conn.cursor() as cur:
            conn.autocommit = True
            cur.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", (password,))
            cur.execute("SELECT pg_reload_conf()")
        conn.close()
        url = create_database(pg, f"shop_{uid}")
        with psycopg2.connect(pg.dsn.rsplit("/", 1)[0] + f"/shop_{uid}") as conn, conn.cursor() as cur:
            cur.execute(f"GRANT ALL ON SCHEMA public TO {role}")
        conn.close()
        monkeypatch.setenv("SHOP_PW", password)

        def shop(catalog_name: str, pw: str) -> str:
            return ("owners: [shop@example.com]\ntargets:\n  dev:\n    catalog: {name: " + catalog_name
                    + f", uri: '{url}', user: {role}, password: \"{pw}\"}}\n")

        files = {**FILES, "models/gold/other.sql": "SELECT 1 AS one\n"}
        root = project({**files, "domains/shop.yml": shop(f"lake_shop_{uid}", "{{ env_var('SHOP_PW') }}")})
        assert main(["build", "--project-dir", str(root)]) == 0, capsys.readouterr().out
        capsys.readouterr()
        plan = plan_project(load_project(root))
        events = plan.models["gold.events"].relation
        assert events.startswith(f"lake_shop_{uid}.") and plan.models["gold.other"].relation.startswith("lake.")
        assert sorted(r[0] for r in lakehouse.spark.sql(f"SELECT id FROM {events}").collect()) == [1, 2, 3]
        with psycopg2.connect(pg.dsn.rsplit("/", 1)[0] + f"/shop_{uid}") as conn, conn.cursor() as cur:
            cur.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'iceberg_tables'")
            assert cur.fetchall() == [(role,)]
            cur.execute("SELECT catalog_name, table_name FROM iceberg_tables ORDER BY table_name")
            assert cur.fetchall() == [(f"lake_shop_{uid}", "events")]
        conn.close()

        # the same domain with a wrong password (a fresh catalog name: this test's Spark session keeps the first)
        wrong = f"wrong-{uid}-pw"
        (root / "domains" / "shop.yml").write_text(shop(f"lake_shop2_{uid}", wrong))
        assert main(["build", "--project-dir", str(root)]) == 1
        out = capsys.readouterr().out
        assert "0 warned, 1 failed" in out, out
        assert "password authentication failed" in out and wrong not in out, out
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
