"""Criterion a probes: header analysis (pure), sensitive-path exposure (injected transport), DNS zone (local DNS)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from trustscan.collect.dns.zone import caa_candidates, probe_zone
from trustscan.collect.http.exposure import BODY_CAP, CANDIDATES, KINDS, probe_exposure
from trustscan.collect.http.headers import header_facts, parse_set_cookie
from trustscan.core.catalog import load_catalog
from trustscan.core.errors import ProbeError
from trustscan.core.settings import NameServer
from trustscan.localworld.dns import LocalDNSServer
from trustscan.net.httpclient import make_client
from trustscan.net.resolve import Resolver

# --- headers ----------------------------------------------------------------------------------------


def facts(*pairs: tuple[str, str]) -> dict:
    return header_facts(httpx.Headers(list(pairs)))


def test_good_headers() -> None:
    seen = facts(("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
                 ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer, strict-origin"),
                 ("Server", "nginx"))
    assert seen["csp_present"] and seen["framing_protected"] and seen["csp_frame_ancestors"] == "'none'"
    assert seen["nosniff"] and seen["referrer_policy"] == "strict-origin" and seen["referrer_policy_safe"]
    assert seen["version_disclosure"] == [] and seen["cookies"] == []


def test_missing_and_unsafe_headers() -> None:
    seen = facts(("Referrer-Policy", "unsafe-url"), ("X-Content-Type-Options", "sniff-please"),
                 ("Content-Security-Policy", "   "))
    assert not seen["csp_present"] and not seen["framing_protected"] and seen["csp"] is None
    assert not seen["nosniff"] and not seen["referrer_policy_safe"]
    # X-Frame-Options alone protects against framing (legacy equivalent of frame-ancestors).
    assert facts(("X-Frame-Options", "sameorigin"))["framing_protected"]
    assert not facts(("X-Frame-Options", "ALLOW-FROM https://x"))["framing_protected"]


@pytest.mark.parametrize(
    ("header", "value", "disclosed"),
    [("Server", "nginx/1.22.1", True), ("Server", "Apache/2.4.57 (Debian)", True), ("Server", "nginx", False),
     ("Server", "Microsoft-IIS/10.0", True), ("X-Powered-By", "PHP/5.6.40", True), ("X-Powered-By", "Express", False),
     ("X-AspNet-Version", "4.0.30319", True), ("Server", "cloudflare", False)],
)
def test_version_disclosure(header: str, value: str, disclosed: bool) -> None:
    assert bool(facts((header, value))["version_disclosure"]) is disclosed


def test_disclosed_values_are_bounded_and_printable() -> None:
    seen = facts(("Server", "nginx/1.2.3 " + "\x1b[31m" + "A" * 5000))
    value = seen["version_disclosure"][0]["value"]
    assert len(value) <= 200 and "\x1b" not in value


def test_cookies_keep_names_and_flags_never_values() -> None:
    seen = facts(("Set-Cookie", "PHPSESSID=s3cr3t-value; path=/"),
                 ("Set-Cookie", "lang=vi; Secure; SameSite=Lax"),
                 ("Set-Cookie", "laravel_session=x; Secure; HttpOnly; SameSite=Strict"))
    assert "s3cr3t" not in repr(seen)
    assert seen["insecure_cookies"] == ["PHPSESSID"]
    assert seen["weak_session_cookies"] == [{"name": "PHPSESSID", "missing": ["Secure", "HttpOnly", "SameSite"]}]
    assert parse_set_cookie("=novalue; Secure") is None
    assert parse_set_cookie("sid=1; SameSite=bogus; Secure; HttpOnly")["missing"] == ["SameSite"]  # type: ignore[index]
    assert parse_set_cookie("theme=dark")["session"] is False  # type: ignore[index]


# --- exposure ---------------------------------------------------------------------------------------

ORIGIN = "https://site.test"
HOME = b"<!doctype html><title>Trang chu</title><p>Xin chao</p>"


def run_exposure(handler: Callable[[httpx.Request], httpx.Response], timeout: float = 5.0,
                 cookies: dict[str, str] | None = None) -> dict:
    """The probe through an audit's kind of client (make_client), holding `cookies` the site set earlier."""
    async def go() -> dict:
        async with make_client(httpx.MockTransport(handler), timeout=timeout) as client:
            for name, value in (cookies or {}).items():
                client.cookies.set(name, value, domain="site.test")
            return await probe_exposure(client, ORIGIN, timeout=timeout)
    return asyncio.run(go())


def site(files: dict[str, bytes], *, catch_all: bytes | None = None) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path in files:
            return httpx.Response(200, content=files[request.url.path])
        if catch_all is not None:
            return httpx.Response(200, content=catch_all)
        return httpx.Response(404, content=b"not found")
    return handler


EXPOSED = {
    "/.git/HEAD": b"ref: refs/heads/main\n",
    "/.env": b"# prod\nAPP_KEY=abc\nDB_PASSWORD=topsecret\n",
    "/phpinfo.php": b"<html><title>phpinfo()</title><h1>PHP Version 5.6.40</h1>",
    "/server-status": b"Active connections: 3 \nserver accepts handled requests\n",
    "/backup.zip": b"PK\x03\x04" + b"\0" * 100,
    "/database.sql": b"-- MySQL dump 10.13\nCREATE TABLE users (id int);\n",
    "/uploads/": b"<html><head><title>Index of /uploads/</title></head><body>...</body></html>",
}


def test_every_kind_of_exposure_is_found_with_evidence() -> None:
    seen = run_exposure(site({"/": HOME, **EXPOSED}))
    assert [f["path"] for f in seen["vcs"]] == ["/.git/HEAD"]
    assert seen["env"][0]["evidence"] == "2 KEY=value lines: APP_KEY, DB_PASSWORD"
    assert "topsecret" not in repr(seen)  # names only, never the secrets
    assert {f["path"] for f in seen["status_pages"]} == {"/phpinfo.php", "/server-status"}
    assert "PHP 5.6.40" in next(f["evidence"] for f in seen["status_pages"] if f["path"] == "/phpinfo.php")
    assert {f["path"] for f in seen["backups"]} == {"/backup.zip", "/database.sql"}
    assert seen["listings"] == [
        {"path": "/uploads/", "status": 200, "evidence": "directory listing: Index of /uploads/",
         "evidence_wording": {"id": "exposure.listing", "values": {"title": "Index of /uploads/"}}}]
    assert seen["baseline"]["status"] == 404 and seen["unreachable"] == []


@pytest.mark.parametrize(("language", "expected"), [
    ("en", {"/.git/HEAD": "Git HEAD: ref: refs/heads/main", "/.env": "2 KEY=value lines: APP_KEY, DB_PASSWORD",
            "/phpinfo.php": "phpinfo() page (PHP 5.6.40)",
            "/server-status": "nginx stub_status (Active connections: 3)", "/backup.zip": "ZIP archive signature",
            "/database.sql": "SQL dump (-- MySQL dump)", "/uploads/": "directory listing: Index of /uploads/",
            "/.git/config": "Git config with a [core] section"}),
    ("vi", {"/.git/HEAD": "tệp HEAD của Git: ref: refs/heads/main",
            "/.env": "2 dòng dạng KEY=value: APP_KEY, DB_PASSWORD",
            "/phpinfo.php": "trang phpinfo() (PHP 5.6.40)",
            "/server-status": "trang stub_status của nginx (Active connections: 3)",
            "/backup.zip": "dấu hiệu nhận dạng tệp nén ZIP",
            "/database.sql": "tệp sao lưu cơ sở dữ liệu SQL (-- MySQL dump)",
            "/uploads/": "trang liệt kê thư mục: Index of /uploads/",
            "/.git/config": "tệp cấu hình Git có mục [core]"}),
])
def test_what_an_exposed_file_showed_is_said_in_the_language_asked_for(language: str, expected: dict[str, str]) -> None:
    """The English `evidence` the report keeps, and the same said again from `evidence_wording` in each language."""
    files = {**EXPOSED, "/.git/config": b"[core]\n\trepositoryformatversion = 0\n"}
    seen = run_exposure(site({"/": HOME, **files}))
    found = [finding for kind in KINDS for finding in seen[kind]]
    catalog = load_catalog(language)
    assert {f["path"]: catalog.reworded(f)["evidence"] for f in found} == expected
    assert all(load_catalog("en").reworded(f)["evidence"] == f["evidence"] for f in found)
    old = {"path": "/.git/HEAD", "status": 200, "evidence": "Git HEAD: ref: refs/heads/main"}  # a report from before
    assert catalog.reworded(old) == old


def test_clean_site_has_no_findings() -> None:
    seen = run_exposure(site({"/": HOME}))
    assert all(seen[kind] == [] for kind in ("vcs", "env", "status_pages", "backups", "listings"))
    assert seen["checked"] == [c.path for c in CANDIDATES]


def test_catch_all_200_is_not_a_finding() -> None:
    seen = run_exposure(site({}, catch_all=HOME))
    assert seen["baseline"]["catch_all"] is True
    assert all(seen[kind] == [] for kind in ("vcs", "env", "status_pages", "backups", "listings"))


def test_content_that_the_random_path_also_gets_is_inconclusive() -> None:
    # A site answering *everything* with KEY=value text: /.env proves nothing, so no finding.
    seen = run_exposure(site({}, catch_all=b"A=1\nB=2\n"))
    assert seen["env"] == [] and "/.env" in seen["inconclusive"]


def test_redirects_and_errors_are_not_findings() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.git/HEAD":
            return httpx.Response(301, headers={"Location": "/.git/HEAD"}, content=b"ref: refs/heads/main\n")
        return httpx.Response(403, content=b"A=1\nB=2\n")
    seen = run_exposure(handler)
    assert seen["vcs"] == [] and seen["env"] == []


def test_huge_bodies_are_read_only_up_to_the_cap() -> None:
    served = []

    def handler(request: httpx.Request) -> httpx.Response:
        async def body():  # a 50 MB body in 1 MB chunks, counted as served
            for _ in range(50):
                served.append(1)
                yield b"x" * 1_000_000
        return httpx.Response(200, content=body())
    seen = run_exposure(handler)
    assert seen["env"] == []
    assert len(served) <= (len(CANDIDATES) + 1) * (BODY_CAP // 1_000_000 + 2)


def test_an_unfetchable_candidate_makes_its_kind_unknown_not_clean() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.env":
            raise httpx.ConnectError("connection reset")
        return httpx.Response(404)
    seen = run_exposure(handler)
    assert seen["env"] is None  # the rule reads None as "could not be determined" (error), never pass
    assert seen["vcs"] == [] and seen["unreachable"][0]["path"] == "/.env"


def test_slow_candidate_times_out_into_unknown() -> None:
    async def slow_body():
        yield b"ref: "
        await asyncio.sleep(30)
        yield b"refs/heads/main\n"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.git/HEAD":
            return httpx.Response(200, content=slow_body())
        return httpx.Response(404)
    seen = run_exposure(handler, timeout=0.5)
    assert seen["vcs"] is None and "within" in seen["unreachable"][0]["error"]


def test_baseline_failure_is_a_probe_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")
    with pytest.raises(ProbeError, match="baseline"):
        run_exposure(handler)


# --- DNS zone ---------------------------------------------------------------------------------------


def test_caa_tree_climbing_order() -> None:
    assert caa_candidates("a.b.example.vn.") == ["a.b.example.vn", "b.example.vn", "example.vn", "vn"]


def test_zone_probe_finds_caa_on_a_parent_and_reports_no_dnssec() -> None:
    records = {"www.example.test": ["127.0.0.5"], "example.test": ["127.0.0.5"], "bare.test": ["127.0.0.6"]}
    caa = {"example.test": ['0 issue "ca.example; account=42"', '0 iodef "mailto:soc@example.test"']}
    with LocalDNSServer(records, caa=caa) as server:
        resolver = Resolver(NameServer("127.0.0.1", server.port), timeout=3)
        seen = asyncio.run(probe_zone(resolver, "www.example.test", is_ip=False))
        bare = asyncio.run(probe_zone(resolver, "bare.test", is_ip=False))
    assert seen["caa_present"] and seen["caa_domain"] == "example.test"
    assert seen["caa_issuers"] == ["ca.example"] and seen["caa_iodef"] is True
    assert seen["dnssec_signed"] is False and seen["dnssec_validated"] is False
    assert bare["caa_present"] is False and bare["caa_domain"] is None


def test_zone_probe_without_a_resolver_is_an_error_and_ip_targets_are_not_applicable() -> None:
    with LocalDNSServer({}) as server:
        port = server.port
    resolver = Resolver(NameServer("127.0.0.1", port), timeout=0.5)  # nothing listens there any more
    with pytest.raises(ProbeError, match="CAA lookup"):
        asyncio.run(probe_zone(resolver, "www.example.test", is_ip=False))
    assert asyncio.run(probe_zone(resolver, "127.0.0.9", is_ip=True))["applicable"] is False


def test_exposure_asks_as_an_anonymous_visitor_without_the_sites_cookies() -> None:
    """The paths are asked as an attacker with no session would: the audit's cookies stay out."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return site(EXPOSED)(request)

    facts = run_exposure(handler, cookies={"laravel_session": "s3cr3t"})
    assert facts["vcs"] and len(seen) == len(CANDIDATES) + 1  # the baseline path, then every candidate
    assert all("cookie" not in request.headers for request in seen)
    assert all(request.headers["user-agent"].startswith("trustscan/") for request in seen)
