"""The CI gate: judge a finished report against a policy (and optionally a baseline report).

Every non-passing verdict of a required criterion gets one decision — it *blocks* the build
(as a failure or as an incomplete audit), is *waived* by an active waiver, or is *ignored* for a
stated reason (below the severity threshold, a warning, already failing in the baseline, ...).
A definite failure outranks an incomplete audit, so CI sees the known problem first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trustscan.ci.policy import DEFAULT_POLICY, FAIL, IGNORE, INCOMPLETE, Policy, Waiver
from trustscan.report.diff import failing

BLOCKING, WAIVED, IGNORED = "blocking", "waived", "ignored"


@dataclass(frozen=True)
class Decision:
    """What the policy made of one non-passing verdict (or criterion, when `rule_id` is None).

    `reason` is a stable code, worded by the catalogue under `policy.reason.<code>`.
    """

    criterion: str
    rule_id: str | None
    status: str
    severity: str | None
    decision: str
    counts_as: str | None
    reason: str
    waiver: Waiver | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion, "rule_id": self.rule_id, "status": self.status,
            "severity": self.severity, "decision": self.decision, "counts_as": self.counts_as,
            "reason": self.reason, "waiver": self.waiver.to_json() if self.waiver else None,
        }


@dataclass(frozen=True)
class GateOutcome:
    """The policy's verdict on a report: `pass`, `fail` or `error` (incomplete), and why."""

    outcome: str
    policy: Policy
    decisions: tuple[Decision, ...]
    expired_waivers: tuple[Waiver, ...]
    evaluated_on: dt.date
    baseline: Mapping[str, Any] | None = None

    def of(self, decision: str) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.decision == decision)

    def to_json(self) -> dict[str, Any]:
        baseline = None
        if self.baseline is not None:
            baseline = {"target": self.baseline["target"]["ascii_host"], "started_at": self.baseline["started_at"]}
        return {
            "source": self.policy.source,
            "outcome": self.outcome,
            "evaluated_on": self.evaluated_on.isoformat(),
            "settings": self.policy.settings_json(),
            "baseline": baseline,
            "decisions": [d.to_json() for d in self.decisions],
            "expired_waivers": [w.to_json() for w in self.expired_waivers],
        }


def evaluate_policy(
    report: Mapping[str, Any],
    policy: Policy = DEFAULT_POLICY,
    *,
    today: dt.date,
    baseline: Mapping[str, Any] | None = None,
) -> GateOutcome:
    """Judge `report`; with a `baseline`, a failure that already failed there does not block."""
    required = _required(report, policy)
    active = {w.rule_id: w for w in policy.waivers if w.active_on(today)}
    expired = {w.rule_id: w for w in policy.waivers if not w.active_on(today)}
    was_failing = {v["rule_id"] for v in baseline["verdicts"] if failing(v["status"])} if baseline else set()
    decisions: list[Decision] = []
    for verdict in report["verdicts"]:
        if verdict["status"] in ("pass", "skip"):
            continue
        counts_as = _counts_as(verdict["status"], policy)
        decision, reason = _decide(verdict, counts_as, required, policy, active, expired, was_failing)
        decisions.append(Decision(
            criterion=verdict["criterion"], rule_id=verdict["rule_id"], status=verdict["status"],
            severity=verdict["severity"], decision=decision, counts_as=counts_as if decision == BLOCKING else None,
            reason=reason, waiver=active.get(verdict["rule_id"]) if decision == WAIVED else None,
        ))
    decisions += _criterion_decisions(report, required, policy, decisions)
    blocking = {d.counts_as for d in decisions if d.decision == BLOCKING}
    outcome = "fail" if FAIL in blocking else "error" if INCOMPLETE in blocking else "pass"
    return GateOutcome(outcome, policy, tuple(decisions), tuple(expired.values()), today, baseline)


def _required(report: Mapping[str, Any], policy: Policy) -> tuple[str, ...]:
    if policy.criteria is not None:
        return policy.criteria
    return tuple(key for key, result in report["criteria"].items() if result["status"] != "not_checked")


def _counts_as(status: str, policy: Policy) -> str:
    if status == "fail":
        return FAIL
    if status == "warn":
        return policy.warnings
    return policy.errors  # "error": the rule could not be checked


def _decide(
    verdict: Mapping[str, Any],
    counts_as: str,
    required: tuple[str, ...],
    policy: Policy,
    active: Mapping[str, Waiver],
    expired: Mapping[str, Waiver],
    was_failing: set[str],
) -> tuple[str, str]:
    rule_id, status = verdict["rule_id"], verdict["status"]
    if verdict["criterion"] not in required:
        return IGNORED, "criterion_not_required"
    if counts_as == IGNORE:
        return IGNORED, "warning" if status == "warn" else "error_ignored"
    if not policy.at_least(verdict["severity"]):
        return IGNORED, "below_min_severity"
    if rule_id in active:
        return WAIVED, "waived"
    # A baseline excuses only known failures: an error is not known to be the same problem.
    if status != "error" and rule_id in was_failing:
        return IGNORED, "in_baseline"
    return BLOCKING, "waiver_expired" if rule_id in expired else status


def _criterion_decisions(
    report: Mapping[str, Any], required: tuple[str, ...], policy: Policy, verdict_decisions: list[Decision]
) -> list[Decision]:
    """Criteria whose status no single verdict explains: nothing applied, manual, or not checked."""
    decisions = []
    for criterion in required:
        status = report["criteria"][criterion]["status"]
        if status == "not_checked":
            # The policy names a criterion this version cannot check: never let that read as a pass.
            decisions.append(Decision(criterion, None, status, None, BLOCKING, INCOMPLETE, "not_checked"))
        elif status == "manual":
            counts_as = policy.manual
            decision = IGNORED if counts_as == IGNORE else BLOCKING
            decisions.append(Decision(criterion, None, status, None, decision,
                                      None if decision == IGNORED else counts_as, "manual"))
        elif status == "error" and not any(d.criterion == criterion and d.status == "error"
                                           for d in verdict_decisions):
            # Every rule was skipped: no rule passed, so the criterion is unverified, not passed.
            counts_as = policy.errors
            decision = IGNORED if counts_as == IGNORE else BLOCKING
            decisions.append(Decision(criterion, None, status, None, decision,
                                      None if decision == IGNORED else counts_as, "nothing_applied"))
    return decisions


def with_policy(report: Mapping[str, Any], outcome: GateOutcome) -> dict[str, Any]:
    """A copy of the report carrying the policy outcome (placed right after `overall`)."""
    result: dict[str, Any] = {}
    for key, value in report.items():
        if key != "policy":
            result[key] = value
        if key == "overall":
            result["policy"] = outcome.to_json()
    result.setdefault("policy", outcome.to_json())
    return result
