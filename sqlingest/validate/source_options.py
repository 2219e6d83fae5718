"""A source contract's ``source:`` section validated at compile time: every key is one its reader uses.

Unknown keys (at the ``source:`` level or under ``options:``) are located errors with a "did you mean" hint — no
option is ever ignored silently. Spark options are matched case-insensitively, as Spark does. Readers plugged in
from other packages are not checked (their keys are their own). ``docs/sources.md`` lists the same keys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from sqlingest.errors import ContractError, Location, UserError
from sqlingest.project.contract import Contract

#: Spark's generic file source options (Spark 3.5), honoured when files are listed and read
FILE_GENERIC = {"ignoreCorruptFiles", "ignoreMissingFiles", "pathGlobFilter", "recursiveFileLookup",
                "modifiedBefore", "modifiedAfter"}
#: Spark reader options each file format passes to Spark (the others of the format have no effect, see below)
SPARK_FILE_OPTIONS: dict[str, set[str]] = {
    "csv": FILE_GENERIC | {"sep", "delimiter", "encoding", "charset", "quote", "escape", "charToEscapeQuoteEscaping",
                           "comment", "header", "ignoreLeadingWhiteSpace", "ignoreTrailingWhiteSpace", "nullValue",
                           "emptyValue", "maxColumns", "maxCharsPerColumn", "multiLine", "lineSep",
                           "unescapedQuoteHandling"},
    "json": FILE_GENERIC | {"lineSep"},
    "debezium": FILE_GENERIC | {"lineSep"},
    "parquet": FILE_GENERIC | {"mergeSchema", "datetimeRebaseMode", "int96RebaseMode"},
    "avro": FILE_GENERIC | {"avroSchema", "ignoreExtension", "datetimeRebaseMode", "positionalFieldMatching"},
}
#: Spark options of the format that sqlingest's reader does not use, and why
_NO_EFFECT_TEXT = ("values are read as text and cast to the declared types with TRY_CAST (failures rescued)")
NO_EFFECT: dict[str, dict[str, str]] = {
    "csv": {k: _NO_EFFECT_TEXT for k in (
        "dateFormat", "timestampFormat", "timestampNTZFormat", "enableDateTimeParsingFallback", "locale",
        "nanValue", "positiveInf", "negativeInf", "preferDate", "samplingRatio")},
    "json": {k: "each line is decoded with from_json into text values, then cast to the declared types" for k in (
        "allowComments", "allowUnquotedFieldNames", "allowSingleQuotes", "allowNumericLeadingZeros",
        "allowBackslashEscapingAnyCharacter", "allowUnquotedControlChars", "allowNonNumericNumbers",
        "primitivesAsString", "prefersDecimal", "dropFieldIfAllNull", "encoding", "dateFormat", "timestampFormat",
        "timestampNTZFormat", "enableDateTimeParsingFallback", "locale", "samplingRatio", "timeZone")},
}
NO_EFFECT["json"]["multiLine"] = "multiLine JSON is not supported; use JSON lines (one object per line)"
NO_EFFECT["debezium"] = dict(NO_EFFECT["json"])
#: options sqlingest sets itself on every file read
_SET_BY_SQLINGEST = {"mode", "columnNameOfCorruptRecord", "enforceSchema", "inferSchema", "schema", "path",
                     "compression", "wholetext"}
#: sqlingest's own keys of each reader (besides format, path, options)
OWN_KEYS: dict[str, set[str]] = {
    "csv": {"max_files_per_trigger"},
    "json": {"max_files_per_trigger"},
    "parquet": set(),
    "avro": set(),
    "debezium": {"max_files_per_trigger", "cdc"},
    "jdbc": {"url", "table", "query", "user", "user_secret", "password_secret", "driver", "watermark",
             "partition_column", "lower_bound", "upper_bound", "num_partitions", "undeclared", "name"},
    "http": {"url", "params", "headers", "auth_secret", "auth_header", "auth_scheme", "records_path", "pagination",
             "max_retries", "backoff_seconds", "max_backoff_seconds", "timeout_seconds", "max_pages",
             "staging_dir"},
    "kafka": {"bootstrap_servers", "topic", "starting_offsets", "fail_on_data_loss", "metadata_columns",
              "envelope", "payload", "undecodable", "max_offsets_per_trigger", "jaas_secret", "subject", "cdc"},
    "kinesis": {"stream", "region", "endpoint_url", "access_key_id_secret", "secret_access_key_secret",
                "starting_position", "metadata_columns", "max_records_per_call", "max_calls_per_shard",
                "staging_dir"},
}
FILE_FORMATS = ("csv", "json", "parquet", "avro", "debezium")
#: Spark JDBC read options (Spark 3.5) a contract may pass under ``options:``
SPARK_JDBC = {"fetchsize", "queryTimeout", "sessionInitStatement", "prepareQuery", "customSchema",
              "pushDownPredicate", "pushDownAggregate", "pushDownLimit", "pushDownOffset", "pushDownTableSample",
              "keytab", "principal", "refreshKrb5Config", "connectionProvider", "preferTimestampNTZ"}
#: Spark JDBC options sqlingest derives from its own keys
_JDBC_DERIVED = {"dbtable": "table", "partitionColumn": "partition_column", "lowerBound": "lower_bound",
                 "upperBound": "upper_bound", "numPartitions": "num_partitions"}
_PAGINATION = {"type", "param", "size", "size_param", "start", "cursor_path", "next_path"}
_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "jdbc": {"undeclared": ("rescue", "ignore")},
    "kafka": {"starting_offsets": ("earliest", "latest"), "envelope": ("json", "debezium"),
              "payload": ("json", "avro"), "undecodable": ("rescue", "quarantine")},
    "kinesis": {"starting_position": ("TRIM_HORIZON", "LATEST")},
}
_METADATA = {"kafka": ("key", "timestamp", "topic", "partition", "offset"),
             "kinesis": ("partition_key", "arrival", "sequence", "shard")}
_PASSWORD_IN_URL = re.compile(r"password=", re.IGNORECASE)
#: credentials written literally: refused by the reader's own rule (with the way to do it right)
_REFUSED_BELOW = {"jdbc": ("password",), "kinesis": ("aws_secret_access_key", "secret_access_key")}


def check_source(contract: Contract) -> list[UserError]:
    """Every problem of ``contract``'s ``source:`` section (none when it has none or uses a plugged-in reader)."""
    spec = contract.source
    if spec is None:
        return []
    return _SourceRules(contract).run()


class _SourceRules:
    def __init__(self, contract: Contract) -> None:
        assert contract.source is not None
        self.contract = contract
        self.spec = contract.source
        self.fmt = self.spec.format
        self.raw: Any = getattr(self.spec, "_raw", None)
        self.errors: list[UserError] = []

    def where(self, *path: str) -> Location | None:
        node, best = self.raw, getattr(self.raw, "location", None) or self.contract.location
        for part in path:
            locations = getattr(node, "key_locations", None)
            if not isinstance(node, dict) or locations is None or part not in node:
                break
            best = locations.get(part, best)
            node = node[part]
        return best

    def error(self, message: str, *path: str, hint: str | None = None) -> None:
        self.errors.append(ContractError(f"source {self.contract.name}: {message}", location=self.where(*path),
                                         hint=hint))

    def option(self, name: str) -> tuple[Any, tuple[str, ...]]:
        """A key's value (the ``source:`` level wins over ``options:``) and where it was written."""
        extra = self.spec.extra
        if name in extra:
            return extra[name], (name,)
        if name in self.spec.options:
            return self.spec.options[name], ("options", name)
        return None, ()

    def run(self) -> list[UserError]:
        from sqlingest.sources import SOURCES

        builtin = self.fmt in OWN_KEYS
        if not builtin:
            names = SOURCES.names()
            if self.fmt not in names and "." not in self.fmt:
                close = difflib.get_close_matches(self.fmt, names, n=1)
                self.error(f"unknown source format '{self.fmt}'", "format",
                           hint=f"did you mean '{close[0]}'?" if close else f"formats: {', '.join(names)}")
            return self.errors
        if self.fmt in FILE_FORMATS:
            self.files()
        else:
            self.service()
        return self.errors

    # -- file sources --------------------------------------------------------------------------------
    def files(self) -> None:
        spark = SPARK_FILE_OPTIONS[self.fmt]
        own = OWN_KEYS[self.fmt]
        if not self.spec.path:
            self.error(f"'path' is required for {self.fmt} sources", "format",
                       hint="path: data/<folder>/*.<ext> (relative to the project, globs allowed)")
        for key in self.spec.extra:  # Spark options may be written at the source level too
            if key not in own:
                self.spark_file_option(key, (key,), candidates=[*own, *spark])
        for key in self.spec.options:
            if self.fmt == "debezium" and key == "cdc":
                continue
            self.spark_file_option(key, ("options", key), candidates=sorted(spark))
        if self.fmt == "debezium":
            self.cdc()

    def spark_file_option(self, key: str, path: tuple[str, ...], candidates: Iterable[str] | None = None) -> None:
        spark = SPARK_FILE_OPTIONS[self.fmt]
        lower = {k.lower() for k in spark}
        if key.lower() in lower:
            return
        no_effect = {k.lower(): why for k, why in NO_EFFECT.get(self.fmt, {}).items()}
        if key.lower() in no_effect:
            self.error(f"option '{key}' has no effect on {self.fmt} sources: {no_effect[key.lower()]}", *path)
            return
        if key in _SET_BY_SQLINGEST or key.lower() in {k.lower() for k in _SET_BY_SQLINGEST}:
            self.error(f"option '{key}' is set by sqlingest and cannot be given", *path,
                       hint="sqlingest reads with the contract's schema, PERMISSIVE, rescuing what does not fit")
            return
        pool = sorted(candidates if candidates is not None else spark)
        self.unknown(key, path, pool, f"{self.fmt} options: {', '.join(sorted(spark))}")

    def unknown(self, key: str, path: tuple[str, ...], pool: list[str], fallback: str) -> None:
        lowered = {p.lower(): p for p in pool}
        close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.7)
        where = "option" if path[0] == "options" else "key"
        self.error(f"unknown {where} '{key}' for {self.fmt} sources", *path,
                   hint=f"did you mean '{lowered[close[0]]}'?" if close else fallback)

    # -- service sources -----------------------------------------------------------------------------
    def service(self) -> None:
        own = OWN_KEYS[self.fmt]
        for key in self.spec.extra:
            if key in own:
                continue
            if key in _REFUSED_BELOW.get(self.fmt, ()):
                continue  # refused below with the right message
            pool = sorted(own | {"options"})
            hint = None
            if self.fmt == "jdbc" and key.lower() in {k.lower() for k in SPARK_JDBC}:
                hint = f"Spark JDBC options go under options: (options: {{{key}: …}})"
            if self.fmt == "kafka" and key.startswith("kafka."):
                hint = f"Kafka consumer settings go under options: (options: {{{key}: …}})"
            if hint:
                self.error(f"unknown key '{key}' for {self.fmt} sources", key, hint=hint)
            else:
                self.unknown(key, (key,), pool, f"{self.fmt} keys: {', '.join(sorted(own))}")
        for key in self.spec.options:
            self.service_option(key)
        self.choices()
        self.metadata_columns()
        getattr(self, "rule_" + self.fmt, lambda: None)()

    def service_option(self, key: str) -> None:
        own = OWN_KEYS[self.fmt]
        if key in own or key in _REFUSED_BELOW.get(self.fmt, ()):
            return
        if self.fmt == "jdbc":
            spark = {k.lower(): k for k in SPARK_JDBC}
            if key.lower() in spark:
                return
            derived = {k.lower(): v for k, v in _JDBC_DERIVED.items()}
            if key.lower() in derived:
                self.error(f"option '{key}' is set by sqlingest from '{derived[key.lower()]}'", "options", key,
                           hint=f"write {derived[key.lower()]}: … in the source section")
                return
            pool = {k.lower(): k for k in [*SPARK_JDBC, *own]}
            close = difflib.get_close_matches(key.lower(), list(pool), n=1, cutoff=0.8)
            if close:  # anything else is a JDBC driver connection property, passed through by Spark
                self.error(f"unknown option '{key}' for jdbc sources", "options", key,
                           hint=f"did you mean '{pool[close[0]]}'? (other keys are passed to the driver as "
                                "connection properties)")
            return
        if self.fmt == "kafka" and key.startswith("kafka."):
            return
        self.unknown(key, ("options", key), sorted(own),
                     f"{self.fmt} options: {', '.join(sorted(own))}" + (", kafka.*" if self.fmt == "kafka" else ""))

    def choices(self) -> None:
        for key, allowed in _CHOICES.get(self.fmt, {}).items():
            value, path = self.option(key)
            if value is not None and str(value) not in allowed:
                close = difflib.get_close_matches(str(value), allowed, n=1)
                self.error(f"{key} '{value}' is not one of {', '.join(allowed)}", *path,
                           hint=f"did you mean '{close[0]}'?" if close else None)

    def metadata_columns(self) -> None:
        fields = _METADATA.get(self.fmt)
        value, path = self.option("metadata_columns")
        if fields is None or value is None:
            return
        if not isinstance(value, dict):
            self.error("metadata_columns must map a message field to a declared column", *path)
            return
        for field, column in value.items():
            if field not in fields:
                close = difflib.get_close_matches(str(field), fields, n=1)
                self.error(f"metadata_columns: unknown field '{field}' ({', '.join(fields)})", *path, str(field),
                           hint=f"did you mean '{close[0]}'?" if close else None)
            elif self.contract.column(str(column)) is None:
                self.error(f"metadata_columns.{field}: '{column}' is not a declared column", *path, str(field))

    def cdc(self) -> None:
        from sqlingest.sources.cdc import cdc_options

        value, path = self.option("cdc")
        if value is None:
            return
        if not isinstance(value, dict):
            self.error("cdc must be a mapping (delete_flag, ordering, op, ordering_from)", *path)
            return
        try:
            cdc_options(self.contract, value)
        except UserError as exc:
            self.errors.append(ContractError(exc.message, location=self.where(*path), hint=exc.hint))

    # -- per reader ----------------------------------------------------------------------------------
    def rule_jdbc(self) -> None:
        url, path = self.option("url")
        if url is None:
            self.error("'url' is required for jdbc sources", "format")
        elif not str(url).startswith("jdbc:"):
            self.error(f"'url' must be a JDBC URL (jdbc:…), got '{str(url).split('?')[0]}'", *path)
        elif _PASSWORD_IN_URL.search(str(url)):
            self.error("the JDBC URL must not hold a password", *path,
                       hint="use 'password_secret: <secret name>' (env SQLINGEST_SECRET_<NAME> or a provider)")
        password, path = self.option("password")
        if password is not None:
            self.error("a literal 'password' is not allowed", *path,
                       hint="use 'password_secret: <secret name>' (env SQLINGEST_SECRET_<NAME> or a provider)")
        table, _ = self.option("table")
        query, _ = self.option("query")
        if bool(table) == bool(query):
            self.error("give exactly one of 'table' or 'query'", "format")
        watermark, path = self.option("watermark")
        if watermark is not None and self.contract.column(str(watermark)) is None:
            self.error(f"watermark column '{watermark}' is not a declared column", *path,
                       hint="declare it in the contract's columns so it is kept in the target table")
        part, path = self.option("partition_column")
        if part is not None and self.contract.column(str(part)) is None:
            self.error(f"partition_column '{part}' is not a declared column", *path)

    def rule_http(self) -> None:
        url, _ = self.option("url")
        if not url:
            self.error("'url' is required for http sources", "format")
        pages, path = self.option("pagination")
        if pages is None:
            return
        if not isinstance(pages, dict):
            self.error("pagination must be a mapping (type, param, size, …)", *path)
            return
        for key in pages:
            if key not in _PAGINATION:
                close = difflib.get_close_matches(str(key), sorted(_PAGINATION), n=1)
                self.error(f"unknown pagination key '{key}'", *path, str(key),
                           hint=f"did you mean '{close[0]}'?" if close else f"keys: {', '.join(sorted(_PAGINATION))}")
        kinds = ("none", "page", "offset", "cursor", "link")
        kind = pages.get("type", "none")
        if kind not in kinds:
            close = difflib.get_close_matches(str(kind), kinds, n=1)
            self.error(f"pagination.type '{kind}' is not one of {', '.join(kinds)}", *path, "type",
                       hint=f"did you mean '{close[0]}'?" if close else None)
        headers, path = self.option("headers")
        for name in headers or {}:
            if str(name).lower() in ("authorization", "x-api-key", "cookie"):
                self.error(f"header '{name}' must come from a secret", *path, str(name),
                           hint="use auth_secret: <secret name> (and auth_header/auth_scheme)")

    def rule_kafka(self) -> None:
        topic, _ = self.option("topic")
        if not topic:
            self.error("'topic' is required for kafka sources", "format")
        for key in self.spec.options:
            if key.startswith("kafka.") and "jaas" in key:
                self.error("kafka.sasl.jaas.config must come from a secret", "options", key,
                           hint="use jaas_secret: <name>")
        if self.option("cdc")[0] is not None:
            self.cdc()

    def rule_kinesis(self) -> None:
        stream, _ = self.option("stream")
        if not stream:
            self.error("'stream' is required for kinesis sources", "format")
        for key in ("aws_secret_access_key", "secret_access_key"):
            if self.option(key)[0] is not None:
                self.error("AWS keys must come from secrets", *self.option(key)[1],
                           hint="access_key_id_secret / secret_access_key_secret")
