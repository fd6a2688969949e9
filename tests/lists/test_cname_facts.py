"""Criterion d matches every name on the CNAME chain (issue 10 item 12): the blocklist facts and rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trustscan.collect.blocklist import match_facts
from trustscan.core.models import Attempt, VerdictStatus
from trustscan.judge.engine import evaluate_rule
from trustscan.judge.ruleset import load_ruleset
from trustscan.lists.matcher import SnapshotSet, snapshot_from_bytes

NOW = datetime(2026, 12, 1, tzinfo=UTC)
LIST = b"bad.example\n*.casino.example\nxn--b-cng-an-63a1467e.vn\n203.0.113.7\n"


@pytest.fixture(scope="module")
def snapshots() -> SnapshotSet:
    return SnapshotSet([snapshot_from_bytes(LIST, name="tnm", source="tnm.txt", imported_at=NOW, origin="file")[0]])


def _alias_verdict(facts: dict[str, object]) -> VerdictStatus:
    rule = next(r for r in load_ruleset().rules if r.id == "d.blocklist.alias")
    return evaluate_rule(rule, {"blocklist": Attempt.completed("blocklist", facts)}).status


@pytest.mark.parametrize(("chain", "matched"), [
    (("promo.site.gov.vn", "bad.example"), [("domain", "bad.example", "bad.example")]),
    (("promo.site.gov.vn", "cdn.bad.example"), [("parent", "bad.example", "cdn.bad.example")]),
    (("promo.site.gov.vn", "hop.cdn.test", "x.casino.example"), [("wildcard", "*.casino.example", "x.casino.example")]),
    (("promo.site.gov.vn", "Bộ-Công-An.vn."), [("domain", "xn--b-cng-an-63a1467e.vn", "Bộ-Công-An.vn.")]),
])
def test_a_name_aliased_to_a_listed_host_is_listed(snapshots: SnapshotSet, chain: tuple[str, ...],
                                                   matched: list[tuple[str, str, str]]) -> None:
    facts = match_facts(snapshots, host=chain[0], addresses=("198.51.100.1",), now=NOW, max_age_days=7,
                        cname_chain=chain)
    assert facts["cname_chain"] == list(chain) and facts["aliased"] is True
    assert facts["domain_matches"] == []
    assert [(m["kind"], m["entry"], m["alias"]) for m in facts["alias_matches"]] == matched
    assert _alias_verdict(facts) is VerdictStatus.FAIL


@pytest.mark.parametrize("chain", [
    ("www.site.gov.vn", "site.gov.vn.cdn.test"),
    ("www.site.gov.vn", "notbad.example"),  # shares a suffix without a label boundary
    ("www.site.gov.vn", "bad.example.cdn.test"),  # the listed name as a label prefix, not a suffix
    ("www.site.gov.vn", "casino.example"),  # a wildcard does not cover its base
])
def test_unrelated_aliases_are_not_listed(snapshots: SnapshotSet, chain: tuple[str, ...]) -> None:
    facts = match_facts(snapshots, host=chain[0], addresses=(), now=NOW, max_age_days=7, cname_chain=chain)
    assert facts["alias_matches"] == []
    assert _alias_verdict(facts) is VerdictStatus.PASS


def test_a_listed_host_is_a_domain_match_not_an_alias_match(snapshots: SnapshotSet) -> None:
    facts = match_facts(snapshots, host="bad.example", addresses=(), now=NOW, max_age_days=7,
                        cname_chain=("bad.example",))
    assert facts["cname_chain"] == ["bad.example"] and facts["aliased"] is False
    assert len(facts["domain_matches"]) == 1 and facts["alias_matches"] == []
    assert _alias_verdict(facts) is VerdictStatus.SKIP


def test_an_ip_literal_target_has_no_chain(snapshots: SnapshotSet) -> None:
    facts = match_facts(snapshots, host=None, addresses=("203.0.113.7",), now=NOW, max_age_days=7)
    assert facts["cname_chain"] == [] and facts["aliased"] is False and facts["alias_matches"] == []
