"""Broker and database addresses given on the command line: parsed, masked, and checked for transport safety.

A URL such as `postgresql://scan:secret@db.example:5432/trust` or `redis://:secret@10.0.0.5:6379/0`
may carry a password, so `Endpoint.shown` (with the password replaced by `****`) is the only form
that ever reaches a message, a log line or the database. A broker or database reached over the
network in clear text would expose that password and every report, so anything that is not on a
loopback address or a Unix socket must use TLS (`rediss://`, or `sslmode=require|verify-ca|verify-full`
for PostgreSQL) unless the operator says otherwise (`--insecure-transport`).

"Loopback" is decided from the URL alone (127.0.0.0/8, ::1, `localhost`, a Unix socket path): a
name is never resolved here, so a host name that happens to point at 127.0.0.1 still counts as remote.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass

POSTGRES_SCHEMES = ("postgresql", "postgres")
REDIS_SCHEMES = ("redis", "rediss")
_PG_TLS_MODES = ("require", "verify-ca", "verify-full")
MASK = "****"


class EndpointError(ValueError):
    """A broker or database URL that cannot be used; the message is one line and never holds a password."""


@dataclass(frozen=True)
class Endpoint:
    """A parsed network URL: what to connect to, and how to show it."""

    url: str  #: the URL as given (may hold a password: never print it)
    scheme: str
    host: str  #: '' for a Unix socket or the client library's default
    port: int | None
    password: str | None

    @property
    def shown(self) -> str:
        """The URL with every password replaced by `****` (user name, host, port and path kept)."""
        return mask_url(self.url)

    @property
    def local(self) -> bool:
        """True for a loopback address, `localhost` or a Unix socket (nothing crosses a network)."""
        host = self.host.strip("[]")
        if not host or host.startswith("/") or host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def encrypted(self) -> bool:
        """Whether the connection is required to use TLS."""
        if self.scheme == "rediss":
            return True
        if self.scheme in POSTGRES_SCHEMES:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.url).query)
            return any(mode in _PG_TLS_MODES for mode in query.get("sslmode", []))
        return False

    def check_transport(self, insecure: bool, what: str) -> None:
        """Refuse a clear-text connection across a network unless the operator accepted it."""
        if not (self.local or self.encrypted or insecure):
            hint = "rediss://" if self.scheme in REDIS_SCHEMES else "?sslmode=verify-full"
            raise EndpointError(f"{what} {self.shown} is not on a loopback address and does not use TLS "
                                f"(use {hint}, or --insecure-transport to accept clear text)")


def is_url(text: str) -> bool:
    return "://" in text


def parse_endpoint(text: str, schemes: tuple[str, ...], what: str) -> Endpoint:
    """A URL with one of `schemes`; EndpointError (masked) when it is malformed."""
    shown = mask_url(text)
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise EndpointError(f"malformed {what} URL {shown}: {exc}") from None
    if parts.scheme.lower() not in schemes:
        raise EndpointError(f"{what} URL {shown} must start with {' or '.join(s + '://' for s in schemes)}")
    query = urllib.parse.parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or [""])[0]
    password = parts.password or next(iter(query.get("password", [])), None)
    return Endpoint(text, parts.scheme.lower(), host, port, password)


def mask_url(text: str) -> str:
    """`text` with the password of its user-info part and any `password=` query value replaced by ****."""
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError:
        return "<malformed URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}{':' + MASK if colon else ''}@{hostport}"
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        query = "&".join(f"{k}={MASK if k.lower() == 'password' else v}" for k, v in pairs)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(message: str, endpoint: Endpoint) -> str:
    """A client library's error message with the endpoint's password and raw URL removed, on one line."""
    text = message.replace(endpoint.url, endpoint.shown)
    if endpoint.password:
        text = text.replace(endpoint.password, MASK)
    return " ".join(text.split())
