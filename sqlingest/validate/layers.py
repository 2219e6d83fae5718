"""Layer contracts: the rules ``sqlingest.yml`` sets per layer, checked for every model at compile time."""

from __future__ import annotations

import re

from sqlingest.errors import Location, ModelCompileError, UserError
from sqlingest.project.config import LayerConfig
from sqlingest.project.contract import Contract


def _covered(contract: Contract, column: str, check_type: str) -> bool:
    for check in contract.all_checks():
        cols = check.target_columns
        if check.type == "primary_key" and check_type in ("not_null", "unique") \
                and column in (cols or contract.keys.business):
            return True
        if check.type == check_type and cols == [column]:
            return True
        if check_type == "unique" and check.type == "unique" and set(cols) == set(contract.keys.business) \
                and column in cols:
            return True
    return False


def check_layer_rules(model_name: str, model_path: str, layer: str, rules: LayerConfig,
                      contract: Contract | None, table: str, *, history: bool = False) -> list[UserError]:
    """Every way ``model_name`` breaks its layer's contract, located in the model or contract file.

    ``history``: the table keeps versions per key (SCD2), so the business key alone is not unique there and the
    ``unique`` key rule does not apply (a ``primary_key`` on key + ``valid_from`` is the check to write).
    """
    errors: list[UserError] = []
    where = Location(model_path, 1, 1)
    if contract is None:
        if rules.require_contract:
            errors.append(ModelCompileError(
                f"{layer} models need a contract; {model_name} has none", location=where,
                hint=f"add contracts/<domain>/{model_name.split('.')[1]}.{layer}.yml with layer: {layer}"))
        return errors
    at = contract.location or where
    if rules.require_keys and not contract.keys.business:
        errors.append(UserError(f"{layer} datasets need business keys (keys.business) — {contract.name} has none",
                                location=at))
    for column in contract.keys.business:
        for check_type in [c for c in rules.key_checks or [] if not (history and c == "unique")]:
            if not _covered(contract, column, check_type):
                col = contract.column(column)
                errors.append(UserError(
                    f"{layer} requires a {check_type} check on business key '{column}' of {contract.name}",
                    location=(col.location if col and col.location else at),
                    hint=f"add `checks: [{check_type}]` to the column, or a primary_key check on the keys"))
    if rules.require_descriptions:
        missing = [c.name for c in contract.columns if not c.description]
        if missing:
            errors.append(UserError(f"{layer} requires a description on every column; {contract.name} lacks "
                                    f"them on {', '.join(missing)}", location=at))
    if rules.table_pattern and not re.fullmatch(rules.table_pattern, table):
        errors.append(UserError(f"table name '{table}' does not match the {layer} naming rule "
                                f"'{rules.table_pattern}'", location=at))
    return errors
