"""Issue 9 item 9: no parsing or analysis of pages goes on past the audit deadline.

A page fetched in time but not analysed in time is an error page (no facts), and every analysis
that finds the deadline passed ends in an honest error, never in verdicts on pages it did not read.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.collect.test_crawl import HTML, SITE, crawl, pages
from trustscan.collect.crawl import crawl as crawl_module
from trustscan.collect.crawl import deadline as deadline_module
from trustscan.collect.crawl.content import analyse_content
from trustscan.collect.crawl.crawl import CrawlLimits, analyse_html, crawl_site
from trustscan.collect.crawl.extract import extract_page
from trustscan.collect.crawl.policy import fetch_document
from trustscan.collect.crawl.privacy import analyse_privacy
from trustscan.core.errors import ProbeError
from trustscan.core.wordings import Wording

PAGE = b'<a href="/a">a</a>' + b"<p>x</p>" * 10_000


def test_nothing_is_parsed_once_the_deadline_has_passed() -> None:
    passed = time.monotonic() - 1
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        analyse_html(PAGE, "text/html", "https://site.test/", passed)
    with pytest.raises(TimeoutError):
        extract_page(PAGE.decode(), "https://site.test/", passed)
    assert time.perf_counter() - started < 0.1


class _LateClock:
    """The analysis' clock once the page took too long to read: an hour past any deadline of this test."""

    @staticmethod
    def monotonic() -> float:
        return time.monotonic() + 3600


def test_a_page_whose_analysis_outlasts_the_deadline_is_an_error_not_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic under any load (issue 13 item 8): the fetch has a minute, and the deadline passes
    *while the page is decoded* because decoding moves the analysis' clock past it, instead of a 0.3 s
    real deadline that a busy machine could spend before the page was even fetched."""
    decode = crawl_module.decode_html

    def slow_decode(body: bytes, content_type: str | None) -> Any:
        for module in (deadline_module, crawl_module):  # fetched in time; the deadline passes now
            monkeypatch.setattr(module, "time", _LateClock)
        return decode(body, content_type)

    monkeypatch.setattr(crawl_module, "decode_html", slow_decode)
    result = crawl(lambda request: httpx.Response(200, headers=HTML, content=PAGE),
                   deadline=time.monotonic() + 60)
    home = result["pages"][0]
    assert home["status"] == 200 and home["html"] is None
    assert home["error"] == "crawl deadline reached before the page was analysed"
    assert result["html_pages"] == 0 and not result["complete"]
    with pytest.raises(ProbeError, match="no HTML page could be read.*crawl deadline reached"):
        analyse_content(result, "site.test")


def test_an_expired_deadline_before_the_home_page_is_an_honest_error() -> None:
    with pytest.raises(ProbeError, match="home page could not be fetched: crawl deadline reached"):
        crawl(pages(SITE), deadline=time.monotonic() - 1)


def test_the_analyses_stop_at_the_deadline() -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(pages(SITE))) as client:
            result = await crawl_site(client, ["https://site.test/"], "site.test",
                                      CrawlLimits(deadline=time.monotonic() + 10))
            assert analyse_content(result, "site.test", time.monotonic() + 10)["pages_analysed"] == 2
            with pytest.raises(ProbeError, match="audit deadline reached during the content analysis"):
                analyse_content(result, "site.test", time.monotonic() - 1)
            # The policy page was never read: an error, not "no policy".
            with pytest.raises(ProbeError, match="audit deadline reached before the policy page could be read"):
                await analyse_privacy(client, result, timeout=5, deadline=time.monotonic() - 1)
            fetched = await fetch_document(client, "https://site.test/chinh-sach", timeout=5,
                                           deadline=time.monotonic() - 1)
            assert isinstance(fetched, Wording) and "deadline" in fetched.english()

    asyncio.run(go())
