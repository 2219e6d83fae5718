"""Stage 1 — load a project: ``sqlingest.yml`` (rendered for ``env_var``/``secret``), contracts, models, macros."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from sqlingest.errors import CompileErrors, ConfigError, ContractError, Location, UserError
from sqlingest.project.config import LAYERS, ProjectConfig, TargetConfig
from sqlingest.project.contract import Contract
from sqlingest.project.domains import Domains, load_domains
from sqlingest.project.files import read_text
from sqlingest.project.yaml_loader import LocatedDict, LocatedList, load_yaml, validate_model
from sqlingest.secrets import Secrets

PROJECT_FILE = "sqlingest.yml"


@dataclass
class ModelFile:
    """A model's SQL file before rendering. ``name`` is ``<layer>.<file stem>``."""

    name: str
    layer: str
    stem: str
    path: Path
    text: str


@dataclass
class Project:
    root: Path
    config: ProjectConfig
    target_name: str
    target: TargetConfig
    contracts: dict[str, Contract]
    models: dict[str, ModelFile]
    macro_paths: list[Path]
    secrets: Secrets
    vars: dict[str, Any] = field(default_factory=dict)
    #: contract and model-file problems found while loading with ``tolerant=True`` (the compiler reports them
    #: together with every model error instead of stopping at them)
    load_errors: list[UserError] = field(default_factory=list)
    #: the declared domains (docs/domains.md)
    domains: Domains = field(default_factory=Domains)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def state_dir(self) -> Path:
        path = Path(self.config.state_dir)
        return path if path.is_absolute() else self.root / path

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def source(self, domain: str, name: str) -> Contract | None:
        return self.contracts.get(f"source:{domain}.{name}")

    def contract_for(self, model: ModelFile, explicit: str | None = None) -> Contract | None:
        """The contract a model is bound to: ``config(contract='domain.dataset')`` or the one contract of the
        model's layer whose dataset is the model's file stem.

        Raises:
            UserError: the binding is ambiguous or the named contract does not exist.
        """
        if explicit:
            found = self.contracts.get(f"{model.layer}:{explicit}")
            if found is None:
                raise UserError(f"contract '{explicit}' (layer {model.layer}) not found",
                                location=Location(self.rel(model.path), 1, 1))
            return found
        matches = [c for c in self.contracts.values() if c.layer == model.layer and c.dataset == model.stem]
        if len(matches) > 1:
            names = ", ".join(sorted(c.name for c in matches))
            raise UserError(f"model {model.name} matches several contracts: {names}",
                            location=Location(self.rel(model.path), 1, 1),
                            hint="pick one with {{ config(contract='domain.dataset') }}")
        return matches[0] if matches else None

    def bound_contracts(self) -> dict[str, Contract]:
        """Model name → its contract by file name, without rendering (the bindings a build uses; models without
        one, and ambiguous ones, are left out)."""
        out: dict[str, Contract] = {}
        for name, model in self.models.items():
            try:
                contract = self.contract_for(model)
            except UserError:
                continue
            if contract is not None:
                out[name] = contract
        return out


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``sqlingest.yml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise UserError(f"no {PROJECT_FILE} found in {start} or its parents",
                    hint="run inside a project, pass --project-dir, or create one with `sqlingest init DIR`")


def _render_yaml_text(path: Path, text: str, secrets: Secrets) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.globals.update(env_var=env_var, secret=secrets.get, project_dir=str(path.parent.resolve()))
    try:
        return env.from_string(text).render()
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(exc.message or "template error", location=Location(str(path), exc.lineno)) from None
    except jinja2.UndefinedError as exc:
        raise ConfigError(str(exc), location=Location(str(path), _template_line(exc))) from None
    except UserError as exc:  # env_var()/secret() raised
        raise ConfigError(exc.message, hint=exc.hint, location=exc.location or Location(str(path), _template_line(exc))) \
            from None


def _template_line(exc: BaseException) -> int:
    """The line of the template (compiled from a string) where ``exc`` was raised; 0 when unknown."""
    import traceback

    line = 0
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == "<template>":
            line = lineno
    return line


def env_var(name: str, default: Any = None) -> Any:
    """``{{ env_var('X', 'default') }}``: an environment variable, or the default, or an error."""
    value = os.environ.get(name)
    if value is not None:
        return value
    if default is not None:
        return default
    raise ConfigError(f"environment variable '{name}' is not set and has no default",
                      hint=f"export {name}=… or write env_var('{name}', 'default')")


def load_project(project_dir: Path | str = ".", *, target: str | None = None,
                 cli_vars: dict[str, Any] | None = None, tolerant: bool = False) -> Project:
    """Load everything a compile needs; no JVM.

    Args:
        tolerant: keep contract and model-file problems in ``Project.load_errors`` and load the rest, so that the
            compiler reports them with every other error at once.

    Raises:
        UserError: any configuration problem, and (unless ``tolerant``) any contract problem (all at once).
    """
    root = find_root(Path(project_dir))
    cfg_path = root / PROJECT_FILE
    raw_text = read_text(cfg_path, PROJECT_FILE, error=ConfigError)
    try:
        raw = yaml.safe_load(raw_text) or {}
    except yaml.YAMLError:
        raw = {}
    secrets = Secrets.from_config(root, raw.get("secrets") or [] if isinstance(raw, dict) else [])
    data = load_yaml(Path(PROJECT_FILE), _render_yaml_text(cfg_path, raw_text, secrets))
    if data is None:
        raise ConfigError("sqlingest.yml is empty", location=Location(str(cfg_path), 1, 1),
                          hint="it needs at least `name: <project>`; `sqlingest init DIR` writes a starting one")
    if not isinstance(data, dict):
        raise ConfigError("sqlingest.yml must be a mapping", location=Location(str(cfg_path), 1, 1),
                          hint="e.g. `name: <project>` and `targets:`; `sqlingest init DIR` writes a starting one")
    config = validate_model(ProjectConfig, data, Path(PROJECT_FILE))
    target_name = target or os.environ.get("SQLINGEST_TARGET") or config.default_target
    if target_name not in config.targets:
        raise ConfigError(f"unknown target '{target_name}'", location=Location(str(cfg_path), 1, 1),
                          hint=f"targets: {', '.join(sorted(config.targets))}")
    tgt = config.targets[target_name]
    variables = {**config.vars, **tgt.vars, **(cli_vars or {})}
    load_errors: list[UserError] = []
    domains = load_domains(root, config.domains, data.get("domains"),
                           render=lambda path, text: _render_yaml_text(path, text, secrets))
    contracts = load_contracts(root, variables=variables, errors=load_errors if tolerant else None)
    domain_errors = domains.apply(contracts.values(), config.name)
    if tolerant:
        load_errors.extend(domain_errors)
    else:
        CompileErrors.raise_if_any(domain_errors)
    models = discover_models(root)
    macros = sorted((root / "macros").rglob("*.sql")) if (root / "macros").is_dir() else []
    return Project(root, config, target_name, tgt, contracts, models, macros, secrets, variables, load_errors,
                   domains)


def load_contracts(root: Path, *, variables: dict[str, Any] | None = None, semantics: bool = True,
                   errors: list[UserError] | None = None) -> dict[str, Contract]:
    """Every contract under ``contracts/`` keyed by ``layer:domain.dataset``.

    ``{{ env_var(…) }}`` and ``{{ var(…) }}`` in the values of a ``source:`` section are rendered with
    ``variables`` (``None``: outside a project load, so an undefined ``var()`` keeps its text). With ``semantics``
    every check is also validated against its contract and the project (:mod:`sqlingest.validate.contracts`).

    Args:
        errors: collect the problems here and return the valid contracts (else raise them all at once).

    Raises:
        UserError: every problem of every contract at once (located at its YAML entry), unless ``errors`` is given.
    """
    from sqlingest.project.templates import render_source_templates

    folder = root / "contracts"
    out: dict[str, Contract] = {}
    collect = errors is not None
    errors = errors if errors is not None else []
    broken: set[str] = set()  # layer:name of files that did not load (references to them are not reported again)
    if not folder.is_dir():
        return out
    for path in sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")]):
        rel = path.relative_to(root)
        data: Any = None
        try:
            data = load_yaml(rel, read_text(path, rel))
            if not isinstance(data, dict):
                raise UserError("a contract file must be a YAML mapping", location=Location(str(rel), 1, 1))
            render_source_templates(data, variables)
            contract = validate_model(Contract, data, rel, collect_problems=True)
        except UserError as exc:
            errors.extend(exc.errors if isinstance(exc, CompileErrors) else [exc])
            broken.add(f"{data.get('layer')}:{data.get('name')}" if isinstance(data, dict) else "")
            # the other checks of the file are still validated: all its independent problems at once
            salvaged = _without_invalid_checks(data, rel)
            if salvaged is None:
                continue
            contract, data = salvaged
            errors.extend(_cross_field_problems(contract, data, rel))
            _locate(contract, data, rel)
            if semantics:
                from sqlingest.validate.contracts import check_contract_file

                errors.extend(check_contract_file(contract, {}, references=False))
            continue
        problems = _cross_field_problems(contract, data, rel)
        errors.extend(problems)
        _locate(contract, data, rel)
        if problems and collect:  # an inconsistent contract is not handed to the compiler (as before)
            broken.add(contract.key)
            from sqlingest.validate.contracts import check_contract_file

            errors.extend(check_contract_file(contract, {}, references=False) if semantics else [])
            continue
        if contract.key in out:
            errors.append(UserError(f"contract {contract.layer} {contract.name} is declared twice "
                                    f"(also in {out[contract.key].path})", location=Location(str(rel), 1, 1)))
            continue
        out[contract.key] = contract
    if semantics:
        from sqlingest.validate.contracts import check_contract_file

        for contract in out.values():
            errors.extend(check_contract_file(contract, out, unloaded=broken))
    if not collect:
        CompileErrors.raise_if_any(errors)
    return out


def _locate(contract: Contract, data: Any, rel: Path) -> None:
    """Set the YAML locations of the contract, its columns and checks, and keep its located source section."""
    contract.path = rel
    contract.location = Location(str(rel), 1, 1)
    contract._data = data
    raw_columns = data.get("columns")
    for i, (col, loc) in enumerate(zip(contract.columns, getattr(raw_columns, "item_locations", []))):
        col.location = Location(str(rel), loc.line, loc.col)
        raw = raw_columns[i]
        _locate_checks(col.checks, raw.get("checks") if isinstance(raw, dict) else None)
    _locate_checks(contract.checks, data.get("checks"))
    if contract.source is not None:
        contract.source._raw = data.get("source")


def _cross_field_problems(contract: Contract, data: Any, rel: Path) -> list[UserError]:
    """The contract's cross-field problems (undeclared key columns…), each at its YAML entry."""
    from sqlingest.project.yaml_loader import locate

    default = Location(str(rel), 1, 1)
    return [ContractError(message, location=locate(data, loc, default)) for loc, message in contract._problems]


def _without_invalid_checks(data: Any, rel: Path) -> tuple[Contract, Any] | None:
    """When only check entries are invalid: the contract without them (to validate everything else), else None."""
    import copy

    from pydantic import ValidationError

    try:
        Contract.model_validate(data, context={"collect_problems": True})
        return None
    except ValidationError as exc:
        locs = [tuple(e["loc"]) for e in exc.errors()]
    bad: dict[Any, set[int]] = {}
    for loc in locs:
        if len(loc) >= 4 and loc[0] == "columns" and loc[2] == "checks" and isinstance(loc[3], int):
            bad.setdefault(("columns", loc[1]), set()).add(loc[3])
        elif len(loc) >= 2 and loc[0] == "checks" and isinstance(loc[1], int):
            bad.setdefault(("checks",), set()).add(loc[1])
        else:
            return None
    pruned = copy.deepcopy(data)
    for where, indexes in bad.items():
        node = pruned["columns"][where[1]]["checks"] if where[0] == "columns" else pruned["checks"]
        for i in sorted(indexes, reverse=True):
            del node[i]
            del node.item_locations[i]
    try:
        return Contract.model_validate(pruned, context={"collect_problems": True}), pruned
    except ValidationError:
        return None


_IMPLIED = {"accepted_values": "values", "regex": "pattern", "expression": "expression", "relationships": "to",
            "sodacl": "sodacl"}


def _add_locations(params: dict[str, Location], mapping: LocatedDict) -> None:
    """Each key's location, and each list item's as ``key.index`` (``columns.1``, ``values.0``)."""
    params.update(mapping.key_locations)
    for key, value in mapping.items():
        if isinstance(value, LocatedList):
            params.update({f"{key}.{i}": at for i, at in enumerate(value.item_locations)})


def _locate_checks(checks: list[Any], raw: Any) -> None:
    """Give each check the location of its YAML entry and of each parameter written in it."""
    if not isinstance(raw, LocatedList):
        return
    for check, item, loc in zip(checks, raw, raw.item_locations):
        check.location = loc
        params: dict[str, Location] = {}
        if isinstance(item, LocatedDict):
            _add_locations(params, item)
            if "type" not in item and item:
                kind = next(iter(item))
                params["type"] = item.key_locations[kind]
                del params[kind]
                inner = item[kind]
                if isinstance(inner, LocatedDict):
                    _add_locations(params, inner)
                elif inner is not None and kind in _IMPLIED:
                    params[_IMPLIED[kind]] = item.key_locations[kind]
                    if isinstance(inner, LocatedList):
                        params.update({f"{_IMPLIED[kind]}.{i}": at for i, at in enumerate(inner.item_locations)})
        check.param_locations = params


def discover_models(root: Path) -> dict[str, ModelFile]:
    """``models/<layer>/**/*.sql`` keyed by ``<layer>.<stem>``."""
    out: dict[str, ModelFile] = {}
    errors: list[UserError] = []
    folder = root / "models"
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*.sql")):
        rel = path.relative_to(root)
        layer = rel.parts[1] if len(rel.parts) > 2 else None
        if layer not in LAYERS:
            errors.append(UserError(f"model outside a layer folder ({', '.join(LAYERS)})",
                                    location=Location(str(rel), 1, 1),
                                    hint="move it to models/bronze, models/silver or models/gold"))
            continue
        name = f"{layer}.{path.stem}"
        if name in out:
            errors.append(UserError(f"model {name} is defined twice (also {out[name].path})",
                                    location=Location(str(rel), 1, 1)))
            continue
        try:
            text = read_text(path, rel)
        except UserError as exc:
            errors.append(exc)
            continue
        out[name] = ModelFile(name, layer, path.stem, rel, text)
    CompileErrors.raise_if_any(errors)
    return out
