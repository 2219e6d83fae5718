"""The behaviour every :class:`~sqlingest.sources.Source` owes its models, as a reusable pytest suite.

A source — built-in or a plugin — passes it by describing how to put records where its reader finds them
(:class:`SourceUnderTest`) and subclassing :class:`SourceBehaviour` with two fixtures::

    from sqlingest.testing.sources import SourceBehaviour, SourceUnderTest

    class MyFeed(SourceUnderTest):
        format = "my_feed"                      # the name the plugin registry knows it by
        def options(self): return {"url": self.server_url}
        def add(self, spark, records): ...      # make the records readable (a file, rows, messages)

    class TestMyFeed(SourceBehaviour):
        @pytest.fixture
        def case(self, tmp_path): return MyFeed(tmp_path)
        @pytest.fixture
        def spark(self): return my_session

The contract (:data:`COLUMNS`, typed; ``amount`` a decimal) is always the same, and so are the records, each
given as text the way a feed sends it: the suite asserts that

- a read has exactly the contract's columns, typed as declared, then ``_rescued_data`` and ``_source_file``;
- a value that does not fit its declared type is NULL in its column and kept, as text, in ``_rescued_data``;
- a read whose position comes from the target table (:func:`sqlingest.sources.stateful.read_new`) reads everything the
  first time, nothing when nothing was added (a rerun), and only the added records afterwards — or, for a source
  that declares itself a snapshot (``incremental = False``), the whole source on every read.
"""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
import yaml

from sqlingest.project.layers import RESCUE_COLUMN, SOURCE_FILE_COLUMN
from sqlingest.sources import Source, load_source
from sqlingest.sources.stateful import read_new

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: the source contract's columns
COLUMNS: tuple[tuple[str, str], ...] = (("id", "bigint"), ("name", "string"), ("amount", "decimal(8,2)"))
#: what a first read finds: two good records and one whose amount does not fit decimal(8,2)
FIRST: list[dict[str, str]] = [{"id": "1", "name": "a", "amount": "1.50"}, {"id": "2", "name": "b", "amount": "2.25"},
                               {"id": "3", "name": "c", "amount": "lots"}]
#: what is added before a later read
SECOND: list[dict[str, str]] = [{"id": "4", "name": "d", "amount": "4.00"}]


class SourceUnderTest(ABC):
    """One source format, with where its records go. ``root`` is the project folder (relative paths resolve
    against it)."""

    #: the source format (``source: {format: …}``)
    format: ClassVar[str]
    #: whether a read with the table's position reads only what is new (False: a snapshot source, e.g. http)
    incremental: ClassVar[bool] = True

    def __init__(self, root: Path) -> None:
        self.root = root
        self.added = 0

    @abstractmethod
    def options(self) -> dict[str, Any]:
        """The ``source:`` section, without ``format``."""

    @abstractmethod
    def add(self, spark: SparkSession, records: list[dict[str, str]]) -> None:
        """Make ``records`` (column → value as text) readable by the source, after what was added before."""

    def source(self) -> Source:
        """The reader, loaded through the plugin registry from a contract file in ``root``."""
        from sqlingest.project import load_project

        contract = {"name": "suite.items", "layer": "source", "source": {"format": self.format, **self.options()},
                    "columns": [{"name": n, "type": t} for n, t in COLUMNS]}
        (self.root / "contracts" / "suite").mkdir(parents=True, exist_ok=True)
        (self.root / "contracts" / "suite" / "items.source.yml").write_text(yaml.safe_dump(contract, sort_keys=False))
        if not (self.root / "sqlingest.yml").exists():
            (self.root / "sqlingest.yml").write_text("name: source_suite\n")
        return load_source(load_project(self.root).contracts["source:suite.items"], self.root)


def rows(frame: DataFrame) -> dict[Any, dict[str, Any]]:
    """The rows of a read by ``id`` (the rescue column parsed)."""
    out = {}
    for row in frame.collect():
        values = row.asDict()
        values[RESCUE_COLUMN] = json.loads(values[RESCUE_COLUMN]) if values.get(RESCUE_COLUMN) else None
        out[values["id"]] = values
    return out


class SourceBehaviour:
    """The suite: subclass it with fixtures ``case`` (a :class:`SourceUnderTest`) and ``spark``."""

    @pytest.fixture
    def case(self) -> SourceUnderTest:
        raise NotImplementedError("give the suite a `case` fixture returning a SourceUnderTest")

    def test_a_read_has_the_contracts_columns_typed_as_declared(self, case: SourceUnderTest,
                                                                spark: SparkSession) -> None:
        case.add(spark, FIRST)
        frame = case.source().read(spark).frame
        fields = [(f.name, f.dataType.simpleString()) for f in frame.schema.fields]
        assert fields[:len(COLUMNS)] == list(COLUMNS)
        assert [n for n, _ in fields[len(COLUMNS):]] == [RESCUE_COLUMN, SOURCE_FILE_COLUMN]

    def test_a_value_that_does_not_fit_is_rescued(self, case: SourceUnderTest, spark: SparkSession) -> None:
        case.add(spark, FIRST)
        got = rows(case.source().read(spark).frame)
        assert sorted(got) == [1, 2, 3]
        assert (got[1]["amount"], got[2]["amount"], got[3]["amount"]) == (Decimal("1.50"), Decimal("2.25"), None)
        assert got[3][RESCUE_COLUMN] == {"amount": "lots"}
        assert got[1][RESCUE_COLUMN] is None and got[1]["name"] == "a"
        assert all(r[SOURCE_FILE_COLUMN] for r in got.values())

    def test_reads_from_the_tables_position(self, case: SourceUnderTest, spark: SparkSession) -> None:
        source = case.source()
        relation = f"default.source_suite_{uuid.uuid4().hex[:8]}"
        try:
            case.add(spark, FIRST)
            first = read_new(source, spark, relation)  # no table yet: everything
            assert sorted(rows(first.frame)) == [1, 2, 3] and first.inputs
            first.frame.write.format("parquet").saveAsTable(relation)
            again = read_new(source, spark, relation)  # a rerun: nothing new
            assert sorted(rows(again.frame)) == ([] if case.incremental else [1, 2, 3])
            case.add(spark, SECOND)
            later = read_new(source, spark, relation)
            assert sorted(rows(later.frame)) == ([4] if case.incremental else [1, 2, 3, 4])
        finally:
            spark.sql(f"DROP TABLE IF EXISTS {relation}")
