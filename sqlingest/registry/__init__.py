"""Schema registry support: Avro compatibility checks with Confluent semantics and schema format converters.

The names below are imported from :mod:`sqlingest.registry.compat` when first used, so that importing a submodule
(the command line's :mod:`sqlingest.registry.cli`) does not load the checks."""

from __future__ import annotations

from typing import Any

__all__ = ["Incompatibility", "Mode", "SchemaParseError", "can_read", "check"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sqlingest.registry import compat

        return getattr(compat, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
