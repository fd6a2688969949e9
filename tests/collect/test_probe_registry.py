"""The probe contract: the registry finds the probes, rules are checked against the facts they declare.

No network: the honesty of the declarations against real probe output is tests/integration/test_probe_facts_world.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from trustscan import audit
from trustscan.collect import registry
from trustscan.collect.base import Deadline, ProbeSpec
from trustscan.collect.declaration import declaration_attempt
from trustscan.collect.dns.query import within_deadline
from trustscan.collect.runner import DeadlineTransport
from trustscan.core.errors import ProbeError, RuleError
from trustscan.core.facts import is_declared
from trustscan.core.models import Attempt
from trustscan.judge.facts import undeclared_reads
from trustscan.judge.ruleset import Ruleset, load_ruleset, parse_rules
from trustscan.owner.declaration import parse_declaration

NETWORK_PROBES = {"tls", "http", "https", "securitytxt", "exposure", "zone", "blocklist", "crawl", "content",
                  "privacy", "links_reputation", "delivery", "cloaking", "transport"}


def one_rule(fact: str, *, observe: str | None = None) -> Ruleset:
    lines = ["rules:", "  - id: c.test.rule", "    criterion: c", "    severity: low",
             f'    check: {{fact: {fact}, op: "true"}}', "    cases: {pass: {}, fail: {}, error: {}}"]
    if observe:
        lines.append(f"    observe: [{observe}]")
    return Ruleset(tuple(parse_rules("\n".join(lines) + "\n", "test.yaml")), "sha256:test")


def test_registry_finds_every_probe_with_needs_first() -> None:
    specs = registry.probes()
    names = [spec.name for spec in specs]
    assert set(names) == NETWORK_PROBES and len(names) == len(set(names))
    for index, spec in enumerate(specs):
        assert all(names.index(need) < index for need in spec.needs), spec.name
        assert spec.facts, f"probe {spec.name} declares no facts"
    # The resolution and the owner's declaration are declared too, but built by the audit itself.
    assert {source.name for source in registry.fact_sources()} == NETWORK_PROBES | {"dns", "declaration"}


def test_registry_order_is_deterministic() -> None:
    script = "from trustscan.collect import registry; print([s.name for s in registry.probes()])"
    runs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert runs == {f"{[spec.name for spec in registry.probes()]}\n"}


def test_order_by_needs_keeps_the_given_order_otherwise() -> None:
    async def run(context: Any, needed: Any) -> dict[str, Any]:
        return {}

    late, early, free = ProbeSpec("late", run, needs=("early",)), ProbeSpec("early", run), ProbeSpec("free", run)
    assert [s.name for s in registry.order_by_needs([late, free, early])] == ["free", "early", "late"]
    with pytest.raises(registry.RegistryError, match="unknown probes"):
        registry.order_by_needs([late])


def test_finding_the_probes_loads_no_scan_machinery() -> None:
    # sslyze may be registered as a deferred package (lazy_package): none of its code has run then.
    script = ("import sys; from trustscan.collect import registry; registry.probes(); "
              "from trustscan.collect.tls.lazy_package import is_deferred; "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sslyze', 'nassl', 'bs4', 'lxml'} "
              "and not is_deferred(sys.modules[m])))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_fact_every_shipped_rule_reads_is_declared() -> None:
    ruleset = load_ruleset()
    assert [(rule.id, path) for rule, path in undeclared_reads(ruleset, registry.declared_facts())] == []
    assert audit.check_rules(ruleset) is ruleset
    assert audit.load_checked_ruleset().rules == ruleset.rules


@pytest.mark.parametrize(("fact", "message"), [
    ("tls.certifcate.expired",
     "test.yaml: rule c.test.rule reads tls.certifcate.expired, which probe tls does not declare "
     "(did you mean tls.certificate.expired?)"),
    ("tsl.tls13", "test.yaml: rule c.test.rule reads tsl.tls13, but no probe is named 'tsl'"),
    ("https.hsts.max_age", "reads https.hsts.max_age, which probe https does not declare"),  # inside a leaf
])
def test_a_misspelt_fact_fails_when_the_rules_are_loaded(fact: str, message: str) -> None:
    with pytest.raises(RuleError) as raised:
        audit.check_rules(one_rule(fact))
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_observed_facts_are_checked_too() -> None:
    with pytest.raises(RuleError, match="reads tls.acepted_protocols"):
        audit.check_rules(one_rule("tls.tls13", observe="tls.acepted_protocols"))


def test_groups_and_wildcards_are_declared_facts() -> None:
    declared = registry.declared_facts()
    assert is_declared("tls.certificate", declared)  # the whole group
    assert is_declared("tls.certificate.expired", declared)
    assert is_declared("tls.errors.heartbleed", declared)  # a data key under `errors.*`
    assert is_declared(("tls", "accepted_suites", "TLS 1.2"), declared)  # keys as produced may hold dots
    assert not is_declared("tls.certificate.expired.really", declared)
    assert not is_declared("tls.protocols.tls_1_4", declared)


def test_trustscan_rules_refuses_a_misspelt_fact_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustscan.cli.main import main

    monkeypatch.setattr(audit, "load_ruleset", lambda: one_rule("tls.tls31"))
    audit.load_checked_ruleset.cache_clear()
    try:
        result = CliRunner().invoke(main, ["rules"])
    finally:
        audit.load_checked_ruleset.cache_clear()
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == ["trustscan: error: broken rule file: test.yaml: rule c.test.rule reads tls.tls31, "
                     "which probe tls does not declare (did you mean tls.tls13?)"]


def test_rule_cases_speak_only_declared_facts() -> None:
    """Each rule's own pass/fail/error cases are evidence shorthand: their facts must exist too."""
    undeclared = []
    for rule in load_ruleset().rules:
        for name, case in rule.cases.items():
            for probe, data in case.items():
                if isinstance(data, dict):
                    undeclared += [f"{rule.id}:{name}:{path}"
                                   for path in registry.undeclared_facts(Attempt.completed(probe, data))]
    assert undeclared == []


def test_the_declaration_pseudo_probe_is_honest() -> None:
    today = dt.date(2026, 11, 22)
    declaration = parse_declaration({
        "schema_version": "1.0", "organisation": "Sở TT&TT", "system": "Cổng TTĐT", "sites": ["www.hagiang.gov.vn"],
        "security_level": 3, "approval": {"number": "1/QĐ", "date": "2025-03-01", "issuer": "UBND tỉnh"},
        "last_assessment": "2026-01-15",
        "privacy_commitment": {"statement": "Chỉ thu thập khi được đồng ý.", "signed_by": "A",
                               "signed_on": "2025-03-02"},
        "security_contact": "mailto:security@hagiang.gov.vn",
    }, today=today)
    attempt = declaration_attempt(declaration, "www.hagiang.gov.vn", dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    assert attempt.data and registry.undeclared_facts(attempt) == []
    assert registry.undeclared_facts(Attempt.completed("tls", {"tls13": True, "certificate": {"expird": 1}})) == [
        "tls.certificate.expird"]


def test_every_http_wait_is_cut_to_what_is_left_of_the_deadline() -> None:
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return httpx.Response(204)

    async def go() -> None:
        transport = DeadlineTransport(httpx.MockTransport(handler), Deadline.after(0.5))
        async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(10.0)) as client:
            await client.get("https://example.test/")

    asyncio.run(go())
    assert set(seen[0]) == {"connect", "read", "write", "pool"}
    assert all(0 < value <= 0.5 for value in seen[0].values())


def test_a_dns_wait_is_cut_by_the_deadline() -> None:
    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    async def go() -> None:
        assert await within_deadline(None, lambda: asyncio.sleep(0, "free"), "A", "x") == "free"
        with pytest.raises(ProbeError, match="DNS: CAA lookup of a.test cut by the audit deadline"):
            await within_deadline(Deadline.after(0.05), slow, "CAA", "a.test")
        with pytest.raises(ProbeError, match="not sent: audit deadline reached"):
            await within_deadline(Deadline.after(0), slow, "A", "a.test")

    asyncio.run(go())
