"""The one plugin mechanism: every plug point (catalogs, formats, sources, checks, secret providers,
materializations) is a :class:`PluginRegistry`.

A name resolves, in order, to a built-in (a lazy ``module:attr`` string, so optional dependencies load only when
used), to a Python entry point in the group ``sqlingest.<kind>``, or to a dotted path ``package.module.Class``.
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from sqlingest.errors import MissingDependency, UserError

T = TypeVar("T")


class PluginRegistry(Generic[T]):
    """Name → implementation for one plug point."""

    def __init__(self, kind: str, builtins: dict[str, str], *, extras: dict[str, str] | None = None) -> None:
        self.kind = kind
        self.group = f"sqlingest.{kind}"
        self._builtins = dict(builtins)
        self._extras = extras or {}
        self._loaded: dict[str, Any] = {}

    def register(self, name: str, target: str | Any) -> None:
        """Add an implementation at run time (a ``module:attr`` string or the object itself)."""
        if isinstance(target, str):
            self._builtins[name] = target
        else:
            self._loaded[name] = target

    def unregister(self, name: str) -> None:
        """Remove an implementation added with :meth:`register` (built-ins and entry points stay)."""
        self._loaded.pop(name, None)

    def names(self) -> list[str]:
        found = set(self._builtins) | set(self._loaded)
        found |= {ep.name for ep in entry_points(group=self.group)}
        return sorted(found)

    def load(self, name: str) -> T:
        """The implementation called ``name``.

        Raises:
            UserError: no such plugin (with a "did you mean" hint).
            MissingDependency: the plugin needs an extra that is not installed.
        """
        if name in self._loaded:
            return self._loaded[name]  # type: ignore[no-any-return]
        target = self._builtins.get(name)
        if target is None:
            eps = [ep for ep in entry_points(group=self.group) if ep.name == name]
            if eps:
                obj = eps[0].load()
                self._loaded[name] = obj
                return obj  # type: ignore[no-any-return]
            if "." in name:
                dotted, _, attr = name.rpartition(".")
                target = f"{dotted}:{attr}"
            else:
                close = difflib.get_close_matches(name, self.names(), n=1)
                raise UserError(
                    f"unknown {self.kind} '{name}'",
                    hint=(f"did you mean '{close[0]}'? " if close else "")
                    + f"known: {', '.join(self.names())}; or give a dotted path package.module.Class",
                )
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            extra = self._extras.get(name)
            if extra:
                raise MissingDependency(
                    f"{self.kind} '{name}' needs the package '{exc.name}'",
                    hint=f"pip install 'sqlingest[{extra}]'",
                ) from None
            raise UserError(f"cannot import {self.kind} '{name}': {exc}") from None
        try:
            obj = getattr(module, attr)
        except AttributeError:
            raise UserError(f"{self.kind} '{name}': module '{module_name}' has no '{attr}'") from None
        self._loaded[name] = obj
        return obj  # type: ignore[no-any-return]
