"""The crawler and the b/đ analyses through an injected transport: limits, hostile servers, findings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.world.content import encode_windows_1258
from trustscan.collect.crawl.consent import personal_data_forms
from trustscan.collect.crawl.content import analyse_content, outbound_hosts
from trustscan.collect.crawl.crawl import CrawlLimits, crawl_site
from trustscan.collect.crawl.links import match_outbound
from trustscan.collect.crawl.privacy import analyse_privacy
from trustscan.collect.crawl.tracking import tracking_before_consent
from trustscan.core.catalog import load_catalog
from trustscan.core.errors import ProbeError
from trustscan.lists.matcher import SnapshotSet, snapshot_from_bytes

HTML = {"content-type": "text/html; charset=utf-8"}
Handler = Callable[[httpx.Request], httpx.Response]


def crawl(handler: Handler, *, start: list[str] | None = None, **limits: Any) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            bounds = CrawlLimits(**{"deadline": time.monotonic() + 10, **limits})
            return await crawl_site(client, start or ["https://site.test/"], "site.test", bounds)
    return asyncio.run(go())


def pages(site: dict[str, bytes | str]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        body = site.get(request.url.path)
        if body is None:
            return httpx.Response(404, headers=HTML, content=b"<p>not found</p>")
        return httpx.Response(200, headers=HTML, content=body.encode() if isinstance(body, str) else body)
    return handler


def test_crawl_is_bounded_by_max_pages_and_depth() -> None:
    site = {"/": "".join(f'<a href="/p{i}">{i}</a>' for i in range(50))}
    site |= {f"/p{i}": f'<a href="/p{i}/deeper">d</a>' for i in range(50)}
    result = crawl(pages(site), max_pages=10)
    assert result["pages_fetched"] == 10 and result["stopped"] == "max_pages" and not result["complete"]
    assert result["links_not_followed"] == 41 + 9  # 41 left on the home page, one on each page fetched
    shallow = crawl(pages(site), max_pages=100, max_depth=1)
    assert max(p["depth"] for p in shallow["pages"]) == 1 and shallow["pages_fetched"] == 51


def test_redirects_are_recorded_loops_stopped_and_offsite_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/":
            return httpx.Response(200, headers=HTML, content=b'<a href="/loop">l</a><a href="/away">a</a>'
                                  b'<a href="/moved">m</a>')
        if path == "/loop":
            return httpx.Response(302, headers={"location": "/loop2"})
        if path == "/loop2":
            return httpx.Response(302, headers={"location": "/loop"})
        if path == "/away":
            return httpx.Response(301, headers={"location": "https://elsewhere.example/"})
        if path == "/moved":
            return httpx.Response(301, headers={"location": "/new", "set-cookie": "sid=1; Secure; HttpOnly"})
        return httpx.Response(200, headers=HTML, content=b"<p>new</p>")

    by_url = {p["url"]: p for p in crawl(handler)["pages"]}
    assert by_url["https://site.test/loop"]["error"] == "redirect loop"
    assert by_url["https://site.test/away"]["offsite_redirect"] == "https://elsewhere.example/"
    moved = by_url["https://site.test/moved"]
    assert moved["final_url"] == "https://site.test/new" and moved["status"] == 200
    assert moved["redirect_chain"] == [{"url": "https://site.test/moved", "status": 301, "location": "/new"}]
    assert moved["cookies"] == [{"name": "sid", "secure": True, "httponly": True, "samesite": None}]


def test_huge_bodies_are_capped_and_downloads_skipped() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/":
            return httpx.Response(200, headers=HTML, content=b'<a href="/file">f</a><a href="/doc.pdf">p</a>'
                                  + b"<p>" + b"x" * 5_000_000)
        return httpx.Response(200, headers={"content-type": "application/zip"}, content=b"PK" * 1000)

    result = crawl(handler, max_body=1_000_000)
    home, file = result["pages"]
    assert home["truncated"] and home["bytes"] == 1_000_000 and home["html"]["links"]
    assert file["html"] is None and file["bytes"] == 0  # not HTML: body not read
    assert "/doc.pdf" not in calls


def test_a_page_not_read_to_its_end_cannot_pass_but_what_was_seen_still_fails() -> None:
    spam = '<div hidden><a href="https://casino.example/">casino</a></div>'
    cut = analyse_content(crawl(pages({"/": "<p>" + "x" * 2000 + spam}), max_body=1000), "site.test")
    assert cut["pages_fully_read"] is None and cut["hidden_spam_links"] == []  # the rules say error
    assert cut["pages_not_fully_read"] == [{"page": "https://site.test/", "reason": "longer than the crawl's "
                                            "body cap: only the first 1000 bytes were read",
                                            "reason_wording": {"id": "error.page.truncated",
                                                               "values": {"bytes": 1000}}}]
    deep = analyse_content(crawl(pages({"/": spam + "<b>" * 2100 + spam.replace("casino.", "bet.")})), "site.test")
    assert deep["pages_fully_read"] is None and deep["pages_not_fully_read"][0]["reason"].startswith(
        "HTML parsing stopped at line 1")
    assert [f["target"] for f in deep["hidden_spam_links"]] == ["https://casino.example/"]  # seen: the rule fails
    whole = analyse_content(crawl(pages({"/": spam})), "site.test")
    assert whole["pages_fully_read"] is True and whole["pages_not_fully_read"] == []


def test_same_site_stylesheets_and_scripts_are_read_once_and_within_bounds() -> None:
    calls: list[str] = []
    head = ('<link rel="stylesheet" href="/css/site.css"><link rel="stylesheet" href="https://cdn.example/x.css">'
            + "".join(f'<link rel="stylesheet" href="/css/{i}.css">' for i in range(12))
            + '<script src="/js/app.js"></script><script src="https://cdn.example/y.js"></script>')
    body = '<div class="sp"><a href="https://casino.example/">casino</a></div><a href="/b">b</a>'
    site = {"/": f"<head>{head}</head>{body}", "/b": f"<head>{head}</head><p>b</p>",
            "/css/site.css": ".sp{position:absolute;left:-9999px}", "/js/app.js": 'var m=new CoinHive.Anonymous("k");'}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        body = site.get(request.url.path)
        if body is None:
            return httpx.Response(404, content=b"")
        kind = {"css": "text/css", "js": "application/javascript"}.get(request.url.path.rsplit(".", 1)[-1],
                                                                          "text/html")
        return httpx.Response(200, headers={"content-type": kind}, content=body.encode())

    result = crawl(handler)
    assert calls.count("https://site.test/css/site.css") == 1 and calls.count("https://site.test/js/app.js") == 1
    assert not [url for url in calls if "cdn.example" in url]  # never another host's files
    assert result["subresources"] == {"fetched": {"stylesheet": 10, "script": 1},
                                      "not_fetched_over_limit": {"stylesheet": 3, "script": 0}, "read": 2}
    home = result["pages"][0]["html"]
    assert home["links"][0]["hidden"] == ("ancestor div.sp: off-screen (left:-9999px) "
                                          "(CSS .sp in https://site.test/css/site.css)")
    (app,) = [script for script in home["scripts"] if script["url"] == "https://site.test/js/app.js"]
    assert app["read"] is True and [signal["id"] for signal in app["signals"]] == ["miner.coinhive"]
    facts = analyse_content(result, "site.test")
    assert [f["element"] for f in facts["cryptominers"]] == ["<script src=/js/app.js>"]
    assert facts["hidden_spam_links"][0]["target"] == "https://casino.example/"


def test_slow_server_cannot_hold_the_crawl_past_its_deadline() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/":
            await asyncio.sleep(30)
        return httpx.Response(200, headers=HTML, content=b'<a href="/slow1">1</a><a href="/slow2">2</a>')

    clock = time.monotonic()
    result = crawl(handler, deadline=time.monotonic() + 1.0, request_timeout=5)
    assert time.monotonic() - clock < 3
    assert result["stopped"] == "deadline" and result["pages"][0]["status"] == 200
    assert all(page["status"] is None for page in result["pages"][1:])  # cut: recorded as errors, or not at all


def test_https_failure_falls_back_to_http_and_total_failure_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, headers=HTML, content=b"<p>plain</p>")

    result = crawl(handler, start=["https://site.test/", "http://site.test/"])
    assert result["start_url"] == "http://site.test/" and result["html_pages"] == 1

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(ProbeError, match="home page could not be fetched: ConnectError"):
        crawl(down)


def test_a_site_without_any_html_page_cannot_pass_content_rules() -> None:
    result = crawl(lambda r: httpx.Response(500, headers={"content-type": "text/plain"}, content=b"oops"))
    with pytest.raises(ProbeError, match="no HTML page could be read"):
        analyse_content(result, "site.test")


def test_windows_1258_page_is_decoded_and_analysed() -> None:
    home = encode_windows_1258('<meta charset="windows-1258"><div style="display:none">'
                               '<a href="https://x.example/">Nhà cái uy tín</a></div>')
    result = crawl(pages({"/": home}))
    html = result["pages"][0]["html"]
    assert html["encoding"] == "cp1258" and html["encoding_source"] == "meta"
    assert html["links"][0]["text"] == "Nhà cái uy tín"
    spam = analyse_content(result, "site.test")["hidden_spam_links"]
    assert spam[0]["terms"] == ["nhà cái", "nhà cái uy tín"] and spam[0]["page"] == "https://site.test/"


SITE = {
    "/": ('<head><script src="https://connect.facebook.net/en_US/fbevents.js"></script></head>'
          '<a href="/chinh-sach">Chính sách quyền riêng tư</a><a href="https://partner.example/">p</a>'
          '<a href="https://cdn.site.test/x" hidden>same site, hidden</a>'
          '<footer style="display:none"><a href="https://casino.example/">Casino</a>'
          '<a href="https://news.example/">Tin tức</a></footer>'
          '<form id="lh" action="/lien-he" method="post"><input name="fullName"><input type="tel" name="x">'
          "</form>"
          '<form action="/login" method="post"><input type="email" name="email"><input type="password" name="p">'
          "</form>"
          '<form action="/dk" method="post"><input name="email"><input type="checkbox" name="agree" id="c" required>'
          '<label for="c">Tôi đồng ý với <a href="/chinh-sach">chính sách</a></label></form>'),
    "/chinh-sach": ("<title>Privacy policy</title><p>We collect and process personal data only with your consent, "
                    "for the purposes below; third parties receive none.</p>"),
}


def test_content_findings_name_page_element_and_reason() -> None:
    facts = analyse_content(crawl(pages(SITE)), "site.test")
    (spam,) = facts["hidden_spam_links"]  # the hidden news link and the hidden same-site link are not spam
    assert spam == {"page": "https://site.test/", "element": "<a href=https://casino.example/>",
                    "reason": "hidden off-site link (ancestor footer: display:none) with gambling terms",
                    "reason_wording": {"id": "finding.hidden_link", "values": {"how": {
                        "id": "hiding.ancestor", "values": {"element": "footer", "how": {
                            "id": "hiding.declaration", "values": {"declaration": "display:none"}}}}}},
                    "target": "https://casino.example/", "text": "Casino", "terms": ["casino"]}
    assert load_catalog("vi").value(spam) == ("<a href=https://casino.example/> [liên kết ẩn (nằm trong phần tử bị ẩn "
                                              "footer: display:none) ra trang khác chứa từ ngữ cờ bạc] "
                                              "@ https://site.test/")
    assert facts["scripts_without_integrity"][0]["target"] == "https://connect.facebook.net/en_US/fbevents.js"


def test_privacy_policy_forms_and_trackers() -> None:
    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(pages(SITE))) as client:
            result = await crawl_site(client, ["https://site.test/"], "site.test",
                                      CrawlLimits(deadline=time.monotonic() + 10))
            return await analyse_privacy(client, result, timeout=5, deadline=time.monotonic() + 5)

    facts = asyncio.run(go())
    assert facts["policy_found"] and facts["policy_url"] == "https://site.test/chinh-sach"
    assert facts["policy_consent_terms"] == ["consent"] and facts["law_references"] == []
    assert facts["policy_recognition"]["heading_terms"] == ["privacy policy"]
    assert facts["forms_without_consent"] == [{"page": "https://site.test/", "form": "form#lh",
                                               "action": "https://site.test/lien-he",
                                               "personal_fields": ["fullName", "x"],
                                               "problems": ["no consent control",
                                                            "no link to the personal-data policy in the form"],
                                               "problems_wording": [{"id": "consent.no_control", "values": {}},
                                                                    {"id": "consent.no_policy_link", "values": {}}]}]
    assert load_catalog("vi").value(facts["forms_without_consent"][0]).endswith(
        ": không có ô hay lựa chọn để đồng ý; biểu mẫu không có liên kết tới chính sách dữ liệu cá nhân")
    consented = [f for f in facts["personal_data_forms"] if f["consent"]["affirmative"]]
    assert [f["consent"]["control"] for f in consented] == ["checkbox agree"]  # the login form is not counted
    assert facts["trackers"] == ["Meta (Facebook) Pixel"]
    assert facts["tracker_findings"] == [{"tracker": "Meta (Facebook) Pixel", "page": "https://site.test/",
                                          "script": "https://connect.facebook.net/en_US/fbevents.js"}]


def test_personal_forms_and_cookies_on_their_own() -> None:
    page = {"url": "https://s/", "html": {"forms": [{"element": "form #1", "action_url": "https://s/q", "fields": [
        {"name": "q", "type": "search"}], "links": [], "text": ""}], "scripts": []},
        "cookies": [{"name": "_ga"}, {"name": "PHPSESSID"}]}
    assert personal_data_forms([page], None) == []
    tracking = tracking_before_consent([page])
    assert tracking["tracking_cookies"] == [{"name": "_ga", "tracker": "Google Analytics / gtag.js", "page": "https://s/"}]
    assert tracking["trackers"] == ["Google Analytics / gtag.js"]


def test_outbound_hosts_against_snapshots() -> None:
    result = crawl(pages({"/": '<a href="https://www.nha-cai.example/">x</a><script src="https://cdn.ok.example/a.js">'
                                "</script><form action='https://bad.example.test/post'></form>"}))
    places = outbound_hosts(result, "site.test")
    assert set(places) == {"www.nha-cai.example", "cdn.ok.example", "bad.example.test"}
    snapshot, _ = snapshot_from_bytes(b"*.nha-cai.example\nbad.example.test\n", name="test", source="test",
                                      imported_at=datetime.now(UTC), origin="file")
    facts = match_outbound(SnapshotSet([snapshot]), places)
    assert [item["host"] for item in facts["listed"]] == ["bad.example.test", "www.nha-cai.example"]
    assert facts["listed"][0]["seen_on"] == [{"page": "https://site.test/", "element": "<form action>"}]
    with pytest.raises(ProbeError, match="trustscan lists import"):
        match_outbound(SnapshotSet([]), places)


def test_every_page_is_a_first_visit_without_cookies() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, headers={**HTML, "set-cookie": "_ga=GA1.1; Path=/"},
                              content=b'<a href="/b">b</a>')

    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler), cookies={"sid": "earlier"}) as client:
            return await crawl_site(client, ["https://site.test/"], "site.test",
                                    CrawlLimits(deadline=time.monotonic() + 10))

    result = asyncio.run(go())
    assert seen == [None] * 4  # the two pages, /robots.txt and /sitemap.xml: all first visits
    assert [c["name"] for c in result["pages"][0]["cookies"]] == ["_ga"]
