"""The cipher suites the fast TLS path offers, sorted into the categories criterion c judges.

Pure data and set arithmetic, no I/O. The suites are sslyze's own catalogue (the exact list its
per-suite `--deep` enumeration tries), and each suite is classified with the very predicates
`facts.facts_dict` judges every accepted suite by (`weak_reasons`, forward secrecy by RFC name), so
both paths judge a suite the same way by construction.

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

from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuite
from sslyze.server_connectivity import TlsVersionEnum

from trustscan.collect.tls.compat import modern_tls12_suite_names, sslyze_cipher_suites
from trustscan.collect.tls.facts import KX_PROTOCOLS, is_aead, is_dhe, is_forward_secret, weak_reasons

__all__ = [
    "Category",
    "ClientKind",
    "Suite",
    "cipher_string",
    "dhe_class",
    "protocol_suites",
]

#: trustscan's protocol key -> sslyze's version enum (the keys of facts.PROTOCOL_LABELS).
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


def categorize(protocol: str, name: str, is_anonymous: bool) -> Category:
    """The category of a suite, with exactly the predicates facts_dict judges accepted suites by."""
    if weak_reasons(name, is_anonymous):
        return Category.BAD
    if protocol in KX_PROTOCOLS and not is_forward_secret(name):
        return Category.NOFS
    if protocol in KX_PROTOCOLS and is_dhe(name):
        return Category.DHE
    return Category.ECDHE  # includes every TLS 1.3 suite: always ephemeral, always AEAD (RFC 8446 §9.1)


def dhe_class(suite: Suite) -> tuple[str, int]:
    """(authentication, cipher key size): OpenSSL's automatic DH picks one group per such class."""
    parts = suite.name.split("_")  # TLS_DHE_RSA_WITH_AES_256_CBC_SHA -> RSA
    return (parts[2] if len(parts) > 2 else "", suite.key_size)


def _client_for(protocol: str, suite: CipherSuite) -> ClientKind:
    if protocol == "tls_1_3":
        return ClientKind.MODERN
    if protocol != "tls_1_2":
        return ClientKind.LEGACY
    # TLS 1.2: the modern client carries everything it can (fewer ClientHellos for a typical site);
    # the legacy one only what OpenSSL 1.1.1 dropped (static DH/ECDH, SEED, EXPORT, DES, ...).
    return ClientKind.MODERN if suite.openssl_name in modern_tls12_suite_names() else ClientKind.LEGACY


@cache
def protocol_suites(protocol: str) -> tuple[Suite, ...]:
    """Every suite sslyze's deep scan tries for `protocol`, classified; sorted by name for stable offers."""
    suites = sslyze_cipher_suites(PROTOCOL_VERSIONS[protocol])
    return tuple(
        Suite(name=s.name, openssl_name=s.openssl_name, is_anonymous=s.is_anonymous, key_size=s.key_size,
              category=categorize(protocol, s.name, s.is_anonymous), client=_client_for(protocol, s),
              aead=is_aead(protocol, s.name))
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
        if not name or not _NOT_IN_NAMES.isdisjoint(name):
            raise ValueError(f"not a plain OpenSSL suite name: {name!r}")
    return ":".join(names)


#: Separators and directives of OpenSSL's cipher-string syntax. A set test: the scan builds a few
#: strings of ~150 names per site, and a scan of each name per character cost ~0.4 ms of CPU a site.
_NOT_IN_NAMES = frozenset(":!+@, ")
