"""Sitemap seeding of the crawl (issue 10 item 2): robots.txt and /sitemap.xml, indexes, gzip, caps."""

from __future__ import annotations

import asyncio
import gzip
import time
from typing import Any

import httpx

from trustscan.collect.crawl import sitemap
from trustscan.collect.crawl.crawl import CrawlLimits, crawl_site
from trustscan.collect.crawl.sitemap import choose, decompress, discover, parse_sitemap
from trustscan.core.catalog import load_catalog

HTML = {"content-type": "text/html; charset=utf-8"}
XML = {"content-type": "application/xml"}
ORIGIN = "https://site.test"


def urlset(*paths: str) -> bytes:
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{ORIGIN}{p}</loc></url>" for p in paths) + "</urlset>").encode()


def index(*paths: str) -> bytes:
    return ('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<sitemap><loc>{ORIGIN}{p}</loc></sitemap>" for p in paths) + "</sitemapindex>").encode()


def serve(files: dict[str, tuple[bytes, dict[str, str]]], log: list[str] | None = None) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if log is not None:
            log.append(str(request.url))
        found = files.get(request.url.path if request.url.host == "site.test" else str(request.url))
        if found is None:
            return httpx.Response(404, headers=HTML, content=b"<p>not found</p>")
        body, headers = found
        if headers.get("location"):
            return httpx.Response(301, headers=headers)
        return httpx.Response(200, headers=headers, content=body)
    return httpx.MockTransport(handler)


def run_discover(files: dict[str, tuple[bytes, dict[str, str]]], log: list[str] | None = None) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=serve(files, log)) as client:
            return await discover(client, ORIGIN, "site.test", timeout=5, deadline=time.monotonic() + 10)
    return asyncio.run(go())


def test_parse_urlset_index_prefixed_entities_and_text() -> None:
    assert parse_sitemap(urlset("/a", "/b").decode()) == ("urlset", [f"{ORIGIN}/a", f"{ORIGIN}/b"])
    assert parse_sitemap(index("/s1.xml").decode()) == ("index", [f"{ORIGIN}/s1.xml"])
    prefixed = '<sm:urlset xmlns:sm="x"><sm:url><sm:loc> https://site.test/?a=1&amp;b=2 </sm:loc></sm:url></sm:urlset>'
    assert parse_sitemap(prefixed) == ("urlset", ["https://site.test/?a=1&b=2"])
    assert parse_sitemap("https://site.test/a\n\nnot a url\nhttps://site.test/b\n") == (
        "text", ["https://site.test/a", "https://site.test/b"])
    # An entity is unescaped once, never expanded from a DTD: no billion laughs.
    laughs = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><urlset><url><loc>https://site.test/&a;</loc></url></urlset>'
    assert parse_sitemap(laughs) == ("urlset", ["https://site.test/&a;"])


def test_parse_is_linear_on_hostile_markup() -> None:
    started = time.monotonic()
    kind, found = parse_sitemap("<urlset>" + "<loc>" * 200_000)  # a megabyte of unclosed <loc>
    assert (kind, found) == ("urlset", []) and time.monotonic() - started < 2


def test_gzip_is_capped_after_decompression() -> None:
    bomb = gzip.compress(b"\0" * 1_000_000)
    assert decompress(bomb, cap=1000) == (b"\0" * 1000, True)
    assert decompress(gzip.compress(b"<urlset/>")) == (b"<urlset/>", False)


def test_robots_index_gzip_and_sitemap_xml_are_all_read() -> None:
    files = {
        "/robots.txt": (f"User-agent: *\nSitemap: {ORIGIN}/index.xml\nsitemap:https://elsewhere.test/s.xml\n".encode(),
                        {"content-type": "text/plain"}),
        "/index.xml": (index("/pages.xml.gz", "/missing.xml"), XML),
        "/pages.xml.gz": (gzip.compress(urlset("/", "/uploads/doorway.html", "/a.html")),
                          {"content-type": "application/gzip"}),
        "/sitemap.xml": (urlset("/b.html") + b"<url><loc>https://elsewhere.test/x</loc></url>", XML),
    }
    log: list[str] = []
    found = run_discover(files, log)
    assert list(found["urls"]) == [f"{ORIGIN}/b.html", f"{ORIGIN}/", f"{ORIGIN}/uploads/doorway.html",
                                   f"{ORIGIN}/a.html"]
    assert found["urls"][f"{ORIGIN}/uploads/doorway.html"] == f"{ORIGIN}/pages.xml.gz"
    assert found["robots"]["not_followed"] == ["https://elsewhere.test/s.xml"]  # another host's sitemap
    assert not any("elsewhere" in url for url in log)
    by_url = {f["url"]: f for f in found["files"]}
    assert by_url[f"{ORIGIN}/index.xml"]["kind"] == "index"
    assert by_url[f"{ORIGIN}/missing.xml"]["error"] == "status 404"
    assert by_url[f"{ORIGIN}/sitemap.xml"]["other_hosts"] == 1
    assert load_catalog("vi").reworded(by_url[f"{ORIGIN}/missing.xml"])["error"] == "mã trạng thái 404"


def test_caps_on_files_urls_and_gzip_bombs() -> None:
    many = {f"/s{i}.xml": (urlset(f"/p{i}"), XML) for i in range(30)}
    found = run_discover({"/sitemap.xml": (index(*many), XML), **many})
    assert len(found["files"]) == sitemap.MAX_FILES and found["robots"]["not_read"] == 30 - sitemap.MAX_FILES + 1
    huge = run_discover({"/sitemap.xml": (urlset(*(f"/p{i}" for i in range(sitemap.MAX_URLS + 100))), XML)})
    assert len(huge["urls"]) == sitemap.MAX_URLS
    bomb = gzip.compress(urlset("/first") + b" " * (sitemap.MAX_FILE_BYTES * 4))
    capped = run_discover({"/sitemap.xml": (bomb, {"content-type": "application/gzip"})})
    assert capped["files"][0]["notes"] == [
        f"decompresses to more than {sitemap.MAX_FILE_BYTES} bytes: read up to there"]
    assert load_catalog("vi").reworded(capped["files"][0])["notes"] == [
        f"giải nén ra hơn {sitemap.MAX_FILE_BYTES} byte: chỉ đọc đến đó"]
    half = sitemap.MAX_URLS // 2 + 10
    two = run_discover({"/sitemap.xml": (index("/a.xml", "/b.xml"), XML),
                        "/a.xml": (urlset(*(f"/a{i}" for i in range(half))), XML),
                        "/b.xml": (urlset(*(f"/b{i}" for i in range(half))), XML)})
    last = next(f for f in two["files"] if f.get("notes"))
    assert last["notes"] == [f"more than {sitemap.MAX_URLS} URLs in all: the rest ignored"]
    assert load_catalog("vi").reworded(two)["files"][two["files"].index(last)]["notes"] == [
        f"tổng cộng hơn {sitemap.MAX_URLS} URL: phần còn lại bị bỏ qua"]  # nested in the summary, said too
    assert list(capped["urls"]) == [f"{ORIGIN}/first"]


def test_redirects_off_the_host_are_not_followed() -> None:
    found = run_discover({"/sitemap.xml": (b"", {"location": "https://elsewhere.test/sitemap.xml"}),
                          "https://elsewhere.test/sitemap.xml": (urlset("/x"), XML)})
    assert found["urls"] == {} and found["files"][0]["error"].startswith("redirected to https://elsewhere.test")
    assert load_catalog("vi").reworded(found["files"][0])["error"].startswith(
        "bị chuyển hướng tới https://elsewhere.test")


def test_choose_prefers_unreached_doorway_like_urls() -> None:
    listed = {f"{ORIGIN}/{p}": "s" for p in ("a.html", "b.html", "wp-content/uploads/x.html", "nha-cai-uy-tin.html",
                                              "seen.html")}
    chosen = [url for url, _ in choose(listed, {f"{ORIGIN}/seen.html"}, 3)]
    assert chosen == [f"{ORIGIN}/wp-content/uploads/x.html", f"{ORIGIN}/nha-cai-uy-tin.html", f"{ORIGIN}/a.html"]


def test_crawl_fetches_sitemap_pages_beyond_max_pages_without_following_their_links() -> None:
    files = {
        "/": (b'<a href="/a">a</a><a href="/b">b</a>', HTML),
        "/a": (b"<p>a</p>", HTML),
        "/b": (b"<p>b</p>", HTML),
        "/sitemap.xml": (urlset("/", "/a", "/uploads/door.html", "/c.pdf"), XML),
        "/uploads/door.html": (b'<a href="/uploads/next.html">next</a>', HTML),
    }

    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=serve(files)) as client:
            return await crawl_site(client, [f"{ORIGIN}/"], "site.test",
                                    CrawlLimits(max_pages=2, deadline=time.monotonic() + 10))

    result = asyncio.run(go())
    urls = [p["url"] for p in result["pages"]]
    assert urls == [f"{ORIGIN}/", f"{ORIGIN}/a", f"{ORIGIN}/uploads/door.html"]  # /b: max_pages; /c.pdf: no page
    assert result["pages"][2]["found_in"] == f"{ORIGIN}/sitemap.xml" and result["sitemap_pages"] == 1
    assert result["sitemaps"]["pages_fetched"] == [f"{ORIGIN}/uploads/door.html"]
    assert result["stopped"] == "max_pages"


def test_no_sitemap_reading_when_disabled() -> None:
    log: list[str] = []

    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=serve({"/": (b"<p>home</p>", HTML)}, log)) as client:
            return await crawl_site(client, [f"{ORIGIN}/"], "site.test",
                                    CrawlLimits(sitemap_pages=0, deadline=time.monotonic() + 10))

    result = asyncio.run(go())
    assert log == [f"{ORIGIN}/"] and result["sitemaps"] is None


def test_a_content_encoding_bomb_is_capped_by_the_body_reader() -> None:
    bomb = gzip.compress(urlset("/first") + b" " * (sitemap.MAX_FILE_BYTES * 4))
    found = run_discover({"/sitemap.xml": (bomb, {"content-type": "application/xml", "content-encoding": "gzip"})})
    assert found["files"][0]["notes"] == [f"longer than {sitemap.MAX_FILE_BYTES} bytes: read up to there"]
    assert load_catalog("vi").reworded(found["files"][0])["notes"] == [
        f"dài hơn {sitemap.MAX_FILE_BYTES} byte: chỉ đọc đến đó"]
    assert list(found["urls"]) == [f"{ORIGIN}/first"]
