"""``kinesis`` source: batch ingestion of an Amazon Kinesis data stream by sequence numbers, with JSON payloads
conformed to the contract (``boto3`` on the driver; Spark has no built-in Kinesis batch reader).

Each run reads every shard from just after the highest sequence number the target table holds for it
(``_source_file`` is ``kinesis:<stream>/<shard>/<sequence>`` for every row; see :mod:`sqlingest.sources.stateful`)
until the shard is caught up (``MillisBehindLatest == 0`` and an empty batch) or closed. Records are staged as JSON
lines (deleted at process exit) and decoded like Kafka values: a record that is not a JSON object is kept with its
raw text in ``_rescued_data._corrupt_record`` and ``_kinesis_stream``, ``_kinesis_shard``, ``_kinesis_sequence``,
``_kinesis_partition_key``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import MissingDependency
from sqlingest.project.layers import SOURCE_FILE_COLUMN
from sqlingest.sources import ReadResult
from sqlingest.sources.http import _STAGED
from sqlingest.sources.kafka import decode_json_values
from sqlingest.sources.stateful import StatefulSource, sql_string

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_INPUT_SQL = r"^kinesis:([^/]+)/([^/]+)/([0-9]+)$"
_META = {"partition_key": "__k", "arrival": "__t", "sequence": "__q", "shard": "__h"}

State = dict[str, str]


class KinesisSource(StatefulSource):
    """Reads ``stream`` shard by shard after the sequence numbers already ingested."""

    def stream(self) -> str:
        return str(self.required("stream"))

    def client(self) -> Any:
        try:
            import boto3
        except ImportError:  # pragma: no cover - depends on the environment
            raise MissingDependency("the kinesis source needs boto3", hint="pip install boto3") from None
        kwargs: dict[str, Any] = {"region_name": str(self.option("region", "us-east-1"))}
        if self.option("endpoint_url"):
            kwargs["endpoint_url"] = str(self.option("endpoint_url"))
        if self.option("access_key_id_secret"):
            kwargs["aws_access_key_id"] = self.secret(self.option("access_key_id_secret"))
            kwargs["aws_secret_access_key"] = self.secret(self.required("secret_access_key_secret"))
        if any(self.option(k) for k in ("aws_secret_access_key", "secret_access_key")):
            raise self.error("AWS keys must come from secrets", hint="access_key_id_secret / secret_access_key_secret")
        return boto3.client("kinesis", **kwargs)

    # -- state -------------------------------------------------------------------------------------
    def state_from_table(self, spark: SparkSession, relation: str) -> State | None:
        if SOURCE_FILE_COLUMN not in spark.table(relation).columns:
            return None
        p = sql_string(_INPUT_SQL)
        rows = spark.sql(
            f"SELECT h, max(lpad(q, 64, '0')) FROM (SELECT regexp_extract({SOURCE_FILE_COLUMN}, {p}, 1) AS s, "
            f"regexp_extract({SOURCE_FILE_COLUMN}, {p}, 2) AS h, regexp_extract({SOURCE_FILE_COLUMN}, {p}, 3) AS q "
            f"FROM {relation} WHERE startswith({SOURCE_FILE_COLUMN}, 'kinesis:')) "
            f"WHERE s = {sql_string(self.stream())} GROUP BY h").collect()
        return {r[0]: r[1].lstrip("0") or "0" for r in rows} or None

    # -- read --------------------------------------------------------------------------------------
    def read_from(self, spark: SparkSession, state: State | None) -> ReadResult:
        client = self.client()
        stream = self.stream()
        shards, token = [], None
        while True:
            page = client.list_shards(NextToken=token) if token else client.list_shards(StreamName=stream)
            shards += [s["ShardId"] for s in page["Shards"]]
            token = page.get("NextToken")
            if not token:
                break
        folder = Path(tempfile.mkdtemp(prefix="sqlingest-kinesis-", dir=self.option("staging_dir") or None))
        _STAGED.append(str(folder))
        path = folder / "records.jsonl"
        inputs = []
        limit = int(self.option("max_records_per_call", 1000))
        start = str(self.option("starting_position", "TRIM_HORIZON"))
        with path.open("w", encoding="utf-8") as out:
            for shard in sorted(shards):
                after = (state or {}).get(shard)
                it = client.get_shard_iterator(
                    StreamName=stream, ShardId=shard,
                    **({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
                       if after else {"ShardIteratorType": start}))["ShardIterator"]
                first = last = None
                for _ in range(int(self.option("max_calls_per_shard", 10000))):
                    batch = client.get_records(ShardIterator=it, Limit=limit)
                    for rec in batch["Records"]:
                        seq = rec["SequenceNumber"]
                        first = first or seq
                        last = seq
                        out.write(json.dumps({
                            "s": f"kinesis:{stream}/{shard}/{seq}", "k": rec.get("PartitionKey"),
                            "t": str(rec.get("ApproximateArrivalTimestamp") or ""),
                            "d": bytes(rec["Data"]).decode("utf-8", errors="replace"),
                            "q": seq, "h": shard}) + "\n")
                    it = batch.get("NextShardIterator")
                    if not it or (not batch["Records"] and batch.get("MillisBehindLatest", 0) == 0):
                        break
                if first is not None:
                    inputs.append(f"kinesis:{stream}/{shard}/{first}-{last}")
        if not inputs:
            return ReadResult(self.empty(spark), [])
        base = spark.read.text(str(path)).selectExpr(
            "from_json(value, 'struct<s:string,k:string,t:string,d:string,q:string,h:string>') AS __r"
        ).selectExpr("__r.d AS __v", "__r.k AS __k", "__r.t AS __t", "__r.q AS __q", "__r.h AS __h",
                     f"__r.s AS {SOURCE_FILE_COLUMN}")
        meta = {str(k): str(v) for k, v in (self.option("metadata_columns") or {}).items()}
        unknown = [k for k in meta if k not in _META]
        if unknown:
            raise self.error(f"metadata_columns: unknown field(s) {', '.join(unknown)} ({', '.join(_META)})")
        where = (f"map('_kinesis_stream', {sql_string(stream)}, '_kinesis_shard', __h, "
                 "'_kinesis_sequence', __q, '_kinesis_partition_key', __k)")
        frame = decode_json_values(base, self.contract, corrupt_info=where,
                                   metadata={col: _META[f] for f, col in meta.items()})
        return ReadResult(frame, inputs)
