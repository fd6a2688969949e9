"""`net.streams`: httpcore's network backend on asyncio streams, against real loopback servers.

What httpcore and the probes rely on: bytes both ways, the end of a stream, httpcore's exceptions
for every failure (timeouts included), an idle connection the server closed reading as readable,
and no socket left open once a TLS handshake fails, times out or is cancelled (a tarpit site).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpcore
import pytest

from tests.support.loopback import closed_port, self_signed_context
from trustscan.net.httpclient import lax_ssl_context
from trustscan.net.streams import AsyncioBackend

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class _Server:
    """A loopback server running `handler`; `ended` is set once the client's side of a connection is gone."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.ended = asyncio.Event()
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.handler(reader, writer)
        finally:
            writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[_Server]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self

    async def wait_for_end(self, reader: asyncio.StreamReader) -> None:
        """Read until the client's side ends (EOF or reset); what it sent is not kept."""
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass
        self.ended.set()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(await reader.read(100))
    await writer.drain()


async def _silent(server: _Server, reader: asyncio.StreamReader) -> None:
    await server.wait_for_end(reader)


def _run(coroutine: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coroutine, 10))  # type: ignore[arg-type]


def test_bytes_go_both_ways_and_the_end_reads_empty() -> None:
    async def go() -> None:
        async with _Server(_echo).running() as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2)
            assert stream.get_extra_info("server_addr")[1] == server.port
            await stream.write(b"ping", timeout=2)
            assert await stream.read(100, timeout=2) == b"ping"
            assert await stream.read(100, timeout=2) == b""  # the server closed after its answer
            await stream.aclose()
    _run(go())


def test_an_idle_connection_reads_as_readable_once_the_server_closes_it() -> None:
    async def go() -> None:
        release = asyncio.Event()

        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await release.wait()

        async with _Server(hold).running() as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2)
            await asyncio.sleep(0.05)
            assert stream.get_extra_info("is_readable") is False
            release.set()
            for _ in range(100):  # httpcore asks without waiting: poll until the FIN has arrived
                if stream.get_extra_info("is_readable"):
                    break
                await asyncio.sleep(0.01)
            assert stream.get_extra_info("is_readable") is True
            await stream.aclose()
    _run(go())


def test_a_silent_server_is_a_read_timeout() -> None:
    async def go() -> None:
        server = _Server(lambda reader, writer: _silent(server, reader))
        async with server.running():
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2)
            with pytest.raises(httpcore.ReadTimeout):
                await stream.read(100, timeout=0.1)
            await stream.aclose()
            await asyncio.wait_for(server.ended.wait(), 2)  # closing gave the socket back at once
    _run(go())


def test_a_closed_port_is_a_connect_error_and_no_time_is_a_connect_timeout() -> None:
    closed = closed_port()

    async def go() -> None:
        with pytest.raises(httpcore.ConnectError):
            await AsyncioBackend().connect_tcp("127.0.0.1", closed, timeout=2)
        with pytest.raises(httpcore.ConnectTimeout):
            await AsyncioBackend().connect_tcp("127.0.0.1", closed, timeout=0)
    _run(go())


def test_a_server_that_answers_a_client_hello_with_text_fails_tls_and_the_socket_is_closed() -> None:
    async def go() -> None:
        async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(1)
            writer.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            await server.wait_for_end(reader)

        server = _Server(plain_http)
        async with server.running():
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2)
            with pytest.raises(httpcore.ConnectError):
                await stream.start_tls(lax_ssl_context(), "localhost", timeout=2)
            await asyncio.wait_for(server.ended.wait(), 2)
    _run(go())


@pytest.mark.parametrize("ending", ["timeout", "cancelled"])
def test_a_tarpit_cannot_keep_the_socket_of_an_unfinished_handshake(ending: str) -> None:
    async def go() -> None:
        server = _Server(lambda reader, writer: _silent(server, reader))
        async with server.running():
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2)
            if ending == "timeout":
                with pytest.raises(httpcore.ConnectTimeout):
                    await stream.start_tls(lax_ssl_context(), "localhost", timeout=0.1)
            else:
                handshake = asyncio.create_task(stream.start_tls(lax_ssl_context(), "localhost", timeout=30))
                await asyncio.sleep(0.1)
                handshake.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await handshake
            await asyncio.wait_for(server.ended.wait(), 2)
    _run(go())


@pytest.fixture(scope="module")
def server_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ssl.SSLContext]:
    context = self_signed_context(tmp_path_factory.mktemp("streams-tls"))
    context.set_alpn_protocols(["h2", "http/1.1"])
    yield context


def test_tls_carries_bytes_and_shows_its_ssl_object(server_context: ssl.SSLContext) -> None:
    async def go() -> None:
        async def tls_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await writer.start_tls(server_context)
            await _echo(reader, writer)

        async with _Server(tls_echo).running() as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            context.set_alpn_protocols(["h2", "http/1.1"])
            tls = await stream.start_tls(context, "localhost", timeout=2)
            ssl_object = tls.get_extra_info("ssl_object")
            assert ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2"
            await tls.write(b"over tls", timeout=2)
            assert await tls.read(100, timeout=2) == b"over tls"
            await tls.aclose()
    _run(go())


def test_a_closed_tls_stream_lets_go_of_asyncios_buffers_without_the_collector(server_context: ssl.SSLContext) -> None:
    """httpcore's connections reach their stream through reference cycles; asyncio's SSL protocol holds a
    256 KiB buffer. A closed stream, still referenced, must not keep it until the next collection."""
    async def go() -> None:
        async def tls_hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await writer.start_tls(server_context)
            await reader.read(100)

        def ssl_protocols() -> int:  # the client's side only: the server's lives as long as its handler
            return sum(type(o).__name__ == "SSLProtocol" and o.__module__ == "asyncio.sslproto"
                       and getattr(o, "_server_side", True) is False for o in gc.get_objects())

        async with _Server(tls_hold).running() as server:
            before = ssl_protocols()
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2)
            tls = await stream.start_tls(lax_ssl_context(), "localhost", timeout=2)
            assert ssl_protocols() == before + 1
            await tls.aclose()
            for _ in range(3):  # asyncio delivers the connection's end on the next turns of the loop
                await asyncio.sleep(0)
            assert ssl_protocols() == before  # freed by reference counting: the collector is off
            assert tls.get_extra_info("is_readable") is True and tls.get_extra_info("ssl_object") is None
            with pytest.raises(httpcore.ReadError):
                await tls.read(100, timeout=1)

    gc.collect()
    gc.disable()
    try:
        _run(go())
    finally:
        gc.enable()


def test_writes_to_a_lost_connection_fail_without_asyncios_warning(caplog: pytest.LogCaptureFixture) -> None:
    """asyncio drops writes to a lost connection and logs "socket.send() raised exception." to stderr after
    five: every write must fail as httpcore's WriteError instead, and nothing reach the user's terminal."""
    async def go() -> None:
        async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            raw = writer.get_extra_info("socket")
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
            writer.transport.abort()

        async with _Server(reset).running() as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2)
            failures = 0
            for _ in range(10):
                try:
                    await stream.write(b"x" * 1024, timeout=1)
                except httpcore.WriteError:
                    failures += 1
                await asyncio.sleep(0.01)
            assert failures >= 8  # the first write or two may leave before the reset arrives
            await stream.aclose()

    with caplog.at_level(logging.DEBUG, logger="asyncio"):
        _run(go())
    assert not [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.WARNING]
