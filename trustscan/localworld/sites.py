"""Pure-Python HTTPS + HTTP test sites on loopback, for ``trustscan demo`` (no nginx needed).

A :class:`SiteServer` serves one :class:`SiteConfig` on one 127.0.0.x address: HTTPS on one port and plain
HTTP on another, each from its own thread (``ThreadingHTTPServer``, TLS via the stdlib ``ssl`` module).
The HTTP port either 301-redirects to the HTTPS URL or serves the same pages. The content helpers
(security.txt, a home page, URLs, free ports) are shared with the nginx test world.

The demo's sites themselves are data in :mod:`trustscan.localworld.demo`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import socketserver
import ssl
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from trustscan.core.timestamps import rfc3339
from trustscan.localworld.ca import IssuedCert
from trustscan.localworld.serving import ServerThreads

__all__ = [
    "HSTS_ONE_YEAR",
    "LEGACY_CIPHERS",
    "MODERN_CIPHERS",
    "SECURITY_TXT_PATH",
    "Page",
    "SiteConfig",
    "SiteServer",
    "free_port",
    "home_page",
    "https_url",
    "security_txt",
]

SECURITY_TXT_PATH = "/.well-known/security.txt"
HSTS_ONE_YEAR = "max-age=31536000; includeSubDomains"
# Mozilla "intermediate" ECDHE suites; TLS 1.3 suites are not configurable here and need not be.
MODERN_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)
# OpenSSL 3 negotiates TLS 1.0/1.1 and weak keys only at security level 0.
LEGACY_CIPHERS = "ALL:@SECLEVEL=0"


@dataclass(frozen=True)
class Page:
    """One HTTP response body with its status and content type."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200


@dataclass(frozen=True)
class SiteConfig:
    """What one site serves.

    ``cert=None`` means no HTTPS listener at all. ``https_headers`` (e.g. HSTS) are sent on HTTPS only,
    as browsers ignore HSTS over plain HTTP. With ``http_redirect`` the HTTP port answers every request
    with a 301 to ``https://<hostname>:<https port><path>``; otherwise it serves ``pages`` too.
    """

    hostname: str
    cert: IssuedCert | None
    pages: Mapping[str, Page]
    tls_min: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    tls_max: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED
    ciphers: str = MODERN_CIPHERS
    https_headers: tuple[tuple[str, str], ...] = ()
    http_redirect: bool = True


class SiteServer:
    """Serve a :class:`SiteConfig` on *ip* (loopback only): HTTPS on ``https_port``, HTTP on ``http_port``.

    Port 0 picks a free port; the real ports are ``.https_port`` / ``.http_port`` once constructed
    (sockets are bound in ``__init__``, so a config built with the final port numbers can be served).
    """

    def __init__(self, config: SiteConfig, ip: str, *, https_port: int, http_port: int) -> None:
        if not ipaddress.ip_address(ip).is_loopback:
            raise ValueError(f"SiteServer binds loopback only, not {ip}")
        self.config = config
        self.ip = ip
        self._serving = ServerThreads(f"SiteServer-{config.hostname}")
        self._servers: list[_HTTPServer] = []
        try:
            self.http_port = self._bind(ip, http_port, tls=None)
            self.https_port = 0
            if config.cert is not None:
                self.https_port = self._bind(ip, https_port, tls=_server_context(config))
        except BaseException:
            self.stop()
            raise
        for server in self._servers:
            server.https_port = self.https_port

    def _bind(self, ip: str, port: int, *, tls: ssl.SSLContext | None) -> int:
        server = _HTTPServer((ip, port), _Handler, site=self.config, tls=tls)
        self._servers.append(server)
        return server.server_address[1]

    def start(self) -> SiteServer:
        """Start serving in daemon threads. Returns self."""
        self._serving.servers[:] = self._servers
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the sockets. Safe to call more than once."""
        self._serving.servers[:] = self._servers
        self._serving.stop()
        self._servers.clear()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that optionally wraps accepted sockets in TLS and stays quiet on bad clients."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        site: SiteConfig,
        tls: ssl.SSLContext | None,
    ) -> None:
        self.site = site
        self.tls = tls
        self.https_port = 0
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), which can hang offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        sock, addr = super().get_request()
        if self.tls is not None:
            # Handshake lazily in the handler thread so one slow client cannot block accept().
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        pass  # failed handshakes are expected (scanners probe old protocols); keep stderr clean


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    timeout = 10
    server_version = "trustscan-localworld"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, *, send_body: bool) -> None:
        site = self.server.site
        https = self.server.tls is not None
        if not https and site.http_redirect and site.cert is not None:
            self.send_response(301)
            port = "" if self.server.https_port == 443 else f":{self.server.https_port}"
            self.send_header("Location", f"https://{site.hostname}{port}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        page = site.pages.get(self.path.split("?", 1)[0]) or Page(b"not found\n", "text/plain", 404)
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        if https:
            for name, value in site.https_headers:
                self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(page.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _server_context(config: SiteConfig) -> ssl.SSLContext:
    assert config.cert is not None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers(config.ciphers)
    with warnings.catch_warnings():
        # Python deprecates TLS 1.0/1.1 as settings; serving them on purpose is the point here.
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = config.tls_min
        ctx.maximum_version = config.tls_max
    ctx.load_cert_chain(config.cert.cert_path, config.cert.key_path)
    return ctx


# --- content helpers (also used by the nginx test world) ---------------------------------------------


def https_url(hostname: str, port: int, path: str = "/") -> str:
    """``https://host[:port]/path``, leaving out the default port."""
    return f"https://{hostname}{'' if port == 443 else f':{port}'}{path}"


def security_txt(
    *,
    contact: Iterable[str],
    expires: Iterable[dt.datetime | str],
    canonical: str | None = None,
    extra: Iterable[tuple[str, str]] = (),
) -> str:
    """Render an RFC 9116 security.txt; strings in *expires* are written verbatim (for broken files)."""
    lines = ["# Test security.txt generated by trustscan.localworld"]
    lines += [f"Contact: {c}" for c in contact]
    lines += [f"Expires: {e if isinstance(e, str) else rfc3339(e)}" for e in expires]
    if canonical:
        lines.append(f"Canonical: {canonical}")
    lines += [f"{k}: {v}" for k, v in extra]
    return "\n".join(lines) + "\n"


def home_page(title: str, text: str = "") -> Page:
    """A minimal HTML home page."""
    html = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{text}</p></body></html>\n"
    )
    return Page(html.encode())


def free_port(ips: Iterable[str] = ("127.0.0.1",), *, attempts: int = 50) -> int:
    """A TCP port currently free on every address in *ips* (loopback only).

    The port can still be taken before the caller binds it; callers retry on "address in use".
    """
    ips = list(ips)
    for _ in range(attempts):
        with socket.socket() as probe:
            probe.bind((ips[0], 0))
            port = probe.getsockname()[1]
        if all(_port_free(ip, port) for ip in ips):
            return port
    raise OSError(f"no port free on all of {ips}")


def _port_free(ip: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((ip, port))
        except OSError:
            return False
    return True
