"""The ``http`` source against a local paginated API with transient failures on the way."""

from __future__ import annotations

import json

import pytest

from sqlingest.cli import main
from sqlingest.errors import ExecutionError, UserError
from sqlingest.project import load_project
from sqlingest.services.http_fixture import start_api
from sqlingest.sources import load_source

RECORDS = [
    {"id": 1, "name": "a", "price": "1.50", "tags": ["x"]},
    {"id": 2, "name": "b", "price": 2},
    {"id": 3, "name": "c", "price": "cheap"},          # a value that does not cast
    "not an object",                                    # a malformed record
    {"id": 5, "name": "e", "price": 5, "colour": "red"},  # an undeclared field
]
SRC = """
name: api.items
layer: source
source:
  format: http
  url: %(url)s
  records_path: data.items
  auth_secret: api_token
  backoff_seconds: 0.01
  pagination: %(pagination)s
columns:
  - {name: id, type: bigint}
  - {name: name, type: string}
  - {name: price, type: "decimal(6,2)"}
  - {name: tags, type: "array<string>"}
"""
BRONZE = SRC.split("source:")[0].replace("layer: source", "layer: bronze") + SRC.split("pagination: %(pagination)s")[1]
MODEL = "{{ config(materialized='table') }}\nSELECT * FROM {{ source('api', 'items') }}\n"


@pytest.fixture
def api():
    server = start_api(RECORDS, token="s3cret", failures={("/page", 2): [429, 500], ("/cursor", 3): [503]})
    yield server
    server.stop()


def make(project, url, pagination):
    return project({"contracts/api/items.source.yml": SRC % {"url": url, "pagination": pagination},
                    "contracts/api/items.bronze.yml": BRONZE, "models/bronze/items.sql": MODEL})


def test_page_pagination_with_retries_and_rescue(lakehouse, project, api, monkeypatch):
    monkeypatch.setenv("SQLINGEST_SECRET_API_TOKEN", "s3cret")
    root = make(project, api.url + "/page", "{type: page, size: 2, size_param: per_page}")
    assert main(["build", "--project-dir", str(root)]) == 0
    rel = f"lake.{load_project(root).config.layer('bronze').namespace}.items"
    rows = lakehouse.spark.table(rel).orderBy("_source_file", "id").collect()
    assert len(rows) == 5
    by_id = {r["id"]: r for r in rows if r["id"] is not None}
    assert str(by_id[1]["price"]) == "1.50" and by_id[1]["tags"] == ["x"] and by_id[1]["_rescued_data"] is None
    assert by_id[3]["price"] is None and json.loads(by_id[3]["_rescued_data"]) == {"price": "cheap"}
    assert json.loads(by_id[5]["_rescued_data"]) == {"colour": "red"}
    bad = [r for r in rows if r["id"] is None]
    assert len(bad) == 1 and json.loads(bad[0]["_rescued_data"]) == {"_corrupt_record": '"not an object"'}
    assert bad[0]["_source_file"] == f"http:{api.url}/page?per_page=2&page=2"
    statuses = [s for p, s in api.log if p.endswith("&page=2")]
    assert statuses == [429, 500, 200]
    assert len([1 for p, s in api.log if p.endswith("&page=3")]) == 1  # 1 record < size: last page


@pytest.mark.parametrize("path,pagination", [
    ("/cursor", "{type: cursor, param: cursor, cursor_path: meta.next_cursor}"),
    ("/link", "{type: link, next_path: meta.next}"),
    ("/offset", "{type: offset, size: 2}"),
])
def test_other_paginations(lakehouse, project, api, monkeypatch, path, pagination):
    monkeypatch.setenv("SQLINGEST_SECRET_API_TOKEN", "s3cret")
    root = make(project, api.url + path + ("?per_page=2" if path != "/offset" else ""), pagination)
    source = load_source(load_project(root).contracts["source:api.items"], root)
    read = source.read(lakehouse.spark)
    assert sorted((r["id"] or 0) for r in read.frame.collect()) == [0, 1, 2, 3, 5]
    assert len(read.inputs) == 3


def test_auth_and_retry_exhaustion(lakehouse, project, monkeypatch):
    server = start_api(RECORDS, token="s3cret", failures={("/page", 1): [500] * 10})
    try:
        monkeypatch.setenv("SQLINGEST_SECRET_API_TOKEN", "wrong")
        root = make(project, server.url + "/page", "{type: page, size: 2}")
        source = load_source(load_project(root).contracts["source:api.items"], root)
        with pytest.raises(ExecutionError, match="HTTP 401 after 1 attempt"):
            source.read(lakehouse.spark)
        monkeypatch.setenv("SQLINGEST_SECRET_API_TOKEN", "s3cret")
        with pytest.raises(ExecutionError, match="HTTP 500 after 6 attempt"):
            source.read(lakehouse.spark)
    finally:
        server.stop()
    path = root / "contracts/api/items.source.yml"
    path.write_text(path.read_text().replace("auth_secret: api_token", "headers: {Authorization: Bearer x}"))
    with pytest.raises(UserError, match="must come from a secret"):
        load_source(load_project(root).contracts["source:api.items"], root).headers()
