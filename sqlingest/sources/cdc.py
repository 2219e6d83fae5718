"""Change data capture: Debezium JSON envelopes decoded into contract rows with a delete flag and an ordering column
that a ``merge`` (or ``scd1``/``scd2``) model applies with ``config(delete_flag=…)`` and ``keys.ordering``.

An envelope (with or without the ``{"schema": …, "payload": …}`` wrapper) has ``op`` (``c`` create, ``u`` update,
``r`` snapshot read, ``d`` delete), ``before``, ``after``, ``source`` (``lsn``, ``ts_ms``, …) and ``ts_ms``. Each
change becomes one row: the ``after`` image (the ``before`` image for ``d``), the delete flag column set to
``op = 'd'``, the ordering column set to the first non-null of ``ordering_from`` (dotted paths into the envelope,
default ``[source.lsn, source.ts_ms]``), and optionally the op itself. Fields of the image that are not declared go
to ``_rescued_data``; a message that is not an envelope (bad JSON, unknown op, missing image) is kept with its raw
text in ``_rescued_data._corrupt_record``. Tombstones (null values Debezium sends after a delete) carry nothing and
are skipped.

Used by ``format: debezium`` (JSON lines files, incremental by file like ``json``) and by ``kafka`` sources with
``envelope: debezium``. Options (``cdc:`` mapping in the ``source:`` section)::

    cdc: {delete_flag: _deleted, ordering: _change_seq, op: _op, ordering_from: [source.lsn, source.ts_ms]}

Each named column must be declared in the contract (``boolean`` for the flag, e.g. ``bigint`` for the ordering,
``string`` for the op).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlingest.errors import UserError
from sqlingest.project.contract import Contract
from sqlingest.project.layers import SOURCE_FILE_COLUMN
from sqlingest.sources.files import JsonSource
from sqlingest.sources.stateful import sql_string
from sqlingest.validate.conform import conform_strings, quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

CORRUPT = "_corrupt_record"
OPS = ("c", "u", "r", "d")


def cdc_options(contract: Contract, options: dict[str, Any] | None) -> dict[str, Any]:
    """The ``cdc:`` mapping, checked against the contract."""
    opts = dict(options or {})
    unknown = set(opts) - {"delete_flag", "ordering", "op", "ordering_from"}
    if unknown:
        raise UserError(f"source {contract.name}: unknown cdc option(s) {', '.join(sorted(unknown))}",
                        location=contract.location)
    for key in ("delete_flag", "ordering", "op"):
        if opts.get(key) and contract.column(str(opts[key])) is None:
            raise UserError(f"source {contract.name}: cdc.{key} '{opts[key]}' is not a declared column",
                            location=contract.location, hint="declare it so the merge model can use it")
    paths = opts.get("ordering_from") or ["source.lsn", "source.ts_ms"]
    opts["ordering_from"] = [paths] if isinstance(paths, str) else list(paths)
    return opts


def _path(root: str, dotted: str) -> str:
    """SQL for a dotted path into a ``map<string,string>`` column whose nested values are JSON text."""
    parts = dotted.split(".")
    expr = f"{root}[{sql_string(parts[0])}]"
    for part in parts[1:]:
        expr = f"from_json({expr}, 'map<string,string>')[{sql_string(part)}]"
    return expr


def decode_debezium(df: DataFrame, contract: Contract, options: dict[str, Any] | None, *,
                    value: str = "__v", corrupt_info: str | None = None,
                    metadata: dict[str, str] | None = None) -> DataFrame:
    """Decode envelopes in the string column ``value`` of ``df`` (which also has ``_source_file``).

    Args:
        corrupt_info: SQL of a ``map<string,string>`` merged into ``_rescued_data`` of undecodable messages
            (e.g. Kafka topic/partition/offset).
        metadata: declared column → SQL (string) used when the image has no such field.
    """
    opts = cdc_options(contract, options)
    declared = [c.name for c in contract.columns]
    own = {opts.get("delete_flag"), opts.get("ordering"), opts.get("op")} - {None}
    staged = df.where(f"{value} IS NOT NULL AND trim({value}) <> ''").selectExpr(
        "*", f"from_json({value}, 'map<string,string>') AS __e")
    staged = staged.selectExpr(
        "*", "CASE WHEN __e['op'] IS NULL AND __e['payload'] IS NOT NULL "
             "THEN from_json(__e['payload'], 'map<string,string>') ELSE __e END AS __p")
    staged = staged.selectExpr(
        "*", "__p['op'] AS __op",
        "from_json(CASE WHEN __p['op'] = 'd' THEN __p['before'] ELSE __p['after'] END, 'map<string,string>') "
        "AS __m")
    ok = f"coalesce(__op IN ({', '.join(sql_string(o) for o in OPS)}) AND __m IS NOT NULL, false)"
    ordering = "coalesce(" + ", ".join(_path("__p", p) for p in opts["ordering_from"]) + ")" \
        if len(opts["ordering_from"]) > 1 else _path("__p", opts["ordering_from"][0])
    computed = {}
    if opts.get("delete_flag"):
        computed[opts["delete_flag"]] = "CASE WHEN __op = 'd' THEN 'true' ELSE 'false' END"
    if opts.get("ordering"):
        computed[opts["ordering"]] = ordering
    if opts.get("op"):
        computed[opts["op"]] = "__op"
    selects = []
    for name in declared:
        if name in computed:
            expr = computed[name]
        else:
            expr = f"__m[{sql_string(name)}]"
            if metadata and name in metadata:
                expr = f"coalesce({expr}, {metadata[name]})"
        selects.append(f"CASE WHEN {ok} THEN {expr} END AS {quote(name)}")
    names = ", ".join(sql_string(n) for n in declared if n not in own)
    info = corrupt_info or "CAST(NULL AS map<string,string>)"
    projected = staged.selectExpr(
        *selects,
        f"CASE WHEN NOT {ok} THEN {value} END AS {CORRUPT}",
        f"CASE WHEN {ok} THEN map_filter(__m, (k, v) -> NOT array_contains(array({names}), k)) "
        f"ELSE {info} END AS __undeclared",
        SOURCE_FILE_COLUMN,
    )
    return conform_strings(projected, contract, present=declared, corrupt=CORRUPT, undeclared_map="__undeclared")


class DebeziumSource(JsonSource):
    """``format: debezium``: JSON lines files of Debezium envelopes, incremental by file."""

    def read_files(self, spark: SparkSession, files: list[str]) -> DataFrame:
        raw = spark.read.options(**self.reader_options()).text(files).selectExpr("value AS __v", f"_metadata.file_path AS {SOURCE_FILE_COLUMN}")
        cdc = self.spec.extra.get("cdc", self.spec.options.get("cdc"))
        return decode_debezium(raw, self.contract, cdc)
