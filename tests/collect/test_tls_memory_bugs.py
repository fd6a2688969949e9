"""The Heartbleed and CCS-injection tests copied from sslyze (`collect/tls/memory_bugs.py`), on a
scripted server: what a vulnerable server answers, a variant of it, and what a patched one answers.

The world's nginx links a current OpenSSL, so no world site can be vulnerable to either bug; these
narrow tests drive the hijacked handshakes directly with the bytes such a server sends back (the
fast/deep agreement test in tests/integration covers the not-vulnerable path against sslyze's own
plugins on the world's TLS 1.2 servers).
"""

from __future__ import annotations

import struct
from types import SimpleNamespace
from typing import Any

import pytest
from nassl._nassl import WantReadError

from trustscan.collect.tls import memory_bugs

_HELLO_DONE = bytes([0x16, 0x03, 0x03, 0x00, 0x04, 0x0E, 0x00, 0x00, 0x00])  # handshake record: ServerHelloDone


def _alert(description: int) -> bytes:
    return bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description])


def _heartbeat_response(data: bytes) -> bytes:
    body = bytes([0x02]) + struct.pack(">H", len(data)) + data  # heartbeat_response, payload length, payload
    return bytes([0x18, 0x03, 0x03]) + struct.pack(">H", len(body)) + body


class _ScriptedSocket:
    """Hands out the scripted replies one recv() at a time, then b"" (closed); keeps what was sent."""

    def __init__(self, replies: list[bytes | type[OSError]]) -> None:
        self.replies = list(replies)
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> int:
        self.sent.append(data)
        return len(data)

    def recv(self, size: int) -> bytes:
        if not self.replies:
            return b""
        reply = self.replies.pop(0)
        if isinstance(reply, type):
            raise reply("connection reset")
        return reply


def _client(replies: list[bytes | type[OSError]]) -> Any:
    def hello() -> None:
        raise WantReadError("want read")

    return SimpleNamespace(_ssl=SimpleNamespace(do_handshake=hello), _network_bio=SimpleNamespace(pending=lambda: 0),
                           _ssl_version=SimpleNamespace(name="TLSV1_2"), _sock=_ScriptedSocket(replies))


def _outcome(handshake: Any, replies: list[bytes | type[OSError]]) -> tuple[str, list[bytes]]:
    """The verdict `_run_hijacked` draws from the handshake (a plain return is "not vulnerable"), and
    the bytes sent."""
    client = _client(replies)
    try:
        handshake(client)
    except memory_bugs._Vulnerable:
        return "vulnerable", client._sock.sent
    except memory_bugs._NotVulnerable:
        pass
    return "not vulnerable", client._sock.sent


def test_heartbleed_a_server_echoing_the_oversized_heartbeat_is_vulnerable() -> None:
    verdict, sent = _outcome(memory_bugs._handshake_with_heartbleed,
                             [_HELLO_DONE + _heartbeat_response(b"\x01" * 64)])
    assert verdict == "vulnerable"
    assert sent[0][:3] == bytes([0x18, 0x03, 0x03])  # the heartbeat request went out after the hello


def test_heartbleed_the_echo_arriving_after_the_hello_done_counts_too() -> None:
    verdict, _ = _outcome(memory_bugs._handshake_with_heartbleed, [_HELLO_DONE, _heartbeat_response(b"\x01" * 64)])
    assert verdict == "vulnerable"


@pytest.mark.parametrize("replies", [
    [_HELLO_DONE],  # a patched server ignores the heartbeat and waits
    [_HELLO_DONE, ConnectionResetError],  # or drops the connection
    [_alert(0x28)],  # or refuses the handshake
    [],  # or closes at once
])
def test_heartbleed_a_patched_server_is_not_vulnerable(replies: list[bytes | type[OSError]]) -> None:
    assert _outcome(memory_bugs._handshake_with_heartbleed, replies)[0] == "not vulnerable"


def test_ccs_injection_a_server_decrypting_the_early_data_is_vulnerable() -> None:
    verdict, sent = _outcome(memory_bugs._handshake_with_ccs_injection, [_HELLO_DONE, _alert(0x14)])
    assert verdict == "vulnerable"  # bad_record_mac: it tried to decrypt after the early CCS
    assert [record[0] for record in sent] == [0x14, 0x17]  # ChangeCipherSpec, then application data


def test_ccs_injection_the_alert_in_the_same_read_as_the_hello_done_counts_too() -> None:
    assert _outcome(memory_bugs._handshake_with_ccs_injection, [_HELLO_DONE + _alert(0x14)])[0] == "vulnerable"


@pytest.mark.parametrize("replies", [
    [_HELLO_DONE, _alert(0x0A)],  # unexpected_message: the early CCS refused
    [_HELLO_DONE],  # closed after the CCS
    [_HELLO_DONE, ConnectionResetError],
    [_alert(0x28)],  # the handshake refused: nothing sent
])
def test_ccs_injection_a_patched_server_is_not_vulnerable(replies: list[bytes | type[OSError]]) -> None:
    assert _outcome(memory_bugs._handshake_with_ccs_injection, replies)[0] == "not vulnerable"


def test_a_tls_1_3_server_is_not_tested_at_all() -> None:
    from sslyze.server_connectivity import TlsVersionEnum

    def no_connection(**_: Any) -> Any:
        raise AssertionError("a TLS 1.3 server must not be connected to")

    probed = SimpleNamespace(highest_tls_version_supported=TlsVersionEnum.TLS_1_3)
    info: Any = SimpleNamespace(tls_probing_result=probed, get_preconfigured_tls_connection=no_connection)
    assert memory_bugs.probe_heartbleed(info) is False and memory_bugs.probe_ccs_injection(info) is False


_SCRIPTS = [
    [_HELLO_DONE + _heartbeat_response(b"\x01" * 64)], [_HELLO_DONE, _heartbeat_response(b"\x01" * 64)],
    [_HELLO_DONE], [_HELLO_DONE, ConnectionResetError], [_alert(0x28)], [], [_HELLO_DONE, _alert(0x14)],
    [_HELLO_DONE + _alert(0x14)], [_HELLO_DONE, _alert(0x0A)],
]


@pytest.mark.parametrize("replies", _SCRIPTS)
def test_the_copies_answer_as_sslyzes_own_handshakes(replies: list[bytes | type[OSError]]) -> None:
    from sslyze.plugins import heartbleed_plugin, openssl_ccs_injection_plugin

    pairs = [(memory_bugs._handshake_with_heartbleed, heartbleed_plugin._do_handshake_with_heartbleed,
              heartbleed_plugin._VulnerableToHeartbleed, heartbleed_plugin._NotVulnerableToHeartbleed),
             (memory_bugs._handshake_with_ccs_injection, openssl_ccs_injection_plugin._do_handshake_with_ccs_injection,
              openssl_ccs_injection_plugin._VulnerableToCcsInjection,
              openssl_ccs_injection_plugin._NotVulnerableToCcsInjection)]
    for ours, theirs, vulnerable, not_vulnerable in pairs:
        client = _client(replies)
        try:
            theirs(client)
            expected = "not vulnerable"  # the handshake ended without a verdict: connect() returns
        except vulnerable:
            expected = "vulnerable"
        except not_vulnerable:
            expected = "not vulnerable"
        assert _outcome(ours, replies) == (expected, client._sock.sent)
