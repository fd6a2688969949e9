"""Registrable domains from the bundled public suffix list (ICANN section), read without tldextract."""

from __future__ import annotations

import pytest

from trustscan.net.domains import SuffixRules, is_offsite, public_suffix_rules, registrable_domain, site_of

_LIST = """// comment
// ===BEGIN ICANN DOMAINS===
vn
gov.vn
*.ck
!www.ck
公司.cn
cn
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
github.io
// ===END PRIVATE DOMAINS===
"""


@pytest.mark.parametrize(("host", "labels"), [
    ("www.example.gov.vn", 2), ("gov.vn", 2), ("example.vn", 1), ("a.b.ck", 2), ("www.ck", 1), ("a.www.ck", 1),
    ("shop.xn--55qx5d.cn", 2), ("SHOP.XN--55QX5D.CN", 2), ("x.github.io", 0), ("good.trustscan.test", 0),
    ("127.0.0.1", 0), ("", 0), ("xn--zz.cn", 1),  # undecodable punycode is compared as written
])
def test_suffix_labels_follow_the_list_algorithm(host: str, labels: int) -> None:
    assert SuffixRules.parse(_LIST).suffix_labels(host) == labels


def test_the_private_section_is_not_read() -> None:
    rules = SuffixRules.parse(_LIST)
    assert "github.io" not in rules.plain and rules.wildcard == {"ck"} and rules.exception == {"www.ck"}


@pytest.mark.parametrize(("host", "domain"), [
    ("www.example.gov.vn", "example.gov.vn"), ("gov.vn", None), ("dichvucong.gov.vn", "dichvucong.gov.vn"),
    ("a.b.example.co.uk", "example.co.uk"), ("www.site.trustscan.test", "trustscan.test"),
    ("user.github.io", "github.io"),  # private suffixes are not public suffixes here (tldextract's default)
])
def test_registrable_domain_on_the_bundled_list(host: str, domain: str | None) -> None:
    assert registrable_domain(host) == domain


def test_site_of_and_offsite() -> None:
    assert site_of("cdn.example.gov.vn") == site_of("www.example.gov.vn") == "example.gov.vn"
    assert site_of("127.0.0.1") == "127.0.0.1" and site_of("vn") == "vn"
    assert is_offsite("https://cdn.other.vn/x.js", "www.example.gov.vn")
    assert not is_offsite("https://static.example.gov.vn/x.js", "www.example.gov.vn")


def test_the_bundled_list_is_read_once_and_is_large() -> None:
    rules = public_suffix_rules()
    assert rules is public_suffix_rules() and len(rules.plain) > 5000 and "gov.vn" in rules.plain
