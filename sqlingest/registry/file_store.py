"""A registry kept in the project repository: one committed JSON file per subject.

``contracts/.registry/<layer>__<domain>.<dataset>.json`` holds the subject's versions as a JSON list, oldest
first, so the history of every contract is part of the repository (reviewable in pull requests), not only of git.
Publishing takes an exclusive ``flock`` on the ``.registry`` folder, so concurrent publishers on one machine
(threads or processes) get distinct versions; files are replaced atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlingest.errors import UserError
from sqlingest.registry.store import (
    RegistryStore,
    SchemaVersion,
    SubjectHistory,
    SubjectNotFound,
    VersionNotFound,
    parse_subject,
)

try:  # POSIX only; elsewhere publishers are serialized within the process
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

REGISTRY_DIR = Path("contracts") / ".registry"
_SUFFIX = ".json"


class FileStore(RegistryStore):
    """Subjects and versions in ``<project_dir>/contracts/.registry/*.json``."""

    def __init__(self, project_dir: Path | str) -> None:
        """Args:
        project_dir: The project root (the folder holding ``contracts/``).
        """
        self.root = Path(project_dir) / REGISTRY_DIR
        self._lock = threading.Lock()

    def path(self, subject: str) -> Path:
        """The file holding a subject's versions.

        Raises:
            InvalidSubject: ``subject`` is malformed.
        """
        parse_subject(subject)
        return self.root / (subject.replace(":", "__") + _SUFFIX)

    def subjects(self) -> list[str]:
        """Every subject with a registry file, sorted."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob(f"*__*{_SUFFIX}"):
            subject = path.name[: -len(_SUFFIX)].replace("__", ":", 1)
            try:
                parse_subject(subject)
            except UserError:
                continue
            found.append(subject)
        return sorted(found)

    def versions(self, subject: str) -> list[int]:
        """The version numbers of a subject, ascending.

        Raises:
            InvalidSubject: ``subject`` is malformed.
            SubjectNotFound: The subject has no versions.
        """
        versions = self._read(subject)
        if not versions:
            raise SubjectNotFound(f"subject {subject!r} has no registered versions")
        return [v.version for v in versions]

    def get(self, subject: str, version: int | None = None) -> SchemaVersion:
        """One version of a subject (``None`` = the latest).

        Raises:
            InvalidSubject: ``subject`` is malformed.
            SubjectNotFound: The subject has no versions.
            VersionNotFound: The subject has no such version.
        """
        versions = self._read(subject)
        if not versions:
            raise SubjectNotFound(f"subject {subject!r} has no registered versions")
        if version is None:
            return versions[-1]
        for found in versions:
            if found.version == version:
                return found
        raise VersionNotFound(f"subject {subject!r} has no version {version}",
                              hint=f"versions: {', '.join(str(v.version) for v in versions)}")

    def history(self, subject: str) -> list[SchemaVersion]:
        """Every version of a subject, oldest first (one file read)."""
        return self._read(subject)

    @contextmanager
    def _transaction(self, subject: str) -> Iterator[SubjectHistory]:
        path = self.path(subject)
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock, _folder_lock(self.root):
            versions = self._read(subject)
            appended: list[SchemaVersion] = []
            yield SubjectHistory(list(versions), appended.append)
            if appended:
                _write_atomically(path, [v.to_dict() for v in [*versions, *appended]])

    def _read(self, subject: str) -> list[SchemaVersion]:
        path = self.path(subject)
        if not path.exists():
            return []
        from sqlingest.project.files import read_text

        text = read_text(path)
        try:
            data = json.loads(text)
            if not isinstance(data, list):
                raise TypeError("not a JSON list")
            versions = [SchemaVersion.from_dict(item) for item in data]
        except (ValueError, TypeError, KeyError) as exc:
            raise UserError(f"registry file {path} is corrupt: {exc}",
                            hint="restore it from version control") from None
        return sorted(versions, key=lambda v: v.version)


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock on a folder (no lock file to commit)."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_atomically(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
