"""Contract governance at compile time: published history (compatibility) and column deprecation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlingest.errors import ContractError, Location, UserError
from sqlingest.project import Project


def check_history(project: Project) -> list[UserError]:
    """Every contract whose current text breaks its compatibility mode against the versions published in
    ``contracts/.registry/`` (so a pull request that breaks a contract fails ``sqlingest compile`` in CI)."""
    if not (Path(project.root) / "contracts" / ".registry").is_dir():
        return []  # nothing published: no history (and no registry modules to import, ~0.05 s of compile)
    from sqlingest.registry.file_store import FileStore

    store = FileStore(project.root)
    errors: list[UserError] = []
    from sqlingest.registry.store import SubjectNotFound

    for contract in project.contracts.values():
        try:
            store.versions(contract.key)
        except SubjectNotFound:
            continue  # never published: no history to be compatible with (and no Avro conversion to pay for)
        except UserError:
            pass
        body = contract.model_dump(mode="json", exclude_none=True)
        try:
            problems = store.check_compatibility(contract.key, body)
        except UserError as exc:
            errors.append(ContractError(exc.message, hint=exc.hint, location=exc.location or contract.location))
            continue
        if problems:
            latest = store.versions(contract.key)[-1]
            detail = "; ".join(f"{p.path or '<root>'}: {p.message}" for p in problems[:5])
            errors.append(ContractError(
                f"{contract.key} breaks {contract.compatibility} compatibility with published v{latest}: {detail}",
                location=contract.location,
                hint="make the change compatible (e.g. give new columns a default), or publish it as a new "
                     "dataset; `sqlingest contracts compat` shows every incompatibility"))
    return errors


def check_deprecations(project: Project, today: date | None = None) -> tuple[list[UserError], list[str]]:
    """Deprecated columns: a warning until their sunset date, an error after it."""
    today = today or date.today()
    errors: list[UserError] = []
    warnings: list[str] = []
    for contract in project.contracts.values():
        for col in contract.columns:
            if not col.deprecated:
                continue
            where = col.location or contract.location or Location(str(contract.path))
            if col.sunset and today > col.sunset:
                errors.append(ContractError(
                    f"column '{col.name}' of {contract.name} passed its sunset date {col.sunset}", location=where,
                    hint="remove it from the contract and the models that produce it"))
            else:
                when = f" (sunset {col.sunset})" if col.sunset else ""
                warnings.append(f"{where}: column '{col.name}' of {contract.name} is deprecated{when}")
    return errors, warnings
