"""Alerts: a JSON POST to a webhook when a run has failed or warned checks or failed models."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from sqlingest.errors import redact
from sqlingest.project.config import AlertConfig
from sqlingest.runs import RunRecord


def events(record: RunRecord) -> list[dict[str, Any]]:
    """One event per failed model, failed check and warned check of the run."""
    out: list[dict[str, Any]] = []
    for model in record.models:
        if model.status == "error":
            out.append({"kind": "error", "model": model.name, "relation": model.relation,
                        "message": redact(model.error or "")})
        for check in model.checks:
            if check.outcome != "pass":
                kind = "fail" if check.outcome in ("fail", "error") and check.severity == "error" else "warn"
                out.append({"kind": kind, "model": model.name, "relation": model.relation, "check": check.name,
                            "action": check.action, "value": check.value, "message": redact(check.message)})
    return out


def payload(record: RunRecord, selected: list[dict[str, Any]]) -> dict[str, Any]:
    return {"source": "sqlingest", "run_id": record.run_id, "target": record.target, "command": record.command,
            "status": record.status, "started_at": record.started_at, "finished_at": record.finished_at,
            "events": selected}


def notify(record: RunRecord, alerts: list[AlertConfig], *, retries: int = 2) -> list[str]:
    """POST the run's events to every configured webhook that wants them. Returns problems (never raises)."""
    problems: list[str] = []
    all_events = events(record)
    for alert in alerts:
        selected = [e for e in all_events if e["kind"] in alert.on]
        if not selected:
            continue
        body = json.dumps(payload(record, selected), default=str).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "sqlingest", **alert.headers}
        for attempt in range(retries + 1):
            try:
                request = urllib.request.Request(alert.url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=alert.timeout) as response:
                    response.read()
                break
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if attempt == retries:
                    problems.append(f"webhook {redact(alert.url)}: {exc}")
                else:
                    time.sleep(0.5 * 2 ** attempt)
    return problems


__all__ = ["events", "notify", "payload"]
