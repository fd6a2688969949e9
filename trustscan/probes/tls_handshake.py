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
from dataclasses import dataclass, field
from enum import IntFlag

from nassl._nassl import OpenSSLError, WantReadError, WantX509LookupError
from nassl.ephemeral_key_info import EphemeralKeyInfo
from nassl.legacy_ssl_client import LegacySslClient
from nassl.ssl_client import BaseSslClient, ClientCertificateRequested, OpenSslVerifyEnum, OpenSslVersionEnum, SslClient
from sslyze.connection_helpers.tls_connection import _HANDSHAKE_REJECTED_TLS_ERRORS

from trustscan.probes.errors import ProbeError

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


_VERSION_NAMES = {"SSLv2": OpenSslVersionEnum.SSLV2, "SSLv3": OpenSslVersionEnum.SSLV3,
                  "TLSv1": OpenSslVersionEnum.TLSV1, "TLSv1.1": OpenSslVersionEnum.TLSV1_1,
                  "TLSv1.2": OpenSslVersionEnum.TLSV1_2, "TLSv1.3": OpenSslVersionEnum.TLSV1_3}


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
        where = f"{self.ip}:{self.port}"
        try:
            return socket.create_connection((self.ip, self.port), timeout=self.timeout)
        except ConnectionRefusedError:
            raise ProbeError(f"connection refused by {where}") from None
        except TimeoutError:
            raise ProbeError(f"connection to {where} timed out after {self.timeout:g} s") from None
        except OSError as exc:
            raise ProbeError(f"connection to {where} failed: {exc.strerror or exc}") from None

    def client(self, version: OpenSslVersionEnum, *, legacy: bool, sni: bool = True) -> BaseSslClient:
        """A nassl client as sslyze configures it: no verification, client-auth requests ignored."""
        cls = LegacySslClient if legacy else SslClient
        client = cls(ssl_version=version, ssl_verify=OpenSslVerifyEnum.NONE,
                     ignore_client_authentication_requests=True)
        if sni and version != OpenSslVersionEnum.SSLV2:
            client.set_tlsext_host_name(self.host)
        return client

    def offer(
        self,
        version: OpenSslVersionEnum,
        ciphers: str,
        *,
        legacy: bool,
        purpose: str,
        exclude: LegacyVersionsMask = LegacyVersionsMask(0),
        full: bool = False,
    ) -> Offer:
        """One ClientHello offering `ciphers` at `version` (TLS 1.3: `ciphers` are TLS 1.3 suites).

        `exclude` removes versions from an SSLV23 (range) offer. `full` completes the handshake
        instead of stopping after the server's first flight (always so for TLS 1.3).
        """
        client = self.client(version, legacy=legacy)
        if version == OpenSslVersionEnum.TLSV1_3:
            assert isinstance(client, SslClient)
            client.set_ciphersuites(ciphers)
        else:
            client.set_cipher_list(ciphers)
        if exclude:
            client._ssl.set_options(int(exclude))
        try:
            client.set_underlying_socket(self.connect())
        except ProbeError:
            client.shutdown()
            raise
        self.counter.count(purpose)
        try:
            complete = full or version == OpenSslVersionEnum.TLSV1_3
            return _read_offer(client, self._handshake(client, complete), version)
        finally:
            client.shutdown()

    def _handshake(self, client: BaseSslClient, complete: bool) -> bool:
        """Drive the handshake; True if the server accepted, False if it clearly refused."""
        try:
            _drive(client, complete)
        except (ClientCertificateRequested, WantX509LookupError):
            return True  # the server chose a suite and then asked who we are
        except TimeoutError:
            # sslyze counts a handshake timeout as a refusal (servers that ignore unsupported versions)
            return False
        except ConnectionError:
            return False
        except OSError as exc:
            if "Nassl SSL handshake failed" in str(exc.args):
                return False
            raise HandshakeUnknown(f"network error during the handshake: {exc}") from None
        except OpenSSLError as exc:
            message = str(exc.args[0]) if exc.args else ""
            if any(m in message for m in _ACCEPTED_BUT_REFUSED_BY_US):
                return True
            if any(m in message for m in _HANDSHAKE_REJECTED_TLS_ERRORS):
                return False
            raise HandshakeUnknown(f"unexpected TLS error: {message.splitlines()[0] if message else exc}") from None
        return True


def _drive(client: BaseSslClient, complete: bool) -> None:
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
            client._is_handshake_completed = True
            return
        except WantReadError:
            if client._network_bio.pending():
                if sent_hello and not complete:
                    return
                client._flush_ssl_engine()
                sent_hello = True
            data = sock.recv(_BUFFER)
            if not data:
                raise OSError("Nassl SSL handshake failed: peer did not send data back.")
            client._network_bio.write(data)


def _read_offer(client: BaseSslClient, accepted: bool, version: OpenSslVersionEnum) -> Offer:
    if not accepted:
        return Offer(accepted=False)
    try:
        suite = client.get_current_cipher_name() or None
    except OpenSSLError:
        suite = None
    try:
        chain = tuple(client.get_received_chain())
    except (ValueError, OpenSSLError):  # no certificate (anonymous suites) or none read yet
        chain = ()
    negotiated = version
    state = getattr(client._ssl, "get_version", None)
    if version == OpenSslVersionEnum.SSLV23 and callable(state):  # pragma: no cover - not in nassl 5
        negotiated = _VERSION_NAMES.get(state(), version)
    return Offer(accepted=True, suite=suite, version=negotiated, ephemeral_key=client.get_ephemeral_key(),
                 chain_pem=chain)
