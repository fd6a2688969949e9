"""One ClientHello at a time over nassl, as sslyze sends them, with every hello counted.

`Handshaker.offer` connects to the pinned IP, sends one ClientHello offering the given suites and
reports which suite the server picked (or that it refused all of them). Legacy handshakes (SSL 2.0
to TLS 1.2) stop as soon as the server's first flight has been read: the chosen suite, the DH group
and the certificate chain are known by then, and neither side has to do the key exchange - the
scanned server's CPU is spared too. Rejection is classified with sslyze's own list of handshake
errors, so "refused" means the same thing on both paths; anything else is a `HandshakeUnknown`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntFlag

from trustscan.collect.base import Deadline
from trustscan.collect.tls.compat import (
    HANDSHAKE_REJECTED_TLS_ERRORS,
    ClientCertificateRequested,
    OpenSSLError,
    OpenSslVersionEnum,
    TlsClient,
    WantX509LookupError,
    drive_handshake,
    exclude_versions,
    new_client,
    read_server_choice,
)
from trustscan.core.errors import ProbeError, WordedError
from trustscan.net.failures import classify, reported

__all__ = [
    "AuditDeadlineReached",
    "HandshakeCounter",
    "HandshakeUnknown",
    "Handshaker",
    "LegacyVersionsMask",
    "Offer",
    "connect_pinned",
]

# OpenSSL reports these when the server picked parameters the client refuses, which still proves the
# server accepted the suite (sslyze: ServerTlsConfigurationNotSupported -> "accepted").
_ACCEPTED_BUT_REFUSED_BY_US = ("dh key too small",)


class AuditDeadlineReached(ProbeError):
    """The audit's deadline passed: the scan stops instead of sending another ClientHello."""

    def __init__(self) -> None:
        super().__init__("error.deadline")


def stop_if_expired(deadline: Deadline | None) -> None:
    """Raise AuditDeadlineReached once the deadline has passed: no scan step starts after it."""
    if deadline is not None and deadline.expired:
        raise AuditDeadlineReached()


def connect_pinned(ip: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to the pinned address; ProbeError naming the failure if there is none."""
    where = f"{ip}:{port}"
    try:
        return socket.create_connection((ip, port), timeout=timeout)
    except ConnectionRefusedError:
        raise ProbeError("error.tls.refused", address=where) from None
    except TimeoutError:
        raise ProbeError("error.tls.connect_timeout", address=where, seconds=f"{timeout:g}") from None
    except OSError as exc:
        raise ProbeError("error.tls.connect_failed", address=where, cause=classify(exc)) from None


class LegacyVersionsMask(IntFlag):
    """SSL_OP_NO_* options of nassl's OpenSSL 1.0.2, to offer a range of versions in one hello."""

    NO_SSLV2 = 0x01000000
    NO_SSLV3 = 0x02000000
    NO_TLSV1 = 0x04000000
    NO_TLSV1_2 = 0x08000000
    NO_TLSV1_1 = 0x10000000


class HandshakeUnknown(WordedError):
    """The handshake neither succeeded nor was clearly refused: the outcome is unknown, never "refused"."""


@dataclass
class HandshakeCounter:
    """How many TCP connections and ClientHellos one scan sent (for the benchmark and the evidence)."""

    connections: int = 0
    client_hellos: int = 0
    by_purpose: dict[str, int] = field(default_factory=dict)

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, purpose: str, hellos: int = 1) -> None:
        with self._lock:  # the fast scan counts from two threads (fast._survey_protocols)
            self.connections += 1
            self.client_hellos += hellos
            self.by_purpose[purpose] = self.by_purpose.get(purpose, 0) + hellos


@dataclass(frozen=True)
class Offer:
    """What one ClientHello got back. `suite` is the OpenSSL name the server chose; None if refused."""

    accepted: bool
    suite: str | None = None
    version: OpenSslVersionEnum | None = None  # negotiated, for version-range offers
    dh_bits: int | None = None  # size of the finite-field DH group the server sent, if any
    chain_pem: tuple[str, ...] = ()
    timed_out: bool = False


# ServerHello.server_version (RFC 5246 §7.4.1.3) -> nassl version, to read what a range offer negotiated.
_WIRE_VERSIONS = {(3, 0): OpenSslVersionEnum.SSLV3, (3, 1): OpenSslVersionEnum.TLSV1,
                  (3, 2): OpenSslVersionEnum.TLSV1_1, (3, 3): OpenSslVersionEnum.TLSV1_2}


@dataclass(frozen=True)
class Handshaker:
    """Sends counted ClientHellos to one pinned endpoint; `host` goes in SNI, `ip` is where to connect.

    With a `deadline`, no connection is opened once it has passed (AuditDeadlineReached instead)
    and every connect and handshake is bounded by what is left of it.
    """

    host: str
    ip: str
    port: int
    timeout: float
    counter: HandshakeCounter
    deadline: Deadline | None = None

    def network_timeout(self) -> float:
        """The timeout for the next connection: `timeout`, cut to what is left of the deadline."""
        stop_if_expired(self.deadline)
        return self.timeout if self.deadline is None else self.deadline.bound(self.timeout)

    def check_deadline(self) -> None:
        """Raise AuditDeadlineReached if the deadline has passed (a cut-off wait proves nothing)."""
        stop_if_expired(self.deadline)

    def _prepared(self, version: OpenSslVersionEnum, ciphers: str, legacy: bool,
                  exclude: LegacyVersionsMask | None, purpose: str) -> tuple[TlsClient, float]:
        """A client connected to the endpoint, with the handshake budget it has."""
        timeout = self.network_timeout()
        try:
            client = new_client(version, ciphers, legacy=legacy, server_name=self.host)
        except OpenSSLError as exc:  # none of the names is known to this client: nothing was offered
            raise HandshakeUnknown("error.tls.cannot_offer", ciphers=ciphers[:60], cause=reported(exc)) from None
        if exclude:
            exclude_versions(client, int(exclude))
        try:
            client.set_underlying_socket(connect_pinned(self.ip, self.port, timeout))
        except ProbeError:
            client.shutdown()
            self.check_deadline()
            raise
        self.counter.count(purpose)
        return client, timeout

    def offer(
        self,
        version: OpenSslVersionEnum,
        ciphers: str,
        *,
        legacy: bool,
        purpose: str,
        exclude: LegacyVersionsMask | None = None,
        full: bool = False,
    ) -> Offer:
        """One ClientHello offering `ciphers` at `version` (TLS 1.3: `ciphers` are TLS 1.3 suites).

        `exclude` removes versions from an SSLV23 (range) offer. `full` completes the handshake
        instead of stopping after the server's first flight (always so for TLS 1.3).
        """
        client, budget = self._prepared(version, ciphers, legacy, exclude, purpose)
        try:
            complete = full or version == OpenSslVersionEnum.TLSV1_3
            first: list[bytes] = []
            accepted, timed_out = self._handshake(client, complete, first, budget)
            if not accepted:
                return Offer(accepted=False, timed_out=timed_out)
            negotiated = server_hello_version(first[0]) if version == OpenSslVersionEnum.SSLV23 and first else version
            suite, dh_bits, chain = read_server_choice(client)
            return Offer(accepted=True, suite=suite, version=negotiated, dh_bits=dh_bits, chain_pem=chain)
        finally:
            client.shutdown()

    @contextmanager
    def session(self, version: OpenSslVersionEnum, ciphers: str, *, legacy: bool,
                purpose: str) -> Iterator[TlsClient | None]:
        """A completed handshake kept open (for renegotiation); None if the server refused the offer."""
        client, budget = self._prepared(version, ciphers, legacy, None, purpose)
        try:
            accepted, _ = self._handshake(client, True, [], budget)
            yield client if accepted else None
        finally:
            client.shutdown()

    def _handshake(self, client: TlsClient, complete: bool, first: list[bytes],
                   budget: float) -> tuple[bool, bool]:
        """Drive the handshake: (accepted, timed out). Raises HandshakeUnknown if neither is clear."""
        try:
            drive_handshake(client, complete, first, time.monotonic() + budget)
        except (ClientCertificateRequested, WantX509LookupError):
            return True, False  # the server chose a suite and then asked who we are
        except TimeoutError:
            self.check_deadline()  # cut short by the audit's deadline: not the server's answer
            # sslyze counts a handshake timeout as a refusal (servers that ignore unsupported versions)
            return False, True
        except ConnectionError:
            return False, False
        except OSError as exc:
            if "Nassl SSL handshake failed" in str(exc.args):
                return False, False
            raise HandshakeUnknown("error.tls.network_during_handshake", cause=classify(exc)) from None
        except OpenSSLError as exc:
            message = str(exc.args[0]) if exc.args else ""
            if any(m in message for m in _ACCEPTED_BUT_REFUSED_BY_US):
                return True, False
            if any(m in message for m in HANDSHAKE_REJECTED_TLS_ERRORS):
                return False, False
            first_line = message.splitlines()[0] if message else type(exc).__name__
            raise HandshakeUnknown("error.tls.unexpected", cause=reported(first_line)) from None
        return True, False


def server_hello_version(data: bytes) -> OpenSslVersionEnum | None:
    """The version in a ServerHello at the start of `data` (record header, handshake header, version)."""
    if len(data) < 11 or data[0] != 0x16 or data[5] != 0x02:
        return None
    return _WIRE_VERSIONS.get((data[9], data[10]))
