"""Engine layer: operators, short-circuiting, error propagation and roll-up, with no I/O."""

from __future__ import annotations

import pytest

from trustscan.core.errors import RuleError
from trustscan.core.models import Attempt, CriterionStatus, VerdictStatus
from trustscan.judge.engine import evaluate, evaluate_rule, roll_up
from trustscan.judge.ruleset import Ruleset, parse_rules

RULES = """
rules:
  - id: c.test.ge
    criterion: c
    severity: high
    check: {fact: p.n, op: ge, value: 10}
    cases: {pass: {p: {n: 10}}, fail: {p: {n: 9}}, error: {p: error}}
  - id: c.test.warn
    criterion: c
    severity: low
    on_violation: warn
    when: {fact: p.applies, op: "true"}
    check:
      any:
        - {fact: p.a, op: "true"}
        - {fact: p.b, op: in, value: [x, y]}
    cases: {pass: {p: {applies: true, a: true}}, fail: {p: {applies: true, a: false, b: z}}, error: {p: error}}
  - id: e.test.empty
    criterion: e
    severity: medium
    check: {fact: q.items, op: empty}
    cases: {pass: {q: {items: []}}, fail: {q: {items: [1]}}, error: {q: error}}
"""


@pytest.fixture
def ruleset() -> Ruleset:
    return Ruleset(tuple(parse_rules(RULES, "test.yaml")), "sha256:" + "0" * 64)


def ev(**probes: dict | str) -> dict[str, Attempt]:
    out = {}
    for name, data in probes.items():
        if data == "error":
            out[name] = Attempt.failed(name, "boom")
        elif data == "skipped":
            out[name] = Attempt.skipped(name, "not run")
        else:
            out[name] = Attempt.completed(name, data)  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize(
    ("data", "status"),
    [({"n": 11}, "pass"), ({"n": 10}, "pass"), ({"n": 3}, "fail"), ({"n": None}, "error"),
     ({}, "error"), ({"n": "10"}, "error"), ({"n": True}, "error")],
)
def test_numeric_comparison(ruleset: Ruleset, data: dict, status: str) -> None:
    assert evaluate_rule(ruleset.get("c.test.ge"), ev(p=data)).status.value == status


def test_probe_error_and_skip_propagate(ruleset: Ruleset) -> None:
    rule = ruleset.get("c.test.ge")
    errored = evaluate_rule(rule, ev(p="error"))
    assert errored.status is VerdictStatus.ERROR and errored.error == "p: boom"
    assert evaluate_rule(rule, ev(p="skipped")).status is VerdictStatus.SKIP
    assert evaluate_rule(rule, {}).status is VerdictStatus.ERROR


def test_when_false_skips_and_any_short_circuits(ruleset: Ruleset) -> None:
    rule = ruleset.get("c.test.warn")
    assert evaluate_rule(rule, ev(p={"applies": False})).status is VerdictStatus.SKIP
    # b is unknown but a already decides the `any`: still a pass, not an error.
    assert evaluate_rule(rule, ev(p={"applies": True, "a": True, "b": None})).status is VerdictStatus.PASS
    # a is false, so b is needed, and it is unknown: an error, never a pass.
    assert evaluate_rule(rule, ev(p={"applies": True, "a": False, "b": None})).status is VerdictStatus.ERROR
    assert evaluate_rule(rule, ev(p={"applies": True, "a": False, "b": "y"})).status is VerdictStatus.PASS
    assert evaluate_rule(rule, ev(p={"applies": True, "a": False, "b": "q"})).status is VerdictStatus.WARN


def test_observed_values_are_recorded(ruleset: Ruleset) -> None:
    verdict = evaluate_rule(ruleset.get("c.test.ge"), ev(p={"n": 4}))
    assert verdict.observed == {"p.n": 4}


def test_roll_up(ruleset: Ruleset) -> None:
    def statuses(**probes: dict | str) -> dict[str, str]:
        results = roll_up(ruleset, evaluate(ruleset, ev(**probes)))
        return {k: v.status.value for k, v in results.items()}

    passing = statuses(p={"n": 10, "applies": True, "a": False, "b": "q"}, q={"items": []})
    assert passing["c"] == "pass"  # a warning does not fail the criterion
    assert passing["e"] == "pass"
    assert {passing[k] for k in ("a", "b", "d", "dd")} == {"not_checked"}
    assert statuses(p={"n": 1, "applies": False}, q={"items": []})["c"] == "fail"
    # A probe error can never roll up to pass, even if another rule passed.
    assert statuses(p={"n": 10, "applies": True, "a": None, "b": None}, q="error") == {
        **{k: "not_checked" for k in ("a", "b", "d", "dd")}, "c": "error", "e": "error"}
    # Failure outranks error.
    assert statuses(p={"n": 1, "applies": True, "a": None, "b": None}, q={})["c"] == "fail"
    # Nothing passed (everything skipped): the criterion was not established.
    assert statuses(p="skipped", q="skipped")["c"] == CriterionStatus.ERROR.value


@pytest.mark.parametrize(
    "bad",
    [
        "rules: [{id: x.y, criterion: z, severity: high, check: {fact: p.a, op: 'true'}}]",
        "rules: [{id: c.y, criterion: c, severity: huge, check: {fact: p.a, op: 'true'}}]",
        "rules: [{id: c.y, criterion: c, severity: high, check: {fact: p.a, op: like}}]",
        "rules: [{id: c.y, criterion: c, severity: high, check: {fact: p.a, op: ge}}]",
        "rules: [{id: c.y, criterion: c, severity: high, check: {predicate: nope}}]",
        "rules: [{id: c.y, criterion: c, severity: high, check: {fact: p.a, op: 'true'}}]",  # no cases
        "rules: [{id: c.y, criterion: c, severity: high, colour: red, check: {fact: p.a, op: 'true'}}]",
        "rules: [unclosed",
        "just text",
    ],
)
def test_malformed_rules_are_rejected(bad: str) -> None:
    with pytest.raises(RuleError):
        parse_rules(bad, "bad.yaml")


CORE_RULES = """
rules:
  - id: b.test.core
    criterion: b
    severity: high
    core: true
    check: {fact: p.ok, op: "true"}
    cases: {pass: {p: {ok: true}}, fail: {p: {ok: false}}, error: {p: error}}
  - id: b.test.advice
    criterion: b
    severity: high
    core: false
    check: {fact: p.nice, op: "true"}
    cases: {pass: {p: {nice: true}}, fail: {p: {nice: false}}, error: {p: error}}
  - id: b.test.unmarked
    criterion: b
    severity: low
    check: {fact: p.other, op: "true"}
    cases: {pass: {p: {other: true}}, fail: {p: {other: false}}, error: {p: error}}
"""


def test_only_a_core_rule_fails_its_criterion() -> None:
    ruleset = Ruleset(tuple(parse_rules(CORE_RULES, "core.yaml")), "sha256:" + "0" * 64)
    assert [rule.core for rule in ruleset.rules] == [True, False, True]  # unmarked = core (safe reading)

    def b(**facts: bool) -> tuple[str, dict[str, str]]:
        verdicts = evaluate(ruleset, ev(p=facts))
        return roll_up(ruleset, verdicts)["b"].status.value, {v.rule_id: v.status.value for v in verdicts}

    # An advisory rule's violation, even of high severity, is a warning: the criterion still passes.
    assert b(ok=True, nice=False, other=True) == ("pass", {
        "b.test.core": "pass", "b.test.advice": "warn", "b.test.unmarked": "pass"})
    assert b(ok=False, nice=True, other=True)[0] == "fail"
    assert b(ok=True, nice=True, other=False)[0] == "fail"


@pytest.mark.parametrize("marks", ["core: true, on_violation: warn", "core: false, on_violation: fail",
                                   "core: 'yes'", "on_violation: maybe"])
def test_contradictory_or_malformed_core_marks_are_refused(marks: str) -> None:
    text = (f"rules: [{{id: c.y, criterion: c, severity: high, {marks}, check: {{fact: p.a, op: 'true'}}, "
            "cases: {pass: {p: {a: true}}, fail: {p: {a: false}}, error: {p: error}}}]")
    with pytest.raises(RuleError, match="core|on_violation"):
        parse_rules(text, "bad.yaml")
