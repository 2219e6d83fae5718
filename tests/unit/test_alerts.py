"""The webhook notifier against a real local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from sqlingest.checks.results import CheckResult
from sqlingest.project.config import AlertConfig
from sqlingest.runs import ModelResult, RunRecord
from sqlingest.runs.alerts import notify


def serve(status_codes: list[int]):
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            code = status_codes.pop(0) if status_codes else 200
            if code == 200:
                received.append({"body": json.loads(body), "auth": self.headers.get("Authorization")})
            self.send_response(code)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def record() -> RunRecord:
    ok = ModelResult("silver.a", "lake.silver.a", "merge", status="success",
                     checks=[CheckResult("unique(id)", "pass", "error", "fail")])
    warned = ModelResult("gold.b", "lake.gold.b", "table", status="warn", checks=[
        CheckResult("not_null(x)", "warn", "warn", "warn", 3, "3 row(s) failing")])
    failed = ModelResult("gold.c", "lake.gold.c", "table", status="error", error="boom", checks=[
        CheckResult("range(y)", "fail", "error", "fail", 2)])
    return RunRecord("r1", "build", "dev", "2026-01-01T00:00:00", "2026-01-01T00:01:00", "error",
                     [ok, warned, failed])


def test_webhook_receives_failures_and_warnings_after_a_retry():
    server, received = serve([500])
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        alert = AlertConfig(url=url, on=["fail", "warn", "error"], headers={"Authorization": "Bearer t"})
        assert notify(record(), [alert]) == []
    finally:
        server.shutdown()
    assert len(received) == 1
    body = received[0]["body"]
    assert received[0]["auth"] == "Bearer t"
    assert body["run_id"] == "r1" and body["status"] == "error"
    kinds = sorted((e["kind"], e["model"], e.get("check")) for e in body["events"])
    assert kinds == [("error", "gold.c", None), ("fail", "gold.c", "range(y)"), ("warn", "gold.b", "not_null(x)")]


def test_only_selected_kinds_are_sent_and_nothing_when_clean():
    server, received = serve([])
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        assert notify(record(), [AlertConfig(url=url, on=["warn"])]) == []
        clean = RunRecord("r2", "build", "dev", "t0", "t1", "success", [record().models[0]])
        assert notify(clean, [AlertConfig(url=url)]) == []
    finally:
        server.shutdown()
    assert len(received) == 1
    assert [e["kind"] for e in received[0]["body"]["events"]] == ["warn"]


def test_unreachable_webhook_is_reported_not_raised():
    problems = notify(record(), [AlertConfig(url="http://127.0.0.1:9/none", timeout=0.5)], retries=0)
    assert len(problems) == 1 and "webhook http://127.0.0.1:9/none" in problems[0]
