"""Criterion e against the real local world: each security.txt site's findings, line by line, and verdicts.

The audit runs only criterion e's rules, so only the securitytxt probe (and what it needs) is scheduled.
tests/integration/test_audit_world.py asserts every site's full set of non-passing verdicts; this
asserts what the probe found in each file as nginx served it.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.test_audit_world import world_settings
from tests.world import World
from trustscan.audit import run_audit
from trustscan.core.target import parse_target
from trustscan.judge.ruleset import load_ruleset
from trustscan.report.document import AuditOutcome

pytestmark = pytest.mark.world

# site -> (criterion e, the findings "id@line" or "id"); the files are tests/world/sites.py's.
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "good": ("pass", []),
    "sectxt-signed": ("pass", []),  # the frame, armor and CRC-24 are right; the signature is not verified
    "sectxt-warnings": ("pass", ["invalid_lang@5", "no_space@2", "unknown_field@6"]),
    "sectxt-noexpires": ("pass", ["no_expire"]),
    "sectxt-twoexpires": ("pass", ["multi_expire@4"]),
    "sectxt-badcanonical": ("pass", ["no_canonical_match@4"]),
    "sectxt-huge": ("pass", ["large_file", "truncated"]),
    "sectxt-legacy": ("fail", ["location", "no_canonical_match@4"]),
    "sectxt-expired": ("fail", ["expired@3"]),
    "sectxt-badcontact": ("fail", ["no_uri@2"]),  # its only Contact is "not-a-uri"
    "sectxt-wrongtype": ("fail", ["invalid_media"]),
    "sectxt-missing": ("fail", []),
}


@pytest.fixture(scope="module")
def audited(world: World) -> dict[str, AuditOutcome]:
    ruleset = load_ruleset().restricted_to(["e"])
    settings = world_settings(world)

    async def audit_all() -> list[AuditOutcome]:
        return await asyncio.gather(*(
            run_audit(parse_target(world.site(name).target), settings, ruleset=ruleset) for name in EXPECTED))

    return dict(zip(EXPECTED, asyncio.run(audit_all()), strict=True))


@pytest.mark.parametrize("name", EXPECTED)
def test_findings_and_criterion_e(audited: dict[str, AuditOutcome], name: str) -> None:
    outcome = audited[name]
    facts = outcome.attempts["securitytxt"].data
    keys = sorted(f["id"] if f["line"] is None else f"{f['id']}@{f['line']}" for f in facts["findings"])
    status, findings = EXPECTED[name]
    assert keys == findings
    assert outcome.criteria["e"].status.value == status


def test_a_warning_only_file_passes_with_warnings_naming_lines(audited: dict[str, AuditOutcome]) -> None:
    verdicts = {v.rule_id: v for v in audited["sectxt-warnings"].verdicts}
    assert {k for k, v in verdicts.items() if v.status.value == "warn"} == {
        "e.securitytxt.conformance", "e.securitytxt.recommended"}
    advice = verdicts["e.securitytxt.recommended"].observed["securitytxt.advice"]
    assert advice == ["line 6: field not in the IANA registry [unknown_field] (X-Bug-Bounty)"]


def test_without_expires_the_expiry_rules_are_not_applicable(audited: dict[str, AuditOutcome]) -> None:
    verdicts = {v.rule_id: v.status.value for v in audited["sectxt-noexpires"].verdicts}
    assert verdicts["e.securitytxt.expires"] == verdicts["e.securitytxt.expires_soon"] == "skip"
    assert "error" not in verdicts.values()


def test_a_legacy_only_file_fails_on_its_location(audited: dict[str, AuditOutcome]) -> None:
    verdicts = {v.rule_id: v.status.value for v in audited["sectxt-legacy"].verdicts}
    assert verdicts["e.securitytxt.well_known"] == "fail"
    assert [k for k, v in verdicts.items() if v == "fail"] == ["e.securitytxt.well_known"]
