"""Domains: owners, alert routes, the defaults every dataset of a domain inherits (and may tighten, never loosen),
its namespaces, access between domains and secret scoping.

A dataset belongs to the domain named by its contract name's prefix (``sales.orders`` → ``sales``), as before, or
to a domain whose ``datasets:`` globs match its name. Domains are declared in ``domains/<name>.yml`` or under
``domains:`` in ``sqlingest.yml``; a dataset whose prefix names no declared domain keeps the old behaviour (no
defaults, every dataset public).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import CompileErrors, ConfigError, ContractError, Location, UserError, register_secret
from sqlingest.project.config import CatalogConfig, DomainConfig, SloConfig
from sqlingest.project.files import read_text
from sqlingest.project.yaml_loader import LocatedDict, LocatedList, load_yaml, validate_model

if TYPE_CHECKING:
    from sqlingest.project.contract import Contract

DOMAINS_DIR = "domains"
#: the names ``evolution:`` accepts besides the registry's modes
EVOLUTION_ALIASES = {"additive": "BACKWARD_TRANSITIVE", "strict": "FULL_TRANSITIVE"}
_ACCESS_RANK = {"private": 0, "protected": 1, "public": 2}
#: catalog option names whose values are credentials
_SENSITIVE = re.compile(r"(?i)password|secret|token|credential")


def registry_mode(evolution: str) -> str:
    """The registry compatibility mode of an ``evolution:`` value (``additive``, ``strict`` or a mode)."""
    return EVOLUTION_ALIASES.get(evolution.lower(), evolution.upper())


def _guarantees(mode: str) -> set[str]:
    """What a compatibility mode promises: backward/forward, each against the latest or every version."""
    from sqlingest.registry.modes import Mode

    m = Mode(mode)
    out = set()
    if m.backward:
        out |= {"backward"} | ({"backward_all"} if m.transitive else set())
    if m.forward:
        out |= {"forward"} | ({"forward_all"} if m.transitive else set())
    return out


@dataclass
class Domain:
    name: str
    config: DomainConfig
    location: Location

    def slos_for(self, dataset: str) -> SloConfig:
        """The domain's SLOs, overridden field by field by the dataset's own."""
        base = self.config.slos.model_dump(exclude_none=True)
        own = self.config.dataset_slos.get(dataset)
        return SloConfig(**{**base, **(own.model_dump(exclude_none=True) if own else {})})


@dataclass
class Domains:
    """Every declared domain of a project."""

    domains: dict[str, Domain] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.domains

    def __iter__(self) -> Any:
        return iter(self.domains.values())

    def get(self, name: str) -> Domain | None:
        return self.domains.get(name)

    def of(self, contract_name: str) -> Domain | None:
        """The declared domain a contract (``domain.dataset``) belongs to, or None."""
        prefix = contract_name.split(".")[0]
        if prefix in self.domains:
            return self.domains[prefix]
        return next((d for d in self.domains.values()
                     if any(fnmatch.fnmatchcase(contract_name, g) for g in d.config.datasets)), None)

    def domain_name(self, contract: Contract | None) -> str | None:
        """The domain of a contract: the declared one, else its name prefix; None without a contract."""
        if contract is None:
            return None
        found = self.of(contract.name)
        return found.name if found else contract.domain

    def access_of(self, contract: Contract) -> str:
        """``public``, ``protected`` or ``private``; a dataset of no declared domain is public."""
        if contract.access:
            return contract.access
        found = self.of(contract.name)
        return found.config.defaults.access if found else "public"

    def members(self, name: str, models: Mapping[str, Contract | None]) -> set[str]:
        """The models (of ``models``: model name → its contract) that belong to domain ``name``.

        Raises:
            UserError: ``name`` is neither a declared domain nor the domain of any contract.
        """
        out = {m for m, c in models.items() if self.domain_name(c) == name}
        if not out and name not in self.domains:
            known = sorted(set(self.domains) | {d for c in models.values() if (d := self.domain_name(c))})
            raise UserError(f"--select 'domain:{name}': no domain '{name}'",
                            hint=f"domains: {', '.join(known)}" if known else "declare one in domains/<name>.yml")
        return out

    def catalog_configs(self, target: str, base: CatalogConfig) -> dict[str, CatalogConfig]:
        """Domain → its own catalog on ``target`` (the target's ``base`` catalog with the domain's options over
        it, named ``<base name>_<domain>`` unless it names itself), for the domains that declare one."""
        out = {}
        for domain in self.domains.values():
            own = domain.config.targets.get(target)
            if own is None or not own.catalog:
                continue
            for key, value in own.catalog.items():  # credentials never reach a console, log or file
                if _SENSITIVE.search(str(key)) and isinstance(value, str) and value:
                    register_secret(value)
            options = {**base.model_dump(), **own.catalog}
            options.setdefault("name", base.name)
            if "name" not in own.catalog:
                options["name"] = f"{base.name}_{domain.name}"
            out[domain.name] = CatalogConfig(**options)
        return out

    def secret_owner(self, secret: str) -> str | None:
        """The domain a secret is scoped to, or None (every model may read it)."""
        return next((d.name for d in self.domains.values() if secret in d.config.secrets), None)

    def check_ref(self, model_contract: Contract | None, target: Contract | None, target_model: str) -> str | None:
        """Why a model (bound to ``model_contract``) may not ``ref`` ``target_model`` (bound to ``target``),
        or None when it may."""
        if target is None:
            return None
        access = self.access_of(target)
        if access == "public":
            return None
        owner = self.domain_name(target)
        mine = self.domain_name(model_contract)
        if mine != owner:
            who = f"models of domain {mine}" if mine else "models outside a domain"
            return (f"ref('{target_model}'): {target.name} is {access} to domain {owner}; {who} may ref only its "
                    f"public datasets")
        if access == "private" and (model_contract is None or model_contract.dataset != target.dataset):
            return (f"ref('{target_model}'): {target.name} is private; only models of the dataset "
                    f"{target.dataset} in domain {owner} may ref it")
        return None

    def readers(self, parents: Mapping[str, Iterable[str]],
                contract_of: Mapping[str, Contract | None]) -> dict[str, dict[str, list[str]]]:
        """Who reads whom across domains: producer domain → consumer domain → the edges
        (``"gold.customer_value <- silver.orders"``), from the models' parents (``parents``: model → the models it
        reads; ``contract_of``: model → its contract)."""
        out: dict[str, dict[str, list[str]]] = {}
        for model, inputs in parents.items():
            consumer = self.domain_name(contract_of.get(model))
            for parent in inputs:
                producer = self.domain_name(contract_of.get(parent))
                if producer and consumer and producer != consumer:
                    out.setdefault(producer, {}).setdefault(consumer, []).append(f"{model} <- {parent}")
        return {p: {c: sorted(edges) for c, edges in sorted(cs.items())} for p, cs in sorted(out.items())}

    def describe(self, parents: Mapping[str, Iterable[str]],
                 contract_of: Mapping[str, Contract | None]) -> dict[str, dict[str, Any]]:
        """Each declared domain for the manifest and the docs site: owners, declared consumers, the domains that
        actually read it (``read_by``, with the edges) and its models."""
        reads = self.readers(parents, contract_of)
        return {d.name: {"description": d.config.description or "", "owners": list(d.config.owners),
                         "consumers": list(d.config.consumers), "read_by": reads.get(d.name, {}),
                         "models": sorted(m for m, c in contract_of.items() if self.domain_name(c) == d.name),
                         "path": d.location.path}
                for d in sorted(self.domains.values(), key=lambda d: d.name)}

    # -- inheritance ---------------------------------------------------------------------------------
    def namespace(self, contract: Contract | None, layer: str) -> str | None:
        """The namespace template the contract's domain sets for ``layer``, or None."""
        domain = self.of(contract.name) if contract else None
        return domain.config.namespaces.get(layer) if domain else None  # type: ignore[call-overload]

    def apply(self, contracts: Iterable[Contract], project: str = "") -> list[UserError]:
        """Give each contract its domain's defaults where it says nothing, and report every default it loosens
        and every namespace outside its domain's (located at the contract's YAML entry)."""
        errors: list[UserError] = []
        for contract in contracts:
            domain = self.of(contract.name)
            if domain is None or contract.layer == "source":
                continue
            errors.extend(_apply(domain, contract))
            own = {t.format(layer=layer, domain=domain.name, project=project)
                   for layer, t in domain.config.namespaces.items()}
            if own and contract.namespace:
                ns = contract.namespace.format(layer=contract.layer, domain=domain.name, project=project)
                if ns not in own:
                    errors.append(ContractError(
                        f"{contract.name}: namespace '{ns}' is not one of domain {domain.name}'s namespaces "
                        f"({', '.join(sorted(own))}); a domain writes only to its namespaces",
                        location=_at(contract, "namespace"),
                        hint=f"remove `namespace:` (the domain's {contract.layer} namespace is used) or add it to "
                             f"the domain's namespaces ({domain.location})"))
        return errors


def _at(contract: Contract, *keys: str | int) -> Location:
    """The location of ``keys`` (a field, then list indexes or mapping keys) in the contract's YAML."""
    node: Any = contract._data
    where = contract.location or Location(str(contract.path or "?"), 1, 1)
    for key in keys:
        if isinstance(node, LocatedDict) and key in node:
            where = node.key_locations.get(str(key), where)
            node = node[key]
        elif isinstance(node, LocatedList) and isinstance(key, int) and key < len(node):
            where = node.item_locations[key]
            node = node[key]
        else:
            break
    return where


def _apply(domain: Domain, contract: Contract) -> list[UserError]:
    d = domain.config.defaults
    errors: list[UserError] = []
    hint = f"a dataset may tighten the defaults of its domain ({domain.location}), never loosen them"

    def loosen(message: str, *keys: str | int) -> None:
        errors.append(ContractError(f"{contract.name}: {message}", location=_at(contract, *keys), hint=hint))

    if d.format:
        if contract.format and contract.format != d.format:
            loosen(f"format '{contract.format}' loosens domain {domain.name}'s format '{d.format}'", "format")
        contract.format = contract.format or d.format  # type: ignore[assignment]
    required = d.partitioned_by.get(contract.layer, [])  # type: ignore[arg-type]
    if required:
        declared = {c.name for c in contract.columns}
        if not contract.partitioned_by:
            missing = [c for c in required if c not in declared]
            if missing:
                loosen(f"domain {domain.name} partitions {contract.layer} datasets by {', '.join(required)}; "
                       f"{', '.join(missing)} is not a declared column", "columns")
            else:
                contract.partitioned_by = list(required)
        else:
            missing = [c for c in required if c not in contract.partitioned_by]
            if missing:
                loosen(f"partitioned_by {contract.partitioned_by} loosens domain {domain.name}'s partitioning "
                       f"{required} of {contract.layer} datasets (missing {', '.join(missing)})", "partitioned_by")
    if d.evolution:
        mode = registry_mode(d.evolution)
        if "compatibility" in contract.model_fields_set:
            try:
                own = _guarantees(contract.compatibility)
            except ValueError:
                own = None  # the registry reports an unknown mode
            if own is not None and not _guarantees(mode) <= own:
                loosen(f"compatibility {contract.compatibility} loosens domain {domain.name}'s evolution policy "
                       f"'{d.evolution}' ({mode})", "compatibility")
        else:
            contract.compatibility = mode
    for key, value in d.properties.items():
        if key in contract.properties and contract.properties[key] != value:
            loosen(f"property {key}={contract.properties[key]!r} loosens domain {domain.name}'s "
                   f"{key}={value!r}", "properties", key)
        contract.properties.setdefault(key, value)
    if d.retention_days is not None:
        if contract.retention_days is not None and contract.retention_days > d.retention_days:
            loosen(f"retention_days {contract.retention_days} loosens domain {domain.name}'s retention of "
                   f"{d.retention_days} days", "retention_days")
        contract.retention_days = contract.retention_days or d.retention_days
    have = {c.type for c in contract.all_checks()}
    for kind in d.required_checks:
        if kind not in have:
            errors.append(ContractError(
                f"{contract.name}: domain {domain.name} requires a {kind} check on every dataset",
                location=_at(contract, "checks") if contract.checks else _at(contract, "name"),
                hint=f"add a {kind} check to the contract (domain {domain.location})"))
    return errors


def load_domains(root: Path, inline: Mapping[str, DomainConfig], inline_data: Any,
                 render: Callable[[Path, str], str] | None = None) -> Domains:
    """The domains of ``sqlingest.yml: domains:`` and ``domains/*.yml`` (each file's text through ``render`` first:
    ``env_var()``/``secret()`` as in ``sqlingest.yml``).

    Raises:
        UserError: every problem at once, located in its file.
    """
    errors: list[UserError] = []
    out: dict[str, Domain] = {}
    keys = inline_data.key_locations if isinstance(inline_data, LocatedDict) else {}
    for name, cfg in inline.items():
        out[name] = Domain(name, cfg, keys.get(name, Location("sqlingest.yml", 1, 1)))
    folder = root / DOMAINS_DIR
    paths = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []
    for path in paths:
        rel = path.relative_to(root)
        try:
            text = read_text(path, rel)
            data = load_yaml(rel, render(path, text) if render is not None else text)
            if not isinstance(data, dict):
                raise ConfigError("a domain file must be a YAML mapping", location=Location(str(rel), 1, 1))
            cfg = validate_model(DomainConfig, data, rel)
        except UserError as exc:
            errors.extend(exc.errors if isinstance(exc, CompileErrors) else [exc])
            continue
        name = cfg.name or path.stem
        where = Location(str(rel), 1, 1)
        if name in out:
            errors.append(ConfigError(f"domain '{name}' is declared twice (also at {out[name].location})",
                                      location=where))
            continue
        out[name] = Domain(name, cfg, where)
    from sqlingest.registry.modes import Mode

    for domain in out.values():
        evolution = domain.config.defaults.evolution
        if evolution and registry_mode(evolution) not in Mode.__members__:
            errors.append(ConfigError(
                f"domain {domain.name}: unknown evolution policy '{evolution}'", location=domain.location,
                hint=f"additive, strict or a registry mode ({', '.join(Mode.__members__)})"))
    from sqlingest.runs.slo import check_slo_config

    for domain in out.values():
        for slos in (domain.config.slos, *domain.config.dataset_slos.values()):
            try:
                check_slo_config(slos)
            except UserError as exc:
                errors.append(ConfigError(f"domain {domain.name}: {exc.message}", hint=exc.hint,
                                          location=domain.location))
    for secret in {s for d in out.values() for s in d.config.secrets}:
        owners = sorted(d.name for d in out.values() if secret in d.config.secrets)
        if len(owners) > 1:
            errors.append(ConfigError(f"secret '{secret}' is scoped to several domains: {', '.join(owners)}",
                                      location=out[owners[1]].location))
    CompileErrors.raise_if_any(errors)
    return Domains(out)


def expand_domain_selectors(selectors: list[str], members: Any) -> list[str]:
    """``domain:<name>`` selectors (with ``+`` before/after) replaced by the domain's model names, for the DAG's
    name selection; ``members(name)`` gives a domain's models (:meth:`Domains.members`).

    Raises:
        UserError: a domain has no model.
    """
    out = []
    for raw in selectors:
        words: list[str] = []
        for selector in raw.split():
            core = selector.strip("+")
            if not core.startswith("domain:"):
                words.append(selector)
                continue
            names = sorted(members(core.split(":", 1)[1]))
            if not names:
                raise UserError(f"--select '{selector}' matches no model",
                                hint="the domain has no model bound to a contract of it")
            before = "+" if selector.startswith("+") else ""
            after = "+" if selector.endswith("+") else ""
            words.extend(f"{before}{n}{after}" for n in names)
        out.append(" ".join(words))
    return out
