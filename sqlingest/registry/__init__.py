"""Schema registry support: Avro compatibility checks with Confluent semantics and schema format converters."""

from __future__ import annotations

from sqlingest.registry.compat import Incompatibility, Mode, SchemaParseError, can_read, check

__all__ = ["Incompatibility", "Mode", "SchemaParseError", "can_read", "check"]
