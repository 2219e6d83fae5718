"""``http`` source: a paginated JSON API, fetched page by page on the driver (stdlib ``urllib``), staged as JSON
lines, then read and conformed exactly like a ``json`` file source (declared columns typed with ``TRY_CAST``;
values that do not cast, undeclared fields and records that are not JSON objects go to ``_rescued_data``).

Pagination (``pagination.type``):

- ``page``: ``?<param>=1,2,…`` (and ``<size_param>=<size>``) until a page has fewer than ``size`` records
  (or none);
- ``offset``: ``?<param>=0,size,2·size,…`` likewise;
- ``cursor``: the next request adds ``<param>=<value at cursor_path>`` until the cursor is empty;
- ``link``: the next request is the URL found at ``next_path`` (e.g. ``links.next``) until it is empty;
- ``none``: one request.

Transient failures (HTTP 429, 5xx, connection errors) are retried with exponential backoff (``Retry-After`` is
honoured, capped by ``max_backoff_seconds``). The auth header's value comes only from a secret.

Each row's ``_source_file`` is ``http:<URL of the page it came from>``. This is a snapshot source: every read
fetches every page, so build it with ``table`` or ``merge``, not ``append``.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import ExecutionError
from sqlingest.project.layers import SOURCE_FILE_COLUMN
from sqlingest.sources import ReadResult
from sqlingest.sources.files import JsonSource
from sqlingest.sources.stateful import StatefulSource

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RETRY_STATUS = {429, 500, 502, 503, 504}
_STAGED: list[str] = []


def _cleanup() -> None:
    for folder in _STAGED:
        shutil.rmtree(folder, ignore_errors=True)


atexit.register(_cleanup)


class HttpSource(StatefulSource):
    """Reads every page of a JSON API into declared columns + ``_rescued_data`` + ``_source_file``."""

    INCREMENTAL_BY_FILE = False
    INCREMENTAL_BY_STATE = False

    # -- configuration -----------------------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "sqlingest"}
        headers.update({str(k): str(v) for k, v in (self.option("headers") or {}).items()})
        for name in headers:
            if name.lower() in ("authorization", "x-api-key", "cookie"):
                raise self.error(f"header '{name}' must come from a secret",
                                 hint="use auth_secret: <secret name> (and auth_header / auth_scheme)")
        if self.option("auth_secret"):
            token = self.secret(self.option("auth_secret"))
            scheme = self.option("auth_scheme", "Bearer")
            headers[str(self.option("auth_header", "Authorization"))] = f"{scheme} {token}" if scheme else token
        return headers

    def pagination(self) -> dict[str, Any]:
        pages = dict(self.option("pagination") or {"type": "none"})
        kind = pages.get("type", "none")
        if kind not in ("none", "page", "offset", "cursor", "link"):
            raise self.error(f"unknown pagination type '{kind}' (page, offset, cursor, link, none)")
        return pages

    # -- fetching ----------------------------------------------------------------------------------
    def request(self, url: str, headers: dict[str, str]) -> Any:
        """GET ``url`` and decode its JSON body, retrying 429/5xx/connection errors with exponential backoff."""
        retries = int(self.option("max_retries", 5))
        backoff = float(self.option("backoff_seconds", 0.5))
        cap = float(self.option("max_backoff_seconds", 30))
        timeout = float(self.option("timeout_seconds", 30))
        attempt = 0
        while True:
            attempt += 1
            wait = min(cap, backoff * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
                    body = resp.read()
                break
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRY_STATUS or attempt > retries:
                    raise ExecutionError(f"source {self.contract.name}: GET {_redact(url)} failed with HTTP "
                                         f"{exc.code} after {attempt} attempt(s)") from None
                after = exc.headers.get("Retry-After") if exc.headers else None
                if after and after.strip().isdigit():
                    wait = min(cap, float(after))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt > retries:
                    raise ExecutionError(f"source {self.contract.name}: GET {_redact(url)} failed after "
                                         f"{attempt} attempt(s): {exc}") from None
            time.sleep(wait)
        try:
            return json.loads(body)
        except ValueError:
            raise ExecutionError(f"source {self.contract.name}: {_redact(url)} did not return JSON") from None

    def pages(self) -> Iterator[tuple[str, list[Any]]]:
        """(page URL, records) for every page."""
        base = str(self.required("url"))
        params = {str(k): str(v) for k, v in (self.option("params") or {}).items()}
        headers = self.headers()
        pages = self.pagination()
        kind = pages.get("type", "none")
        size = int(pages.get("size", 100))
        max_pages = int(self.option("max_pages", 10000))
        records_path = self.option("records_path")
        if kind in ("page", "offset"):
            params[str(pages.get("size_param", "per_page" if kind == "page" else "limit"))] = str(size)
        position: Any = int(pages.get("start", 1 if kind == "page" else 0))
        url: str | None = _with_params(base, params | ({str(pages.get("param", kind)): str(position)}
                                                       if kind in ("page", "offset") else {}))
        for _ in range(max_pages):
            assert url is not None
            body = self.request(url, headers)
            records = _at(body, records_path)
            if records is None:
                records = []
            if not isinstance(records, list):
                raise ExecutionError(f"source {self.contract.name}: records_path '{records_path}' of "
                                     f"{_redact(url)} is not a list")
            yield url, records
            if kind == "none":
                return
            if kind in ("page", "offset"):
                if len(records) < size:
                    return
                position += 1 if kind == "page" else size
                url = _with_params(base, params | {str(pages.get("param", kind)): str(position)})
            elif kind == "cursor":
                cursor = _at(body, pages.get("cursor_path", "next_cursor"))
                if cursor in (None, "") or not records:
                    return
                url = _with_params(base, params | {str(pages.get("param", "cursor")): str(cursor)})
            else:  # link
                following = _at(body, pages.get("next_path", "next"))
                if not following or not records:
                    return
                url = urllib.parse.urljoin(url, str(following))
        raise ExecutionError(f"source {self.contract.name}: more than max_pages={max_pages} pages")

    # -- read --------------------------------------------------------------------------------------
    def read(self, spark: SparkSession, *, exclude: set[str] | None = None, state: Any = None) -> ReadResult:
        from pyspark.sql import functions as F

        staging = self.option("staging_dir")
        if staging:
            Path(staging).mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="sqlingest-http-", dir=staging or None))
        _STAGED.append(str(folder))
        files, urls = [], []
        for number, (url, records) in enumerate(self.pages(), start=1):
            if not records:
                continue
            path = folder / f"page-{number:06d}.jsonl"
            with path.open("w", encoding="utf-8") as out:
                for record in records:
                    out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            files.append(str(path))
            urls.append("http:" + _redact(url))
        if not files:
            return ReadResult(self.empty(spark), [])
        frame = JsonSource(self.contract, self.project_dir).read_files(spark, files)
        mapping = F.create_map(*[F.lit(x) for f, u in zip(files, urls, strict=True) for x in (Path(f).name, u)])
        page_file = F.regexp_extract(F.col(SOURCE_FILE_COLUMN), r"[^/]+$", 0)
        frame = frame.withColumn(SOURCE_FILE_COLUMN, F.element_at(mapping, page_file))
        return ReadResult(frame, urls)


def _with_params(url: str, params: dict[str, str]) -> str:
    if not params:
        return url
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)) | params
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _at(body: Any, path: Any) -> Any:
    """The value at a dotted ``path`` (``data.items``; empty: the body itself)."""
    if not path:
        return body
    for key in str(path).split("."):
        if isinstance(body, dict):
            body = body.get(key)
        elif isinstance(body, list) and key.isdigit() and int(key) < len(body):
            body = body[int(key)]
        else:
            return None
    return body


def _redact(url: str) -> str:
    """The URL without user info (credentials never go in URLs, but be safe in messages and lineage)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        parts = parts._replace(netloc=host)
    return urllib.parse.urlunsplit(parts)
