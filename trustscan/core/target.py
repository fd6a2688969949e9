"""Parse what the user typed into the site to audit.

Accepted: `host`, `host:port`, `[v6]:port`, an IP address, or an `https://` URL. Vietnamese IDN
names are normalised to punycode (IDNA 2008 with UTS #46 mapping) and kept in both forms.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

from trustscan.core.errors import TargetError

DEFAULT_HTTPS_PORT = 443
DEFAULT_HTTP_PORT = 80

# RFC 1123 label in its ASCII (punycode) form.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class Target:
    """A site to audit: the name in both forms and the HTTPS port."""

    input: str
    host: str
    ascii_host: str
    port: int
    is_ip: bool = False

    @property
    def authority(self) -> str:
        """`host[:port]` as it goes into a URL, IPv6 bracketed, default port omitted."""
        host = f"[{self.ascii_host}]" if ":" in self.ascii_host else self.ascii_host
        return host if self.port == DEFAULT_HTTPS_PORT else f"{host}:{self.port}"

    @property
    def https_url(self) -> str:
        return f"https://{self.authority}/"


def parse_target(text: str) -> Target:
    """Turn user input into a Target, or raise TargetError saying what is wrong."""
    raw = text.strip()
    if not raw:
        raise TargetError("empty target")
    if "://" in raw:
        host, port = _split_url(raw)
    else:
        host, port = _split_host_port(raw)
    ip = _as_ip(host)
    if ip is not None:
        return Target(input=text, host=ip, ascii_host=ip, port=port, is_ip=True)
    ascii_host = to_ascii(host)
    return Target(input=text, host=to_unicode(ascii_host), ascii_host=ascii_host, port=port)


def to_ascii(host: str) -> str:
    """Punycode form of a host name; raises TargetError for names DNS cannot carry."""
    name = host.rstrip(".").lower()
    if not name:
        raise TargetError(f"invalid host name: {host!r}")
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise TargetError(f"invalid host name {host!r}: {exc}") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise TargetError(f"invalid host name: {host!r}")
    if len(labels) < 2 and name != "localhost":
        raise TargetError(f"not a fully qualified host name: {host!r}")
    return ascii_name


def to_unicode(ascii_host: str) -> str:
    """Readable form of a punycode name; falls back to the ASCII form if it cannot be decoded."""
    try:
        return idna.decode(ascii_host)
    except (idna.IDNAError, UnicodeError):
        return ascii_host


def _split_url(raw: str) -> tuple[str, int]:
    parts = urlsplit(raw)
    if parts.scheme.lower() != "https":
        raise TargetError(f"unsupported URL scheme {parts.scheme!r}: give a host or an https:// URL")
    try:
        port = parts.port or DEFAULT_HTTPS_PORT
    except ValueError:
        raise TargetError(f"invalid port in {raw!r}") from None
    if not parts.hostname:
        raise TargetError(f"no host in {raw!r}")
    return parts.hostname, port


def _split_host_port(raw: str) -> tuple[str, int]:
    if raw.startswith("["):
        host, sep, rest = raw[1:].partition("]")
        if not sep:
            raise TargetError(f"unclosed '[' in {raw!r}")
        return host, _port(rest[1:], raw) if rest.startswith(":") else DEFAULT_HTTPS_PORT
    if raw.count(":") > 1:  # a bare IPv6 address
        return raw, DEFAULT_HTTPS_PORT
    host, sep, port_text = raw.partition(":")
    if "/" in host or " " in host:
        raise TargetError(f"invalid target {raw!r}: give a host, host:port or an https:// URL")
    return host, _port(port_text, raw) if sep else DEFAULT_HTTPS_PORT


def _port(text: str, raw: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise TargetError(f"invalid port in {raw!r}")
    return int(text)


def _as_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None
