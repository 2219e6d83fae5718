"""``kafka`` source: batch ingestion of a topic by explicit offset ranges, with JSON payloads conformed to the
contract.

Each run reads, per partition, from one past the highest offset the target table already holds (``_source_file``
is ``kafka:<topic>/<partition>/<offset>`` for every row; see :mod:`sqlingest.sources.stateful`) up to the
partition's end offset *measured when the run starts* (``endingOffsets`` is pinned). The range and the rows are
committed together, so a rerun after a failure reads the same range again and a rerun after a success starts where
it ended: nothing is skipped or read twice. Partitions the table has never seen start at their earliest offset
(``starting_offsets: latest`` starts them at the end instead).

The message value is decoded as a JSON object. Declared fields are cast with ``TRY_CAST`` (failures rescued),
undeclared fields are rescued, and a value that is not a JSON object (or a tombstone) is kept as a row whose
``_rescued_data`` holds ``_corrupt_record`` (the raw text) plus ``_kafka_topic``, ``_kafka_partition``,
``_kafka_offset`` and ``_kafka_key``. ``metadata_columns`` fills declared columns from the message's ``key``,
``timestamp``, ``topic``, ``partition``, ``offset`` when the payload does not have them.

Partitions and their offsets are listed with the Kafka Java client Spark already ships (through py4j), not a
Python client.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from sqlingest.errors import ExecutionError
from sqlingest.project.layers import SOURCE_FILE_COLUMN
from sqlingest.sources import ReadResult
from sqlingest.sources.stateful import StatefulSource, sql_string
from sqlingest.validate.conform import conform_strings, quote

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CORRUPT = "_corrupt_record"
#: where ``bootstrap_servers`` comes from when a contract does not set it (``make services`` writes it)
BOOTSTRAP_ENV = "SQLINGEST_KAFKA_BOOTSTRAP"
_INPUT_SQL = r"^kafka:(.+)/([0-9]+)/([0-9]+)$"
_META = {"key": "CAST(key AS STRING)", "timestamp": "CAST(timestamp AS STRING)", "topic": "topic",
         "partition": "CAST(partition AS STRING)", "offset": "CAST(offset AS STRING)"}

State = dict[tuple[str, int], int]


class KafkaSource(StatefulSource):
    """Reads ``topic`` (a name or a list) from ``bootstrap_servers`` by offset ranges, or as a stream."""

    STREAMING = True

    def topics(self) -> list[str]:
        topic = self.required("topic")
        return [str(t) for t in topic] if isinstance(topic, list) else [str(topic)]

    def client_options(self) -> dict[str, str]:
        """``kafka.*`` options for Spark (and for listing offsets): bootstrap servers, security, JAAS secret."""
        opts = {k: str(v) for k, v in self.spec.options.items() if k.startswith("kafka.")}
        bootstrap = self.option("bootstrap_servers") or os.environ.get(BOOTSTRAP_ENV)
        if not bootstrap:
            raise self.error(f"'bootstrap_servers' is required for kafka sources (or set {BOOTSTRAP_ENV})")
        opts["kafka.bootstrap.servers"] = str(bootstrap)
        if any("jaas" in k for k in opts):
            raise self.error("kafka.sasl.jaas.config must come from a secret", hint="use jaas_secret: <name>")
        if self.option("jaas_secret"):
            opts["kafka.sasl.jaas.config"] = self.secret(self.option("jaas_secret"))
        return opts

    # -- state -------------------------------------------------------------------------------------
    def state_from_table(self, spark: SparkSession, relation: str) -> State | None:
        if SOURCE_FILE_COLUMN not in spark.table(relation).columns:
            return None
        pattern = sql_string(_INPUT_SQL)
        topics = ", ".join(sql_string(t) for t in self.topics())
        rows = spark.sql(
            f"SELECT t, p, max(o) FROM (SELECT regexp_extract({SOURCE_FILE_COLUMN}, {pattern}, 1) AS t, "
            f"CAST(regexp_extract({SOURCE_FILE_COLUMN}, {pattern}, 2) AS INT) AS p, "
            f"CAST(regexp_extract({SOURCE_FILE_COLUMN}, {pattern}, 3) AS BIGINT) AS o FROM {relation} "
            f"WHERE startswith({SOURCE_FILE_COLUMN}, 'kafka:')) WHERE t IN ({topics}) GROUP BY t, p").collect()
        return {(r[0], int(r[1])): int(r[2]) for r in rows} or None

    # -- offsets -----------------------------------------------------------------------------------
    def offsets(self, spark: SparkSession) -> dict[tuple[str, int], tuple[int, int]]:
        """(earliest, end) offsets of every partition of the topics, asked with the Java client."""
        jvm: Any = spark.sparkContext._jvm
        props = jvm.java.util.Properties()
        for key, value in self.client_options().items():
            props.put(key[len("kafka."):], value)
        deser = "org.apache.kafka.common.serialization.ByteArrayDeserializer"
        props.put("key.deserializer", deser)
        props.put("value.deserializer", deser)
        props.put("allow.auto.create.topics", "false")
        consumer = jvm.org.apache.kafka.clients.consumer.KafkaConsumer(props)
        try:
            parts = jvm.java.util.ArrayList()
            for topic in self.topics():
                infos = consumer.partitionsFor(topic)
                for info in (list(infos) if infos is not None else []):
                    parts.add(jvm.org.apache.kafka.common.TopicPartition(topic, info.partition()))
            begins = consumer.beginningOffsets(parts)
            ends = consumer.endOffsets(parts)
            return {(tp.topic(), int(tp.partition())): (int(begins.get(tp)), int(ends.get(tp))) for tp in parts}
        finally:
            consumer.close()

    # -- read --------------------------------------------------------------------------------------
    def read_from(self, spark: SparkSession, state: State | None) -> ReadResult:
        offsets = self.offsets(spark)
        latest = str(self.option("starting_offsets", "earliest")) == "latest"
        starts: dict[str, dict[str, int]] = {}
        ends: dict[str, dict[str, int]] = {}
        inputs: list[str] = []
        for (topic, part), (begin, end) in sorted(offsets.items()):
            done = (state or {}).get((topic, part))
            if done is not None and done + 1 > end:
                raise ExecutionError(
                    f"source {self.contract.name}: the target table holds {topic}/{part} up to offset {done}, but "
                    f"the partition ends at {end} (topic recreated or offsets reset?); nothing was read",
                    hint="rebuild with --full-refresh to re-read the topic from the start")
            start = done + 1 if done is not None else (end if latest else begin)
            starts.setdefault(topic, {})[str(part)] = start
            ends.setdefault(topic, {})[str(part)] = max(end, start)
            if end > start:
                inputs.append(f"kafka:{topic}/{part}/{start}-{end - 1}")
        if not inputs:
            return ReadResult(self.empty(spark), [])
        raw = (spark.read.format("kafka").options(**self.client_options())
               .option("subscribe", ",".join(self.topics()))
               .option("startingOffsets", json.dumps(starts)).option("endingOffsets", json.dumps(ends))
               .option("failOnDataLoss", str(self.option("fail_on_data_loss", True)).lower())
               .load())
        return ReadResult(self.decode(raw), inputs)

    def read_stream(self, spark: SparkSession) -> Any:
        """The topic as a Structured Streaming source; positions live in the model's checkpoint.

        ``starting_offsets`` (earliest | latest) applies to the first start only; ``max_offsets_per_trigger`` caps
        a micro-batch's size.
        """
        reader = (spark.readStream.format("kafka").options(**self.client_options())
                  .option("subscribe", ",".join(self.topics()))
                  .option("startingOffsets", str(self.option("starting_offsets", "earliest")))
                  .option("failOnDataLoss", str(self.option("fail_on_data_loss", True)).lower()))
        if self.option("max_offsets_per_trigger"):
            reader = reader.option("maxOffsetsPerTrigger", str(int(self.option("max_offsets_per_trigger"))))
        return self.decode(reader.load())

    def implicit_checks(self, *, streaming: bool) -> list[Any]:
        """``undecodable: quarantine`` (the default when streaming) sends messages that cannot be decoded to the
        model's quarantine table — with their raw value and topic/partition/offset — instead of bronze.

        Batch runs keep them in bronze (``rescue``) by default: there the next offset is derived from the rows
        the table holds, so a quarantined last message would be read again.
        """
        from sqlingest.project.contract import DecodableCheck

        mode = str(self.option("undecodable", "quarantine" if streaming else "rescue"))
        if mode not in ("quarantine", "rescue"):
            raise self.error(f"undecodable: '{mode}' is not one of quarantine, rescue")
        return [DecodableCheck(name="decodable", action="quarantine")] if mode == "quarantine" else []

    def decode(self, raw: Any) -> Any:
        meta = {str(k): str(v) for k, v in (self.option("metadata_columns") or {}).items()}
        unknown = [k for k in meta if k not in _META]
        if unknown:
            raise self.error(f"metadata_columns: unknown field(s) {', '.join(unknown)} ({', '.join(_META)})")
        missing = [v for v in meta.values() if self.contract.column(v) is None]
        if missing:
            raise self.error(f"metadata_columns: {', '.join(missing)} not declared columns")
        base = raw.selectExpr(
            "CAST(value AS STRING) AS __v", "topic", "partition", "offset", "timestamp", "key",
            f"concat('kafka:', topic, '/', partition, '/', offset) AS {SOURCE_FILE_COLUMN}",
        )
        where = ("map('_kafka_topic', topic, '_kafka_partition', CAST(partition AS STRING), "
                 "'_kafka_offset', CAST(offset AS STRING), '_kafka_key', CAST(key AS STRING))")
        metadata = {col: _META[field] for field, col in meta.items()}
        envelope = str(self.option("envelope", "json"))
        payload = str(self.option("payload", "json"))
        if payload == "avro":
            if envelope != "json":
                raise self.error("payload: avro works with the plain envelope only")
            return self.decode_avro(raw, corrupt_info=where, metadata=metadata)
        if payload != "json":
            raise self.error(f"unknown payload '{payload}' (json, avro)")
        if envelope == "debezium":
            from sqlingest.sources.cdc import decode_debezium

            return decode_debezium(base, self.contract, self.option("cdc"), corrupt_info=where, metadata=metadata)
        if envelope != "json":
            raise self.error(f"unknown envelope '{envelope}' (json, debezium)")
        return decode_json_values(base, self.contract, corrupt_info=where, metadata=metadata)

    def decode_avro(self, raw: Any, *, corrupt_info: str, metadata: dict[str, str]) -> Any:
        """Avro values (see :func:`avro_frame`) decoded with the writer's registered schema and resolved to the
        contract's (Avro schema resolution: added fields get defaults, renamed fields follow aliases).
        A value that cannot be decoded keeps its bytes (base64) in ``_corrupt_record``."""
        from sqlingest.validate.conform import conform_typed

        payload = _AvroPayload(self)
        base = raw.selectExpr("value AS __v", "topic", "partition", "offset", "timestamp", "key",
                              f"concat('kafka:', topic, '/', partition, '/', offset) AS {SOURCE_FILE_COLUMN}")
        decoded = base.withColumn("__r", payload.struct("__v"))
        declared = [c.name for c in self.contract.columns]
        cols = [f"coalesce(__r.{quote(n)}, {metadata[n]})" if n in metadata else f"__r.{quote(n)}" for n in declared]
        projected = decoded.selectExpr(
            *[f"{c} AS {quote(n)}" for c, n in zip(cols, declared)],
            f"CASE WHEN __r IS NULL THEN to_json(map_concat(map('{CORRUPT}', coalesce(base64(__v), '<tombstone>')), "
            f"{corrupt_info})) END AS _rescued_data",
            SOURCE_FILE_COLUMN,
        )
        return conform_typed(projected, self.contract)


def decode_json_values(base: Any, contract: Any, *, corrupt_info: str, metadata: dict[str, str],
                       value: str = "__v") -> Any:
    """Decode the string column ``value`` (one JSON object per row) of ``base`` against ``contract``.

    ``metadata`` maps declared columns to SQL used when the object has no such field; ``corrupt_info`` is SQL of a
    ``map<string,string>`` rescued with a value that is not a JSON object (null values are rescued as
    ``<tombstone>``). ``base`` must have ``_source_file``.
    """
    declared = [c.name for c in contract.columns]
    names = ", ".join(sql_string(n) for n in declared)

    def field(name: str) -> str:
        expr = f"__m[{sql_string(name)}]"
        return f"coalesce({expr}, {metadata[name]})" if name in metadata else expr

    parsed = base.selectExpr("*", f"from_json({value}, 'map<string,string>') AS __m")
    projected = parsed.selectExpr(
        *[f"{field(n)} AS {quote(n)}" for n in declared],
        f"CASE WHEN __m IS NULL THEN coalesce({value}, '<tombstone>') END AS {CORRUPT}",
        f"CASE WHEN __m IS NULL THEN {corrupt_info} "
        f"ELSE map_filter(__m, (k, v) -> NOT array_contains(array({names}), k)) END AS __undeclared",
        SOURCE_FILE_COLUMN,
    )
    return conform_strings(projected, contract, present=declared, corrupt=CORRUPT, undeclared_map="__undeclared")


AVRO_MAGIC = 0


def avro_frame(version: int, body: bytes) -> bytes:
    """A message value in sqlingest's Avro framing: magic byte 0, the writer's registry version as a big-endian
    int32, then the Avro binary body (the Confluent wire format, with the subject version as schema id)."""
    return bytes([AVRO_MAGIC]) + int(version).to_bytes(4, "big") + body


class _AvroPayload:
    """Decodes Avro message values against the registry history of the source contract's subject."""

    def __init__(self, source: KafkaSource) -> None:
        from sqlingest.registry.file_store import FileStore
        from sqlingest.registry.store import SubjectNotFound, contract_to_avro

        self.source = source
        subject = str(source.option("subject", f"source:{source.contract.name}"))
        store = FileStore(source.project_dir)
        try:
            history = store.history(subject)
        except SubjectNotFound:
            history = []
        if not history:
            raise source.error(f"payload: avro: the registry has no version of '{subject}'",
                               hint="publish the contract: sqlingest contracts publish")
        self.writers = {v.version: json.dumps(contract_to_avro(v.contract)) for v in history}
        # the reader's schema is the contract itself (compile already refused contracts that break the history)
        self.reader = json.dumps(contract_to_avro(source.contract.model_dump(mode="json", exclude_none=True)))

    def struct(self, value: str) -> Any:
        """A column: the decoded record (NULL when the value is not framed, names an unknown version or does not
        decode with that version's schema)."""
        from pyspark.sql import functions as F
        from pyspark.sql.avro.functions import from_avro

        version = F.conv(F.hex(F.substring(F.col(value), 2, 4)), 16, 10).cast("int")
        body = F.expr(f"substring({value}, 6)")
        framed = (F.length(F.col(value)) > 5) & (F.substring(F.col(value), 1, 1) == F.unhex(F.lit("00")))
        out: Any = None
        for number, writer in sorted(self.writers.items()):
            decoded = from_avro(body, writer, {"mode": "PERMISSIVE", "avroSchema": self.reader})
            out = (F.when(framed & (version == number), decoded) if out is None
                   else out.when(framed & (version == number), decoded))
        return out
