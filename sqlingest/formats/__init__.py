"""Table formats: one :class:`~sqlingest.formats.base.TableFormat` subclass per format, one module each
(:mod:`~sqlingest.formats.iceberg`, :mod:`~sqlingest.formats.delta`, :mod:`~sqlingest.formats.parquet`), registered
in :data:`FORMATS`. Others load through the ``sqlingest.formats`` entry point group or a dotted path
(``format: my_pkg.hudi.Hudi``); see docs/catalogs.md, "Adding a table format"."""

from __future__ import annotations

from sqlingest.errors import UserError
from sqlingest.formats.base import Capabilities, TableFormat
from sqlingest.plugins import PluginRegistry

__all__ = ["FORMATS", "Capabilities", "TableFormat", "check_format_name", "get_format"]

FORMATS: PluginRegistry[type[TableFormat]] = PluginRegistry("formats", {
    "iceberg": "sqlingest.formats.iceberg:Iceberg",
    "delta": "sqlingest.formats.delta:Delta",
    "parquet": "sqlingest.formats.parquet:Parquet",
})

_INSTANCES: dict[str, TableFormat] = {}


def check_format_name(name: str) -> str:
    """``name`` when it names a format (a built-in, an entry point or a dotted path), for config validation.

    Raises:
        ValueError: an unknown name (pydantic reports it where the name was written).
    """
    if "." not in name and name not in FORMATS.names():
        raise ValueError(f"unknown table format '{name}' (one of: {', '.join(FORMATS.names())})")
    return name


def get_format(name: str) -> TableFormat:
    """The format called ``name`` (one instance per name).

    Raises:
        UserError: no such format, or the plugin is not a :class:`TableFormat`.
    """
    found = _INSTANCES.get(name)
    if found is not None:
        return found
    if "." not in name and name not in FORMATS.names():
        raise UserError(f"unknown table format '{name}'", hint=f"one of: {', '.join(FORMATS.names())}")
    cls = FORMATS.load(name)
    if not (isinstance(cls, type) and issubclass(cls, TableFormat)):
        raise UserError(f"table format '{name}' is not a sqlingest.formats.TableFormat subclass")
    _INSTANCES[name] = found = cls()
    return found
