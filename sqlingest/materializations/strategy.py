"""How an ``scd2`` model's new versions are written: one MERGE (``templates/scd2.sql``) or one INSERT OVERWRITE of
the whole table (``templates/scd2_rewrite.sql``). Both compute the same version chains and leave the same rows.

``config(scd2_strategy=…)``: ``merge``, ``rewrite``, or ``auto`` (the default), decided per run just before the
write from the table itself:

- a table whose MERGE records changed rows beside its files (Iceberg ``write.merge.mode = merge-on-read``, Delta
  deletion vectors) is merged: its MERGE rewrites no file;
- otherwise (copy-on-write) the MERGE rewrites every data file holding a staged key, and evaluates its source twice
  (once only to find those files). When those files hold at least ``rewrite_fraction`` (default 0.5) of the table's
  bytes, the table is rewritten instead: the chains are computed once and the rows that cannot change are copied
  without a shuffle. Finding the share costs one scan of the key columns, so a table under ``SMALL_TABLE_BYTES``
  is merged without measuring: either write costs little there.
- a project that overrides ``scd2.sql`` but not ``scd2_rewrite.sql`` is merged, so the override is always used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sqlingest.formats import TableFormat
    from sqlingest.materializations import Materialization

TEMPLATES = {"merge": "scd2", "rewrite": "scd2_rewrite"}
#: tables smaller than this are merged without measuring which files the staged keys touch
SMALL_TABLE_BYTES = 64 * 2**20
#: staged rows up to which an scd2 write broadcasts the staged keys to its joins with the table (about 150 MB of
#: hash table at most)
BROADCAST_KEYS_MAX = 4_000_000


@dataclass(frozen=True)
class Strategy:
    name: str  # merge | rewrite
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def choose(spark: SparkSession, materialization: Materialization, *, fmt: TableFormat, relation: str, stage: str,
           unique_key: list[str], requested: str, fraction: float, broadcast: bool = False) -> Strategy:
    """The strategy for this run's write of ``stage`` (the staged rows' view) into ``relation`` (``broadcast``:
    the staged keys are few enough to broadcast)."""
    if requested != "auto":
        return Strategy(requested, f"config(scd2_strategy='{requested}')")
    if materialization.overrides(TEMPLATES["merge"]) and not materialization.overrides(TEMPLATES["rewrite"]):
        return Strategy("merge", "the project overrides scd2.sql")
    if not fmt.merge_copies_files(spark, relation):
        return Strategy("merge", "the table's MERGE rewrites no files (merge-on-read)")
    total = fmt.data_bytes(spark, relation)
    if not total:
        return Strategy("merge", "the table has no data files")
    if total < SMALL_TABLE_BYTES:
        return Strategy("merge", f"the table holds {total / 2**20:.1f} MiB, under {SMALL_TABLE_BYTES // 2**20} MiB")
    keys = f"SELECT {', '.join(unique_key)} FROM {stage}"  # a semi join needs no DISTINCT: one shuffle fewer
    share = fmt.touched_bytes(spark, relation, keys, unique_key, broadcast=broadcast) / total
    name = "rewrite" if share >= fraction else "merge"
    return Strategy(name, f"staged keys in files holding {share:.0%} of the table's bytes, "
                          f"rewrite from {fraction:.0%}")
