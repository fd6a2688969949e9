"""Matching (parents, wildcards, CIDR v4/v6, IDN), the snapshot store, and the blocklist probe's facts."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.input_files import KINDS, refused_file, within
from trustscan.collect.blocklist import NO_SNAPSHOT, check_blocklists, match_facts
from trustscan.collect.dns.dnsbl import dnsbl_query_name
from trustscan.core.errors import ProbeError, SnapshotError
from trustscan.core.models import Attempt
from trustscan.core.settings import AuditSettings, NameServer
from trustscan.lists.matcher import (
    SnapshotSet,
    host_candidates,
    report_snapshots,
    snapshot_from_bytes,
)
from trustscan.lists.store import MAX_SNAPSHOT_BYTES, SnapshotStore, default_lists_dir, load_configured
from trustscan.localworld.dns import LocalDNSServer
from trustscan.net.domains import registrable_domain
from trustscan.net.resolve import Resolver

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LIST = b"""# test snapshot
bad.example
*.casino.example
https://phish.example/login
listed.gov.vn
gov.vn
xn--b-cng-an-63a1467e.vn
203.0.113.7
198.51.100.0/24
2001:db8:bad::/48
2001:db8::99
"""


def snapshots(*lists: tuple[str, bytes], now: datetime = NOW) -> SnapshotSet:
    return SnapshotSet([snapshot_from_bytes(data, name=name, source=f"{name}.txt", imported_at=now,
                                            origin="file")[0] for name, data in lists])


@pytest.fixture(scope="module")
def tnm() -> SnapshotSet:
    return snapshots(("tnm", LIST))


def kinds(matches: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(m["kind"], m["entry"]) for m in matches]


@pytest.mark.parametrize(
    ("host", "registrable"),
    [("a.b.example.gov.vn", "example.gov.vn"), ("example.vn", "example.vn"), ("x.co.uk", "x.co.uk"),
     ("www.site.trustscan.test", "trustscan.test"), ("gov.vn", None), ("vn", None)],
)
def test_registrable_domain_uses_the_offline_public_suffix_list(host: str, registrable: str | None) -> None:
    assert registrable_domain(host) == registrable


def test_candidates_stop_at_the_registrable_domain() -> None:
    assert host_candidates("a.b.example.gov.vn") == ["a.b.example.gov.vn", "b.example.gov.vn", "example.gov.vn"]
    assert host_candidates("gov.vn") == ["gov.vn"]


def test_exact_host_matches(tnm: SnapshotSet) -> None:
    assert tnm.match_host("BAD.example.") == [
        {"snapshot": "tnm", "entry": "bad.example", "kind": "domain", "matched": "bad.example"}]


def test_parent_domain_matches_up_to_the_registrable_domain(tnm: SnapshotSet) -> None:
    assert kinds(tnm.match_host("www.shop.bad.example")) == [("parent", "bad.example")]
    assert kinds(tnm.match_host("portal.listed.gov.vn")) == [("parent", "listed.gov.vn")]
    # `gov.vn` is a public suffix: listing it must not taint every government site.
    assert tnm.match_host("clean.gov.vn") == []
    assert kinds(tnm.match_host("gov.vn")) == [("domain", "gov.vn")]


def test_a_listed_subdomain_does_not_taint_its_parent(tnm: SnapshotSet) -> None:
    assert tnm.match_host("example") == [] and tnm.match_host("gov.example") == []
    assert snapshots(("s", b"shop.good.example\n")).match_host("good.example") == []


def test_wildcards_cover_every_depth_below_but_not_the_base(tnm: SnapshotSet) -> None:
    assert kinds(tnm.match_host("www.casino.example")) == [("wildcard", "*.casino.example")]
    assert kinds(tnm.match_host("a.b.c.casino.example")) == [("wildcard", "*.casino.example")]
    assert tnm.match_host("casino.example") == []
    assert tnm.match_host("notcasino.example") == []


def test_url_entries_list_their_host(tnm: SnapshotSet) -> None:
    assert kinds(tnm.match_host("phish.example")) == [("domain", "phish.example")]


def test_idn_hosts_match_in_either_form(tnm: SnapshotSet) -> None:
    assert kinds(tnm.match_host("bộ-công-an.vn")) == [("domain", "xn--b-cng-an-63a1467e.vn")]
    assert kinds(tnm.match_host("www.xn--b-cng-an-63a1467e.vn")) == [("parent", "xn--b-cng-an-63a1467e.vn")]
    unicode_entry = snapshots(("u", "bộ-công-an.vn\n".encode()))
    assert kinds(unicode_entry.match_host("xn--b-cng-an-63a1467e.vn")) == [("domain", "xn--b-cng-an-63a1467e.vn")]


def test_ipv4_exact_and_cidr(tnm: SnapshotSet) -> None:
    assert kinds(tnm.match_ip("203.0.113.7")) == [("ip", "203.0.113.7")]
    assert tnm.match_ip("203.0.113.8") == []
    assert kinds(tnm.match_ip("198.51.100.250")) == [("cidr", "198.51.100.0/24")]
    assert tnm.match_ip("198.51.101.1") == []


def test_ipv6_exact_and_cidr(tnm: SnapshotSet) -> None:
    assert kinds(tnm.match_ip("2001:db8:bad:ffff::1")) == [("cidr", "2001:db8:bad::/48")]
    assert kinds(tnm.match_ip("2001:DB8::99")) == [("ip", "2001:db8::99")]
    assert tnm.match_ip("2001:db8:bae::1") == []


def test_ipv4_mapped_ipv6_is_the_ipv4_address(tnm: SnapshotSet) -> None:
    assert kinds(tnm.match_ip("::ffff:198.51.100.3")) == [("cidr", "198.51.100.0/24")]


def test_ip_literal_host_is_matched_as_an_address(tnm: SnapshotSet) -> None:
    assert kinds(tnm.match_host("203.0.113.7")) == [("ip", "203.0.113.7")]
    assert kinds(tnm.match_host("[2001:db8::99]")) == [("ip", "2001:db8::99")]


def test_overlapping_ranges_and_snapshots_all_reported() -> None:
    both = snapshots(("one", b"10.0.0.0/8\n10.1.0.0/16\n"), ("two", b"10.1.2.3\n"))
    assert sorted((m["snapshot"], m["kind"], m["entry"]) for m in both.match_ip("10.1.2.3")) == [
        ("one", "cidr", "10.0.0.0/8"), ("one", "cidr", "10.1.0.0/16"), ("two", "ip", "10.1.2.3")]


@pytest.mark.parametrize("junk", ["", "not a host", "a..b", "::::", "x" * 300, "\x00", "1.2.3.4.5"])
def test_junk_hosts_and_addresses_match_nothing(tnm: SnapshotSet, junk: str) -> None:
    assert tnm.match_host(junk) == [] and tnm.match_ip(junk) == []


# --- the snapshot store ---------------------------------------------------------------------------


def test_default_folder_follows_env_then_xdg_then_home() -> None:
    assert default_lists_dir({"TRUSTSCAN_CACHE_DIR": "/x/lists"}) == Path("/x/lists")
    assert default_lists_dir({"XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/trustscan/lists")
    assert default_lists_dir({"XDG_CACHE_HOME": "relative"}) == Path.home() / ".cache/trustscan/lists"
    assert default_lists_dir({}) == Path.home() / ".cache/trustscan/lists"


def test_store_round_trip_and_remove(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "lists")
    result = store.import_bytes("tnm-2026", LIST, source="tinnhiemmang.gov.vn", now=NOW)
    assert not result.replaced and result.info.entries == 10
    again = store.import_bytes("tnm-2026", LIST + b"new.example\n", source="tinnhiemmang.gov.vn", now=NOW)
    assert again.replaced and again.info.entries == 11
    (loaded,) = store.load_all()
    assert loaded.info == again.info
    assert sorted(p.name for p in store.directory.iterdir()) == ["tnm-2026.json", "tnm-2026.list"]
    store.remove("tnm-2026")
    assert store.names() == [] and list(store.directory.iterdir()) == []
    with pytest.raises(SnapshotError, match="no snapshot named"):
        store.remove("tnm-2026")


def test_a_tampered_snapshot_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.import_bytes("tnm", LIST, source="s", now=NOW)
    (tmp_path / "tnm.list").write_bytes(LIST.replace(b"bad.example\n", b""))
    with pytest.raises(SnapshotError, match="does not match its recorded SHA-256"):
        store.load("tnm")


@pytest.mark.parametrize("meta", ["{", "[]", '{"version": 1}', json.dumps({"version": 1, "name": "other"})])
def test_broken_metadata_is_reported_not_raised_when_listing(tmp_path: Path, meta: str) -> None:
    (tmp_path / "tnm.json").write_text(meta)
    (info,) = SnapshotStore(tmp_path).infos()
    assert isinstance(info, SnapshotError) and "unreadable metadata" in str(info)
    with pytest.raises(SnapshotError):
        SnapshotStore(tmp_path).load("tnm")


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "", "x" * 65, "a b", "..", "ä"])
def test_snapshot_names_cannot_escape_the_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(SnapshotError, match="invalid snapshot name"):
        SnapshotStore(tmp_path).import_bytes(name, LIST, source="s", now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_a_list_without_entries_is_not_stored(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="no domain, URL, IP or CIDR entry found.*line 1"):
        SnapshotStore(tmp_path).import_bytes("x", b"nothing here\n", source="s", now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_file_snapshots_age_from_their_modification_time(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(b"bad.example\n")
    ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).timestamp()
    os.utime(path, (ten_days_ago, ten_days_ago))
    (snapshot,) = load_configured(files=[path])
    assert snapshot.info.origin == "file" and snapshot.info.name == "file:old.txt"
    assert 9.9 < snapshot.info.age_days(datetime.now(UTC)) < 10.1


def test_missing_file_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="cannot read"):
        load_configured(files=[tmp_path / "missing.txt"])


@pytest.mark.parametrize("kind", KINDS)
def test_a_fifo_or_oversize_list_file_or_metadata_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    path = refused_file(kind, tmp_path / "list.txt", MAX_SNAPSHOT_BYTES)
    needle = "not a regular file" if kind == "fifo" else "larger than 64 MiB"
    with within(5), pytest.raises(SnapshotError, match=needle):
        load_configured(files=[path])
    cache = tmp_path / "cache"
    cache.mkdir()
    refused_file(kind, cache / "tnm.json", 64 * 1024)  # a snapshot's metadata in the cache folder
    with within(5):
        (info,) = SnapshotStore(cache).infos()
    assert isinstance(info, SnapshotError) and "snapshot tnm: unreadable metadata" in str(info)


# --- the probe's facts ----------------------------------------------------------------------------


def test_no_snapshot_is_an_error_that_says_how_to_import_one() -> None:
    with pytest.raises(ProbeError) as raised:
        match_facts(SnapshotSet([]), host="x.example", addresses=("203.0.113.1",), now=NOW, max_age_days=7)
    assert str(raised.value) == NO_SNAPSHOT.english() and "trustscan lists import NAME FILE" in str(raised.value)


def test_only_empty_snapshots_is_an_error_too() -> None:
    with pytest.raises(ProbeError, match="empty"):
        match_facts(snapshots(("e", b"# nothing\n")), host="x.example", addresses=(), now=NOW, max_age_days=7)


def test_facts_name_matches_staleness_and_empty_snapshots() -> None:
    old = snapshot_from_bytes(b"203.0.113.0/24\n", name="old", source="s", imported_at=NOW - timedelta(days=8),
                              origin="cache")[0]
    fresh = snapshot_from_bytes(LIST, name="tnm", source="s", imported_at=NOW - timedelta(days=1), origin="cache")[0]
    empty = snapshot_from_bytes(b"junk\n", name="empty", source="s", imported_at=NOW, origin="file")[0]
    facts = match_facts(SnapshotSet([old, fresh, empty]), host="www.bad.example",
                        addresses=("203.0.113.7", "2001:db8::1"), now=NOW, max_age_days=7)
    assert facts["hosts_checked"] == ["www.bad.example", "bad.example"]
    assert kinds(facts["domain_matches"]) == [("parent", "bad.example")]
    assert sorted((m["snapshot"], m["kind"], m["matched"]) for m in facts["ip_matches"]) == [
        ("old", "cidr", "203.0.113.7"), ("tnm", "ip", "203.0.113.7")]
    assert facts["stale_snapshots"] == ["old"] and facts["empty_snapshots"] == ["empty"]
    assert [(s["name"], s["age_days"], s["entries"]) for s in facts["snapshots"]] == [
        ("old", 8.0, 1), ("tnm", 1.0, 10), ("empty", 0.0, 0)]
    assert facts["entries_total"] == 11 and facts["has_host"] is True


def test_ip_literal_target_has_no_domain_to_check(tnm: SnapshotSet) -> None:
    facts = match_facts(tnm, host=None, addresses=("203.0.113.7",), now=NOW, max_age_days=7)
    assert facts["has_host"] is False and facts["domain_matches"] == [] and len(facts["ip_matches"]) == 1


def test_report_lists_snapshots_only_when_the_probe_completed() -> None:
    data = {"snapshots": [{"name": "tnm", "age_days": 9.0}], "stale_snapshots": ["tnm"]}
    assert report_snapshots({"blocklist": Attempt.completed("blocklist", data)}) == {
        "snapshots": [{"name": "tnm", "age_days": 9.0, "stale": True}]}
    assert report_snapshots({"blocklist": Attempt.failed("blocklist", NO_SNAPSHOT)}) == {}
    assert report_snapshots({}) == {}


# --- DNSBL through the audit's resolver -----------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "query"),
    [("203.0.113.7", "7.113.0.203.zen.test"), ("bad.example", "bad.example.dbl.test"),
     ("2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.test")],
)
def test_dnsbl_query_names_follow_rfc_5782(subject: str, query: str) -> None:
    zone = "dbl.test" if subject == "bad.example" else "zen.test"
    assert dnsbl_query_name(subject, zone) == query


def run_probe(settings: AuditSettings, resolver: Resolver, host: str, addresses: tuple[str, ...]) -> dict:
    return asyncio.run(check_blocklists(settings=settings, resolver=resolver, host=host, addresses=addresses,
                                        now=NOW))


@pytest.fixture
def list_file(tmp_path: Path) -> Path:
    path = tmp_path / "tnm.txt"
    path.write_bytes(LIST)
    return path


def test_dnsbl_listed_clean_refused_and_rewritten_answers(list_file: Path) -> None:
    records = {
        "bad.example.dbl.test": ["127.0.1.2"],
        "9.113.0.203.zen.test": ["127.0.0.4"],
        "clean.example.refused.test": ["127.255.255.254"],
        "clean.example.hijack.test": ["198.51.100.1"],
    }
    with LocalDNSServer(records) as server:
        resolver = Resolver(NameServer("127.0.0.1", server.port), timeout=2.0)
        # allow_private: 203.0.113.0/24 is a documentation block, which the address policy refuses.
        listed = run_probe(AuditSettings(blocklist_files=(list_file,), dnsbl_domain_zones=("dbl.test",),
                                         dnsbl_ip_zones=("zen.test",), allow_private=True),
                           resolver, "www.bad.example", ("203.0.113.9", "203.0.113.10"))
        clean = run_probe(AuditSettings(blocklist_files=(list_file,), dnsbl_domain_zones=("dbl.test",)),
                          resolver, "clean.example", ("192.0.2.1",))
        refused = run_probe(AuditSettings(blocklist_files=(list_file,),
                                          dnsbl_domain_zones=("refused.test", "hijack.test")),
                            resolver, "clean.example", ())
    assert listed["dnsbl_listed"] is True
    assert sorted(m["query"] for m in listed["dnsbl_matches"]) == ["9.113.0.203.zen.test", "bad.example.dbl.test"]
    # The host and its registrable domain are both asked; two addresses in one zone: 2 + 2 lookups.
    assert len(listed["dnsbl_lookups"]) == 4
    assert clean["dnsbl_listed"] is False and clean["dnsbl_enabled"] is True
    assert refused["dnsbl_listed"] is None
    assert sorted(lookup["error"].split(" ")[0] for lookup in refused["dnsbl_lookups"]) == ["hijack.test",
                                                                                             "refused.test"]


def test_dnsbl_unreachable_resolver_is_unknown_not_clean(list_file: Path) -> None:
    with LocalDNSServer({}) as server:
        port = server.port  # nothing listens there once it stops
    resolver = Resolver(NameServer("127.0.0.1", port), timeout=0.5)
    facts = run_probe(AuditSettings(blocklist_files=(list_file,), dnsbl_domain_zones=("dbl.test",)),
                      resolver, "clean.example", ())
    assert facts["dnsbl_listed"] is None and facts["dnsbl_lookups"][0]["error"]


def test_dnsbl_is_off_by_default(list_file: Path) -> None:
    resolver = Resolver(NameServer("127.0.0.1", 9), timeout=0.2)  # would fail if it were asked anything
    facts = run_probe(AuditSettings(blocklist_files=(list_file,)), resolver, "bad.example", ("203.0.113.7",))
    assert facts["dnsbl_enabled"] is False and facts["dnsbl_lookups"] == [] and facts["dnsbl_listed"] is None
    assert kinds(facts["domain_matches"]) == [("domain", "bad.example")]


def test_probe_reads_the_cache_folder_and_files(tmp_path: Path, list_file: Path) -> None:
    SnapshotStore(tmp_path / "cache").import_bytes("extra", b"cached.example\n", source="s", now=NOW)
    resolver = Resolver(NameServer("127.0.0.1", 9), timeout=0.2)
    settings = AuditSettings(blocklist_files=(list_file,), lists_dir=tmp_path / "cache")
    facts = run_probe(settings, resolver, "cached.example", ())
    assert [s["name"] for s in facts["snapshots"]] == ["extra", "file:tnm.txt"]
    assert kinds(facts["domain_matches"]) == [("domain", "cached.example")]
    with pytest.raises(ProbeError, match="no blocklist snapshot configured"):
        run_probe(AuditSettings(lists_dir=tmp_path / "nothing-here"), resolver, "x.example", ())


def test_snapshot_set_is_shared_until_a_file_changes(tmp_path: Path) -> None:
    """Both list probes of an audit and every site of a bulk run share one index; an edit reloads."""
    from trustscan.collect.blocklist import load_snapshot_set

    listed = tmp_path / "list.txt"
    listed.write_text("bad.example\n", encoding="utf-8")
    first = load_snapshot_set((listed,), None)
    assert load_snapshot_set((listed,), None) is first
    listed.write_text("bad.example\nworse.example\n", encoding="utf-8")
    os.utime(listed, ns=(listed.stat().st_atime_ns, listed.stat().st_mtime_ns + 1_000_000))
    second = load_snapshot_set((listed,), None)
    assert second is not first
    assert second.match_host("worse.example") and not first.match_host("worse.example")
