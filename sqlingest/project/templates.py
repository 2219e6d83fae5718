"""``{{ env_var(…) }}`` and ``{{ var(…) }}`` in a source contract's ``source:`` section (a landing folder, a host,
a topic differs per environment), rendered at load time with the same semantics as in models and ``sqlingest.yml``.

``secret()`` is not available here on purpose: a contract is published to the registry as loaded, so a secret's
value must never become part of it (sources name their secrets with ``*_secret`` keys instead).
"""

from __future__ import annotations

from typing import Any

import jinja2

from sqlingest.errors import ContractError, Location, UserError
from sqlingest.project.yaml_loader import LocatedDict, LocatedList


class _Keep(Exception):
    """``var()`` of an undefined variable outside a project load: the value keeps its template text."""


def render_source_templates(data: Any, variables: dict[str, Any] | None) -> None:
    """Render every templated string under ``data['source']`` in place (locations are kept).

    Args:
        variables: the project's vars (``sqlingest.yml`` ``vars:``, the target's, ``--vars``); ``None`` when the
            contracts are loaded without a project configuration (registry commands): an undefined ``var()``
            then leaves its value as written.

    Raises:
        UserError: a template does not parse or names an undefined variable (at the value's key).
    """
    if isinstance(data, LocatedDict) and isinstance(data.get("source"), LocatedDict):
        _walk(data["source"], variables)


def _walk(node: Any, variables: dict[str, Any] | None) -> None:
    if isinstance(node, LocatedDict):
        for key in list(node):
            value = node[key]
            if isinstance(value, str) and ("{{" in value or "{%" in value):
                node[key] = render_value(value, variables, node.key_locations.get(str(key), node.location))
            else:
                _walk(value, variables)
    elif isinstance(node, LocatedList):
        for i, value in enumerate(node):
            if isinstance(value, str) and ("{{" in value or "{%" in value):
                node[i] = render_value(value, variables, node.item_locations[i])
            else:
                _walk(value, variables)


def render_value(text: str, variables: dict[str, Any] | None, where: Location) -> str:
    """One templated value rendered with ``env_var`` and ``var``."""
    from sqlingest.project import env_var

    def var(name: str, default: Any = None) -> Any:
        if variables is not None and name in variables:
            return variables[name]
        if default is not None:
            return default
        if variables is None:
            raise _Keep
        raise ContractError(f"var('{name}') is not defined", location=where,
                            hint=f"define it under vars: in sqlingest.yml or pass --vars '{{{name}: …}}'")

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals.update(env_var=env_var, var=var)
    try:
        return env.from_string(text).render()
    except _Keep:
        return text
    except jinja2.TemplateSyntaxError as exc:
        raise ContractError(f"template error: {exc.message or 'invalid template'}", location=where) from None
    except jinja2.UndefinedError as exc:
        raise ContractError(f"template error: {exc}", location=where,
                            hint="source values may use env_var('NAME', 'default') and var('name')") from None
    except UserError as exc:
        if exc.location is None:
            exc.location = where
        raise
