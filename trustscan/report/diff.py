"""The difference between two audit reports of a site: what regressed, what was fixed.

Both sides are finished report documents (the JSON contract), never re-scans. A rule *fails*
when its verdict is `fail` or `warn`; `skip` (not applicable) counts as not failing, and an
`error` (could not check) is its own change, never a fix or a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: How bad a rule status is, for deciding whether a change is a regression or a fix.
_RANK = {"pass": 0, "skip": 0, "warn": 1, "fail": 2}
_CRITERION_RANK = {"pass": 0, "manual": 1, "fail": 2}
REGRESSED, FIXED, IMPROVED, UNVERIFIABLE, RECOVERED, ADDED, REMOVED = (
    "regressed", "fixed", "improved", "unverifiable", "recovered", "added", "removed")
CHANGES = (REGRESSED, FIXED, IMPROVED, UNVERIFIABLE, RECOVERED, ADDED, REMOVED)


@dataclass(frozen=True)
class Change:
    """One rule (or criterion, `rule_id=None`) whose status differs between the two reports."""

    criterion: str
    rule_id: str | None
    old: str | None
    new: str | None
    change: str
    title: str = ""

    def to_json(self) -> dict[str, Any]:
        data = {"criterion": self.criterion, "old": self.old, "new": self.new, "change": self.change}
        return data if self.rule_id is None else {"rule_id": self.rule_id, "title": self.title, **data}


@dataclass(frozen=True)
class ReportDiff:
    """Rule and criterion changes from `old` to `new`, in report order."""

    old: Mapping[str, Any]
    new: Mapping[str, Any]
    rules: tuple[Change, ...]
    criteria: tuple[Change, ...]
    unchanged: int

    def of_kind(self, change: str) -> tuple[Change, ...]:
        return tuple(c for c in self.rules if c.change == change)

    @property
    def regressions(self) -> tuple[Change, ...]:
        return self.of_kind(REGRESSED)

    def to_json(self) -> dict[str, Any]:
        def side(report: Mapping[str, Any]) -> dict[str, Any]:
            return {"target": report["target"]["ascii_host"], "port": report["target"]["port"],
                    "started_at": report["started_at"], "overall": report["overall"]}

        return {
            "old": side(self.old),
            "new": side(self.new),
            "summary": {**{kind: len(self.of_kind(kind)) for kind in CHANGES}, "unchanged": self.unchanged},
            "criteria": [c.to_json() for c in self.criteria],
            "rules": [c.to_json() for c in self.rules],
        }


def failing(status: str | None) -> bool:
    return status in ("fail", "warn")


def classify(old: str | None, new: str | None) -> str | None:
    """The kind of change of one rule's status; None when nothing that matters changed."""
    if old == new:
        return None
    if old is None:
        return REGRESSED if failing(new) else ADDED
    if new is None:
        return REMOVED
    if new == "error":
        return UNVERIFIABLE
    if old == "error":
        return REGRESSED if failing(new) else RECOVERED
    if _RANK[new] > _RANK[old]:
        return REGRESSED
    if _RANK[new] < _RANK[old]:
        return FIXED if not failing(new) else IMPROVED
    return None  # pass <-> skip: nothing wrong either way


def _classify_criterion(old: str, new: str) -> str | None:
    if old == new:
        return None
    if new in ("error", "not_checked"):
        return UNVERIFIABLE
    if old in ("error", "not_checked"):
        return REGRESSED if new == "fail" else RECOVERED
    if _CRITERION_RANK[new] > _CRITERION_RANK[old]:
        return REGRESSED
    return FIXED if new == "pass" else IMPROVED


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any]) -> ReportDiff:
    """Compare two reports of (usually) the same site, rule by rule and criterion by criterion."""
    old_verdicts = {v["rule_id"]: v for v in old["verdicts"]}
    new_verdicts = {v["rule_id"]: v for v in new["verdicts"]}
    changes: list[Change] = []
    unchanged = 0
    for rule_id in [*new_verdicts, *(r for r in old_verdicts if r not in new_verdicts)]:
        before, after = old_verdicts.get(rule_id), new_verdicts.get(rule_id)
        kind = classify(before and before["status"], after and after["status"])
        if kind is None:
            unchanged += 1
            continue
        source = after or before
        assert source is not None
        changes.append(Change(source["criterion"], rule_id, before and before["status"],
                              after and after["status"], kind, source["title"]))
    criteria = []
    for key, result in new["criteria"].items():
        before = old["criteria"].get(key, {}).get("status")
        kind = _classify_criterion(before, result["status"]) if before else None
        if kind is not None:
            criteria.append(Change(key, None, before, result["status"], kind))
    return ReportDiff(old, new, tuple(changes), tuple(criteria), unchanged)
