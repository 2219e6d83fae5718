"""One error root for sqlingest.

Every error sqlingest raises on purpose derives from :class:`SqlingestError`. User mistakes (configuration, SQL,
contracts, usage) are :class:`UserError` and carry a :class:`Location` so the CLI can print ``path:line:col: message``
with a hint, exit 2 and never show a traceback. Failures of a model or a check while running are
:class:`ExecutionError` (exit 1). :class:`TransientError` marks what a retry may fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where in a user's file something went wrong (1-based line and column; 0 = unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        out = self.path
        if self.line:
            out += f":{self.line}"
            if self.col:
                out += f":{self.col}"
        return out

    def relative_to(self, root: Path) -> Location:
        try:
            return Location(str(Path(self.path).resolve().relative_to(root.resolve())), self.line, self.col)
        except ValueError:
            return self


class SqlingestError(Exception):
    """Root of every error sqlingest raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.location = location

    def format(self) -> str:
        """The message as shown to a user: ``path:line:col: message`` and an indented hint."""
        head = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            head += f"\n  hint: {self.hint}"
        notes = getattr(self, "notes", None)
        if notes and not isinstance(self, CompileErrors):
            k = len(notes)
            head += "\n" + "\n".join(n.format() for n in notes) + \
                f"\n1 error found; {k} model{'s' if k != 1 else ''} not checked"
        return _redact(head)

    def __str__(self) -> str:
        return self.format()


class UserError(SqlingestError):
    """Something the user wrote or asked is wrong: configuration, SQL, contract, CLI usage (exit 2)."""

    exit_code = 2


class ConfigError(UserError):
    """``sqlingest.yml`` or a target, catalog or secret configuration is invalid."""


class ContractError(UserError):
    """A contract file is invalid."""


class ModelCompileError(UserError):
    """A model does not render, parse or validate."""


class UnsupportedCombination(UserError):
    """A catalog × format × materialization combination that cannot work, refused before running."""


class CompileErrors(UserError):
    """Several located user errors, reported together."""

    def __init__(self, errors: Sequence[UserError], *, notes: Sequence[UserError] = ()) -> None:
        self.errors = list(errors)
        #: what could not be checked because of the errors (a model depending on a broken one), shown after them
        self.notes = list(notes)
        n = len(self.errors)
        message = f"{n} error{'s' if n != 1 else ''} found"
        if self.notes:
            k = len(self.notes)
            message += f"; {k} model{'s' if k != 1 else ''} not checked"
        super().__init__(message)

    def format(self) -> str:
        return "\n".join(e.format() for e in [*self.errors, *self.notes]) + f"\n{self.message}"

    @classmethod
    def raise_if_any(cls, errors: Iterable[UserError], *, notes: Sequence[UserError] = ()) -> None:
        errors = list(errors)
        if len(errors) == 1:
            # one error keeps its own class (callers catch UnsupportedCombination, ContractError …); what it kept
            # from being checked is shown after it
            errors[0].notes = list(notes)  # type: ignore[attr-defined]
            raise errors[0]
        if errors:
            raise cls(errors, notes=notes)


class ExecutionError(SqlingestError):
    """A model failed while running on the engine (exit 1)."""


class ContractViolation(ExecutionError):
    """Data does not match its contract (schema mismatch in a strict layer); nothing was written."""


class CheckFailed(ExecutionError):
    """An error-level data quality check failed."""


class TransientError(ExecutionError):
    """A failure a retry may fix (commit conflict, service briefly unavailable)."""


class CatalogUnavailable(TransientError):
    """A catalog service did not answer."""


class MissingDependency(UserError):
    """An optional dependency for a plugin is not installed."""


# Secret values registered here are replaced by *** in every message sqlingest formats.
_SECRETS: set[str] = set()
_PLAIN: set[str] = set()


def register_secret(value: str) -> None:
    """Never show ``value`` again: it is redacted from error messages, logs and compiled files — and so are its
    base64, URL-encoded and JSON-escaped forms (as they appear in auth headers, URLs and JSON documents)."""
    if not value or len(value) < 3:
        return
    import base64
    import json
    import urllib.parse

    _SECRETS.add(value)
    _PLAIN.add(value)
    raw = value.encode("utf-8")
    for form in (base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("="),
                 urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value), json.dumps(value)[1:-1]):
        if len(form) >= 3:
            _SECRETS.add(form)


def secret_values() -> set[str]:
    """The secret values registered so far (as resolved, without their encoded forms)."""
    return set(_PLAIN)


def _redact(text: str) -> str:
    for value in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


redact = _redact
