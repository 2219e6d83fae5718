"""The schema registry's storage contract: subjects, their numbered versions, and compatibility-checked publishing.

A *subject* names one dataset contract: ``"<layer>:<domain>.<dataset>"``, the same string as
:attr:`sqlingest.project.contract.Contract.key`. Each subject has versions ``1, 2, 3, …``; a version holds the
contract (as the dict its YAML file describes), a fingerprint of its columns and the time it was registered.

:meth:`RegistryStore.publish` is the only way in. It validates the contract, returns the latest version unchanged
when the contract is identical to it (idempotent), and otherwise converts the columns to Avro
(:func:`~sqlingest.registry.formats.columns_to_avro`) and checks them against the registered history with
:func:`~sqlingest.registry.compat.check` before appending a new version. Implementations only provide reads and a
locked "read history, then append" transaction (:meth:`RegistryStore._transaction`).
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlingest.errors import CompileErrors, ContractError, SqlingestError, UserError
from sqlingest.registry.compat import Incompatibility, Mode, SchemaParseError, check
from sqlingest.registry.formats import columns_to_avro

__all__ = [
    "DomainCheck",
    "IncompatibleSchemaChange",
    "InvalidSubject",
    "PreparedContract",
    "RegistryStore",
    "SchemaVersion",
    "SubjectHistory",
    "SubjectNotFound",
    "VersionNotFound",
    "canonical_json",
    "contract_to_avro",
    "parse_mode",
    "parse_subject",
    "prepare_contract",
    "same_contract",
]

_DECIMAL_RE = re.compile(r"decimal\((\d+),\s*(\d+)\)\Z")

DomainCheck = Callable[[str], None]
"""Called with the contract's domain before anything is written; raises to refuse the publish."""

_SUBJECT_RE = re.compile(
    r"(?P<layer>source|bronze|silver|gold|seed):(?P<domain>[A-Za-z_][A-Za-z0-9_]*)\.(?P<dataset>[A-Za-z_][A-Za-z0-9_]*)\Z"
)


class IncompatibleSchemaChange(SqlingestError):
    """A new contract version breaks the compatibility mode of its subject; nothing was registered (exit 1).

    Attributes:
        subject: The subject the contract was published to.
        mode: The compatibility mode that was applied.
        incompatibilities: Every reason found, each with its field path.
    """

    exit_code = 1

    def __init__(self, subject: str, mode: Mode, incompatibilities: Sequence[Incompatibility]) -> None:
        self.subject = subject
        self.mode = mode
        self.incompatibilities = list(incompatibilities)
        n = len(self.incompatibilities)
        lines = "\n".join(f"  {i}" for i in self.incompatibilities)
        super().__init__(
            f"{subject}: new version is not {mode.value} compatible ({n} incompatibilit{'y' if n == 1 else 'ies'})"
            f"\n{lines}",
            hint="give new columns a default or make them nullable, keep removed columns, only widen types; "
            "or publish a new dataset",
        )


class InvalidSubject(UserError):
    """A subject string is not ``<layer>:<domain>.<dataset>``."""


class SubjectNotFound(UserError):
    """No version was ever registered under a subject."""


class VersionNotFound(SubjectNotFound):
    """A subject exists but not the requested version."""


@dataclass(frozen=True)
class SchemaVersion:
    """One registered version of a subject.

    Attributes:
        subject: ``<layer>:<domain>.<dataset>``.
        version: 1 for the first version, then consecutive.
        contract: The contract as a JSON-ready dict (the shape of its YAML file).
        fingerprint: SHA-256 (hex) of the canonical JSON of the contract's columns.
        created_at: When the version was registered, ISO 8601 in UTC.
    """

    subject: str
    version: int
    contract: dict[str, Any]
    fingerprint: str
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        """The version as a JSON-ready dict (the inverse of :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SchemaVersion:
        """Read a version written by :meth:`to_dict`.

        Raises:
            KeyError, TypeError: ``data`` is not a serialized version.
        """
        return cls(
            subject=str(data["subject"]),
            version=int(data["version"]),
            contract=dict(data["contract"]),
            fingerprint=str(data["fingerprint"]),
            created_at=str(data["created_at"]),
        )


@dataclass(frozen=True)
class PreparedContract:
    """A validated contract ready to be compared and stored."""

    subject: str
    domain: str
    contract: dict[str, Any]
    avro: dict[str, Any]
    fingerprint: str
    mode: Mode


class SubjectHistory:
    """What :meth:`RegistryStore._transaction` yields: the subject's versions (oldest first) and a way to append."""

    def __init__(self, versions: list[SchemaVersion], append: Callable[[SchemaVersion], None]) -> None:
        self.versions = versions
        self.append = append


class RegistryStore(ABC):
    """Where subjects and their versions live (a committed JSON file per subject, or PostgreSQL)."""

    @abstractmethod
    def subjects(self) -> list[str]:
        """Every subject with at least one version.

        Returns:
            Subject names, sorted.
        """

    @abstractmethod
    def versions(self, subject: str) -> list[int]:
        """The version numbers of a subject.

        Args:
            subject: ``<layer>:<domain>.<dataset>``.

        Returns:
            Version numbers, ascending.

        Raises:
            InvalidSubject: ``subject`` is malformed.
            SubjectNotFound: The subject has no versions.
        """

    @abstractmethod
    def get(self, subject: str, version: int | None = None) -> SchemaVersion:
        """One version of a subject.

        Args:
            subject: ``<layer>:<domain>.<dataset>``.
            version: The version number; ``None`` for the latest.

        Returns:
            The registered version.

        Raises:
            InvalidSubject: ``subject`` is malformed.
            SubjectNotFound: The subject has no versions.
            VersionNotFound: The subject has no such version.
        """

    @abstractmethod
    def _transaction(self, subject: str) -> AbstractContextManager[SubjectHistory]:
        """Lock the subject against other publishers, yield its history, and make appended versions durable.

        Leaving the block with an exception must leave the store unchanged.
        """

    def history(self, subject: str) -> list[SchemaVersion]:
        """Every version of a subject, oldest first (empty when it has none).

        Raises:
            InvalidSubject: ``subject`` is malformed.
        """
        parse_subject(subject)
        try:
            numbers = self.versions(subject)
        except SubjectNotFound:
            return []
        return [self.get(subject, n) for n in numbers]

    def check_compatibility(
        self, subject: str, contract: dict[str, Any], *, mode: Mode | str | None = None
    ) -> list[Incompatibility]:
        """Check a contract against a subject's history without registering anything.

        Args:
            subject: ``<layer>:<domain>.<dataset>``.
            contract: The candidate contract dict.
            mode: Compatibility mode; ``None`` uses the candidate contract's ``compatibility`` field.

        Returns:
            Every incompatibility found (empty when compatible or when the subject has no versions).

        Raises:
            InvalidSubject: ``subject`` is malformed.
            ContractError: The contract is invalid or belongs to another subject.
        """
        prepared = prepare_contract(subject, contract, mode=mode)
        history = self.history(subject)
        return _incompatibilities(prepared, history)

    def publish(
        self,
        subject: str,
        contract_dict: dict[str, Any],
        *,
        mode: Mode | None = None,
        domain_check: DomainCheck | None = None,
    ) -> SchemaVersion:
        """Register a contract as the next version of its subject, if it is compatible with the history.

        Publishing a contract identical to the latest version returns that version and writes nothing.

        Args:
            subject: ``<layer>:<domain>.<dataset>``; must be the contract's own ``layer:name``.
            contract_dict: The contract as a dict (as loaded from YAML, or ``Contract.model_dump(mode="json")``).
            mode: Compatibility mode; ``None`` uses the contract's ``compatibility`` field.
            domain_check: Called with the contract's domain before anything is written; raise to refuse.

        Returns:
            The new version, or the existing latest version when the contract is unchanged.

        Raises:
            InvalidSubject: ``subject`` is malformed.
            ContractError: The contract is invalid, cannot be expressed in Avro, or belongs to another subject.
            IncompatibleSchemaChange: The contract breaks the compatibility mode; the store is unchanged.
        """
        return self.publish_with_status(subject, contract_dict, mode=mode, domain_check=domain_check)[0]

    def publish_with_status(
        self,
        subject: str,
        contract_dict: dict[str, Any],
        *,
        mode: Mode | None = None,
        domain_check: DomainCheck | None = None,
    ) -> tuple[SchemaVersion, bool]:
        """Like :meth:`publish`, also telling whether a new version was created.

        Returns:
            ``(version, created)``: ``created`` is false when the contract equals the latest version.

        Raises:
            InvalidSubject, ContractError, IncompatibleSchemaChange: As :meth:`publish`.
        """
        prepared = prepare_contract(subject, contract_dict, mode=mode)
        if domain_check is not None:
            domain_check(prepared.domain)
        with self._transaction(subject) as history:
            latest = history.versions[-1] if history.versions else None
            if latest is not None and same_contract(latest.contract, prepared.contract):
                return latest, False
            found = _incompatibilities(prepared, history.versions)
            if found:
                raise IncompatibleSchemaChange(subject, prepared.mode, found)
            created = SchemaVersion(
                subject=subject,
                version=(latest.version + 1) if latest else 1,
                contract=prepared.contract,
                fingerprint=prepared.fingerprint,
                created_at=datetime.now(UTC).isoformat(),
            )
            history.append(created)
            return created, True


# --------------------------------------------------------------------------------------------------------------
# Helpers shared by the stores, the service and the CLI
# --------------------------------------------------------------------------------------------------------------


def parse_subject(subject: str) -> tuple[str, str, str]:
    """Split a subject into ``(layer, domain, dataset)``.

    Raises:
        InvalidSubject: It is not ``<layer>:<domain>.<dataset>`` with a known layer and identifier names.
    """
    match = _SUBJECT_RE.match(subject) if isinstance(subject, str) else None
    if match is None:
        raise InvalidSubject(
            f"invalid subject {subject!r}",
            hint="a subject is '<layer>:<domain>.<dataset>' with layer source, bronze, silver, gold or seed, "
            "e.g. 'silver:retail.orders'",
        )
    return match["layer"], match["domain"], match["dataset"]


def parse_mode(value: Mode | str) -> Mode:
    """A compatibility mode from its name (case-insensitive).

    Raises:
        ContractError: Unknown mode.
    """
    if isinstance(value, Mode):
        return value
    try:
        return Mode(str(value).upper())
    except ValueError:
        raise ContractError(
            f"unknown compatibility mode {value!r}", hint=f"modes: {', '.join(m.value for m in Mode)}"
        ) from None


def same_contract(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two contract dicts say the same thing under today's contract model: fields added to the model
    since a version was stored (with their defaults) do not make it differ."""
    from sqlingest.project.contract import Contract

    def essential(contract: dict[str, Any]) -> str:
        try:
            return canonical_json(Contract.model_validate(contract).model_dump(mode="json", exclude_defaults=True))
        except Exception:  # noqa: BLE001 - an old version the model no longer reads: compare it as stored
            return canonical_json(contract)

    return canonical_json(a) == canonical_json(b) or essential(a) == essential(b)


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 kept (the input of fingerprints and comparisons)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def prepare_contract(subject: str, contract: Any, *, mode: Mode | str | None = None) -> PreparedContract:
    """Validate a contract dict for a subject and derive what publishing needs.

    Args:
        subject: ``<layer>:<domain>.<dataset>``.
        contract: The contract dict.
        mode: Compatibility mode; ``None`` uses the contract's ``compatibility`` field.

    Returns:
        The normalized contract, its Avro schema, fingerprint, domain and the mode to apply.

    Raises:
        InvalidSubject: ``subject`` is malformed.
        ContractError: The contract is invalid, cannot be expressed in Avro, or its ``layer:name`` is not
            ``subject``.
    """
    from sqlingest.project.contract import Contract
    from sqlingest.project.yaml_loader import validate_model

    parse_subject(subject)
    if not isinstance(contract, dict):
        raise ContractError(f"a contract must be a JSON object, got {type(contract).__name__}")
    try:
        model = validate_model(Contract, contract, Path(f"<{subject}>"))
    except CompileErrors as exc:
        raise ContractError("invalid contract: " + "; ".join(e.message for e in exc.errors)) from None
    except UserError as exc:
        raise ContractError(f"invalid contract: {exc.message}", hint=exc.hint) from None
    except Exception as exc:  # noqa: BLE001 - validation is pure: whatever it trips over comes from the input
        # (e.g. the SQL type parser failing on 'array<>' or an unbalanced quote instead of reporting it)
        raise ContractError(f"invalid contract: {type(exc).__name__}: {exc}") from None
    if model.key != subject:
        raise ContractError(
            f"the contract is {model.key!r}, not {subject!r}",
            hint="a contract is published under its own '<layer>:<name>'",
        )
    normalized = model.model_dump(mode="json", exclude_none=True)
    return PreparedContract(
        subject=subject,
        domain=model.domain,
        contract=normalized,
        avro=contract_to_avro(normalized),
        fingerprint=hashlib.sha256(canonical_json(normalized["columns"]).encode()).hexdigest(),
        mode=parse_mode(mode if mode is not None else model.compatibility),
    )


def contract_to_avro(contract: dict[str, Any], *, name: str | None = None, namespace: str | None = None) -> dict[str, Any]:
    """The Avro record schema of a (validated) contract dict, used for compatibility checks.

    The record is named after the dataset in namespace ``sqlingest.<layer>.<domain>``; ``description`` becomes
    ``doc``, ``previous_names`` become field aliases (so a rename reads old data) and a ``default`` becomes the
    Avro default (ISO dates and timestamps are converted to days and microseconds since the epoch, decimals to
    their unscaled two's-complement bytes).

    Args:
        contract: A contract dict that passed :class:`~sqlingest.project.contract.Contract` validation.
        name: Record name to use instead of the dataset name.
        namespace: Namespace to use instead of ``sqlingest.<layer>.<domain>``.

    Returns:
        The Avro schema as a JSON-ready dict.

    Raises:
        ContractError: A column cannot be expressed in Avro (e.g. a map with non-string keys, a bad default).
    """
    domain, _, dataset = str(contract["name"]).partition(".")
    columns = []
    for column in contract["columns"]:
        out: dict[str, Any] = {"name": column["name"], "type": column["type"],
                               "nullable": column.get("nullable", True)}
        if column.get("description") is not None:
            out["doc"] = column["description"]
        if column.get("previous_names"):
            out["aliases"] = list(column["previous_names"])
        if column.get("default") is not None:
            out["default"] = _avro_default(column["type"], column["default"])
        columns.append(out)
    try:
        return columns_to_avro(name or dataset, columns, namespace or f"sqlingest.{contract['layer']}.{domain}")
    except SchemaParseError as exc:
        raise ContractError(f"contract {contract['layer']}:{contract['name']} cannot be checked: {exc.message}") from exc
    except Exception as exc:  # noqa: BLE001 - as in prepare_contract: a converter tripping over odd input
        raise ContractError(f"contract {contract['layer']}:{contract['name']} cannot be checked: "
                            f"{type(exc).__name__}: {exc}") from None


def _avro_default(spark_type: str, value: Any) -> Any:
    """Contract defaults are written as in SQL/YAML; Avro wants dates as days and timestamps as microseconds."""
    kind = spark_type.strip().lower()
    decimal = _DECIMAL_RE.match(kind)
    try:
        if decimal and isinstance(value, (int, float, str)) and not isinstance(value, bool):
            unscaled = int((Decimal(str(value)) * (Decimal(10) ** int(decimal[2]))).to_integral_value())
            size = max(1, (unscaled.bit_length() + 8) // 8)  # two's complement, big-endian, minimal length
            return unscaled.to_bytes(size, "big", signed=True).decode("latin-1")
        if kind == "date" and isinstance(value, (str, date)):
            day = date.fromisoformat(value) if isinstance(value, str) else value
            return (day - date(1970, 1, 1)).days
        if kind in ("timestamp", "timestamp_ntz") and isinstance(value, (str, datetime)):
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            epoch = datetime(1970, 1, 1, tzinfo=UTC)
            delta = moment - epoch
            return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    except (ValueError, ArithmeticError):
        return value  # columns_to_avro reports the bad default with its column
    return value


def _incompatibilities(prepared: PreparedContract, history: Sequence[SchemaVersion]) -> list[Incompatibility]:
    return check(prepared.avro, [contract_to_avro(v.contract) for v in history], prepared.mode)

