"""The local DNS server of the test world and the demo, on its own (no nginx)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from tests.world.client import addresses
from trustscan.localworld.dns import LocalDNSServer


@pytest.fixture(scope="module")
def dns_server() -> Iterator[LocalDNSServer]:
    with LocalDNSServer(
        {"Good.trustscan.test.": ["127.0.0.10", "::1"], "bộ-công-an.trustscan.test": ["127.0.0.10"]}
    ) as server:
        yield server


def ask(server: LocalDNSServer, name: str, rdtype: str = "A", *, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, "127.0.0.1", port=server.port, timeout=2)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dns_answers_a_for_known_name_case_insensitively(dns_server: LocalDNSServer, tcp: bool) -> None:
    response = ask(dns_server, "gOOD.TrustScan.test", tcp=tcp)
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert addresses(response) == ["127.0.0.10"]


def test_dns_aaaa_and_nodata(dns_server: LocalDNSServer) -> None:
    assert addresses(ask(dns_server, "good.trustscan.test", "AAAA")) == ["::1"]
    idn_aaaa = ask(dns_server, "xn--b-cng-an-63a1467e.trustscan.test", "AAAA")
    assert idn_aaaa.rcode() == dns.rcode.NOERROR and idn_aaaa.answer == []
    mx = ask(dns_server, "good.trustscan.test", "MX")
    assert mx.rcode() == dns.rcode.NOERROR and mx.answer == []


def test_dns_idn_is_served_as_punycode(dns_server: LocalDNSServer) -> None:
    assert addresses(ask(dns_server, "xn--b-cng-an-63a1467e.trustscan.test")) == ["127.0.0.10"]


def test_dns_nxdomain_for_unknown_name(dns_server: LocalDNSServer) -> None:
    response = ask(dns_server, "nope.trustscan.test")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.answer == []


def test_dns_survives_garbage(dns_server: LocalDNSServer) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(2)
        udp.sendto(b"\x00", ("127.0.0.1", dns_server.port))  # too short to answer at all
        # A query header (id 0xBEEF, QR=0) claiming one question, followed by junk: FORMERR, same id.
        udp.sendto(
            struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + b"\xff\xfe\x00",
            ("127.0.0.1", dns_server.port),
        )
        reply = udp.recv(512)
    assert reply[:2] == b"\xbe\xef"
    assert reply[3] & 0x0F == dns.rcode.FORMERR
    with socket.create_connection(("127.0.0.1", dns_server.port), timeout=2) as tcp:
        tcp.sendall(b"\x00\x05hello")
        assert tcp.recv(100) == b""  # closed, not crashed
    assert addresses(ask(dns_server, "good.trustscan.test")) == ["127.0.0.10"]


def test_dns_refuses_non_loopback_bind() -> None:
    with pytest.raises(ValueError, match="loopback"):
        LocalDNSServer({}, host="0.0.0.0")
