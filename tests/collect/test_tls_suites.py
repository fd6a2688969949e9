"""Unit tests of the fast TLS path's categories and offers (no network)."""

from __future__ import annotations

import pytest
from nassl.legacy_ssl_client import LegacySslClient
from nassl.ssl_client import OpenSslVerifyEnum, OpenSslVersionEnum, SslClient
from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository

from trustscan.collect.tls.facts import weak_reasons
from trustscan.collect.tls.fast import open_suites
from trustscan.collect.tls.handshake import server_hello_version
from trustscan.collect.tls.suites import (
    PROTOCOL_VERSIONS,
    Category,
    ClientKind,
    Suite,
    categorize,
    cipher_string,
    dhe_class,
    legacy_range_suites,
    protocol_suites,
)


def _suite(name: str, category: Category, *, aead: bool = False, key_size: int = 128) -> Suite:
    return Suite(name=name, openssl_name=name.replace("_", "-"), is_anonymous="anon" in name, key_size=key_size,
                 category=category, client=ClientKind.LEGACY, aead=aead)


@pytest.mark.parametrize(("protocol", "name", "expected"), [
    ("tls_1_2", "TLS_RSA_WITH_RC4_128_SHA", Category.BAD),
    ("tls_1_2", "TLS_DH_anon_WITH_AES_128_CBC_SHA", Category.BAD),
    ("tls_1_2", "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", Category.BAD),
    ("tls_1_2", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", Category.BAD),
    ("tls_1_2", "TLS_RSA_WITH_AES_128_GCM_SHA256", Category.NOFS),
    ("tls_1_2", "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", Category.NOFS),
    ("tls_1_0", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", Category.DHE),
    ("tls_1_2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Category.ECDHE),
    ("tls_1_3", "TLS_AES_128_GCM_SHA256", Category.ECDHE),
    ("ssl_2_0", "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", Category.BAD),
])  # fmt: skip
def test_categories_follow_the_deep_paths_predicates(protocol: str, name: str, expected: Category) -> None:
    assert categorize(protocol, name, "anon" in name) == expected


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_VERSIONS))
def test_every_suite_of_the_deep_scan_is_offered_exactly_once(protocol: str) -> None:
    """The fast path must cover the same suites sslyze enumerates, or a weak one could slip through."""
    deep = {s.name for s in CipherSuitesRepository.get_all_cipher_suites(PROTOCOL_VERSIONS[protocol])}
    fast = [s.name for s in protocol_suites(protocol)]
    assert sorted(fast) == sorted(deep)
    for suite in protocol_suites(protocol):
        assert (suite.category == Category.BAD) == bool(weak_reasons(suite.name, suite.is_anonymous))


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_VERSIONS))
def test_each_category_offer_is_a_valid_cipher_string_for_its_client(protocol: str) -> None:
    """OpenSSL must put every offered suite in the ClientHello, or a rejection would prove nothing."""
    for kind in ClientKind:
        for category in Category:
            suites = [s for s in protocol_suites(protocol) if s.client == kind and s.category == category]
            if not suites:
                continue
            version = OpenSslVersionEnum(PROTOCOL_VERSIONS[protocol].value)
            cls = SslClient if kind == ClientKind.MODERN else LegacySslClient
            client = cls(ssl_version=version, ssl_verify=OpenSslVerifyEnum.NONE)
            if protocol == "tls_1_3":
                continue  # TLS 1.3 suites go through set_ciphersuites, checked by the world tests
            client.set_cipher_list(cipher_string(s.openssl_name for s in suites))
            assert set(client.get_cipher_list()) >= {s.openssl_name for s in suites}, (protocol, kind, category)


def test_tls13_is_modern_only_and_all_aead() -> None:
    assert {(s.client, s.aead) for s in protocol_suites("tls_1_3")} == {(ClientKind.MODERN, True)}


def test_cipher_string_is_a_plain_list() -> None:
    assert cipher_string(["AES128-SHA", "RC4-MD5", "AES128-SHA"]) == "AES128-SHA:RC4-MD5"
    with pytest.raises(ValueError, match="no cipher suites"):
        cipher_string([])
    for directive in ("ALL", "!aNULL", "RC4:DES", "@SECLEVEL=0", "A+B"):
        if directive == "ALL":
            continue  # a plain word is a valid name for OpenSSL's parser; directives are what we refuse
        with pytest.raises(ValueError, match="plain OpenSSL suite name"):
            cipher_string([directive])


def test_legacy_range_offer_covers_ssl3_to_tls11() -> None:
    names = set(legacy_range_suites(("ssl_3_0", "tls_1_0", "tls_1_1")))
    assert {"RC4-SHA", "DES-CBC3-SHA", "AES128-SHA", "EXP-RC4-MD5"} <= names
    assert not any(n.startswith("TLS_AES") for n in names)


def test_dhe_class_separates_authentication_and_strength() -> None:
    a = _suite("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", Category.DHE, key_size=128)
    b = _suite("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", Category.DHE, key_size=256)
    c = _suite("TLS_DHE_DSS_WITH_AES_128_CBC_SHA", Category.DHE, key_size=128)
    assert len({dhe_class(a), dhe_class(b), dhe_class(c)}) == 3


def test_open_suites_closes_what_is_known() -> None:
    bad = _suite("TLS_RSA_WITH_RC4_128_SHA", Category.BAD)
    nofs = _suite("TLS_RSA_WITH_AES_128_CBC_SHA", Category.NOFS)
    dhe128 = _suite("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", Category.DHE)
    dhe128b = _suite("TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", Category.DHE)
    dhe256 = _suite("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", Category.DHE, key_size=256)
    ecdhe_cbc = _suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Category.ECDHE)
    ecdhe_gcm = _suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Category.ECDHE, aead=True)
    pool = [bad, nofs, dhe128, dhe128b, dhe256, ecdhe_cbc, ecdhe_gcm]
    # Nothing known: everything is offered.
    assert open_suites(pool, {}, protocol_known=False, need_aead=True) == pool
    # The protocol is known and a 128-bit DHE-RSA suite was seen: its whole class closes, AEAD still open.
    seen = {dhe128.name: (dhe128, None)}
    assert open_suites(pool, seen, protocol_known=True, need_aead=True) == [bad, nofs, dhe256, ecdhe_gcm]
    # AEAD settled (e.g. by TLS 1.3): ECDHE suites are no longer worth a ClientHello.
    assert open_suites(pool, seen, protocol_known=True, need_aead=False) == [bad, nofs, dhe256]
    # Listed categories stay open until each suite is seen.
    seen |= {bad.name: (bad, None), nofs.name: (nofs, None), dhe256.name: (dhe256, None)}
    assert open_suites(pool, seen, protocol_known=True, need_aead=False) == []


@pytest.mark.parametrize(("data", "expected"), [
    (bytes.fromhex("160303004a020000460301"), OpenSslVersionEnum.TLSV1),
    (bytes.fromhex("160301004a020000460302"), OpenSslVersionEnum.TLSV1_1),
    (bytes.fromhex("160300004a020000460300"), OpenSslVersionEnum.SSLV3),
    (bytes.fromhex("15030100020228"), None),  # an alert, not a ServerHello
    (b"HTTP/1.1 400 Bad Request\r\n", None),
    (b"", None),
])  # fmt: skip
def test_server_hello_version(data: bytes, expected: OpenSslVersionEnum | None) -> None:
    assert server_hello_version(data) == expected


def test_error_keys_are_the_sslyze_scan_commands_they_stand_for() -> None:
    """Both paths list a failed check under the same key the deep path always used."""
    from sslyze import ScanCommand

    from trustscan.collect.tls import facts

    keys = {facts.CERTIFICATE_CHECK, facts.HEARTBLEED_CHECK, facts.ROBOT_CHECK, facts.CCS_CHECK,
            facts.RENEGOTIATION_CHECK, facts.COMPRESSION_CHECK} | {facts.suites_check(p) for p in facts.PROTOCOLS}
    assert keys <= {command.value for command in ScanCommand}
