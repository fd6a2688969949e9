"""`net.failures.classify`: real failures (a refused loopback port, a silent server, NXDOMAIN from a
local DNS server, a self-signed certificate) become sentences in each language, not library text."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.asyncresolver
import dns.resolver
import httpx
import pytest

from tests.support.loopback import closed_port, self_signed_context
from trustscan.core.catalog import LANGUAGES, load_catalog
from trustscan.core.errors import ProbeError
from trustscan.core.settings import NameServer
from trustscan.core.wordings import Wording
from trustscan.localworld.dns import LocalDNSServer
from trustscan.net.failures import classify, error_fields, recorded_cause
from trustscan.net.resolve import Resolver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def _raised(call: object) -> BaseException:
    try:
        asyncio.run(call)  # type: ignore[arg-type]
    except BaseException as exc:  # noqa: BLE001 - the exception is what is tested
        return exc
    raise AssertionError("no exception")


def _get(url: str, timeout: float = 2.0) -> object:
    async def go() -> None:
        async with httpx.AsyncClient(timeout=timeout) as client:
            await client.get(url)
    return go()


def test_a_refused_port_is_connection_refused_in_each_language() -> None:
    port = closed_port()
    with pytest.raises(ConnectionRefusedError) as raw:
        socket.create_connection(("127.0.0.1", port), timeout=2)
    assert classify(raw.value) == Wording("error.cause.refused")
    wrapped = _raised(_get(f"http://127.0.0.1:{port}/"))  # httpx.ConnectError around httpcore's around OSError
    assert isinstance(wrapped, httpx.ConnectError) and classify(wrapped) == Wording("error.cause.refused")
    assert load_catalog("vi").say(classify(wrapped)) == "kết nối bị từ chối"
    assert load_catalog("en").say(classify(wrapped)) == "connection refused"


def test_a_server_that_never_answers_is_timed_out(silent_port: int) -> None:
    exc = _raised(_get(f"http://127.0.0.1:{silent_port}/", timeout=0.3))
    assert isinstance(exc, httpx.ReadTimeout) and classify(exc) == Wording("error.cause.timeout")


@pytest.fixture(scope="module")
def nameserver() -> Iterator[LocalDNSServer]:
    with LocalDNSServer({"v4only.example.test": ["127.0.0.10"]}) as server:
        yield server


def test_nxdomain_and_no_answer_from_the_local_dns(nameserver: LocalDNSServer) -> None:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], nameserver.port, 2.0
    missing = _raised(resolver.resolve("missing.example.test", "A"))
    assert isinstance(missing, dns.resolver.NXDOMAIN) and classify(missing) == Wording("error.cause.dns_nxdomain")
    empty = _raised(resolver.resolve("v4only.example.test", "AAAA"))
    assert isinstance(empty, dns.resolver.NoAnswer) and classify(empty) == Wording("error.cause.dns_no_answer")
    with pytest.raises(ProbeError) as raised:
        asyncio.run(Resolver(NameServer("127.0.0.1", nameserver.port), timeout=2.0).resolve("missing.example.test"))
    assert raised.value.wording == Wording("error.dns.nxdomain", {"name": "missing.example.test"})
    assert str(raised.value) == "DNS: missing.example.test does not exist (NXDOMAIN)"
    assert load_catalog("vi").say(raised.value.wording) == "DNS: tên missing.example.test không tồn tại (NXDOMAIN)"


@pytest.fixture(scope="module")
def self_signed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A TLS server on loopback presenting a self-signed certificate (made by openssl)."""
    context = self_signed_context(tmp_path_factory.mktemp("tls"))
    server = socket.create_server(("127.0.0.1", 0))
    port = int(server.getsockname()[1])

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection, context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False) as tls, \
                    contextlib.suppress(ssl.SSLError, OSError):
                tls.do_handshake()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    server.close()
    thread.join(timeout=2)


def test_a_self_signed_certificate_is_said_so(self_signed_server: int) -> None:
    with pytest.raises(ssl.SSLCertVerificationError) as raw, \
            socket.create_connection(("127.0.0.1", self_signed_server), timeout=2) as sock, \
            ssl.create_default_context().wrap_socket(sock, server_hostname="localhost"):
        pass
    assert classify(raw.value) == Wording("error.cause.cert_self_signed")
    wrapped = _raised(_get(f"https://localhost:{self_signed_server}/"))
    assert isinstance(wrapped, httpx.ConnectError) and classify(wrapped) == Wording("error.cause.cert_self_signed")
    assert load_catalog("vi").say(classify(wrapped)) == "chứng thư tự ký"


def test_an_unknown_failure_keeps_its_kind_and_words_in_a_localised_frame() -> None:
    wording = classify(OSError(24, "Too many open files"))
    assert wording == Wording("error.cause.other", {"kind": "OSError", "detail": "[Errno 24] Too many open files"})
    assert load_catalog("vi").say(wording) == "lỗi OSError: [Errno 24] Too many open files"
    record = {"url": "https://a.test/", "status": None, **error_fields(wording)}
    assert record["error"] == "OSError: [Errno 24] Too many open files" and recorded_cause(record) == wording
    assert recorded_cause({"error": None, "status": 503}) == Wording("error.cause.http_status", {"status": 503})


def test_every_message_id_the_code_words_is_in_both_catalogues() -> None:
    """A misspelt id would print as itself: every literal id handed to a Wording or an error exists."""
    pattern = re.compile(
        r"""(?:Wording|ProbeError|HandshakeUnknown|AddressPolicyError|StoreLostError|TransientError)\(\s*f?["']"""
        r"""((?:error|cert|list|address|bulk\.error)\.[a-z0-9_.]+)["']""")
    used = {match for path in (ROOT / "trustscan").rglob("*.py") for match in pattern.findall(path.read_text())}
    assert len(used) > 60
    for language in LANGUAGES:
        assert sorted(used - set(load_catalog(language).messages)) == [], language


def test_a_record_without_a_wording_is_quoted_as_it_says() -> None:
    assert recorded_cause({"error": "no  answer\n"}) == Wording("error.cause.reported", {"detail": "no answer"})
