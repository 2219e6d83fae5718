"""Typed models for ``sqlingest.yml``: targets, catalogs, layers, vars, secret providers.

Unknown keys are errors (``extra="forbid"``); each plug point is a discriminated union keyed by ``type:``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sqlingest.formats import check_format_name

Layer = Literal["bronze", "silver", "gold"]
LAYERS: tuple[Layer, ...] = ("bronze", "silver", "gold")
#: a table format registered in :data:`sqlingest.formats.FORMATS` (a built-in, an entry point, a dotted path)
FormatName = Annotated[str, AfterValidator(check_format_name)]
AlertOn = Literal["fail", "warn", "error", "slo"]
_ALERT_ON: tuple[AlertOn, ...] = ("fail", "error", "slo")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SparkConfig(Strict):
    """How to get a SparkSession: master URL (or Spark Connect ``remote``) and extra conf."""

    master: str = "local[*]"
    remote: str | None = None
    app_name: str = "sqlingest"
    driver_memory: str | None = "2g"
    conf: dict[str, str] = Field(default_factory=dict)


class CatalogConfig(Strict):
    """A catalog; ``type`` selects the adapter (built-in or ``package.module.Class``), other keys are its options.

    ``name`` is the Spark catalog name tables are created in (``<name>.<namespace>.<table>``).
    """

    model_config = ConfigDict(extra="allow")
    type: str = "iceberg_jdbc"
    name: str = "lake"

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class OpenLineageConfig(Strict):
    """OpenLineage events for every model run (docs/observability.md). ``transport`` is the client's own transport
    configuration (``{type: http, url: …}``, ``file``, ``console``, ``kafka``, ``composite``…); without it the client's
    standard configuration applies (``openlineage.yml``, ``OPENLINEAGE_URL``, ``OPENLINEAGE__TRANSPORT__*``)."""

    enabled: bool = True
    transport: dict[str, Any] | None = None
    #: the jobs' namespace (default: ``OPENLINEAGE_NAMESPACE``, else the project's name)
    namespace: str | None = None
    #: the namespace of the tables' datasets (default: ``<catalog type>://<catalog name>``)
    dataset_namespace: str | None = None


class MetricsConfig(Strict):
    """Run metrics for monitoring systems: a Prometheus textfile, a Pushgateway push, OTLP/HTTP."""

    #: a Prometheus text-format file rewritten after every run (node-exporter textfile collector)
    file: str | None = None
    #: a Pushgateway-compatible endpoint (``http://host:9091``)
    pushgateway: str | None = None
    #: the Pushgateway job name
    job: str = "sqlingest"
    #: an OTLP/HTTP metrics endpoint (``http://collector:4318/v1/metrics``)
    otlp: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = 10.0


class TargetConfig(Strict):
    """One environment (dev, stage, prod…): where Spark runs, which catalog, which default table format."""

    spark: SparkConfig = Field(default_factory=SparkConfig)
    catalog: CatalogConfig = Field(default_factory=CatalogConfig)
    format: FormatName = "iceberg"
    threads: int = Field(default=1, ge=1, le=32)
    #: replacements for materializations the target's table format cannot run, declared explicitly:
    #: ``{merge: rebuild}`` rebuilds such a model's table in full on every run (docs/catalogs.md)
    fallbacks: dict[Literal["merge", "scd1", "scd2", "insert_overwrite"], Literal["rebuild"]] = \
        Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)
    #: where streaming models keep their checkpoints (one folder per model); default: <state_dir>/checkpoints/<target>
    checkpoints: str | None = None
    #: OpenLineage events of this target's runs (also enabled by the client's own configuration)
    openlineage: OpenLineageConfig | None = None
    #: metrics of this target's runs (Prometheus textfile / Pushgateway, OTLP)
    metrics: MetricsConfig | None = None


class LayerConfig(Strict):
    """The contract of a layer: every dataset in it inherits these rules and may tighten them, never loosen them.

    ``namespace`` may use ``{layer}``, ``{domain}`` and ``{project}``.
    """

    namespace: str | None = None
    strict: bool | None = None
    materializations: list[str] | None = None
    require_contract: bool | None = None
    require_keys: bool | None = None
    #: checks every business-key column must carry (``primary_key`` on the key covers not_null and unique)
    key_checks: list[str] | None = None
    require_descriptions: bool | None = None
    #: a regular expression table names must match
    table_pattern: str | None = None


LAYER_DEFAULTS: dict[str, dict[str, object]] = {
    "bronze": {"strict": False, "require_contract": False, "require_keys": False, "key_checks": [],
               "require_descriptions": False},
    "silver": {"strict": True, "require_contract": True, "require_keys": True,
               "key_checks": ["not_null", "unique"], "require_descriptions": False},
    "gold": {"strict": True, "require_contract": True, "require_keys": False, "key_checks": [],
             "require_descriptions": False},
}


class SecretProviderConfig(Strict):
    model_config = ConfigDict(extra="allow")
    type: str

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class SmtpConfig(Strict):
    """The mail server an ``email`` alert is sent through."""

    host: str = "localhost"
    port: int = 25
    user: str | None = None
    password: str | None = None
    #: upgrade the connection with STARTTLS (port 587); ``ssl`` connects over TLS from the start (port 465)
    starttls: bool = False
    ssl: bool = False


class AlertConfig(Strict):
    """Where to tell people about failed or warned checks and failed models: a JSON POST (``webhook``), a Slack
    incoming webhook (``slack``) or a mail (``email``), for the kinds in ``on`` (the severity) of the datasets of
    ``owners`` / ``domains`` (the contracts' ``owner`` and domain; empty: every dataset)."""

    type: Literal["webhook", "slack", "email"] = "webhook"
    url: str | None = None
    on: list[AlertOn] = Field(default_factory=lambda: list(_ALERT_ON))
    owners: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = 10.0
    # email
    smtp: SmtpConfig | None = None
    to: list[str] = Field(default_factory=list)
    sender: str = "sqlingest@localhost"

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        """YAML 1.1 reads an unquoted ``on:`` key as the boolean true: take it as ``on``."""
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _complete(self) -> AlertConfig:
        if self.type in ("webhook", "slack") and not self.url:
            raise ValueError(f"a {self.type} alert needs a url")
        if self.type == "email" and not self.to:
            raise ValueError("an email alert needs 'to' (a list of addresses)")
        return self


Access = Literal["public", "protected", "private"]


class DomainDefaults(Strict):
    """What every dataset of a domain inherits; a contract may tighten each, never loosen it."""

    #: the table format every dataset uses (a contract may not choose another)
    format: FormatName | None = None
    #: partition columns per layer: a dataset of that layer partitions by at least these
    partitioned_by: dict[Layer, list[str]] = Field(default_factory=dict)
    #: schema evolution: ``additive`` (BACKWARD_TRANSITIVE), ``strict`` (FULL_TRANSITIVE) or a registry mode
    evolution: str | None = None
    #: table properties every dataset has, with these values (a contract may add others)
    properties: dict[str, str] = Field(default_factory=dict)
    #: the longest a dataset may keep its data, in days (a contract may keep less)
    retention_days: int | None = Field(default=None, ge=1)
    #: check types every dataset (bronze, silver, gold) must carry at least once
    required_checks: list[str] = Field(default_factory=list)
    #: the access of a dataset whose contract does not declare one
    access: Access = "protected"


class CompletenessSlo(Strict):
    """Completeness beyond a row count: rows in each recent period of a column (``per``), or the share of another
    dataset's keys this one holds (``vs``)."""

    #: a model (``bronze.orders``) whose keys this dataset must hold, at least ``min_ratio`` of them
    vs: str | None = None
    min_ratio: float = Field(default=1.0, gt=0, le=1)
    #: the columns counted distinct on both sides (default: the business key when both sides have it, else rows)
    key: list[str] | None = None
    #: rows per period: each of the last ``periods`` complete periods of ``column`` has at least ``min_rows`` rows
    column: str | None = None
    per: Literal["hour", "day", "week", "month"] | None = None
    min_rows: int = Field(default=1, ge=0)
    periods: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _one_kind(self) -> CompletenessSlo:
        if (self.vs is None) == (self.per is None):
            raise ValueError("completeness needs either vs: <model> or per: hour|day|week|month (with column:)")
        if self.per is not None and not self.column:
            raise ValueError("completeness per period needs column: (the timestamp or date column to count by)")
        return self


class SloConfig(Strict):
    """Service level objectives of a domain (every dataset) or of one dataset (``slos.datasets``)."""

    #: the newest row (by ``freshness_column``, else the build time) is at most this old: ``6h``, ``2d``, ``30m``
    freshness: str | None = None
    freshness_column: str | None = None
    #: at least this many rows in the table
    min_rows: int | None = Field(default=None, ge=0)
    #: the last successful build finished by this time of day (UTC, ``HH:MM``)
    available_by: str | None = None
    #: the share of the dataset's checks that passed in its last run, at least (0..1)
    dq_pass_rate: float | None = Field(default=None, ge=0, le=1)
    #: rows per period of a column, or the keys of another dataset held (see :class:`CompletenessSlo`)
    completeness: CompletenessSlo | None = None


class DomainTargetConfig(Strict):
    """What a domain changes in one target of the project: its own connection to the target's catalog service."""

    #: catalog options over the target's (``user``, ``password``, ``token``, ``uri``…; ``env_var``/``secret`` may be
    #: used). The domain's tables then live in their own Spark catalog, ``name`` (default ``<catalog>_<domain>``),
    #: reached with these options; the domain's models write and read through it.
    catalog: dict[str, Any] = Field(default_factory=dict)


class DomainConfig(Strict):
    """A domain: who owns it, where its alerts go, the defaults its datasets inherit, its namespaces and access."""

    name: str | None = None
    description: str | None = None
    owners: list[str] = Field(default_factory=list)
    #: where the domain's alerts (failed checks and models, SLO breaches) go, besides the project's
    alerts: list[AlertConfig] = Field(default_factory=list)
    #: contract names (globs, ``retail.*``) that belong to the domain besides ``<domain>.*``
    datasets: list[str] = Field(default_factory=list)
    defaults: DomainDefaults = Field(default_factory=DomainDefaults)
    #: namespace per layer (may use ``{layer}``, ``{domain}``, ``{project}``); a dataset writes only there
    namespaces: dict[Layer, str] = Field(default_factory=dict)
    #: domains (or teams) that read this domain's public datasets (docs and lineage)
    consumers: list[str] = Field(default_factory=list)
    #: secret names only this domain's models may read
    secrets: list[str] = Field(default_factory=list)
    slos: SloConfig = Field(default_factory=SloConfig)
    #: per-dataset SLOs (dataset name → objectives), over the domain's
    dataset_slos: dict[str, SloConfig] = Field(default_factory=dict)
    #: per target (by name): the domain's own catalog connection (credentials), see :class:`DomainTargetConfig`
    targets: dict[str, DomainTargetConfig] = Field(default_factory=dict)


class ProjectConfig(Strict):
    """The whole of ``sqlingest.yml``."""

    name: str
    version: str | int = 1
    default_target: str = "dev"
    state_dir: str = ".sqlingest"
    vars: dict[str, Any] = Field(default_factory=dict)
    targets: dict[str, TargetConfig] = Field(default_factory=lambda: {"dev": TargetConfig()})
    layers: dict[Layer, LayerConfig] = Field(default_factory=dict)
    secrets: list[SecretProviderConfig] = Field(default_factory=list)
    alerts: list[AlertConfig] = Field(default_factory=list)
    #: domains declared inline (more in ``domains/<name>.yml``)
    domains: dict[str, DomainConfig] = Field(default_factory=dict)
    #: functions the project's Spark sessions know besides Spark's own (UDFs registered by an extension, Hive
    #: functions): name → {args: 1 | [1, 2] | "1+", returns: type, kind: scalar|aggregate|window|generator}
    functions: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def layer(self, layer: str) -> LayerConfig:
        """The configuration of ``layer`` with defaults filled in."""
        cfg = self.layers.get(layer) or LayerConfig()  # type: ignore[call-overload]
        values = {**LAYER_DEFAULTS.get(layer, {}), **cfg.model_dump(exclude_none=True)}
        values.setdefault("namespace", layer)
        return LayerConfig(**values)
