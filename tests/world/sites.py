"""The sites of the nginx test world, as data, and the files each one serves.

Every site differs from ``good`` in exactly one respect, so a test that scans ``expired`` can expect
exactly one certificate finding and nothing else. Each gets its own 127.0.0.x address because nginx
takes ``ssl_protocols`` from the default server of an IP:port.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dns.name

from trustscan.localworld.ca import IssuedCert, LocalCA
from trustscan.localworld.sites import SECURITY_TXT_PATH, https_url, security_txt

from .content import CONTENT_COOKIES, CONTENT_SITES, PRIVACY_FOOTER, content_files
from .fetchsites import FETCH_SITES, content_type, fetch_files

DOMAIN = "trustscan.test"
IDN_LABEL = "bộ-công-an"  # served from the good site; reaches DNS as punycode
# Markup that must stay text in every report, badge and page (tests/integration/test_publish_world.py).
HOSTILE_PAYLOAD = """<script>alert('contact')</script>"><img src=x onerror=alert(1)>"""
HOSTILE_TITLE = """<script>alert('title')</script>"><img src=x onerror=alert('title')>"""
HOSTILE_URL_PAYLOAD = """"><script>alert(2)</script>"""
FIRST_SITE_OCTET = 10  # site i lives on 127.0.0.(10 + i); .1 stays free for DNS and other tests

CertKind = Literal["good", "legacy", "expired", "expiring", "selfsigned", "wronghost", "nochain"]
SecTxtKind = Literal[
    "valid",
    "missing",
    "expired",
    "legacy",
    "badcontact",
    "twoexpires",
    "wrongtype",
    "signed",
    "huge",
    "badcanonical",
    "hostile",
    "warnings",
    "noexpires",
]
# Criterion a hygiene of the HTTPS site (see hygiene_options): "good" sends the security headers.
HygieneKind = Literal["good", "noheaders", "exposed", "disclosure", "catchall", "badcookie"]
GOOD_SECURITY_HEADERS = (
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)


@dataclass(frozen=True)
class SiteDef:
    """One test site. ``cert=None`` means nothing listens on the HTTPS port for this site."""

    name: str
    what: str
    cert: CertKind | None = "good"
    tls: Literal["modern", "legacy"] = "modern"
    hsts: bool = True
    http_redirect: bool = True
    sectxt: SecTxtKind = "valid"
    title: str | None = None  # home page <title> text (entity-encoded, so parsers read the markup); default: host
    listed: Literal["domain", "ip"] | None = None  # on the world's blocklist snapshot (tests/world/blocklist.py)
    hygiene: HygieneKind = "good"  # criterion a: headers, exposed files, cookies (hygiene_options)
    caa: bool = False  # the world's DNS publishes a CAA record for this host

    @property
    def host(self) -> str:
        return f"{self.name}.{DOMAIN}"


SITES: tuple[SiteDef, ...] = (
    SiteDef("good", "TLS 1.2+1.3, ECDHE AEAD suites, EC leaf + intermediate, HSTS, redirect, security.txt, CAA",
            caa=True),
    SiteDef(
        "legacy",
        "TLS 1.0-1.2, static-RSA/CBC/DHE-1024 suites, RSA-1024 SHA-1 leaf",
        cert="legacy",
        tls="legacy",
    ),
    SiteDef("expired", "leaf expired yesterday", cert="expired"),
    SiteDef("expiring", "leaf valid, expires in 10 days", cert="expiring"),
    SiteDef("selfsigned", "self-signed leaf", cert="selfsigned"),
    SiteDef("wronghost", "certificate for other.trustscan.test", cert="wronghost"),
    SiteDef("nochain", "leaf only, intermediate missing", cert="nochain"),
    SiteDef(
        "httponly",
        "nothing on the HTTPS port; plain HTTP serves content",
        cert=None,
        hsts=False,
        http_redirect=False,
    ),
    SiteDef("nohsts", "no HSTS header; HTTP serves 200 instead of redirecting", hsts=False, http_redirect=False),
    SiteDef("sectxt-missing", "no security.txt (404)", sectxt="missing"),
    SiteDef("sectxt-expired", "security.txt Expires in the past", sectxt="expired"),
    SiteDef("sectxt-legacy", "security.txt only at /security.txt", sectxt="legacy"),
    SiteDef("sectxt-badcontact", "Contact: not-a-uri (no valid contact)", sectxt="badcontact"),
    SiteDef("sectxt-twoexpires", "two Expires fields", sectxt="twoexpires"),
    SiteDef("sectxt-wrongtype", "security.txt served as text/html", sectxt="wrongtype"),
    SiteDef("sectxt-signed", "PGP clear-signed valid security.txt", sectxt="signed"),
    SiteDef("sectxt-huge", "a 2 MB security.txt", sectxt="huge"),
    SiteDef("sectxt-badcanonical", "Canonical points to another URL", sectxt="badcanonical"),
    SiteDef("sectxt-warnings", "usable security.txt with RFC 9116 errors: no space, 'English', unknown field",
            sectxt="warnings"),
    SiteDef("sectxt-noexpires", "security.txt without Expires", sectxt="noexpires"),
    SiteDef("hostile", "markup payloads in the home page title and security.txt Contact", sectxt="hostile",
            title=HOSTILE_TITLE),
    SiteDef("listed-domain", "its own domain is on the world's blocklist snapshot", listed="domain"),
    SiteDef("listed-ip", "its address falls in a CIDR range on the world's blocklist snapshot", listed="ip"),
    *(SiteDef(name, what) for name, (what, _) in CONTENT_SITES.items()),  # criteria b and đ
    *(SiteDef(name, site.what) for name, site in FETCH_SITES.items()),  # đ: cloaking, sitemaps, frames...
    # Criterion a hygiene: each differs from good in its hygiene only.
    SiteDef("a-noheaders", "no CSP, X-Content-Type-Options or Referrer-Policy", hygiene="noheaders"),
    SiteDef("a-exposed", "serves /.git/HEAD, /.git/config and /.env", hygiene="exposed"),
    SiteDef("a-disclosure", "server_tokens on, X-Powered-By: PHP/5.6.40", hygiene="disclosure"),
    SiteDef("a-catchall", "answers 200 with the home page for every path (no exposure)", hygiene="catchall"),
    SiteDef("a-badcookie", "sets PHPSESSID without Secure, HttpOnly or SameSite", hygiene="badcookie"),
)


def hygiene_options(site: SiteDef) -> dict[str, Any]:
    """The nginx.Server settings of a site's HTTPS server for its criterion-a hygiene."""
    headers = () if site.hygiene == "noheaders" else GOOD_SECURITY_HEADERS
    if site.hygiene == "disclosure":
        headers += (("X-Powered-By", "PHP/5.6.40"),)
    if site.hygiene == "badcookie":
        headers += (("Set-Cookie", "PHPSESSID=0123456789abcdef; path=/"),)
    if site.name in CONTENT_COOKIES:  # criterion b: a tracker's cookie set by the site on the first view
        headers += (("Set-Cookie", CONTENT_COOKIES[site.name]),)
    return {"headers": headers, "server_tokens": site.hygiene == "disclosure", "catch_all": site.hygiene == "catchall"}


EXPOSED_FILES = (
    ("/.git/HEAD", b"ref: refs/heads/main\n"),
    ("/.git/config", b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"),
    ("/.env", b"APP_ENV=production\nAPP_KEY=base64:c2VjcmV0LWZvci10ZXN0cw==\nDB_HOST=127.0.0.1\nDB_PASSWORD=hunter2\n"),
)


def site_ip(index: int) -> str:
    """The loopback address of the site at *index* in :data:`SITES`."""
    return f"127.0.0.{FIRST_SITE_OCTET + index}"


def idn_host() -> str:
    """The Unicode IDN host name that points at the good site."""
    return f"{IDN_LABEL}.{DOMAIN}"


def idn_host_ascii() -> str:
    """The IDN host name in punycode, as DNS and TLS SNI carry it (IDNA 2008, via dnspython/idna)."""
    return dns.name.from_text(idn_host()).to_text(omit_final_dot=True)


def issue_cert(ca: LocalCA, site: SiteDef, now: dt.datetime) -> IssuedCert | None:
    """Issue the certificate a site presents, dated relative to *now*."""
    if site.cert is None:
        return None
    day = dt.timedelta(days=1)
    hosts = [site.host]
    kwargs: dict = {"not_before": now - 30 * day, "not_after": now + 90 * day}
    match site.cert:
        case "good":
            if site.name == "good":
                hosts.append(idn_host_ascii())
        case "legacy":
            kwargs.update(key="rsa1024", sha1=True)
        case "expired":
            kwargs.update(not_before=now - 90 * day, not_after=now - day)
        case "expiring":
            kwargs.update(not_after=now + 10 * day)
        case "selfsigned":
            kwargs.update(self_signed=True)
        case "wronghost":
            hosts = [f"other.{DOMAIN}"]
        case "nochain":
            kwargs.update(include_intermediate=False)
    return ca.issue(hosts, name=site.name, **kwargs)


@dataclass(frozen=True)
class File:
    """A file to serve at URL *path*; ``content_type=None`` lets nginx pick by extension."""

    path: str
    body: bytes
    content_type: str | None = None


def site_files(site: SiteDef, *, https_port: int, now: dt.datetime) -> list[File]:
    """The files a site serves: a home page and its security.txt variant."""
    home = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(site.title or site.host)}</title>"
        f"</head><body><h1>{site.host}</h1><p>{site.what}</p>{PRIVACY_FOOTER}</body></html>\n"
    )
    files = [File("/index.html", home.encode())]
    if site.hygiene == "exposed":
        files += [File(path, body) for path, body in EXPOSED_FILES]
    # Criteria b and đ: every site links a privacy policy; content sites replace pages (tests/world/content.py).
    files += [File(path, body) for path, body in content_files(site.name, site.host).items()]
    files += [File(path, body, content_type(path))
              for path, body in fetch_files(site.name, site.host, https_url(site.host, https_port, "")).items()]
    year = now + dt.timedelta(days=365)
    contact = f"mailto:security@{site.host}"
    canonical = https_url(site.host, https_port, SECURITY_TXT_PATH)
    valid = security_txt(
        contact=[contact], expires=[year], canonical=canonical, extra=[("Preferred-Languages", "en, vi")]
    )
    kind = site.sectxt
    if kind == "missing":
        return files
    text = {
        "valid": valid,
        "legacy": valid,
        "wrongtype": valid,
        "expired": security_txt(contact=[contact], expires=[now - dt.timedelta(days=30)], canonical=canonical),
        "badcontact": security_txt(contact=["not-a-uri"], expires=[year], canonical=canonical),
        "twoexpires": security_txt(
            contact=[contact], expires=[year, now + dt.timedelta(days=200)], canonical=canonical
        ),
        "badcanonical": security_txt(
            contact=[contact], expires=[year], canonical=f"https://elsewhere.{DOMAIN}{SECURITY_TXT_PATH}"
        ),
        "hostile": security_txt(  # one payload parses as a valid https URI, one is an invalid contact
            contact=[contact, f"https://{site.host}/{HOSTILE_URL_PAYLOAD}", HOSTILE_PAYLOAD],
            expires=[year], canonical=canonical),
        "warnings": security_txt(contact=[contact], expires=[year], canonical=canonical,
                                 extra=[("Preferred-Languages", "English"), ("X-Bug-Bounty", "yes")]
                                 ).replace("Contact: ", "Contact:", 1),
        "noexpires": security_txt(contact=[contact], expires=[], canonical=canonical),
        "signed": _clearsign(valid),
        "huge": _pad(valid, 2 * 1024 * 1024),
    }[kind]
    path = "/security.txt" if kind == "legacy" else SECURITY_TXT_PATH
    files.append(File(path, text.encode(), "text/html" if kind == "wrongtype" else None))
    return files


def _clearsign(text: str) -> str:
    """Wrap *text* in an OpenPGP clear-signed frame with a syntactically plausible, fake signature."""
    fake_signature = (
        "iHUEARYIAB0WIQTrdXN0c2Nhbi1sb2NhbHdvcmxkLWZha2UFAmY0AAAACgkQAAAA\n"
        "AAAAAAAA8PEA/0ZBS0UtU0lHTkFUVVJFLU5PVC1WQUxJRC1KVVNULUZPUi1URVNU\n"
        "AP9GQUtFLVNJR05BVFVSRS1OT1QtVkFMSUQtSlVTVC1GT1ItVEVTVFM=\n"
        "=17h0\n"  # the RFC 4880 §6.1 CRC-24 of the data above, so only the signature itself is fake
    )
    return (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
        + text
        + "-----BEGIN PGP SIGNATURE-----\n\n"
        + fake_signature
        + "-----END PGP SIGNATURE-----\n"
    )


def _pad(text: str, size: int) -> str:
    """Pad a valid security.txt with comment lines up to *size* bytes (fields stay at the top)."""
    line = "# " + "padding " * 8 + "\n"
    count = (size - len(text.encode())) // len(line) + 1
    return text + line * count


def write_files(root: Path, files: list[File]) -> None:
    """Write *files* below the document root *root*."""
    for f in files:
        target = root / f.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.body)
