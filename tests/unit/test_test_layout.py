"""The test tree itself: pytest imports test modules by basename (tests/unit and tests/integration are not
packages), so two test files with one name make the second fail to collect."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_basename():
    names = Counter(p.name for p in TESTS.rglob("test_*.py") if "corpus" not in p.parts)
    assert [n for n, count in names.items() if count > 1] == []
