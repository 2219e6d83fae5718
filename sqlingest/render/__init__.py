"""Stage 2 — render a model's Jinja into SQL.

Context available in models and macros: ``ref``, ``source``, ``config``, ``var``, ``env_var``, ``secret``,
``is_incremental``, ``this``, ``run_id`` and every macro under ``macros/``.
"""

from __future__ import annotations

import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sqlingest.errors import Location, ModelCompileError, UserError
from sqlingest.project import ModelFile, Project, env_var
from sqlingest.project.config import FormatName
from sqlingest.project.contract import Contract
from sqlingest.project.files import read_text
from sqlingest.render.sourcemap import SourceMap, SourceMapEnvironment, TemplateCache, compile_mapped, render_mapped
from sqlingest.sql import quote_identifier, type_sql


class ModelConfig(BaseModel):
    """What ``{{ config(...) }}`` accepts."""

    model_config = ConfigDict(extra="forbid")
    materialized: str = "table"
    unique_key: list[str] | None = None
    ordering: str | None = None
    #: merge/scd: a boolean column; rows where it is true delete (merge, scd1) or close (scd2) the key
    delete_flag: str | None = None
    #: scd2: the columns whose change opens a new version (default: every non-key column)
    tracked_columns: list[str] | None = None
    #: scd2: how the new versions are written — 'merge' (one MERGE: touches only the files holding the staged keys),
    #: 'rewrite' (one INSERT OVERWRITE of the whole table) or 'auto': rewrite when the table's MERGE copies the files
    #: it touches (copy-on-write) and the staged keys lie in files holding at least ``rewrite_fraction`` of the
    #: table's bytes, else merge (docs/materializations.md)
    scd2_strategy: Literal["auto", "merge", "rewrite"] = "auto"
    rewrite_fraction: float = Field(0.5, gt=0, le=1)
    contract: str | None = None
    #: pin the contract to a version published in the registry (default: the contract file as it is)
    contract_version: int | None = None
    format: FormatName | None = None
    partitioned_by: list[str] | None = None
    tags: list[str] = Field(default_factory=list)
    enabled: bool = True
    #: streaming: how `sqlingest stream` triggers micro-batches ('5 seconds', or 'available_now'); `build` always
    #: processes what is available and stops
    trigger: str | None = None
    #: merge/scd1/scd2: run as a Structured Streaming query over the model's streaming sources, each micro-batch
    #: written by the materialization's own statements (docs/streaming.md)
    streaming: bool = False

    @field_validator("unique_key", "partitioned_by", "tracked_columns", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def seed_name(project: Project, name: str) -> str | None:
    """``seed.<dataset>`` when ``ref(name)`` names a seed (``name`` = its dataset, ``seed.<dataset>`` or its
    contract's ``domain.dataset``), else None."""
    for contract in project.contracts.values():
        if contract.layer == "seed" and name in (contract.dataset, f"seed.{contract.dataset}", contract.name):
            return f"seed.{contract.dataset}"
    return None


def source_view(domain: str, name: str) -> str:
    """The temporary view a source is read into while a model runs."""
    return f"source__{domain}__{name}"


@dataclass
class RenderedModel:
    model: ModelFile
    sql: str
    config: ModelConfig
    contract: Contract | None
    refs: list[str] = field(default_factory=list)
    sources: list[Contract] = field(default_factory=list)
    relation: str = ""
    #: rendered position → template (line, col): ``source_map.locate(offset)``; identity unless built by the renderer
    source_map: SourceMap = None  # type: ignore[assignment]  # filled in by __post_init__

    def __post_init__(self) -> None:
        if self.source_map is None:
            self.source_map = SourceMap.identity(self.sql)

    @property
    def name(self) -> str:
        return self.model.name


class _Context(threading.local):
    model: ModelFile | None = None
    refs: list[str]
    sources: list[Contract]
    config: dict[str, Any]
    incremental: bool = False


class Renderer:
    """Renders models of one project. ``relation`` maps a model name to its table identifier."""

    def __init__(self, project: Project, relation: Callable[[str], str], *, run_id: str = "compile") -> None:
        self.project = project
        self.relation = relation
        self.run_id = run_id
        self._ctx = _Context()
        #: compiled model templates, kept between runs (``<state_dir>/cache/templates``)
        self.template_cache = TemplateCache(project.state_dir / "cache" / "templates")
        self.env = SourceMapEnvironment(
            undefined=jinja2.StrictUndefined,
            loader=jinja2.FileSystemLoader(str(project.root)),
            keep_trailing_newline=True,
            autoescape=False,
        )
        self.env.globals.update(
            ref=self._ref, source=self._source, config=self._config, var=self._var, env_var=env_var,
            secret=self._secret, is_incremental=lambda: self._ctx.incremental, run_id=run_id,
            target=project.target_name, incremental_predicate=self._incremental_predicate,
            mapped_columns=self._mapped_columns,
        )
        self.env.bytecode_cache = self.template_cache.bytecode_cache(self.env)
        self._load_macros()

    def _load_macros(self) -> None:
        for path in self.project.macro_paths:
            rel = self.project.rel(path)
            read_text(path, rel, error=ModelCompileError)  # UTF-8, or a located error (Jinja would raise raw)
            try:
                module = self.env.get_template(rel).module
            except jinja2.TemplateSyntaxError as exc:
                raise ModelCompileError(f"macro file: {exc.message}", location=Location(rel, exc.lineno or 0)) \
                    from None
            for name in dir(module):
                if not name.startswith("_"):
                    self.env.globals[name] = getattr(module, name)

    # -- context functions -------------------------------------------------------------------------
    def _resolve_ref(self, name: str) -> str:
        models = self.project.models
        if name in models:
            return name
        matches = [m for m in models.values() if m.stem == name]
        if len(matches) == 1:
            return matches[0].name
        seed = seed_name(self.project, name)
        if seed is not None and not matches:
            return seed
        if matches:
            raise UserError(f"ref('{name}') is ambiguous: {', '.join(m.name for m in matches)}",
                            hint="write ref('<layer>.<name>')")
        import difflib

        close = difflib.get_close_matches(name, list(models), n=1)
        raise UserError(f"ref('{name}'): no such model", hint=f"did you mean '{close[0]}'?" if close else None)

    def _model_contract(self, model: ModelFile | None, explicit: str | None = None) -> Contract | None:
        if model is None:
            return None
        try:
            return self.project.contract_for(model, explicit)
        except UserError:
            return None  # reported by the model's own render

    def _ref(self, name: str) -> str:
        resolved = self._resolve_ref(name)
        if resolved.startswith("seed."):  # a seed's table, loaded by `sqlingest seed` (not a model of the graph)
            return self.relation(resolved)
        domains = self.project.domains
        if domains.domains:
            mine = self._model_contract(self._ctx.model, self._ctx.config.get("contract"))
            target = self._model_contract(self.project.models[resolved])
            why = domains.check_ref(mine, target, name)
            if why:
                raise UserError(why, hint=f"declare `access: public` in {target.path if target else 'its contract'}"
                                          ", or read it through a public dataset of its domain")
        if resolved not in self._ctx.refs:
            self._ctx.refs.append(resolved)
        return self.relation(resolved)

    def _secret(self, name: str) -> str:
        """``{{ secret('name') }}``; a secret scoped to a domain is readable by that domain's models only."""
        domains = self.project.domains
        owner = domains.secret_owner(name)
        if owner is not None:
            mine = domains.domain_name(self._model_contract(self._ctx.model, self._ctx.config.get("contract")))
            if mine != owner:
                who = f"a model of domain {mine}" if mine else "a model outside a domain"
                raise UserError(f"secret('{name}') is scoped to domain {owner}; {who} may not read it",
                                hint=f"use a secret of its own domain, or scope '{name}' to domain {mine}"
                                     if mine else "bind the model to a contract of that domain")
        return self.project.secrets.get(name)

    def _source(self, domain: str, name: str) -> str:
        contract = self.project.source(domain, name)
        if contract is None:
            known = sorted(c.name for c in self.project.contracts.values() if c.layer == "source")
            raise UserError(f"source('{domain}', '{name}'): no source contract {domain}.{name}",
                            hint=f"declare it in contracts/{domain}/{name}.yml with layer: source"
                            + (f"; known sources: {', '.join(known)}" if known else ""))
        if contract not in self._ctx.sources:
            self._ctx.sources.append(contract)
        return source_view(domain, name)

    def _incremental_predicate(self, column: str, lookback: str | None = None) -> str:
        """A boolean SQL expression selecting the rows a run should (re)process, by a time column:

        - with ``--vars '{start: …, end: …}'``: ``start <= column < end`` (a backfill of that range);
        - in an incremental run: ``column >=`` the newest value already in the table minus ``lookback``
          (e.g. ``'3 days'``), so late-arriving rows within the window are picked up again;
        - otherwise (first or full-refresh run): ``TRUE``.
        """
        variables = self.project.vars
        if "start" in variables or "end" in variables:
            parts = []
            if "start" in variables:
                parts.append(f"{column} >= TIMESTAMP '{variables['start']}'")
            if "end" in variables:
                parts.append(f"{column} < TIMESTAMP '{variables['end']}'")
            return "(" + " AND ".join(parts) + ")"
        if not self._ctx.incremental:
            return "TRUE"
        this = self.env.globals["this"]
        window = f" - INTERVAL {lookback}" if lookback else ""
        return (f"({column} >= (SELECT COALESCE(MAX({column}), TIMESTAMP '1970-01-01 00:00:00'){window} "
                f"FROM {this}))")

    def _mapped_columns(self) -> str:
        """The SELECT list of the model's contract: each column from its ``mapping:`` expression, or from the
        input column of the same name, cast to the declared type."""
        model = self._ctx.model
        assert model is not None
        contract = self.project.contract_for(model, self._ctx.config.get("contract"))
        if contract is None:
            raise UserError("mapped_columns() needs the model's contract", hint="declare one for this model")
        parts = []
        for col in contract.columns:
            expression = contract.mapping.get(col.name, quote_identifier(col.name))
            parts.append(f"CAST({expression} AS {type_sql(col.type)}) AS {quote_identifier(col.name)}")
        return ",\n  ".join(parts)

    def _config(self, **kwargs: Any) -> str:
        self._ctx.config.update(kwargs)
        return ""

    def _var(self, name: str, default: Any = None) -> Any:
        if name in self.project.vars:
            return self.project.vars[name]
        if default is not None:
            return default
        raise UserError(f"var('{name}') is not defined", hint="define it under vars: in sqlingest.yml or pass "
                        f"--vars '{{{name}: …}}'")

    # -- rendering ---------------------------------------------------------------------------------
    def render(self, model: ModelFile, *, incremental: bool = False) -> RenderedModel:
        """Render one model.

        Raises:
            ModelCompileError: a Jinja error, a bad ``config()`` or a bad ``ref``/``source``, located in the file.
        """
        ctx = self._ctx
        ctx.model, ctx.refs, ctx.sources, ctx.config, ctx.incremental = model, [], [], {}, incremental
        rel = str(model.path)
        self.env.globals["this"] = self.relation(model.name)
        try:
            template, builder = compile_mapped(self.env, model.text, cache=self.template_cache, slot=rel)
            sql, source_map = render_mapped(template, builder)
        except jinja2.TemplateSyntaxError as exc:
            where = self.project.rel(Path(exc.filename)) if exc.filename and exc.name else rel
            raise ModelCompileError(exc.message or "Jinja syntax error", location=Location(where, exc.lineno or 0)) \
                from None
        except UserError as exc:
            location, called = self._error_location(exc, model)
            raise ModelCompileError(exc.message + called, hint=exc.hint, location=location) from None
        except Exception as exc:  # noqa: BLE001 — user code boundary: macros may raise anything
            location, called = self._error_location(exc, model)
            raise ModelCompileError(f"{type(exc).__name__}: {exc}{called}", location=location) from None
        try:
            config = ModelConfig.model_validate(ctx.config)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            msg = f"unknown config key '{key}'" if first["type"] == "extra_forbidden" else f"config {key}: {first['msg']}"
            raise ModelCompileError(msg, location=Location(rel, _find_line(model.text, "config("))) from None
        try:
            contract = self.project.contract_for(model, config.contract)
            if contract is not None and config.contract_version is not None:
                contract = pinned_contract(self.project, contract, config.contract_version)
        except UserError as exc:
            raise ModelCompileError(exc.message, hint=exc.hint, location=exc.location or Location(rel, 1, 1)) \
                from None
        return RenderedModel(model, sql, config, contract, list(ctx.refs), list(ctx.sources),
                             self.relation(model.name), source_map)

    def _error_location(self, exc: BaseException, model: ModelFile) -> tuple[Location, str]:
        """Where in the model (or in the macro file it called) ``exc`` was raised, and "called from" text when that is
        a macro file: `` (called from models/x.sql:LINE)``."""
        rel = str(model.path)
        frames = _template_frames(exc)
        if not frames:
            return Location(rel), ""
        in_model = [line for file, line in frames if file == _MODEL_FILE]
        file, line = frames[-1]
        if file == _MODEL_FILE:
            return Location(rel, line, _name_col(model.text, line, exc)), ""
        where = self.project.rel(Path(file))
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        called = f" (called from {rel}:{in_model[-1]})" if in_model else ""
        return Location(where, line, _name_col(text, line, exc)), called


#: the file name Jinja gives the frames of a template compiled from a string (the model)
_MODEL_FILE = "<template>"


def _template_frames(exc: BaseException) -> list[tuple[str, int]]:
    """(template file, template line) of each template frame ``exc`` passed through, outermost first (Jinja rewrites
    a render error's traceback so that template frames carry the template's file and line)."""
    frames = []
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            frames.append((template.filename or _MODEL_FILE, template.get_corresponding_lineno(lineno)))
        elif "__jinja_exception__" in frame.f_globals:
            frames.append((frame.f_code.co_filename, lineno))
    return frames


def _name_col(text: str, line: int, exc: BaseException) -> int:
    """The column of the undefined name ``exc`` is about on ``line`` of ``text``, or of the ``ref('x')`` /
    ``secret('x')`` / ``source('x'…)`` call its message starts with (0 when unknown)."""
    lines = text.splitlines()
    call = re.match(r"(ref|secret|source)\('([^']*)'", str(exc)) if isinstance(exc, UserError) else None
    if call is not None and 0 < line <= len(lines):
        at = re.search(rf"\b{call.group(1)}\(\s*['\"]{re.escape(call.group(2))}['\"]", lines[line - 1])
        return at.start() + 1 if at else 0
    found = re.search(r"'(\w+)' is undefined", str(exc)) if isinstance(exc, jinja2.UndefinedError) else None
    if found is None or not 0 < line <= len(lines):
        return 0
    at = re.search(rf"(?<![\w.]){found.group(1)}\b", lines[line - 1])
    return at.start() + 1 if at else 0


def _find_line(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return 1


def pinned_contract(project: Project, current: Contract, version: int) -> Contract:
    """Version ``version`` of ``current``'s subject as published in the project's registry.

    Raises:
        UserError: that version was never published.
    """
    from sqlingest.registry.file_store import FileStore

    store = FileStore(project.root)
    try:
        published = store.get(current.key, version)
    except UserError as exc:
        raise UserError(f"contract {current.key} v{version} is not published: {exc.message}",
                        hint="`sqlingest contracts list` shows the published versions") from None
    pinned = Contract.model_validate(published.contract)
    pinned.path, pinned.location = current.path, current.location
    return pinned
