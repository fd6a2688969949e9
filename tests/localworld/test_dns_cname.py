"""CNAME records of the local DNS server: the chain in one answer, bounded, loops cut, as BIND answers."""

from __future__ import annotations

from collections.abc import Iterator

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from trustscan.localworld.dns import MAX_CNAME_ANSWER, LocalDNSServer

LONG = {f"c{i}.example.test": f"c{i + 1}.example.test" for i in range(MAX_CNAME_ANSWER + 4)}  # one past the cut


@pytest.fixture(scope="module")
def server() -> Iterator[LocalDNSServer]:
    cnames = {"www.example.test": "Edge.CDN.test.", "edge.cdn.test": "origin.example.test",
              "dangling.example.test": "nowhere.example.test",
              "loop-a.example.test": "loop-b.example.test", "loop-b.example.test": "loop-a.example.test", **LONG}
    with LocalDNSServer({"origin.example.test": ["127.0.0.10", "::1"]}, cnames=cnames) as dns_server:
        yield dns_server


def ask(server: LocalDNSServer, name: str, rdtype: str = "A") -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=server.port, timeout=2)


def chain(response: dns.message.Message) -> list[tuple[str, str]]:
    return [(rrset.name.to_text().lower(), rdata.to_text().lower()) for rrset in response.answer for rdata in rrset]


def test_an_alias_is_answered_with_the_whole_chain_then_the_addresses(server: LocalDNSServer) -> None:
    response = ask(server, "WWW.example.test")
    assert response.rcode() == dns.rcode.NOERROR
    assert chain(response) == [("www.example.test.", "edge.cdn.test."), ("edge.cdn.test.", "origin.example.test."),
                               ("origin.example.test.", "127.0.0.10")]
    assert chain(ask(server, "www.example.test", "AAAA"))[-1] == ("origin.example.test.", "::1")


def test_a_cname_query_gets_the_cname_only(server: LocalDNSServer) -> None:
    assert chain(ask(server, "www.example.test", "CNAME")) == [("www.example.test.", "edge.cdn.test.")]


def test_a_dangling_alias_is_nxdomain_with_its_chain(server: LocalDNSServer) -> None:
    response = ask(server, "dangling.example.test")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert chain(response) == [("dangling.example.test.", "nowhere.example.test.")]


def test_a_loop_and_a_long_chain_are_cut(server: LocalDNSServer) -> None:
    loop = ask(server, "loop-a.example.test")
    assert loop.rcode() == dns.rcode.NOERROR and len(loop.answer) == 2  # each alias once
    long = ask(server, "c0.example.test")
    assert len(long.answer) == MAX_CNAME_ANSWER
    assert all(rrset.rdtype == dns.rdatatype.CNAME for rrset in long.answer)


def test_a_name_cannot_be_an_alias_and_have_addresses() -> None:
    with pytest.raises(ValueError, match="both a CNAME and addresses"):
        LocalDNSServer({"a.example.test": ["127.0.0.1"]}, cnames={"A.example.test.": "b.example.test"})
