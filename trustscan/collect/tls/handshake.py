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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntFlag

from nassl._nassl import OpenSSLError, WantReadError, WantX509LookupError
from nassl.ephemeral_key_info import EphemeralKeyInfo
from nassl.legacy_ssl_client import LegacySslClient
from nassl.ssl_client import BaseSslClient, ClientCertificateRequested, OpenSslVerifyEnum, OpenSslVersionEnum, SslClient
from sslyze.connection_helpers.tls_connection import _HANDSHAKE_REJECTED_TLS_ERRORS

from trustscan.collect.tls.deep import connect_pinned
from trustscan.core.errors import ProbeError

__all__ = ["Handshaker", "HandshakeCounter", "HandshakeUnknown", "Offer", "LegacyVersionsMask"]

_BUFFER = 16384
# OpenSSL reports these when the server picked parameters the client refuses, which still proves the
# server accepted the suite (sslyze: ServerTlsConfigurationNotSupported -> "accepted").
_ACCEPTED_BUT_REFUSED_BY_US = ("dh key too small",)


class LegacyVersionsMask(IntFlag):
    """SSL_OP_NO_* options of nassl's OpenSSL 1.0.2, to offer a range of versions in one hello."""

    NO_SSLV2 = 0x01000000
    NO_SSLV3 = 0x02000000
    NO_TLSV1 = 0x04000000
    NO_TLSV1_2 = 0x08000000
    NO_TLSV1_1 = 0x10000000


class HandshakeUnknown(Exception):
    """The handshake neither succeeded nor was clearly refused: the outcome is unknown, never "refused"."""


@dataclass
class HandshakeCounter:
    """How many TCP connections and ClientHellos one scan sent (for the benchmark and the evidence)."""

    connections: int = 0
    client_hellos: int = 0
    by_purpose: dict[str, int] = field(default_factory=dict)

    def count(self, purpose: str, hellos: int = 1) -> None:
        self.connections += 1
        self.client_hellos += hellos
        self.by_purpose[purpose] = self.by_purpose.get(purpose, 0) + hellos


@dataclass(frozen=True)
class Offer:
    """What one ClientHello got back. `suite` is the OpenSSL name the server chose; None if refused."""

    accepted: bool
    suite: str | None = None
    version: OpenSslVersionEnum | None = None  # negotiated, for version-range offers
    ephemeral_key: EphemeralKeyInfo | None = None
    chain_pem: tuple[str, ...] = ()
    timed_out: bool = False


# ServerHello.server_version (RFC 5246 §7.4.1.3) -> nassl version, to read what a range offer negotiated.
_WIRE_VERSIONS = {(3, 0): OpenSslVersionEnum.SSLV3, (3, 1): OpenSslVersionEnum.TLSV1,
                  (3, 2): OpenSslVersionEnum.TLSV1_1, (3, 3): OpenSslVersionEnum.TLSV1_2}


@dataclass(frozen=True)
class Handshaker:
    """Sends counted ClientHellos to one pinned endpoint; `host` goes in SNI, `ip` is where to connect."""

    host: str
    ip: str
    port: int
    timeout: float
    counter: HandshakeCounter

    def connect(self) -> socket.socket:
        """A TCP connection to the pinned address; ProbeError if the server cannot be reached at all."""
        return connect_pinned(self.ip, self.port, self.timeout)

    def client(self, version: OpenSslVersionEnum, *, legacy: bool, sni: bool = True) -> BaseSslClient:
        """A nassl client as sslyze configures it: no verification, client-auth requests ignored."""
        cls = LegacySslClient if legacy else SslClient
        client = cls(ssl_version=version, ssl_verify=OpenSslVerifyEnum.NONE,
                     ignore_client_authentication_requests=True)
        if sni and version != OpenSslVersionEnum.SSLV2:
            client.set_tlsext_host_name(self.host)
        return client

    def _prepared(self, version: OpenSslVersionEnum, ciphers: str, legacy: bool,
                  exclude: LegacyVersionsMask | None, purpose: str) -> BaseSslClient:
        client = self.client(version, legacy=legacy)
        try:
            if version == OpenSslVersionEnum.TLSV1_3:
                assert isinstance(client, SslClient)
                client.set_ciphersuites(ciphers)
            else:
                client.set_cipher_list(ciphers)
        except OpenSSLError as exc:  # none of the names is known to this client: nothing was offered
            raise HandshakeUnknown(f"cannot offer {ciphers[:60]}: {exc}") from None
        if exclude:
            client._ssl.set_options(int(exclude))
        try:
            client.set_underlying_socket(self.connect())
        except ProbeError:
            client.shutdown()
            raise
        self.counter.count(purpose)
        return client

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
        client = self._prepared(version, ciphers, legacy, exclude, purpose)
        try:
            complete = full or version == OpenSslVersionEnum.TLSV1_3
            first: list[bytes] = []
            accepted, timed_out = self._handshake(client, complete, first, self.timeout)
            if not accepted:
                return Offer(accepted=False, timed_out=timed_out)
            negotiated = server_hello_version(first[0]) if version == OpenSslVersionEnum.SSLV23 and first else version
            return _read_offer(client, negotiated)
        finally:
            client.shutdown()

    @contextmanager
    def session(self, version: OpenSslVersionEnum, ciphers: str, *, legacy: bool,
                purpose: str) -> Iterator[BaseSslClient | None]:
        """A completed handshake kept open (for renegotiation); None if the server refused the offer."""
        client = self._prepared(version, ciphers, legacy, None, purpose)
        try:
            accepted, _ = self._handshake(client, True, [], self.timeout)
            yield client if accepted else None
        finally:
            client.shutdown()

    def _handshake(self, client: BaseSslClient, complete: bool, first: list[bytes],
                   budget: float) -> tuple[bool, bool]:
        """Drive the handshake: (accepted, timed out). Raises HandshakeUnknown if neither is clear."""
        try:
            _drive(client, complete, first, time.monotonic() + budget)
        except (ClientCertificateRequested, WantX509LookupError):
            return True, False  # the server chose a suite and then asked who we are
        except TimeoutError:
            # sslyze counts a handshake timeout as a refusal (servers that ignore unsupported versions)
            return False, True
        except ConnectionError:
            return False, False
        except OSError as exc:
            if "Nassl SSL handshake failed" in str(exc.args):
                return False, False
            raise HandshakeUnknown(f"network error during the handshake: {exc}") from None
        except OpenSSLError as exc:
            message = str(exc.args[0]) if exc.args else ""
            if any(m in message for m in _ACCEPTED_BUT_REFUSED_BY_US):
                return True, False
            if any(m in message for m in _HANDSHAKE_REJECTED_TLS_ERRORS):
                return False, False
            first_line = message.splitlines()[0] if message else type(exc).__name__
            raise HandshakeUnknown(f"unexpected TLS error: {first_line}") from None
        return True, False


def _drive(client: BaseSslClient, complete: bool, first: list[bytes], deadline: float) -> None:
    """nassl's do_handshake loop, stopping once the client has a second flight to send (if not `complete`).

    When OpenSSL, after reading the server's data, wants to send something again (ClientKeyExchange,
    Finished), the ServerHello, Certificate and ServerKeyExchange have all been processed.
    """
    sock = client.get_underlying_socket()
    assert sock is not None
    sent_hello = False
    while True:
        try:
            client._ssl.do_handshake()
        except WantReadError:
            pass  # OpenSSL waits for the server; maybe it has something to send first
        else:
            client._is_handshake_completed = True
            return
        if client._network_bio.pending():
            if sent_hello and not complete:
                return  # our second flight: everything criterion c needs from the server is in
            client._flush_ssl_engine()
            sent_hello = True
        if time.monotonic() > deadline:  # a server dribbling bytes must not hold us past one timeout
            raise TimeoutError("handshake took longer than the network timeout")
        data = sock.recv(_BUFFER)
        if not data:
            raise OSError("Nassl SSL handshake failed: peer did not send data back.")
        if not first:
            first.append(data)
        client._network_bio.write(data)


def server_hello_version(data: bytes) -> OpenSslVersionEnum | None:
    """The version in a ServerHello at the start of `data` (record header, handshake header, version)."""
    if len(data) < 11 or data[0] != 0x16 or data[5] != 0x02:
        return None
    return _WIRE_VERSIONS.get((data[9], data[10]))


def _read_offer(client: BaseSslClient, version: OpenSslVersionEnum | None) -> Offer:
    try:
        suite = client.get_current_cipher_name() or None
    except OpenSSLError:
        suite = None
    try:
        chain = tuple(client.get_received_chain())
    except (ValueError, OpenSSLError):  # no certificate (anonymous suites) or none read yet
        chain = ()
    return Offer(accepted=True, suite=suite, version=version, ephemeral_key=client.get_ephemeral_key(),
                 chain_pem=chain)
