"""Every rule's own cases, and the consistency of the ruleset with its catalogues."""

from __future__ import annotations

import re
from typing import Any

import pytest

from trustscan.core.catalog import LANGUAGES, load_catalog
from trustscan.core.models import Attempt, VerdictStatus
from trustscan.judge.engine import evaluate_rule
from trustscan.judge.ruleset import Rule, load_ruleset

RULESET = load_ruleset()
_PLACEHOLDER = re.compile(r"\{([a-z0-9_.]+)\}")


def evidence_from_case(case: dict[str, Any]) -> dict[str, Attempt]:
    """Case shorthand: probe -> facts dict, or the strings "error" / "skipped"."""
    evidence = {}
    for probe, data in case.items():
        if data == "error":
            evidence[probe] = Attempt.failed(probe, "connection refused")
        elif data == "skipped":
            evidence[probe] = Attempt.skipped(probe, "not applicable")
        else:
            evidence[probe] = Attempt.completed(probe, data)
    return evidence


def expected_status(rule: Rule, case_name: str) -> VerdictStatus:
    return rule.on_violation if case_name == "fail" else VerdictStatus(case_name)


CASES = [(rule, name) for rule in RULESET.rules for name in rule.cases]


@pytest.mark.parametrize(("rule", "case_name"), CASES, ids=[f"{r.id}:{n}" for r, n in CASES])
def test_rule_case(rule: Rule, case_name: str) -> None:
    verdict = evaluate_rule(rule, evidence_from_case(rule.cases[case_name]))
    assert verdict.status is expected_status(rule, case_name), verdict


@pytest.mark.parametrize("rule", RULESET.rules, ids=lambda r: r.id)
def test_rule_error_case_is_never_a_pass(rule: Rule) -> None:
    verdict = evaluate_rule(rule, evidence_from_case(rule.cases["error"]))
    assert verdict.status is VerdictStatus.ERROR
    assert verdict.error


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_rule_is_worded_in_every_language(language: str) -> None:
    catalog = load_catalog(language)
    missing = [
        rule.message_id(kind)
        for rule in RULESET.rules
        for kind in ("title", "pass", "fail", "fix")
        if rule.message_id(kind) not in catalog.messages
    ]
    assert missing == []


def test_catalogues_have_the_same_keys() -> None:
    vi, en = (set(load_catalog(lang).messages) for lang in ("vi", "en"))
    assert vi == en


@pytest.mark.parametrize("rule", RULESET.rules, ids=lambda r: r.id)
def test_messages_only_name_facts_the_rule_observes(rule: Rule) -> None:
    observed = set(rule.check.reads + (rule.when.reads if rule.when else ()) + rule.observe)
    for language in LANGUAGES:
        catalog = load_catalog(language)
        for kind in ("pass", "fail"):
            names = set(_PLACEHOLDER.findall(catalog.messages[rule.message_id(kind)]))
            assert names <= observed, (language, kind, names - observed)


def test_rule_ids_are_unique_and_well_formed() -> None:
    ids = [rule.id for rule in RULESET.rules]
    assert len(ids) == len(set(ids))
    for rule in RULESET.rules:
        assert re.fullmatch(r"(a|b|c|d|dd|e)\.[a-z0-9_]+\.[a-z0-9_]+", rule.id)
        assert rule.id.split(".")[0] == rule.criterion
        assert rule.references, f"{rule.id} cites nothing"
