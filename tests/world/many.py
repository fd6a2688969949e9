"""N generated, identical, well-configured sites for scale tests and the bulk benchmark.

``running_many(directory, n)`` starts one nginx serving ``site0000.many.trustscan.test`` ... with good
TLS (TLS 1.2+1.3, modern suites, a wildcard certificate from the local CA, HTTP/2 offered), HSTS, an HTTP to HTTPS
redirect, a home page and a valid security.txt each, plus a DNS server that knows every name.

Sites share addresses like shared hosting does: ``sites_per_ip`` names per 127.1.x.y address, picked
by SNI / Host. The field notes warn that nginx takes ``ssl_protocols`` from the default server of an
IP:port; here every site has the same TLS settings and all names live in one server block, so
nothing can be inherited wrongly. A ``stub_status`` endpoint counts the connections nginx accepted,
which is how the benchmark measures the load each scanner puts on the servers; the DNS server counts
the questions it answers (`ManyWorld.dns_queries`).
"""

from __future__ import annotations

import datetime as dt
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dns.flags
import dns.message
import dns.rdatatype

from trustscan.localworld.ca import LocalCA
from trustscan.localworld.dns import LocalDNSServer
from trustscan.localworld.sites import (
    HSTS_ONE_YEAR,
    MODERN_CIPHERS,
    SECURITY_TXT_PATH,
    free_port,
    https_url,
    security_txt,
)

from . import nginx

DOMAIN = "many.trustscan.test"
STATUS_IP = "127.1.255.254"  # stub_status lives apart from every site address


@dataclass(frozen=True)
class ManyWorld:
    """A running many-site world: names, their addresses, the ports, DNS and the CA to trust."""

    directory: Path
    ca_bundle: Path
    dns_port: int
    https_port: int
    http_port: int
    status_port: int
    hosts: tuple[str, ...]
    addresses: tuple[str, ...]  # addresses[i] serves hosts[i]
    nginx_pid: int
    #: Questions the DNS server answered so far, by record type (`+DO`: asked with the DNSSEC OK bit).
    dns_queries: Counter[str] = field(default_factory=Counter)
    access_log: Path | None = None  # every request nginx received, when asked for (`running_many(access_log=True)`)

    dns_ip = "127.0.0.1"

    def targets(self) -> list[str]:
        """``host:https_port`` for every site, as a portfolio lists them."""
        return [f"{host}:{self.https_port}" for host in self.hosts]

    def switch_security_txt(self, host: str, *, present: bool) -> None:
        """Take a site's security.txt away (criterion e then fails) or put it back, between audits.

        nginx reads files from disk on every request, so the change is live at once, no reload needed.
        """
        served = self.directory / "www" / host / SECURITY_TXT_PATH.lstrip("/")
        parked = served.with_name(served.name + ".off")
        source, target = (parked, served) if present else (served, parked)
        if source.exists():
            source.rename(target)

    def requests(self) -> list[nginx.LoggedRequest]:
        """Every request nginx has received so far; needs `running_many(..., access_log=True)`."""
        assert self.access_log is not None, "this world was started without an access log"
        return nginx.read_access_log(self.access_log)

    def accepted_connections(self) -> int:
        """TCP connections nginx has accepted so far (all sites together), from stub_status."""
        return self.served()[0]

    def served(self) -> tuple[int, int]:
        """(TCP connections accepted, HTTP requests received) so far, from stub_status. The requests
        include this status request itself (nginx counts a request when it starts)."""
        url = f"http://{STATUS_IP}:{self.status_port}/status"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            lines = response.read().decode().splitlines()
        accepts, _handled, requests = lines[2].split()  # "accepts handled requests" numbers are on the third line
        return int(accepts), int(requests)


def site_host(index: int) -> str:
    return f"site{index:04d}.{DOMAIN}"


def site_address(index: int, sites_per_ip: int) -> str:
    """127.1.x.y, away from the main world's 127.0.0.x addresses."""
    slot = index // sites_per_ip
    return f"127.1.{slot // 250}.{slot % 250 + 1}"


@contextmanager
def running_many(
    directory: Path, n: int, *, sites_per_ip: int = 4, now: dt.datetime | None = None, attempts: int = 3,
    access_log: bool = False,
) -> Iterator[ManyWorld]:
    """Build and run *n* sites under *directory*; stop nginx and DNS on exit. With `access_log`, nginx logs
    every request (`ManyWorld.requests()`); the benchmark leaves it off (disk writes per request)."""
    binary = nginx.find_nginx()
    if binary is None:
        raise FileNotFoundError("nginx binary not found")
    now = now or dt.datetime.now(dt.UTC)
    hosts = tuple(site_host(i) for i in range(n))
    addresses = tuple(site_address(i, sites_per_ip) for i in range(n))
    ips = sorted(set(addresses), key=addresses.index)
    ca = LocalCA(directory / "ca", now=now)
    day = dt.timedelta(days=1)
    cert = ca.issue([f"*.{DOMAIN}"], name="many", not_before=now - 30 * day, not_after=now + 90 * day)
    www = directory / "www"
    log = directory / "nginx" / "access.log" if access_log else None
    with ExitStack() as stack:
        for attempt in range(attempts):
            https_port, http_port, status_port = free_port(ips), free_port(ips), free_port([STATUS_IP])
            _write_sites(www, hosts, https_port, now)
            config = _config(directory / "nginx", ips, www, cert.cert_path, cert.key_path, https_port, http_port,
                             status_port, log)
            proc = nginx.NginxProcess(binary, directory / "nginx", config)
            try:
                # Every listening socket is bound before the pid file appears; probing a few suffices.
                proc.wait_ready([(ips[0], https_port), (ips[-1], http_port), (STATUS_IP, status_port)], timeout=60)
            except BaseException as exc:
                proc.stop()
                if isinstance(exc, nginx.NginxError) and "Address already in use" in proc.log() \
                        and attempt + 1 < attempts:
                    continue
                raise
            stack.callback(proc.stop)
            break
        queries: Counter[str] = Counter()
        counting = threading.Lock()  # queries are answered in one thread each

        def count(query: dns.message.Message) -> None:
            kind = dns.rdatatype.to_text(query.question[0].rdtype) if query.question else "?"
            with counting:
                queries[kind + ("+DO" if query.ednsflags & dns.flags.DO else "")] += 1

        server = stack.enter_context(LocalDNSServer({host: [ip] for host, ip in zip(hosts, addresses, strict=True)},
                                                    on_query=count))
        yield ManyWorld(directory, ca.root_path, server.port, https_port, http_port, status_port, hosts, addresses,
                        proc.pid, queries, log)


def _write_sites(www: Path, hosts: tuple[str, ...], https_port: int, now: dt.datetime) -> None:
    """Per-site document roots (nginx picks one by $host): a home page and a valid security.txt."""
    expires = now + dt.timedelta(days=365)
    for host in hosts:
        root = www / host
        (root / ".well-known").mkdir(parents=True, exist_ok=True)
        (root / "index.html").write_text(
            f'<!doctype html>\n<html lang="vi"><head><meta charset="utf-8"><title>{host}</title></head>'
            f"<body><h1>{host}</h1></body></html>\n", encoding="utf-8")
        text = security_txt(contact=[f"mailto:security@{host}"], expires=[expires],
                            canonical=https_url(host, https_port, SECURITY_TXT_PATH))
        (root / SECURITY_TXT_PATH.lstrip("/")).write_text(text, encoding="utf-8")


def _config(prefix: Path, ips: list[str], www: Path, cert: Path, key: Path, https_port: int, http_port: int,
            status_port: int, access_log: Path | None = None) -> str:
    """One HTTPS and one HTTP server block listening on every address; the whole nginx.conf."""
    https_listen = "\n".join(f"        listen {ip}:{https_port} ssl http2;" for ip in ips)  # h2 offered
    http_listen = "\n".join(f"        listen {ip}:{http_port};" for ip in ips)
    servers = f"""
    server {{
{https_listen}
        server_name *.{DOMAIN};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols {nginx.MODERN_PROTOCOLS};
        ssl_ciphers "{MODERN_CIPHERS}";
        ssl_prefer_server_ciphers on;
        add_header Strict-Transport-Security "{HSTS_ONE_YEAR}" always;
        root {www}/$host;
        index index.html;
    }}
    server {{
{http_listen}
        server_name *.{DOMAIN};
        return 301 https://$host:{https_port}$request_uri;
    }}
    server {{
        listen {STATUS_IP}:{status_port};
        location = /status {{ stub_status; }}
    }}"""
    base = nginx.render_config(prefix, [], access_log=access_log)
    # render_config supplies the shared http{} settings (temp paths, types, charset); add our servers.
    base = base.replace("events { worker_connections 1024; }",
                        "worker_rlimit_nofile 16384;\nevents { worker_connections 4096; }")
    head, _, tail = base.rpartition("}")
    return f"{head}{servers}\n}}{tail}"
