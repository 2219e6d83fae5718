"""Alerts when a run has failed or warned checks or failed models: a JSON POST to a webhook, a Slack-compatible
incoming webhook, or a mail over SMTP — each route chosen by the events' kind (``on``: fail, warn, error) and by
the datasets' owners and domains (the contracts' ``owner`` and domain)."""

from __future__ import annotations

import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from sqlingest.errors import redact
from sqlingest.project.config import AlertConfig
from sqlingest.runs import RunRecord

if TYPE_CHECKING:
    from sqlingest.plan import Plan


def events(record: RunRecord, plan: Plan | None = None) -> list[dict[str, Any]]:
    """One event per failed model, failed check and warned check of the run (with the dataset's owner and domain
    when the plan knows its contract)."""
    out: list[dict[str, Any]] = []
    for model in record.models:
        pm = plan.models.get(model.name) if plan is not None else None
        contract = pm.contract if pm is not None else None
        about = {"owner": contract.owner, "domain": contract.domain} if contract is not None else {}
        if model.status == "error":
            out.append({"kind": "error", "model": model.name, "relation": model.relation,
                        "message": redact(model.error or ""), **about})
        for check in model.checks:
            if check.outcome != "pass":
                kind = "fail" if check.outcome in ("fail", "error") and check.severity == "error" else "warn"
                out.append({"kind": kind, "model": model.name, "relation": model.relation, "check": check.name,
                            "action": check.action, "value": check.value, "message": redact(check.message), **about})
    return out


def payload(record: RunRecord, selected: list[dict[str, Any]]) -> dict[str, Any]:
    return {"source": "sqlingest", "run_id": record.run_id, "target": record.target, "command": record.command,
            "status": record.status, "started_at": record.started_at, "finished_at": record.finished_at,
            "events": selected}


def wants(alert: AlertConfig, event: dict[str, Any]) -> bool:
    """Whether ``alert`` routes ``event``: its kind, and its dataset's owner and domain where the alert names any."""
    if event["kind"] not in alert.on:
        return False
    if alert.owners and event.get("owner") not in alert.owners:
        return False
    return not alert.domains or event.get("domain") in alert.domains


def summary(record: RunRecord, selected: list[dict[str, Any]]) -> str:
    counts = {k: sum(1 for e in selected if e["kind"] == k) for k in ("error", "fail", "warn")}
    parts = [f"{n} {label}" for n, label in ((counts["error"], "model(s) failed"), (counts["fail"], "check(s) failed"),
                                             (counts["warn"], "warning(s)")) if n]
    return f"sqlingest {record.command} {record.run_id} on {record.target}: {', '.join(parts)}"


def _line(event: dict[str, Any]) -> str:
    what = f"{event['model']} · {event['check']}" if event.get("check") else event["model"]
    owner = f" (owner {event['owner']})" if event.get("owner") else ""
    return f"{event['kind'].upper()} {what}{owner}: {event.get('message') or ''}".rstrip(": ")


def slack_payload(record: RunRecord, selected: list[dict[str, Any]]) -> dict[str, Any]:
    """A Slack incoming-webhook message (``text`` for notifications, ``blocks`` for the layout)."""
    title = summary(record, selected)
    lines = "\n".join(f"• {_line(e)}" for e in selected[:40])
    if len(selected) > 40:
        lines += f"\n… and {len(selected) - 40} more"
    return {"text": title, "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": lines[:2900]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"status *{record.status}* · started "
                                          f"{record.started_at} · finished {record.finished_at}"}]}]}


def email_message(alert: AlertConfig, record: RunRecord, selected: list[dict[str, Any]]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = summary(record, selected)
    message["From"] = alert.sender
    message["To"] = ", ".join(alert.to)
    body = [summary(record, selected), "", *(_line(e) for e in selected), "",
            (f"run {record.run_id} · target {record.target} · status {record.status} · "
             f"{record.started_at} → {record.finished_at}")]
    message.set_content("\n".join(body))
    return message


def _post(alert: AlertConfig, body: bytes, retries: int) -> str | None:
    assert alert.url is not None
    headers = {"Content-Type": "application/json", "User-Agent": "sqlingest", **alert.headers}
    for attempt in range(retries + 1):
        try:
            request = urllib.request.Request(alert.url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=alert.timeout) as response:
                response.read()
            return None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            if attempt == retries:
                return f"{alert.type} {redact(alert.url)}: {exc}"
            time.sleep(0.5 * 2 ** attempt)
    return None


def _send_mail(alert: AlertConfig, message: EmailMessage, retries: int) -> str | None:
    smtp = alert.smtp
    host, port = (smtp.host, smtp.port) if smtp else ("localhost", 25)
    for attempt in range(retries + 1):
        try:
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=alert.timeout,
                                                    context=ssl.create_default_context()) \
                if smtp and smtp.ssl else smtplib.SMTP(host, port, timeout=alert.timeout)
            with client:
                if smtp and smtp.starttls:
                    client.starttls(context=ssl.create_default_context())
                if smtp and smtp.user:
                    client.login(smtp.user, smtp.password or "")
                client.send_message(message)
            return None
        except (smtplib.SMTPException, OSError) as exc:
            if attempt == retries:
                return f"email via {host}:{port}: {redact(str(exc))}"
            time.sleep(0.5 * 2 ** attempt)
    return None


def notify(record: RunRecord, alerts: list[AlertConfig], *, plan: Plan | None = None,
           retries: int = 2, run_events: list[dict[str, Any]] | None = None) -> list[str]:
    """Send the run's events (or ``run_events``: SLO breaches…) on every configured route that wants them.
    Returns problems (never raises)."""
    problems: list[str] = []
    all_events = events(record, plan) if run_events is None else run_events
    for alert in alerts:
        selected = [e for e in all_events if wants(alert, e)]
        if not selected:
            continue
        if alert.type == "email":
            problem = _send_mail(alert, email_message(alert, record, selected), retries)
        else:
            body = slack_payload(record, selected) if alert.type == "slack" else payload(record, selected)
            problem = _post(alert, json.dumps(body, default=str).encode(), retries)
        if problem:
            problems.append(problem)
    return problems


__all__ = ["email_message", "events", "notify", "payload", "slack_payload", "wants"]
