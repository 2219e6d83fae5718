"""One behaviour suite for every registry store (sqlingest.registry.store): the file store and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sqlingest.errors import ContractError, SqlingestError
from sqlingest.registry.compat import Mode
from sqlingest.registry.file_store import FileStore
from sqlingest.registry.store import (
    IncompatibleSchemaChange,
    InvalidSubject,
    RegistryStore,
    SubjectNotFound,
    VersionNotFound,
)

SUBJECT = "silver:retail.orders"


def contract(*columns: dict[str, Any], name: str = "retail.orders", layer: str = "silver",
             **extra: Any) -> dict[str, Any]:
    return {"name": name, "layer": layer, "columns": list(columns), **extra}


def col(name: str, type_: str = "bigint", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


V1 = contract(col("order_id", nullable=False), col("status", "string"))
V2 = contract(col("order_id", nullable=False), col("status", "string"), col("amount", "decimal(10,2)"))


@pytest.fixture(params=["file", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RegistryStore]:
    if request.param == "file":
        yield FileStore(tmp_path)
        return
    from sqlingest.registry.pg_store import PostgresStore

    service = request.getfixturevalue("postgres_service")
    pg = PostgresStore(service.dsn)
    _truncate(service.dsn)
    yield pg
    _truncate(service.dsn)


def _truncate(dsn: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("TRUNCATE sqlingest_schema_versions, sqlingest_subjects")
    finally:
        conn.close()


def new_store_like(store: RegistryStore) -> RegistryStore:
    """A second instance on the same storage (as another process would open it)."""
    if isinstance(store, FileStore):
        return FileStore(store.root.parent.parent)
    return type(store)(store.dsn)  # type: ignore[call-arg, attr-defined]


def test_publish_first_version(store: RegistryStore) -> None:
    assert store.subjects() == []
    published = store.publish(SUBJECT, V1)
    assert (published.subject, published.version) == (SUBJECT, 1)
    assert len(published.fingerprint) == 64 and int(published.fingerprint, 16) >= 0
    assert datetime.fromisoformat(published.created_at).tzinfo is not None
    assert published.contract["name"] == "retail.orders"
    assert [c["name"] for c in published.contract["columns"]] == ["order_id", "status"]
    assert store.subjects() == [SUBJECT]
    assert store.versions(SUBJECT) == [1]


def test_compatible_change_becomes_version_2(store: RegistryStore) -> None:
    store.publish(SUBJECT, V1)
    second = store.publish(SUBJECT, V2)
    assert second.version == 2
    assert store.versions(SUBJECT) == [1, 2]
    assert second.fingerprint != store.get(SUBJECT, 1).fingerprint


def test_incompatible_change_is_refused_and_store_unchanged(store: RegistryStore) -> None:
    store.publish(SUBJECT, V1)
    breaking = contract(col("order_id", nullable=False), col("status", "string"),
                        col("region", "string", nullable=False))
    with pytest.raises(IncompatibleSchemaChange) as caught:
        store.publish(SUBJECT, breaking)
    exc = caught.value
    assert isinstance(exc, SqlingestError) and exc.exit_code == 1
    assert exc.mode is Mode.BACKWARD
    assert [(i.path, i.rule) for i in exc.incompatibilities] == [("region", "field-added-without-default")]
    assert "region" in exc.format()
    assert store.versions(SUBJECT) == [1]
    assert store.get(SUBJECT).version == 1


def test_type_narrowing_is_refused(store: RegistryStore) -> None:
    store.publish(SUBJECT, V1)
    narrowed = contract(col("order_id", "int", nullable=False), col("status", "string"))
    with pytest.raises(IncompatibleSchemaChange) as caught:
        store.publish(SUBJECT, narrowed)
    assert caught.value.incompatibilities[0].path == "order_id"


def test_identical_republish_returns_existing_version(store: RegistryStore) -> None:
    first = store.publish(SUBJECT, V1)
    again, created = store.publish_with_status(SUBJECT, json.loads(json.dumps(V1)))
    assert not created
    assert again == first
    # the same contract spelled differently (type case, defaults written out) is still identical
    spelled = contract(col("order_id", "BIGINT", nullable=False), col("status", "STRING", nullable=True),
                       compatibility="BACKWARD")
    assert store.publish(SUBJECT, spelled) == first
    assert store.versions(SUBJECT) == [1]


def test_get_latest_and_by_version(store: RegistryStore) -> None:
    store.publish(SUBJECT, V1)
    store.publish(SUBJECT, V2)
    assert store.get(SUBJECT).version == 2
    assert store.get(SUBJECT, None).contract == store.get(SUBJECT, 2).contract
    assert len(store.get(SUBJECT, 1).contract["columns"]) == 2
    assert [v.version for v in store.history(SUBJECT)] == [1, 2]
    with pytest.raises(VersionNotFound):
        store.get(SUBJECT, 3)
    with pytest.raises(SubjectNotFound):
        store.get("gold:retail.nothing")
    with pytest.raises(SubjectNotFound):
        store.versions("gold:retail.nothing")
    with pytest.raises(InvalidSubject):
        store.get("retail.orders")


def test_subjects_are_independent(store: RegistryStore) -> None:
    store.publish(SUBJECT, V1)
    bronze = contract(col("order_id", "string"), layer="bronze")
    assert store.publish("bronze:retail.orders", bronze).version == 1
    assert store.subjects() == ["bronze:retail.orders", SUBJECT]


def test_contract_must_match_its_subject(store: RegistryStore) -> None:
    with pytest.raises(ContractError, match="not 'gold:retail.orders'"):
        store.publish("gold:retail.orders", V1)
    with pytest.raises(ContractError, match="invalid contract"):
        store.publish(SUBJECT, {"name": "retail.orders", "layer": "silver", "columns": [{"name": "x"}]})
    with pytest.raises(ContractError, match="compatibility mode"):
        store.publish(SUBJECT, {**V1, "compatibility": "SIDEWAYS"})
    assert store.subjects() == []


def test_transitive_mode_checks_every_version(store: RegistryStore) -> None:
    store.publish(SUBJECT, contract(col("order_id"), col("code", "string", nullable=False)))
    store.publish(SUBJECT, contract(col("order_id")))  # dropping a column is BACKWARD compatible
    code_as_int = contract(col("order_id"), col("code", "int", nullable=False, default=0))
    # compatible with the latest version (v2 has no 'code'), but v1 wrote 'code' as a string
    with pytest.raises(IncompatibleSchemaChange) as caught:
        store.publish(SUBJECT, {**code_as_int, "compatibility": "BACKWARD_TRANSITIVE"})
    assert caught.value.mode is Mode.BACKWARD_TRANSITIVE
    assert [i.path for i in caught.value.incompatibilities] == ["code"]
    with pytest.raises(IncompatibleSchemaChange):
        store.publish(SUBJECT, code_as_int, mode=Mode.FULL_TRANSITIVE)
    assert store.versions(SUBJECT) == [1, 2]
    assert store.publish(SUBJECT, code_as_int).version == 3  # plain BACKWARD only looks at v2


def test_mode_none_accepts_anything(store: RegistryStore) -> None:
    store.publish(SUBJECT, V1)
    unrelated = contract(col("something", "string", nullable=False), compatibility="NONE")
    assert store.publish(SUBJECT, unrelated).version == 2


def test_rename_through_previous_names_is_compatible(store: RegistryStore) -> None:
    store.publish(SUBJECT, V1)
    renamed = contract(col("order_id", nullable=False), col("state", "string", previous_names=["status"]))
    assert store.publish(SUBJECT, renamed, mode=Mode.FULL).version == 2


def test_domain_check_can_refuse(store: RegistryStore) -> None:
    def refuse(domain: str) -> None:
        raise PermissionError(domain)

    with pytest.raises(PermissionError, match="retail"):
        store.publish(SUBJECT, V1, domain_check=refuse)
    assert store.subjects() == []


def test_concurrent_publishes_get_distinct_versions(store: RegistryStore) -> None:
    writers = 6
    barrier = threading.Barrier(writers)
    results: list[int] = []
    errors: list[BaseException] = []

    def publish(index: int) -> None:
        own = new_store_like(store)
        candidate = contract(col("order_id", nullable=False), col(f"extra_{index}", "string"))
        barrier.wait()
        try:
            results.append(own.publish(SUBJECT, candidate).version)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(results) == list(range(1, writers + 1))
    assert store.versions(SUBJECT) == list(range(1, writers + 1))
    columns = {store.get(SUBJECT, v).contract["columns"][1]["name"] for v in results}
    assert len(columns) == writers


def test_file_store_keeps_history_in_a_committed_json_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.publish(SUBJECT, V1)
    store.publish(SUBJECT, V2)
    path = tmp_path / "contracts" / ".registry" / "silver__retail.orders.json"
    assert store.path(SUBJECT) == path
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [v["version"] for v in data] == [1, 2]
    assert set(data[0]) == {"subject", "version", "contract", "fingerprint", "created_at"}
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no lock or temp files left behind
    assert FileStore(tmp_path).get(SUBJECT).version == 2


def test_file_store_reports_a_corrupt_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    path = store.path(SUBJECT)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SqlingestError, match="corrupt"):
        store.get(SUBJECT)
