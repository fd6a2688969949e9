"""The one HTTP client every probe uses: pinned addresses, honest limits, a lax TLS stance.

httpx has no resolver hook, so a custom httpcore network backend maps each host name to the
address resolved once at the start of the audit (DNS rebinding cannot move the scan elsewhere)
and refuses non-public addresses unless the user opted in.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import urldefrag, urljoin, urlsplit

import httpcore
import httpx

from trustscan import __version__
from trustscan.core.errors import ProbeError
from trustscan.net.http2guard import RetiringPool
from trustscan.net.resolve import AddressPolicy, Resolver, refused_connection
from trustscan.net.streams import AsyncioBackend

USER_AGENT = f"trustscan/{__version__} (+network trust self-assessment)"


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to pinned addresses; other names go through the audit's resolver."""

    def __init__(self, pins: dict[str, str], resolver: Resolver, *, allow_private: bool) -> None:
        self.policy = AddressPolicy({name.lower(): ip for name, ip in pins.items()}, allow_private=allow_private)
        self._resolver = resolver
        self._inner = AsyncioBackend()  # its streams abort on a failed or cancelled TLS handshake

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        ip = self.policy.pinned(host)
        if ip is None:
            try:
                ip = (await self._resolver.addresses(host))[0]
            except ProbeError as exc:
                raise httpcore.ConnectError(str(exc)) from None
        refusal = self.policy.refusal(ip, host)
        if refusal is not None:
            raise refused_connection(refusal, httpcore.ConnectError)
        return await self._inner.connect_tcp(ip, port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by trustscan")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def lax_ssl_context() -> ssl.SSLContext:
    """A context that completes handshakes with broken TLS, to read content and headers.

    Criterion c judges the TLS with sslyze; the HTTP probes must still see what a weak, expired
    or self-signed site serves, so this context verifies nothing on purpose.

    Made once per process and shared by every audit's transport (OpenSSL takes ~0.3 ms of CPU to
    make one): it is settings only. A client context resumes no session by itself (Python hands
    OpenSSL a session only when asked to, and httpcore never asks), so no audit's TLS state reaches
    another's; httpcore sets the same ALPN list on it for each connection.
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
        # `ssl_context`: a verifying context where authenticity matters (list downloads). Given to httpx
        # too, which would otherwise make a context of its own for the pool replaced below.
        context = ssl_context or lax_ssl_context()
        super().__init__(verify=context, trust_env=False)
        #: The address policy the backend enforces; the redirect follower checks each hop by it too.
        self.policy = backend.policy if isinstance(backend, PinnedBackend) else None
        # httpx does not expose the backend, so the pool is rebuilt with the same defaults.
        # HTTP/2 where the server offers it (ALPN): one connection per origin carries every probe's
        # requests at once, instead of queueing them on up to `max_connections` HTTP/1.1 connections,
        # one round trip each. Fewer connections to the server, fewer round trips for us.
        self._pool = RetiringPool(
            ssl_context=context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=True,
            network_backend=backend,
        )


class SetCookieJar(httpx.Cookies):
    """httpx's cookie jar, reading only the answers that set cookies.

    httpx hands every answer to http.cookiejar, which first rebuilds it as a urllib request (parsing
    its URL again) and an email message of its headers: about a tenth of the CPU of an HTTP/2
    request here, over ~30 requests per site. An answer without Set-Cookie (or the obsolete
    Set-Cookie2, which http.cookiejar also reads) adds nothing to the jar, so it is not handed over.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            super().extract_cookies(response)


class PolicyClient(httpx.AsyncClient):
    """An AsyncClient that knows the address policy of its transport, for `follow_redirects`."""

    def __init__(self, *, address_policy: AddressPolicy | None, transport: httpx.AsyncBaseTransport,
                 **kwargs: Any) -> None:
        cookies = kwargs.pop("cookies", None)
        super().__init__(transport=transport, **kwargs)
        self.address_policy = address_policy
        self.transport = transport  # for plain_stream, which hands requests to it directly
        self.cookies = cookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # httpx's own setter (any CookieTypes), with SetCookieJar
        self._jar = SetCookieJar(cookies)


def make_client(transport: httpx.AsyncBaseTransport, *, timeout: float,
                policy_of: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An AsyncClient that never follows redirects itself: `follow_redirects` records each hop.

    The client's address policy (each hop checked before it is requested) is the PinnedTransport's:
    `transport`, or `policy_of` when `transport` wraps one. The connection limit belongs to the
    transport (PinnedTransport's pool): httpx ignores `limits=` when a transport is given.
    """
    pinned = policy_of or transport
    return PolicyClient(
        address_policy=pinned.policy if isinstance(pinned, PinnedTransport) else None,
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


@asynccontextmanager
async def plain_stream(client: httpx.AsyncClient, url: str) -> AsyncIterator[httpx.Response]:
    """`client.stream("GET", url)` without what the client adds around a request: a client from make_client
    hands it straight to its transport, with its headers and timeouts, and none of its cookies, auth or
    event hooks (it follows no redirects either way); any other client streams as usual.

    The client's layer is ~5% of an HTTP/2 request's CPU. For a probe that asks many paths as an
    anonymous visitor and reads only the status and the body: the exposure probe's 16 per site.
    """
    if not isinstance(client, PolicyClient):
        async with client.stream("GET", url) as response:
            yield response
        return
    request = httpx.Request("GET", url, headers=client.headers, extensions={"timeout": client.timeout.as_dict()})
    response = await client.transport.handle_async_request(request)
    response.request = request
    try:
        yield response
    finally:
        await response.aclose()


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


T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    """One answer on a redirect chain; `response` is open (body unread) while a handler has it."""

    url: str
    response: httpx.Response
    location: str | None  # the non-empty Location of a redirect (301/302/303/307/308), as sent; else None
    target: str | None  # that Location made absolute, fragment dropped; None when malformed
    chain: tuple[str, ...]  # every URL requested so far, this one last
    limit_reached: bool  # following this redirect would go past the hop limit

    @property
    def loops(self) -> bool:
        """The redirect points back to a URL already requested on this chain."""
        return self.target is not None and self.target in self.chain


class Follow:
    """What a handler returns to follow the redirect of the answer it was given."""


FOLLOW = Follow()


async def follow_redirects(
    client: httpx.AsyncClient,
    url: str,
    handle: Callable[[Answer], Awaitable[T | Follow]],
    *,
    max_redirects: int,
    policy: AddressPolicy | None = None,
    hop_timeout: Callable[[], float] | None = None,
    send_cookies: bool = True,
    headers: Mapping[str, str] | None = None,
) -> T:
    """GET `url` and follow its redirects by hand, one recorded hop at a time: the one follower.

    Before each request the hop's address is checked against `policy`, by default the policy of
    a client from `make_client` (a refusal raises httpx.ConnectError with the pinned backend's
    wording); a client on an injected transport (a test's own network) has none. `handle` sees every answer while its
    body can still be read, records what its caller keeps as evidence, and returns FOLLOW to
    follow `answer.target` or a result, which ends the chain. At most `max_redirects` redirects
    are followed: `answer.limit_reached` tells the handler, and returning FOLLOW past it raises
    httpx.TooManyRedirects. `hop_timeout`, asked before each hop, bounds that whole hop (request,
    headers and whatever body `handle` reads); a hop with no time left raises TimeoutError at once.
    `send_cookies=False` sends each hop without the client's cookies (a first visit). `headers` are
    sent on every hop, over the client's (a crawler's User-Agent, a search engine's Referer).
    """
    if policy is None and isinstance(client, PolicyClient):
        policy = client.address_policy
    current = url
    chain: tuple[str, ...] = ()
    while True:
        refusal = None if policy is None else policy.url_refusal(current)
        if refusal is not None:
            raise refused_connection(refusal, httpx.ConnectError)
        seconds = None if hop_timeout is None else hop_timeout()
        if seconds is not None and seconds <= 0:
            raise TimeoutError
        chain = (*chain, current)
        async with asyncio.timeout(seconds):
            request = client.build_request("GET", current, headers=headers)
            if not send_cookies:
                request.headers.pop("cookie", None)
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                location = (response.headers.get("location") or None) if response.is_redirect else None
                answer = Answer(current, response, location, redirect_target(current, location), chain,
                                limit_reached=len(chain) > max_redirects)
                outcome = await handle(answer)
            finally:
                await response.aclose()
        if not isinstance(outcome, Follow):
            return outcome
        if answer.target is None or answer.limit_reached:
            raise httpx.TooManyRedirects(f"more than {max_redirects} redirects from {url}")
        current = answer.target


def redirect_target(base: str, location: str | None) -> str | None:
    """A Location made absolute against the URL that sent it; None when absent or malformed."""
    if not location:
        return None
    try:
        target = urljoin(base, location.strip())
        urlsplit(target).port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return urldefrag(target).url
