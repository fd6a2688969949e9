"""Every rule's own cases, and the consistency of the ruleset with its catalogues."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest

from trustscan.core.catalog import LANGUAGES, RULE_MESSAGE_KINDS, load_catalog
from trustscan.core.errors import RuleError
from trustscan.core.models import Attempt, VerdictStatus
from trustscan.core.yamldata import load_yaml, rule_files
from trustscan.judge.engine import evaluate_rule
from trustscan.judge.ruleset import Rule, load_ruleset, parse_rules

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


def test_every_rule_carries_its_own_wording() -> None:
    """One rule, one place to read: a rule's title/pass/fail/fix in vi and en are in its own file."""
    for file in rule_files():
        for raw in file.data["rules"]:
            assert set(raw.get("messages") or {}) == set(RULE_MESSAGE_KINDS), (file.name, raw["id"])
            assert all(set(raw["messages"][kind]) == set(LANGUAGES) for kind in RULE_MESSAGE_KINDS), raw["id"]
            for language in LANGUAGES:
                for kind in RULE_MESSAGE_KINDS:
                    assert load_catalog(language).messages[f"{raw['id']}.{kind}"] == raw["messages"][kind][language]


def test_shared_catalogues_hold_no_rule_wording() -> None:
    """Wording of a rule lives only in the rule: the topic catalogues never repeat (and so never shadow) it."""
    rule_keys = {rule.message_id(kind) for rule in RULESET.rules for kind in RULE_MESSAGE_KINDS}
    for language in LANGUAGES:
        folder = resources.files("trustscan.rules").joinpath("messages", language)
        for entry in folder.iterdir():
            if entry.name.endswith(".yaml"):
                assert not rule_keys & set(load_yaml(entry.read_text(encoding="utf-8")) or {}), entry.name


_WORDED = """
rules:
  - id: c.y.z
    criterion: c
    severity: high
    check: {{fact: p.a, op: "true"}}
    messages:
{messages}
    cases: {{pass: {{p: {{a: true}}}}, fail: {{p: {{a: false}}}}, error: {{p: error}}}}
"""
_COMPLETE = {kind: {"vi": f"{kind} vi", "en": f"{kind} en"} for kind in RULE_MESSAGE_KINDS}


def _worded(messages: dict[str, dict[str, str]]) -> str:
    lines = [f"      {kind}: {{{', '.join(f'{lang}: {text!r}' for lang, text in texts.items())}}}"
             for kind, texts in messages.items()]
    return _WORDED.format(messages="\n".join(lines))


def test_a_completely_worded_rule_loads() -> None:
    assert [rule.id for rule in parse_rules(_worded(_COMPLETE), "ok.yaml")] == ["c.y.z"]


@pytest.mark.parametrize(
    "messages",
    [
        {**_COMPLETE, "fix": {"vi": "sửa"}},  # English wording missing
        {**_COMPLETE, "title": {"vi": "tiêu đề", "en": ""}},  # English wording empty
        {**_COMPLETE, "pass": {"vi": "đạt", "en": "passed", "fr": "réussi"}},  # a language nobody reads
        {kind: texts for kind, texts in _COMPLETE.items() if kind != "fail"},  # a kind missing
        {**_COMPLETE, "warn": {"vi": "cảnh báo", "en": "warning"}},  # a kind no one renders
    ],
    ids=["en-missing", "en-empty", "extra-language", "kind-missing", "extra-kind"],
)
def test_incomplete_rule_wording_is_refused(messages: dict[str, dict[str, str]]) -> None:
    with pytest.raises(RuleError, match="messages"):
        parse_rules(_worded(messages), "bad.yaml")
