"""Model unit tests as written: ``unit_tests:`` in a model's contract or in ``tests/<anything>.yml``, parsed into
:class:`UnitTest` values with every problem located (``file:line:col``).

A ``tests/*.yml`` file holds ``unit_tests:`` (a list), each entry naming its ``model``; in a contract the model is
the one bound to the contract, and ``model:`` may be left out::

    unit_tests:
      - name: latest_row_wins
        model: silver.orders
        given:
          - input: ref('bronze.orders')        # or source('retail', 'orders')
            rows:                               # YAML rows (format: dict), only the columns the test needs
              - {order_id: 1, status: placed, updated_at: "2024-01-01 10:00:00"}
          - input: source('retail', 'customers')
            format: csv                         # inline CSV
            rows: |
              customer_id,name
              1,Ada
          - input: ref('silver.products')
            fixture: tests/fixtures/products.csv  # a CSV, YAML or JSON file of rows
        vars: {currency: EUR}
        this:                                   # the target's existing rows (is_incremental() is then true)
          rows: [...]
        expect:
          rows: [...]                           # the target's rows after the write (only the columns listed)
          quarantined: [...]                    # rows set aside by quarantine checks
          dropped: 0                            # rows removed by drop checks
          checks: {"unique(order_id)": pass}    # fused row check outcomes
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sqlingest.errors import CompileErrors, Location, UserError
from sqlingest.project.yaml_loader import LocatedDict, LocatedList, load_yaml, locate, validate_model

#: ``ref('a.b')`` / ``source('d', 'n')`` as written in ``input:``
INPUT = re.compile(r"""^\s*(ref|source)\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)\s*$""")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rows(_Strict):
    """Rows given as YAML (``format: dict``), inline CSV (``format: csv``) or a ``fixture:`` file."""

    format: Literal["dict", "csv"] = "dict"
    rows: list[dict[str, Any]] | str | None = None
    fixture: str | None = None


class Given(Rows):
    input: str

    @field_validator("input")
    @classmethod
    def _input(cls, value: str) -> str:
        if not INPUT.match(value):
            raise ValueError(f"input must be ref('<model>') or source('<domain>', '<name>'), not {value!r}")
        return value


class Expect(Rows):
    #: compare in the order of the model query's rows (its ORDER BY); default: order is ignored
    ordered: bool = False
    quarantined: list[dict[str, Any]] | None = None
    dropped: int | None = Field(default=None, ge=0)
    checks: dict[str, Literal["pass", "warn", "fail"]] | None = None
    #: the model must fail with an error whose message contains this text
    error: str | None = None


class UnitTestSpec(_Strict):
    name: str
    model: str | None = None
    description: str | None = None
    given: list[Given] = Field(default_factory=list)
    vars: dict[str, Any] = Field(default_factory=dict)
    is_incremental: bool | None = None
    this: Rows | None = None
    expect: Expect


class UnitTestFile(_Strict):
    unit_tests: list[UnitTestSpec]


class UnitTest:
    """One parsed unit test: its spec, where it was written, and its rows resolved to Python dicts."""

    def __init__(self, spec: UnitTestSpec, model: str, location: Location, data: LocatedDict, root: Path) -> None:
        self.spec = spec
        self.name = spec.name
        self.model = model
        self.location = location
        self._data = data
        self._root = root

    @property
    def id(self) -> str:
        return f"{self.model}::{self.name}"

    def where(self, *path: Any) -> Location:
        return locate(self._data, path, self.location)

    def inputs(self) -> list[tuple[str, str, list[dict[str, Any]], Location]]:
        """(kind ``ref``/``source``, name — a model or ``domain.name`` —, rows, location) of each given input."""
        out = []
        for i, given in enumerate(self.spec.given):
            match = INPUT.match(given.input)
            assert match is not None  # validated
            kind, first, second = match.groups()
            if kind == "source":
                if second is None:
                    raise UserError("source() takes the domain and the name: source('<domain>', '<name>')",
                                    location=self.where("given", i, "input"))
                name = f"{first}.{second}"
            elif second is not None:
                raise UserError("ref() takes one model name", location=self.where("given", i, "input"))
            else:
                name = first
            out.append((kind, name, self.rows(given, "given", i), self.where("given", i)))
        return out

    def rows(self, rows: Rows, *path: Any) -> list[dict[str, Any]]:
        """The rows of a ``given`` entry, ``this`` or ``expect`` (YAML, inline CSV or fixture file)."""
        where = self.where(*path)
        if rows.fixture is not None:
            if rows.rows is not None:
                raise UserError("give rows or fixture, not both", location=where)
            path_ = (self._root / rows.fixture)
            if not path_.is_file():
                raise UserError(f"fixture file {rows.fixture} not found", location=self.where(*path, "fixture"),
                                hint="fixture paths are relative to the project root")
            return read_fixture(path_, Path(rows.fixture))
        if rows.rows is None:
            return []
        if isinstance(rows.rows, str):
            if rows.format != "csv":
                raise UserError("rows given as text need format: csv", location=self.where(*path, "rows"))
            return parse_csv(rows.rows)
        if rows.format == "csv":
            raise UserError("format: csv needs the rows as one block of text (rows: |)",
                            location=self.where(*path, "rows"))
        raw = self._raw(*path, "rows")
        return list(raw) if isinstance(raw, list) else [dict(r) for r in rows.rows]

    def _raw(self, *path: Any) -> Any:
        """The YAML value at ``path`` as loaded (located mappings keep their keys' locations)."""
        node: Any = self._data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node


def parse_csv(text: str) -> list[dict[str, Any]]:
    """CSV rows with a header line; an empty field is NULL."""
    reader = csv.DictReader(io.StringIO(text.strip() + "\n"))
    return [{k.strip(): (None if v is None or v.strip() == "" else v.strip()) for k, v in row.items()}
            for row in reader]


def read_fixture(path: Path, shown: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        return parse_csv(text)
    data = json.loads(text) if path.suffix == ".json" else load_yaml(shown if not path.is_absolute() else path, text)
    if isinstance(data, dict) and "rows" in data:
        data = data["rows"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise UserError("a fixture file holds a list of rows (mappings)", location=Location(str(shown), 1, 1))
    return [dict(r) for r in data]


def _parse(items: Any, path: Path, root: Path, default_model: str | None) -> tuple[list[UnitTest], list[UserError]]:
    errors: list[UserError] = []
    tests: list[UnitTest] = []
    where = getattr(items, "location", Location(str(path), 1, 1))
    if not isinstance(items, list):
        return [], [UserError("unit_tests must be a list of tests", location=where)]
    for i, item in enumerate(items):
        at = items.item_locations[i] if isinstance(items, LocatedList) else where
        try:
            spec = validate_model(UnitTestSpec, item, path)
        except CompileErrors as exc:
            errors.extend(exc.errors)
            continue
        except UserError as exc:
            errors.append(exc)
            continue
        model = spec.model or default_model
        if model is None:
            errors.append(UserError(f"unit test '{spec.name}' does not say which model it tests", location=at,
                                    hint="add model: <layer>.<name>"))
            continue
        tests.append(UnitTest(spec, model, at, item, root))
    return tests, errors


def discover(project: Any) -> list[UnitTest]:
    """Every unit test of ``project``: ``tests/**/*.yml`` files, then the contracts' ``unit_tests:``.

    Raises:
        CompileErrors: located problems in any unit test (all at once), an unknown model, a duplicate name.
    """
    root: Path = project.root
    tests: list[UnitTest] = []
    errors: list[UserError] = []
    folder = root / "tests"
    files = sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")]) if folder.is_dir() else []
    for file in files:
        rel = file.relative_to(root)
        try:
            data = load_yaml(rel, file.read_text(encoding="utf-8"))
        except UserError as exc:
            errors.append(exc)
            continue
        if not isinstance(data, LocatedDict) or "unit_tests" not in data:
            continue  # not a unit test file (fixtures live here too)
        unknown = [k for k in data if k != "unit_tests"]
        if unknown:
            errors.append(UserError(f"unknown key '{unknown[0]}'", location=data.key_locations[unknown[0]],
                                    hint="a tests/*.yml file holds unit_tests: [...]"))
        found, problems = _parse(data["unit_tests"], rel, root, None)
        tests += found
        errors += problems
    bound = _contract_models(project)
    for contract in project.contracts.values():
        if not getattr(contract, "unit_tests", None) or contract.path is None:
            continue
        rel = Path(project.rel(contract.path)) if contract.path.is_absolute() else contract.path
        data = load_yaml(rel, (root / rel).read_text(encoding="utf-8"))
        found, problems = _parse(data["unit_tests"], rel, root, bound.get(contract.key))
        tests += found
        errors += problems
    seen: dict[str, UnitTest] = {}
    for test in tests:
        if test.model not in project.models:
            import difflib

            close = difflib.get_close_matches(test.model, list(project.models), n=1)
            errors.append(UserError(f"unit test '{test.name}': no model {test.model}", location=test.where("model"),
                                    hint=f"did you mean '{close[0]}'?" if close else None))
        elif test.id in seen:
            errors.append(UserError(f"unit test '{test.name}' of {test.model} is defined twice (also at "
                                    f"{seen[test.id].location})", location=test.location))
        seen.setdefault(test.id, test)
    CompileErrors.raise_if_any(errors)
    return tests


def _contract_models(project: Any) -> dict[str, str]:
    """Contract key → the model bound to it (by file name)."""
    out: dict[str, str] = {}
    for name, contract in project.bound_contracts().items():
        out.setdefault(contract.key, name)
    return out
