"""Stage 4 — plan: render every model, validate it against contracts, order the DAG and decide, per model, the
relation, table format and materialization. Everything here runs without a JVM (``sqlingest compile``)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlingest.catalogs import Catalog, load_catalog
from sqlingest.errors import CompileErrors, Location, ModelCompileError, UnsupportedCombination, UserError
from sqlingest.formats import TableFormat, get_format
from sqlingest.materializations import MATERIALIZATIONS, OPTION_OWNERS, REBUILDS, Materialization
from sqlingest.plan.dag import Dag, check_references
from sqlingest.plan.engine import check_engine
from sqlingest.project import ModelFile, Project
from sqlingest.project.contract import Contract
from sqlingest.project.layers import audit_columns
from sqlingest.render import RenderedModel, Renderer
from sqlingest.validate import ValidatedModel, build_schema, contract_columns, contract_schema, table_columns, validate
from sqlingest.validate.functions import FunctionRegistry, udf_from_config
from sqlingest.validate.governance import check_deprecations, check_history
from sqlingest.validate.layers import check_layer_rules


@dataclass
class PlannedModel:
    """One model, ready to run."""

    validated: ValidatedModel
    relation: str
    namespace: str
    table: str
    format: TableFormat
    materialization: Materialization
    unique_key: list[str] = field(default_factory=list)
    ordering: str | None = None
    #: the materialization the model asked for, when the target's ``fallbacks`` replaced it (else None)
    replaces: str | None = None

    @property
    def rendered(self) -> RenderedModel:
        return self.validated.rendered

    @property
    def name(self) -> str:
        return self.rendered.name

    @property
    def contract(self) -> Contract | None:
        return self.rendered.contract

    @property
    def layer(self) -> str:
        return self.rendered.model.layer

    @property
    def streaming(self) -> bool:
        """Whether the model runs as a Structured Streaming query (``materialized='streaming'``, or a merge/scd
        model with ``config(streaming=true)``)."""
        return self.materialization.STREAMING or (self.materialization.STREAMS and self.rendered.config.streaming)

    def table_schema(self) -> list[tuple[str, str]] | None:
        """The columns the model's table must have (contract, layer audit columns, materialization columns);
        None without a contract (the query's output decides)."""
        if self.contract is None:
            return None
        desired = contract_schema(self.contract)
        known = {n for n, _ in desired}
        return desired + [(n, t) for n, t in self.materialization.EXTRA_COLUMNS if n not in known]

    @property
    def sql_hash(self) -> str:
        return hashlib.sha256(self.rendered.sql.encode()).hexdigest()[:16]


@dataclass
class Plan:
    project: Project
    catalog: Catalog
    renderer: Renderer
    models: dict[str, PlannedModel]
    dag: Dag
    order: list[str]
    selected: list[str]
    warnings: list[str] = field(default_factory=list)
    #: selected only for their checks: models whose checks read a selected model (``relationships`` …), not built
    checks_only: list[str] = field(default_factory=list)
    #: every enabled model that rendered (the compiled ones and the others), for the manifest and ``ls``
    rendered: dict[str, RenderedModel] = field(default_factory=dict)
    #: ``--defer``: unselected parents read from another target's tables (model → relation read instead)
    deferred: dict[str, str] = field(default_factory=dict)
    #: the domains' own catalogs on this target (domain → catalog; docs/domains.md, "Per-domain credentials")
    domain_catalogs: dict[str, Catalog] = field(default_factory=dict)

    def catalog_of(self, pm: PlannedModel) -> Catalog:
        """The catalog ``pm``'s table lives in: its domain's own, else the target's."""
        domain = self.project.domains.domain_name(pm.contract)
        return self.domain_catalogs.get(domain or "", self.catalog)

    @property
    def fallbacks(self) -> list[str]:
        """One line per selected model whose materialization the target's ``fallbacks`` replaced."""
        return [f"{name}: materialized='{pm.replaces}' → full rebuild on every run ({pm.format.name} tables cannot "
                f"run {pm.replaces}; target {self.project.target_name} declares fallbacks: {{{pm.replaces}: rebuild}})"
                for name in self.selected if (pm := self.models[name]).replaces]


def relation_parts(project: Project, model: ModelFile, contract: Contract | None) -> tuple[str, str]:
    """(namespace, table) of a model: the contract's, else the layer's namespace and the file stem."""
    layer_cfg = project.config.layer(model.layer)
    domains = getattr(project, "domains", None)
    template = (contract.namespace if contract and contract.namespace else None) \
        or (domains.namespace(contract, model.layer) if domains else None) or layer_cfg.namespace or model.layer
    domain = (domains.domain_name(contract) if domains else None) or (contract.domain if contract else project.name)
    namespace = template.format(layer=model.layer, domain=domain, project=project.name)
    table = contract.table if contract and contract.table else model.stem
    return namespace, table


def plan_project(project: Project, *, select: list[str] | None = None, run_id: str = "compile",
                 exclude: list[str] | None = None, state: dict[str, Any] | None = None,
                 defer: bool = False) -> Plan:
    """Render, validate and order every model; report every user error at once.

    ``select``/``exclude`` follow :mod:`sqlingest.plan.selection`; ``state`` is a saved manifest
    (:mod:`sqlingest.plan.manifest`) for ``state:`` selectors and ``defer`` (unselected parents are read from the
    manifest's relations instead of this target's).

    Raises:
        CompileErrors: one or more located user errors (Jinja, SQL, contract, DAG, unsupported combinations).
    """
    catalog = load_catalog(project.target.catalog, project.root, project.state_dir)
    domain_catalogs = {d: load_catalog(cfg, project.root, project.state_dir)
                       for d, cfg in project.domains.catalog_configs(project.target_name,
                                                                     project.target.catalog).items()}

    def catalog_for(contract: Contract | None) -> Catalog:
        return domain_catalogs.get(project.domains.domain_name(contract) or "", catalog)

    relations: dict[str, str] = {}
    contracts_by_model: dict[str, Contract | None] = {}
    for name, model in project.models.items():
        # Binding by file stem is known before rendering; config(contract=…) may refine it below.
        try:
            contract = project.contract_for(model)
        except UserError:
            contract = None
        contracts_by_model[name] = contract
        relations[name] = catalog_for(contract).relation(*relation_parts(project, model, contract))

    relations.update(seed_relations(project, catalog))
    renderer = Renderer(project, lambda n: relations[n], run_id=run_id)
    errors: list[UserError] = list(getattr(project, "load_errors", []))
    errors.extend(check_history(project))
    errors.extend(check_engine(project))
    deprecation_errors, warnings = check_deprecations(project)
    errors.extend(deprecation_errors)
    rendered: dict[str, RenderedModel] = {}
    failed: dict[str, list[UserError]] = {}  # model → its own errors
    notes: list[UserError] = []
    broken = _broken_contracts(project)
    for name, model in project.models.items():
        blocked = _uses_broken_contract(model, broken)
        if blocked:
            failed[name] = []
            notes.append(ModelCompileError(f"not checked: its contract {blocked} has errors",
                                           location=Location(str(model.path), 1, 1)))
            continue
        try:
            r = renderer.render(model)
        except UserError as exc:
            failed[name] = [exc]
            continue
        if r.contract is not contracts_by_model[name]:
            relations[name] = catalog_for(r.contract).relation(*relation_parts(project, model, r.contract))
            r.relation = relations[name]
        if r.config.enabled:
            rendered[name] = r

    # The graph over every model (one that did not render has no known parents), so that a selection compiles only
    # what it needs: the selected models and their ancestors.
    refs = Dag({n: [d for d in r.refs if d in rendered or d in failed] for n, r in rendered.items()} |
               {n: [] for n in failed})
    # A check reading another model's table (relationships, a query naming it) runs after that model is built:
    # an edge too, unless the other model reads this one (the check then keeps running after this model only).
    model_of = {r.contract.key: n for n, r in rendered.items() if r.contract}
    model_of.update({r.relation.lower(): n for n, r in rendered.items()})
    check_edges = {n: {d for d in check_references(r.contract.all_checks(), model_of)
                       if d != n and n not in refs.ancestors(d) | {d}}
                   for n, r in rendered.items() if r.contract}
    dag = Dag({n: [*refs.parents[n], *check_edges.get(n, ())] for n in refs.parents})
    for name, r in rendered.items():
        for dep in r.refs:
            if dep not in rendered and dep not in failed:
                failed.setdefault(name, []).append(ModelCompileError(
                    f"ref('{dep}') points at a disabled model", location=_ref_location(r.model, dep)))
    paths = {n: str(m.path) for n, m in project.models.items()}
    try:
        order = dag.order(paths)
    except UserError as exc:
        raise CompileErrors([*errors, *(e for es in failed.values() for e in es), exc]) from None
    if any("domain:" in s for s in [*(select or []), *(exclude or [])]):  # declared domains (docs/domains.md)
        from sqlingest.project.domains import expand_domain_selectors

        bound = {n: c for n, c in {**contracts_by_model, **{n: r.contract for n, r in rendered.items()}}.items()
                 if n in dag.parents}  # enabled models only
        select = expand_domain_selectors(select, lambda d: project.domains.members(d, bound)) if select else select
        exclude = expand_domain_selectors(exclude, lambda d: project.domains.members(d, bound)) if exclude \
            else exclude
    selected = _select(dag, rendered, select, exclude, state) if select or exclude else set(order)
    needed = set(selected)
    for name in selected:
        needed |= dag.ancestors(name)
    deferred = _defer(project, renderer, rendered, relations, dag, selected, needed, state) if defer else {}
    # models outside the selection whose checks read a selected model: their checks run again (checks only)
    checks_only = {n for n, deps in check_edges.items() if n not in selected and deps & selected}
    compiled = set(needed)
    for name in checks_only:
        compiled |= {name} | dag.ancestors(name)

    schema = build_schema(list(project.contracts.values()),
                          {r.contract.key: r.relation for r in rendered.values() if r.contract} |
                          {c.key: relations[f"seed.{c.dataset}"] for c in project.contracts.values()
                           if c.layer == "seed"})
    tables = table_columns(schema)  # the analyzer's view, kept in step with ``schema`` below
    functions, function_errors = project_functions(project)
    errors.extend(function_errors)
    planned: dict[str, PlannedModel] = {}
    for name in order:
        if name not in compiled:
            continue
        if name in failed:
            continue
        r = rendered[name]
        broken_parents = [d for d in dag.parents.get(name, []) if d in failed]
        if broken_parents:
            failed[name] = []
            notes.append(ModelCompileError(
                f"not checked: depends on a model with errors ({', '.join(broken_parents)})",
                location=_ref_location(r.model, broken_parents[0])))
            continue
        result = validate(r, schema, tables=tables, functions=functions)
        model_errors = list(result.errors)
        warnings.extend(result.warnings)
        if r.contract is not None:
            schema[r.relation] = contract_columns(r.contract)  # type: ignore[assignment]
            tables.update(table_columns({r.relation: schema[r.relation]}))
        elif result.schema and all(t for _, t, _n in result.schema):
            cols = [(n, t, nl if nl is not None else True) for n, t, nl in result.schema]
            names = {c[0] for c in cols}
            schema[r.relation] = cols + [(n, t, True) for n, t in audit_columns(r.model.layer)  # type: ignore
                                         if n not in names]
            tables.update(table_columns({r.relation: schema[r.relation]}))
        if name in deferred and r.relation in schema:  # its dependants read the other target's table
            schema[deferred[name]] = schema[r.relation]
            tables.update(table_columns({deferred[name]: schema[r.relation]}))
        try:
            pm = _plan_model(project, catalog_for(r.contract), result)
        except UserError as exc:
            model_errors.append(exc)
        else:
            planned[name] = pm
            if pm.table_schema() is not None and r.contract is not None:
                # downstream models see the materialization's columns too (SCD2's valid_from, …)
                table_cols: list[tuple[str, str, bool]] = contract_columns(r.contract)
                known = {c[0] for c in table_cols}
                schema[r.relation] = table_cols + [(n, t, True)  # type: ignore[assignment]
                                                   for n, t in pm.materialization.EXTRA_COLUMNS if n not in known]
                tables.update(table_columns({r.relation: schema[r.relation]}))
                if name in deferred:
                    schema[deferred[name]] = schema[r.relation]
                    tables.update(table_columns({deferred[name]: schema[r.relation]}))
            # governance rules do not change what dependants read: reported, but they do not stop checking them
            errors.extend(check_layer_rules(name, str(r.model.path), r.model.layer,
                                            project.config.layer(r.model.layer), r.contract, pm.table,
                                            history=bool(pm.materialization.EXTRA_COLUMNS)))
        if model_errors:
            failed[name] = model_errors
    for name in order:
        if name in needed or not select:
            errors.extend(failed.get(name, []))
    # a dependant that does not compile is not checked again (its own build reports its errors)
    checks_only = {n for n in checks_only if n in planned and not any(a in failed for a in dag.ancestors(n))}
    plan = Plan(project, catalog, renderer, planned, dag, order, [n for n in order if n in selected | checks_only],
                warnings, [n for n in order if n in checks_only], rendered, deferred, domain_catalogs)
    if project.domains.domains:
        from sqlingest.runs.slo import check_slo_references

        errors.extend(check_slo_references(plan))
    CompileErrors.raise_if_any(errors, notes=notes)
    return plan


def _select(dag: Dag, rendered: dict[str, RenderedModel], select: list[str] | None, exclude: list[str] | None,
            state: dict[str, Any] | None) -> set[str]:
    from sqlingest.plan.manifest import state_changes
    from sqlingest.plan.selection import ModelFacts, SelectionContext, select_models

    facts = {n: ModelFacts(tags=r.config.tags + (r.contract.tags if r.contract else []),
                           sources=[c.name for c in r.sources], owner=r.contract.owner if r.contract else None,
                           domain=r.contract.domain if r.contract else None, path=str(r.model.path))
             for n, r in rendered.items()}
    modified, new = state_changes(state, rendered) if state is not None else (None, None)
    return select_models(SelectionContext(dag, facts, modified, new), select, exclude)


def _defer(project: Project, renderer: Renderer, rendered: dict[str, RenderedModel], relations: dict[str, str],
           dag: Dag, selected: set[str], needed: set[str], state: dict[str, Any] | None) -> dict[str, str]:
    """``--defer``: point the selected models' unselected parents at the relations the saved manifest names
    (another target's tables), and render the selected models that read them again."""
    if state is None:
        raise UserError("--defer needs --state DIR (the manifest of the target to read unselected parents from)",
                        hint="e.g. --defer --state prod-manifest/")
    saved = state.get("models", {})
    deferred = {n: str(saved[n]["relation"]) for n in sorted(needed - selected)
                if saved.get(n, {}).get("relation") and saved[n]["relation"] != relations[n]}
    if not deferred:
        return {}
    relations.update(deferred)
    for name in selected:
        if name in rendered and set(dag.parents.get(name, ())) & set(deferred):
            again = renderer.render(rendered[name].model)
            again.relation = rendered[name].relation
            rendered[name] = again
    return deferred


def seed_relations(project: Project, catalog: Catalog) -> dict[str, str]:
    """``seed.<dataset>`` → the table of each seed (namespace: the contract's, else ``seed``)."""
    return {f"seed.{c.dataset}": catalog.relation(*seed_parts(project, c))
            for c in project.contracts.values() if c.layer == "seed"}


def seed_parts(project: Project, contract: Contract) -> tuple[str, str]:
    """(namespace, table) of a seed's table: the contract's namespace, else ``seed``; the dataset name."""
    namespace = (contract.namespace or project.config.layer("seed").namespace or "seed").format(
        layer="seed", domain=contract.domain, project=project.name)
    return namespace, contract.table or contract.dataset


def project_functions(project: Project) -> tuple[FunctionRegistry, list[UserError]]:
    """Spark's functions plus the project's own (``functions:`` in sqlingest.yml); bad declarations as errors."""
    extra, errors = {}, []
    for name, spec in project.config.functions.items():
        try:
            extra[name.lower()] = udf_from_config(name, spec)
        except ValueError as exc:
            errors.append(UserError(str(exc), location=Location("sqlingest.yml", _line_of(project, name), 1),
                                    hint="e.g. functions: {mask_email: {args: 1, returns: string}}"))
    return FunctionRegistry(extra=extra), errors


def _line_of(project: Project, needle: str) -> int:
    try:
        text = (project.root / "sqlingest.yml").read_text(encoding="utf-8")
    except OSError:
        return 1
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return 1


def _broken_contracts(project: Project) -> dict[tuple[str, str | None], str]:
    """(dataset, layer or None) → file, for contract files that did not load (named ``<dataset>[.<layer>].yml``)."""
    out: dict[tuple[str, str | None], str] = {}
    for err in getattr(project, "load_errors", []):
        if err.location is None or not err.location.path.startswith("contracts"):
            continue
        parts = Path(err.location.path).name.split(".")[:-1]
        layer = parts[-1] if len(parts) > 1 and parts[-1] in ("source", "bronze", "silver", "gold") else None
        out[(parts[0], layer)] = err.location.path
    return out


def _uses_broken_contract(model: ModelFile, broken: dict[tuple[str, str | None], str]) -> str | None:
    """The broken contract file a model binds to or reads as a source, by the naming convention (best effort)."""
    if not broken:
        return None
    for key in ((model.stem, model.layer), (model.stem, None)):
        if key in broken:
            return broken[key]
    for (dataset, layer), path in broken.items():
        if layer in ("source", None) and re.search(rf"source\(\s*['\"]\w+['\"]\s*,\s*['\"]{dataset}['\"]",
                                                   model.text):
            return path
    return None


def _ref_location(model: ModelFile, ref: str) -> Location:
    """Where ``model``'s template refers to ``ref`` (its ``ref('…')`` call), else the file's first line."""
    stem = ref.split(".", 1)[-1]
    for i, line in enumerate(model.text.splitlines(), 1):
        for needle in (f"'{ref}'", f'"{ref}"', f"'{stem}'", f'"{stem}"'):
            col = line.find(needle)
            if col >= 0 and "ref" in line:
                start = line.rfind("{{", 0, col)
                return Location(str(model.path), i, (start if start >= 0 else col) + 1)
    return Location(str(model.path), 1, 1)


def _plan_model(project: Project, catalog: Catalog, validated: ValidatedModel) -> PlannedModel:
    r = validated.rendered
    contract = r.contract
    where = Location(str(r.model.path), 1, 1)
    fmt = get_format(r.config.format or (contract.format if contract else None) or project.target.format)
    try:
        materialization = MATERIALIZATIONS.load(r.config.materialized)(project.root)
    except UserError as exc:
        raise ModelCompileError(exc.message.replace("materializations", "materialization"), hint=exc.hint,
                                location=where) from None
    try:
        catalog.check_format(fmt, where=f" (model {r.name})")
    except UnsupportedCombination as exc:
        raise UnsupportedCombination(exc.message, hint=exc.hint, location=where) from None
    missing = materialization.missing_capabilities(fmt)
    # what the format allows but the catalog does not declare for it (catalogs/capabilities.py)
    undeclared = [c for c in catalog.missing(fmt, materialization.REQUIRES) if c not in missing]
    replaces = None
    if missing or undeclared:
        name = r.config.materialized
        rebuild = REBUILDS.get(name)
        if rebuild is None or project.target.fallbacks.get(name) != "rebuild":  # type: ignore[call-overload]
            also = (f", or declare the replacement in the target: fallbacks: {{{name}: rebuild}} (the table is "
                    f"rebuilt in full on every run; docs/catalogs.md)") if rebuild is not None else ""
            if missing:
                message = f"needs {', '.join(missing)}, which {fmt.name} tables do not support"
                instead = "use format iceberg or delta for this model"
            else:
                message = (f"needs {', '.join(undeclared)}, which catalog type '{catalog.config.type}' does not "
                           f"declare for {fmt.name} tables")
                instead = "use a target whose catalog declares it (docs/support-matrix.md)"
            raise UnsupportedCombination(f"materialized='{name}' {message}", location=where,
                                         hint=f"{instead}, or materialized='table'/'append'" + also)
        materialization, replaces = rebuild(project.root), name
    if r.config.streaming and not materialization.STREAMING:
        if not materialization.STREAMS:
            streams = sorted(n for n in MATERIALIZATIONS.names() if MATERIALIZATIONS.load(n).STREAMS)
            raise ModelCompileError(
                f"config(streaming=true) does not apply to materialized='{materialization.NAME}'", location=where,
                hint=f"stream with materialized='streaming' (append) or one of {', '.join(streams)}")
        if not fmt.capability("commits"):
            raise UnsupportedCombination(
                f"config(streaming=true) needs commits, which {fmt.name} tables do not support (a micro-batch's id "
                "is recorded in the table's commit)", location=where, hint="use format iceberg or delta")
    if materialization.STREAMING or r.config.streaming:
        _check_streamable(r, where)
    allowed = project.config.layer(r.model.layer).materializations
    if allowed and r.config.materialized not in allowed:
        raise ModelCompileError(f"materialized='{r.config.materialized}' is not allowed in layer "
                                f"{r.model.layer} (allowed: {', '.join(allowed)})", location=where)
    unique_key = r.config.unique_key or (contract.keys.business if contract else [])
    ordering = r.config.ordering or (contract.keys.ordering if contract else None)
    if materialization.NEEDS_KEY and not unique_key:
        raise ModelCompileError(f"materialized='{r.config.materialized}' needs a unique key", location=where,
                                hint="config(unique_key='id') or keys.business in the contract")
    if materialization.NEEDS_ORDERING and not ordering:
        raise ModelCompileError(f"materialized='{r.config.materialized}' needs an ordering column", location=where,
                                hint="config(ordering='updated_at') or keys.ordering in the contract")
    if materialization.NEEDS_PARTITIONS and not (
            r.config.partitioned_by or (contract.partitioned_by if contract else None)):
        raise ModelCompileError(f"materialized='{r.config.materialized}' needs partition columns", location=where,
                                hint="config(partitioned_by=['day']) or partitioned_by in the contract")
    foreign = sorted((set(OPTION_OWNERS) & r.config.model_fields_set) - set(materialization.OPTIONS))
    if foreign:
        owners = "/".join(sorted({OPTION_OWNERS[o] for o in foreign}))
        raise ModelCompileError(f"{' and '.join(foreign)} appl{'ies' if len(foreign) == 1 else 'y'} to "
                                f"materialized='{owners}' only (this model is '{r.config.materialized}')",
                                location=where)
    if not materialization.STAGED and r.sources:
        raise ModelCompileError("a view cannot read a source directly (sources are read at run time)",
                                location=where, hint="materialize the source in a bronze table and ref() it")
    out_cols = {n for n, _ in validated.columns}
    extras = [r.config.delete_flag] if r.config.delete_flag else []
    for key in unique_key + ([ordering] if ordering else []) + extras + (r.config.tracked_columns or []):
        if validated.columns and key not in out_cols:
            raise ModelCompileError(f"key column '{key}' is not in the model's output", location=where)
    namespace, table = relation_parts(project, r.model, contract)
    return PlannedModel(validated, r.relation, namespace, table, fmt, materialization, unique_key, ordering,
                        replaces)


def write_compiled(plan: Plan, target_dir: Path) -> list[Path]:
    """Write each selected model's rendered SQL to ``target/compiled/<layer>/<name>.sql``. Secrets are redacted."""
    from sqlingest.errors import redact

    written = []
    for name in plan.selected:
        pm = plan.models[name]
        path = target_dir / "compiled" / pm.layer / f"{pm.rendered.model.stem}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        materialized = pm.materialization.NAME + (f" (fallback for {pm.replaces})" if pm.replaces else "")
        header = (f"-- model: {name}  materialized: {materialized}  format: {pm.format.name}\n"
                  f"-- relation: {pm.relation}\n")
        path.write_text(redact(header + pm.rendered.sql.strip() + "\n"), encoding="utf-8")
        written.append(path)
    return written


def _check_streamable(r: RenderedModel, where: Location | None) -> None:
    """A streaming model needs at least one source that can be read as a stream, and only such sources."""
    from sqlingest.sources import SOURCES

    if not r.sources:
        raise ModelCompileError("a streaming model needs a streaming source ({{ source(...) }} of a kafka, "
                                "json or csv source contract)", location=where)
    for contract in r.sources:
        kind = contract.source.format if contract.source else "?"
        if not getattr(SOURCES.load(kind), "STREAMING", False):
            raise UnsupportedCombination(
                f"source {contract.name} ({kind}) cannot be read as a stream", location=where,
                hint="stream from kafka, json or csv; read the others with materialized='append'")
