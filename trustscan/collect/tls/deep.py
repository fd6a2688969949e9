"""TLS configuration probe for criterion c, built on sslyze 6: the `--deep` path.

`scan_tls` is blocking (the caller runs it in a worker thread). It connects to a pinned IP with the
real name as SNI - it never resolves names - and fills the typed `facts.TlsFacts` from sslyze's
result objects; `facts.facts_dict` turns them into the probe's facts. Anything sslyze could not
determine is None, never a reassuring False.

Deadline: an sslyze scan cannot be cancelled once started. `scan_tls` refuses to start after the
audit's deadline, cuts the per-connection network timeout it gives sslyze to what is left of the
deadline (whole seconds, at least 1, as sslyze types it) and checks the deadline again before
handing over to sslyze; a scan already under way may still run past it in its (daemon) thread.
"""

from __future__ import annotations

import math
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
from sslyze.scanner.scanner_observer import ScannerObserver

from trustscan.collect.base import Deadline
from trustscan.collect.tls.certificate import describe_certificate_trace
from trustscan.collect.tls.compat import served_certificate
from trustscan.collect.tls.facts import (
    NO_CERTIFICATE,
    AcceptedSuite,
    CheckFailed,
    ProtocolScan,
    Renegotiation,
    ServedCertificate,
    TlsFacts,
    facts_dict,
)
from trustscan.collect.tls.handshake import connect_pinned, stop_if_expired
from trustscan.core.errors import ProbeError
from trustscan.core.wordings import Wording
from trustscan.net.failures import reported

# protocol key (facts.PROTOCOLS) -> the sslyze scan command enumerating its suites.
PROTOCOL_SCANS: dict[str, ScanCommand] = {
    "ssl_2_0": ScanCommand.SSL_2_0_CIPHER_SUITES,
    "ssl_3_0": ScanCommand.SSL_3_0_CIPHER_SUITES,
    "tls_1_0": ScanCommand.TLS_1_0_CIPHER_SUITES,
    "tls_1_1": ScanCommand.TLS_1_1_CIPHER_SUITES,
    "tls_1_2": ScanCommand.TLS_1_2_CIPHER_SUITES,
    "tls_1_3": ScanCommand.TLS_1_3_CIPHER_SUITES,
}


def scan_commands() -> set[ScanCommand]:
    """The sslyze scan commands criterion c needs."""
    return set(PROTOCOL_SCANS.values()) | {
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


def connectivity_failure(error: ConnectionToServerFailed | None, host: str, ip: str, port: int) -> Wording:
    """Why sslyze could not handshake with a server; sslyze's own reason is quoted as it gives it."""
    where = f"{ip}:{port}"
    if isinstance(error, ServerRejectedConnection):
        return Wording("error.tls.refused", {"address": where})
    if isinstance(error, ConnectionToServerTimedOut):
        return Wording("error.tls.connect_failed", {"address": where, "cause": Wording("error.cause.timeout")})
    if isinstance(error, TlsHandshakeTimedOut):
        return Wording("error.tls.handshake_timeout_unbounded", {"host": host, "address": where})
    if isinstance(error, TlsHandshakeFailed):
        return Wording("error.tls.handshake_failed",
                       {"host": host, "address": where, "cause": reported(error.error_message)})
    if error is not None:
        return Wording("error.tls.connect_failed", {"address": where, "cause": reported(error.error_message)})
    return Wording("error.tls.no_connection", {"host": host, "address": where})


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
        raise ProbeError("error.tls.handshake_timeout", host=host, address=where, seconds=f"{timeout:g}") from None
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
        raise ProbeError(connectivity_failure(recorder.error, host, ip, port))
    return result


def scan_tls(
    host: str,
    ip: str,
    port: int,
    *,
    ca_bundle: Path | None,
    timeout: float,
    now: datetime | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """Scan one TLS endpoint and return the criterion-c facts (see module docstring).

    `host` is the ASCII (punycode) name, sent as SNI and checked against the certificate; `ip` is
    where to connect. `timeout` is the per-connection network timeout in seconds, cut to what is
    left of `deadline`; past the deadline the scan does not start (ProbeError "audit deadline reached").
    """
    stop_if_expired(deadline)
    if deadline is not None:
        timeout = deadline.bound(timeout)
    request = build_scan_request(host, ip, port, ca_bundle=ca_bundle, timeout=timeout)
    try:
        check_reachable(request.server_location.hostname, ip, port, timeout)
    except ProbeError:
        stop_if_expired(deadline)  # a wait cut short by the deadline says nothing about the server
        raise
    stop_if_expired(deadline)
    attempts = run_scan(request, host, ip, port).scan_result
    assert attempts is not None  # run_scan guarantees it
    facts = TlsFacts(
        hostname=request.server_location.hostname,
        checked_at=now or datetime.now(UTC),
        protocols=tuple(_protocol_scan(key, _outcome(attempts, cmd)) for key, cmd in PROTOCOL_SCANS.items()),
        heartbleed=_read(_outcome(attempts, ScanCommand.HEARTBLEED), lambda r: r.is_vulnerable_to_heartbleed),
        robot=_read(_outcome(attempts, ScanCommand.ROBOT), lambda r: r.robot_result.name),
        ccs_injection=_read(_outcome(attempts, ScanCommand.OPENSSL_CCS_INJECTION),
                            lambda r: r.is_vulnerable_to_ccs_injection),
        renegotiation=_read(_outcome(attempts, ScanCommand.SESSION_RENEGOTIATION), _renegotiation),
        compression=_read(_outcome(attempts, ScanCommand.TLS_COMPRESSION), lambda r: r.supports_compression),
        certificate=_read(_outcome(attempts, ScanCommand.CERTIFICATE_INFO),
                          lambda r: _certificate(r, ca_bundle)),
    )
    return facts_dict(facts)


# --- sslyze results -> typed facts -------------------------------------------------------------


def _outcome(attempts: Any, command: ScanCommand) -> Any:
    """The command's result, or CheckFailed saying why it is missing."""
    attempt = getattr(attempts, command.value)
    if attempt.status == ScanCommandAttemptStatusEnum.COMPLETED and attempt.result is not None:
        return attempt.result
    if attempt.status == ScanCommandAttemptStatusEnum.ERROR:
        malformed = describe_certificate_trace(attempt.error_trace) \
            if command is ScanCommand.CERTIFICATE_INFO and attempt.error_trace else None
        if malformed is not None:  # the server's certificate, not sslyze, is at fault: say so in words
            return CheckFailed(malformed)
        reason = attempt.error_reason.value if attempt.error_reason else "ERROR"
        detail = "".join(attempt.error_trace.format_exception_only()).strip() if attempt.error_trace else ""
        return CheckFailed(f"{reason}: {detail.splitlines()[-1]}" if detail else reason)
    return CheckFailed(f"not run ({attempt.status.value})")


def _read(outcome: Any, read: Any) -> Any:
    """`read(result)`, or the CheckFailed itself."""
    return outcome if isinstance(outcome, CheckFailed) else read(outcome)


def _protocol_scan(protocol: str, outcome: Any) -> ProtocolScan:
    """The suites one protocol's scan saw accepted, with the DH group each one came with."""
    if isinstance(outcome, CheckFailed):
        return ProtocolScan(protocol, outcome)
    return ProtocolScan(protocol, tuple(
        AcceptedSuite(
            name=accepted.cipher_suite.name,
            is_anonymous=accepted.cipher_suite.is_anonymous,
            dh_bits=accepted.ephemeral_key.size
            if accepted.ephemeral_key is not None and accepted.ephemeral_key.type_name == "DH"
            else None,
        )
        for accepted in outcome.accepted_cipher_suites
    ))


def _renegotiation(result: Any) -> Renegotiation:
    # sslyze's is_vulnerable_to_client_renegotiation_dos needs all 10 attempts to succeed; one
    # honoured client-initiated renegotiation already means the server accepts it.
    return Renegotiation(secure=result.supports_secure_renegotiation,
                         client_initiated=result.client_renegotiations_success_count > 0)


def _certificate(cert_info: Any, ca_bundle: Path | None) -> ServedCertificate | CheckFailed:
    """The first deployment: the chain served to a default TLS 1.3 (or best-version) client."""
    if not cert_info.certificate_deployments:
        return NO_CERTIFICATE
    return served_certificate(cert_info.certificate_deployments[0], ca_bundle)
