"""The personal-data policy recognised by its content (issue 11 item 2): candidates, scores, hops, PDFs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.world.content import (
    CONTACT_HTML,
    PDF_POLICY_LINES,
    POLICY_HTML,
    POLICY_WITHOUT_CONSENT_HTML,
    TAX_NEWS_HTML,
    TERMS_HTML,
    pdf_file,
    simple_pdf,
)
from trustscan.collect.crawl.extract import extract_page
from trustscan.collect.crawl.pdftext import MAX_PDF_PAGES, pdf_text
from trustscan.collect.crawl.policy import MAX_POLICY_FETCHES, find_policy, policy_candidates, recognise_policy

HTML = {"content-type": "text/html; charset=utf-8"}


def judged(markup: str) -> dict[str, Any]:
    facts = extract_page(markup, "https://s.test/")
    text = " ".join(markup.replace("<", " <").split())
    return recognise_policy(facts["title"], facts["headings"], text)


@pytest.mark.parametrize("markup", [
    f"<title>Chính sách bảo mật</title>{POLICY_HTML}",
    f"<title>Điều khoản sử dụng</title>{TERMS_HTML}",  # a personal-data section inside the terms of use
    f"<title>Privacy</title>{POLICY_WITHOUT_CONSENT_HTML}",  # a policy, though silent on consent
    "<title>Privacy notice</title><h1>Privacy notice</h1><p>We collect personal data for the purposes below, "
    "keep it for a retention period of one year and give it to no third parties.</p>",
])
def test_a_page_about_protecting_personal_data_is_a_policy(markup: str) -> None:
    verdict = judged(markup)
    assert verdict["is_policy"], verdict
    assert verdict["heading_terms"] and verdict["score"] >= verdict["needed"]


@pytest.mark.parametrize("markup", [
    f"<title>Chính sách</title>{TAX_NEWS_HTML}",  # "Chính sách" about tax news
    f"<title>Liên hệ</title>{CONTACT_HTML}",  # the contact page
    '<title>Cổng thông tin</title><h1>Trang chủ</h1><p>Tin tức, thông báo.</p><a href="/cs">Chính sách bảo mật</a>',
    # A heading alone is not a policy: the page must say what a policy says.
    "<title>Chính sách bảo mật</title><h1>Chính sách bảo mật</h1><p>Đang cập nhật.</p>",
])
def test_tax_news_contact_and_home_pages_are_not_a_policy(markup: str) -> None:
    assert not judged(markup)["is_policy"]


def test_without_a_heading_only_a_dense_body_counts() -> None:
    body = ("Dữ liệu cá nhân của chủ thể dữ liệu được thu thập, lưu trữ, xử lý dữ liệu cho mục đích xử lý đã nêu; "
            "không chuyển giao cho bên thứ ba; bạn có quyền rút lại sự đồng ý và yêu cầu xóa dữ liệu.")
    assert recognise_policy("Thông báo", [], body)["is_policy"]
    assert not recognise_policy("Thông báo", [], "Dữ liệu cá nhân được lưu trữ.")["is_policy"]


def _links(*links: tuple[str, str, str | None]) -> list[dict[str, Any]]:
    return [{"url": "https://s.test/", "final_url": "https://s.test/", "html": {"links": [
        {"url": url, "text": text, "region": region} for url, text, region in links]}}]


def test_candidates_name_the_policy_or_sit_in_the_navigation_best_first() -> None:
    pages = _links(("https://s.test/chinh-sach", "Chính sách", "nav"),  # weak, navigation: followed last
                   ("https://s.test/thue", "Chính sách thuế", None),  # weak, in the body: not followed
                   ("https://s.test/p", "Privacy", None),  # names it, in the body
                   ("https://s.test/bao-mat#top", "Chính sách bảo mật", "footer"),  # names it, footer: first
                   ("https://b-terms.example/", "Trang chủ", "nav"),  # the host says "terms", the page does not
                   ("mailto:x@s.test", "Privacy", "footer"))
    assert [(c["url"], c["region"]) for c in policy_candidates(pages)] == [
        ("https://s.test/bao-mat", "footer"), ("https://s.test/p", None), ("https://s.test/chinh-sach", "nav")]


def serve(site: dict[str, tuple[str, bytes]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path not in site:
            return httpx.Response(404, headers=HTML, content=b"not found")
        content_type, body = site[request.url.path]
        return httpx.Response(200, headers={"content-type": content_type}, content=body)
    return httpx.MockTransport(handler)


def find(site: dict[str, tuple[str, bytes]], pages: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=serve(site)) as client:
            return await find_policy(client, pages, timeout=5, deadline=kw.get("deadline", time.monotonic() + 10))
    return asyncio.run(go())


def page(title: str, body: str) -> tuple[str, bytes]:
    return ("text/html; charset=utf-8", f"<html><head><title>{title}</title></head><body>{body}</body></html>"
            .encode())


def test_a_hub_page_leads_to_the_pdf_policy_on_the_second_hop() -> None:
    site = {"/chinh-sach": page("Các chính sách", '<footer><a href="/files/cs.pdf">Bảo vệ dữ liệu cá nhân</a>'
                                                  '</footer>'),
            "/files/cs.pdf": ("application/pdf", simple_pdf(PDF_POLICY_LINES, "Chinh sach"))}
    found = find(site, _links(("https://s.test/chinh-sach", "Chính sách", "footer")))
    assert found["found"] is True and found["document"].kind == "pdf"
    assert [(f["url"], f["hop"], f["is_policy"]) for f in found["fetches"]] == [
        ("https://s.test/chinh-sach", 1, False), ("https://s.test/files/cs.pdf", 2, True)]


def test_links_are_followed_two_hops_and_no_further() -> None:
    site = {"/a": page("A", '<nav><a href="/b">Chính sách</a></nav>'),
            "/b": page("B", '<nav><a href="/c">Chính sách</a></nav>'),
            "/c": page("Chính sách bảo mật", POLICY_HTML)}
    found = find(site, _links(("https://s.test/a", "Chính sách", "nav")))
    assert found["found"] is False and [f["url"] for f in found["fetches"]] == ["https://s.test/a", "https://s.test/b"]


def test_at_most_max_policy_fetches_documents_are_read() -> None:
    links = [(f"https://s.test/p{i}", "Privacy", "footer") for i in range(30)]
    found = find({f"/p{i}": page("x", "<p>x</p>") for i in range(30)}, _links(*links))
    assert len(found["fetches"]) == MAX_POLICY_FETCHES and found["found"] is False


def test_an_unreadable_candidate_leaves_the_policy_unknown_not_missing() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
            return await find_policy(client, _links(("https://s.test/p", "Privacy", "footer")), timeout=5,
                                     deadline=time.monotonic() + 10)
    found = asyncio.run(go())
    assert found["found"] is None and "connection refused" in found["fetches"][0]["error"]
    # A definite answer (404) settles it: no policy.
    assert find({}, _links(("https://s.test/p", "Privacy", "footer")))["found"] is False


def test_pdf_text_is_capped_and_hostile_pdfs_are_notes() -> None:
    read = pdf_text(simple_pdf(PDF_POLICY_LINES, "Chinh sach"))
    assert read.pages == read.pages_read == 1 and "su dong y" in read.text and read.title == "Chinh sach"
    for hostile in (b"", b"%PDF-1.4\n" + b"\x00" * 1000, simple_pdf(["x"], "t")[:150], b"<html>not a pdf</html>"):
        broken = pdf_text(hostile)
        assert broken.text == "" and broken.note
    assert MAX_PDF_PAGES == 30
    with pytest.raises(TimeoutError):
        pdf_text(simple_pdf(PDF_POLICY_LINES, "t"), deadline=time.monotonic() - 1)


def test_findings_read_as_words_in_messages() -> None:
    from trustscan.core.catalog import format_value

    assert format_value([{"url": "https://s.test/lien-he", "hop": 1, "title": "Liên hệ", "is_policy": False,
                          "score": 0, "needed": 8}, {"url": "https://s.test/p", "hop": 2, "error": "status 404"}]) == (
        "https://s.test/lien-he → Liên hệ: 0 policy terms (needs 8), https://s.test/p → status 404")
    assert format_value({"is_policy": True, "score": 6, "needed": 4, "heading_terms": ["chính sách bảo mật"]}) == (
        "6 policy terms (needs 4), heading: chính sách bảo mật")
    assert format_value({"tracker": "Hotjar", "page": "https://s.test/", "script": "https://static.hotjar.com/c"}) == (
        "Hotjar (https://static.hotjar.com/c) @ https://s.test/")
    assert format_value({"page": "https://s.test/", "form": "form#a", "action": "http://s.test/g", "method": "post"}) \
        == "form#a → http://s.test/g @ https://s.test/"
    assert format_value({"page": "https://s.test/", "form": "form#a", "personal_fields": ["email"],
                         "problems": ["consent checkbox c is pre-ticked"]}) == (
        "form#a [email] @ https://s.test/: consent checkbox c is pre-ticked")


def _flate_bomb_pdf(expanded: int) -> bytes:
    """A one-page PDF whose content stream inflates to `expanded` bytes (a decompression bomb)."""
    import zlib

    stream = zlib.compress(b"BT /F1 11 Tf 50 780 Td (AAAA) Tj ET " + b" " * expanded, 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
               b"/Contents 5 0 R >>", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream
               + b"\nendstream"]
    return pdf_file(objects)


def test_a_pdf_decompression_bomb_is_stopped_at_the_stream_cap() -> None:
    assert pdf_text(_flate_bomb_pdf(1000)).text.strip() == "AAAA"  # the same file, small: read
    bomb = _flate_bomb_pdf(40 * 1024 * 1024)  # 40 MB inflated from ~40 kB, twice the 20 MB cap
    started = time.perf_counter()
    read = pdf_text(bomb)
    assert read.text == "" and "LimitReachedError" in (read.note or "")
    assert time.perf_counter() - started < 5


def test_a_pdf_larger_than_the_cap_is_not_downloaded_whole() -> None:
    from trustscan.collect.crawl.pdftext import MAX_PDF_BYTES

    site = {"/big.pdf": ("application/pdf", b"%PDF-1.4\n" + b"0" * (MAX_PDF_BYTES + 10))}
    found = find(site, _links(("https://s.test/big.pdf", "Privacy policy", "footer")))
    assert found["found"] is False
    assert found["fetches"][0]["error"] == f"not a page: a PDF larger than {MAX_PDF_BYTES} bytes"
