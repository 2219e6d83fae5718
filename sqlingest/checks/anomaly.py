"""Anomaly checks: a run's metric compared with the same metric over the model's previous runs.

The metric's history comes from the lakehouse run log (``sqlingest_meta.model_runs``). A value outside
``mean ± sigma · stddev`` of the last ``window`` successful runs is an anomaly; with fewer than ``min_history``
earlier runs the check passes and says why.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

METRICS = ("rows_in", "rows_written", "rows_quarantined", "rows_dropped", "rows_rescued")


@dataclass(frozen=True)
class Verdict:
    anomalous: bool
    message: str
    low: float | None = None
    high: float | None = None


def evaluate(current: float, history: list[float], *, sigma: float = 3.0, min_history: int = 3) -> Verdict:
    """Judge ``current`` against ``history`` (most recent first or any order)."""
    if len(history) < min_history:
        return Verdict(False, f"not enough history ({len(history)} of {min_history} runs)")
    mean = statistics.fmean(history)
    spread = statistics.pstdev(history)
    # a perfectly stable history still tolerates 1% (or 1 row) of noise
    margin = max(sigma * spread, abs(mean) * 0.01, 1.0)
    low, high = mean - margin, mean + margin
    if low <= current <= high:
        return Verdict(False, f"{current:g} within [{low:g}, {high:g}]", low, high)
    return Verdict(True, f"{current:g} outside [{low:g}, {high:g}] (mean {mean:g} of {len(history)} runs)",
                   low, high)
