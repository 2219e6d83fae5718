"""Write-audit-publish on Nessie: build on a branch, audit there, merge into main only when the audit passes.

Uses Nessie's REST API v2 with the standard library only::

    api = NessieRefs("http://127.0.0.1:19120/api/v2")
    api.create_branch("run-20261128", from_ref="main")
    ...write with a catalog whose ref is "run-20261128", run the checks against it...
    api.merge_branch("run-20261128", into="main")     # atomically publishes every table changed on the branch
    api.drop_branch("run-20261128")

:func:`write_audit_publish` does the three steps around a build and an audit callable; a failed audit leaves main
untouched (and, by default, keeps the branch for inspection).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlingest.errors import CatalogUnavailable, ExecutionError, UserError

__all__ = ["AuditFailed", "NessieRefs", "WapResult", "create_branch", "drop_branch", "merge_branch",
           "write_audit_publish"]


class AuditFailed(ExecutionError):
    """The audit on the branch failed; nothing was merged into the target branch."""


#: the hash of a Nessie branch without any commit
NO_ANCESTOR = "2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d"


class NessieRefs:
    """Branches of one Nessie server (``uri`` = ``http://host:port/api/v2``, the catalog's ``uri``)."""

    def __init__(self, uri: str, *, timeout: float = 30.0) -> None:
        self.uri = uri.rstrip("/")
        self.timeout = timeout

    # -- low level ---------------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              query: dict[str, str] | None = None) -> dict[str, Any]:
        url = f"{self.uri}/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            try:
                detail = json.loads(detail).get("message", detail)
            except ValueError:
                pass
            if exc.code in (404, 409):
                raise UserError(f"Nessie {method} {path}: {detail}") from None
            raise ExecutionError(f"Nessie {method} {path} failed (HTTP {exc.code}): {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise CatalogUnavailable(f"Nessie at {self.uri} did not answer: {exc}") from None
        return json.loads(text) if text.strip() else {}

    @staticmethod
    def _ref(name: str, hash_: str | None = None) -> str:
        return urllib.parse.quote(f"{name}@{hash_}" if hash_ else name, safe="@")

    # -- references ----------------------------------------------------------------------------------------------

    def reference(self, name: str) -> dict[str, Any]:
        """``{"type": "BRANCH", "name": …, "hash": …}``."""
        return self._call("GET", f"trees/{self._ref(name)}")["reference"]  # type: ignore[no-any-return]

    def head(self, name: str) -> str:
        """The commit hash ``name`` points at."""
        return str(self.reference(name)["hash"])

    def branches(self) -> list[str]:
        return [r["name"] for r in self._call("GET", "trees").get("references", []) if r.get("type") == "BRANCH"]

    def create_branch(self, name: str, *, from_ref: str = "main") -> str:
        """Create branch ``name`` at the head of ``from_ref``; returns its hash."""
        source = self.reference(from_ref)
        created = self._call("POST", "trees", body=source, query={"name": name, "type": "BRANCH"})
        return str(created["reference"]["hash"])

    def merge_branch(self, name: str, *, into: str = "main", message: str | None = None) -> str:
        """Merge every commit of ``name`` into ``into`` (fails on conflicting changes); returns the new head.

        When ``into`` has no commit yet (a new repository), it is fast-forwarded to ``name`` instead: Nessie
        cannot merge without a common ancestor."""
        if self.head(into) == NO_ANCESTOR:
            target = self.reference(name)
            self._call("PUT", f"trees/{self._ref(into, NO_ANCESTOR)}",
                       body={"type": "BRANCH", "name": name, "hash": target["hash"]})
            return self.head(into)
        body = {"fromRefName": name, "fromHash": self.head(name),
                "message": message or f"sqlingest: publish {name}"}
        self._call("POST", f"trees/{self._ref(into, self.head(into))}/history/merge", body=body)
        return self.head(into)

    def drop_branch(self, name: str) -> None:
        """Delete branch ``name`` (its commits stay reachable from wherever they were merged)."""
        self._call("DELETE", f"trees/{self._ref(name, self.head(name))}")

    def content(self, key: list[str], *, ref: str = "main") -> dict[str, Any] | None:
        """The content stored under ``key`` (``["silver", "orders"]``) on ``ref`` — for an Iceberg table
        ``{"type": "ICEBERG_TABLE", "metadataLocation": …}`` — or None when there is none.

        Raises:
            UserError: ``ref`` does not exist.
        """
        self.reference(ref)
        path = urllib.parse.quote(".".join(part.replace(".", "\u001d") for part in key), safe="")
        try:
            return self._call("GET", f"trees/{self._ref(ref)}/contents/{path}").get("content")
        except UserError:  # 404: no content under this key
            return None


def create_branch(uri: str, name: str, *, from_ref: str = "main") -> str:
    """Create branch ``name`` from ``from_ref`` on the Nessie server at ``uri``; returns its hash."""
    return NessieRefs(uri).create_branch(name, from_ref=from_ref)


def merge_branch(uri: str, name: str, *, into: str = "main") -> str:
    """Merge branch ``name`` into ``into``; returns ``into``'s new hash."""
    return NessieRefs(uri).merge_branch(name, into=into)


def drop_branch(uri: str, name: str) -> None:
    """Delete branch ``name``."""
    NessieRefs(uri).drop_branch(name)


@dataclass
class WapResult:
    branch: str
    published: bool
    head: str


def write_audit_publish(uri: str, branch: str, build: Callable[[str], None], audit: Callable[[str], bool], *,
                        into: str = "main", keep_failed_branch: bool = True) -> WapResult:
    """Create ``branch`` from ``into``, ``build(branch)``, then ``audit(branch)``; merge only if it returns true.

    Raises:
        AuditFailed: the audit returned false (``into`` is untouched; the branch is kept unless
            ``keep_failed_branch`` is false).
        Exception: whatever ``build`` raised (the branch is kept likewise).
    """
    refs = NessieRefs(uri)
    refs.create_branch(branch, from_ref=into)
    try:
        build(branch)
        passed = audit(branch)
    except BaseException:
        if not keep_failed_branch:
            refs.drop_branch(branch)
        raise
    if not passed:
        if not keep_failed_branch:
            refs.drop_branch(branch)
        raise AuditFailed(f"audit failed on branch '{branch}'; nothing was merged into '{into}'",
                          hint=f"inspect the branch (catalog ref: {branch}), fix, and rebuild")
    head = refs.merge_branch(branch, into=into)
    refs.drop_branch(branch)
    return WapResult(branch, True, head)
