"""Target and resolver-address parsing: what users type, including Vietnamese IDN names."""

from __future__ import annotations

import pytest

from trustscan.core.errors import ResolverError, TargetError
from trustscan.core.settings import NameServer, parse_nameserver
from trustscan.core.target import parse_target
from trustscan.net.resolve import is_public


@pytest.mark.parametrize(
    ("text", "host", "ascii_host", "port"),
    [
        ("example.gov.vn", "example.gov.vn", "example.gov.vn", 443),
        ("Example.GOV.vn.", "example.gov.vn", "example.gov.vn", 443),
        ("example.gov.vn:8443", "example.gov.vn", "example.gov.vn", 8443),
        ("https://example.gov.vn/path?q=1", "example.gov.vn", "example.gov.vn", 443),
        ("https://example.gov.vn:9443", "example.gov.vn", "example.gov.vn", 9443),
        ("bộ-công-an.vn", "bộ-công-an.vn", "xn--b-cng-an-63a1467e.vn", 443),
        ("https://bộ-công-an.vn:444/", "bộ-công-an.vn", "xn--b-cng-an-63a1467e.vn", 444),
        ("xn--b-cng-an-63a1467e.vn", "bộ-công-an.vn", "xn--b-cng-an-63a1467e.vn", 443),
        ("203.0.113.7:8443", "203.0.113.7", "203.0.113.7", 8443),
        ("[2001:db8::1]:8443", "2001:db8::1", "2001:db8::1", 8443),
        ("2001:db8::1", "2001:db8::1", "2001:db8::1", 443),
    ],
)
def test_valid_targets(text: str, host: str, ascii_host: str, port: int) -> None:
    target = parse_target(text)
    assert (target.host, target.ascii_host, target.port) == (host, ascii_host, port)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "http://example.gov.vn", "ftp://x.vn", "exa mple.vn", "example.vn:0", "example.vn:70000",
     "example.vn:abc", "-bad-.vn", "a..b.vn", "x" * 64 + ".vn", "localhostonly", "https://", "[::1",
     "example.vn/path", "bad_underscore.vn"],
)
def test_invalid_targets_raise_one_line_errors(text: str) -> None:
    with pytest.raises(TargetError) as info:
        parse_target(text)
    assert "\n" not in str(info.value)


def test_target_urls() -> None:
    assert parse_target("example.vn").https_url == "https://example.vn/"
    assert parse_target("example.vn:8443").https_url == "https://example.vn:8443/"
    assert parse_target("[2001:db8::1]:8443").https_url == "https://[2001:db8::1]:8443/"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1", NameServer("127.0.0.1", 53)), ("127.0.0.1:5353", NameServer("127.0.0.1", 5353)),
     ("[::1]:5353", NameServer("::1", 5353)), ("::1", NameServer("::1", 53))],
)
def test_nameserver(text: str, expected: NameServer) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["dns.example", "127.0.0.1:0", "127.0.0.1:x", "1.2.3.4:99999"])
def test_bad_nameserver(text: str) -> None:
    with pytest.raises(ResolverError):
        parse_nameserver(text)


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.1.1", False),
     ("169.254.1.1", False), ("100.64.0.1", False), ("::1", False), ("fe80::1", False),
     ("::ffff:127.0.0.1", False), ("2606:4700::1111", True), ("224.0.0.1", False), ("0.0.0.0", False)],
)
def test_address_policy(address: str, public: bool) -> None:
    assert is_public(address) is public
