"""Secure renegotiation, client-initiated renegotiation and compression from one legacy handshake.

sslyze's SESSION_RENEGOTIATION and TLS_COMPRESSION plugins open three connections (and try ten
renegotiations); the three facts criterion c needs come from a single completed TLS <= 1.2 handshake
with nassl's legacy client: the renegotiation_info extension (RFC 5746), the negotiated compression
method (CRIME, CVE-2012-4929), and then one client-initiated renegotiation - one honoured
renegotiation already means the server accepts them (the fact is "count > 0", see tls.py).
Results are sslyze's own result objects, so `tls.extract_vulnerabilities` reads them unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from traceback import TracebackException

from nassl._nassl import OpenSSLError
from nassl.legacy_ssl_client import LegacySslClient
from nassl.ssl_client import OpenSslVersionEnum
from sslyze import ScanCommandAttemptStatusEnum
from sslyze.plugins.compression_plugin import CompressionScanResult
from sslyze.plugins.session_renegotiation_plugin import SessionRenegotiationScanResult
from sslyze.scanner.scan_command_attempt import ScanCommandAttempt, ScanCommandErrorReasonEnum
from sslyze.server_connectivity import TlsVersionEnum

from trustscan.collect.tls.handshake import Handshaker, HandshakeUnknown
from trustscan.collect.tls.suites import cipher_string
from trustscan.core.errors import ProbeError

__all__ = ["probe_renegotiation_and_compression"]

# sslyze's SslConnection default offer: what its renegotiation and compression checks send.
SSLYZE_DEFAULT_CIPHERS = "HIGH:MEDIUM:-aNULL:-eNULL:-3DES:-SRP:-PSK:-CAMELLIA"
# How servers refuse a client-initiated renegotiation (the list sslyze's _test_client_renegotiation knows).
_RENEGOTIATION_REFUSED = (
    "handshake failure", "no renegotiation", "tlsv1 unrecognized name", "tlsv1 alert internal error",
    "decryption failed or bad record mac", "sslv3 alert unexpected message", "shut down by peer",
    "unexpected record", "wrong version number",
)


def probe_renegotiation_and_compression(
    shaker: Handshaker,
    version: TlsVersionEnum,
    accepted_suites: Sequence[str],
    *,
    downgraded: bool,
    version_known: bool,
) -> tuple[ScanCommandAttempt, ScanCommandAttempt]:
    """(renegotiation attempt, compression attempt) at `version` (TLS 1.2 for a TLS 1.3 server).

    `accepted_suites` are OpenSSL names the server accepted at that version; the offer is made of
    them, so the handshake succeeds whenever the server speaks the version at all. A TLS 1.3-only
    server (`downgraded` and refused) has neither renegotiation nor compression, as sslyze reports.
    """
    if not accepted_suites and downgraded and version_known:
        return _no_renegotiation(), _completed(CompressionScanResult(supports_compression=False))
    # sslyze's offer first; the suites seen accepted added after it (OpenSSL skips names this client lacks).
    ciphers = SSLYZE_DEFAULT_CIPHERS + (":" + cipher_string(accepted_suites) if accepted_suites else "")
    try:
        with shaker.session(OpenSslVersionEnum(version.value), ciphers, legacy=True,
                            purpose="renegotiation+compression") as client:
            if client is None:
                if downgraded:
                    return _no_renegotiation(), _completed(CompressionScanResult(supports_compression=False))
                raise HandshakeUnknown(f"the server refused a {version.name} handshake it accepted before")
            assert isinstance(client, LegacySslClient)
            secure = client.get_secure_renegotiation_support()
            compression = _completed(CompressionScanResult(
                supports_compression=bool(client.get_current_compression_method())))
            honoured = _try_renegotiation(client, shaker)
    except (HandshakeUnknown, ProbeError) as exc:
        failed = _error(str(exc))
        return failed, failed
    reneg = SessionRenegotiationScanResult(
        supports_secure_renegotiation=secure,
        is_vulnerable_to_client_renegotiation_dos=honoured,
        client_renegotiations_success_count=1 if honoured else 0,
    )
    return _completed(reneg), compression


def _try_renegotiation(client: LegacySslClient, shaker: Handshaker) -> bool:
    """One client-initiated renegotiation on the open connection: honoured or refused."""
    shaker.counter.client_hellos += 1  # a renegotiation is a second ClientHello on the same connection
    shaker.counter.by_purpose["renegotiation+compression"] += 1
    try:
        client.do_renegotiate()
    except (TimeoutError, ConnectionError):
        return False  # Netty refuses by not answering (sslyze issue 114)
    except OpenSSLError as exc:
        if any(m in str(exc.args[0] if exc.args else "") for m in _RENEGOTIATION_REFUSED):
            return False
        raise HandshakeUnknown(f"unexpected TLS error during renegotiation: {exc}") from None
    except OSError as exc:
        if "Nassl SSL handshake failed" in str(exc.args):
            return False
        raise HandshakeUnknown(f"network error during renegotiation: {exc}") from None
    return True


def _no_renegotiation() -> ScanCommandAttempt:
    return _completed(SessionRenegotiationScanResult(
        supports_secure_renegotiation=True,  # TLS 1.3 has no renegotiation at all (RFC 8446 §4.1.2)
        is_vulnerable_to_client_renegotiation_dos=False,
        client_renegotiations_success_count=0,
    ))


def _completed(result: object) -> ScanCommandAttempt:
    return ScanCommandAttempt(status=ScanCommandAttemptStatusEnum.COMPLETED, error_reason=None, error_trace=None,
                              result=result)


def _error(message: str) -> ScanCommandAttempt:
    trace = TracebackException(RuntimeError, RuntimeError(message), None)
    return ScanCommandAttempt(status=ScanCommandAttemptStatusEnum.ERROR,
                              error_reason=ScanCommandErrorReasonEnum.CONNECTIVITY_ISSUE, error_trace=trace,
                              result=None)
