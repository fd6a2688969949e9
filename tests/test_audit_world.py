"""Integration: the whole audit pipeline against the real local world (nginx, DNS, CA on loopback).

Every site of tests/world/sites.py is audited once per session (concurrently, as a user's bulk run
would), and each site's per-criterion statuses and every non-passing verdict are asserted exactly.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import jsonschema
import pytest

from tests.world import World
from trustscan.audit import AuditSettings, run_audit
from trustscan.catalog import load_catalog
from trustscan.report import AuditOutcome, build_report, report_schema
from trustscan.resolve import NameServer
from trustscan.ruleset import load_ruleset
from trustscan.target import parse_target

_TLS_DOWN = {rule.id: "error" for rule in load_ruleset().rules if rule.probes == ("tls",)}
_SECTXT_DOWN = {rule.id: "error" for rule in load_ruleset().rules if rule.probes == ("securitytxt",)}
_SECTXT_ABSENT = {rule.id: "skip" for rule in load_ruleset().rules
                  if rule.probes == ("securitytxt",) and rule.id != "e.securitytxt.present"}

# site -> (criterion statuses for c and e, every verdict that is not a pass)
EXPECTED: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "good": ({"c": "pass", "e": "pass"}, {"c.tls.dh_params": "skip"}),
    "legacy": ({"c": "fail", "e": "pass"}, {
        "c.cert.trusted": "fail", "c.cert.key_size": "fail", "c.cert.signature_hash": "fail",
        "c.tls.no_legacy_protocols": "fail", "c.tls.tls13": "warn", "c.tls.forward_secrecy": "warn",
        "c.tls.dh_params": "fail"}),
    "expired": ({"c": "fail", "e": "pass"}, {
        "c.cert.trusted": "fail", "c.cert.not_expired": "fail", "c.cert.expiring_soon": "skip",
        "c.tls.dh_params": "skip"}),
    "expiring": ({"c": "pass", "e": "pass"}, {"c.cert.expiring_soon": "warn", "c.tls.dh_params": "skip"}),
    "selfsigned": ({"c": "fail", "e": "pass"}, {
        "c.cert.trusted": "fail", "c.cert.not_self_signed": "fail", "c.tls.dh_params": "skip"}),
    "wronghost": ({"c": "fail", "e": "pass"}, {
        "c.cert.trusted": "fail", "c.cert.hostname": "fail", "c.tls.dh_params": "skip"}),
    "nochain": ({"c": "fail", "e": "pass"}, {
        "c.cert.trusted": "fail", "c.cert.chain_complete": "fail", "c.tls.dh_params": "skip"}),
    "httponly": ({"c": "fail", "e": "error"}, {
        **_TLS_DOWN, **_SECTXT_DOWN, "c.http.redirects_to_https": "fail", "c.http.hsts": "error"}),
    "nohsts": ({"c": "fail", "e": "pass"}, {
        "c.http.redirects_to_https": "fail", "c.http.hsts": "warn", "c.tls.dh_params": "skip"}),
    "sectxt-missing": ({"c": "pass", "e": "fail"}, {
        "c.tls.dh_params": "skip", **_SECTXT_ABSENT, "e.securitytxt.present": "fail"}),
    "sectxt-expired": ({"c": "pass", "e": "fail"}, {
        "c.tls.dh_params": "skip", "e.securitytxt.expires": "fail", "e.securitytxt.expires_soon": "skip"}),
    "sectxt-legacy": ({"c": "pass", "e": "fail"}, {
        "c.tls.dh_params": "skip", "e.securitytxt.well_known": "warn", "e.securitytxt.canonical": "fail"}),
    "sectxt-badcontact": ({"c": "pass", "e": "fail"}, {"c.tls.dh_params": "skip", "e.securitytxt.contact": "fail"}),
    "sectxt-twoexpires": ({"c": "pass", "e": "fail"}, {"c.tls.dh_params": "skip", "e.securitytxt.expires": "fail"}),
    "sectxt-wrongtype": ({"c": "pass", "e": "fail"}, {"c.tls.dh_params": "skip", "e.securitytxt.media_type": "fail"}),
    "sectxt-signed": ({"c": "pass", "e": "pass"}, {"c.tls.dh_params": "skip"}),
    "sectxt-huge": ({"c": "pass", "e": "fail"}, {"c.tls.dh_params": "skip", "e.securitytxt.size": "fail"}),
    "sectxt-badcanonical": ({"c": "pass", "e": "fail"}, {"c.tls.dh_params": "skip", "e.securitytxt.canonical": "fail"}),
}


def world_settings(world: World, **overrides: Any) -> AuditSettings:
    options: dict[str, Any] = {
        "nameserver": NameServer(world.dns_ip, world.dns_port), "ca_bundle": world.ca_bundle,
        "http_port": world.http_port, "allow_private": True, "timeout": 60.0,
    }
    return AuditSettings(**{**options, **overrides})


@pytest.fixture(scope="session")
def outcomes(world: World) -> dict[str, AuditOutcome]:
    ruleset = load_ruleset()
    settings = world_settings(world)

    async def audit_all() -> list[AuditOutcome]:
        return await asyncio.gather(*(
            run_audit(parse_target(world.site(name).target), settings, ruleset=ruleset) for name in EXPECTED
        ))

    return dict(zip(EXPECTED, asyncio.run(audit_all()), strict=True))


def test_every_world_site_has_an_expectation(world: World) -> None:
    assert set(EXPECTED) == set(world.sites)


@pytest.mark.parametrize("site", sorted(EXPECTED))
def test_site_verdicts(site: str, outcomes: dict[str, AuditOutcome]) -> None:
    outcome = outcomes[site]
    criteria, not_passing = EXPECTED[site]
    assert {c: outcome.criteria[c].status.value for c in criteria} == criteria
    assert {v.rule_id: v.status.value for v in outcome.verdicts if v.status.value != "pass"} == not_passing
    # Criteria without rules in this version say so, never pass.
    assert {outcome.criteria[c].status.value for c in ("a", "b", "d", "dd")} == {"not_checked"}


@pytest.mark.parametrize("site", sorted(EXPECTED))
def test_reports_validate_against_the_schema(site: str, outcomes: dict[str, AuditOutcome]) -> None:
    report = build_report(outcomes[site], load_ruleset(), load_catalog("vi"))
    jsonschema.validate(report, report_schema(), format_checker=jsonschema.FormatChecker())


def test_evidence_names_what_was_seen(outcomes: dict[str, AuditOutcome], world: World) -> None:
    legacy = outcomes["legacy"]
    verdicts = {v.rule_id: v for v in legacy.verdicts}
    assert set(verdicts["c.tls.no_legacy_protocols"].observed["tls.legacy_protocols"]) >= {"TLS 1.0", "TLS 1.1"}
    assert verdicts["c.cert.key_size"].observed["tls.certificate.key_bits"] == 1024
    assert verdicts["c.tls.dh_params"].observed["tls.dh_min_bits"] == 1024
    expired = {v.rule_id: v for v in outcomes["expired"].verdicts}
    assert expired["c.cert.not_expired"].observed["tls.certificate.days_left"] < 0
    assert outcomes["good"].addresses == (world.site("good").ip,)
    assert outcomes["sectxt-huge"].evidence["securitytxt"].data["size"] <= 32769


def test_idn_name_is_audited_in_both_forms(world: World) -> None:
    target = parse_target(f"{world.idn_host}:{world.https_port}")
    assert target.ascii_host == world.idn_host_ascii
    outcome = asyncio.run(run_audit(target, world_settings(world)))
    assert outcome.addresses == (world.site("good").ip,)
    # The certificate names the punycode form, and the pinned connection sent it as SNI.
    assert outcome.criteria["c"].status.value == "pass"


def test_unknown_name_is_an_incomplete_audit(world: World) -> None:
    outcome = asyncio.run(run_audit(parse_target("nowhere.trustscan.test:443"), world_settings(world)))
    assert outcome.evidence["dns"].status.value == "error"
    assert "NXDOMAIN" in (outcome.evidence["dns"].error or "")
    assert outcome.criteria["c"].status.value == "error"
    assert outcome.criteria["e"].status.value == "error"


def test_deadline_turns_unfinished_probes_into_errors(world: World) -> None:
    """A site that accepts connections and never answers cannot hold the audit past its deadline."""
    with socket.socket() as tarpit:
        tarpit.bind(("127.0.0.60", 0))
        tarpit.listen(64)
        port = tarpit.getsockname()[1]
        settings = world_settings(world, timeout=2.0, http_port=port)
        clock = time.monotonic()
        outcome = asyncio.run(run_audit(parse_target(f"127.0.0.60:{port}"), settings))
        elapsed = time.monotonic() - clock
    assert elapsed < 5.0
    for probe in ("tls", "https", "securitytxt"):
        attempt = outcome.evidence[probe]
        assert attempt.status.value == "error" and "deadline" in (attempt.error or ""), attempt
    assert outcome.criteria["c"].status.value == "error"
    assert outcome.criteria["e"].status.value == "error"
    assert [v for v in outcome.verdicts if v.status.value == "pass"] == []
