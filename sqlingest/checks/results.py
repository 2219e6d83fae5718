"""The result of one check in one run: produced by the Soda scan, the fused row checks, anomaly checks and the
readers' implicit warnings; consumed by the run record (JSON), the run tables, the report, alerts and the CLI.

A :class:`CheckResult` is immutable and its outcome, severity and action are checked when it is made. It becomes a
mapping only at the record boundary (:meth:`CheckResult.to_record`, the run file's JSON); run records read back
from JSON become results again with :meth:`CheckResult.from_record`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

from sqlingest.project.contract import Action, Severity

Outcome = Literal["pass", "warn", "fail", "error"]

OUTCOMES: tuple[str, ...] = get_args(Outcome)
_SEVERITIES: tuple[str, ...] = get_args(Severity)
_ACTIONS: tuple[str, ...] = get_args(Action)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict. ``value`` is what was measured (failing rows, a metric, a row count…)."""

    name: str
    outcome: Outcome
    severity: Severity
    action: Action
    value: Any = None
    message: str = ""
    #: decided by sqlingest itself (in the write, from the run log, by a reader), not by a Soda scan
    fused: bool = False
    #: the check's type (``not_null``…; a reader's warning: ``bad_files``, ``empty_source``) and column, if any
    type: str = ""
    column: str | None = None
    #: the check fails the model: its outcome is ``fail`` or ``error`` (a check that failed beyond what its
    #: severity, action and threshold tolerate, or could not be evaluated; :meth:`Check.verdict`,
    #: :meth:`Check.error_result`)
    failed: bool = field(init=False)

    def __post_init__(self) -> None:
        for what, value, allowed in (("outcome", self.outcome, OUTCOMES), ("severity", self.severity, _SEVERITIES),
                                     ("action", self.action, _ACTIONS)):
            if value not in allowed:
                raise ValueError(f"check result {self.name}: {what} {value!r} is not one of {', '.join(allowed)}")
        object.__setattr__(self, "failed", self.outcome in ("fail", "error"))

    def to_record(self) -> dict[str, Any]:
        """The result as stored in a run record (JSON) and a micro-batch entry."""
        return asdict(self)

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> CheckResult:
        """A result read back from a run record (older records lack ``fused``, ``type`` and ``column``)."""
        return cls(str(data["name"]), data["outcome"], data.get("severity") or "error", data.get("action") or "fail",
                   data.get("value"), str(data.get("message") or ""), bool(data.get("fused", False)),
                   str(data.get("type") or ""), data.get("column"))
