"""Judge finished evidence with the ruleset: pure functions, no I/O.

Verdict semantics (sslyze's attempt model carried through): a rule whose probe errored is
`error`, whose probe was skipped is `skip`, whose facts are unknown (None) is `error`. Only a
rule that actually saw its facts can pass, and a criterion rolls up to `pass` only if no
verdict failed or errored and at least one passed. Only a core rule's violation fails a criterion;
an advisory rule's violation is a warning, and warnings alone never fail it (judge/ruleset.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from trustscan.core.models import (
    CRITERIA,
    Attempt,
    AttemptStatus,
    CriterionResult,
    CriterionStatus,
    Verdict,
    VerdictStatus,
)
from trustscan.core.wordings import WORDING_SUFFIX, Wording
from trustscan.judge import predicates
from trustscan.judge.evidence_class import criterion_evidence_class
from trustscan.judge.ruleset import Clause, Condition, Rule, Ruleset

_MISSING = object()


class UnknownFact(Exception):
    """A fact the rule needs is absent or None: the rule cannot be judged."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def lookup(evidence: Mapping[str, Attempt], path: str) -> Any:
    """The value at `probe.key.subkey` in a completed attempt, or _MISSING."""
    probe, _, rest = path.partition(".")
    attempt = evidence.get(probe)
    value: Any = attempt.data if attempt else None
    for key in rest.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _known(evidence: Mapping[str, Attempt], path: str) -> Any:
    value = lookup(evidence, path)
    if value is _MISSING or value is None:
        raise UnknownFact(path)
    return value


def _clause_holds(clause: Clause, value: Any) -> bool:
    op, expected = clause.op, clause.value
    if op == "eq":
        return bool(value == expected)
    if op == "ne":
        return bool(value != expected)
    if op in ("lt", "le", "gt", "ge"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise UnknownFact(clause.fact)
        return {"lt": value < expected, "le": value <= expected, "gt": value > expected,
                "ge": value >= expected}[op]
    if op == "in":
        return value in expected
    if op == "not_in":
        return value not in expected
    if op == "empty":
        return len(value) == 0
    if op == "not_empty":
        return len(value) > 0
    if op == "true":
        return value is True
    return value is False  # "false"


def condition_holds(condition: Condition, evidence: Mapping[str, Attempt]) -> bool:
    """Evaluate a condition; raises UnknownFact when a fact it reads is not known."""
    if condition.predicate is not None:
        facts = {path: _known(evidence, path) for path in condition.facts}
        return bool(getattr(predicates, condition.predicate)(facts))
    # Clauses are read in order and short-circuit: a fact after the deciding clause is not
    # needed, so its being unknown must not turn a decided verdict into an error.
    results = (_clause_holds(c, _known(evidence, c.fact)) for c in condition.clauses)
    return all(results) if condition.mode == "all" else any(results)


def observed_values(rule: Rule, evidence: Mapping[str, Attempt]) -> dict[str, Any]:
    """What the rule looked at, for the report: its condition's facts and extra `observe` facts.

    A fact worded beside it (`<fact>_wording`, a certificate's validation error) comes with its
    wording, so every output can say it in its own language.
    """
    paths = rule.check.reads + (rule.when.reads if rule.when else ()) + rule.observe
    values = {path: lookup(evidence, path) for path in dict.fromkeys(paths)}
    observed = {path: (None if value is _MISSING else value) for path, value in values.items()}
    for path in values:
        wording = lookup(evidence, path + WORDING_SUFFIX)
        if wording is not _MISSING and wording is not None:
            observed[path + WORDING_SUFFIX] = wording
    return observed


def evaluate_rule(rule: Rule, evidence: Mapping[str, Attempt]) -> Verdict:
    """One verdict; never raises for anything the evidence contains."""

    def verdict(status: VerdictStatus, message: str, error: str | Wording | None = None,
                wording: Wording | None = None) -> Verdict:
        wording = wording or (error if isinstance(error, Wording) else None)
        return Verdict(
            rule_id=rule.id,
            criterion=rule.criterion,
            status=status,
            severity=rule.severity,
            message_id=message,
            observed=observed_values(rule, evidence),
            error=None if error is None else str(error),
            error_wording=wording,
        )

    for probe in rule.probes:
        attempt = evidence.get(probe)
        if attempt is None:
            missing = Wording("error.probe_missing", {"probe": probe})
            return verdict(VerdictStatus.ERROR, "verdict.probe_missing", missing)
        if attempt.status is AttemptStatus.ERROR:
            cause = None if attempt.wording is None else Wording("error.in_probe",
                                                                 {"probe": probe, "cause": attempt.wording})
            return verdict(VerdictStatus.ERROR, "verdict.probe_error", f"{probe}: {attempt.error}", cause)
        if attempt.status is AttemptStatus.SKIPPED:
            # Why a probe was not run is trustscan's own reason ("no declaration supplied"): said without the probe.
            return verdict(VerdictStatus.SKIP, "verdict.probe_skipped", f"{probe}: {attempt.error}", attempt.wording)
    try:
        if rule.when is not None and not condition_holds(rule.when, evidence):
            return verdict(VerdictStatus.SKIP, "verdict.not_applicable")
        if condition_holds(rule.check, evidence):
            return verdict(VerdictStatus.PASS, rule.message_id("pass"))
    except UnknownFact as unknown:
        unknown_fact = Wording("error.fact_unknown", {"path": unknown.path})
        return verdict(VerdictStatus.ERROR, "verdict.fact_unknown", unknown_fact)
    return verdict(rule.on_violation, rule.message_id("fail"))


def evaluate(ruleset: Ruleset, evidence: Mapping[str, Attempt]) -> list[Verdict]:
    return [evaluate_rule(rule, evidence) for rule in ruleset.rules]


def roll_up(ruleset: Ruleset, verdicts: list[Verdict]) -> dict[str, CriterionResult]:
    """Per-criterion status: fail > error > manual > pass; warnings pass; no passing rule is an error.

    `fail`: a core rule was violated. Advisory rules never produce a `fail` verdict (their violation
    is `warn`), and the roll-up counts failures of core rules only, so that holds here too.

    `manual`: a rule marked `on_missing: manual` was skipped because its input (the owner's
    declaration) was not supplied, so the scan alone cannot decide the criterion, however well
    its observable rules did. A failing observable rule still fails it.
    """
    results: dict[str, CriterionResult] = {}
    for criterion in CRITERIA:
        rules = ruleset.for_criterion(criterion)
        mine = [v for v in verdicts if v.criterion == criterion]
        counts = Counter(v.status.value for v in mine)
        summary = {status.value: counts.get(status.value, 0) for status in VerdictStatus}
        manual_ids = {rule.id for rule in rules if rule.on_missing == "manual"}
        core_ids = {rule.id for rule in rules if rule.core}
        core_failed = any(v.rule_id in core_ids and v.status is VerdictStatus.FAIL for v in mine)
        owner_input_missing = any(v.rule_id in manual_ids and v.status is VerdictStatus.SKIP for v in mine)
        if not rules:
            status = CriterionStatus.NOT_CHECKED
        elif core_failed:
            status = CriterionStatus.FAIL
        elif counts["error"]:
            status = CriterionStatus.ERROR
        elif owner_input_missing:
            status = CriterionStatus.MANUAL
        elif not counts["pass"]:
            status = CriterionStatus.ERROR
        else:
            status = CriterionStatus.PASS
        evidence = criterion_evidence_class(status, rules, mine)
        results[criterion] = CriterionResult(criterion, status, summary, evidence)
    return results
