"""The evidence class of a criterion's status, derived from the classes of the rules behind it.

Each rule says what kind of evidence its verdict is (`verified`: the scan established it;
`detected`: a heuristic; `declared`: only the owner's word). A criterion is worth no more than
the evidence its status rests on:

- `fail`: one failing rule suffices, so the *strongest* class among the failing rules;
- `pass` / `manual`: every judged rule (and every owner input that is missing) is needed, so
  the *weakest* class among them — a criterion that passes partly on the owner's declaration
  is `declared`, never `verified` (Decree 137/2024/ND-CP Art. 21(3): a *self*-declaration);
- `error` / `not_checked`: nothing was established; the weakest class of the criterion's rules
  says what it would have rested on (None when the criterion has no rules).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from trustscan.core.models import CriterionStatus, EvidenceClass, Verdict, VerdictStatus
from trustscan.judge.ruleset import Rule

__all__ = ["criterion_evidence_class", "weakest", "strongest"]

_STRENGTH = {EvidenceClass.DECLARED: 0, EvidenceClass.DETECTED: 1, EvidenceClass.VERIFIED: 2}


def weakest(classes: Iterable[EvidenceClass]) -> EvidenceClass | None:
    """The least trustworthy class, or None for no classes."""
    return min(classes, key=_STRENGTH.__getitem__, default=None)


def strongest(classes: Iterable[EvidenceClass]) -> EvidenceClass | None:
    """The most trustworthy class, or None for no classes."""
    return max(classes, key=_STRENGTH.__getitem__, default=None)


def criterion_evidence_class(
    status: CriterionStatus, rules: Sequence[Rule], verdicts: Sequence[Verdict]
) -> EvidenceClass | None:
    """The evidence class of one criterion's roll-up; see the module docstring."""
    by_id = {rule.id: rule for rule in rules}
    judged = [(by_id[v.rule_id], v) for v in verdicts if v.rule_id in by_id]
    if status is CriterionStatus.FAIL:
        return strongest(rule.evidence_class for rule, v in judged if v.status is VerdictStatus.FAIL)
    if status in (CriterionStatus.PASS, CriterionStatus.MANUAL):
        return weakest(
            rule.evidence_class
            for rule, v in judged
            if v.status in (VerdictStatus.PASS, VerdictStatus.WARN)
            or (v.status is VerdictStatus.SKIP and rule.on_missing == "manual")
        )
    return weakest(rule.evidence_class for rule in rules)
