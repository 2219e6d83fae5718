"""Business keys of the keyed materializations (merge, scd1, scd2 and their Parquet rebuilds), checked in the same
pass as the write:

- a row with a NULL key never reaches the MERGE: the key's ``not_null`` check (the layer's implicit key check)
  sets it aside when its action is ``quarantine`` (reason ``business key <col> is NULL``) or ``drop``; otherwise
  the staged key raises a marked error before anything is committed and the model fails naming the column and
  the count (:func:`guard`, :func:`null_key_message`);
- rows the materialization collapses are counted (``rows_deduplicated``): merge/scd1 keep one row per key,
  scd2 one row per key and ordering instant (:func:`annotate`), with the same winner the templates pick
  (``templates/_latest.sql``, ``templates/_scd2.sql``);
- ties — two different rows of one key with the same ordering value, where the winner is decided by a hash of the
  values — are counted with up to :data:`TIE_SAMPLES` sample keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlingest.project.contract import Check, NotNullCheck
from sqlingest.validate.conform import quote

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from sqlingest.plan import PlannedModel

#: sample keys kept for the ties of one run
TIE_SAMPLES = 5
#: the marker of the error a NULL key raises in the staged rows (the runner turns it into a clear failure)
NULL_KEY_MARKER = "sqlingest-null-business-key"


@dataclass(frozen=True)
class KeySpec:
    keys: list[str]
    ordering: str | None
    delete_flag: str | None
    #: "latest": one row per key survives (merge, scd1); "versions": one per key and instant (scd2)
    mode: str


def key_spec(pm: PlannedModel) -> KeySpec | None:
    """How ``pm``'s materialization uses its business key; None when it does not (table, append, …)."""
    mode = pm.materialization.KEY_MODE
    if mode is None or not pm.unique_key:
        return None
    return KeySpec(list(pm.unique_key), pm.ordering, pm.rendered.config.delete_flag, mode)


def reason(column: str) -> str:
    """The quarantine reason of a row whose business key column ``column`` is NULL."""
    return f"business key {column} is NULL"


def key_null_actions(spec: KeySpec, row_checks: list[Check]) -> dict[str, str]:
    """Per key column, the action of its declared ``not_null`` row check (``fail`` when none is declared)."""
    out: dict[str, str] = {}
    for key in spec.keys:
        declared = [c.effective_action for c in row_checks if isinstance(c, NotNullCheck) and c.column == key]
        out[key] = next((a for a in ("quarantine", "drop") if a in declared), "fail")
    return out


def guard(spec: KeySpec, row_checks: list[Check], relation: str, column: str) -> Column | None:
    """The staged value of ``column``: raises a marked error for a NULL business key that no quarantine/drop
    check sets aside (so nothing is committed); None when ``column`` needs no guard."""
    from pyspark.sql import functions as F

    if column not in spec.keys or key_null_actions(spec, row_checks)[column] != "fail":
        return None
    text = f"{NULL_KEY_MARKER}: {relation}: {reason(column)}".replace("'", "")
    return F.when(F.col(quote(column)).isNull(), F.raise_error(F.lit(text))).otherwise(F.col(quote(column)))


def is_null_key_error(exc: BaseException) -> bool:
    return NULL_KEY_MARKER in str(exc)


def null_key_message(frame: DataFrame, spec: KeySpec, published: str) -> tuple[str, str]:
    """(message, hint) for a batch whose published rows (``published``: a predicate over the fused ``frame``)
    hold NULL business keys: how many rows per column (one aggregate query, on the failure path only)."""
    from pyspark.sql import functions as F

    counts = frame.where(published).agg(*[F.sum(F.col(quote(k)).isNull().cast("int")).alias(f"n{i}")
                                          for i, k in enumerate(spec.keys)]).collect()[0]
    parts = [f"{n} row{'s' if n != 1 else ''} {'have' if n != 1 else 'has'} NULL business key {k}"
             for k, n in ((k, int(counts[f"n{i}"] or 0)) for i, k in enumerate(spec.keys)) if n]
    return ("; ".join(parts or ["a row has a NULL business key"]) + "; nothing was written",
            "to set such rows aside instead, give the key column's not_null check `action: quarantine` (or drop)")


def annotate(frame: DataFrame, spec: KeySpec, columns: list[str], published: Column) -> tuple[DataFrame, list[Any]]:
    """Add ``__dup`` (a published row the materialization collapses) and ``__tie`` (a surviving row whose
    runner-up has the same ordering value but other values) to the fused ``frame``; returns the frame and the
    observation metrics (``deduplicated``, ``ties``, ``tie_sample0..4``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    hashed = F.xxhash64(*[F.col(quote(c)) for c in columns])
    deleted = F.coalesce(F.col(quote(spec.delete_flag)), F.lit(False)) if spec.delete_flag else F.lit(False)
    frame = frame.select("*", hashed.alias("__h"), deleted.alias("__del"), published.alias("__pub"))
    part = [F.col("__pub"), *[F.col(quote(k)) for k in spec.keys]]
    if spec.mode == "versions":
        instant = F.col(quote(spec.ordering)).cast("timestamp") if spec.ordering else F.lit(None)
        frame = frame.select("*", instant.alias("__o"))
        window = Window.partitionBy(*part, F.col("__o")).orderBy(F.col("__del").desc(), F.col("__h"))
    else:
        order = F.col(quote(spec.ordering)) if spec.ordering else F.lit(None)
        frame = frame.select("*", order.alias("__o"))
        window = Window.partitionBy(*part).orderBy(F.col("__o").desc_nulls_last(), F.col("__del").desc(),
                                                   F.col("__h"))
    rn = F.row_number().over(window)
    nxt_o, nxt_del, nxt_h = (F.lead(F.col(c)).over(window) for c in ("__o", "__del", "__h"))
    tie = (rn == 1) & nxt_h.isNotNull() & nxt_o.eqNullSafe(F.col("__o")) & (nxt_del == F.col("__del")) \
        & (nxt_h != F.col("__h"))
    frame = frame.select("*", (F.col("__pub") & (rn > 1)).alias("__dup"), (F.col("__pub") & tie).alias("__tie"))
    label = F.concat_ws(", ", *[F.concat(F.lit(f"{k}="), F.coalesce(F.col(quote(k)).cast("string"), F.lit("NULL")))
                                for k in spec.keys])
    if spec.mode == "versions" and spec.ordering:
        label = F.concat(label, F.lit(f", {spec.ordering}="), F.coalesce(F.col("__o").cast("string"), F.lit("NULL")))
    metrics = [F.sum(F.col("__dup").cast("int")).alias("deduplicated"),
               F.sum(F.col("__tie").cast("int")).alias("ties")]
    metrics += [F.min(F.when(F.col("__tie") & (F.pmod(F.col("__h"), F.lit(TIE_SAMPLES)) == i), label))
                .alias(f"tie_sample{i}") for i in range(TIE_SAMPLES)]
    return frame, metrics


def tie_report(values: dict[str, Any], spec: KeySpec) -> dict[str, Any] | None:
    """The run record's ``ties`` entry from observed metrics: count, sample keys, and what decided."""
    count = int(values.get("ties") or 0)
    if not count:
        return None
    samples = sorted({str(v) for i in range(TIE_SAMPLES) if (v := values.get(f"tie_sample{i}")) is not None})
    where = f"the same {', '.join(spec.keys)} and {spec.ordering}" if spec.ordering else \
        f"the same {', '.join(spec.keys)} (no ordering column)"
    return {"count": count, "samples": samples, "ordering": spec.ordering,
            "message": f"{count} tie{'s' if count != 1 else ''} on {spec.ordering or 'the key'}: rows with {where} "
                       "but different values; the row kept was chosen by a hash of its values"}
