"""Typed, frozen data model shared by probes, the rule engine and the report.

The shape follows sslyze: every probe result is an *attempt* that says whether the probe
completed, so a check that could not run can never be mistaken for a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trustscan.core.wordings import Wording

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
    """What one probe produced: its facts when completed, its reason otherwise.

    The reason is `error`, an English sentence, and `wording`, the same reason as a message id and
    values that every output words in its own language (None for a reason given as bare text).
    """

    probe: str
    status: AttemptStatus
    data: dict[str, Any] | None = None
    error: str | None = None
    duration: float = 0.0
    wording: Wording | None = None

    @classmethod
    def completed(cls, probe: str, data: dict[str, Any], duration: float = 0.0) -> Attempt:
        return cls(probe, AttemptStatus.COMPLETED, data=data, duration=duration)

    @classmethod
    def failed(cls, probe: str, error: str | Wording, duration: float = 0.0) -> Attempt:
        wording = error if isinstance(error, Wording) else None
        return cls(probe, AttemptStatus.ERROR, error=str(error), duration=duration, wording=wording)

    @classmethod
    def skipped(cls, probe: str, reason: str | Wording) -> Attempt:
        wording = reason if isinstance(reason, Wording) else None
        return cls(probe, AttemptStatus.SKIPPED, error=str(reason), wording=wording)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "data": self.data,
            "error": self.error,
            **({"error_wording": self.wording.to_json()} if self.wording is not None else {}),
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
    error_wording: Wording | None = None  # `error` as a message id and values, to word in any language


@dataclass(frozen=True)
class CriterionResult:
    """The roll-up of every verdict of one criterion."""

    criterion: str
    status: CriterionStatus
    counts: dict[str, int]
    evidence_class: EvidenceClass | None = None
