"""Issue 10 item 11: list entries and audited names are read the same way, in every list format.

One spelling per row of SPELLINGS must become the same entry whether it sits in a plain list, a
hosts file, a CSV cell or a JSON array; no name matches across a label boundary; an entry that
cannot be read is counted and quoted in criterion d's evidence (a warning), never dropped silently.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime

import pytest

from trustscan.collect.blocklist import match_facts
from trustscan.core.catalog import load_catalog
from trustscan.core.models import Attempt, VerdictStatus
from trustscan.core.target import TargetError, to_ascii
from trustscan.judge.engine import evaluate_rule
from trustscan.judge.ruleset import load_ruleset
from trustscan.lists.formats import Entry, domain_to_ascii, parse_entry, parse_list
from trustscan.lists.matcher import QUOTED_UNREADABLE, SnapshotSet, snapshot_from_bytes

NOW = datetime(2026, 12, 1, tzinfo=UTC)

#: Spellings seen in real lists and tables, each with the one entry it must become.
SPELLINGS = [
    ("Example.VN", ("domain", "example.vn")),
    ("example.vn.", ("domain", "example.vn")),
    ("  example.vn\u00a0", ("domain", "example.vn")),  # no-break space from a web page
    ("\u200bexample.vn\u200e", ("domain", "example.vn")),  # zero-width space, left-to-right mark
    ("\ufeffexample.vn", ("domain", "example.vn")),
    ("ｅｘａｍｐｌｅ.vn", ("domain", "example.vn")),  # full-width letters (UTS #46 maps them)
    ("example。vn", ("domain", "example.vn")),  # ideographic full stop
    ("example.vn。", ("domain", "example.vn")),
    ("https://Example.vn/dang-nhap?x=1#top", ("domain", "example.vn")),
    ("http://user:secret@example.vn:8080/a", ("domain", "example.vn")),
    ("example.vn:8443", ("domain", "example.vn")),
    ("example.vn/path/to/page", ("domain", "example.vn")),
    ("Bộ-Công-An.vn", ("domain", "xn--b-cng-an-63a1467e.vn")),
    ("XN--B-CNG-AN-63A1467E.VN", ("domain", "xn--b-cng-an-63a1467e.vn")),
    ("https://bộ-công-an.vn/", ("domain", "xn--b-cng-an-63a1467e.vn")),
    ("https://b%E1%BB%99-c%C3%B4ng-an.vn/", ("domain", "xn--b-cng-an-63a1467e.vn")),
    ("*.Example.VN.", ("wildcard", "*.example.vn")),
    (".example.vn", ("wildcard", "*.example.vn")),
    ("https://*.example.vn/", ("wildcard", "*.example.vn")),
    ("http://u:p@*.example.vn:8080/x", ("wildcard", "*.example.vn")),
    ("*.example.vn:443", ("wildcard", "*.example.vn")),
    ("||*.example.vn^", ("wildcard", "*.example.vn")),
    ("*.bộ-công-an.vn", ("wildcard", "*.xn--b-cng-an-63a1467e.vn")),
    ("203.0.113.7", ("ip", "203.0.113.7")),
    ("::ffff:203.0.113.7", ("ip", "203.0.113.7")),  # IPv4-mapped is the IPv4 address (RFC 4291)
    ("[::ffff:203.0.113.7]:443", ("ip", "203.0.113.7")),
    ("https://203.0.113.7:8443/x", ("ip", "203.0.113.7")),
    ("2001:DB8::0:1", ("ip", "2001:db8::1")),
    ("198.51.100.7/24", ("cidr", "198.51.100.0/24")),
]

#: Tokens that are no entry: each must be counted as unreadable, never guessed into one.
UNREADABLE = [
    "*example.vn",  # a wildcard without a label boundary
    "https://*example.vn/",
    "www.*.example.vn",  # a wildcard in the middle
    "*.vn",  # a whole top-level domain
    "https://*.vn/",
    "lienhe@congty.vn",  # an e-mail address, not a listed host
    "bad..example.vn",
    "i❤.ws",  # not valid in IDNA 2008
    "https://",
]


def _formats(token: str) -> dict[str, bytes]:
    """The token as the only entry of each list format."""
    return {
        "text": f"# list\n{token}\n".encode(),
        "hosts": f"0.0.0.0 {token}\n".encode(),
        "csv": (f'STT,Tên miền,Ghi chú\n1,"{token}",lừa đảo\n').encode(),
        "json": json.dumps([token]).encode(),
        "json objects": json.dumps({"items": [{"url": token, "note": "x"}]}).encode(),
    }


@pytest.mark.parametrize(("token", "wanted"), SPELLINGS)
def test_every_spelling_is_one_entry_in_every_format(token: str, wanted: tuple[str, str]) -> None:
    entry = parse_entry(token)
    assert isinstance(entry, Entry) and (entry.kind, entry.value) == wanted
    for name, data in _formats(token).items():
        if name == "hosts" and wanted[0] in ("ip", "cidr"):
            continue  # a hosts-file line maps an address to names; its address is the sinkhole
        parsed = parse_list(data, filename="list.csv" if name == "csv" else "")
        assert [(e.kind, e.value) for e in parsed.entries] == [wanted], name
        assert parsed.rejected_count == 0, name


@pytest.mark.parametrize("token", UNREADABLE)
def test_a_token_that_is_no_entry_is_counted_in_every_format(token: str) -> None:
    assert isinstance(parse_entry(token), str)
    for name, data in _formats(token).items():
        parsed = parse_list(data, filename="list.csv" if name == "csv" else "")
        assert parsed.entries == () and parsed.rejected_count == 1, name
        assert parsed.rejected[0].line in (1, 2), name


NAMES = ["Example.VN", "example.vn.", "Bộ-Công-An.vn", "xn--b-cng-an-63a1467e.VN", "ｅｘａｍｐｌｅ.vn",
         "example。vn", "straße.de", "faß.de", "ἀρχή.gr", "пример.рф", "日本語。ＪＰ", "www.chính-phủ.vn",
         "\u200bexample.vn", "i❤.ws", "a\u200db.vn", "-bad.vn", "x" * 64 + ".vn"]


@pytest.mark.parametrize("name", NAMES)
def test_list_entries_and_audited_names_normalise_alike(name: str) -> None:
    """`domain_to_ascii` (lists) and `to_ascii` (the audited target) agree on every name both accept."""
    listed = domain_to_ascii(name)
    try:
        audited: str | None = to_ascii(name.strip("\u200b"))
    except TargetError:
        audited = None
    if audited is not None:
        assert listed == audited
    else:
        assert listed is None


LIST = """# normalisation trap list
example.vn
*.wild.vn
Bộ-Công-An.vn
xn--nh-ci-2-9val.vn
203.0.113.7
198.51.100.0/24
"""


@pytest.fixture(scope="module")
def snapshot_set() -> SnapshotSet:
    return SnapshotSet([snapshot_from_bytes(LIST.encode(), name="tnm", source="tnm.txt", imported_at=NOW,
                                            origin="file")[0]])


@pytest.mark.parametrize("host", ["example.vn", "EXAMPLE.vn.", "www.example.vn", "a.b.wild.vn",
                                  "xn--b-cng-an-63a1467e.vn", "bộ-công-an.vn", "nhà-cái-2.vn",
                                  "WWW.XN--NH-CI-2-9VAL.VN"])
def test_listed_hosts_match_in_any_spelling(snapshot_set: SnapshotSet, host: str) -> None:
    assert snapshot_set.match_host(host)


@pytest.mark.parametrize("host", ["notexample.vn", "example.vn.evil.com", "examplevn", "wild.vn", "notwild.vn",
                                  "xwild.vn", "example.vnx", "bo-cong-an.vn", "xn--b-cng-an-63a1467e.vn.com"])
def test_no_suffix_match_without_a_label_boundary(snapshot_set: SnapshotSet, host: str) -> None:
    assert snapshot_set.match_host(host) == []


@pytest.mark.parametrize(("address", "via"), [
    ("203.0.113.7", None),
    ("::ffff:203.0.113.7", "IPv4-mapped of 203.0.113.7"),
    ("64:ff9b::cb00:7107", "NAT64 64:ff9b::/96 of 203.0.113.7"),
    ("2002:cb00:7107::1", "6to4 2002::/16 of 203.0.113.7"),
    ("64:ff9b::198.51.100.200", "NAT64 64:ff9b::/96 of 198.51.100.200"),
])
def test_ipv6_forms_carrying_a_listed_ipv4_address_match(snapshot_set: SnapshotSet, address: str,
                                                         via: str | None) -> None:
    matches = snapshot_set.match_ip(address)
    assert len(matches) == 1 and matches[0]["matched"] == str(ipaddress.ip_address(address))
    assert matches[0].get("via") == via


@pytest.mark.parametrize("address", ["203.0.113.8", "64:ff9b::cb00:7108", "2002:cb00:7108::1", "2001:db8::cb00:7107",
                                     "64:ff9b:1::cb00:7107"])
def test_other_addresses_do_not_match(snapshot_set: SnapshotSet, address: str) -> None:
    assert snapshot_set.match_ip(address) == []


BROKEN = """bad.example
not a domain!!
*evil.example
good-entry.example
https://*.vn/
lienhe@congty.vn
"""


def _broken_facts() -> dict[str, object]:
    snapshots = SnapshotSet([
        snapshot_from_bytes(BROKEN.encode(), name="tnm-broken", source="x", imported_at=NOW, origin="file")[0],
        snapshot_from_bytes(b"fine.example\n", name="clean", source="y", imported_at=NOW, origin="file")[0],
    ])
    return match_facts(snapshots, host="site.example.vn", addresses=("203.0.113.9",), now=NOW, max_age_days=7)


def test_unreadable_entries_are_counted_and_quoted_in_the_facts() -> None:
    facts = _broken_facts()
    assert facts["unreadable_count"] == 4
    assert facts["unreadable_snapshots"] == ["tnm-broken"]
    examples = facts["unreadable_examples"]
    assert isinstance(examples, list) and len(examples) == QUOTED_UNREADABLE
    assert examples[0] == {"snapshot": "tnm-broken", "line": 2, "text": "not a domain!!",
                           "reason": "not a fully qualified domain name",
                           "reason_wording": {"id": "list.reason.not_fqdn", "values": {}}}
    assert [e["line"] for e in examples] == [2, 3, 5]


def test_unreadable_entries_make_criterion_d_warn_with_the_count_and_snapshot() -> None:
    rule = next(r for r in load_ruleset().rules if r.id == "d.blocklist.readable")
    verdict = evaluate_rule(rule, {"blocklist": Attempt.completed("blocklist", _broken_facts())})
    assert verdict.status is VerdictStatus.WARN
    english = load_catalog("en").text(verdict.message_id, verdict.observed)
    assert english.startswith("4 entries of snapshot tnm-broken could not be read")
    assert "tnm-broken:2 «not a domain!!»" in english
    assert load_catalog("vi").text(verdict.message_id, verdict.observed).startswith(
        "4 mục của bản lưu tnm-broken không đọc được")


def test_a_clean_snapshot_passes_the_readability_rule() -> None:
    snapshots = SnapshotSet([snapshot_from_bytes(b"fine.example\n# comment\n\n", name="clean", source="y",
                                                 imported_at=NOW, origin="file")[0]])
    facts = match_facts(snapshots, host="site.example.vn", addresses=(), now=NOW, max_age_days=7)
    rule = next(r for r in load_ruleset().rules if r.id == "d.blocklist.readable")
    verdict = evaluate_rule(rule, {"blocklist": Attempt.completed("blocklist", facts)})
    assert facts["unreadable_count"] == 0 and verdict.status is VerdictStatus.PASS
