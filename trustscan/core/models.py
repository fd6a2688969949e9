"""Typed, frozen data model shared by probes, the rule engine and the report.

The shape follows sslyze: every probe result is an *attempt* that says whether the probe
completed, so a check that could not run can never be mistaken for a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: Criterion ids of Decree 137/2024/ND-CP Art. 21 clause 2, in legal order. `dd` stands for `đ`.
CRITERIA: tuple[str, ...] = ("a", "b", "c", "d", "dd", "e")

#: How each criterion id is written for people.
CRITERION_LABELS: dict[str, str] = {"a": "a", "b": "b", "c": "c", "d": "d", "dd": "đ", "e": "e"}


class AttemptStatus(StrEnum):
    COMPLETED = "completed"
    ERROR = "error"
    SKIPPED = "skipped"


class VerdictStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    ERROR = "error"
    SKIP = "skip"


class CriterionStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    MANUAL = "manual"
    NOT_CHECKED = "not_checked"


class EvidenceClass(StrEnum):
    """How a verdict is known: established by the scan, inferred heuristically, or only declared.

    Article 21 clause 3 is a *self*-declaration: a reader must be able to tell what trustscan
    saw from what the owner merely states (e.g. the approved security level of criterion a).
    """

    VERIFIED = "verified"
    DETECTED = "detected"
    DECLARED = "declared"


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Attempt:
    """What one probe produced: its facts when completed, its reason otherwise."""

    probe: str
    status: AttemptStatus
    data: dict[str, Any] | None = None
    error: str | None = None
    duration: float = 0.0

    @classmethod
    def completed(cls, probe: str, data: dict[str, Any], duration: float = 0.0) -> Attempt:
        return cls(probe, AttemptStatus.COMPLETED, data=data, duration=duration)

    @classmethod
    def failed(cls, probe: str, error: str, duration: float = 0.0) -> Attempt:
        return cls(probe, AttemptStatus.ERROR, error=error, duration=duration)

    @classmethod
    def skipped(cls, probe: str, reason: str) -> Attempt:
        return cls(probe, AttemptStatus.SKIPPED, error=reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "data": self.data,
            "error": self.error,
            "duration": round(self.duration, 3),
        }


@dataclass(frozen=True)
class Verdict:
    """One rule judged against the evidence, with the values it saw."""

    rule_id: str
    criterion: str
    status: VerdictStatus
    severity: Severity
    message_id: str
    observed: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class CriterionResult:
    """The roll-up of every verdict of one criterion."""

    criterion: str
    status: CriterionStatus
    counts: dict[str, int]
    evidence_class: EvidenceClass | None = None
