"""OpenLineage events for every model run, with the ``openlineage-python`` client and its standard transports.

Each model run is a job run (job ``<model>`` in the jobs' namespace) whose parent is the build's run (job
``<project>.<command>``): START when the model starts, COMPLETE or FAIL when it ends, ABORT when it is skipped
(an upstream model failed, ``--fail-fast``) or the build is interrupted, RUNNING after each streaming micro-batch.
Datasets are the catalog's tables (namespace ``<catalog type>://<catalog name>``, name ``<namespace>.<table>``)
and the sources' files or topics; the output carries the contract's schema, the column lineage the compiler
computes (``sqlingest/lineage.py``: through MERGE, SCD2 and the quarantine table, which is a second output), the
checks as data-quality assertions and the row counts as data-quality metrics. Every string taken from the project
(SQL, messages, paths) is redacted first: secrets never reach an event.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import redact
from sqlingest.lineage import (
    ColumnRef,
    column_lineage,
    has_quarantine,
    quarantine_lineage,
    table_columns,
    table_lineage,
)
from sqlingest.project.layers import QUARANTINE_COLUMNS, QUARANTINE_SUFFIX

if TYPE_CHECKING:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, OutputDataset, RunEvent

    from sqlingest.plan import Plan, PlannedModel
    from sqlingest.project.contract import Contract
    from sqlingest.runs import ModelResult, RunRecord

PRODUCER = "https://github.com/sqlingest/sqlingest"
log = logging.getLogger("sqlingest.openlineage")


def configured(project_root: Path, target: Any) -> bool:
    """Whether this run emits OpenLineage events: the target says so, or the client's standard configuration is
    present (``OPENLINEAGE_URL``, ``OPENLINEAGE__TRANSPORT__*``, ``OPENLINEAGE_CONFIG``, an ``openlineage.yml`` in
    the project or the working folder). ``OPENLINEAGE_DISABLED=true`` turns it off."""
    if os.environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return False
    setting = getattr(target, "openlineage", None)
    if setting is not None:
        return bool(setting.enabled)
    return bool(os.environ.get("OPENLINEAGE_URL") or os.environ.get("OPENLINEAGE_CONFIG")
                or any(k.startswith("OPENLINEAGE__TRANSPORT__") for k in os.environ)
                or (project_root / "openlineage.yml").is_file() or Path("openlineage.yml").is_file())


def make_client(project_root: Path, target: Any) -> OpenLineageClient:
    """The client, configured the standard ways; the target's ``openlineage.transport`` comes first, then
    ``openlineage.yml`` in the project (when ``OPENLINEAGE_CONFIG`` does not name another), then the client's own
    lookup (``OPENLINEAGE_CONFIG``, ./openlineage.yml, ``OPENLINEAGE__*``, ``OPENLINEAGE_URL``)."""
    import yaml
    from openlineage.client import OpenLineageClient

    config: dict[str, Any] = {}
    own = project_root / "openlineage.yml"
    if own.is_file() and not os.environ.get("OPENLINEAGE_CONFIG") and \
            Path("openlineage.yml").resolve() != own.resolve():
        config = yaml.safe_load(own.read_text(encoding="utf-8")) or {}
    setting = getattr(target, "openlineage", None)
    if setting is not None and setting.transport:
        config = {**config, "transport": dict(setting.transport)}
    return OpenLineageClient(config=config or None)


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "sqlingest:" + ":".join(parts)))


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class DatasetName:
    namespace: str
    name: str


class LineageEmitter:
    """Builds and emits the events of one run (``sqlingest build|run|test|stream``)."""

    def __init__(self, plan: Plan, record: RunRecord, client: OpenLineageClient, *, command: str) -> None:
        from sqlingest import __version__

        self.plan = plan
        self.record = record
        self.client = client
        project = plan.project
        setting = getattr(project.target, "openlineage", None)
        self.namespace = (setting.namespace if setting and setting.namespace else None) or \
            os.environ.get("OPENLINEAGE_NAMESPACE") or project.name
        catalog = plan.catalog.config
        self.dataset_namespace = (setting.dataset_namespace if setting and setting.dataset_namespace else None) or \
            f"{catalog.type}://{catalog.name}"
        self.version = __version__
        self.parent_job = f"{project.name}.{command}"
        self.parent_run = _uuid(record.run_id)
        self.lineage = column_lineage(plan)
        self.quarantine = quarantine_lineage(plan, self.lineage)
        self.tables = table_lineage(plan)
        self.sources: dict[str, Contract] = {c.key: c for pm in plan.models.values() for c in pm.rendered.sources}
        self.started: set[str] = set()
        self.finished: set[str] = set()
        self.problems: list[str] = []

    # ---- naming ----
    def model_dataset(self, pm: PlannedModel, *, quarantine: bool = False) -> DatasetName:
        return DatasetName(self.dataset_namespace,
                           f"{pm.namespace}.{pm.table}{QUARANTINE_SUFFIX if quarantine else ''}")

    def dataset(self, name: str) -> DatasetName:
        """A lineage dataset (model name, ``source:…`` key, other relation) as an OpenLineage dataset."""
        if name in self.plan.models:
            return self.model_dataset(self.plan.models[name])
        if name.endswith(QUARANTINE_SUFFIX) and name[:-len(QUARANTINE_SUFFIX)] in self.plan.models:
            return self.model_dataset(self.plan.models[name[:-len(QUARANTINE_SUFFIX)]], quarantine=True)
        contract = self.sources.get(name)
        if contract is not None:
            return self.source_dataset(contract)
        return DatasetName(self.dataset_namespace, redact(name))

    def source_dataset(self, contract: Contract) -> DatasetName:
        spec = contract.source
        fmt = spec.format if spec else "source"
        if spec is not None and spec.path:
            path = Path(spec.path)
            full = path if path.is_absolute() or "://" in spec.path else self.plan.project.root / path
            text = str(full)
            if "://" in text:
                scheme, rest = text.split("://", 1)
                host, _, tail = rest.partition("/")
                return DatasetName(redact(f"{scheme}://{host}"), redact("/" + tail))
            return DatasetName("file", redact(text))
        options = {**(spec.options if spec else {}), **(spec.extra if spec else {})}
        if fmt == "kafka":
            servers = str(options.get("kafka.bootstrap.servers") or options.get("bootstrap_servers") or "kafka")
            topic = str(options.get("subscribe") or options.get("topic") or contract.dataset)
            return DatasetName(redact(f"kafka://{servers.split(',')[0]}"), redact(topic))
        return DatasetName(f"{fmt}://{self.plan.project.name}", contract.name)

    # ---- facets ----
    def schema_facet(self, columns: list[tuple[str, str | None]], descriptions: dict[str, str] | None = None) -> Any:
        from openlineage.client.generated.schema_dataset import SchemaDatasetFacet, SchemaDatasetFacetFields

        return SchemaDatasetFacet(fields=[
            SchemaDatasetFacetFields(name=n, type=t, description=(descriptions or {}).get(n), ordinal_position=i)
            for i, (n, t) in enumerate(columns, 1)])

    def column_lineage_facet(self, lineage: dict[str, frozenset[ColumnRef]]) -> Any:
        from openlineage.client.generated.column_lineage_dataset import ColumnLineageDatasetFacet, Fields, InputField

        fields = {}
        for col, refs in lineage.items():
            if not refs:
                continue
            inputs = []
            for ref in sorted(refs):
                ds = self.dataset(ref.dataset)
                inputs.append(InputField(namespace=ds.namespace, name=ds.name, field=ref.column))
            fields[col] = Fields(inputFields=inputs)
        return ColumnLineageDatasetFacet(fields=fields)

    def inputs(self, pm: PlannedModel) -> list[InputDataset]:
        from openlineage.client.event_v2 import InputDataset

        out = []
        for name in sorted(self.tables.get(pm.name, ())):
            ds = self.dataset(name)
            facets: dict[str, Any] = {}
            if name in self.plan.models:
                facets["schema"] = self.schema_facet(table_columns(self.plan.models[name]))
                facets["catalog"] = self.catalog_facet(self.plan.models[name])
            elif name in self.sources:
                contract = self.sources[name]
                facets["schema"] = self.schema_facet([(c.name, c.type) for c in contract.columns],
                                                     {c.name: str(c.description) for c in contract.columns
                                                      if getattr(c, "description", None)})
            out.append(InputDataset(namespace=ds.namespace, name=ds.name, facets=facets))
        return out

    def catalog_facet(self, pm: PlannedModel) -> Any:
        from openlineage.client.generated.catalog_dataset import CatalogDatasetFacet

        cat = self.plan.catalog.config
        warehouse = cat.options.get("warehouse")
        return CatalogDatasetFacet(framework=pm.format.name, type=cat.type, name=cat.name,
                                   warehouseUri=redact(str(warehouse)) if warehouse else None, source="spark")

    def outputs(self, pm: PlannedModel, result: ModelResult | None) -> list[OutputDataset]:
        from openlineage.client.event_v2 import OutputDataset
        from openlineage.client.generated.output_statistics_output_dataset import OutputStatisticsOutputDatasetFacet

        contract = pm.contract
        descriptions = {c.name: str(c.description) for c in contract.columns if getattr(c, "description", None)} \
            if contract else {}
        facets: dict[str, Any] = {"schema": self.schema_facet(table_columns(pm), descriptions),
                                  "columnLineage": self.column_lineage_facet(self.lineage.get(pm.name, {})),
                                  "catalog": self.catalog_facet(pm)}
        output_facets: dict[str, Any] = {}
        if result is not None and result.status in ("success", "warn"):
            if result.checks:
                facets["dataQualityAssertions"] = self.assertions_facet(result)
            facets["dataQualityMetrics"] = self.metrics_facet(result)
            if result.rows_written is not None:
                output_facets["outputStatistics"] = OutputStatisticsOutputDatasetFacet(rowCount=result.rows_written)
        ds = self.model_dataset(pm)
        out = [OutputDataset(namespace=ds.namespace, name=ds.name, facets=facets, outputFacets=output_facets)]
        if has_quarantine(pm):
            q = self.model_dataset(pm, quarantine=True)
            q_facets: dict[str, Any] = {
                "schema": self.schema_facet(list(QUARANTINE_COLUMNS)),
                "columnLineage": self.column_lineage_facet(self.quarantine.get(pm.name + QUARANTINE_SUFFIX, {}))}
            q_out: dict[str, Any] = {}
            if result is not None and result.rows_quarantined is not None:
                q_out["outputStatistics"] = OutputStatisticsOutputDatasetFacet(rowCount=result.rows_quarantined)
            out.append(OutputDataset(namespace=q.namespace, name=q.name, facets=q_facets, outputFacets=q_out))
        return out

    def assertions_facet(self, result: ModelResult) -> Any:
        from openlineage.client.generated.data_quality_assertions_dataset import (
            Assertion,
            DataQualityAssertionsDatasetFacet,
        )

        assertions = []
        for check in result.checks:
            value = check.value
            assertions.append(Assertion(
                assertion=check.type or check.name.partition("(")[0], success=check.outcome == "pass",
                column=check.column, severity=check.severity, name=redact(check.name),
                description=redact(check.message) or None, actual=None if value is None else redact(str(value))))
        return DataQualityAssertionsDatasetFacet(assertions=assertions)

    def metrics_facet(self, result: ModelResult) -> Any:
        from openlineage.client.generated.data_quality_metrics_dataset import DataQualityMetricsDatasetFacet

        return DataQualityMetricsDatasetFacet(columnMetrics={}, rowCount=result.rows_written, captureDate=_now())

    # ---- events ----
    def event(self, state: str, pm: PlannedModel | None, result: ModelResult | None,
              *, message: str | None = None) -> RunEvent:
        from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
        from openlineage.client.generated.error_message_run import ErrorMessageRunFacet
        from openlineage.client.generated.job_type_job import JobTypeJobFacet
        from openlineage.client.generated.parent_run import Job as ParentJob
        from openlineage.client.generated.parent_run import ParentRunFacet, Root, RootJob, RootRun
        from openlineage.client.generated.parent_run import Run as ParentRun
        from openlineage.client.generated.processing_engine_run import ProcessingEngineRunFacet
        from openlineage.client.generated.sql_job import SQLJobFacet

        run_facets: dict[str, Any] = {"processing_engine": ProcessingEngineRunFacet(
            version=self.version, name="sqlingest", openlineageAdapterVersion=self.version)}
        job_facets: dict[str, Any] = {}
        inputs: list[Any] = []
        outputs: list[Any] = []
        if pm is None:  # the build itself
            run_id, job_name = self.parent_run, self.parent_job
            job_facets["jobType"] = JobTypeJobFacet(processingType="BATCH", integration="SQLINGEST", jobType="JOB")
        else:
            run_id, job_name = _uuid(self.record.run_id, pm.name), pm.name
            run_facets["parent"] = ParentRunFacet(
                run=ParentRun(runId=self.parent_run), job=ParentJob(namespace=self.namespace, name=self.parent_job),
                root=Root(run=RootRun(runId=self.parent_run),
                          job=RootJob(namespace=self.namespace, name=self.parent_job)))
            streaming = pm.streaming
            job_facets["jobType"] = JobTypeJobFacet(processingType="STREAMING" if streaming else "BATCH",
                                                    integration="SQLINGEST", jobType="MODEL")
            job_facets["sql"] = SQLJobFacet(query=redact(pm.rendered.sql.strip()), dialect="spark")
            inputs = self.inputs(pm)
            outputs = self.outputs(pm, result)
        if message:
            run_facets["errorMessage"] = ErrorMessageRunFacet(message=redact(message), programmingLanguage="SQL")
        return RunEvent(eventType=RunState[state], eventTime=_now(), run=Run(runId=run_id, facets=run_facets),
                        job=Job(namespace=self.namespace, name=job_name, facets=job_facets), producer=PRODUCER,
                        inputs=inputs, outputs=outputs)

    def emit(self, event: RunEvent) -> None:
        try:
            self.client.emit(event)
        except Exception as exc:  # noqa: BLE001 — a lineage backend that is down never fails the build
            state = getattr(event.eventType, "value", "")
            problem = f"OpenLineage: could not emit {state} for {event.job.name}: {redact(str(exc))}"
            log.warning(problem)
            self.problems.append(problem)

    def start_build(self) -> None:
        self.emit(self.event("START", None, None))

    def __call__(self, kind: str, pm: PlannedModel, result: ModelResult | None) -> None:
        if kind == "start":
            self.started.add(pm.name)
            self.emit(self.event("START", pm, None))
        elif kind == "skip":  # every run has one START and one of COMPLETE / FAIL / ABORT
            if pm.name not in self.started:
                self.started.add(pm.name)
                self.emit(self.event("START", pm, None))
            self.finished.add(pm.name)
            self.emit(self.event("ABORT", pm, result, message=result.error if result else None))
        elif kind == "batch":
            self.emit(self.event("RUNNING", pm, result))
        elif kind == "end" and result is not None:
            self.finished.add(pm.name)
            failed = result.status == "error"
            self.emit(self.event("FAIL" if failed else "COMPLETE", pm, result,
                                 message=result.error if failed else None))

    def finish_build(self, record: RunRecord) -> None:
        failed = [m.name for m in record.models if m.status == "error"]
        self.emit(self.event("FAIL" if failed else "COMPLETE", None, None,
                             message=f"failed: {', '.join(failed)}" if failed else None))
        self.close()

    def abort(self, reason: str) -> None:
        """The build was interrupted: ABORT every model run still open, then the build."""
        for name in sorted(self.started - self.finished):
            self.emit(self.event("ABORT", self.plan.models[name], None, message=reason))
            self.finished.add(name)
        self.emit(self.event("ABORT", None, None, message=reason))
        self.close()

    def close(self) -> None:
        try:
            self.client.close(timeout=10.0)
        except Exception as exc:  # noqa: BLE001
            self.problems.append(f"OpenLineage: {redact(str(exc))}")
