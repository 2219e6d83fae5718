"""DDL and schema evolution: a model's namespace and table are created, dropped on ``--full-refresh``, evolved in
place when the contract adds nullable columns, replaced where the materialization rebuilds the table, and
otherwise refused with the evolution plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlingest.errors import ContractViolation
from sqlingest.execute.context import RunContext, one
from sqlingest.plan.evolution import additions, evolution_plan, schema_diff
from sqlingest.validate.conform import quote
from sqlingest.validate.types import normalize_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from sqlingest.plan import PlannedModel


def prepare(ctx: RunContext, pm: PlannedModel) -> bool:
    """Create ``pm``'s namespace, drop its table on ``--full-refresh``; returns whether the table exists."""
    catalog = ctx.plan.catalog_of(pm)
    namespace = catalog.namespace(pm.namespace)
    if namespace is not None:  # None: path-based tables, no namespace to create
        ctx.spark.sql(one(pm, "create_namespace", namespace=namespace))
    if ctx.options.full_refresh and pm.materialization.STAGED:
        catalog.drop_table(ctx.spark, pm.relation)
    return ctx.exists(pm.relation)


def ensure_table(ctx: RunContext, pm: PlannedModel, frame: DataFrame, exists: bool) -> None:
    """Make ``pm``'s table have the schema of its contract (or of ``frame`` without one)."""
    contract = pm.contract
    desired = pm.table_schema()
    if contract is not None:
        nullable = {c.name: c.nullable or contract.layer == "bronze" for c in contract.columns}
    else:
        nullable = {}
    if desired is None:
        desired = [(f.name, normalize_type(f.dataType.simpleString())) for f in frame.schema.fields]
        known = {n for n, _ in desired}
        desired += [(n, t) for n, t in pm.materialization.EXTRA_COLUMNS if n not in known]
    replace = False
    if exists:
        live = [(f.name, normalize_type(f.dataType.simpleString())) for f in ctx.spark.table(pm.relation).schema]
        # writes follow the table's own column order (Parquet keeps partition columns last; execute/publish.py)
        if live == desired or live == _layout(pm, desired):
            return
        if pm.materialization.EVOLVES_SCHEMA:
            steps = additions(live, desired)
            if steps is not None and pm.format.capabilities.schema_evolution:
                for statement in steps:  # compatible evolution: new nullable columns, in place
                    ctx.spark.sql(f"ALTER TABLE {pm.relation} {statement}")
                return
            diff = schema_diff(live, desired)
            plan = "; ".join(evolution_plan(pm.relation, live, desired))
            raise ContractViolation(
                f"table {pm.relation} does not have the contract's schema ({diff}); nothing was written",
                hint=f"this change cannot be applied in place; it needs: {plan} — or rerun with "
                     "--full-refresh to rebuild the table from its inputs")
        replace = True
    comments = {c.name: c.description for c in contract.columns} if contract else {}
    ddl = []
    for name, dtype in desired:
        part = f"{quote(name)} {dtype.upper()}"
        if nullable.get(name, True) is False:
            part += " NOT NULL"
        if comments.get(name):
            part += " COMMENT '" + str(comments[name]).replace("'", "\\'") + "'"
        ddl.append(part)
    statement = one(
        pm, "create_table", replace=replace, relation=pm.relation, columns_ddl=",\n  ".join(ddl),
        format=pm.format.using, partitioned_by=[quote(p) for p in partition_columns(pm)],
        location=ctx.plan.catalog_of(pm).table_location(pm.namespace, pm.table),
        comment=contract.description if contract else None,
        properties=contract.properties if contract else {},
        options=(pm.format.dynamic_overwrite_options() or {}) if pm.materialization.OVERWRITES else {},
    )
    ctx.spark.sql(statement)


def _layout(pm: PlannedModel, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``columns`` in the order the table format keeps them (Parquet: partition columns last)."""
    types = dict(columns)
    return [(n, types[n]) for n in pm.format.layout([n for n, _ in columns], partition_columns(pm))]


def partition_columns(pm: PlannedModel) -> list[str]:
    """The table's partition columns: ``config(partitioned_by=…)``, else the contract's."""
    contract = pm.contract
    return list(pm.rendered.config.partitioned_by or (contract.partitioned_by if contract else []))
