"""The local test world: a throw-away CA, an authoritative DNS server and one nginx, all on loopback.

``running_world(directory)`` builds it, yields a :class:`World`, and tears it all down. Sites are listed
in :mod:`tests.world.sites`; every site has its own 127.0.0.x address, and all share one HTTPS and one
HTTP port number. Run ``python -m tests.world`` to start it by hand and poke at it.
"""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from trustscan.localworld.ca import IssuedCert, LocalCA
from trustscan.localworld.dns import LocalDNSServer
from trustscan.localworld.sites import free_port

from . import nginx
from .blocklist import ALIASES, DNS_ONLY_HOSTS, write_snapshot
from .fetchsites import server_options
from .sites import (
    DOMAIN,
    SITES,
    SiteDef,
    hygiene_options,
    idn_host,
    idn_host_ascii,
    issue_cert,
    site_files,
    site_ip,
    write_files,
)

__all__ = ["Site", "World", "running_world", "find_nginx", "NginxError"]

find_nginx = nginx.find_nginx
NginxError = nginx.NginxError


@dataclass(frozen=True)
class Site:
    """Where one test site lives. ``https`` is False for a site with nothing on the HTTPS port."""

    name: str
    host: str
    ip: str
    https_port: int
    http_port: int
    https: bool
    what: str

    @property
    def target(self) -> str:
        """``host:https_port``, the form a scanner takes on its command line."""
        return f"{self.host}:{self.https_port}"

    def https_url(self, path: str = "/") -> str:
        return f"https://{self.host}:{self.https_port}{path}"

    def http_url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.http_port}{path}"


@dataclass(frozen=True)
class World:
    """A running world. ``ca_bundle`` is the root to trust; DNS on 127.0.0.1:``dns_port`` knows every site."""

    directory: Path
    ca_bundle: Path
    dns_port: int
    https_port: int
    http_port: int
    sites: Mapping[str, Site]
    idn_host: str  # Unicode form, resolves (as punycode) to the good site
    idn_host_ascii: str
    nginx_pid: int
    blocklist: Path  # the "do not visit" list snapshot naming the listed-* sites (tests/world/blocklist.py)
    access_log: Path | None = None  # every request nginx received (nginx.ACCESS_LOG_FORMAT)

    dns_ip = "127.0.0.1"

    def requests(self, host: str | None = None) -> list[nginx.LoggedRequest]:
        """The requests nginx has logged so far (for `host` only, when given); `forget_requests()` empties it."""
        assert self.access_log is not None
        return [r for r in nginx.read_access_log(self.access_log) if host is None or r.host == host]

    def forget_requests(self) -> None:
        """Empty the access log (nginx appends to it: the next request is its first line)."""
        assert self.access_log is not None
        self.access_log.write_bytes(b"")

    def site(self, name: str) -> Site:
        """The site called *name* (``"good"``, ``"legacy"``, ...)."""
        try:
            return self.sites[name]
        except KeyError:
            raise KeyError(f"no site {name!r}; have {sorted(self.sites)}") from None

    def table(self) -> str:
        """A human-readable table of the sites."""
        rows = [
            f"CA bundle: {self.ca_bundle}",
            f"DNS: {self.dns_ip}:{self.dns_port} (UDP+TCP)",
            f"IDN: {self.idn_host} = {self.idn_host_ascii} -> good",
            "",
        ]
        for s in self.sites.values():
            https = f"https :{s.https_port}" if s.https else "(no https)"
            rows.append(f"{s.name:<20} {s.ip:<12} {https:<12} http :{s.http_port}  {s.what}")
        return "\n".join(rows)


@contextmanager
def running_world(
    directory: Path, *, nginx_binary: str | None = None, now: dt.datetime | None = None, attempts: int = 3
) -> Iterator[World]:
    """Build and run the world in *directory* (which must exist); stop everything on exit."""
    binary = nginx_binary or nginx.find_nginx()
    if binary is None:
        raise FileNotFoundError("nginx binary not found")
    now = now or dt.datetime.now(dt.UTC)
    ca = LocalCA(directory / "ca", now=now)
    certs = {site.name: issue_cert(ca, site, now) for site in SITES}
    dhparam = nginx.make_dhparam(directory / "dh1024.pem")
    ips = [site_ip(i) for i in range(len(SITES))]

    with ExitStack() as stack:
        for attempt in range(attempts):
            # Ports are chosen free on every site address, but another process may grab one before
            # nginx binds it; then try again with fresh ports.
            https_port, http_port = free_port(ips), free_port(ips)
            servers = []
            for i, site in enumerate(SITES):
                root = directory / "www" / site.name
                files = site_files(site, https_port=https_port, now=now)
                write_files(root, files)
                forced = tuple((f.path, f.content_type) for f in files if f.content_type)
                servers += _servers_for(site, ips[i], root, forced, certs[site.name], dhparam, https_port, http_port)
            access_log = directory / "nginx" / "access.log"
            proc = nginx.NginxProcess(binary, directory / "nginx",
                                      nginx.render_config(directory / "nginx", servers, access_log=access_log))
            try:
                proc.wait_ready([(s.ip, s.port) for s in servers])
            except BaseException as exc:  # incl. Ctrl-C: never leave a half-started nginx behind
                proc.stop()
                retry = isinstance(exc, nginx.NginxError) and _address_in_use(proc.log())
                if retry and attempt + 1 < attempts:
                    continue
                raise
            stack.callback(proc.stop)
            break

        records = {site.host: [ips[i]] for i, site in enumerate(SITES)}
        records[idn_host()] = [ips[0]]  # LocalDNSServer stores it as punycode
        records.update({host: [ips[0]] for host in DNS_ONLY_HOSTS})  # criterion d's names (blocklist.py)
        caa = {site.host: [f'0 issue "{DOMAIN}"'] for site in SITES if site.caa}  # criterion a: CAA on good
        dns = stack.enter_context(LocalDNSServer(records, caa=caa, cnames=ALIASES))
        sites = {
            site.name: Site(site.name, site.host, ips[i], https_port, http_port, site.cert is not None, site.what)
            for i, site in enumerate(SITES)
        }
        yield World(
            directory=directory,
            ca_bundle=ca.root_path,
            dns_port=dns.port,
            https_port=https_port,
            http_port=http_port,
            sites=MappingProxyType(sites),
            idn_host=idn_host(),
            idn_host_ascii=idn_host_ascii(),
            nginx_pid=proc.pid,
            blocklist=write_snapshot(directory / "blocklist.txt", {s.name: s.ip for s in sites.values()}),
            access_log=access_log,
        )


def _servers_for(
    site: SiteDef,
    ip: str,
    root: Path,
    forced: tuple[tuple[str, str], ...],
    cert: IssuedCert | None,
    dhparam: Path,
    https_port: int,
    http_port: int,
) -> list[nginx.Server]:
    """The nginx server blocks (HTTPS unless the site has no certificate, and HTTP) for one site."""
    names = (site.host, idn_host_ascii()) if site.name == "good" else (site.host,)
    servers = [
        nginx.Server(
            ip=ip,
            port=http_port,
            names=names,
            root=root,
            content_types=forced,
            redirect_to=f"https://{site.host}:{https_port}" if site.http_redirect and cert else None,
        )
    ]
    if cert is not None:
        legacy = site.tls == "legacy"
        servers.append(
            nginx.Server(
                ip=ip,
                port=https_port,
                names=names,
                root=root,
                tls=(cert.cert_path, cert.key_path),
                protocols=nginx.LEGACY_PROTOCOLS if legacy else nginx.MODERN_PROTOCOLS,
                ciphers=nginx.LEGACY_CIPHERS if legacy else nginx.MODERN_CIPHERS,
                dhparam=dhparam if legacy else None,
                hsts=site.hsts,
                http2=site.name == "good",  # the well-run site offers HTTP/2; the others speak HTTP/1.1
                content_types=forced,
                **hygiene_options(site),  # criterion a: security headers, disclosure, catch-all, cookies
                **server_options(site.name, root),  # criterion đ: cloaking by User-Agent or Referer
            )
        )
    return servers


def _address_in_use(log: str) -> bool:
    return "Address already in use" in log or f"({errno.EADDRINUSE}:" in log
