"""A local paginated JSON API (stdlib ``http.server`` in a thread) for tests and demos of the ``http`` source.

Endpoints, all answering ``{"data": {"items": [...]}, "meta": {...}}``:

- ``/page?page=N&per_page=S`` (``N`` from 1), ``/offset?offset=O&limit=S``;
- ``/cursor?cursor=C&per_page=S``: ``meta.next_cursor`` is the next cursor, absent on the last page;
- ``/link``: ``meta.next`` is the next page's relative URL.

``failures`` maps ``(path, page_index)`` to a list of HTTP statuses to answer *before* the real page (e.g.
``{("/page", 2): [429, 500]}``); ``token`` makes every endpoint require ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["PaginatedApi", "start_api"]


@dataclass
class PaginatedApi:
    records: list[Any]
    host: str = "127.0.0.1"
    port: int = 0
    token: str | None = None
    failures: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    log: list[tuple[str, int]] = field(default_factory=list)  # (request path with query, status)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def page(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        size = int(query.get("per_page") or query.get("limit") or 2)
        if path == "/offset":
            start = int(query.get("offset", 0))
        elif path in ("/cursor", "/link"):
            start = int(query.get("cursor", 0))
        else:
            start = (int(query.get("page", 1)) - 1) * size
        items = self.records[start:start + size]
        meta: dict[str, Any] = {}
        if start + size < len(self.records):
            meta["next_cursor"] = str(start + size)
            meta["next"] = f"/link?cursor={start + size}&per_page={size}"
        return start // size + 1, {"data": {"items": items}, "meta": meta}


def start_api(records: list[Any], *, token: str | None = None,
              failures: dict[tuple[str, int], list[int]] | None = None) -> PaginatedApi:
    """Serve ``records`` on a free loopback port in a daemon thread; call ``stop()`` when done."""
    api = PaginatedApi(list(records), token=token, failures={k: list(v) for k, v in (failures or {}).items()})
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            if api.token is not None and self.headers.get("Authorization") != f"Bearer {api.token}":
                return self.answer(401, {"error": "unauthorized"})
            if parts.path not in ("/page", "/offset", "/cursor", "/link"):
                return self.answer(404, {"error": "not found"})
            index, body = api.page(parts.path, query)
            with lock:
                pending = api.failures.get((parts.path, index))
                status = pending.pop(0) if pending else 200
            if status != 200:
                return self.answer(status, {"error": "try again"}, retry_after="0" if status == 429 else None)
            return self.answer(200, body)

        def answer(self, status: int, body: Any, retry_after: str | None = None) -> None:
            data = json.dumps(body).encode()
            with lock:
                api.log.append((self.path, status))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer((api.host, 0), Handler)
    server.daemon_threads = True
    api._server = server
    api.port = int(server.server_address[1])
    threading.Thread(target=server.serve_forever, name="sqlingest-http-fixture", daemon=True).start()
    return api
