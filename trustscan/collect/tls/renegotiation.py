"""Secure renegotiation, client-initiated renegotiation and compression from one legacy handshake.

sslyze's SESSION_RENEGOTIATION and TLS_COMPRESSION plugins open three connections (and try ten
renegotiations); the three facts criterion c needs come from a single completed TLS <= 1.2 handshake
with nassl's legacy client: the renegotiation_info extension (RFC 5746), the negotiated compression
method (CRIME, CVE-2012-4929), and then one client-initiated renegotiation - one honoured
renegotiation already means the server accepts them (the deep path's fact is "count > 0" too).
"""

from __future__ import annotations

from collections.abc import Sequence

from sslyze.server_connectivity import TlsVersionEnum

from trustscan.collect.tls.compat import (
    OpenSSLError,
    OpenSslVersionEnum,
    TlsClient,
    renegotiate,
    secure_renegotiation_and_compression,
)
from trustscan.collect.tls.facts import CheckFailed, Renegotiation, failure_from_exception
from trustscan.collect.tls.handshake import AuditDeadlineReached, Handshaker, HandshakeUnknown
from trustscan.collect.tls.suites import cipher_string
from trustscan.core.errors import ProbeError
from trustscan.net.failures import classify, reported

__all__ = ["probe_renegotiation_and_compression"]

# sslyze's SslConnection default offer: what its renegotiation and compression checks send.
SSLYZE_DEFAULT_CIPHERS = "HIGH:MEDIUM:-aNULL:-eNULL:-3DES:-SRP:-PSK:-CAMELLIA"
# How servers refuse a client-initiated renegotiation (the list sslyze's _test_client_renegotiation knows).
_RENEGOTIATION_REFUSED = (
    "handshake failure", "no renegotiation", "tlsv1 unrecognized name", "tlsv1 alert internal error",
    "decryption failed or bad record mac", "sslv3 alert unexpected message", "shut down by peer",
    "unexpected record", "wrong version number",
)
_PURPOSE = "renegotiation+compression"
# TLS 1.3 has no renegotiation at all (RFC 8446 §4.1.2) and no compression (§4.1.2 too).
_NO_RENEGOTIATION = Renegotiation(secure=True, client_initiated=False)


def probe_renegotiation_and_compression(
    shaker: Handshaker,
    version: TlsVersionEnum,
    accepted_suites: Sequence[str],
    *,
    downgraded: bool,
    version_known: bool,
) -> tuple[Renegotiation | CheckFailed, bool | CheckFailed]:
    """(renegotiation, compression) at `version` (TLS 1.2 for a TLS 1.3 server).

    `accepted_suites` are OpenSSL names the server accepted at that version; the offer is made of
    them, so the handshake succeeds whenever the server speaks the version at all. A TLS 1.3-only
    server (`downgraded` and refused) has neither renegotiation nor compression, as sslyze reports.
    """
    if not accepted_suites and downgraded and version_known:
        return _NO_RENEGOTIATION, False
    # sslyze's offer first; the suites seen accepted added after it (OpenSSL skips names this client lacks).
    ciphers = SSLYZE_DEFAULT_CIPHERS + (":" + cipher_string(accepted_suites) if accepted_suites else "")
    try:
        with shaker.session(OpenSslVersionEnum(version.value), ciphers, legacy=True, purpose=_PURPOSE) as client:
            if client is None:
                if downgraded:
                    return _NO_RENEGOTIATION, False
                raise HandshakeUnknown("error.tls.renegotiation_refused", version=version.name)
            secure, compression = secure_renegotiation_and_compression(client)
            honoured = _try_renegotiation(client, shaker)
    except AuditDeadlineReached:
        raise
    except (HandshakeUnknown, ProbeError) as exc:
        failed = failure_from_exception(RuntimeError(str(exc)))
        return failed, failed
    return Renegotiation(secure=secure, client_initiated=honoured), compression


def _try_renegotiation(client: TlsClient, shaker: Handshaker) -> bool:
    """One client-initiated renegotiation on the open connection: honoured or refused."""
    shaker.counter.client_hellos += 1  # a renegotiation is a second ClientHello on the same connection
    shaker.counter.by_purpose[_PURPOSE] += 1
    try:
        renegotiate(client)
    except (TimeoutError, ConnectionError):
        shaker.check_deadline()  # cut short by the audit's deadline: not the server's answer
        return False  # Netty refuses by not answering (sslyze issue 114)
    except OpenSSLError as exc:
        if any(m in str(exc.args[0] if exc.args else "") for m in _RENEGOTIATION_REFUSED):
            return False
        raise HandshakeUnknown("error.tls.renegotiation_unexpected", cause=reported(exc)) from None
    except OSError as exc:
        if "Nassl SSL handshake failed" in str(exc.args):
            return False
        raise HandshakeUnknown("error.tls.renegotiation_network", cause=classify(exc)) from None
    return True
