"""Pure-Python HTTPS + HTTP test sites on loopback, for ``trustscan demo`` (no nginx needed).

A :class:`SiteServer` serves one :class:`SiteConfig` on one 127.0.0.x address: HTTPS on one port and plain
HTTP on another, each from its own thread (``ThreadingHTTPServer``, TLS via the stdlib ``ssl`` module).
The HTTP port either 301-redirects to the HTTPS URL or serves the same pages.

Two demo variants are defined as data in :data:`DEMO_VARIANTS`; :class:`DemoWorld` puts them together
with a :class:`~trustscan.localworld.ca.LocalCA` and a :class:`~trustscan.localworld.dns.LocalDNSServer`
so the scanner has something real to scan.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import socketserver
import ssl
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Literal

from trustscan.core.timestamps import rfc3339
from trustscan.localworld.ca import IssuedCert, LocalCA
from trustscan.localworld.dns import LocalDNSServer
from trustscan.localworld.serving import ServerThreads

__all__ = [
    "DEMO_VARIANTS",
    "HSTS_ONE_YEAR",
    "LEGACY_CIPHERS",
    "MODERN_CIPHERS",
    "SECURITY_TXT_PATH",
    "DemoSite",
    "DemoVariant",
    "DemoWorld",
    "Page",
    "SiteConfig",
    "SiteServer",
    "demo_site_config",
    "free_port",
    "home_page",
    "https_url",
    "rfc3339",
    "security_txt",
]

SECURITY_TXT_PATH = "/.well-known/security.txt"
PRIVACY_POLICY_PATH = "/chinh-sach-bao-mat.html"
PRIVACY_POLICY = ("Chúng tôi chỉ thu thập, lưu trữ dữ liệu cá nhân khi có sự đồng ý của người sử dụng, trừ trường "
                  "hợp pháp luật quy định khác (Nghị định 13/2023/NĐ-CP).")
HSTS_ONE_YEAR = "max-age=31536000; includeSubDomains"
#: Criterion a hygiene headers a well-run site sends (the demo's good variant; Mozilla Observatory set).
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
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


# --- demo variants -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoVariant:
    """A demo site described as data; :func:`demo_site_config` turns it into a :class:`SiteConfig`."""

    description: str
    cert: Literal["valid", "expired", "selfsigned"]
    tls_min: ssl.TLSVersion
    ciphers: str
    hsts: str | None
    http_redirect: bool
    security_txt: Literal["valid", "expired", "missing"]
    privacy_policy: bool = False  # criterion b: a linked Vietnamese personal-data policy that cites consent


DEMO_VARIANTS: Mapping[str, DemoVariant] = MappingProxyType(
    {
        "good": DemoVariant(
            description="TLS 1.2+1.3, CA-issued valid certificate, HSTS, HTTP redirects, valid security.txt",
            cert="valid",
            tls_min=ssl.TLSVersion.TLSv1_2,
            ciphers=MODERN_CIPHERS,
            hsts=HSTS_ONE_YEAR,
            http_redirect=True,
            security_txt="valid",
            privacy_policy=True,
        ),
        "broken": DemoVariant(
            description="self-signed certificate, TLS 1.0 allowed, no HSTS, HTTP serves content, expired security.txt",
            cert="selfsigned",
            tls_min=ssl.TLSVersion.TLSv1,
            ciphers=LEGACY_CIPHERS,
            hsts=None,
            http_redirect=False,
            security_txt="expired",
        ),
    }
)


def demo_site_config(
    variant: str | DemoVariant, ca: LocalCA, hostname: str, *, https_port: int, now: dt.datetime | None = None
) -> SiteConfig:
    """Build the :class:`SiteConfig` for a demo variant (by name or value), issuing its certificate."""
    spec = DEMO_VARIANTS[variant] if isinstance(variant, str) else variant
    now = now or dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)
    validity = {
        "valid": (now - day, now + 90 * day),
        "selfsigned": (now - day, now + 90 * day),
        "expired": (now - 90 * day, now - day),
    }[spec.cert]
    cert = ca.issue(
        [hostname],
        name=hostname.replace("*", "_"),
        not_before=validity[0],
        not_after=validity[1],
        self_signed=spec.cert == "selfsigned",
        key="ec256" if spec.cert == "valid" else "rsa2048",
    )
    pages = {"/": home_page(hostname, spec.description)}
    if spec.privacy_policy:
        link = f'{spec.description} <a href="{PRIVACY_POLICY_PATH}">Chính sách bảo mật</a>'
        pages = {"/": home_page(hostname, link), PRIVACY_POLICY_PATH: home_page("Chính sách bảo mật", PRIVACY_POLICY)}
    if spec.security_txt != "missing":
        expires = now + 365 * day if spec.security_txt == "valid" else now - 30 * day
        text = security_txt(
            contact=[f"mailto:security@{hostname}"],
            expires=[expires],
            canonical=https_url(hostname, https_port, SECURITY_TXT_PATH),
        )
        pages[SECURITY_TXT_PATH] = Page(text.encode(), "text/plain; charset=utf-8")
    return SiteConfig(
        hostname=hostname,
        cert=cert,
        pages=MappingProxyType(pages),
        tls_min=spec.tls_min,
        ciphers=spec.ciphers,
        http_redirect=spec.http_redirect,
        # The good variant (the one with HSTS) also sends criterion a's security headers.
        https_headers=(("Strict-Transport-Security", spec.hsts), *SECURITY_HEADERS) if spec.hsts else (),
    )


@dataclass(frozen=True)
class DemoSite:
    """Where a running demo site can be reached."""

    variant: str
    hostname: str
    ip: str
    https_port: int
    http_port: int

    @property
    def target(self) -> str:
        """``host:port`` of the HTTPS endpoint."""
        return f"{self.hostname}:{self.https_port}"


@dataclass
class DemoWorld:
    """CA + DNS + one :class:`SiteServer` per demo variant, all on loopback.

    Site *v* is ``<v>.<domain>`` on ``ips[i]``; all sites share the same two port numbers, and the DNS
    server (``dns_port``, on 127.0.0.1) answers their names. Use as a context manager or call
    ``start()``/``stop()``. ``ca_bundle`` is the root certificate to trust.
    """

    directory: Path
    domain: str = "demo.trustscan.test"
    ips: tuple[str, ...] = ("127.0.0.2", "127.0.0.3")
    variants: tuple[str, ...] = ("good", "broken")
    sites: dict[str, DemoSite] = field(default_factory=dict, init=False)
    _servers: list[SiteServer] = field(default_factory=list, init=False, repr=False)
    _dns: LocalDNSServer | None = field(default=None, init=False, repr=False)

    @property
    def ca_bundle(self) -> Path:
        return Path(self.directory) / "root.pem"

    @property
    def dns_port(self) -> int:
        if self._dns is None:
            raise RuntimeError("not started")
        return self._dns.port

    def start(self) -> DemoWorld:
        """Create the CA, pick ports, start the sites and DNS. Stops everything again on failure."""
        if len(self.ips) < len(self.variants):
            raise ValueError("need one address per variant")
        ca = LocalCA(self.directory)
        try:
            https_port, http_port = self._start_sites(ca)
            names = {s.hostname: [s.ip] for s in self.sites.values()}
            self._dns = LocalDNSServer(names).start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_sites(self, ca: LocalCA) -> tuple[int, int]:
        ips = self.ips[: len(self.variants)]
        for _ in range(5):  # ports can be taken between choosing and binding; try fresh ones
            https_port = free_port(ips)
            http_port = free_port(ips)
            try:
                for variant, ip in zip(self.variants, ips, strict=True):
                    hostname = f"{variant}.{self.domain}"
                    config = demo_site_config(variant, ca, hostname, https_port=https_port)
                    self._servers.append(SiteServer(config, ip, https_port=https_port, http_port=http_port).start())
                    self.sites[variant] = DemoSite(variant, hostname, ip, https_port, http_port)
                return https_port, http_port
            except OSError:
                self._stop_sites()
        raise OSError("could not bind the demo sites")

    def _stop_sites(self) -> None:
        for server in self._servers:
            server.stop()
        self._servers.clear()
        self.sites.clear()

    def stop(self) -> None:
        """Stop DNS and all sites. Safe to call more than once."""
        if self._dns is not None:
            self._dns.stop()
            self._dns = None
        self._stop_sites()

    def __enter__(self) -> DemoWorld:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
