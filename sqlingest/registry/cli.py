"""``sqlingest contracts …`` and ``sqlingest registry serve``: the schema registry on the command line.

``contracts list | show | diff | compat | publish`` work on the project's file store (``contracts/.registry/``) or,
with ``--store-dsn`` (or ``SQLINGEST_REGISTRY_DSN``), on a shared PostgreSQL registry. ``compat`` needs no project:
it compares files (contract YAML or Avro ``.avsc``). Exit codes: 0 success/compatible, 1 incompatible, 2 invalid
input. :func:`add_subcommands` adds the parsers; :data:`COMMANDS` maps each top-level command to its function.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import ContractError, UserError
from sqlingest.registry.modes import Mode

if TYPE_CHECKING:  # the commands import the checks and the stores when they run (`compile` never loads them)
    from sqlingest.registry.compat import Incompatibility
    from sqlingest.registry.store import RegistryStore

__all__ = ["COMMANDS", "add_subcommands", "diff_contracts"]

DSN_ENV = "SQLINGEST_REGISTRY_DSN"
_AVRO_SUFFIXES = (".avsc", ".json")
_YAML_SUFFIXES = (".yml", ".yaml")
_HISTORY_LABEL = re.compile(r"history\[(\d+)\]")


# --------------------------------------------------------------------------------------------------------------
# Parsers
# --------------------------------------------------------------------------------------------------------------


def add_subcommands(subparsers: Any) -> None:
    """Add ``contracts`` (list, show, diff, compat, publish) and ``registry`` (serve) to a sub-parser set.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers()`` returned (its ``dest`` holds the command name).
    """
    contracts = subparsers.add_parser("contracts", help="the schema registry: list, show, diff, check and publish "
                                                        "contract versions")
    actions = contracts.add_subparsers(dest="contracts_action", metavar="ACTION", required=True)

    p = actions.add_parser("list", help="subjects, their latest version and whether the project changed them")
    _store_args(p)

    p = actions.add_parser("show", help="print one registered version of a subject")
    _store_args(p)
    p.add_argument("subject", help="'<layer>:<domain>.<dataset>', e.g. silver:retail.orders")
    p.add_argument("--version", default="latest", help="version number or 'latest' (default)")
    p.add_argument("--format", choices=("yaml", "json", "avro"), default="yaml",
                   help="print the contract as YAML (default), JSON, or its Avro schema")

    p = actions.add_parser("diff", help="column-level differences between two versions of a subject")
    _store_args(p)
    p.add_argument("subject", help="'<layer>:<domain>.<dataset>'")
    p.add_argument("v1", help="older version: a number, 'latest' or 'local' (the project's contract file)")
    p.add_argument("v2", help="newer version: a number, 'latest' or 'local'")

    p = actions.add_parser("compat", help="check a schema file against older ones (contract YAML or Avro .avsc)")
    p.add_argument("--mode", default=None,
                   help=f"{', '.join(m.value for m in Mode)} (default: NEW's 'compatibility', else BACKWARD)")
    p.add_argument("files", nargs="+", metavar="FILE", help="OLD [OLD …] NEW: history oldest first, then the "
                                                             "candidate")

    p = actions.add_parser("publish", help="register every project contract as a new version when it changed; "
                                           "refuse incompatible ones")
    _store_args(p)
    p.add_argument("--dry-run", action="store_true", help="only check compatibility; register nothing")

    registry = subparsers.add_parser("registry", help="run the schema registry REST service")
    registry_actions = registry.add_subparsers(dest="registry_action", metavar="ACTION", required=True)
    p = registry_actions.add_parser("serve", help="serve the registry over HTTP with bearer-token auth")
    p.add_argument("--dsn", default=os.environ.get(DSN_ENV),
                   help=f"PostgreSQL DSN of the registry (default: ${DSN_ENV}; without one, the project's file "
                        "store is served)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8081, help="TCP port (default: 8081)")
    p.add_argument("--tokens", required=True, metavar="FILE", help="YAML file {token: [domains]} ('*' = all)")
    _project_arg(p)


def _project_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project-dir", default=os.environ.get("SQLINGEST_PROJECT_DIR", "."),
                        help="the project folder (default: the current one or the nearest parent with sqlingest.yml)")


def _store_args(parser: argparse.ArgumentParser) -> None:
    _project_arg(parser)
    parser.add_argument("--store-dsn", default=os.environ.get(DSN_ENV),
                        help=f"use the PostgreSQL registry at this DSN (default: ${DSN_ENV}, else the project's "
                             "contracts/.registry/ files)")


# --------------------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------------------


def cmd_contracts(args: argparse.Namespace, console: Any) -> int:
    """Dispatch ``sqlingest contracts ACTION``."""
    action = {"list": _list, "show": _show, "diff": _diff, "compat": _compat, "publish": _publish}
    return action[args.contracts_action](args, console)


def cmd_registry(args: argparse.Namespace, console: Any) -> int:
    """``sqlingest registry serve``: run the REST service until interrupted."""
    from sqlingest.registry.serve import serve

    if args.dsn is None:
        _out(console, f"serving the file store of {_project_root(args)} (no --dsn)")
    serve(args.dsn, args.host, args.port, args.tokens,
          project_dir=_project_root(args) if args.dsn is None else ".")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Any], int]] = {
    "contracts": cmd_contracts,
    "registry": cmd_registry,
}


def _list(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.registry.store import SubjectNotFound

    store = _store(args)
    local = _local_contracts(args, required=not args.store_dsn)
    subjects = sorted(set(store.subjects()) | set(local or {}))
    if not subjects:
        _out(console, "no subjects (publish with: sqlingest contracts publish)")
        return 0
    width = max(len(s) for s in subjects)
    _out(console, f"{'SUBJECT':<{width}}  {'LATEST':>6}  STATUS")
    for subject in subjects:
        try:
            latest = store.get(subject)
        except SubjectNotFound:
            latest = None
        if latest is None:
            status = "not published"
        elif local is None or subject not in local:
            status = "registry only"
        else:
            status = "up to date" if _same(latest.contract, local[subject]) else "changed locally"
        version = f"v{latest.version}" if latest else "-"
        _out(console, f"{subject:<{width}}  {version:>6}  {status}")
    return 0


def _show(args: argparse.Namespace, console: Any) -> int:
    import yaml

    from sqlingest.registry.store import contract_to_avro

    found = _store(args).get(args.subject, _version_number(args.version))
    _out(console, f"# {found.subject} v{found.version} · fingerprint {found.fingerprint[:12]} · {found.created_at}")
    if args.format == "json":
        _out(console, json.dumps(found.contract, indent=2, ensure_ascii=False))
    elif args.format == "avro":
        _out(console, json.dumps(contract_to_avro(found.contract), indent=2, ensure_ascii=False))
    else:
        _out(console, yaml.safe_dump(found.contract, sort_keys=False, allow_unicode=True).rstrip())
    return 0


def _diff(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.registry.store import parse_subject

    parse_subject(args.subject)
    old_label, old = _resolve_version(args, args.v1)
    new_label, new = _resolve_version(args, args.v2)
    _out(console, f"{args.subject}: {old_label} → {new_label}")
    lines = diff_contracts(old, new)
    for line in lines or ["  no column changes"]:
        _out(console, line)
    return 0


def _compat(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.registry.compat import SchemaParseError, check
    from sqlingest.registry.store import contract_to_avro, parse_mode

    if len(args.files) < 2:
        raise UserError("compat needs at least two files: OLD [OLD …] NEW",
                        hint="e.g. sqlingest contracts compat v1.avsc v2.avsc")
    paths = [Path(f) for f in args.files]
    loaded = [_load_schema_file(p) for p in paths]
    avro_name = next((schema["name"] for kind, schema, _ in [loaded[-1], *loaded[:-1]]
                      if kind == "avro" and isinstance(schema, dict) and schema.get("type") == "record"
                      and isinstance(schema.get("name"), str)), None)
    schemas = [contract_to_avro(data, name=avro_name.rpartition(".")[2]) if kind == "contract" and avro_name
               else schema for kind, schema, data in loaded]
    new_kind, _, new_data = loaded[-1]
    if args.mode is not None:
        mode = parse_mode(args.mode)
    elif new_kind == "contract":
        mode = parse_mode(new_data["compatibility"])
    else:
        mode = Mode.BACKWARD
    try:
        found = check(schemas[-1], schemas[:-1], mode)
    except SchemaParseError as exc:
        raise UserError(f"cannot compare the schemas: {exc.message}") from None
    olds = [p.name for p in paths[:-1]]
    _out(console, f"{paths[-1].name} against {', '.join(olds)} ({mode.value})")
    for incompatibility in found:
        message = _HISTORY_LABEL.sub(lambda m: olds[int(m[1])], incompatibility.message)
        _out(console, f"  {incompatibility.path or '<root>'}: {message} [{incompatibility.rule}]")
    if found:
        n = len(found)
        _out(console, f"not compatible: {n} incompatibilit{'y' if n == 1 else 'ies'}")
        return 1
    _out(console, "compatible")
    return 0


def _publish(args: argparse.Namespace, console: Any) -> int:
    from sqlingest.registry.store import IncompatibleSchemaChange, parse_mode

    local = _local_contracts(args, required=True) or {}
    store = _store(args)
    refused = invalid = 0
    for subject, contract in sorted(local.items()):
        try:
            if args.dry_run:
                found = store.check_compatibility(subject, contract)
                if found:
                    raise IncompatibleSchemaChange(subject, parse_mode(contract.get("compatibility", "BACKWARD")),
                                                   found)
                _out(console, f"{subject}: compatible")
                continue
            version, created = store.publish_with_status(subject, contract)
        except IncompatibleSchemaChange as exc:
            refused += 1
            _out(console, f"{subject}: REFUSED, not {exc.mode.value} compatible")
            for incompatibility in exc.incompatibilities:
                _out(console, f"  {_describe(incompatibility)}")
            continue
        except ContractError as exc:
            invalid += 1
            _out(console, f"{subject}: INVALID, {exc.message}")
            continue
        _out(console, f"{subject}: v{version.version} {'registered' if created else 'unchanged'}")
    if invalid or refused:
        _out(console, f"{refused} incompatible, {invalid} invalid contract(s); nothing registered for them")
    return 2 if invalid else 1 if refused else 0


# --------------------------------------------------------------------------------------------------------------
# Column-level diff
# --------------------------------------------------------------------------------------------------------------


def diff_contracts(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Readable, column-level differences between two contract dicts.

    Lines start with ``+`` (column added), ``-`` (removed) or ``~`` (renamed through ``previous_names``, type,
    nullability, default or deprecation changed, or the compatibility mode changed), in the new column order.

    Args:
        old: The older contract.
        new: The newer contract.

    Returns:
        One line per change (empty when the columns are the same).
    """
    lines: list[str] = []
    old_mode, new_mode = old.get("compatibility", "BACKWARD"), new.get("compatibility", "BACKWARD")
    if old_mode != new_mode:
        lines.append(f"  ~ compatibility: {old_mode} → {new_mode}")
    old_cols = {c["name"]: c for c in old.get("columns", [])}
    new_names = {c["name"] for c in new.get("columns", [])}
    renamed_from: set[str] = set()
    for column in new.get("columns", []):
        name = column["name"]
        before = old_cols.get(name)
        if before is None:
            previous = next((p for p in column.get("previous_names", []) if p in old_cols and p not in new_names),
                            None)
            if previous is None:
                lines.append(f"  + {name}: {_column_summary(column)}")
                continue
            renamed_from.add(previous)
            before = old_cols[previous]
            lines.append(f"  ~ {name}: renamed from {previous}")
        lines += [f"  ~ {name}: {change}" for change in _column_changes(before, column)]
    for name, column in old_cols.items():
        if name not in new_names and name not in renamed_from:
            lines.append(f"  - {name}: {_column_summary(column)}")
    return lines


def _column_summary(column: dict[str, Any]) -> str:
    text = str(column["type"]) + ("" if column.get("nullable", True) else " NOT NULL")
    if column.get("default") is not None:
        text += f" default {json.dumps(column['default'])}"
    return text


def _column_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    if old["type"] != new["type"]:
        changes.append(f"type {old['type']} → {new['type']}")
    was, now = old.get("nullable", True), new.get("nullable", True)
    if was != now:
        changes.append(f"nullability {'nullable' if was else 'NOT NULL'} → {'nullable' if now else 'NOT NULL'}")
    if old.get("default") != new.get("default"):
        changes.append(f"default {json.dumps(old.get('default'))} → {json.dumps(new.get('default'))}")
    if not old.get("deprecated", False) and new.get("deprecated", False):
        sunset = f" (sunset {new['sunset']})" if new.get("sunset") else ""
        changes.append(f"deprecated{sunset}")
    return changes


# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------


def _out(console: Any, text: str) -> None:
    """Print command output verbatim (no Rich markup: messages contain ``[rule-ids]``)."""
    if console is None:
        print(text)
    else:
        console.print(text, markup=False, highlight=False)


def _describe(incompatibility: Incompatibility) -> str:
    return f"{incompatibility.path or '<root>'}: {incompatibility.message} [{incompatibility.rule}]"


def _project_root(args: argparse.Namespace) -> Path:
    from sqlingest.project import find_root

    return find_root(Path(args.project_dir))


def _store(args: argparse.Namespace) -> RegistryStore:
    from sqlingest.registry.serve import open_store

    if args.store_dsn:
        return open_store(args.store_dsn)
    return open_store(None, _project_root(args))


def _local_contracts(args: argparse.Namespace, *, required: bool) -> dict[str, dict[str, Any]] | None:
    """The project's contracts as dicts keyed by subject; ``None`` when there is no project and none is required."""
    from sqlingest.project import load_contracts

    try:
        root = _project_root(args)
    except UserError:
        if required:
            raise
        return None
    return {key: c.model_dump(mode="json", exclude_none=True) for key, c in load_contracts(root).items()}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    from sqlingest.registry.store import same_contract

    return same_contract(a, b)


def _version_number(text: str) -> int | None:
    if text == "latest":
        return None
    if not text.isdigit() or int(text) < 1:
        raise UserError(f"invalid version {text!r}", hint="a version is a positive number or 'latest'")
    return int(text)


def _resolve_version(args: argparse.Namespace, spec: str) -> tuple[str, dict[str, Any]]:
    if spec == "local":
        local = _local_contracts(args, required=True) or {}
        if args.subject not in local:
            raise UserError(f"the project has no contract {args.subject}")
        return "local", local[args.subject]
    found = _store(args).get(args.subject, _version_number(spec))
    return f"v{found.version}", found.contract


def _load_schema_file(path: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``(kind, avro schema, contract dict or {})`` of a contract YAML or Avro file.

    Raises:
        UserError: Missing file, unknown extension, invalid YAML/JSON, invalid contract or Avro schema.
    """
    from sqlingest.project.contract import Contract
    from sqlingest.project.yaml_loader import load_yaml, validate_model
    from sqlingest.registry.compat import SchemaParseError, parse_avro
    from sqlingest.registry.store import contract_to_avro, parse_mode

    if not path.is_file():
        raise UserError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in _AVRO_SUFFIXES:
        try:
            from sqlingest.project.files import read_text

            schema = json.loads(read_text(path))
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
        try:
            parse_avro(schema)
        except SchemaParseError as exc:
            raise UserError(f"{path}: invalid Avro schema: {exc.message}") from None
        return "avro", schema, {}
    if suffix in _YAML_SUFFIXES:
        data = load_yaml(path)
        if not isinstance(data, dict):
            raise ContractError(f"{path}: a contract file must be a YAML mapping")
        contract = validate_model(Contract, data, path).model_dump(mode="json", exclude_none=True)
        parse_mode(contract.get("compatibility", "BACKWARD"))
        return "contract", contract_to_avro(contract), contract
    raise UserError(f"{path}: unknown schema file type", hint="use a contract .yml/.yaml or an Avro .avsc file")
