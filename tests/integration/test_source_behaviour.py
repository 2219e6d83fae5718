"""Every built-in source passes the source behaviour suite (sqlingest/testing/sources.py): the contract's typed
columns, rescue of values that do not fit, reads from the table's position (a rerun reads nothing new).

Small data, the session's SparkSession, the services the other source tests start (a private PostgreSQL, the
session's Kafka broker, moto's Kinesis, the local HTTP API)."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, ClassVar

import pytest

from sqlingest.testing.sources import SourceBehaviour, SourceUnderTest
from tests.integration.test_sources_jdbc import pg, sql  # noqa: F401 — the private PostgreSQL fixture
from tests.integration.test_sources_kinesis import kinesis  # noqa: F401 — moto's Kinesis server fixture

pytestmark = pytest.mark.slow


class _Files(SourceUnderTest):
    """One new file per ``add`` under ``data/items/``."""

    suffix: ClassVar[str]

    def options(self) -> dict[str, Any]:
        return {"path": f"data/items/*.{self.suffix}"}

    def add(self, spark: Any, records: list[dict[str, str]]) -> None:
        folder = self.root / "data" / "items"
        folder.mkdir(parents=True, exist_ok=True)
        self.added += 1
        self.write(spark, records, folder / f"part-{self.added}.{self.suffix}")

    def write(self, spark: Any, records: list[dict[str, str]], path: Path) -> None:
        raise NotImplementedError


class Csv(_Files):
    format = suffix = "csv"

    def write(self, spark: Any, records: list[dict[str, str]], path: Path) -> None:
        path.write_text("id,name,amount\n" + "".join(f"{r['id']},{r['name']},{r['amount']}\n" for r in records))


class Json(_Files):
    format, suffix = "json", "jsonl"

    def write(self, spark: Any, records: list[dict[str, str]], path: Path) -> None:
        path.write_text("".join(json.dumps(r) + "\n" for r in records))


class Debezium(_Files):
    format, suffix = "debezium", "jsonl"

    def write(self, spark: Any, records: list[dict[str, str]], path: Path) -> None:
        path.write_text("".join(json.dumps({"before": None, "after": r, "op": "c", "source": {"lsn": int(r["id"])}})
                                + "\n" for r in records))


class _SparkWritten(_Files):
    """Files Spark writes (one part file, string columns: the reader casts them to the contract's types)."""

    def write(self, spark: Any, records: list[dict[str, str]], path: Path) -> None:
        out = Path(tempfile.mkdtemp(prefix="source-suite-"))
        try:
            spark.createDataFrame(records, "id string, name string, amount string").coalesce(1) \
                .write.format(self.format).mode("overwrite").save(str(out / "w"))
            shutil.move(str(next((out / "w").glob(f"part-*.{self.suffix}"))), path)
        finally:
            shutil.rmtree(out)


class Parquet(_SparkWritten):
    format = "parquet"
    suffix = "parquet"


class Avro(_SparkWritten):
    format = suffix = "avro"


class Jdbc(SourceUnderTest):
    """A PostgreSQL table with text columns, read by watermark on ``id``."""

    def __init__(self, root: Path, service: Any) -> None:
        super().__init__(root)
        self.pg = service
        self.table = f"suite_{uuid.uuid4().hex[:8]}"
        sql(service, f"DROP TABLE IF EXISTS {self.table}",
            f"CREATE TABLE {self.table} (id bigint PRIMARY KEY, name text, amount text)")

    format = "jdbc"

    def options(self) -> dict[str, Any]:
        return {"url": self.pg.jdbc_url, "table": f"public.{self.table}", "user": self.pg.user,
                "password_secret": "suite_pg_password", "watermark": "id"}

    def add(self, spark: Any, records: list[dict[str, str]]) -> None:
        values = ", ".join(f"({int(r['id'])}, '{r['name']}', '{r['amount']}')" for r in records)
        sql(self.pg, f"INSERT INTO {self.table} VALUES {values}")


class Http(SourceUnderTest):
    """The local paginated API; a snapshot source (every read is the whole API)."""

    format = "http"
    incremental = False

    def __init__(self, root: Path, api: Any) -> None:
        super().__init__(root)
        self.api = api

    def options(self) -> dict[str, Any]:
        return {"url": f"{self.api.url}/page", "records_path": "data.items", "pagination": {"type": "page",
                                                                                           "size": 2}}

    def add(self, spark: Any, records: list[dict[str, str]]) -> None:
        self.api.records.extend(records)


class Kafka(SourceUnderTest):
    format = "kafka"

    def __init__(self, root: Path, broker: Any) -> None:
        super().__init__(root)
        self.broker, self.topic = broker, f"suite-{uuid.uuid4().hex[:8]}"
        broker.create_topic(self.topic, partitions=2)

    def options(self) -> dict[str, Any]:
        return {"bootstrap_servers": self.broker.bootstrap, "topic": self.topic}

    def add(self, spark: Any, records: list[dict[str, str]]) -> None:
        assert self.broker.produce(self.topic, records) == len(records)


class Kinesis(SourceUnderTest):
    format = "kinesis"

    def __init__(self, root: Path, endpoint: str) -> None:
        import boto3

        super().__init__(root)
        self.endpoint, self.stream = endpoint, f"suite-{uuid.uuid4().hex[:8]}"
        self.client = boto3.client("kinesis", region_name="us-east-1", endpoint_url=endpoint,
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        self.client.create_stream(StreamName=self.stream, ShardCount=1)

    def options(self) -> dict[str, Any]:
        return {"stream": self.stream, "region": "us-east-1", "endpoint_url": self.endpoint,
                "access_key_id_secret": "aws_key", "secret_access_key_secret": "aws_secret"}

    def add(self, spark: Any, records: list[dict[str, str]]) -> None:
        for record in records:
            self.client.put_record(StreamName=self.stream, Data=json.dumps(record).encode(), PartitionKey="k")


@pytest.fixture(scope="module")
def api():
    from sqlingest.services.http_fixture import start_api

    server = start_api([])
    yield server
    server.stop()


KINDS = ["csv", "json", "parquet", "avro", "debezium", "jdbc", "http", "kafka", "kinesis"]


class TestBuiltinSources(SourceBehaviour):
    @pytest.fixture(params=KINDS)
    def case(self, request, tmp_path: Path, monkeypatch) -> SourceUnderTest:
        kind, root = request.param, tmp_path / "proj"
        root.mkdir()
        files = {"csv": Csv, "json": Json, "parquet": Parquet, "avro": Avro, "debezium": Debezium}
        if kind in files:
            return files[kind](root)
        if kind == "jdbc":
            service = request.getfixturevalue("pg")
            monkeypatch.setenv("SQLINGEST_SECRET_SUITE_PG_PASSWORD", service.password)
            return Jdbc(root, service)
        if kind == "http":
            server = request.getfixturevalue("api")
            server.records.clear()
            return Http(root, server)
        if kind == "kafka":
            return Kafka(root, request.getfixturevalue("kafka_broker"))
        monkeypatch.setenv("SQLINGEST_SECRET_AWS_KEY", "testing")
        monkeypatch.setenv("SQLINGEST_SECRET_AWS_SECRET", "testing")
        return Kinesis(root, request.getfixturevalue("kinesis"))

    @pytest.fixture
    def spark(self, lakehouse):
        return lakehouse.spark


def test_every_builtin_source_is_in_the_suite() -> None:
    from sqlingest.sources import SOURCES

    assert sorted(n for n in SOURCES.names() if "." not in n) == sorted(KINDS)
