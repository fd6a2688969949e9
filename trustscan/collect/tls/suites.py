"""The cipher suites the fast TLS path offers, sorted into the categories criterion c judges.

Pure data and set arithmetic, no I/O. The suites are sslyze's own catalogue (the exact list its
per-suite `--deep` enumeration tries), and each suite is classified with the very predicates the
deep path applies to its results (`weak_reasons`, forward secrecy by RFC name), so both paths judge
a suite the same way by construction.

Categories (RFC 9325 §4.1, Mozilla intermediate profile):
  bad    NULL, anonymous, EXPORT, RC4, DES/3DES, MD5 - every accepted one is listed (weak_suites)
  nofs   not bad, static RSA/DH key exchange - every accepted one is listed (suites_without_forward_secrecy)
  dhe    not bad, ephemeral finite-field DH - one accepted suite per *class* is enough, because OpenSSL's
         automatic DH picks the group from the authentication key and the cipher strength, so the
         group can differ between classes on one server (seen: 1024/2048/3072)
  ecdhe  not bad, ephemeral EC DH - only matters for "is the protocol accepted" and AEAD
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from nassl.ssl_client import OpenSslVerifyEnum, OpenSslVersionEnum, SslClient
from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuite, CipherSuitesRepository
from sslyze.server_connectivity import TlsVersionEnum

from trustscan.collect.tls.deep import _AEAD_MARKERS, _KX_PROTOCOLS, _is_forward_secret, weak_reasons

__all__ = [
    "Category",
    "ClientKind",
    "Suite",
    "cipher_string",
    "dhe_class",
    "protocol_suites",
]

#: trustscan's protocol key -> sslyze's version enum (the same keys tls.PROTOCOL_SCANS uses).
PROTOCOL_VERSIONS: dict[str, TlsVersionEnum] = {
    "ssl_2_0": TlsVersionEnum.SSL_2_0,
    "ssl_3_0": TlsVersionEnum.SSL_3_0,
    "tls_1_0": TlsVersionEnum.TLS_1_0,
    "tls_1_1": TlsVersionEnum.TLS_1_1,
    "tls_1_2": TlsVersionEnum.TLS_1_2,
    "tls_1_3": TlsVersionEnum.TLS_1_3,
}


class Category(StrEnum):
    """What criterion c needs to know about a suite; see the module docstring."""

    BAD = "bad"
    NOFS = "nofs"
    DHE = "dhe"
    ECDHE = "ecdhe"


class ClientKind(StrEnum):
    """Which nassl client can put the suite in a ClientHello (sslyze's own split, see _tls12_workaround)."""

    LEGACY = "legacy"  # nassl's OpenSSL 1.0.2: SSL 2.0 to TLS 1.2, and every weak suite
    MODERN = "modern"  # nassl's OpenSSL 1.1.1: TLS 1.3, and CHACHA20/ARIA/CCM suites of TLS 1.2


@dataclass(frozen=True)
class Suite:
    """One cipher suite of one protocol, with its category and the client that can offer it."""

    name: str  # RFC/IANA name, as the deep path reports it
    openssl_name: str
    is_anonymous: bool
    key_size: int
    category: Category
    client: ClientKind
    aead: bool

    def as_sslyze(self) -> CipherSuite:
        """The sslyze object the deep path's extraction helpers read."""
        return CipherSuite(name=self.name, openssl_name=self.openssl_name, is_anonymous=self.is_anonymous,
                           key_size=self.key_size)


def categorize(protocol: str, name: str, is_anonymous: bool) -> Category:
    """The category of a suite, with exactly the deep path's predicates (tls.extract_cipher_findings)."""
    if weak_reasons(name, is_anonymous):
        return Category.BAD
    if protocol in _KX_PROTOCOLS and not _is_forward_secret(name):
        return Category.NOFS
    if protocol in _KX_PROTOCOLS and name.split("_")[1:2] == ["DHE"]:
        return Category.DHE
    return Category.ECDHE  # includes every TLS 1.3 suite: always ephemeral, always AEAD (RFC 8446 §9.1)


def dhe_class(suite: Suite) -> tuple[str, int]:
    """(authentication, cipher key size): OpenSSL's automatic DH picks one group per such class."""
    parts = suite.name.split("_")  # TLS_DHE_RSA_WITH_AES_256_CBC_SHA -> RSA
    return (parts[2] if len(parts) > 2 else "", suite.key_size)


@cache
def _modern_tls12_names() -> frozenset[str]:
    client = SslClient(ssl_version=OpenSslVersionEnum.TLSV1_2, ssl_verify=OpenSslVerifyEnum.NONE)
    client.set_cipher_list("ALL:COMPLEMENTOFALL:-PSK:-SRP")
    return frozenset(client.get_cipher_list())


def _client_for(protocol: str, suite: CipherSuite) -> ClientKind:
    if protocol == "tls_1_3":
        return ClientKind.MODERN
    if protocol != "tls_1_2":
        return ClientKind.LEGACY
    # TLS 1.2: the modern client carries everything it can (fewer ClientHellos for a typical site);
    # the legacy one only what OpenSSL 1.1.1 dropped (static DH/ECDH, SEED, EXPORT, DES, ...).
    return ClientKind.MODERN if suite.openssl_name in _modern_tls12_names() else ClientKind.LEGACY


@cache
def protocol_suites(protocol: str) -> tuple[Suite, ...]:
    """Every suite sslyze's deep scan tries for `protocol`, classified; sorted by name for stable offers."""
    suites = CipherSuitesRepository.get_all_cipher_suites(PROTOCOL_VERSIONS[protocol])
    return tuple(
        Suite(name=s.name, openssl_name=s.openssl_name, is_anonymous=s.is_anonymous, key_size=s.key_size,
              category=categorize(protocol, s.name, s.is_anonymous), client=_client_for(protocol, s),
              aead=protocol == "tls_1_3" or any(m in s.name for m in _AEAD_MARKERS))
        for s in sorted(suites, key=lambda s: s.name)
    )


def legacy_range_suites(protocols: Iterable[str]) -> tuple[str, ...]:
    """OpenSSL names of every suite of the given legacy protocols, for one version-range ClientHello."""
    names: set[str] = set()
    for protocol in protocols:
        names.update(s.openssl_name for s in protocol_suites(protocol))
    return tuple(sorted(names))


def cipher_string(openssl_names: Iterable[str]) -> str:
    """An OpenSSL cipher string naming exactly these suites (no aliases, no '!' or '@' directives)."""
    names = list(dict.fromkeys(openssl_names))  # de-duplicated, order kept
    if not names:
        raise ValueError("no cipher suites to offer")
    for name in names:
        if not name or any(c in name for c in ":!+@, "):
            raise ValueError(f"not a plain OpenSSL suite name: {name!r}")
    return ":".join(names)
