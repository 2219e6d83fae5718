"""Materializations: how a model's staged rows become a table. Each is a readable Jinja SQL template under
``templates/``; a project overrides one by placing ``macros/materializations/<name>.sql`` beside its macros.

A materialization declares what it needs from the table format (``REQUIRES``) so impossible combinations are
refused at compile time, what it needs from the model (a key, an ordering, partitions), how the run treats it (staged,
incremental, reads its sources incrementally, replayable, evolves its table in place), and prepares its own write
(:meth:`Materialization.prepare`: SCD2 chooses its strategy there). The planner, the runner and the CLI consult
these declarations; none of them tests a materialization's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import jinja2

from sqlingest.formats import TableFormat
from sqlingest.materializations.strategy import BROADCAST_KEYS_MAX
from sqlingest.materializations.strategy import TEMPLATES as SCD2_TEMPLATES
from sqlingest.materializations.strategy import choose as choose_strategy
from sqlingest.plugins import PluginRegistry

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sqlingest.render import ModelConfig

TEMPLATES = Path(__file__).with_name("templates")


@dataclass
class WriteContext:
    """Everything a template may use."""

    relation: str
    stage: str
    sql: str
    columns: list[str]
    unique_key: list[str] = field(default_factory=list)
    ordering: str | None = None
    delete_flag: str | None = None
    tracked_columns: list[str] = field(default_factory=list)
    #: every column of the target table, in order (staged columns + EXTRA_COLUMNS)
    table_columns: list[str] = field(default_factory=list)
    run_id: str = ""
    compare_columns: list[str] = field(default_factory=list)
    update_columns: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class Materialization:
    NAME: ClassVar[str] = ""
    REQUIRES: ClassVar[tuple[str, ...]] = ()
    #: whether the model's query runs through a staged DataFrame (False: the SQL is used as it is, e.g. views)
    STAGED: ClassVar[bool] = True
    #: whether existing rows are kept between runs (so ``is_incremental()`` may be true)
    INCREMENTAL: ClassVar[bool] = False
    #: columns the materialization adds to the table beyond the contract's (e.g. SCD2 validity columns)
    EXTRA_COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: whether the model must have a unique key
    NEEDS_KEY: ClassVar[bool] = False
    #: whether the model runs as a Structured Streaming query (``sqlingest/execute/streaming.py``)
    STREAMING: ClassVar[bool] = False
    #: whether ``config(streaming=true)`` may drive the materialization per micro-batch (its statements applied to
    #: each micro-batch, exactly once by batch id: ``sqlingest/execute/streaming.py``)
    STREAMS: ClassVar[bool] = False
    #: whether the model must have an ordering column (config(ordering=…) or keys.ordering in the contract)
    NEEDS_ORDERING: ClassVar[bool] = False
    #: whether the table must be partitioned (config(partitioned_by=…) or partitioned_by in the contract)
    NEEDS_PARTITIONS: ClassVar[bool] = False
    #: how the write uses the business key: "latest" (one row per key survives), "versions" (one per key and
    #: instant), None (not keyed) — see ``sqlingest/execute/keys.py``
    KEY_MODE: ClassVar[str | None] = None
    #: whether an existing table's sources are read incrementally (only new files / from the table's position), and
    #: a run with no new input writes nothing
    READS_INCREMENTALLY: ClassVar[bool] = False
    #: whether quarantined rows can be replayed into the table (``sqlingest replay``)
    REPLAYABLE: ClassVar[bool] = False
    #: whether a changed contract evolves the live table in place (False: the table is replaced on every run)
    EVOLVES_SCHEMA: ClassVar[bool] = True
    #: whether the write is one plain INSERT of the staged rows (whose query reports the rows' observation on every
    #: format; other writes, e.g. Delta's MERGE, may run the staged rows through their own executions)
    PLAIN_INSERT: ClassVar[bool] = False
    #: model config options that only apply to this materialization (the planner refuses them elsewhere)
    OPTIONS: ClassVar[tuple[str, ...]] = ()
    #: whether an incremental write replaces the table's rows (partitions) present in the staged rows
    OVERWRITES: ClassVar[bool] = False

    def __init__(self, project_dir: Path | None = None) -> None:
        search = [str(TEMPLATES)]
        if project_dir is not None and (project_dir / "macros" / "materializations").is_dir():
            search.insert(0, str(project_dir / "macros" / "materializations"))
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(search), undefined=jinja2.StrictUndefined,
                                      keep_trailing_newline=False, autoescape=False)

    def overrides(self, template: str) -> bool:
        """Whether the project replaces the built-in ``template`` with its own."""
        return self.env.get_template(f"{template}.sql").filename != str(TEMPLATES / f"{template}.sql")

    def missing_capabilities(self, fmt: TableFormat) -> list[str]:
        return [c for c in self.REQUIRES if not fmt.capability(c)]

    def render(self, template: str, **context: Any) -> list[str]:
        """Render a template into statements (separated by ``;`` at a line end)."""
        text = self.env.get_template(f"{template}.sql").render(**context)
        return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";").strip()]

    def prepare(self, spark: SparkSession, ctx: WriteContext, *, fmt: TableFormat, config: ModelConfig,
                staged_rows: int | None) -> str | None:
        """Decide how this run writes, just before the write (``ctx.stage`` holds the staged rows; ``staged_rows``
        is their count when it is known already). Returns the choice for the run record (None: nothing to choose)."""
        return None

    def finish(self, spark: SparkSession, ctx: WriteContext) -> None:
        """Release what :meth:`prepare` set up for the write (after the write, or after it failed)."""

    #: the template that writes this materialization's rows into a table created by this run (it held no row
    #: before): what the MERGE would leave in an empty table, as one INSERT (``rebuild_*.sql``); "" — no such path
    FIRST_WRITE: ClassVar[str] = ""

    def inserts_into_new_table(self) -> bool:
        """Whether a first write (into a table this run created) is a plain INSERT of :attr:`FIRST_WRITE` instead
        of the materialization's MERGE: when it has one and the project does not override the MERGE's template."""
        return bool(self.FIRST_WRITE) and not self.overrides(self.NAME)

    def rewrites(self, ctx: WriteContext) -> bool:
        """Whether this run's statements replace the whole table from the version it read (a validated overwrite:
        ``sqlingest.formats.commits.overwrite_from``) rather than commit in place."""
        return False

    def statements(self, ctx: WriteContext) -> list[str]:
        return self.render(self.NAME, **vars(ctx), **ctx.extra)


class View(Materialization):
    NAME = "view"
    STAGED = False


class Table(Materialization):
    NAME = "table"
    EVOLVES_SCHEMA = False
    PLAIN_INSERT = True


class Append(Materialization):
    NAME = "append"
    INCREMENTAL = True
    READS_INCREMENTALLY = True
    REPLAYABLE = True
    PLAIN_INSERT = True


class Streaming(Append):
    """Structured Streaming: the model's query over streaming sources runs as a streaming query whose micro-batches
    are appended with ``foreachBatch``, each exactly once (its id is recorded in the table's commit), with the row
    checks fused into each micro-batch. See ``docs/streaming.md``."""

    NAME = "streaming"
    REQUIRES = ("commits",)
    STREAMING = True


class Merge(Materialization):
    """Upsert on the unique key (``templates/merge.sql``). Before the MERGE, the staged rows are reduced to those
    that change the table (``templates/changed_rows.sql``), cached and counted in one job, with the range of their
    key: none — nothing is written, no commit; otherwise the MERGE reads only them, and a single-column key's range
    bounds the table's side of the join (files outside it are not read). A project that overrides the MERGE's
    template keeps its full source."""

    NAME = "merge"
    REQUIRES = ("merge",)
    INCREMENTAL = True
    NEEDS_KEY = True
    KEY_MODE = "latest"
    REPLAYABLE = True
    STREAMS = True
    #: whether a row older than the table's (by the ordering column) is ignored
    NEWER_ONLY: ClassVar[bool] = False

    FIRST_WRITE = "rebuild_latest"

    def prepare(self, spark: SparkSession, ctx: WriteContext, *, fmt: TableFormat, config: ModelConfig,
                staged_rows: int | None) -> str | None:
        ctx.extra["skip"] = False
        if ctx.extra.get("new_table"):  # publish() set it only where inserts_into_new_table() holds
            ctx.extra["first_write"] = True
            return "insert (a new table: the latest row per key, no MERGE)"
        if self.overrides(self.NAME):
            return None
        (query,) = self.render("changed_rows", **{**vars(ctx), **ctx.extra, "newer_only": self.NEWER_ONLY})
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        changed = spark.sql(query).persist(StorageLevel.MEMORY_AND_DISK)
        key = ctx.unique_key[0] if len(ctx.unique_key) == 1 else None
        aggregates = [F.count(F.lit(1))]
        if key is not None:
            aggregates += [F.min(F.expr(key)), F.max(F.expr(key))]
        row = changed.agg(*aggregates).collect()[0]
        ctx.extra["persisted"] = changed
        if not row[0]:
            ctx.extra["skip"] = True
            return "nothing to write (no staged row changes the table)"
        view = f"{ctx.stage}__changed"
        changed.createOrReplaceTempView(view)
        ctx.extra["cleanup"] = view
        ctx.stage = view
        ctx.extra["key_range"] = _key_range(key, row[1], row[2]) if key is not None else None
        return f"merge ({row[0]} changed row(s){' in ' + ctx.extra['key_range'] if ctx.extra['key_range'] else ''})"

    def finish(self, spark: SparkSession, ctx: WriteContext) -> None:
        view, persisted = ctx.extra.pop("cleanup", None), ctx.extra.pop("persisted", None)
        if view is not None:
            spark.catalog.dropTempView(view)
        if persisted is not None:
            persisted.unpersist()

    def statements(self, ctx: WriteContext) -> list[str]:
        if ctx.extra.get("first_write"):
            return self.render(self.FIRST_WRITE, **{**vars(ctx), **ctx.extra})
        return [] if ctx.extra.get("skip") else super().statements(ctx)


class Scd1(Merge):
    """Slowly changing dimension type 1: the latest values per key, no history (``templates/scd1.sql``). Like
    ``merge``, but a row older than the table's (by the ordering column) never overwrites it."""

    NAME = "scd1"
    NEWER_ONLY = True


class Scd2(Materialization):
    """Slowly changing dimension type 2: one row per version of a key, with validity columns
    (``templates/scd2.sql``). Change detection compares the tracked columns of consecutive versions in the same
    query, so no record hash is stored (a stored hash would go stale when ``tracked_columns`` changes)."""

    NAME = "scd2"
    REQUIRES = ("merge",)
    INCREMENTAL = True
    NEEDS_KEY = True
    #: versions are ordered by the ordering column (config(ordering=…) or keys.ordering in the contract)
    NEEDS_ORDERING = True
    KEY_MODE = "versions"
    REPLAYABLE = True
    STREAMS = True
    EXTRA_COLUMNS = (("valid_from", "timestamp"), ("valid_to", "timestamp"), ("is_current", "boolean"))
    OPTIONS = ("scd2_strategy", "rewrite_fraction")

    def prepare(self, spark: SparkSession, ctx: WriteContext, *, fmt: TableFormat, config: ModelConfig,
                staged_rows: int | None) -> str | None:
        """Choose the write strategy (merge or rewrite; ``strategy.py``) and pass it to the template in
        ``ctx.extra``. A join with the staged keys broadcasts them when they are known to be few: the planner's own
        estimate of a cached stage is its whole width, which would shuffle the table instead."""
        if ctx.extra.get("new_table"):  # publish() set it only where inserts_into_new_table() holds
            ctx.extra["strategy"] = "first"
            return "insert (a new table: every version of the batch, no MERGE)"
        ctx.extra["broadcast_keys"] = staged_rows is not None and staged_rows <= BROADCAST_KEYS_MAX
        chosen = choose_strategy(spark, self, fmt=fmt, relation=ctx.relation, stage=ctx.stage,
                                 unique_key=ctx.unique_key, requested=config.scd2_strategy,
                                 fraction=config.rewrite_fraction, broadcast=ctx.extra["broadcast_keys"])
        ctx.extra["strategy"] = chosen.name
        return str(chosen)

    def rewrites(self, ctx: WriteContext) -> bool:
        return bool(ctx.extra.get("strategy") == "rewrite")

    FIRST_WRITE = "rebuild_scd2"

    def statements(self, ctx: WriteContext) -> list[str]:
        # prepare() chose the write strategy (merge or rewrite, or the first write's insert) in ctx.extra
        strategy = ctx.extra.get("strategy", "merge")
        template = self.FIRST_WRITE if strategy == "first" else SCD2_TEMPLATES[strategy]
        return self.render(template, **{**vars(ctx), **ctx.extra})


class InsertOverwrite(Materialization):
    """Dynamic partition overwrite: the partitions present in the staged rows are replaced, the others are kept.
    Needs partition columns. Written by one ``INSERT OVERWRITE`` where the table format makes it dynamic through
    the table's options (Parquet: ``templates/insert_overwrite_dynamic.sql``), else by one MERGE
    (``templates/insert_overwrite.sql``: Iceberg, Delta)."""

    NAME = "insert_overwrite"
    REQUIRES = ("partition_overwrite",)
    INCREMENTAL = True
    NEEDS_PARTITIONS = True
    OVERWRITES = True

    def prepare(self, spark: SparkSession, ctx: WriteContext, *, fmt: TableFormat, config: ModelConfig,
                staged_rows: int | None) -> str | None:
        dynamic = fmt.dynamic_overwrite_options() is not None
        ctx.extra["dynamic"] = dynamic
        if dynamic:
            # by position, in the order the table keeps its columns (partition columns last on Parquet)
            ctx.extra["table_order"] = fmt.layout(ctx.columns, ctx.extra["partitioned_by"])
        return None

    def statements(self, ctx: WriteContext) -> list[str]:
        # the runner passes the model's partition columns (config or contract) in ctx.extra["partitioned_by"]
        template = f"{self.NAME}_dynamic" if ctx.extra.get("dynamic") else self.NAME
        return self.render(template, **{**vars(ctx), **ctx.extra})


class Rebuild(Materialization):
    """A full rebuild standing in for an incremental materialization the table format cannot run (no MERGE), used
    only where the target declares it (``fallbacks: {merge: rebuild}``). Every run reads the model's complete input
    (``is_incremental()`` is false) and replaces the table with one ``INSERT OVERWRITE`` of the rows the replaced
    materialization would hold after applying that input as one batch."""

    NAME = "rebuild"
    #: the materialization this one stands in for
    REPLACES: ClassVar[str] = ""
    #: the template that computes the rows (``templates/<TEMPLATE>.sql``)
    TEMPLATE: ClassVar[str] = "table"

    def statements(self, ctx: WriteContext) -> list[str]:
        return self.render(self.TEMPLATE, **{**vars(ctx), **ctx.extra})


class MergeRebuild(Rebuild):
    """``merge`` as a rebuild: the latest row per key (``templates/rebuild_latest.sql``)."""

    REPLACES = "merge"
    TEMPLATE = "rebuild_latest"
    NEEDS_KEY = True
    KEY_MODE = "latest"


class Scd1Rebuild(MergeRebuild):
    """``scd1`` as a rebuild: the latest row per key, as for ``merge``."""

    REPLACES = "scd1"


class Scd2Rebuild(Rebuild):
    """``scd2`` as a rebuild: every version of every key, computed with window functions
    (``templates/rebuild_scd2.sql``)."""

    REPLACES = "scd2"
    TEMPLATE = "rebuild_scd2"
    NEEDS_KEY = True
    NEEDS_ORDERING = True
    KEY_MODE = "versions"
    EXTRA_COLUMNS = Scd2.EXTRA_COLUMNS
    OPTIONS = Scd2.OPTIONS


class InsertOverwriteRebuild(Rebuild):
    """``insert_overwrite`` as a rebuild: the model's complete result replaces the whole table."""

    REPLACES = "insert_overwrite"
    NEEDS_PARTITIONS = True


def _key_range(key: str, low: object, high: object) -> str | None:
    """``t.<key> BETWEEN <low> AND <high>``: where the changed rows' key lies in the table (None: no literal for
    the key's values, e.g. a binary key)."""
    import datetime as dt
    from decimal import Decimal

    from sqlingest.sql import literal

    # timestamps are left out: a collected timestamp is a naive local time, whose literal need not name the instant
    kinds = (int, str, Decimal)
    if isinstance(low, bool) or not (isinstance(low, kinds) or type(low) is dt.date) or type(low) is not type(high):
        return None
    return f"t.{key} BETWEEN {literal(low)} AND {literal(high)}"


#: the rebuild that may stand in for each materialization (target ``fallbacks: {<name>: rebuild}``)
REBUILDS: dict[str, type[Rebuild]] = {cls.REPLACES: cls for cls in
                                      (MergeRebuild, Scd1Rebuild, Scd2Rebuild, InsertOverwriteRebuild)}


#: model config options that apply to one materialization only → that materialization (it lists them in OPTIONS)
OPTION_OWNERS: dict[str, str] = {option: Scd2.NAME for option in Scd2.OPTIONS}

MATERIALIZATIONS: PluginRegistry[type[Materialization]] = PluginRegistry("materializations", {
    "view": "sqlingest.materializations:View",
    "table": "sqlingest.materializations:Table",
    "append": "sqlingest.materializations:Append",
    "streaming": "sqlingest.materializations:Streaming",
    "merge": "sqlingest.materializations:Merge",
    "scd1": "sqlingest.materializations:Scd1",
    "scd2": "sqlingest.materializations:Scd2",
    "insert_overwrite": "sqlingest.materializations:InsertOverwrite",
})
