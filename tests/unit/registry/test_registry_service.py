"""The registry REST service (sqlingest.registry.service): auth, status codes, errors, and a schemathesis fuzz."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastapi  # noqa: F401  (the registry extra, installed by `make test`)
import httpx  # noqa: F401
import pytest

with warnings.catch_warnings():
    # recent Starlette warns that its TestClient wants `httpx2` instead of `httpx`; both work
    warnings.filterwarnings("ignore", message=r".*install `httpx2`")
    from fastapi.testclient import TestClient

from sqlingest.registry.compat import Mode
from sqlingest.registry.file_store import FileStore
from sqlingest.registry.service import create_app

RETAIL = "retail-token-0001"
FINANCE = "finance-token-0001"
ADMIN = "admin-token-0001"
TOKENS = {RETAIL: ["retail"], FINANCE: ["finance"], ADMIN: ["*"]}
SUBJECT = "silver:retail.orders"
V1 = {"name": "retail.orders", "layer": "silver",
      "columns": [{"name": "order_id", "type": "bigint", "nullable": False}, {"name": "status", "type": "string"}]}
V2 = {**V1, "columns": [*V1["columns"], {"name": "amount", "type": "double"}]}
BREAKING = {**V1, "columns": [*V1["columns"], {"name": "region", "type": "string", "nullable": False}]}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path)


@pytest.fixture
def client(store: FileStore) -> Iterator[TestClient]:
    with TestClient(create_app(store, TOKENS)) as test_client:
        yield test_client


def publish(client: TestClient, body: Any, token: str = RETAIL, subject: str = SUBJECT) -> Any:
    return client.post(f"/subjects/{subject}/versions", json=body, headers=auth(token))


# ------------------------------------------------------------------------------------------------------------
# Authentication and authorization
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, auth("wrong-token"), {"Authorization": "Basic cmV0YWls"},
                                     {"Authorization": f"Bearer {RETAIL}x"}])
def test_requests_without_a_valid_token_get_401(client: TestClient, headers: dict[str, str]) -> None:
    for response in (client.get("/subjects", headers=headers),
                     client.get(f"/subjects/{SUBJECT}/versions/latest", headers=headers),
                     client.post(f"/subjects/{SUBJECT}/versions", json=V1, headers=headers)):
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
        assert RETAIL not in response.text


def test_writes_to_a_foreign_domain_get_403_and_change_nothing(client: TestClient, store: FileStore) -> None:
    response = publish(client, V1, token=FINANCE)
    assert response.status_code == 403
    assert "retail" in response.json()["detail"]
    assert store.subjects() == []
    # rights are checked before the contract is validated
    assert publish(client, {"junk": True}, token=FINANCE).status_code == 403
    assert publish(client, [1, 2], token=FINANCE).status_code == 403


def test_reads_are_open_to_every_valid_token(client: TestClient) -> None:
    assert publish(client, V1).status_code == 201
    for token in (RETAIL, FINANCE, ADMIN):
        assert client.get("/subjects", headers=auth(token)).json() == [SUBJECT]
        assert client.get(f"/subjects/{SUBJECT}/versions", headers=auth(token)).json() == [1]
        assert client.get(f"/subjects/{SUBJECT}/versions/1", headers=auth(token)).status_code == 200
        check = client.post(f"/compatibility/subjects/{SUBJECT}/versions/latest", json=V2, headers=auth(token))
        assert check.status_code == 200


def test_wildcard_token_may_publish_everywhere(client: TestClient) -> None:
    assert publish(client, V1, token=ADMIN).status_code == 201
    gold = {"name": "finance.ledger", "layer": "gold", "columns": [{"name": "id", "type": "bigint"}]}
    assert publish(client, gold, token=ADMIN, subject="gold:finance.ledger").status_code == 201
    assert publish(client, gold, token=FINANCE, subject="gold:finance.ledger").status_code == 200


# ------------------------------------------------------------------------------------------------------------
# Publishing
# ------------------------------------------------------------------------------------------------------------


def test_publish_201_then_200_when_identical(client: TestClient) -> None:
    first = publish(client, V1)
    assert first.status_code == 201
    body = first.json()
    assert (body["subject"], body["version"]) == (SUBJECT, 1)
    assert len(body["fingerprint"]) == 64
    again = publish(client, V1)
    assert again.status_code == 200
    assert again.json() == body
    second = publish(client, V2)
    assert (second.status_code, second.json()["version"]) == (201, 2)


def test_incompatible_publish_gets_409_with_every_incompatibility(client: TestClient, store: FileStore) -> None:
    publish(client, V1)
    response = publish(client, BREAKING)
    assert response.status_code == 409
    body = response.json()
    assert body["mode"] == "BACKWARD"
    assert [(i["path"], i["rule"]) for i in body["incompatibilities"]] == [("region",
                                                                           "field-added-without-default")]
    assert "not BACKWARD compatible" in body["detail"]
    assert store.versions(SUBJECT) == [1]


def test_compatibility_check_does_not_publish(client: TestClient, store: FileStore) -> None:
    publish(client, V1)
    url = f"/compatibility/subjects/{SUBJECT}/versions/latest"
    bad = client.post(url, json=BREAKING, headers=auth(FINANCE)).json()
    assert bad["is_compatible"] is False and bad["incompatibilities"][0]["path"] == "region"
    good = client.post(url, json={**V2, "compatibility": "FULL"}, headers=auth(RETAIL)).json()
    assert good == {"is_compatible": True, "mode": "FULL", "incompatibilities": []}
    assert store.versions(SUBJECT) == [1]


def test_get_versions_latest_and_missing(client: TestClient) -> None:
    publish(client, V1)
    publish(client, V2)
    headers = auth(FINANCE)
    assert client.get(f"/subjects/{SUBJECT}/versions/latest", headers=headers).json()["version"] == 2
    assert len(client.get(f"/subjects/{SUBJECT}/versions/1", headers=headers).json()["contract"]["columns"]) == 2
    assert client.get(f"/subjects/{SUBJECT}/versions/3", headers=headers).status_code == 404
    assert client.get("/subjects/gold:retail.nothing/versions", headers=headers).status_code == 404
    assert client.get("/subjects/gold:retail.nothing/versions/latest", headers=headers).status_code == 404


# ------------------------------------------------------------------------------------------------------------
# Invalid input: 4xx with a clear message, never 500
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "retail.orders", "layer": "silver", "columns": [{"name": "x", "type": "no_such_type"}]},
         "no_such_type"),
        ({"name": "retail.orders", "layer": "silver"}, "columns"),
        ({**V1, "surprise": 1}, "surprise"),
        ({**V1, "compatibility": "SIDEWAYS"}, "SIDEWAYS"),
        ({**V1, "name": "retail.customers"}, "silver:retail.customers"),
        ({**V1, "columns": [{"name": "m", "type": "map<int,string>"}]}, "cannot be checked"),
        ([1, 2, 3], "body"),
        ("just a string", "body"),
    ],
)
def test_invalid_contracts_get_422_with_a_clear_message(client: TestClient, body: Any, message: str) -> None:
    response = publish(client, body)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_malformed_json_gets_400(client: TestClient, store: FileStore) -> None:
    for url in (f"/subjects/{SUBJECT}/versions", f"/compatibility/subjects/{SUBJECT}/versions/latest"):
        response = client.post(url, content=b"{nope", headers={**auth(RETAIL), "Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["detail"].startswith("the request body is not valid JSON")
        assert response.json()["hint"] == "send the contract as JSON with Content-Type: application/json"
    assert store.subjects() == []
    # valid JSON that is not a contract is still 422
    assert client.post(f"/subjects/{SUBJECT}/versions", content=b"[1, 2]",
                       headers={**auth(RETAIL), "Content-Type": "application/json"}).status_code == 422


def test_bodies_over_the_limit_get_413(store: FileStore) -> None:
    with TestClient(create_app(store, TOKENS, max_body_bytes=2000)) as small:
        big = {**V1, "description": "x" * 3000}
        response = publish(small, big)
        assert response.status_code == 413, response.text
        assert response.json() == {"detail": "request body larger than 2000 bytes",
                                   "hint": "a contract is sent as JSON of its YAML file; split or trim it"}

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while the body arrives
            yield b'{"name": "retail.orders", "description": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'"}'

        response = small.post(f"/subjects/{SUBJECT}/versions", content=chunks(),
                              headers={**auth(RETAIL), "Content-Type": "application/json"})
        assert response.status_code == 413, response.text
        assert response.json()["detail"] == "request body larger than 2000 bytes"
        assert store.subjects() == []
        assert publish(small, V1).status_code == 201  # a normal contract still fits


def test_malformed_parameters_get_422(client: TestClient) -> None:
    assert client.get("/subjects/orders/versions", headers=auth(RETAIL)).status_code == 422
    assert client.get(f"/subjects/{SUBJECT}/versions/0", headers=auth(RETAIL)).status_code == 422
    assert client.get(f"/subjects/{SUBJECT}/versions/99999999999999999999", headers=auth(RETAIL)).status_code == 422
    assert publish(client, V1, subject="platinum:retail.orders").status_code == 422


# ------------------------------------------------------------------------------------------------------------
# Property-based: schemathesis against the app's own OpenAPI document
# ------------------------------------------------------------------------------------------------------------

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

FUZZ_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_openapi_fuzz_never_gives_a_server_error(tmp_path: Path, mode: GenerationMode) -> None:
    """Every operation of the app's OpenAPI document, with generated (valid, then invalid) requests: no 5xx, and
    every response is documented and matches its schema. (Driven by hand: schemathesis' pytest plugin does not
    support the installed pytest.)"""
    store = FileStore(tmp_path)
    store.publish(SUBJECT, V1)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(store, TOKENS))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {
        "GET /subjects", "GET /subjects/{subject}/versions", "GET /subjects/{subject}/versions/{version}",
        "POST /subjects/{subject}/versions", "POST /compatibility/subjects/{subject}/versions/latest",
    }
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            response = case.call(headers=auth(ADMIN))
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            case.validate_response(response, checks=FUZZ_CHECKS)

        fuzz()


TRICKY_TYPES = ["bigint", "int", "string", "double", "date", "timestamp", "decimal(10,2)", "decimal(50,2)",
                "array<>", "array<int>", "map<int,string>", "map<string,array<int>>", "struct<a:int,b:string>",
                "struct<>", "interval", "void", "char(3)", "binary", "boolean", "array<" * 60 + "int" + ">" * 60, "'", "`x", "array<int", "struct<a:>", "decimal(a,b)",
                "map<string>", "'0", ""]
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                        max_size=3), max_leaves=5)
COLUMNS = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["id", "amount", "status", "x", "y", "1bad"]),
         "type": st.sampled_from(TRICKY_TYPES) | st.text(max_size=12)},
        optional={"nullable": st.booleans() | JSON_VALUES, "default": JSON_VALUES, "deprecated": st.booleans(),
                  "previous_names": st.lists(st.sampled_from(["id", "old", "x"]), max_size=2)},
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda c: c["name"],
)
CONTRACTS = st.fixed_dictionaries(
    {"name": st.sampled_from(["retail.orders"] * 4 + ["retail.other", "bad"]),
     "layer": st.sampled_from(["silver"] * 4 + ["gold"]), "columns": COLUMNS},
    optional={"compatibility": st.sampled_from([m.value for m in Mode] + ["full", "nope"]), "keys": JSON_VALUES},
)


def test_fuzzed_contracts_never_give_a_server_error(tmp_path: Path) -> None:
    """Contract-shaped bodies with odd types, defaults and names: always a documented 2xx/409/422, never 5xx."""
    with TestClient(create_app(FileStore(tmp_path), TOKENS)) as client:

        @given(body=CONTRACTS)
        @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(body: dict[str, Any]) -> None:
            for url in (f"/subjects/{SUBJECT}/versions", f"/compatibility/subjects/{SUBJECT}/versions/latest"):
                response = client.post(url, json=body, headers=auth(RETAIL))
                assert response.status_code in (200, 201, 409, 422), response.text
                if response.status_code >= 400:
                    assert isinstance(response.json()["detail"], str) and response.json()["detail"]

        fuzz()


def test_ownership_follows_the_projects_domain_definitions(tmp_path: Path) -> None:
    """With the project's domains, `silver:retail.orders` belongs to domain sales (its `datasets:` glob): the sales
    domain's name or one of its owners may publish it; a token for the name's prefix no longer may."""
    from sqlingest.registry.serve import project_domains

    project = tmp_path / "project"
    (project / "domains").mkdir(parents=True)
    (project / "sqlingest.yml").write_text("name: t\n")
    (project / "domains" / "sales.yml").write_text(
        "owners: [sales-data@example.com]\ndatasets: [retail.orders]\n")
    domains = project_domains(project)
    assert domains is not None and project_domains(tmp_path) is None
    team, sales = "sales-team-token-1", "sales-domain-token"
    tokens = {**TOKENS, team: ["sales-data@example.com"], sales: ["sales"]}
    with TestClient(create_app(FileStore(tmp_path / "store"), tokens, domains=domains)) as client:
        refused = publish(client, V1, token=RETAIL)
        assert refused.status_code == 403
        assert refused.json()["detail"] == ("this token may not publish to domain 'sales' (owned by "
                                            "sales, sales-data@example.com)")
        assert publish(client, V1, token=team).status_code == 201
        assert publish(client, V2, token=sales).status_code == 201
        # a subject of no declared domain keeps the prefix rule
        other = {**V1, "name": "retail.returns"}
        assert publish(client, other, token=RETAIL, subject="silver:retail.returns").status_code == 201
        assert publish(client, other, token=team, subject="silver:retail.returns").status_code == 403
