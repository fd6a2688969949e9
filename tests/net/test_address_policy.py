"""The address policy (issue 9, item 1): one table, applied wherever an address is chosen.

Every test here refuses before a socket moves: `forbid_connections` fails the test on any connect,
so no traffic ever leaves for the (documentation, private or translated) addresses named below.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpcore
import httpx
import pytest
from click.testing import CliRunner

from tests.support.no_network import forbid_connections
from trustscan.collect.crawl.crawl import CrawlLimits, fetch_page
from trustscan.collect.dns.dnsbl import dnsbl_ip_subjects, dnsbl_lookups
from trustscan.core.catalog import load_catalog
from trustscan.core.errors import AddressPolicyError, ListFetchError
from trustscan.core.settings import AuditSettings
from trustscan.core.target import parse_target
from trustscan.judge.ruleset import load_ruleset
from trustscan.net.addresses import judge_address
from trustscan.net.httpclient import (
    FOLLOW,
    Answer,
    Follow,
    PinnedBackend,
    PinnedTransport,
    follow_redirects,
    make_client,
)
from trustscan.net.resolve import AddressPolicy, DNSAnswer, Resolution, is_public

#: (address, what the refusal must name): one per range of the issue, plus the plain IPv4 blocks.
REFUSED = [
    ("64:ff9b::a00:1", "NAT64 64:ff9b::/96 address of 10.0.0.1"),
    ("64:ff9b::7f00:1", "NAT64 64:ff9b::/96 address of 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "NAT64 64:ff9b::/96 address of 169.254.169.254"),
    ("64:ff9b:1::808:808", "local-use NAT64"),
    ("2002:a00:1::1", "6to4 2002::/16 address of 10.0.0.1"),
    ("2002:7f00:1::", "6to4 2002::/16 address of 127.0.0.1"),
    ("::a00:1", "IPv4-compatible address of 10.0.0.1"),
    ("::127.0.0.1", "IPv4-compatible address of 127.0.0.1"),
    ("::ffff:10.0.0.1", "IPv4-mapped address of 10.0.0.1"),
    ("::ffff:127.0.0.1", "IPv4-mapped address of 127.0.0.1"),
    ("::ffff:0:a00:1", "IPv4-translated (SIIT) address of 10.0.0.1"),
    ("::ffff:0:c0a8:101", "IPv4-translated (SIIT) address of 192.168.1.1"),
    ("fec0::1", "site-local"),
    ("2001::1", "Teredo"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("2001:10::1", "ORCHID"),
    ("2001:20::1", "ORCHIDv2"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fc00::1", "unique-local"),
    ("fd12:3456::1", "unique-local"),
    ("100::1", "discard-only"),
    ("5f00::1", "segment routing"),
    ("4000::1", "global unicast"),
    ("0.0.0.0", "this network"),
    ("10.1.2.3", "private-use"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("127.0.0.1", "loopback"),
    ("169.254.169.254", "link-local"),
    ("172.16.0.1", "private-use"),
    ("192.0.0.9", "IETF protocol assignments"),
    ("192.0.2.1", "documentation"),
    ("192.88.99.1", "6to4 relay"),
    ("192.168.1.1", "private-use"),
    ("198.18.0.1", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.7", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
]

#: Public addresses, including the IPv6 forms whose embedded IPv4 address is public.
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001::200e",
          "64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "::ffff:0:808:808"]

#: The forms the issue names, as they would appear in a URL or an AAAA answer.
EMBEDDED_PRIVATE = ["64:ff9b::a00:1", "64:ff9b:1::a00:1", "2002:a00:1::1", "::a00:1", "::ffff:10.0.0.1",
                    "::ffff:0:a00:1", "fec0::1", "2001::1", "2001:20::1", "2001:db8::1", "ff02::1", "::"]


@pytest.mark.parametrize(("address", "why"), REFUSED)
def test_each_non_public_range_is_refused_with_its_reason(address: str, why: str) -> None:
    judgement = judge_address(address)
    assert not judgement.public and not is_public(address)
    assert why in (judgement.reason or ""), judgement
    refusal = AddressPolicy().refusal(address, "site.test")
    assert refusal is not None
    assert refusal.english().startswith(f"refusing to connect to non-public address {address} of")
    assert refusal.values["category"] == judgement.why  # the category, worded in each output's language
    assert AddressPolicy(allow_private=True).refusal(address, "site.test") is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_and_forms_carrying_a_public_ipv4_address_are_allowed(address: str) -> None:
    assert is_public(address) and AddressPolicy().refusal(address, "site.test") is None


def test_text_that_is_not_an_address_is_never_public() -> None:
    assert not is_public("site.test") and not is_public("")
    refusal = AddressPolicy().refusal("site.test", "x")
    assert refusal is not None and "not an IP address" in refusal.english()
    assert "đây không phải địa chỉ IP" in load_catalog("vi").say(refusal)


@pytest.mark.parametrize(("language", "said"), [
    ("en", "non-public address 64:ff9b::a00:1, NAT64 64:ff9b::/96 address of 10.0.0.1, private-use (RFC 1918)"),
    ("vi", "địa chỉ không công khai 64:ff9b::a00:1, địa chỉ dạng NAT64 64:ff9b::/96 của 10.0.0.1, "
           "dải địa chỉ riêng (RFC 1918)"),
])
def test_an_ip_literal_target_is_refused_before_any_connection(monkeypatch: pytest.MonkeyPatch, language: str,
                                                               said: str) -> None:
    from trustscan.cli.main import main

    attempts = forbid_connections(monkeypatch)
    result = CliRunner().invoke(main, ["audit", "[64:ff9b::a00:1]", "--lang", language])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--allow-private" in lines[0]
    assert said in lines[0]  # in the language asked for
    assert ("resolves to" in lines[0]) == (language == "en") and ("phân giải" in lines[0]) == (language == "vi")
    assert attempts == []


class _Answers:
    """A resolver that answers every name with the given addresses (A first, then AAAA) and records names."""

    def __init__(self, *addresses: str, records: tuple[str, ...] = ()) -> None:
        self.answers, self.asked, self.zone_records = list(addresses), [], records
        self.queries: list[str] = []

    async def addresses(self, name: str) -> list[str]:
        self.asked.append(name)
        return self.answers

    async def resolve(self, name: str) -> Resolution:
        return Resolution(tuple(await self.addresses(name)), (name,))

    async def records(self, name: str, rdtype: str) -> DNSAnswer:
        self.queries.append(name)
        return DNSAnswer(self.zone_records, signed=False, authenticated=False, rcode="NXDOMAIN")


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_an_aaaa_answer_is_judged_by_the_audit_before_any_probe(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    import trustscan.audit as audit

    attempts = forbid_connections(monkeypatch)
    monkeypatch.setattr(audit, "Resolver", lambda *args, **kwargs: _Answers(address))
    with pytest.raises(AddressPolicyError, match="non-public address"):
        asyncio.run(audit.run_audit(parse_target("site.test"), AuditSettings(timeout=5), ruleset=load_ruleset()))
    assert attempts == []


def _backend(resolver: object, pins: dict[str, str] | None = None) -> PinnedBackend:
    return PinnedBackend(pins or {}, resolver, allow_private=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_a_name_resolved_at_connect_time_is_refused_by_its_aaaa_answer(monkeypatch: pytest.MonkeyPatch,
                                                                        address: str) -> None:
    attempts = forbid_connections(monkeypatch)
    backend = _backend(_Answers(address))
    with pytest.raises(httpcore.ConnectError, match=f"non-public address {address} of other.test"):
        asyncio.run(backend.connect_tcp("other.test", 443))
    assert attempts == []


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_every_redirect_hop_is_judged_by_the_one_follower(address: str) -> None:
    requested: list[str] = []

    def site(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(302, headers={"location": f"http://[{address}]/admin"})

    async def handle(answer: Answer) -> int | Follow:
        return FOLLOW if answer.location is not None else answer.response.status_code

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(site)) as client:
            await follow_redirects(client, "https://site.test/", handle, max_redirects=5,
                                   policy=AddressPolicy({"site.test": "93.184.215.14"}))

    with pytest.raises(httpx.ConnectError, match="non-public address"):
        asyncio.run(run())
    assert requested == ["https://site.test/"]


@pytest.mark.parametrize("address", ["64:ff9b::a00:1", "::ffff:0:a00:1", "2002:a00:1::1"])
def test_a_crawled_page_on_a_refused_address_is_an_error_without_traffic(monkeypatch: pytest.MonkeyPatch,
                                                                          address: str) -> None:
    attempts = forbid_connections(monkeypatch)

    async def run() -> dict:
        transport = PinnedTransport(_backend(_Answers(address)), max_connections=1)
        async with make_client(transport, timeout=5) as client:
            return await fetch_page(client, "http://site.test/contact", 1, "site.test", CrawlLimits())

    page = asyncio.run(run())
    assert "refusing to connect to non-public address" in page["error"] and page["html"] is None
    # Through httpcore and httpx the refusal keeps its Wording, with the category of the address it carries.
    assert page["error_wording"]["id"] == "error.cause.address_refused", page["error_wording"]
    assert page["error_wording"]["values"]["category"]["id"] == "address.embedded"
    literal = asyncio.run(_crawl_literal(address))
    assert "refusing to connect to non-public address" in literal["error"]
    assert attempts == []


async def _crawl_literal(address: str) -> dict:
    transport = PinnedTransport(_backend(_Answers("93.184.215.14")), max_connections=1)
    async with make_client(transport, timeout=5) as client:
        return await fetch_page(client, f"http://[{address}]/", 1, address, CrawlLimits())


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_a_list_url_is_refused_before_connecting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 address: str) -> None:
    from trustscan.cli.main import main

    attempts = forbid_connections(monkeypatch)
    result = CliRunner().invoke(main, ["lists", "import", "tnm", f"http://[{address}]/list.txt",
                                       "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to connect to non-public address" in lines[0]
    assert attempts == [] and not (tmp_path / "cache").exists()


def test_a_list_host_whose_aaaa_answer_is_refused_is_not_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustscan.lists.fetch import fetch_list

    attempts = forbid_connections(monkeypatch)
    with pytest.raises(ListFetchError, match="non-public address 64:ff9b::a00:1 of lists.test"):
        asyncio.run(fetch_list("https://lists.test/tnm.txt", resolver=_Answers("64:ff9b::a00:1"),  # type: ignore[arg-type]
                               cap=1024, timeout=5))
    assert attempts == []


def test_dnsbl_asks_about_public_addresses_and_the_ipv4_address_a_form_carries() -> None:
    addresses = ["93.184.215.14", "10.0.0.1", "64:ff9b::808:808", "::ffff:8.8.8.8", "64:ff9b::a00:1",
                 "2606:4700::1", "not an address"]
    assert dnsbl_ip_subjects(addresses, allow_private=False) == ["93.184.215.14", "8.8.8.8", "2606:4700::1"]
    assert dnsbl_ip_subjects(addresses, allow_private=True) == ["93.184.215.14", "10.0.0.1", "8.8.8.8",
                                                                "2606:4700::1"]
    resolver = _Answers()
    lookups = asyncio.run(dnsbl_lookups(resolver, domains=[], addresses=["64:ff9b::a00:1", "64:ff9b::808:808"],  # type: ignore[arg-type]
                                        domain_zones=[], ip_zones=["zen.test"]))
    assert resolver.queries == ["8.8.8.8.zen.test"] and [lookup["subject"] for lookup in lookups] == ["8.8.8.8"]


@pytest.mark.parametrize("address", ["64:ff9b::a00:1", "::ffff:0:7f00:1", "2002:c0a8:101::1"])
def test_a_bulk_site_on_a_refused_address_is_an_error_row_without_traffic(monkeypatch: pytest.MonkeyPatch,
                                                                          address: str) -> None:
    from trustscan.bulk.scheduler import BulkJob, audit_one
    from trustscan.core.catalog import load_catalog

    attempts = forbid_connections(monkeypatch)
    row = asyncio.run(audit_one(BulkJob(f"[{address}]:443", parse_target(f"[{address}]")), AuditSettings(timeout=5),
                                ruleset=load_ruleset(), catalog=load_catalog("en")))
    assert row.overall == "error" and row.error is not None
    assert row.error.startswith(f"address refused: {address} resolves to non-public address {address}, ")
    assert row.error_wording is not None and row.error_wording.id == "bulk.error.address_refused"
    assert load_catalog("vi").say(row.error_wording).startswith(
        f"từ chối địa chỉ: {address} phân giải ra địa chỉ không công khai {address}, địa chỉ dạng ")
    assert attempts == []
