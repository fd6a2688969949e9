"""The cloaking check (issue 10 item 1) through an injected transport: who gets what, and what is not cloaking."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from trustscan.collect.crawl import crawl as crawl_module
from trustscan.collect.crawl.cloaking import CLOAK_PAGES, check_cloaking, identities, sample
from trustscan.collect.crawl.crawl import CrawlLimits, SameBodies, crawl_site
from trustscan.core.catalog import load_catalog
from trustscan.core.errors import ProbeError
from trustscan.report.localise import localise_verdict

HTML = {"content-type": "text/html; charset=utf-8"}
CLEAN = '<p>Cổng thông tin điện tử</p><a href="https://partner.example/">đối tác</a><a href="/tin">tin</a>'
SPAM = '<p>Nhà cái uy tín, cá cược bóng đá</p><a href="https://nhacai.example/">vào đây</a>'
Handler = Callable[[httpx.Request], httpx.Response]


def is_bot(request: httpx.Request) -> bool:
    return any(name in request.headers.get("user-agent", "") for name in ("Googlebot", "bingbot", "coccocbot"))


def from_search(request: httpx.Request) -> bool:
    return any(name in request.headers.get("referer", "") for name in ("google.", "bing.", "coccoc."))


def check(handler: Handler) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            crawl = await crawl_site(client, ["https://site.test/"], "site.test",
                                     CrawlLimits(sitemap_pages=0, deadline=time.monotonic() + 10))
            return await check_cloaking(client, crawl, "site.test", timeout=5, deadline=time.monotonic() + 10)
    return asyncio.run(go())


def html(body: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers=HTML, content=body.encode())


def test_identities_are_the_three_crawlers_and_three_search_visitors() -> None:
    browser, others = identities()
    assert [i.name for i in others] == ["Googlebot", "Bingbot", "Cốc Cốc crawler", "visitor from Google search",
                                        "visitor from Bing search", "visitor from Cốc Cốc search"]
    assert "Chrome/" in dict(browser.headers)["User-Agent"] and "Referer" not in dict(browser.headers)
    assert "Googlebot/2.1" in dict(others[0].headers)["User-Agent"]
    assert dict(others[5].headers)["Referer"] == "https://coccoc.com/"
    vi = load_catalog("vi")
    assert [vi.say(i.wording) for i in others] == [
        "Googlebot", "Bingbot", "bot thu thập dữ liệu của Cốc Cốc", "khách đến từ trang tìm kiếm Google",
        "khách đến từ trang tìm kiếm Bing", "khách đến từ trang tìm kiếm Cốc Cốc"]
    assert [load_catalog("en").say(i.wording) for i in (browser, *others)] == [i.name for i in (browser, *others)]


def english(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the rules read it: its English fields, without the wordings beside them."""
    return {k: v for k, v in record.items() if not k.endswith("_wording")}


def test_spam_only_crawlers_get_fails_with_links_and_words() -> None:
    facts = check(lambda r: html(CLEAN + (SPAM if is_bot(r) else "")))
    links, words = [d for d in facts["differences"] if d["page"] == "https://site.test/"]
    assert links["kind"] == "gambling text" and links["only_seen_by"] == "Googlebot, Bingbot, Cốc Cốc crawler"
    assert {"nhà cái uy tín", "cá cược"} <= set(links["what"])
    assert english(words) == {"page": "https://site.test/", "kind": "links to other sites",
                              "only_seen_by": "Googlebot, Bingbot, Cốc Cốc crawler", "what": ["nhacai.example"]}
    vi = load_catalog("vi").reworded(words)
    assert vi["kind"] == "liên kết sang trang khác" and vi["what"] == ["nhacai.example"]
    assert vi["only_seen_by"] == "Googlebot, Bingbot, bot thu thập dữ liệu của Cốc Cốc"
    assert load_catalog("vi").reworded(links)["kind"] == "nội dung cờ bạc"
    assert facts["identities_wording"][3] == {"id": "identity.google_search", "values": {}}
    assert facts["outbound"]["nhacai.example"][0]["element"] == "<a href> (as Googlebot)"  # for list reputation
    assert facts["requests"] == 2 * 7  # the home page and /tin, each as a plain visitor and six identities


def test_redirect_only_search_visitors_get_fails() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if from_search(request):
            return httpx.Response(302, headers={"location": "https://nhacai.example/"})
        return html(CLEAN)

    facts = check(handler)
    assert english(facts["differences"][0]) == {
        "page": "https://site.test/", "kind": "redirect", "what": ["HTTP 302 to nhacai.example"],
        "only_seen_by": "visitor from Google search, visitor from Bing search, visitor from Cốc Cốc search"}
    vi = load_catalog("vi").reworded(facts["differences"][0])
    assert vi["kind"] == "chuyển hướng" and vi["what"] == ["HTTP 302 tới nhacai.example"]
    assert vi["only_seen_by"] == ("khách đến từ trang tìm kiếm Google, khách đến từ trang tìm kiếm Bing, "
                                  "khách đến từ trang tìm kiếm Cốc Cốc")
    assert facts["outbound"]["nhacai.example"][0]["element"] == "HTTP redirect (as visitor from Google search)"
    assert load_catalog("vi").reworded(facts["outbound"]["nhacai.example"][0])["element"] == (
        "chuyển hướng HTTP (khi truy cập với tư cách khách đến từ trang tìm kiếm Google)")


def test_script_redirect_for_search_visitors_and_links_hidden_from_crawlers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if from_search(request):
            return html(CLEAN + '<script>window.location.replace("https://nhacai.example/");</script>')
        return html("<p>Cổng thông tin</p>" if is_bot(request) else CLEAN)

    found = {(d["kind"], d["only_seen_by"]): d for d in check(handler)["differences"]
             if d["page"] == "https://site.test/"}
    assert found[("redirect", "visitor from Google search, visitor from Bing search, visitor from Cốc Cốc search")][
        "what"] == ["script to nhacai.example"]
    hidden = found[("links to other sites", "plain visitors")]  # what visitors get and crawlers are not shown
    assert hidden["hidden_from"] == "Googlebot, Bingbot, Cốc Cốc crawler" and hidden["what"] == ["partner.example"]
    said = load_catalog("vi").reworded(hidden)
    assert said["only_seen_by"] == "khách truy cập thông thường" and said["hidden_from"].startswith("Googlebot, ")
    script = found[("redirect", "visitor from Google search, visitor from Bing search, visitor from Cốc Cốc search")]
    assert load_catalog("vi").reworded(script)["what"] == ["mã script tới nhacai.example"]


def test_new_bytes_and_same_site_changes_are_not_cloaking() -> None:
    counter = itertools.count()

    def handler(request: httpx.Request) -> httpx.Response:
        extra = '<a href="/so-do">sơ đồ trang</a>' if is_bot(request) else f"<p>token {next(counter)}</p>"
        return html(CLEAN + extra + "<p>Xổ số kiến thiết</p>")

    facts = check(handler)
    assert facts["differences"] == [] and facts["not_compared"] == [] and facts["notes"] == []


def test_one_gambling_word_is_not_enough() -> None:
    facts = check(lambda r: html(CLEAN + ("<p>casino</p>" if is_bot(r) else "")))
    assert facts["differences"] == []


def test_links_that_change_between_plain_visits_are_noted_not_judged() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        rotating = "b" if "Mozilla" in request.headers.get("user-agent", "") else "a"  # the crawl's visit: a
        return html(f'<a href="https://banner-{rotating}.example/">quảng cáo</a>')

    facts = check(handler)
    assert facts["differences"] == []
    assert facts["notes"] == ["https://site.test/: off-site links differ between two plain visits "
                              "(banner-a.example, banner-b.example); link differences not judged there"]
    reworded = localise_verdict({"rule_id": "dd.cloaking.search_engines", "message_id": "x", "observed": {
        "cloaking.notes": facts["notes"], "cloaking.notes_wording": facts["notes_wording"]}}, load_catalog("vi"))
    assert reworded["observed"]["cloaking.notes"] == [
        "https://site.test/: liên kết ra ngoài khác nhau giữa hai lượt truy cập thường (banner-a.example, "
        "banner-b.example); không xét khác biệt liên kết ở trang này"]


def test_crawlers_refused_by_a_firewall_are_not_compared_and_all_refused_is_an_error() -> None:
    facts = check(lambda r: html("<p>Access denied</p>", 403) if is_bot(r) else html(CLEAN))
    assert facts["differences"] == []
    assert {n["reason"] for n in facts["not_compared"]} == {"status 403 (plain visit: 200): not compared"}
    assert all("[mã trạng thái 403 (lượt truy cập thường: 200): không so sánh]" in load_catalog("vi").value(n)
               for n in facts["not_compared"])
    with pytest.raises(ProbeError, match="no page could be compared"):
        check(lambda r: html("<p>no</p>", 403) if "Mozilla" in r.headers.get("user-agent", "") else html(CLEAN))


def test_sample_takes_home_then_sitemap_pages_then_crawl_order() -> None:
    def page(order: int, depth: int, **extra: Any) -> dict[str, Any]:
        return {"url": f"https://s/{order}", "order": order, "depth": depth, "status": 200, "html": {}, **extra}

    crawl = {"pages": [page(0, 0), page(1, 1), page(2, 1), page(3, 1, found_in="https://s/sitemap.xml"),
                       page(4, 1, status=404)]}
    assert [p["order"] for p in sample(crawl)] == [0, 3, 1][:CLOAK_PAGES]


def check_with_sitemap(door: Handler) -> dict[str, Any]:
    """A site whose sitemap lists /uploads/door.html, answered by `door`."""
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sitemap.xml":
            return httpx.Response(200, headers={"content-type": "application/xml"},
                                  content=b"<urlset><url><loc>https://site.test/uploads/door.html</loc></url></urlset>")
        if request.url.path == "/uploads/door.html":
            return door(request)
        return html(CLEAN)

    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            crawl = await crawl_site(client, ["https://site.test/"], "site.test",
                                     CrawlLimits(deadline=time.monotonic() + 10))
            return await check_cloaking(client, crawl, "site.test", timeout=5, deadline=time.monotonic() + 10)
    return asyncio.run(go())


def test_a_sitemap_page_served_to_crawlers_only_fails() -> None:
    facts = check_with_sitemap(lambda r: html(SPAM) if is_bot(r) else html("<p>Not found</p>", 404))
    (door,) = [d for d in facts["differences"] if d["page"].endswith("/door.html")]
    assert door["kind"] == "page only they get" and door["only_seen_by"] == "Googlebot, Bingbot, Cốc Cốc crawler"
    assert door["what"][:2] == ["status 200 (plain visit: 404)", "nhacai.example"]
    said = load_catalog("vi").reworded(door)
    assert said["kind"] == "trang chỉ phục vụ riêng cho họ"
    assert said["what"][:2] == ["mã trạng thái 200 (lượt truy cập thông thường nhận: 404)", "nhacai.example"]
    assert "https://site.test/uploads/door.html" in facts["pages_compared"]


def test_dead_sitemap_links_and_plain_crawler_pages_are_not_cloaking() -> None:
    dead = check_with_sitemap(lambda r: html("<p>Not found</p>", 404))
    assert dead["differences"] == [] and "https://site.test/uploads/door.html" in dead["pages_compared"]
    rendered = check_with_sitemap(lambda r: html("<p>Trang tĩnh cho máy tìm kiếm</p>") if is_bot(r)
                                  else html("<p>Not found</p>", 404))
    assert rendered["differences"] == []



def test_equal_answers_are_analysed_once_and_each_view_gets_its_own_copy() -> None:
    analysed: list[str] = []

    def annotate(decoded: Any, facts: dict[str, Any]) -> None:
        analysed.append(decoded.text)
        facts["visible_terms"] = []

    async def go() -> list[dict[str, Any]]:
        same = SameBodies(annotate=annotate)
        page = b"<title>Trang chu</title><a href='https://partner.example/'>x</a>"
        soon = time.monotonic() + 10
        views = await asyncio.gather(*(same.analyse(page, "text/html", "https://site.test/", soon) for _ in range(7)))
        other_body = await same.analyse(page + b"<p>2</p>", "text/html", "https://site.test/", soon)
        other_url = await same.analyse(page, "text/html", "https://site.test/other", soon)
        return [*views, other_body, other_url]

    *views, other_body, other_url = asyncio.run(go())
    assert len(analysed) == 3  # seven equal answers at once: one analysis; another body, another URL: one each
    assert all(view == views[0] for view in views) and len({id(view) for view in views}) == 7
    assert views[0]["title"] == other_body["title"] == other_url["title"] == "Trang chu"


def test_a_page_that_varies_per_visit_is_analysed_per_visit(monkeypatch: pytest.MonkeyPatch) -> None:
    def reads(handler: Handler) -> tuple[dict[str, Any], int]:
        calls = itertools.count()
        real = crawl_module.read_html

        def counted(*args: Any) -> Any:
            next(calls)
            return real(*args)

        monkeypatch.setattr(crawl_module, "read_html", counted)
        facts = check(handler)
        monkeypatch.setattr(crawl_module, "read_html", real)
        return facts, next(calls)

    visits = itertools.count()
    static, static_reads = reads(lambda r: html(CLEAN))
    varying, varying_reads = reads(lambda r: html(CLEAN + f"<p>phiên {next(visits)}</p>"))
    assert static["differences"] == varying["differences"] == []
    assert static["pages_compared"] == varying["pages_compared"] != []
    # Each identity's view of a varying page is its own analysis: six more per page than equal answers.
    assert varying_reads - static_reads == 6 * len(varying["pages_compared"])
