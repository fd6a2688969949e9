"""sslyze's Heartbleed and CCS-injection tests, without the plugin modules they live in.

Copied from sslyze 6.3.1 (`sslyze/plugins/heartbleed_plugin.py`, `openssl_ccs_injection_plugin.py`;
AGPL-3.0, as trustscan is), code unchanged but for names and types. Why a copy: those modules also
define sslyze's pydantic JSON models, and importing them loads pydantic and builds the models,
about 0.09 s of CPU in every audit for two functions of ~100 lines that never touch JSON. The
`--deep` path still runs sslyze's own plugins, and the fast/deep agreement tests on the world's
TLS 1.2 servers compare the two. Upgrading sslyze: diff those two files against this one.

Both tests take sslyze's server info (`compat.SslyzeChecks` builds it from what the fast path
learnt), open one connection without SNI, as sslyze does (some legacy servers refuse the payload
with SNI, sslyze issue 202), and hijack nassl's `do_handshake` to send the payload right after the
ClientHello; the outcome comes back as an exception out of `connect()`.
"""

from __future__ import annotations

import types
from typing import Any

import tls_parser.record_protocol
import tls_parser.tls_version
from nassl._nassl import WantReadError
from sslyze.server_connectivity import ServerConnectivityInfo, TlsVersionEnum
from tls_parser.alert_protocol import TlsAlertRecord
from tls_parser.application_data_protocol import TlsApplicationDataRecord
from tls_parser.change_cipher_spec_protocol import TlsChangeCipherSpecRecord
from tls_parser.exceptions import NotEnoughData, UnknownTlsVersionByte
from tls_parser.handshake_protocol import TlsHandshakeRecord, TlsHandshakeTypeByte
from tls_parser.heartbeat_protocol import TlsHeartbeatRequestRecord
from tls_parser.parser import TlsRecordParser

__all__ = ["probe_ccs_injection", "probe_heartbleed"]

_READ = 16381


class _Vulnerable(Exception):
    """Raised inside the hijacked handshake: the test completed and the server is vulnerable."""


class _NotVulnerable(Exception):
    """Raised inside the hijacked handshake: the test completed and the server is not vulnerable."""


def _run_hijacked(server_info: ServerConnectivityInfo, handshake: Any) -> bool:
    """Connect (no SNI) with nassl's do_handshake replaced by `handshake`; True if it found the bug."""
    if server_info.tls_probing_result.highest_tls_version_supported.value >= TlsVersionEnum.TLS_1_3.value:
        return False  # a TLS 1.3 server runs an OpenSSL far newer than either bug
    connection = server_info.get_preconfigured_tls_connection(should_enable_server_name_indication=False)
    connection.ssl_client.do_handshake = types.MethodType(handshake, connection.ssl_client)  # type: ignore[method-assign]
    try:
        connection.connect()
    except _Vulnerable:
        return True
    except _NotVulnerable:
        return False
    finally:
        connection.close()
    return False


def probe_heartbleed(server_info: ServerConnectivityInfo) -> bool:
    """sslyze's `_test_heartbleed`: a heartbeat request claiming 16381 bytes it does not carry."""
    return _run_hijacked(server_info, _handshake_with_heartbleed)


def probe_ccs_injection(server_info: ServerConnectivityInfo) -> bool:
    """sslyze's `_test_for_ccs_injection` (CVE-2014-0224): an early ChangeCipherSpec, then data."""
    return _run_hijacked(server_info, _handshake_with_ccs_injection)


def _send_client_hello(client: Any) -> None:
    try:
        client._ssl.do_handshake()  # throws WantReadError right away
    except WantReadError:
        pending = client._network_bio.pending()
        while pending:
            client._sock.send(client._network_bio.read(pending))
            pending = client._network_bio.pending()


def _handshake_with_heartbleed(self: Any) -> None:
    """sslyze's `_do_handshake_with_heartbleed`."""
    _send_client_hello(self)
    # Based on https://blog.mozilla.org/security/2014/04/12/testing-for-heartbleed-vulnerability-without-exploiting-the-server/
    version = tls_parser.record_protocol.TlsVersionEnum[self._ssl_version.name]
    payload = TlsHeartbeatRequestRecord.from_parameters(tls_version=version, heartbeat_data=b"\x01" * 16381).to_bytes()
    payload += TlsHeartbeatRequestRecord.from_parameters(version, heartbeat_data=b"\x01\x00\x00").to_bytes()
    self._sock.send(payload)

    # Read until the ServerHelloDone; the server may send a ServerHello, an Alert, a CertificateRequest
    # or just close the connection.
    did_receive_hello_done = False
    remaining = b""
    while not did_receive_hello_done:
        try:
            record, consumed = TlsRecordParser.parse_bytes(remaining)
            remaining = remaining[consumed:]
        except UnknownTlsVersionByte as exc:
            if exc.record_type == tls_parser.record_protocol.TlsRecordTypeByte.ALERT:
                raise _NotVulnerable() from None  # a badly formatted alert asking for SNI: a modern stack
            raise
        except NotEnoughData:
            try:
                data = self._sock.recv(_READ)
            except OSError:
                raise _NotVulnerable() from None  # closed as soon as it got the payload
            if not data:
                raise _NotVulnerable() from None
            remaining += data
            continue
        if isinstance(record, TlsHandshakeRecord):
            if any(m.handshake_type == TlsHandshakeTypeByte.SERVER_DONE for m in record.subprotocol_messages):
                did_receive_hello_done = True
        elif isinstance(record, TlsAlertRecord):
            break
        else:
            raise ValueError(f"Unknown record? Type {record.header.type}")

    if did_receive_hello_done:
        echoed = b"\x01" * 10
        if echoed in remaining:
            raise _Vulnerable()
        try:
            data = self._sock.recv(_READ)
        except OSError:
            raise _NotVulnerable() from None  # closed after the payload
        if echoed in data:
            raise _Vulnerable()
    raise _NotVulnerable()


def _handshake_with_ccs_injection(self: Any) -> None:
    """sslyze's `_do_handshake_with_ccs_injection`."""
    _send_client_hello(self)
    # Read until the ServerHelloDone; the server may send a ServerHello, an Alert or a CertificateRequest.
    did_receive_hello_done = False
    remaining = b""
    while not did_receive_hello_done:
        try:
            record, consumed = TlsRecordParser.parse_bytes(remaining)
            remaining = remaining[consumed:]
        except UnknownTlsVersionByte as exc:
            if exc.record_type == tls_parser.record_protocol.TlsRecordTypeByte.ALERT:
                raise _NotVulnerable() from None  # a badly formatted alert asking for SNI: a modern stack
            raise
        except NotEnoughData:
            try:
                data = self._sock.recv(_READ)
            except ConnectionError:
                break
            if not data:
                break
            remaining += data
            continue
        if isinstance(record, TlsHandshakeRecord):
            if any(m.handshake_type == TlsHandshakeTypeByte.SERVER_DONE for m in record.subprotocol_messages):
                did_receive_hello_done = True
        elif isinstance(record, TlsAlertRecord):
            break
        else:
            raise ValueError(f"Unknown record? Type {record.header.type}")

    if did_receive_hello_done:
        version = tls_parser.tls_version.TlsVersionEnum[self._ssl_version.name]
        # An early CCS record, which the server should reject, then application data it should ignore.
        self._sock.send(TlsChangeCipherSpecRecord.from_parameters(tls_version=version).to_bytes())
        self._sock.send(TlsApplicationDataRecord.from_parameters(tls_version=version,
                                                                 application_data=b"\x00\x00").to_bytes())
        while True:  # was an alert sent back?
            try:
                record, consumed = TlsRecordParser.parse_bytes(remaining)
                remaining = remaining[consumed:]
            except NotEnoughData:
                try:
                    data = self._sock.recv(_READ)
                    if not data:
                        raise _NotVulnerable() from None
                except OSError:
                    raise _NotVulnerable() from None  # closed after the CCS
                remaining += data
                continue
            if isinstance(record, TlsAlertRecord):
                if record.alert_description == 0x14:
                    # BAD_RECORD_MAC: the server tried to decrypt our early data instead of ignoring it
                    raise _Vulnerable()
                raise _NotVulnerable()  # any other alert: the early CCS was refused
            break
        raise _NotVulnerable()
    # No ServerHelloDone (an alert, or the connection closed): the handshake just ends, as in sslyze.
