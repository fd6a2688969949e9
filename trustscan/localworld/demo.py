"""The ``trustscan demo`` sites as data, and the world that serves them on loopback.

Two demo variants are defined in :data:`DEMO_VARIANTS`; :class:`DemoWorld` serves them with
:class:`~trustscan.localworld.sites.SiteServer`, a :class:`~trustscan.localworld.ca.LocalCA` and a
:class:`~trustscan.localworld.dns.LocalDNSServer`, so the scanner has something real to scan.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Literal

from trustscan.localworld.ca import LocalCA
from trustscan.localworld.dns import LocalDNSServer
from trustscan.localworld.sites import (
    HSTS_ONE_YEAR,
    LEGACY_CIPHERS,
    MODERN_CIPHERS,
    SECURITY_TXT_PATH,
    Page,
    SiteConfig,
    SiteServer,
    free_port,
    home_page,
    https_url,
    security_txt,
)

__all__ = ["DEMO_VARIANTS", "DemoSite", "DemoVariant", "DemoWorld", "demo_site_config"]

PRIVACY_POLICY_PATH = "/chinh-sach-bao-mat.html"
# A policy by its content (criterion b recognises it by what it says, not by its link): what is
# processed, why, for how long, who receives it, the data subject's rights, and consent.
PRIVACY_POLICY = ("Chúng tôi chỉ thu thập, lưu trữ dữ liệu cá nhân khi có sự đồng ý của người sử dụng, trừ trường "
                  "hợp pháp luật quy định khác (Nghị định 13/2023/NĐ-CP). Mục đích xử lý: trả lời yêu cầu của "
                  "bạn; thời gian lưu trữ: hai năm; không chuyển giao cho bên thứ ba. Chủ thể dữ liệu có quyền "
                  "rút lại sự đồng ý và yêu cầu xóa dữ liệu.")
#: Criterion a hygiene headers a well-run site sends (the demo's good variant; Mozilla Observatory set).
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)


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
