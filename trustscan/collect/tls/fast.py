"""The default TLS probe for criterion c: category probing on nassl, a few ClientHellos per site.

sslyze (`trustscan.collect.tls.deep`, the `--deep` path) offers every cipher suite in its own ClientHello,
~410 per site. Criterion c only asks, per protocol, "is any suite of this kind accepted?" - so a
ClientHello here offers a whole category at once (see `tls_suites`): a refusal rules the whole
category out, an acceptance names one suite, which is removed before re-offering. Only the
categories whose suites the facts list (weak, no forward secrecy) are enumerated to the end (k+1
hellos); DHE is probed once per DH class, because the group can differ between classes.

`scan_tls_fast` returns exactly the facts dict `scan_tls` returns, assembled by the deep path's own
extraction helpers from the same kind of objects, so the two paths cannot drift apart in how they
judge what they saw. Differences, by design:
  - `accepted_suites` lists the suites seen (every weak and every non-forward-secret suite, one per
    DH class, and one representative otherwise), not every suite the server would accept;
  - the certificate chain is the one served to our first TLS 1.3 (else best-version) handshake,
    validated with sslyze's own trust stores and verifier, without the extra no-SNI/RSA/ECDSA fetches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path
from traceback import TracebackException
from types import SimpleNamespace
from typing import Any

from cryptography.x509 import DNSName, IPAddress
from nassl.ephemeral_key_info import EphemeralKeyInfo
from nassl.ssl_client import OpenSslVersionEnum
from sslyze import ScanCommand, ScanCommandAttemptStatusEnum, ServerNetworkConfiguration, ServerNetworkLocation
from sslyze.plugins.certificate_info._cert_chain_analyzer import CertificateDeploymentAnalyzer
from sslyze.plugins.certificate_info.trust_stores.trust_store import TrustStore
from sslyze.plugins.certificate_info.trust_stores.trust_store_repository import TrustStoresRepository
from sslyze.plugins.heartbleed_plugin import HeartbleedImplementation
from sslyze.plugins.openssl_ccs_injection_plugin import OpenSslCcsInjectionImplementation
from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import CipherSuiteAcceptedByServer
from sslyze.plugins.openssl_cipher_suites.implementation import CipherSuitesScanResult
from sslyze.plugins.plugin_base import ScanJobResult
from sslyze.plugins.robot._robot_tester import RobotScanResultEnum
from sslyze.plugins.robot.implementation import RobotImplementation, RobotScanResult
from sslyze.scanner.scan_command_attempt import ScanCommandAttempt, ScanCommandErrorReasonEnum
from sslyze.server_connectivity import (
    ClientAuthRequirementEnum,
    ServerConnectivityInfo,
    ServerTlsProbingResult,
    TlsVersionEnum,
)

from trustscan.collect.tls.deep import (
    PROTOCOL_SCANS,
    extract_certificate,
    extract_cipher_findings,
    extract_protocols,
    extract_vulnerabilities,
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

__all__ = ["scan_tls_fast"]

_COMMANDS = {key: cmd for key, _, cmd in PROTOCOL_SCANS}
_RANGE = ("ssl_3_0", "tls_1_0", "tls_1_1")  # one SSLV23 ClientHello rules all three out at once
_RANGE_MASK = LegacyVersionsMask.NO_SSLV2 | LegacyVersionsMask.NO_TLSV1_2
_VERSION_KEYS = {PROTOCOL_VERSIONS[key].value: key for key in PROTOCOL_VERSIONS}


@dataclass
class _Survey:
    """What one scan has learnt so far; a working object local to one call, never shared."""

    shaker: Handshaker
    accepted: dict[str, dict[str, tuple[Suite, EphemeralKeyInfo | None]]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aead_seen: bool = False

    def record(self, protocol: str, suite: Suite, offer: Offer) -> None:
        self.accepted.setdefault(protocol, {})[suite.name] = (suite, offer.ephemeral_key)
        self.aead_seen = self.aead_seen or suite.aead
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
) -> dict[str, Any]:
    """Scan one TLS endpoint with category probing; same arguments and facts as `tls.scan_tls`.

    `counter`, if given, is filled with the number of connections and ClientHellos sent.
    """
    ip_address(ip)  # ValueError on anything but an IP literal: never resolve here
    survey = _Survey(Handshaker(host, ip, port, timeout, counter or HandshakeCounter()))
    _survey_protocols(survey)
    if not any(survey.accepted.values()):
        # As sslyze's connectivity test: a server that completes no handshake at all is not scanned.
        why = next(iter(survey.failed.values()), "no protocol version and cipher suite we offered was accepted")
        raise ProbeError(f"TLS handshake with {host} at {ip}:{port} failed: {why.removeprefix('CONNECTIVITY_ISSUE: ')}")
    errors = {_COMMANDS[key].value: message for key, message in survey.failed.items()}
    suites = {key: _as_sslyze_result(survey, key) for key, _, _ in PROTOCOL_SCANS}
    report: dict[str, Any] = {}
    report.update(extract_protocols(suites))
    report.update(extract_cipher_findings(suites))
    report.update(extract_vulnerabilities(_vulnerability_attempts(survey, host, ip, port, timeout), errors))
    report["certificate"] = extract_certificate(
        _certificate_info(survey, host, ca_bundle, errors), host, ca_bundle, now or datetime.now(UTC), errors
    )
    report["errors"] = errors
    return report


# --- protocols and suites ----------------------------------------------------------------------


def _survey_protocols(survey: _Survey) -> None:
    """Every protocol's categories, in the order that needs the fewest ClientHellos."""
    # First a plain TLS 1.2 offer: the commonest answer, and a silent server shows up here at once.
    first = _guarded(survey, "tls_1_2", lambda: _offer(survey, "tls_1_2", _pool("tls_1_2", ClientKind.MODERN)))
    if first is not None and first.timed_out:
        shaker = survey.shaker
        raise ProbeError(f"TLS handshake with {shaker.host} at {shaker.ip}:{shaker.port} timed out "
                         f"after {shaker.timeout:g} s")
    # TLS 1.3 next: if accepted, AEAD is settled (RFC 8446 has only AEAD suites) before TLS 1.2's rounds.
    _guarded(survey, "tls_1_3", lambda: _resolve(survey, "tls_1_3", _pool("tls_1_3", ClientKind.MODERN)))
    if first is not None and "tls_1_2" not in survey.failed:
        _guarded(survey, "tls_1_2", lambda: _resolve_tls12(survey, first))
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
            raise HandshakeUnknown("could not read the negotiated version")
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
            raise HandshakeUnknown(f"server chose {offer.suite or 'an unnamed suite'}, which was not offered")
        survey.record(protocol, suite, offer)
        offer = None
    raise HandshakeUnknown("the server kept accepting suites it had already accepted")


def _as_sslyze_result(survey: _Survey, protocol: str) -> CipherSuitesScanResult | None:
    """What the deep path's extractors read: sslyze's own result type, for the suites seen."""
    if protocol in survey.failed:
        return None
    seen = survey.accepted.get(protocol, {})
    accepted = [CipherSuiteAcceptedByServer(cipher_suite=suite.as_sslyze(), ephemeral_key=key)
                for suite, key in sorted(seen.values(), key=lambda item: item[0].name, reverse=True)]
    return CipherSuitesScanResult(tls_version_used=PROTOCOL_VERSIONS[protocol], accepted_cipher_suites=accepted,
                                  rejected_cipher_suites=[])


def _highest(survey: _Survey) -> str | None:
    spoken = [key for key, seen in survey.accepted.items() if seen]
    return max(spoken, key=lambda key: PROTOCOL_VERSIONS[key].value) if spoken else None


# --- certificate -------------------------------------------------------------------------------


def _certificate_info(survey: _Survey, host: str, ca_bundle: Path | None, errors: dict[str, str]) -> Any:
    """sslyze's deployment analysis (path validation against its stores + the custom CA) of our chain."""
    highest = _highest(survey)
    if highest is None:
        errors[ScanCommand.CERTIFICATE_INFO.value] = "no handshake completed"
        return None
    chain = survey.chains.get(highest) or next(iter(survey.chains.values()), ())
    if not chain:
        return SimpleNamespace(certificate_deployments=[])  # anonymous suites only: extract_certificate says so
    stores = list(TrustStoresRepository.get_default().get_all_stores())
    if ca_bundle is not None:
        stores.append(TrustStore(ca_bundle, "Supplied CA file", "N/A"))  # the name sslyze gives it
    try:
        subject: DNSName | IPAddress = IPAddress(ip_address(host))
    except ValueError:
        subject = DNSName(host)
    try:
        deployment = CertificateDeploymentAnalyzer(subject, list(chain), None, stores).perform()
    except ValueError as exc:  # unparsable certificate from a hostile server
        errors[ScanCommand.CERTIFICATE_INFO.value] = f"could not parse the certificate chain: {exc}"
        return None
    return SimpleNamespace(certificate_deployments=[deployment])


# --- vulnerabilities ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _CountedServerInfo(ServerConnectivityInfo):
    """sslyze's server info, built from what we learnt instead of its connectivity test, counting connections."""

    counter: HandshakeCounter = field(default_factory=HandshakeCounter)
    purpose: str = "sslyze plugin"

    def get_preconfigured_tls_connection(self, *args: Any, **kwargs: Any) -> Any:
        self.counter.count(self.purpose)
        return super().get_preconfigured_tls_connection(*args, **kwargs)


def _vulnerability_attempts(survey: _Survey, host: str, ip: str, port: int, timeout: float) -> SimpleNamespace:
    """One sslyze-shaped attempt per vulnerability check, for tls.extract_vulnerabilities."""
    highest = _highest(survey)
    names = ("heartbleed", "openssl_ccs_injection", "robot", "session_renegotiation", "tls_compression")
    if highest is None or highest == "ssl_2_0":
        why = "no TLS handshake completed" if highest is None else "the server speaks only SSL 2.0"
        return SimpleNamespace(**{name: _error_attempt(why) for name in names})
    # sslyze reconnects with this suite at `highest`; at TLS 1.2 it uses the modern client, so pick one it has.
    candidates = [s for s, _ in survey.accepted[highest].values()]
    representative = next((s for s in candidates if s.client == ClientKind.MODERN or highest != "tls_1_2"),
                          candidates[0])
    info = _CountedServerInfo(
        server_location=ServerNetworkLocation(hostname=host, port=port, ip_address=ip),
        # sslyze types the timeout as whole seconds; one connect attempt, the audit has its own deadline
        network_configuration=ServerNetworkConfiguration(tls_server_name_indication=host,
                                                         network_timeout=max(1, math.ceil(timeout)),
                                                         network_max_retries=1),
        tls_probing_result=ServerTlsProbingResult(
            highest_tls_version_supported=PROTOCOL_VERSIONS[highest],
            cipher_suite_supported=representative.openssl_name,
            client_auth_requirement=ClientAuthRequirementEnum.DISABLED,
            supports_ecdh_key_exchange=any(s.name.startswith("TLS_ECDHE") for s, _ in _all_seen(survey)),
        ),
        counter=survey.shaker.counter,
    )
    attempts = {
        "heartbleed": _run_plugin(HeartbleedImplementation, replace(info, purpose="heartbleed")),
        "openssl_ccs_injection": _run_plugin(OpenSslCcsInjectionImplementation, replace(info, purpose="ccs")),
        "robot": _robot(survey, replace(info, purpose="robot")),
    }
    # Renegotiation and compression are read from one legacy handshake (sslyze uses three connections).
    reneg_version = TlsVersionEnum.TLS_1_2 if PROTOCOL_VERSIONS[highest].value >= TlsVersionEnum.TLS_1_3.value \
        else PROTOCOL_VERSIONS[highest]
    reneg_key = _VERSION_KEYS[reneg_version.value]
    reneg, compression = probe_renegotiation_and_compression(
        survey.shaker, reneg_version, [s.openssl_name for s, _ in survey.accepted.get(reneg_key, {}).values()],
        downgraded=reneg_version != PROTOCOL_VERSIONS[highest], version_known=reneg_key not in survey.failed)
    attempts["session_renegotiation"] = reneg
    attempts["tls_compression"] = compression
    return SimpleNamespace(**attempts)


def _all_seen(survey: _Survey) -> list[tuple[Suite, EphemeralKeyInfo | None]]:
    return [item for seen in survey.accepted.values() for item in seen.values()]


def _robot(survey: _Survey, info: _CountedServerInfo) -> ScanCommandAttempt:
    """ROBOT needs an RSA key exchange: if we know none is accepted where sslyze would test, no handshake."""
    version = info.tls_probing_result.highest_tls_version_supported
    key = _VERSION_KEYS[min(version.value, TlsVersionEnum.TLS_1_2.value)]
    if key not in survey.failed:
        rsa = [s for s, _ in survey.accepted.get(key, {}).values() if s.name.startswith("TLS_RSA_")]
        if not rsa:
            return _completed(RobotScanResult(robot_result=RobotScanResultEnum.NOT_VULNERABLE_RSA_NOT_SUPPORTED))
    return _run_plugin(RobotImplementation, info)


def _run_plugin(implementation: Any, info: ServerConnectivityInfo) -> ScanCommandAttempt:
    """Run an sslyze plugin's jobs one after the other in this thread (sslyze's own scan_server, minus the pool)."""
    try:
        results = []
        for job in implementation.scan_jobs_for_scan_command(info):
            try:
                results.append(ScanJobResult(_return_value=job.function_to_call(*job.function_arguments),
                                             _exception=None))
            except Exception as exc:  # noqa: BLE001 - sslyze's result_for_completed_scan_jobs decides
                results.append(ScanJobResult(_return_value=None, _exception=exc))
        return _completed(implementation.result_for_completed_scan_jobs(info, results))
    except Exception as exc:  # noqa: BLE001 - a failed check is an error fact, never a crash or a pass
        return _error_attempt(f"{type(exc).__name__}: {exc}".splitlines()[0], exc)


def _completed(result: Any) -> ScanCommandAttempt:
    return ScanCommandAttempt(status=ScanCommandAttemptStatusEnum.COMPLETED, error_reason=None, error_trace=None,
                              result=result)


def _error_attempt(message: str, exc: BaseException | None = None) -> ScanCommandAttempt:
    trace = TracebackException.from_exception(exc) if exc else TracebackException(
        RuntimeError, RuntimeError(message), None)
    return ScanCommandAttempt(status=ScanCommandAttemptStatusEnum.ERROR,
                              error_reason=ScanCommandErrorReasonEnum.CONNECTIVITY_ISSUE, error_trace=trace,
                              result=None)
