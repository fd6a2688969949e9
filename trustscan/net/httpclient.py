"""The one HTTP client every probe uses: pinned addresses, honest limits, a lax TLS stance.

httpx has no resolver hook, so a custom httpcore network backend maps each host name to the
address resolved once at the start of the audit (DNS rebinding cannot move the scan elsewhere)
and refuses non-public addresses unless the user opted in.
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from typing import Any, cast

import httpcore
import httpx

from trustscan import __version__
from trustscan.core.errors import ProbeError
from trustscan.net.resolve import Resolver, is_public

USER_AGENT = f"trustscan/{__version__} (+network trust self-assessment)"


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to pinned addresses; other names go through the audit's resolver."""

    def __init__(self, pins: dict[str, str], resolver: Resolver, *, allow_private: bool) -> None:
        self._pins = {name.lower(): ip for name, ip in pins.items()}
        self._resolver = resolver
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        ip = self._pins.get(host.lower())
        if ip is None:
            try:
                ip = (await self._resolver.addresses(host))[0]
            except ProbeError as exc:
                raise httpcore.ConnectError(str(exc)) from None
        if not self._allow_private and not is_public(ip):
            raise httpcore.ConnectError(f"refusing to connect to non-public address {ip} of {host}")
        stream = await self._inner.connect_tcp(ip, port, timeout, local_address, socket_options)
        return _ClosingStream(stream)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by trustscan")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _ClosingStream(httpcore.AsyncNetworkStream):
    """A stream that closes its socket when a TLS handshake fails or is cancelled.

    httpcore leaves the TCP socket open when the audit deadline cancels a request in the middle
    of a handshake (a tarpit site does exactly that); a scanner must not leak sockets per site.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        try:
            return _ClosingStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))
        except BaseException:
            await self._inner.aclose()
            raise

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def lax_ssl_context() -> ssl.SSLContext:
    """A context that completes handshakes with broken TLS, to read content and headers.

    Criterion c judges the TLS with sslyze; the HTTP probes must still see what a weak, expired
    or self-signed site serves, so this context verifies nothing on purpose.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        # Python deprecates TLS 1.0 as a setting; reading legacy sites is exactly the point here.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the pinned network backend in its connection pool."""

    def __init__(
        self, backend: httpcore.AsyncNetworkBackend, *, max_connections: int = 4,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(verify=False, trust_env=False)
        # httpx does not expose the backend, so the pool is rebuilt with the same defaults.
        # `ssl_context`: a verifying context where authenticity matters (list downloads).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or lax_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


def make_client(
    transport: httpx.AsyncBaseTransport, *, timeout: float, max_connections: int = 4
) -> httpx.AsyncClient:
    """An AsyncClient that never follows redirects itself: probes record each hop."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=max_connections),
    )


async def read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """Read at most `cap` bytes of a streamed body; True when the body was longer."""
    chunks: list[bytes] = []
    size = 0
    # aclosing: stop the decoder generator at once instead of leaving it to garbage collection.
    async with aclosing(cast(AsyncGenerator[bytes, None], response.aiter_bytes())) as stream:
        async for chunk in stream:
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                return b"".join(chunks)[:cap], True
    return b"".join(chunks), False
