"""Canary secrets never appear in anything sqlingest writes or prints.

A project whose secrets are long unique canary strings — from the environment provider and from a folder of files
— uses them in the target's Spark conf, in its catalog's properties, as a JDBC source's password against a private
PostgreSQL that really checks it (scram), as an HTTP source's auth header against the local API fixture, and in
models' SQL (one of which fails with the secret in Spark's own error message). ``compile``, a successful ``build``, a failing ``build --debug`` (a wrong password — itself a canary —,
HTTP 500s, a failing check), ``test``, ``report`` and ``runs`` run as subprocesses; then every byte they printed,
every file under the project (compiled SQL, run records, logs, report, the Iceberg warehouse's data and metadata
files, the SQLite catalog), every file created in their temp folders and every process command line seen while they
ran is searched for each canary and its base64 and URL-encoded forms.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Self

import psycopg2
import pytest

from sqlingest.services.http_fixture import start_api
from tests.conftest import REPO, write_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RECORDS = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]


def canary(kind: str) -> str:
    return f"CANARY-{uuid.uuid4().hex}-{kind}/+x"


def forms(value: str) -> set[str]:
    raw = value.encode()
    return {value, base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("="),
            urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}


@pytest.fixture(scope="module")
def pg():
    from sqlingest.services.postgres import start_postgres

    service = start_postgres()
    yield service
    service.stop()


def require_password(pg, user: str, password: str) -> None:
    """``user`` must log in with ``password`` (scram); everyone else stays on ``trust``."""
    hba = pg.data_dir / "pg_hba.conf"
    if f" {user} " not in hba.read_text():
        hba.write_text(f"host all {user} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    with psycopg2.connect(pg.dsn) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS customers; DROP ROLE IF EXISTS {user}")
        cur.execute(f"CREATE ROLE {user} LOGIN PASSWORD %s", (password,))
        cur.execute("CREATE TABLE customers (id int PRIMARY KEY, name text)")
        cur.execute("INSERT INTO customers VALUES (1, 'ann'), (2, 'bob')")
        cur.execute(f"GRANT SELECT ON customers TO {user}")
        cur.execute("SELECT pg_reload_conf()")
    conn.close()


CONFIG = """
name: canary
secrets:
  - {type: env}
  - {type: file, path: '%(secrets_dir)s'}
layers:
  gold: {require_contract: false}
targets:
  dev:
    spark:
      master: 'local[1]'
      conf:
        spark.sql.shuffle.partitions: '1'
        spark.ui.enabled: 'false'
        spark.hadoop.fs.s3a.secret.key: "{{ secret('s3_key') }}"
    catalog:
      type: iceberg_jdbc
      name: lake
      properties: {s3.secret-access-key: "{{ secret('catalog_key') }}"}
    format: iceberg
"""
JDBC_SOURCE = """
name: crm.customers
layer: source
source: {format: jdbc, url: '%(url)s', table: public.customers, user: canary_user, password_secret: pg_password}
columns:
  - {name: id, type: int, nullable: false}
  - {name: name, type: string}
"""
HTTP_SOURCE = """
name: api.items
layer: source
source: {format: http, url: '%(url)s/page', records_path: data.items, auth_secret: api_token, backoff_seconds: 0.01,
         max_retries: 1, pagination: {type: page, size: 2}}
columns:
  - {name: id, type: bigint}
  - {name: name, type: string}
"""
FLAG = """
name: ops.flag
layer: gold
columns:
  - {name: n, type: int, checks: [{accepted_values: [1]}]}
  - {name: ok, type: boolean}
"""


def bronze(source: str) -> str:
    head, columns = source.split("columns:")
    return head.split("source:")[0].replace("layer: source", "layer: bronze") + "columns:" + columns


def make_project(root: Path, secrets_dir: Path, pg, api) -> Path:
    jdbc = JDBC_SOURCE % {"url": pg.jdbc_url}
    http = HTTP_SOURCE % {"url": api.url}
    return write_files(root, {
        "sqlingest.yml": CONFIG % {"secrets_dir": secrets_dir},
        "contracts/crm/customers.source.yml": jdbc, "contracts/crm/customers.bronze.yml": bronze(jdbc),
        "contracts/api/items.source.yml": http, "contracts/api/items.bronze.yml": bronze(http),
        "contracts/ops/flag.gold.yml": FLAG,
        "models/bronze/customers.sql": "{{ config(materialized='table') }}\n"
                                       "SELECT * FROM {{ source('crm', 'customers') }}\n",
        "models/bronze/items.sql": "{{ config(materialized='table') }}\nSELECT * FROM {{ source('api', 'items') }}\n",
        # a failure whose message holds the secret itself: Spark's error, its log lines and the run record carry it
        "models/gold/echo.sql": "{{ config(materialized='table') }}\nSELECT id, IF(id > {{ var('limit', 10) }}, "
                                "raise_error('rejected {{ secret(\"api_token\") }}'), 'fine') AS verdict FROM range(3)\n",
        "models/gold/flag.sql": "{{ config(materialized='table') }}\n"
                                "SELECT CAST({{ var('n', 1) }} AS INT) AS n, "
                                "length('{{ secret(\"api_token\") }}') > 0 AS ok\n",
    })


class CommandLines:
    """Every process command line seen while a run goes on (secrets must not be on any)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    self.seen.add(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
                except OSError:
                    pass
            self._stop.wait(0.5)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_canary_secrets_appear_nowhere(tmp_path, pg, monkeypatch):
    secrets = {"s3_key": canary("s3"), "catalog_key": canary("catalog"), "pg_password": canary("pg"),
               "api_token": canary("api"), "wrong_pg_password": canary("wrongpg")}
    secrets_dir = tmp_path / "run-secrets"  # a folder of files, as /run/secrets is mounted
    secrets_dir.mkdir()
    (secrets_dir / "catalog_key").write_text(secrets["catalog_key"] + "\n")
    (secrets_dir / "api_token").write_text(secrets["api_token"])
    require_password(pg, "canary_user", secrets["pg_password"])
    api = start_api(RECORDS, token=secrets["api_token"])
    temp = tmp_path / "tmp"
    temp.mkdir()
    root = make_project(tmp_path / "proj", secrets_dir, pg, api)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(temp), "SPARK_LOCAL_DIRS": str(temp),
           "SPARK_SUBMIT_OPTS": f"-Djava.io.tmpdir={temp}", "SQLINGEST_SECRET_S3_KEY": secrets["s3_key"],
           "SQLINGEST_SECRET_PG_PASSWORD": secrets["pg_password"]}
    started = time.time()
    printed: list[tuple[str, str]] = []

    def run(*args: str, expect: int, **extra: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "sqlingest", *args, "--project-dir", str(root)],
                              check=False, capture_output=True, env={**env, **extra}, timeout=600)
        out = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
        printed.append((" ".join(args), out))
        assert proc.returncode == expect, out
        return out

    try:
        with CommandLines() as cmdlines:
            run("compile", expect=0)
            ok = run("build", expect=0)
            assert "4 ok, 0 warned, 0 failed" in ok, ok
            api.failures[("/page", 1)] = [500] * 10
            failed = run("build", "--debug", "--vars", "{n: 2, limit: 0}", expect=1,
                         SQLINGEST_SECRET_PG_PASSWORD=secrets["wrong_pg_password"])
            run("test", expect=0)  # the failing check restored the table: what is there passes
            run("report", expect=0)
            run("runs", expect=0)
    finally:
        api.stop()
    # the failures really happened, and say why without the secret
    assert 'password authentication failed for user "canary_user"' in failed, failed
    assert "HTTP 500 after 2 attempt(s)" in failed, failed
    assert "accepted_values" in failed and "4 failed" in failed, failed
    assert "gold.echo        table   FAIL" in failed and "\n        rejected ***\n" in failed, failed  # redacted
    assert "at org.apache" in failed  # --debug printed the JVM stacks: they were redacted too

    needles = {name: forms(value) for name, value in secrets.items()}

    def leaks(data: bytes) -> list[str]:
        return sorted({f"{name}:{form}" for name, fs in needles.items() for form in fs if form.encode() in data})

    found: dict[str, list[str]] = {}
    for command, out in printed:
        if hits := leaks(out.encode()):
            found[f"output of `{command}`"] = hits
    files = [p for p in root.rglob("*") if p.is_file()] + [p for p in temp.rglob("*") if p.is_file()]
    files += [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("*")
              if p.is_file() and p.stat().st_mtime >= started and p.stat().st_size < 50_000_000]
    kinds = {p.suffix for p in files}
    assert {".json", ".log", ".html", ".sql", ".db", ".parquet", ".avro"} <= kinds, kinds
    assert any("metadata.json" in p.name for p in files)
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if hits := leaks(data):
            found[str(path)] = hits
    for cmdline in cmdlines.seen:
        if hits := leaks(cmdline.encode()):
            found[f"command line {cmdline[:200]}"] = hits
    assert not found, found
    logs = list((root / ".sqlingest" / "logs").glob("*.log"))
    assert len(logs) == 3 and all(p.stat().st_size > 0 for p in logs), logs  # two builds and the test
    assert any("rejected ***" in p.read_text() for p in logs)  # the JVM's own log lines went through redaction
    assert any("rejected ***" in p.read_text() for p in (root / ".sqlingest" / "runs").glob("*.json"))
