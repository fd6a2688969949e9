"""The TLS facts of criterion c, typed: what both TLS paths fill in, and the one dict the rules read.

The fast path (`fast.py`, category probing) and the deep path (`deep.py`, sslyze's per-suite
enumeration) each fill a `TlsFacts`; `facts_dict` alone turns it into the probe's facts
(`tls.protocols`, `tls.weak_suites`, ... as rules/*.yaml name them), so the two paths cannot judge
what they saw differently. A check that could not run is a `CheckFailed`: its facts read None
(unknown, never a reassuring False) and its reason is listed under `errors`, keyed by the name of
the sslyze scan command that check stands for (the keys reports have always carried).

No I/O here except reading the trust-anchor PEM files named by a `ServedCertificate` (memoised by
`certificate.load_trust_anchors`); no sslyze or nassl.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from traceback import TracebackException
from typing import Any

from cryptography import x509

from trustscan.collect.tls.certificate import (
    MALFORMED_CERTIFICATE_ERRORS,
    analyze_certificate_chain,
    describe_certificate_error,
    load_trust_anchors,
)
from trustscan.core.validation_error import validation_error_wording
from trustscan.core.wordings import worded

__all__ = [
    "AcceptedSuite",
    "CheckFailed",
    "ProtocolScan",
    "Renegotiation",
    "ServedCertificate",
    "TlsFacts",
    "facts_dict",
    "failure_from_exception",
    "weak_reasons",
]

#: Protocol key -> display label, oldest first (the order of every per-protocol fact).
PROTOCOL_LABELS: dict[str, str] = {
    "ssl_2_0": "SSL 2.0",
    "ssl_3_0": "SSL 3.0",
    "tls_1_0": "TLS 1.0",
    "tls_1_1": "TLS 1.1",
    "tls_1_2": "TLS 1.2",
    "tls_1_3": "TLS 1.3",
}
PROTOCOLS = tuple(PROTOCOL_LABELS)
LEGACY_PROTOCOLS = frozenset({"ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1"})
#: Protocols whose suites carry their own key exchange (SSL 2.0 is RSA-only and TLS 1.3 is always FS).
KX_PROTOCOLS = frozenset({"ssl_3_0", "tls_1_0", "tls_1_1", "tls_1_2"})
AEAD_MARKERS = ("GCM", "CCM", "CHACHA20")

# Keys of `errors`: the sslyze scan command each check stands for (ScanCommand values; a test checks).
CERTIFICATE_CHECK = "certificate_info"
HEARTBLEED_CHECK = "heartbleed"
ROBOT_CHECK = "robot"
CCS_CHECK = "openssl_ccs_injection"
RENEGOTIATION_CHECK = "session_renegotiation"
COMPRESSION_CHECK = "tls_compression"


def suites_check(protocol: str) -> str:
    """The `errors` key of one protocol's cipher-suite scan, e.g. "tls_1_2_cipher_suites"."""
    return f"{protocol}_cipher_suites"


# --- how a suite is judged (both paths, and the fast path's categories in suites.py) -------------


def weak_reasons(suite_name: str, is_anonymous: bool = False) -> list[str]:
    """Why a suite is weak, read from its IANA/RFC name (e.g. TLS_RSA_EXPORT_WITH_RC4_40_MD5)."""
    tokens = suite_name.split("_")
    triple_des = "3DES" in tokens or "EDE3" in tokens  # SSLv2 spells 3DES as DES_192_EDE3
    checks = (
        ("NULL", "NULL" in tokens),
        ("anonymous", is_anonymous or "anon" in tokens),
        ("EXPORT", any(t.startswith("EXPORT") for t in tokens)),
        ("RC4", "RC4" in tokens),
        ("DES", not triple_des and ("DES" in tokens or "DES40" in tokens)),
        ("3DES", triple_des),
        ("MD5", "MD5" in tokens),
    )
    return [reason for reason, hit in checks if hit]


def is_forward_secret(suite_name: str) -> bool:
    """RFC names put the key exchange right after "TLS_": TLS_ECDHE_RSA_..., TLS_DHE_DSS_..."""
    return suite_name.split("_")[1:2] in (["DHE"], ["ECDHE"])


def is_dhe(suite_name: str) -> bool:
    """Ephemeral finite-field Diffie-Hellman key exchange (TLS_DHE_...)."""
    return suite_name.split("_")[1:2] == ["DHE"]


def is_aead(protocol: str, suite_name: str) -> bool:
    """Every TLS 1.3 suite is AEAD (RFC 8446 §9.1); before it, GCM, CCM and ChaCha20-Poly1305 are."""
    return protocol == "tls_1_3" or any(marker in suite_name for marker in AEAD_MARKERS)


# --- the typed facts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckFailed:
    """A check that could not run or did not finish: its facts are unknown (None), never a pass."""

    reason: str  # one line, as listed under `errors`


#: Anonymous-suites-only servers send no certificate: undeterminable, so say why.
NO_CERTIFICATE = CheckFailed("server presented no certificate")


def failure_from_exception(exc: BaseException) -> CheckFailed:
    """A check that raised: "CONNECTIVITY_ISSUE: <type>: <last line>", as sslyze words a failed attempt."""
    detail = "".join(TracebackException.from_exception(exc).format_exception_only()).strip()
    return CheckFailed(f"CONNECTIVITY_ISSUE: {detail.splitlines()[-1]}")


@dataclass(frozen=True)
class AcceptedSuite:
    """One cipher suite the server accepted."""

    name: str  # RFC/IANA name
    is_anonymous: bool
    dh_bits: int | None = None  # size of the finite-field DH group the server sent with it, if any


@dataclass(frozen=True)
class ProtocolScan:
    """What one protocol version's scan found: the accepted suites (none = not spoken), or why it failed."""

    protocol: str  # a key of PROTOCOL_LABELS
    accepted: tuple[AcceptedSuite, ...] | CheckFailed


@dataclass(frozen=True)
class Renegotiation:
    """RFC 5746 secure renegotiation, and whether one client-initiated renegotiation was honoured."""

    secure: bool
    client_initiated: bool


@dataclass(frozen=True)
class ServedCertificate:
    """The chain the server sent (leaf first) and how the trust stores judged it."""

    chain: tuple[x509.Certificate, ...]
    trusted_by: tuple[str, ...]  # names of the trust stores that validated it
    validation_error: str | None  # the first store's error when none validated it
    anchor_files: tuple[Path, ...]  # PEM bundles whose roots may complete the chain


@dataclass(frozen=True)
class TlsFacts:
    """Everything criterion c knows about one TLS endpoint, from either path."""

    hostname: str  # the name checked against the certificate (ASCII, as sent in SNI)
    checked_at: datetime  # "now" for the certificate's dates
    protocols: tuple[ProtocolScan, ...]  # one per protocol, in PROTOCOLS order
    heartbleed: bool | CheckFailed
    robot: str | CheckFailed  # the name of sslyze's RobotScanResultEnum value
    ccs_injection: bool | CheckFailed
    renegotiation: Renegotiation | CheckFailed
    compression: bool | CheckFailed
    certificate: ServedCertificate | CheckFailed

    def __post_init__(self) -> None:
        if tuple(scan.protocol for scan in self.protocols) != PROTOCOLS:
            raise ValueError(f"protocols must be {PROTOCOLS}, in that order")


# --- the facts dict ----------------------------------------------------------------------------


def facts_dict(facts: TlsFacts) -> dict[str, Any]:
    """The probe's JSON-serialisable facts, exactly the keys and values the rules read."""
    errors: dict[str, str] = {}
    suites = {scan.protocol: _known(scan.accepted, suites_check(scan.protocol), errors) for scan in facts.protocols}
    result: dict[str, Any] = {}
    result.update(_protocol_facts(suites))
    result.update(_cipher_facts(suites))
    result.update(_vulnerability_facts(facts, errors))
    result["certificate"] = _certificate_facts(facts, errors)
    result["errors"] = errors
    return result


def _known(outcome: Any, check: str, errors: dict[str, str]) -> Any:
    """The outcome, or None after listing why it is missing under `errors`."""
    if isinstance(outcome, CheckFailed):
        errors[check] = outcome.reason
        return None
    return outcome


def _protocol_facts(suites: dict[str, tuple[AcceptedSuite, ...] | None]) -> dict[str, Any]:
    """Which protocol versions the server accepts; None where that sub-scan failed."""
    protocols = {key: (bool(accepted) if accepted is not None else None) for key, accepted in suites.items()}
    legacy_known = all(protocols[key] is not None for key in LEGACY_PROTOCOLS)
    return {
        "protocols": protocols,
        "accepted_protocols": [PROTOCOL_LABELS[k] for k, v in protocols.items() if v],
        "legacy_protocols": [PROTOCOL_LABELS[k] for k, v in protocols.items() if v and k in LEGACY_PROTOCOLS]
        if legacy_known
        else None,
        "tls13": protocols["tls_1_3"],
    }


def _found_or_unknown(found: list[Any], complete: bool) -> list[Any] | None:
    """Findings stand even from a partial scan; an empty list is only a verdict when nothing failed."""
    return found if found or complete else None


def _cipher_facts(suites: dict[str, tuple[AcceptedSuite, ...] | None]) -> dict[str, Any]:
    """Cipher-suite facts: weak suites, forward secrecy, AEAD, DH group sizes."""
    complete = all(accepted is not None for accepted in suites.values())
    accepted_suites: dict[str, list[str]] = {}
    weak: list[dict[str, Any]] = []
    no_fs: list[dict[str, str]] = []
    aead = dhe = False
    dh_sizes: set[int] = set()
    for key, accepted in suites.items():
        if not accepted:
            continue
        label = PROTOCOL_LABELS[key]
        accepted_suites[label] = [suite.name for suite in accepted]
        for suite in accepted:
            reasons = weak_reasons(suite.name, suite.is_anonymous)
            if reasons:
                weak.append({"protocol": label, "suite": suite.name, "reasons": reasons})
            if key in KX_PROTOCOLS and not is_forward_secret(suite.name):
                no_fs.append({"protocol": label, "suite": suite.name})
            aead = aead or is_aead(key, suite.name)
            # Ephemeral finite-field DH; OpenSSL's automatic DH may pick a different group per suite.
            if suite.dh_bits is not None:
                dh_sizes.add(suite.dh_bits)
                dhe = True
            elif key in KX_PROTOCOLS and is_dhe(suite.name):
                dhe = True
    anything = bool(accepted_suites)
    return {
        "accepted_suites": accepted_suites,
        "weak_suites": _found_or_unknown(weak, complete),
        "suites_without_forward_secrecy": _found_or_unknown(no_fs, complete),
        "aead_available": True if aead else (False if complete else None),
        "cbc_only": False if aead else (anything if complete else None),
        "dhe_accepted": True if dhe else (False if complete else None),
        "dh_min_bits": min(dh_sizes) if dh_sizes else None,
        "dh_groups": sorted(dh_sizes),
    }


def _vulnerability_facts(facts: TlsFacts, errors: dict[str, str]) -> dict[str, Any]:
    """Heartbleed, ROBOT, CCS injection, renegotiation and compression; None per failed check."""
    heartbleed = _known(facts.heartbleed, HEARTBLEED_CHECK, errors)
    robot = _known(facts.robot, ROBOT_CHECK, errors)
    ccs = _known(facts.ccs_injection, CCS_CHECK, errors)
    reneg = _known(facts.renegotiation, RENEGOTIATION_CHECK, errors)
    compression = _known(facts.compression, COMPRESSION_CHECK, errors)
    return {
        "heartbleed": heartbleed,
        # UNKNOWN_INCONSISTENT_RESULTS stays None: it is neither safe nor proven vulnerable.
        "robot_vulnerable": (
            robot.startswith("VULNERABLE") if robot and robot != "UNKNOWN_INCONSISTENT_RESULTS" else None
        ),
        "robot_result": robot,
        "ccs_injection": ccs,
        "secure_renegotiation": reneg.secure if reneg else None,
        "client_renegotiation": reneg.client_initiated if reneg else None,
        "compression": compression,
    }


def _certificate_facts(facts: TlsFacts, errors: dict[str, str]) -> dict[str, Any] | None:
    """certificate.py's analysis of the served chain plus the trust stores' verdict."""
    served = _known(facts.certificate, CERTIFICATE_CHECK, errors)
    if served is None:
        return None
    anchors = load_trust_anchors(served.anchor_files)
    try:
        analysis = analyze_certificate_chain(served.chain, facts.hostname, facts.checked_at, anchors)
    except MALFORMED_CERTIFICATE_ERRORS as exc:
        # A server's malformed certificate: its facts are unknown (error verdicts), said in words.
        errors[CERTIFICATE_CHECK] = describe_certificate_error(exc, served.chain)
        return None
    analysis["trusted"] = bool(served.trusted_by)
    analysis["trusted_by"] = list(served.trusted_by)
    # Once any store validates, other stores' "unknown issuer" errors are noise, not a finding.
    analysis.update(worded("validation_error",
                           None if served.trusted_by else validation_error_wording(served.validation_error)))
    return analysis

