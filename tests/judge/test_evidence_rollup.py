"""Roll-up with owner input (`on_missing: manual`) and evidence classes, on evidence built in code (no I/O)."""

from __future__ import annotations

import pytest

from trustscan.core.errors import RuleError
from trustscan.core.models import Attempt, CriterionStatus, EvidenceClass
from trustscan.judge.engine import evaluate, roll_up
from trustscan.judge.ruleset import Ruleset, load_ruleset, parse_rules

RULES = """
rules:
  - id: a.test.declared
    criterion: a
    severity: high
    evidence: declared
    on_missing: manual
    check: {fact: declaration.present, op: "true"}
    cases: {pass: {declaration: {present: true}}, fail: {declaration: {present: false}}, error: {declaration: error}}
  - id: a.test.header
    criterion: a
    severity: medium
    check: {fact: https.ok, op: "true"}
    cases: {pass: {https: {ok: true}}, fail: {https: {ok: false}}, error: {https: error}}
  - id: a.test.heuristic
    criterion: a
    severity: low
    evidence: detected
    check: {fact: https.guess, op: "true"}
    cases: {pass: {https: {guess: true}}, fail: {https: {guess: false}}, error: {https: error}}
  - id: c.test.plain
    criterion: c
    severity: low
    check: {fact: https.ok, op: "true"}
    cases: {pass: {https: {ok: true}}, fail: {https: {ok: false}}, error: {https: error}}
"""


@pytest.fixture
def ruleset() -> Ruleset:
    return Ruleset(tuple(parse_rules(RULES, "test.yaml")), "sha256:" + "0" * 64)


def judge(ruleset: Ruleset, *, declared: bool | None, ok: bool | None = True, guess: bool = True) -> dict:
    evidence = {"https": Attempt.failed("https", "refused") if ok is None
                else Attempt.completed("https", {"ok": ok, "guess": guess})}
    evidence["declaration"] = (Attempt.skipped("declaration", "no declaration supplied") if declared is None
                               else Attempt.completed("declaration", {"present": declared}))
    return roll_up(ruleset, evaluate(ruleset, evidence))


def test_without_declaration_a_passing_hygiene_is_manual_never_pass(ruleset: Ruleset) -> None:
    result = judge(ruleset, declared=None)["a"]
    assert result.status is CriterionStatus.MANUAL
    assert result.evidence_class is EvidenceClass.DECLARED  # what it waits for is the owner's word
    assert result.counts["skip"] == 1 and result.counts["pass"] == 2


def test_failing_hygiene_fails_with_or_without_declaration(ruleset: Ruleset) -> None:
    for declared in (None, True):
        result = judge(ruleset, declared=declared, ok=False)["a"]
        assert result.status is CriterionStatus.FAIL
        assert result.evidence_class is EvidenceClass.VERIFIED  # the failure is what the scan saw


def test_failure_rests_on_the_strongest_failing_rule(ruleset: Ruleset) -> None:
    only_heuristic = judge(ruleset, declared=True, guess=False)["a"]
    assert only_heuristic.status is CriterionStatus.FAIL
    assert only_heuristic.evidence_class is EvidenceClass.DETECTED


def test_pass_needs_the_declaration_and_is_never_presented_as_verified(ruleset: Ruleset) -> None:
    result = judge(ruleset, declared=True)
    assert result["a"].status is CriterionStatus.PASS
    assert result["a"].evidence_class is EvidenceClass.DECLARED
    assert result["c"].status is CriterionStatus.PASS and result["c"].evidence_class is EvidenceClass.VERIFIED


def test_an_unchecked_hygiene_rule_is_an_error_not_manual(ruleset: Ruleset) -> None:
    assert judge(ruleset, declared=None, ok=None)["a"].status is CriterionStatus.ERROR


def test_criteria_without_rules_have_no_evidence_class(ruleset: Ruleset) -> None:
    result = judge(ruleset, declared=True)["b"]
    assert result.status is CriterionStatus.NOT_CHECKED and result.evidence_class is None


@pytest.mark.parametrize(
    ("extra", "needle"),
    [("evidence: rumour", "evidence must be one of"), ("on_missing: pass", "on_missing can only be manual")],
)
def test_rule_keys_are_validated(extra: str, needle: str) -> None:
    text = f"""
rules:
  - id: a.test.bad
    criterion: a
    severity: low
    {extra}
    check: {{fact: p.x, op: "true"}}
    cases: {{pass: {{p: {{x: true}}}}, fail: {{p: {{x: false}}}}, error: {{p: error}}}}
"""
    with pytest.raises(RuleError, match=needle):
        parse_rules(text, "bad.yaml")


def test_shipped_criterion_a_is_manual_only_through_its_declaration_rule() -> None:
    shipped = load_ruleset()
    manual = [rule.id for rule in shipped.rules if rule.on_missing == "manual"]
    assert manual == ["a.declaration.present"]
    declared = {rule.id for rule in shipped.rules if rule.evidence_class is EvidenceClass.DECLARED}
    assert declared == {"a.declaration.present", "a.declaration.covers_site", "a.declaration.assessment_recent"}
