"""Fetch a list snapshot from a URL the user names (`trustscan lists import NAME https://...`).

Never done by default: only when the user gives a URL. It uses the audit's HTTP stack and
limits (the audit resolver, the non-public address policy, a whole-fetch deadline, a byte cap
on the decompressed body, a bounded redirect chain), but unlike the audit it *verifies* TLS:
a list decides verdicts, so who served it matters.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import idna

from trustscan.core.errors import InputFileError, ListFetchError
from trustscan.core.settings import MAX_CA_BUNDLE_BYTES
from trustscan.net.files import read_capped_file
from trustscan.net.httpclient import (
    FOLLOW,
    Answer,
    Follow,
    PinnedBackend,
    PinnedTransport,
    follow_redirects,
    make_client,
    read_capped,
)
from trustscan.net.resolve import Resolver

__all__ = ["FetchedList", "ListFetchError", "fetch_list", "MAX_REDIRECTS"]

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FetchedList:
    """The body and the URL it finally came from (after redirects)."""

    data: bytes
    url: str
    redirects: tuple[str, ...]


def verifying_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """The system trust store, plus `ca_bundle` when given (intranet or test CAs)."""
    context = ssl.create_default_context()
    if ca_bundle is not None:
        try:
            # Read here, capped, rather than by OpenSSL by name: OpenSSL would wait on a FIFO forever.
            # PEM is ASCII; dropping other bytes only drops comments (Mozilla's names its CAs in UTF-8).
            pem = read_capped_file(ca_bundle, MAX_CA_BUNDLE_BYTES).decode("ascii", "ignore")
            context.load_verify_locations(cadata=pem)
        except InputFileError as exc:
            raise ListFetchError(f"cannot load CA bundle {ca_bundle}: {exc.reason}") from None
        except (ValueError, ssl.SSLError) as exc:
            raise ListFetchError(f"cannot load CA bundle {ca_bundle}: {exc}") from None
    return context


async def fetch_list(
    url: str,
    *,
    resolver: Resolver,
    cap: int,
    timeout: float = 60.0,
    allow_private: bool = False,
    ca_bundle: Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchedList:
    """GET `url` once (plus at most MAX_REDIRECTS hops); ListFetchError on anything but a 200 within limits."""
    host = _check_url(url)
    if transport is None:
        pins = {host: host} if _is_ip(host) else {}
        backend = PinnedBackend(pins, resolver, allow_private=allow_private)
        transport = PinnedTransport(backend, max_connections=1, ssl_context=verifying_context(ca_bundle))
    try:
        async with asyncio.timeout(timeout), make_client(transport, timeout=timeout) as client:
            return await _follow(client, url, cap)
    except TimeoutError:
        raise ListFetchError(f"fetching {url} took longer than {timeout:.0f}s") from None
    except httpx.HTTPError as exc:
        raise ListFetchError(f"fetching {url} failed: {_reason(exc)}") from None


async def _follow(client: httpx.AsyncClient, url: str, cap: int) -> FetchedList:
    hops: list[str] = []

    async def take(answer: Answer) -> FetchedList | Follow:
        current, response = answer.url, answer.response
        if answer.location is not None:
            if answer.target is None:
                raise ListFetchError(f"malformed URL {answer.location!r}")
            target = answer.target
            _check_url(target)
            if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
                raise ListFetchError(f"{current} redirects to plain HTTP ({target}); refusing the downgrade")
            hops.append(target)
            if answer.limit_reached:
                raise ListFetchError(f"more than {MAX_REDIRECTS} redirects from {url}")
            return FOLLOW
        if response.status_code != 200:
            raise ListFetchError(f"{current} answered HTTP {response.status_code}, expected 200")
        body, truncated = await read_capped(response, cap)
        if truncated:
            raise ListFetchError(f"{current} is larger than {cap:,} bytes")
        return FetchedList(body, current, tuple(hops))

    return await follow_redirects(client, url, take, max_redirects=MAX_REDIRECTS)


def _check_url(url: str) -> str:
    """The URL's host, once the URL is well formed; ListFetchError naming what is wrong otherwise."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise ListFetchError(f"malformed URL {url[:200]!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ListFetchError(f"only http:// and https:// URLs can be imported, not {url[:200]!r}")
    reason = _host_problem(parts.netloc.rpartition("@")[2], host) or ("port 0" if port == 0 else None)
    if reason is not None:
        raise ListFetchError(f"malformed URL {url[:200]!r}: {reason}")
    return host


def _host_problem(hostport: str, host: str) -> str | None:
    """Why the host of a URL is malformed, or None.

    urlsplit accepts much that no client should request: text after an IPv6 literal's bracket,
    IPv4 in octal, hex or as one number (which some resolvers turn into 127.0.0.1), and names
    that are not valid IDNA (UTS #46, through the `idna` package).
    """
    if hostport.startswith("["):
        literal, _, rest = hostport[1:].partition("]")
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return f"unexpected {rest[:40]!r} after the IPv6 address"
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return f"{literal[:80]!r} is not an IPv6 address"
        return None
    labels = host.removesuffix(".").split(".")
    last = labels[-1]
    if last.isdigit() or (last[:2].lower() == "0x" and all(c in string.hexdigits for c in last[2:])):
        # WHATWG URL: a host whose last label is a number is an IPv4 address; only dotted-quad decimal is taken.
        try:
            if str(ipaddress.IPv4Address(host)) == host:
                return None
        except ValueError:
            pass
        return f"{host[:80]!r} is not an IPv4 address in dotted-decimal form (a.b.c.d)"
    try:
        idna.encode(host, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        return f"{host[:80]!r} is not a valid host name ({str(exc)[:120]})"
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
