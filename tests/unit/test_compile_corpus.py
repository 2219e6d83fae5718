"""The compile corpus (issue #14): every broken case is caught at the right file, line and column with the error
named, every valid case compiles clean. One test per case: ``pytest tests/unit/test_compile_corpus.py -k <id>``.

The cases live in tests/corpus/compile/cases_<class>.yml and are written over tests/corpus/compile/base/.
tests/integration/test_compile_differential.py checks the same cases against Spark's analyzer."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from sqlingest.errors import CompileErrors, UserError
from sqlingest.plan import plan_project
from sqlingest.project import load_project
from tests.corpus.compile import Case, Expected, load_cases, materialize

CASES = load_cases()
#: what a user must never see: a Python traceback or sqlglot's internals
FORBIDDEN = re.compile(r"Traceback|sqlglot|\bexp\.|Anonymous")
_NOTE = re.compile(r"not checked: depends on a model with errors", re.IGNORECASE)
_LOCATED = re.compile(r"^(?P<path>[^\s:]+)(?::(?P<line>\d+))?(?::(?P<col>\d+))?: (?P<message>.*)$", re.DOTALL)


@dataclass(frozen=True)
class Reported:
    """One error or note the compiler reported."""

    file: str
    line: int
    col: int
    message: str
    hint: str
    severity: str
    text: str

    def matches(self, expected: Expected) -> bool:
        return (self.file == expected.file and self.severity == expected.severity
                and (expected.line is None or self.line == expected.line)
                and (expected.col is None or self.col == expected.col)
                and re.search(expected.match, self.message, re.IGNORECASE) is not None
                and (expected.hint is None or re.search(expected.hint, self.hint, re.IGNORECASE) is not None))


def _severity(error: object, message: str) -> str:
    marker = getattr(error, "severity", None)
    if marker in ("note", "warning", "info") or _NOTE.search(message):
        return "note"
    return "error"


def _from_error(error: UserError) -> Reported:
    loc = error.location
    message, hint = error.message, error.hint or ""
    return Reported(loc.path if loc else "", loc.line if loc else 0, loc.col if loc else 0, message, hint,
                    _severity(error, message), error.format())


def _from_warning(text: str) -> Reported | None:
    """A warning string ``path[:line[:col]]: message`` that is a downstream note (other warnings are ignored)."""
    match = _LOCATED.match(text.strip())
    if not match or not _NOTE.search(text):
        return None
    return Reported(match["path"], int(match["line"] or 0), int(match["col"] or 0), match["message"], "", "note",
                    text)


def compile_case(case: Case, root: Path) -> tuple[list[Reported], list[str]]:
    """Compile the case's project: (errors and notes, every warning)."""
    project = load_project(materialize(case, root))
    reported: list[Reported] = []
    warnings: list[str] = []
    try:
        plan = plan_project(project)
        warnings = list(plan.warnings)
    except CompileErrors as exc:
        reported = [_from_error(e) for e in exc.errors]
        warnings = list(getattr(exc, "warnings", None) or [])
        for note in getattr(exc, "notes", None) or []:  # what could not be checked because of the errors
            if isinstance(note, UserError):
                reported.append(replace(_from_error(note), severity="note"))
            elif (parsed := _from_warning(str(note))) is not None:
                reported.append(parsed)
    except UserError as exc:  # one error (of its own class), with what it kept from being checked
        reported = [_from_error(exc)]
        reported += [replace(_from_error(n), severity="note") for n in getattr(exc, "notes", None) or []]
    for text in warnings:
        note = _from_warning(text)
        if note is not None:
            reported.append(note)
    return [r for r in reported if r is not None], warnings


def _diff(case: Case, reported: list[Reported]) -> list[str]:
    problems = []
    unmatched = list(reported)
    for expected in case.errors:
        hits = [r for r in unmatched if r.matches(expected)]
        if not hits:
            problems.append(f"expected, not reported: {expected.describe()}")
        else:
            unmatched.remove(hits[0])
    problems += [f"reported, not expected: {r.text}" for r in unmatched]
    return problems


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: Case, tmp_path: Path) -> None:
    reported, warnings = compile_case(case, tmp_path / "proj")
    shown = "\n".join([r.text for r in reported] + warnings)
    assert not FORBIDDEN.search(shown), f"internals leak into the messages:\n{shown}"
    problems = _diff(case, reported)
    if case.clean:
        problems += [f"unexpected warning: {w}" for w in warnings if "not checked" in w]
    assert not problems, f"{case.id} ({case.cls}): " + "\n  ".join(["", *problems]) + f"\n-- all output:\n{shown}"


def test_corpus_size_and_coverage() -> None:
    broken = [c for c in CASES if c.broken]
    clean = [c for c in CASES if c.clean]
    assert len(CASES) >= 150 and len(broken) >= 90 and len(clean) >= 60, (len(CASES), len(broken), len(clean))
    minimum = {"functions": 20, "groupby": 15, "setops": 8, "scopes": 20, "syntax": 10, "contract": 12,
               "templates": 8, "downstream": 3}
    for cls, least in minimum.items():
        assert len([c for c in broken if c.cls == cls]) >= least, cls
    assert all(c.spark == "accepts" for c in clean)
    assert not [c.id for c in broken if c.cls == "contract" and c.spark != "accepts"]


def test_base_project_compiles_clean(tmp_path: Path) -> None:
    plan = plan_project(load_project(materialize(None, tmp_path / "proj")))
    assert len(plan.models) == 7 and not [w for w in plan.warnings if "not checked" in w]
