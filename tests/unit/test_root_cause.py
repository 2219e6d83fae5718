"""``root_cause`` over real Spark/JVM failures, captured by ``scripts/capture_spark_errors.py`` into
``fixtures/spark_errors.json``: from the text (JVM gone) and from the Java cause chain (as py4j exposes it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqlingest.execute.errors import causes, root_cause

CASES = json.loads((Path(__file__).parent / "fixtures" / "spark_errors.json").read_text(encoding="utf-8"))

CAST = ("[CAST_INVALID_INPUT] The value '{v}' of the type \"STRING\" cannot be cast to \"INT\" because it is "
        "malformed. Correct the value as per the syntax, or change its target type. Use `try_cast` to tolerate "
        "malformed input and return NULL instead. If necessary set \"spark.sql.ansi.enabled\" to \"false\" to "
        "bypass this error.")
EXPECTED = {
    "cast_invalid_input_driver": CAST.format(v="abc") + "\n  at SQL line 1, position 8: "
                                                         "SELECT CAST(s AS INT) FROM VALUES ('abc') t(s)",
    "cast_invalid_input_task": CAST.format(v="ab0") + "\n  at SQL line 1, position 1: "
                                                       "INSERT INTO lake.db.t SELECT CAST(concat('ab', id) AS...",
    "broadcast_join_task": CAST.format(v="x0") + "\n  at SQL line 1, position 59: ... * FROM range(3) a JOIN "
                                                  "(SELECT CAST(concat('x', id) AS INT) AS k FROM range(3)) b ON a.id =...",
    "missing_path": "[PATH_NOT_FOUND] Path does not exist: file:/tmp/sqlingest-capture-wb71gbqm/nowhere.",
    "file_deleted_during_read": "SparkFileNotFoundException: File file:/tmp/sqlingest-capture-wb71gbqm/csv/a.csv "
                                "does not exist It is possible the underlying files have been updated. You can "
                                "explicitly invalidate the cache in Spark by running 'REFRESH TABLE tableName' "
                                "command in SQL or by recreating the Dataset/DataFrame involved.",
    "unresolved_column": "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `idd` cannot "
                         "be resolved. Did you mean one of the following? [`id`, `s`].; line 1 pos 7",
    "delta_concurrent_append": "[DELTA_CONCURRENT_APPEND] ConcurrentAppendException: Files were added to the root of "
                               "the table by a concurrent update. Please try the operation again. Refer to "
                               "https://docs.delta.io/latest/concurrency-control.html for more details.",
    "iceberg_commit_failed": "CommitFailedException: Cannot commit: stale table metadata",
    "sqlite_busy": "[SQLITE_BUSY] The database file is locked (database is locked)",
    "jdbc_auth_failed": 'PSQLException: FATAL: password authentication failed for user "capture_user"',
    "jdbc_missing_table": 'PSQLException: ERROR: relation "public.nope" does not exist Position: 15',
    "python_udf_in_task": "Python UDF failed: ZeroDivisionError: integer division or modulo by zero",
    "not_null_constraint": "NullPointerException: Null value appeared in non-nullable field: id If the schema is "
                           "inferred from a Scala tuple/case class, or a Java bean, please try to use scala.Option[_] "
                           "or other nullable types (e.g. java.lang.Integer instead of int/scala.Int).",
    "streaming_query": CAST.format(v="abc") + "\n  at SQL line 1, position 8: SELECT CAST('abc' AS INT)",
}
EXPECTED["delta_concurrent_sql"] = EXPECTED["delta_concurrent_append"]


def text_of(case: dict) -> str:
    """What ``str()`` of the exception gives once the JVM is gone (pyspark keeps the JVM stack for its own types)."""
    return case["stack"] or case["text"]


class FakeJava:
    """The py4j proxy of a Java throwable: getClass().getName(), getMessage(), getCause(), hashCode()."""

    def __init__(self, chain: list[dict]) -> None:
        self.chain = chain

    def getClass(self) -> FakeJava:
        return self

    def getName(self) -> str:
        return self.chain[0]["class"]

    def getMessage(self) -> str | None:
        return self.chain[0]["message"]

    def getCause(self) -> FakeJava | None:
        return FakeJava(self.chain[1:]) if len(self.chain) > 1 else None

    def hashCode(self) -> int:
        return len(self.chain)


class FakePy4JError(Exception):
    def __init__(self, case: dict) -> None:
        super().__init__(case["text"])
        self.java_exception = FakeJava(case["chain"])


def test_every_captured_case_has_an_expectation():
    assert set(CASES) == set(EXPECTED) | {"parse_error", "max_result_size"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_root_cause_from_text(name):
    got = root_cause(text_of(CASES[name]))
    assert got == EXPECTED[name]
    assert "\tat " not in got and "at org.apache" not in got and len(got.splitlines()) <= 2


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if CASES[n]["chain"]))
def test_root_cause_from_the_java_cause_chain(name):
    assert root_cause(FakePy4JError(CASES[name])) == EXPECTED[name]


def test_wrappers_are_skipped():
    chain = causes(text_of(CASES["sqlite_busy"]))
    assert [c for c, _ in chain] == ["org.apache.iceberg.jdbc.UncheckedSQLException", "org.sqlite.SQLiteException"]
    text = text_of(CASES["cast_invalid_input_task"])
    assert text.startswith("An error occurred while calling o67.sql.")
    assert "Job aborted due to stage failure" in text and "Job aborted" not in root_cause(text)


def test_parse_error_and_stage_failure_without_cause():
    assert root_cause(text_of(CASES["parse_error"])) == ("[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'.(line 1, "
                                                         "pos 0)\n  at SQL: SELEC id FROM lake.db.t")
    got = root_cause(text_of(CASES["max_result_size"]))
    assert got.startswith("Job aborted due to stage failure: Total size of serialized results of "), got
    assert "is bigger than spark.driver.maxResultSize (1024.0 KiB)" in got and "\n" not in got


def test_short_inner_message_keeps_the_outer_context():
    text = ("org.postgresql.util.PSQLException: Connection to 127.0.0.1:1 refused. Check that the hostname and port "
            "are correct and that the postmaster is accepting TCP/IP connections.\n\tat org.postgresql.core.v3.X(X.java:1)"
            "\nCaused by: java.net.ConnectException: Connection refused\n\tat java.base/sun.nio.ch.Net.connect0(Native "
            "Method)\n")
    assert root_cause(text) == ("PSQLException: Connection to 127.0.0.1:1 refused. Check that the hostname and port are "
                                "correct and that the postmaster is accepting TCP/IP connections. (caused by "
                                "ConnectException: Connection refused)")


def test_await_result_wrapper():
    # the shape of Spark's ThreadUtils.awaitResult wrapper (broadcasts, subqueries, Delta/Iceberg thread pools)
    text = ("org.apache.spark.SparkException: Exception thrown in awaitResult: \n\tat org.apache.spark.util."
            "SparkThreadUtils$.awaitResult(SparkThreadUtils.scala:56)\nCaused by: org.apache.iceberg.exceptions."
            "NotFoundException: Failed to open input stream for file: /w/t/metadata/snap-1.avro\n\tat org.apache."
            "iceberg.hadoop.HadoopInputFile.newStream(HadoopInputFile.java:185)\nCaused by: java.io."
            "FileNotFoundException: File /w/t/metadata/snap-1.avro does not exist\n\tat org.apache.hadoop.fs.X(X.java:1)\n")
    assert root_cause(text) == "FileNotFoundException: File /w/t/metadata/snap-1.avro does not exist"


def test_plain_python_exceptions():
    assert root_cause(ValueError("bad value")) == "bad value"
