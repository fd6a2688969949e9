"""The default TLS probe for criterion c: category probing on nassl, a few ClientHellos per site.

sslyze (`trustscan.collect.tls.deep`, the `--deep` path) offers every cipher suite in its own ClientHello,
~410 per site. Criterion c only asks, per protocol, "is any suite of this kind accepted?" - so a
ClientHello here offers a whole category at once (see `suites`): a refusal rules the whole
category out, an acceptance names one suite, which is removed before re-offering. Only the
categories whose suites the facts list (weak, no forward secrecy) are enumerated to the end (k+1
hellos); DHE is probed once per DH class, because the group can differ between classes.

`scan_tls_fast` fills the same typed `facts.TlsFacts` the deep path fills, and `facts.facts_dict`
turns both into the probe's facts, so the two paths cannot drift apart in how they judge what they
saw. Differences, by design:
  - `accepted_suites` lists the suites seen (every weak and every non-forward-secret suite, one per
    DH class, and one representative otherwise), not every suite the server would accept;
  - the certificate chain is the one served to our first TLS 1.3 (else best-version) handshake,
    validated with sslyze's own trust stores and verifier, without the extra no-SNI/RSA/ECDSA fetches.

Round trips: the legacy versions are surveyed beside TLS 1.2/1.3, and the vulnerability checks two
at a time, so at most two of our connections are open to the server at once (the same ClientHellos
as one at a time); on a distant server the scan costs the longer chain of round trips, not the sum.

Deadline: with a `deadline`, no ClientHello is sent once it has passed and every connect and
handshake is bounded by what is left of it; the scan then ends with ProbeError "audit deadline reached".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from sslyze.server_connectivity import TlsVersionEnum

from trustscan.collect.base import Deadline
from trustscan.collect.tls.compat import (
    ROBOT_RSA_NOT_SUPPORTED,
    OpenSslVersionEnum,
    SslyzeChecks,
    validate_served_chain,
)
from trustscan.collect.tls.facts import (
    NO_CERTIFICATE,
    PROTOCOLS,
    AcceptedSuite,
    CheckFailed,
    ProtocolScan,
    Renegotiation,
    ServedCertificate,
    TlsFacts,
    facts_dict,
    failure_from_exception,
)
from trustscan.collect.tls.handshake import HandshakeCounter, Handshaker, HandshakeUnknown, LegacyVersionsMask, Offer
from trustscan.collect.tls.renegotiation import probe_renegotiation_and_compression
from trustscan.collect.tls.suites import (
    PROTOCOL_VERSIONS,
    Category,
    ClientKind,
    Suite,
    cipher_string,
    dhe_class,
    legacy_range_suites,
    protocol_suites,
)
from trustscan.core.errors import ProbeError
from trustscan.core.wordings import Wording

__all__ = ["scan_tls_fast"]

_RANGE = ("ssl_3_0", "tls_1_0", "tls_1_1")  # one SSLV23 ClientHello rules all three out at once
_RANGE_MASK = LegacyVersionsMask.NO_SSLV2 | LegacyVersionsMask.NO_TLSV1_2
_VERSION_KEYS = {PROTOCOL_VERSIONS[key].value: key for key in PROTOCOL_VERSIONS}


@dataclass
class _Survey:
    """What one scan has learnt so far; a working object local to one call, never shared.

    `accepted[protocol][suite name]` is the suite and the DH group size it came with; `failed`
    holds the protocols whose probing went unclear, with why.
    """

    shaker: Handshaker
    accepted: dict[str, dict[str, tuple[Suite, int | None]]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    causes: dict[str, Wording] = field(default_factory=dict)  # `failed`'s reasons, to word in any language
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aead_seen: bool = False

    def record(self, protocol: str, suite: Suite, offer: Offer) -> None:
        self.accepted.setdefault(protocol, {})[suite.name] = (suite, offer.dh_bits)
        if suite.aead:  # only ever set: two threads record at once (see _survey_protocols)
            self.aead_seen = True
        if offer.chain_pem and protocol not in self.chains:
            self.chains[protocol] = offer.chain_pem


def scan_tls_fast(
    host: str,
    ip: str,
    port: int,
    *,
    ca_bundle: Path | None,
    timeout: float,
    now: datetime | None = None,
    counter: HandshakeCounter | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """Scan one TLS endpoint with category probing; same arguments and facts as `deep.scan_tls`.

    `counter`, if given, is filled with the number of connections and ClientHellos sent.
    `deadline` (the audit's) stops the scan between handshakes and bounds each one (module docstring).
    """
    ip_address(ip)  # ValueError on anything but an IP literal: never resolve here
    survey = _Survey(Handshaker(host, ip, port, timeout, counter or HandshakeCounter(), deadline))
    _survey_protocols(survey)
    if not any(survey.accepted.values()):
        # As sslyze's connectivity test: a server that completes no handshake at all is not scanned.
        why = next(iter(survey.causes.values()), Wording("error.tls.none_accepted"))
        raise ProbeError("error.tls.handshake_failed", host=host, address=f"{ip}:{port}", cause=why)
    heartbleed, ccs, robot, renegotiation, compression = _vulnerabilities(survey, host, ip, port, timeout)
    facts = TlsFacts(
        hostname=host,
        checked_at=now or datetime.now(UTC),
        protocols=tuple(_protocol_scan(survey, key) for key in PROTOCOLS),
        heartbleed=heartbleed,
        robot=robot,
        ccs_injection=ccs,
        renegotiation=renegotiation,
        compression=compression,
        certificate=_certificate(survey, host, ca_bundle),
    )
    return facts_dict(facts)


# --- protocols and suites ----------------------------------------------------------------------


def _survey_protocols(survey: _Survey) -> None:
    """Every protocol's categories, in the order that needs the fewest ClientHellos."""
    # First a plain TLS 1.2 offer: the commonest answer, and a silent server shows up here at once.
    first = _guarded(survey, "tls_1_2", lambda: _offer(survey, "tls_1_2", _pool("tls_1_2", ClientKind.MODERN)))
    if first is not None and first.timed_out:
        shaker = survey.shaker
        raise ProbeError("error.tls.handshake_timeout", host=shaker.host, address=f"{shaker.ip}:{shaker.port}",
                         seconds=f"{shaker.timeout:g}")
    # The legacy versions (SSL 2.0 to TLS 1.1) share nothing with TLS 1.2/1.3's rounds (no AEAD suite
    # exists before TLS 1.2), so they are probed on a second connection at the same time: the survey's
    # round trips on a distant server become the longer of the two chains, not their sum. At most two
    # of our connections are open to the server at once; the ClientHellos are the same ones.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tls-legacy") as side:
        legacy = side.submit(_survey_legacy_versions, survey)
        # TLS 1.3 next: if accepted, AEAD is settled (RFC 8446 has only AEAD suites) before TLS 1.2's rounds.
        _guarded(survey, "tls_1_3", lambda: _resolve(survey, "tls_1_3", _pool("tls_1_3", ClientKind.MODERN)))
        if first is not None and "tls_1_2" not in survey.failed:
            _guarded(survey, "tls_1_2", lambda: _resolve_tls12(survey, first))
        legacy.result()  # re-raises the side's deadline or connection error


def _survey_legacy_versions(survey: _Survey) -> None:
    _survey_legacy_range(survey)
    _guarded(survey, "ssl_2_0", lambda: _resolve(survey, "ssl_2_0", _pool("ssl_2_0", ClientKind.LEGACY)))


def _resolve_tls12(survey: _Survey, first: Offer) -> None:
    _resolve(survey, "tls_1_2", _pool("tls_1_2", ClientKind.MODERN), seed=first)
    _resolve(survey, "tls_1_2", _pool("tls_1_2", ClientKind.LEGACY))


def _survey_legacy_range(survey: _Survey) -> None:
    """SSL 3.0 to TLS 1.1 in one ClientHello; the server answers with the highest it speaks (RFC 5246 E.1)."""
    names = cipher_string(legacy_range_suites(_RANGE))
    try:
        offer = survey.shaker.offer(OpenSslVersionEnum.SSLV23, names, legacy=True, purpose="version range",
                                    exclude=_RANGE_MASK)
        if offer.accepted and offer.version is None:
            raise HandshakeUnknown("error.tls.unclear_version")
    except HandshakeUnknown:
        offer = None  # say nothing from the range; ask each version on its own instead
    if offer is not None and not offer.accepted:
        for key in _RANGE:
            survey.accepted.pop(key, None)  # explicitly none accepted
        return
    highest = _VERSION_KEYS.get(offer.version.value) if offer is not None and offer.version else None
    for key in reversed(_RANGE):  # TLS 1.1, TLS 1.0, SSL 3.0
        if highest is not None and PROTOCOL_VERSIONS[key].value > PROTOCOL_VERSIONS[highest].value:
            continue  # above what the server chose: not spoken
        seed = offer if key == highest else None

        def work(key: str = key, seed: Offer | None = seed) -> None:
            _resolve(survey, key, _pool(key, ClientKind.LEGACY), seed=seed)

        _guarded(survey, key, work)


def _guarded(survey: _Survey, protocol: str, work: Callable[[], Any]) -> Any:
    """Run one protocol's probing; an unclear handshake makes that protocol unknown, never "refused"."""
    try:
        return work()
    except HandshakeUnknown as exc:
        survey.failed[protocol] = f"CONNECTIVITY_ISSUE: {exc}"
        survey.causes[protocol] = exc.wording
        survey.accepted.pop(protocol, None)
        return None


def _pool(protocol: str, client: ClientKind) -> tuple[Suite, ...]:
    return tuple(s for s in protocol_suites(protocol) if s.client == client)


def _offer(survey: _Survey, protocol: str, suites: Sequence[Suite]) -> Offer:
    version = OpenSslVersionEnum(PROTOCOL_VERSIONS[protocol].value)
    legacy = suites[0].client == ClientKind.LEGACY
    return survey.shaker.offer(version, cipher_string(s.openssl_name for s in suites), legacy=legacy,
                               purpose=protocol)


def open_suites(pool: Sequence[Suite], seen: dict[str, Any], protocol_known: bool, need_aead: bool) -> list[Suite]:
    """The suites still worth offering: what the facts need and the server has not yet answered.

    bad / nofs: every suite not seen yet (their names are listed); dhe: one per DH class not seen yet;
    the rest: only while we do not know whether the protocol is accepted at all, or whether AEAD is.
    """
    dhe_seen = {dhe_class(suite) for suite, _ in seen.values() if suite.category == Category.DHE}
    out = []
    for suite in pool:
        if suite.name in seen:
            continue
        listed = suite.category in (Category.BAD, Category.NOFS)
        new_dh_class = suite.category == Category.DHE and dhe_class(suite) not in dhe_seen
        if listed or new_dh_class or not protocol_known or (need_aead and suite.aead):
            out.append(suite)
    return out


def _resolve(survey: _Survey, protocol: str, pool: Sequence[Suite], seed: Offer | None = None) -> None:
    """Offer what is still open until the server refuses; each acceptance closes at least one suite."""
    seen = survey.accepted.setdefault(protocol, {})
    by_openssl = {s.openssl_name: s for s in pool}
    offer = seed
    for _ in range(len(pool) + 1):  # bounded even against a server that misbehaves
        if offer is None:
            remaining = open_suites(pool, seen, bool(seen), not survey.aead_seen)
            if not remaining:
                return
            offer = _offer(survey, protocol, remaining)
        if not offer.accepted:
            return
        suite = by_openssl.get(offer.suite or "")
        if suite is None or suite.name in seen:
            raise HandshakeUnknown("error.tls.suite_not_offered", suite=offer.suite or "?")
        survey.record(protocol, suite, offer)
        offer = None
    raise HandshakeUnknown("error.tls.suites_repeated")


def _protocol_scan(survey: _Survey, protocol: str) -> ProtocolScan:
    """The typed facts of one protocol: the suites seen accepted, or why its probing went unclear."""
    if protocol in survey.failed:
        return ProtocolScan(protocol, CheckFailed(survey.failed[protocol]))
    seen = sorted(survey.accepted.get(protocol, {}).values(), key=lambda item: item[0].name, reverse=True)
    return ProtocolScan(protocol, tuple(AcceptedSuite(name=suite.name, is_anonymous=suite.is_anonymous, dh_bits=bits)
                                        for suite, bits in seen))


def _highest(survey: _Survey) -> str | None:
    spoken = [key for key, seen in survey.accepted.items() if seen]
    return max(spoken, key=lambda key: PROTOCOL_VERSIONS[key].value) if spoken else None


# --- certificate -------------------------------------------------------------------------------


def _certificate(survey: _Survey, host: str, ca_bundle: Path | None) -> ServedCertificate | CheckFailed:
    """sslyze's deployment analysis (path validation against its stores + the custom CA) of our chain."""
    highest = _highest(survey)
    if highest is None:
        return CheckFailed("no handshake completed")
    chain = survey.chains.get(highest) or next(iter(survey.chains.values()), ())
    if not chain:
        return NO_CERTIFICATE
    return validate_served_chain(host, chain, ca_bundle)


# --- vulnerabilities ---------------------------------------------------------------------------

# heartbleed, CCS injection, ROBOT, renegotiation, compression
_Vulnerabilities = tuple[
    bool | CheckFailed, bool | CheckFailed, str | CheckFailed, Renegotiation | CheckFailed, bool | CheckFailed
]


def _vulnerabilities(survey: _Survey, host: str, ip: str, port: int, timeout: float) -> _Vulnerabilities:
    """Heartbleed, CCS injection and ROBOT by sslyze's plugins; renegotiation and compression by one handshake."""
    highest = _highest(survey)
    if highest is None or highest == "ssl_2_0":
        why = "no TLS handshake completed" if highest is None else "the server speaks only SSL 2.0"
        failed = failure_from_exception(RuntimeError(why))
        return failed, failed, failed, failed, failed
    # sslyze reconnects with this suite at `highest`; at TLS 1.2 it uses the modern client, so pick one it has.
    candidates = [s for s, _ in survey.accepted[highest].values()]
    representative = next((s for s in candidates if s.client == ClientKind.MODERN or highest != "tls_1_2"),
                          candidates[0])
    shaker = survey.shaker
    plugin_timeout = max(1, math.ceil(timeout))  # sslyze types the timeout as whole seconds

    def before_connection(purpose: str) -> float:
        bounded = shaker.network_timeout()  # raises once the deadline has passed
        shaker.counter.count(purpose)
        return plugin_timeout if shaker.deadline is None else min(plugin_timeout, bounded)

    checks = SslyzeChecks(
        host=host, ip=ip, port=port, version=PROTOCOL_VERSIONS[highest], suite=representative.openssl_name,
        ecdh=any(s.name.startswith("TLS_ECDHE") for seen in survey.accepted.values() for s, _ in seen.values()),
        before_connection=before_connection,
    )
    # Independent checks, each on its own connections: two at a time (Heartbleed then CCS injection
    # beside ROBOT then renegotiation), as the survey, so their round trips overlap.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tls-vuln") as side:
        memory_bugs = side.submit(lambda: (checks.heartbleed(), checks.ccs_injection()))
        robot = _robot(survey, checks)
        renegotiation, compression = _renegotiation(survey, shaker, highest)
        heartbleed, ccs = memory_bugs.result()
    return heartbleed, ccs, robot, renegotiation, compression


def _renegotiation(survey: _Survey, shaker: Handshaker, highest: str) -> tuple[Renegotiation | CheckFailed,
                                                                                bool | CheckFailed]:
    # Renegotiation and compression are read from one legacy handshake (sslyze uses three connections).
    reneg_version = TlsVersionEnum.TLS_1_2 if PROTOCOL_VERSIONS[highest].value >= TlsVersionEnum.TLS_1_3.value \
        else PROTOCOL_VERSIONS[highest]
    reneg_key = _VERSION_KEYS[reneg_version.value]
    return probe_renegotiation_and_compression(
        shaker, reneg_version, [s.openssl_name for s, _ in survey.accepted.get(reneg_key, {}).values()],
        downgraded=reneg_version != PROTOCOL_VERSIONS[highest], version_known=reneg_key not in survey.failed)


def _robot(survey: _Survey, checks: SslyzeChecks) -> str | CheckFailed:
    """ROBOT needs an RSA key exchange: if we know none is accepted where sslyze would test, no handshake."""
    key = _VERSION_KEYS[min(checks.version.value, TlsVersionEnum.TLS_1_2.value)]
    if key not in survey.failed:
        rsa = [s for s, _ in survey.accepted.get(key, {}).values() if s.name.startswith("TLS_RSA_")]
        if not rsa:
            return ROBOT_RSA_NOT_SUPPORTED
    return checks.robot()
