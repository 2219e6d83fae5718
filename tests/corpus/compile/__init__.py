"""The compile corpus (issue #14): a base project and cases of broken and valid models written over it.

``load_cases()`` reads every ``cases_<class>.yml``; ``materialize(case, root)`` writes the base project and the
case's files into ``root``. Used by tests/unit/test_compile_corpus.py (the compiler's verdict) and
tests/integration/test_compile_differential.py (Spark's verdict on the same compiled SQL).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"

_CASE_KEYS = {"id", "files", "errors", "clean", "spark", "why"}
_ERROR_KEYS = {"file", "line", "col", "match", "hint", "severity"}


@dataclass(frozen=True)
class Expected:
    """One error (or note) a broken case must produce."""

    file: str
    match: str
    line: int | None = None
    col: int | None = None
    hint: str | None = None
    severity: str = "error"

    def describe(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.col) if p is not None)
        return f"{where}: /{self.match}/" + (f" hint /{self.hint}/" if self.hint else "") + \
            (f" [{self.severity}]" if self.severity != "error" else "")


@dataclass(frozen=True)
class Case:
    id: str
    cls: str
    files: dict[str, str | None]
    errors: list[Expected] = field(default_factory=list)
    clean: bool = False
    spark: str = "accepts"
    why: str = ""

    @property
    def broken(self) -> bool:
        return not self.clean


def _case(cls: str, raw: dict[str, Any], source: Path) -> Case:
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise ValueError(f"{source.name}: case {raw.get('id')}: unknown keys {sorted(unknown)}")
    errors = []
    for item in raw.get("errors") or []:
        bad = set(item) - _ERROR_KEYS
        if bad:
            raise ValueError(f"{source.name}: case {raw['id']}: unknown error keys {sorted(bad)}")
        re.compile(item["match"])
        if item.get("hint"):
            re.compile(item["hint"])
        errors.append(Expected(**item))
    clean = bool(raw.get("clean", False))
    if clean == bool(errors):
        raise ValueError(f"{source.name}: case {raw['id']}: give either clean: true or a non-empty errors list")
    spark = raw.get("spark", "accepts")
    if spark not in ("accepts", "rejects") or (clean and spark != "accepts"):
        raise ValueError(f"{source.name}: case {raw['id']}: spark must be accepts|rejects (clean cases: accepts)")
    return Case(raw["id"], cls, dict(raw.get("files") or {}), errors, clean, spark, raw.get("why", ""))


def load_cases() -> list[Case]:
    """Every case of every ``cases_<class>.yml``, in file order; ids are unique."""
    cases: list[Case] = []
    for source in sorted(HERE.glob("cases_*.yml")):
        cls = source.stem.removeprefix("cases_")
        for raw in yaml.safe_load(source.read_text(encoding="utf-8")) or []:
            cases.append(_case(cls, raw, source))
    ids = [c.id for c in cases]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate case ids: {dupes}")
    return cases


def materialize(case: Case | None, root: Path, *, config: str | None = None) -> Path:
    """Write the base project and ``case``'s files (``null`` deletes a base file) into ``root``.

    ``config`` replaces sqlingest.yml (the differential test points the project at its own namespaces)."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(BASE, root, ignore=shutil.ignore_patterns("target", ".sqlingest"))
    for rel, text in (case.files if case else {}).items():
        path = root / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if config is not None:
        (root / "sqlingest.yml").write_text(config, encoding="utf-8")
    return root
