"""Criterion d in the real local world: CNAME chains and one reading of names (issue 10 items 11, 12).

The world's DNS serves CNAME records and DNS-only names (tests/world/blocklist.py); each name is
audited for criterion d alone, through the real resolver, against the world's snapshot file.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.world import World
from tests.world.blocklist import IDN_LISTED_PUNYCODE, IDN_LISTED_UNICODE, SUFFIX_TRAP, punycode
from trustscan.audit import AuditSettings, run_audit
from trustscan.cli.main import main
from trustscan.core.catalog import load_catalog
from trustscan.core.settings import NameServer
from trustscan.core.target import parse_target
from trustscan.report.document import AuditOutcome

DOMAIN = "trustscan.test"


def _settings(world: World, *files: Path) -> AuditSettings:
    return AuditSettings(nameserver=NameServer(world.dns_ip, world.dns_port), ca_bundle=world.ca_bundle,
                         http_port=world.http_port, allow_private=True, timeout=30.0,
                         blocklist_files=files or (world.blocklist,), criteria=("d",))


def _audit(world: World, host: str, *files: Path) -> AuditOutcome:
    target = parse_target(f"{host}:{world.https_port}")
    return asyncio.run(run_audit(target, _settings(world, *files)))


def _verdicts(outcome: AuditOutcome) -> dict[str, str]:
    return {v.rule_id: str(v.status) for v in outcome.verdicts if v.criterion == "d"}


def _facts(outcome: AuditOutcome) -> dict[str, Any]:
    data = outcome.attempts["blocklist"].data
    assert data is not None, outcome.attempts["blocklist"].error
    return data


def test_a_subdomain_aliased_to_a_listed_host_fails_d(world: World) -> None:
    outcome = _audit(world, f"alias-listed.{DOMAIN}")
    assert outcome.criteria["d"].status == "fail"
    assert _verdicts(outcome)["d.blocklist.alias"] == "fail"
    assert _verdicts(outcome)["d.blocklist.domain"] == "pass"  # the alias itself is not on the list
    chain = [f"alias-listed.{DOMAIN}", f"listed-domain.{DOMAIN}"]
    assert outcome.attempts["dns"].data == {"addresses": [world.site("listed-domain").ip], "source": "dns",
                                            "cname_chain": chain}
    facts = _facts(outcome)
    assert facts["cname_chain"] == chain
    assert facts["alias_matches"] == [{"snapshot": "file:blocklist.txt", "entry": f"listed-domain.{DOMAIN}",
                                       "kind": "domain", "matched": f"listed-domain.{DOMAIN}",
                                       "alias": f"listed-domain.{DOMAIN}"}]


def test_a_two_alias_chain_ending_under_a_wildcard_entry_fails_d(world: World) -> None:
    outcome = _audit(world, f"www.alias-chain.{DOMAIN}")
    assert _verdicts(outcome)["d.blocklist.alias"] == "fail"
    facts = _facts(outcome)
    assert facts["cname_chain"] == [f"www.alias-chain.{DOMAIN}", f"alias-hop.{DOMAIN}", f"edge.nha-cai.{DOMAIN}"]
    assert [(m["kind"], m["entry"], m["alias"]) for m in facts["alias_matches"]] == [
        ("wildcard", f"*.nha-cai.{DOMAIN}", f"edge.nha-cai.{DOMAIN}")]
    message = load_catalog("en").text("d.blocklist.alias.fail", next(
        v.observed for v in outcome.verdicts if v.rule_id == "d.blocklist.alias"))
    assert f"chain: www.alias-chain.{DOMAIN}, alias-hop.{DOMAIN}, edge.nha-cai.{DOMAIN}" in message


@pytest.mark.parametrize("host", [f"alias-good.{DOMAIN}", f"alias-trap.{DOMAIN}", SUFFIX_TRAP])
def test_unrelated_aliases_and_suffix_traps_pass_d(world: World, host: str) -> None:
    outcome = _audit(world, host)
    assert outcome.criteria["d"].status == "pass", _verdicts(outcome)
    verdicts = _verdicts(outcome)
    assert verdicts["d.blocklist.domain"] == verdicts["d.blocklist.readable"] == "pass"
    assert verdicts["d.blocklist.alias"] == ("skip" if host == SUFFIX_TRAP else "pass")
    assert _facts(outcome)["domain_matches"] == _facts(outcome)["alias_matches"] == []


def test_a_cname_loop_is_an_error_never_a_pass(world: World) -> None:
    outcome = _audit(world, f"alias-loop-a.{DOMAIN}")
    assert outcome.criteria["d"].status == "error"
    assert "CNAME chain of alias-loop-a.trustscan.test is longer than 15 aliases or loops" in (
        outcome.attempts["dns"].error or "")


@pytest.mark.parametrize(("audited", "entry"), [
    (punycode(IDN_LISTED_UNICODE), punycode(IDN_LISTED_UNICODE)),  # listed in Unicode, audited in punycode
    (IDN_LISTED_PUNYCODE, punycode(IDN_LISTED_PUNYCODE)),  # listed in punycode, audited in Unicode
    (IDN_LISTED_UNICODE.upper(), punycode(IDN_LISTED_UNICODE)),
])
def test_idn_entries_match_the_audited_name_in_the_other_form(world: World, audited: str, entry: str) -> None:
    outcome = _audit(world, audited)
    assert _verdicts(outcome)["d.blocklist.domain"] == "fail"
    assert [(m["entry"], m["kind"]) for m in _facts(outcome)["domain_matches"]] == [(entry, "domain")]


def test_unreadable_entries_warn_in_criterion_d(world: World, tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text("Tên miền,Ghi chú\nhttps://*.bad-extra.vn/,ok\n*notexample.vn,no boundary\n"
                     "lienhe@congty.vn,e-mail\n", encoding="utf-8")
    outcome = _audit(world, f"alias-good.{DOMAIN}", world.blocklist, extra)
    assert outcome.criteria["d"].status == "pass"  # a warning alone does not fail d
    verdict = next(v for v in outcome.verdicts if v.rule_id == "d.blocklist.readable")
    assert str(verdict.status) == "warn"
    message = load_catalog("en").text(verdict.message_id, verdict.observed)
    assert message.startswith("2 entries of snapshot file:extra.csv could not be read, so they were not matched")
    assert "file:extra.csv:3 «*notexample.vn,no boundary»" in message
    snapshot = next(s for s in _facts(outcome)["snapshots"] if s["name"] == "file:extra.csv")
    assert (snapshot["entries"], snapshot["rejected_lines"]) == (1, 2)


def test_the_json_report_records_the_chain(world: World) -> None:
    result = CliRunner().invoke(main, [
        "audit", f"www.alias-chain.{DOMAIN}:{world.https_port}", "--resolver", f"{world.dns_ip}:{world.dns_port}",
        "--ca-bundle", str(world.ca_bundle), "--http-port", str(world.http_port), "--allow-private",
        "--blocklist", str(world.blocklist), "--only", "d", "--format", "json"])
    report = json.loads(result.stdout)
    chain = [f"www.alias-chain.{DOMAIN}", f"alias-hop.{DOMAIN}", f"edge.nha-cai.{DOMAIN}"]
    assert report["evidence"]["dns"]["data"]["cname_chain"] == chain
    verdict = next(v for v in report["verdicts"] if v["rule_id"] == "d.blocklist.alias")
    assert verdict["status"] == "fail" and verdict["observed"]["blocklist.cname_chain"] == chain
