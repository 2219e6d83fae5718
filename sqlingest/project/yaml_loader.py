"""YAML loading that remembers where every key and item came from, so errors point at ``file:line:col``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sqlingest.errors import CompileErrors, Location, UserError


class LocatedDict(dict):  # type: ignore[type-arg]
    """A mapping that knows the location of itself and of each of its keys."""

    location: Location
    key_locations: dict[str, Location]


class LocatedList(list):  # type: ignore[type-arg]
    """A sequence that knows the location of itself and of each of its items."""

    location: Location
    item_locations: list[Location]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml when built in
    path = "<string>"


def _loc(node: yaml.Node, path: str) -> Location:
    return Location(path, node.start_mark.line + 1, node.start_mark.column + 1)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    out = LocatedDict()
    out.location = _loc(node, loader.path)
    out.key_locations = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise UserError(f"duplicate key '{key}'", location=_loc(key_node, loader.path))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_locations[str(key)] = _loc(key_node, loader.path)
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    out = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    out.location = _loc(node, loader.path)
    out.item_locations = [_loc(child, loader.path) for child in node.value]
    return out


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """A YAML date or timestamp; one that does not exist (``2024-02-30``) is a located error, not a traceback."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(None, None, f"invalid date '{node.value}' ({exc})",
                                                node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, text: str | None = None) -> Any:
    """Parse a YAML file into located dicts and lists.

    Raises:
        UserError: the file is not valid YAML (with the line and column of the problem).
    """
    if text is None:
        from sqlingest.project.files import read_text

        text = read_text(path)
    loader = _Loader(text)
    loader.path = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        loc = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        lines = text.split("\n")
        line = lines[mark.line] if mark and 0 <= mark.line < len(lines) else ""
        tabs = "'\\t'" in str(exc.problem) or (mark is not None and "\t" in line[: mark.column + 1])
        raise UserError(f"invalid YAML: {exc.problem}", location=loc,
                        hint="YAML indents with spaces, never tabs" if tabs else None) from None
    finally:
        loader.dispose()


def locate(data: Any, loc: Iterable[Any], default: Location) -> Location:
    """The location of the value at pydantic error path ``loc`` inside located ``data``."""
    best = getattr(data, "location", default)
    node = data
    for part in loc:
        if isinstance(node, LocatedDict) and isinstance(part, str) and part in node:
            best = node.key_locations.get(part, best)
            node = node[part]
        elif isinstance(node, LocatedList) and isinstance(part, int) and 0 <= part < len(node):
            best = node.item_locations[part]
            node = node[part]
        else:
            break
    return best


M = TypeVar("M", bound=BaseModel)


def validate_model(model: type[M], data: Any, path: Path, **context: Any) -> M:
    """Validate located YAML ``data`` into ``model``; every problem becomes a located :class:`UserError`.

    Unknown keys get a "did you mean" hint drawn from the model's field names.
    """
    default = Location(str(path), 1, 1)
    try:
        return model.model_validate(data, context=context or None)
    except ValidationError as exc:
        errors: list[UserError] = []
        hook = getattr(model, "located_error", None)
        for err in exc.errors():
            loc = tuple(err["loc"])
            own = hook(err, data) if hook is not None else None
            if own is not None:  # the model words this error itself (e.g. a contract's check entries)
                loc, message, hint = own
                if message is not None:
                    errors.append(UserError(message, location=locate(data, loc, default), hint=hint))
                    continue
                err = {**err, "loc": loc}
            where = locate(data, loc, default)
            dotted = ".".join(str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-")))
            if err["type"] == "extra_forbidden":
                key = str(loc[-1])
                allowed = _fields_at(model, loc[:-1])
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else (
                    f"allowed keys: {', '.join(sorted(allowed))}" if allowed else None)
                errors.append(UserError(f"unknown key '{key}'", location=where, hint=hint))
            elif err["type"] == "contract":  # a located cross-field rule of the model: the message says it all
                errors.append(UserError(err["msg"], location=where))
            else:
                msg = err["msg"].removeprefix("Value error, ")
                errors.append(UserError(f"{dotted}: {msg}" if dotted else msg, location=where,
                                        hint=_literal_hint(err)))
        CompileErrors.raise_if_any(errors)
        raise  # pragma: no cover - pydantic always reports at least one error


def _literal_hint(err: Any) -> str | None:
    """``did you mean 'warn'?`` for a value that is not one of a ``Literal``'s choices."""
    if err["type"] != "literal_error" or not isinstance(err.get("input"), str):
        return None
    import re

    choices = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
    close = difflib.get_close_matches(err["input"], choices, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else None


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names (and aliases) of the sub-model found at ``loc`` from ``model``; empty when unknown."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            # discriminated union tags or dict keys: look for any model with such a field
            continue
        current = _inner_model(fields[part].annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", {})
    return [f.alias or name for name, f in fields.items()]


def _inner_model(annotation: Any) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
