"""Stage 7 — run records: what every model of a run did, kept as JSON under ``.sqlingest/runs/``."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import redact

if TYPE_CHECKING:
    from sqlingest.checks.results import CheckResult


def new_run_id() -> str:
    now = datetime.now(UTC)
    # millisecond resolution keeps run ids (and run files) in start order even for runs within one second
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}-" + uuid.uuid4().hex[:6]


@dataclass
class ModelResult:
    name: str
    relation: str
    materialization: str
    status: str = "pending"  # success | error | skipped | warn
    rows_in: int | None = None
    rows_written: int | None = None
    rows_rescued: int | None = None
    rows_quarantined: int | None = None
    rows_dropped: int | None = None
    #: rows the materialization collapsed (merge/scd1: several rows of one key; scd2: of one key and instant)
    rows_deduplicated: int | None = None
    #: keyed materializations: rows of one key with the same ordering value but other values (count, samples)
    ties: dict[str, Any] | None = None
    inputs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    attempts: int = 0
    spark_jobs: int | None = None
    sql_hash: str = ""
    #: one typed result per check (a mapping only in the saved JSON: :meth:`CheckResult.to_record`)
    checks: list[CheckResult] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    #: how the rows were written where a materialization chooses per run (scd2: merge or rewrite, and why)
    write_strategy: str | None = None
    #: streaming models: one entry per micro-batch (batch_id, offsets, rows, checks, status, error, seconds)
    batches: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunRecord:
    run_id: str
    command: str
    target: str
    started_at: str
    finished_at: str | None = None
    status: str = "running"
    models: list[ModelResult] = field(default_factory=list)
    #: the command's options (select, exclude, vars, full_refresh, …): what ``sqlingest retry`` runs again with
    options: dict[str, Any] = field(default_factory=dict)
    #: the SLOs evaluated after the run (``sqlingest.runs.slo``): dataset, name, status met/breached, message…
    slos: list[dict[str, Any]] = field(default_factory=list)

    def save(self, state_dir: Path) -> Path:
        folder = state_dir / "runs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.run_id}.json"
        path.write_text(redact(json.dumps(asdict(self), indent=2, default=str)), encoding="utf-8")
        return path


def list_runs(state_dir: Path, limit: int = 20) -> list[dict[str, Any]]:
    folder = state_dir / "runs"
    if not folder.is_dir():
        return []
    from sqlingest.errors import Location, UserError
    from sqlingest.project.files import read_text

    files = sorted(folder.glob("*.json"), reverse=True)[:limit]
    runs = []
    for f in files:
        try:
            runs.append(json.loads(read_text(f)))
        except json.JSONDecodeError as exc:
            raise UserError(f"run log is corrupt: {exc.msg}", location=Location(str(f), exc.lineno, exc.colno),
                            hint="delete or repair the file") from None
    return runs
