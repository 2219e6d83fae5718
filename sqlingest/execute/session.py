"""SparkSession for a target: jars from the manifest, Iceberg and Delta extensions, the target's catalog."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlingest.catalogs import Catalog
from sqlingest.execute.scratch import clean_leftovers, java_options, scratch_conf, scratch_dir
from sqlingest.jvm import ensure_jars
from sqlingest.project.config import SparkConfig

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EXTENSIONS = ("org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions,"
              "io.delta.sql.DeltaSparkSessionExtension")

BASE_CONF = {
    "spark.sql.extensions": EXTENSIONS,
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "true",
    # AQE would prune an empty MERGE source together with the runner's Observation, whose result then never
    # arrives; keep empty relations in the plan.
    "spark.sql.adaptive.optimizer.excludedRules":
        "org.apache.spark.sql.execution.adaptive.AQEPropagateEmptyRelation",
    "spark.databricks.delta.schema.autoMerge.enabled": "false",
}


def session_conf(spark: SparkConfig, catalog: Catalog | None, *, scratch: Path | None = None,
                 extra: Iterable[Catalog] = ()) -> dict[str, str]:
    """Every configuration value the session is built with (the target's own ``conf`` wins). ``scratch``: the
    folder for Spark's local files (jar copies, block manager, Hive scratch; ``execute/scratch.py``). Without a
    catalog (model unit tests) only the session's in-memory catalog is there."""
    conf = server_conf()
    conf["spark.driver.extraJavaOptions"] += _log_options()
    if scratch is not None:
        conf.update(scratch_conf(scratch))
        conf["spark.driver.extraJavaOptions"] += " " + java_options(scratch)
    if spark.driver_memory:
        conf["spark.driver.memory"] = spark.driver_memory
    if catalog is not None:
        conf.update(catalog.spark_conf())
    for each in extra:  # the domains' own catalogs: their catalog entries only (never the session-wide ones)
        own = f"spark.sql.catalog.{each.name}"
        conf.update({k: v for k, v in each.spark_conf().items() if k == own or k.startswith(own + ".")})
    conf.update(spark.conf)
    conf.update(_redaction_conf(conf))
    return conf


def server_conf(extra_jars: list[Path] | None = None) -> dict[str, str]:
    """The static part of every sqlingest session: the SQL extensions, the manifest's jars (and ``extra_jars``) as
    ``spark.jars`` — shipped by the driver to every executor, so a cluster's workers need no jars of their own — and
    on the driver's class path, the log configuration. Also the command line of the Connect server
    (:func:`sqlingest.services.spark.start_connect`), whose sessions cannot set static configuration."""
    jars = [str(j) for j in [*ensure_jars(), *(extra_jars or [])]]
    conf = dict(BASE_CONF)
    conf["spark.jars"] = ",".join(jars)
    # JDBC drivers must be visible to DriverManager: put every jar on the driver's own class path too.
    conf["spark.driver.extraClassPath"] = os.pathsep.join(jars)
    log4j = os.environ.get("SQLINGEST_LOG4J") or str(Path(__file__).parent.parent / "jvm" / "log4j2.properties")
    conf["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log4j}"
    return conf


def _log_options() -> str:
    """JVM log levels: errors only by default; through sqlingest's log pipe (the CLI) WARN, or INFO with --verbose,
    failed tasks included (into ``.sqlingest/logs/<run_id>.log``, not the console)."""
    from sqlingest.output import settings

    if not settings.active:
        return ""
    level = settings.jvm_level.lower()
    return f" -Dsqlingest.log.level={level} -Dsqlingest.log.tasks={level}"


def _redaction_conf(conf: dict[str, str]) -> dict[str, str]:
    """Spark's own redaction extended with the project's secret values: a configuration entry whose key or value
    matches ``spark.redaction.regex`` is shown as ``*********(redacted)`` (environment page, event logs, some
    errors); ``spark.redaction.string.regex`` masks matches in SQL plans and statements Spark prints."""
    import re

    from sqlingest.errors import secret_values

    values = secret_values()
    if not values:
        return {}
    # \Q…\E (Java's literal quoting) keeps each value verbatim: the entry's own value then matches and is redacted
    quoted = "|".join(f"\\Q{v}\\E" if "\\E" not in v else re.escape(v) for v in sorted(values, key=len, reverse=True))
    keys = conf.get("spark.redaction.regex", r"(?i)secret|password|token|access[.]key")
    strings = conf.get("spark.redaction.string.regex")
    return {"spark.redaction.regex": f"{keys}|{quoted}",
            "spark.redaction.string.regex": f"{strings}|{quoted}" if strings else quoted}


def build_session(spark: SparkConfig, catalog: Catalog | None, *, extra: Iterable[Catalog] = (),
                  state_dir: Path | None = None) -> SparkSession:
    """Get (or create) the SparkSession for a target (``extra``: more catalogs to register, e.g. the domains' own,
    :attr:`Plan.domain_catalogs <sqlingest.plan.Plan.domain_catalogs>`). An existing active session is reused as it
    is, with catalogs it has not seen yet added."""
    from pyspark.sql import SparkSession

    # without a catalog (model unit tests: sqlingest.unittests) Spark's in-memory catalog only; scratch files under
    # ``state_dir``
    catalogs = [c for c in (catalog, *extra) if c is not None]
    state = catalog.state_dir if catalog is not None else state_dir
    assert state is not None, "build_session without a catalog needs state_dir"

    local = spark.master.startswith("local") and not spark.remote
    if local:  # the scratch folders of killed runs (execute/scratch.py)
        clean_leftovers(state)
    active = SparkSession.getActiveSession()
    if active is not None:
        if catalog is None:
            return active
        # Catalog plugins load lazily by name: a catalog this session has not seen yet can still be added.
        for each in catalogs:
            for key, value in each.spark_conf().items():
                if key.startswith("spark.sql.catalog.") and not key.startswith("spark.sql.catalog.spark_catalog") \
                        and active.conf.get(key, None) is None:
                    active.conf.set(key, value)
            each.prepare()
        return active
    for each in catalogs:
        each.prepare()
    # Local Spark binds to loopback: no warning about the host name, no traffic off the machine.
    # A cluster driver binds where the target says (spark.driver.host: its executors connect back to it).
    if spark.master.startswith("local") or spark.conf.get("spark.driver.host"):
        os.environ.setdefault("SPARK_LOCAL_IP", spark.conf.get("spark.driver.host", "127.0.0.1"))
    builder = SparkSession.builder.appName(spark.app_name)
    if spark.remote:
        builder = builder.remote(spark.remote)
    else:
        builder = builder.master(spark.master)
    # a local driver's scratch files live under the state folder, not the system temp dir
    scratch = scratch_dir(state) if local else None
    conf = session_conf(spark, catalog, scratch=scratch, extra=list(extra))
    from sqlingest.output import launch_gateway, settings

    if settings.active and not spark.remote:
        launch_gateway(conf)  # the JVM's output through the redacting log pipe; secrets off its command line
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(settings.jvm_level)
    return session
