"""httpcore's network backend on asyncio's own streams, for the audit's HTTP client.

httpcore's AnyIOBackend wraps every read and write in an anyio cancel scope, and runs TLS in
Python over a memory BIO (anyio's TLSStream: each record read is a Python loop around
`SSLObject.read`). asyncio's streams give the same bytes with less Python around them: a
timeout per call (`asyncio.timeout`) and asyncio's SSL transport. Counted with valgrind on the
local world, a whole audit takes 174 M instructions with anyio's backend and 165 M with this one
(-5%); an HTTP/2 request on an open connection 3.27 M and 3.07 M.

Failures are httpcore's exceptions, as the AnyIOBackend raises them (httpx maps those to its own,
which the probes word): a timeout is ConnectTimeout, ReadTimeout or WriteTimeout; an OSError
(ssl.SSLError included) is ConnectError, ReadError or WriteError.

Closing aborts the connection: no TLS close_notify, no waiting for the server (as the
AnyIOBackend's TLS streams, which httpcore opens with `standard_compatible=False`), so a server
that never answers cannot hold a socket open after its audit.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

__all__ = ["AsyncioBackend", "AsyncioStream"]


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One TCP connection (TLS once `start_tls` has run) as httpcore reads and writes it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._closed:
            raise httpcore.ReadError("the connection is closed")
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout(f"no data within {timeout}s") from None
        except OSError as exc:
            raise httpcore.ReadError(exc) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._closed or self._writer.transport.is_closing():
            # asyncio drops what is written to a lost connection, and logs a warning to stderr after
            # five such writes: the caller hears of it here instead.
            raise httpcore.WriteError("the connection is closed")
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout(f"could not send within {timeout}s") from None
        except OSError as exc:
            raise httpcore.WriteError(exc) from exc

    async def aclose(self) -> None:
        self._abort()

    def _abort(self) -> None:
        """Close the socket now, and let go of asyncio's streams.

        httpcore's connection objects reach this stream through reference cycles, which only the
        garbage collector frees; asyncio's SSL protocol holds a 256 KiB read buffer. Held through
        this stream, a closed connection's buffer waited for a collection: +28 MB at the peak of a
        1,000-site `bulk --processes 2` run. Let go of here, it is freed once asyncio has delivered
        the connection's end (the next turn of the loop).
        """
        if not self._closed:
            self._closed = True
            self._writer.transport.abort()
            # The only references this stream had; an AsyncioStream is never used after it is closed.
            del self._reader, self._writer

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        """TLS on this connection; on any failure (a cancellation included) the connection is aborted."""
        if self._closed:
            raise httpcore.ConnectError("the connection is closed")
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except BaseException as exc:
            self._abort()
            if isinstance(exc, TimeoutError):
                raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout}s") from None
            if isinstance(exc, OSError):
                raise httpcore.ConnectError(exc) from exc
            raise
        return self

    def get_extra_info(self, info: str) -> Any:
        if self._closed:
            return True if info == "is_readable" else None  # a closed connection carries nothing more
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        if info == "is_readable":
            # httpcore asks before reusing an idle HTTP/1.1 connection: readable means the server has
            # closed it (or sent something unasked), so it must not carry the next request.
            return _readable(self._writer.get_extra_info("socket"))
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens AsyncioStreams; the caller (PinnedBackend) has already chosen and checked the address."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout}s") from None
        except OSError as exc:
            raise httpcore.ConnectError(exc) from exc
        raw = writer.get_extra_info("socket")
        for option in socket_options or ():
            raw.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by trustscan")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _readable(sock: socket.socket | Any | None) -> bool:
    """Whether the socket has data or an end to read right now (no wait); a closed socket counts."""
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    return bool(poller.poll(0))
