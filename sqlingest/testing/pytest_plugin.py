"""The pytest plugin for sqlingest projects (entry point ``pytest11: sqlingest``).

In a project (a folder with ``sqlingest.yml`` above the tests), ``pytest`` collects

- every model unit test of ``tests/*.yml`` and of the contracts' ``unit_tests:`` as one item each
  (``-k latest_row_wins`` selects one; a failure shows the diff of missing, unexpected and changed rows), all run
  on one local SparkSession;

and offers fixtures for tests written in Python:

- ``spark``: the shared local session (an active one is reused);
- ``sqlingest_project``: the project, loaded and compiled (``.project``, ``.plan``);
- ``run_model(name, inputs={...}, existing=[...], vars={...})`` → the rows of the model's table after one write.

Disable collection with ``-p no:sqlingest`` or ``sqlingest_collect = false`` in the ini file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sqlingest.errors import SqlingestError


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("sqlingest_collect", "collect sqlingest model unit tests (tests/*.yml, contracts)", type="bool",
                  default=True)
    parser.addini("sqlingest_project", "the sqlingest project folder (default: the rootdir)", default="")
    parser.addoption("--sqlingest-target", default=None, help="the target whose Spark settings unit tests use")


@dataclass
class Harness:
    """One loaded, compiled project and its unit-test runner (created on first use, shared by the session)."""

    root: Path
    target: str | None
    _plan: Any = None
    _runner: Any = None
    _tests: Any = None

    @property
    def plan(self) -> Any:
        if self._plan is None:
            from sqlingest.plan import plan_project
            from sqlingest.project import load_project

            self._plan = plan_project(load_project(self.root, target=self.target, tolerant=True))
        return self._plan

    @property
    def project(self) -> Any:
        return self.plan.project

    def tests(self) -> list[Any]:
        if self._tests is None:
            from sqlingest.project import load_project
            from sqlingest.unittests.spec import discover

            self._tests = discover(load_project(self.root, target=self.target, tolerant=True))
        return list(self._tests)

    def runner(self) -> Any:
        if self._runner is None:
            from sqlingest.unittests.runner import UnitRunner

            self._runner = UnitRunner(self.plan, session(self.plan.project))
        return self._runner

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()


def session(project: Any) -> Any:
    """The local SparkSession unit tests run on: an active one, else one built from the target's settings."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    from sqlingest.commands.unit import local_spark
    from sqlingest.execute.session import build_session

    return build_session(local_spark(project.target.spark), None, state_dir=project.state_dir)


_HARNESS: dict[Path, Harness] = {}


def _root(config: pytest.Config, start: Path | None = None) -> Path | None:
    configured = config.getini("sqlingest_project")
    if configured:
        return (config.rootpath / configured).resolve()
    for folder in [*(start.parents if start else []), config.rootpath, *config.rootpath.parents]:
        if (folder / "sqlingest.yml").is_file():
            return folder.resolve()
    return None


def harness(config: pytest.Config, root: Path) -> Harness:
    if root not in _HARNESS:
        _HARNESS[root] = Harness(root, config.getoption("--sqlingest-target"))
    return _HARNESS[root]


def pytest_unconfigure(config: pytest.Config) -> None:
    for h in _HARNESS.values():
        h.close()
    _HARNESS.clear()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yml", ".yaml") or not parent.config.getini("sqlingest_collect"):
        return None
    root = _root(parent.config, file_path)
    if root is None:
        return None
    try:
        rel = file_path.resolve().relative_to(root)
    except ValueError:
        return None
    in_tests = rel.parts[0] == "tests" and len(rel.parts) == 2
    in_contracts = rel.parts[0] == "contracts"
    if not (in_tests or in_contracts) or "unit_tests" not in file_path.read_text(encoding="utf-8"):
        return None
    return UnitTestFile.from_parent(parent, path=file_path, root=root, rel=str(rel))


class UnitTestFile(pytest.File):
    def __init__(self, *, root: Path, rel: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = root
        self.rel = rel

    def collect(self) -> Iterator[pytest.Item]:
        try:
            tests = harness(self.config, self.root).tests()
        except SqlingestError as exc:
            raise self.CollectError(exc.format()) from None
        for test in tests:
            if test.location.path == self.rel:
                yield UnitTestItem.from_parent(self, name=f"{test.model}::{test.name}", test=test)


class UnitTestFailed(AssertionError):
    pass


class UnitTestItem(pytest.Item):
    def __init__(self, *, test: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test = test

    def runtest(self) -> None:
        parent = self.parent
        assert isinstance(parent, UnitTestFile)
        try:
            result = harness(self.config, parent.root).runner().run(self.test)
        except SqlingestError as exc:
            raise UnitTestFailed(exc.format()) from None
        if not result.passed:
            raise UnitTestFailed(f"{self.test.location}: {self.test.id}\n{result.message}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, UnitTestFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(self.test.location.line - 1, 0), f"unit test {self.test.id}"


@pytest.fixture(scope="session")
def sqlingest_project(request: pytest.FixtureRequest) -> Harness:
    """The project under test (``.project``, ``.plan``), compiled once per session."""
    root = _root(request.config, request.config.invocation_params.dir / "_")
    if root is None:
        pytest.fail("no sqlingest.yml above the tests (set sqlingest_project in the ini file)")
    return harness(request.config, root)


@pytest.fixture(scope="session")
def spark(sqlingest_project: Harness) -> Any:
    """The shared local SparkSession."""
    return session(sqlingest_project.project)


@pytest.fixture
def run_model(sqlingest_project: Harness, spark: Any) -> Any:
    """``run_model(name, inputs={'bronze.orders': [rows]}, existing=[rows], vars={...})`` → the table's rows."""
    return sqlingest_project.runner().run_model
