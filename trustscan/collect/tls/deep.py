"""TLS configuration probe for criterion c, built on sslyze 6.

`scan_tls` is blocking (the caller runs it in a worker thread). It connects to a pinned IP with the
real name as SNI - it never resolves names - and turns sslyze's result objects into a plain,
JSON-serialisable dict. Anything sslyze could not determine is None, never a reassuring False.
"""

from __future__ import annotations

import math
import socket
import ssl
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from sslyze import (
    CertificateInfoExtraArgument,
    ScanCommand,
    ScanCommandAttemptStatusEnum,
    ScanCommandsExtraArguments,
    Scanner,
    ServerNetworkConfiguration,
    ServerNetworkLocation,
    ServerScanRequest,
    ServerScanResult,
    ServerScanStatusEnum,
)
from sslyze.errors import (
    ConnectionToServerFailed,
    ConnectionToServerTimedOut,
    ServerRejectedConnection,
    TlsHandshakeFailed,
    TlsHandshakeTimedOut,
)
from sslyze.plugins.certificate_info.trust_stores.trust_store_repository import TrustStoresRepository
from sslyze.scanner.scanner_observer import ScannerObserver

from trustscan.collect.tls.certificate import analyze_certificate_chain, load_trust_anchors
from trustscan.core.errors import ProbeError

# (result key, display label, sslyze scan command); a tuple so nothing module-level is mutable.
PROTOCOL_SCANS: tuple[tuple[str, str, ScanCommand], ...] = (
    ("ssl_2_0", "SSL 2.0", ScanCommand.SSL_2_0_CIPHER_SUITES),
    ("ssl_3_0", "SSL 3.0", ScanCommand.SSL_3_0_CIPHER_SUITES),
    ("tls_1_0", "TLS 1.0", ScanCommand.TLS_1_0_CIPHER_SUITES),
    ("tls_1_1", "TLS 1.1", ScanCommand.TLS_1_1_CIPHER_SUITES),
    ("tls_1_2", "TLS 1.2", ScanCommand.TLS_1_2_CIPHER_SUITES),
    ("tls_1_3", "TLS 1.3", ScanCommand.TLS_1_3_CIPHER_SUITES),
)
LEGACY_PROTOCOLS = frozenset({"ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1"})
# Protocols whose suites carry their own key exchange (SSL 2.0 is RSA-only and TLS 1.3 is always FS).
_KX_PROTOCOLS = frozenset({"ssl_3_0", "tls_1_0", "tls_1_1", "tls_1_2"})
_AEAD_MARKERS = ("GCM", "CCM", "CHACHA20")


def scan_commands() -> set[ScanCommand]:
    """The sslyze scan commands criterion c needs."""
    return {cmd for _, _, cmd in PROTOCOL_SCANS} | {
        ScanCommand.CERTIFICATE_INFO,
        ScanCommand.HEARTBLEED,
        ScanCommand.ROBOT,
        ScanCommand.OPENSSL_CCS_INJECTION,
        ScanCommand.SESSION_RENEGOTIATION,
        ScanCommand.TLS_COMPRESSION,
    }


def build_scan_request(
    host: str, ip: str, port: int, *, ca_bundle: Path | None, timeout: float
) -> ServerScanRequest:
    """A scan request pinned to `ip` (sslyze would resolve `host` itself if ip_address were empty)."""
    ip_address(ip)  # ValueError on anything but an IP literal: never let sslyze fall back to DNS
    location = ServerNetworkLocation(hostname=host, port=port, ip_address=ip)
    network = ServerNetworkConfiguration(
        tls_server_name_indication=location.hostname,
        # sslyze types this as int seconds and applies it per socket connect / read.
        network_timeout=max(1, math.ceil(timeout)),
    )
    extra = ScanCommandsExtraArguments(
        certificate_info=CertificateInfoExtraArgument(custom_ca_file=ca_bundle) if ca_bundle else None
    )
    return ServerScanRequest(
        server_location=location,
        network_configuration=network,
        scan_commands=scan_commands(),
        scan_commands_extra_arguments=extra,
    )


class _ConnectivityErrorRecorder(ScannerObserver):
    """Keeps the connectivity exception itself; ServerScanResult only carries a formatted trace."""

    def __init__(self) -> None:
        self.error: ConnectionToServerFailed | None = None

    def server_connectivity_test_error(self, server_scan_request: Any, connectivity_error: Any) -> None:
        self.error = connectivity_error

    def server_connectivity_test_completed(self, server_scan_request: Any, connectivity_result: Any) -> None:
        pass

    def server_scan_completed(self, server_scan_result: Any) -> None:
        pass

    def all_server_scans_completed(self) -> None:
        pass


def connectivity_message(error: ConnectionToServerFailed | None, host: str, ip: str, port: int) -> str:
    """One human-readable line for a server sslyze could not handshake with."""
    where = f"{ip}:{port}"
    if isinstance(error, ServerRejectedConnection):
        return f"connection refused by {where}"
    if isinstance(error, ConnectionToServerTimedOut):
        return f"connection to {where} timed out"
    if isinstance(error, TlsHandshakeTimedOut):
        return f"TLS handshake with {host} at {where} timed out"
    if isinstance(error, TlsHandshakeFailed):
        return f"TLS handshake with {host} at {where} failed: {error.error_message}"
    if error is not None:
        return f"connection to {where} failed: {error.error_message}"
    return f"could not connect to {host} at {where}"


def connect_pinned(ip: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to the pinned address; ProbeError naming the failure if there is none."""
    where = f"{ip}:{port}"
    try:
        return socket.create_connection((ip, port), timeout=timeout)
    except ConnectionRefusedError:
        raise ProbeError(f"connection refused by {where}") from None
    except TimeoutError:
        raise ProbeError(f"connection to {where} timed out after {timeout:g} s") from None
    except OSError as exc:
        raise ProbeError(f"connection to {where} failed: {exc.strerror or exc}") from None


def check_reachable(host: str, ip: str, port: int, timeout: float) -> None:
    """One TCP connect and one permissive ClientHello before sslyze starts.

    Why: sslyze's connectivity test retries every protocol version on a server that accepts TCP but
    never answers, so a silent port costs ~11x the network timeout (measured: 22 s at 2 s) and ends
    in a misleading "no TLS version supported". Only definite failures raise; a handshake *error*
    is left for sslyze, whose clients speak protocols the system OpenSSL no longer does.
    """
    where = f"{ip}:{port}"
    sock = connect_pinned(ip, port, timeout)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False) as tls:
            tls.do_handshake()
    except TimeoutError:
        raise ProbeError(f"TLS handshake with {host} at {where} timed out after {timeout:g} s") from None
    except (ssl.SSLError, OSError, ValueError):
        pass  # rejected our offer or dropped the connection: sslyze will try harder
    finally:
        sock.close()


def run_scan(request: ServerScanRequest, host: str, ip: str, port: int) -> ServerScanResult:
    """Run one sslyze scan; raise ProbeError if sslyze could not connect or handshake at all."""
    recorder = _ConnectivityErrorRecorder()
    # Small per-server concurrency: sslyze's own default, and polite to the site being assessed.
    scanner = Scanner(per_server_concurrent_connections_limit=5, observers=[recorder])
    scanner.queue_scans([request])
    results = list(scanner.get_results())
    if len(results) != 1:
        raise RuntimeError(f"sslyze returned {len(results)} results for one request")
    result = results[0]
    if result.scan_status != ServerScanStatusEnum.COMPLETED or result.scan_result is None:
        raise ProbeError(connectivity_message(recorder.error, host, ip, port))
    return result


def scan_tls(
    host: str,
    ip: str,
    port: int,
    *,
    ca_bundle: Path | None,
    timeout: float,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Scan one TLS endpoint and return the criterion-c facts (see module docstring).

    `host` is the ASCII (punycode) name, sent as SNI and checked against the certificate; `ip` is
    where to connect. `timeout` is the per-connection network timeout in seconds.
    """
    request = build_scan_request(host, ip, port, ca_bundle=ca_bundle, timeout=timeout)
    check_reachable(request.server_location.hostname, ip, port, timeout)
    result = run_scan(request, host, ip, port)
    attempts = result.scan_result
    assert attempts is not None  # run_scan guarantees it
    errors: dict[str, str] = {}
    suites = {key: _completed(attempts, cmd, errors) for key, _, cmd in PROTOCOL_SCANS}
    report: dict[str, Any] = {}
    report.update(extract_protocols(suites))
    report.update(extract_cipher_findings(suites))
    report.update(extract_vulnerabilities(attempts, errors))
    report["certificate"] = extract_certificate(
        _completed(attempts, ScanCommand.CERTIFICATE_INFO, errors),
        request.server_location.hostname,
        ca_bundle,
        now or datetime.now(UTC),
        errors,
    )
    report["errors"] = errors
    return report


# --- result extraction -------------------------------------------------------------------------


def _completed(attempts: Any, command: ScanCommand, errors: dict[str, str]) -> Any:
    """The command's result, or None after recording why it is missing in `errors`."""
    attempt = getattr(attempts, command.value)
    if attempt.status == ScanCommandAttemptStatusEnum.COMPLETED and attempt.result is not None:
        return attempt.result
    if attempt.status == ScanCommandAttemptStatusEnum.ERROR:
        reason = attempt.error_reason.value if attempt.error_reason else "ERROR"
        detail = "".join(attempt.error_trace.format_exception_only()).strip() if attempt.error_trace else ""
        errors[command.value] = f"{reason}: {detail.splitlines()[-1]}" if detail else reason
    else:
        errors[command.value] = f"not run ({attempt.status.value})"
    return None


def extract_protocols(suites: dict[str, Any]) -> dict[str, Any]:
    """Which protocol versions the server accepts; None where that sub-scan failed."""
    protocols = {key: (bool(res.accepted_cipher_suites) if res else None) for key, res in suites.items()}
    labels = {key: label for key, label, _ in PROTOCOL_SCANS}
    legacy_known = all(protocols[k] is not None for k in LEGACY_PROTOCOLS)
    return {
        "protocols": protocols,
        "accepted_protocols": [labels[k] for k, v in protocols.items() if v],
        "legacy_protocols": [labels[k] for k, v in protocols.items() if v and k in LEGACY_PROTOCOLS]
        if legacy_known
        else None,
        "tls13": protocols["tls_1_3"],
    }


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


def _is_forward_secret(suite_name: str) -> bool:
    # RFC names put the key exchange right after "TLS_": TLS_ECDHE_RSA_..., TLS_DHE_DSS_...
    return suite_name.split("_")[1:2] in (["DHE"], ["ECDHE"])


def _found_or_unknown(found: list[Any], complete: bool) -> list[Any] | None:
    """Findings stand even from a partial scan; an empty list is only a verdict when nothing failed."""
    return found if found or complete else None


def extract_cipher_findings(suites: dict[str, Any]) -> dict[str, Any]:
    """Cipher-suite facts: weak suites, forward secrecy, AEAD, DH group sizes."""
    labels = {key: label for key, label, _ in PROTOCOL_SCANS}
    complete = all(res is not None for res in suites.values())
    accepted_suites: dict[str, list[str]] = {}
    weak: list[dict[str, Any]] = []
    no_fs: list[dict[str, str]] = []
    aead = dhe = False
    dh_sizes: set[int] = set()
    for key, res in suites.items():
        if res is None or not res.accepted_cipher_suites:
            continue
        label = labels[key]
        accepted_suites[label] = [a.cipher_suite.name for a in res.accepted_cipher_suites]
        for accepted in res.accepted_cipher_suites:
            name = accepted.cipher_suite.name
            reasons = weak_reasons(name, accepted.cipher_suite.is_anonymous)
            if reasons:
                weak.append({"protocol": label, "suite": name, "reasons": reasons})
            if key in _KX_PROTOCOLS and not _is_forward_secret(name):
                no_fs.append({"protocol": label, "suite": name})
            aead = aead or key == "tls_1_3" or any(m in name for m in _AEAD_MARKERS)
            # Ephemeral finite-field DH; OpenSSL's automatic DH may pick a different group per suite.
            key_info = accepted.ephemeral_key
            if key_info is not None and key_info.type_name == "DH":
                dh_sizes.add(key_info.size)
                dhe = True
            elif key in _KX_PROTOCOLS and name.split("_")[1:2] == ["DHE"]:
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


def extract_vulnerabilities(attempts: Any, errors: dict[str, str]) -> dict[str, Any]:
    """Heartbleed, ROBOT, CCS injection, renegotiation and compression; None per failed sub-scan."""
    heartbleed = _completed(attempts, ScanCommand.HEARTBLEED, errors)
    robot = _completed(attempts, ScanCommand.ROBOT, errors)
    ccs = _completed(attempts, ScanCommand.OPENSSL_CCS_INJECTION, errors)
    reneg = _completed(attempts, ScanCommand.SESSION_RENEGOTIATION, errors)
    compression = _completed(attempts, ScanCommand.TLS_COMPRESSION, errors)
    robot_name = robot.robot_result.name if robot else None
    return {
        "heartbleed": heartbleed.is_vulnerable_to_heartbleed if heartbleed else None,
        # UNKNOWN_INCONSISTENT_RESULTS stays None: it is neither safe nor proven vulnerable.
        "robot_vulnerable": (
            robot_name.startswith("VULNERABLE")
            if robot_name and robot_name != "UNKNOWN_INCONSISTENT_RESULTS"
            else None
        ),
        "robot_result": robot_name,
        "ccs_injection": ccs.is_vulnerable_to_ccs_injection if ccs else None,
        "secure_renegotiation": reneg.supports_secure_renegotiation if reneg else None,
        # sslyze's is_vulnerable_to_client_renegotiation_dos needs all 10 attempts to succeed; one
        # honoured client-initiated renegotiation already means the server accepts it.
        "client_renegotiation": reneg.client_renegotiations_success_count > 0 if reneg else None,
        "compression": compression.supports_compression if compression else None,
    }


def sslyze_mozilla_store_path() -> Path:
    """Path of the Mozilla root bundle shipped with sslyze (used for chain completeness)."""
    return Path(TrustStoresRepository.get_default().get_main_store().path)


def extract_certificate(
    cert_info: Any, host: str, ca_bundle: Path | None, now: datetime, errors: dict[str, str]
) -> dict[str, Any] | None:
    """certificate.py's analysis of the first deployment plus sslyze's path-validation verdict."""
    if cert_info is None:
        return None
    if not cert_info.certificate_deployments:
        # Anonymous-suites-only servers send no certificate: undeterminable, so say why.
        errors[ScanCommand.CERTIFICATE_INFO.value] = "server presented no certificate"
        return None
    # The first deployment is the chain served to a default TLS 1.3 (or best-version) client.
    deployment = cert_info.certificate_deployments[0]
    anchors = load_trust_anchors([sslyze_mozilla_store_path(), ca_bundle])
    analysis = analyze_certificate_chain(deployment.received_certificate_chain, host, now, anchors)
    validations = deployment.path_validation_results
    trusted_by = [v.trust_store.name for v in validations if v.was_validation_successful]
    analysis["trusted"] = bool(trusted_by)
    analysis["trusted_by"] = trusted_by
    # Once any store validates, other stores' "unknown issuer" errors are noise, not a finding.
    analysis["validation_error"] = (
        None if trusted_by else next((v.validation_error for v in validations if v.validation_error), None)
    )
    return analysis
