"""The site's own stylesheets and scripts: same-site only, once each, typed as browsers require, capped."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from trustscan.collect.crawl.crawl import same_site
from trustscan.collect.crawl.subresources import MAX_BYTES, MAX_FETCHES, Subresources


def fetch(handler: Any, kind: str, urls: list[str], *, deadline: float = 10) -> tuple[dict[str, str | None],
                                                                                          dict[str, Any]]:
    async def go() -> tuple[dict[str, str | None], dict[str, Any]]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            cache = Subresources(client, lambda url: same_site(url, "site.test"), 5, time.monotonic() + deadline)
            return await cache.get(kind, urls), cache.summary()
    return asyncio.run(go())


def test_only_same_site_files_of_the_right_type_are_read_and_redirects_stay_on_the_site() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        path = request.url.path
        if path == "/moved.css":
            return httpx.Response(301, headers={"location": "/real.css"})
        if path == "/away.css":
            return httpx.Response(302, headers={"location": "https://evil.example/x.css"})
        kind = "text/html" if path == "/page.css" else "text/css"
        return httpx.Response(200, headers={"content-type": kind}, content=b".x{display:none}")

    texts, summary = fetch(handler, "stylesheet", [
        "https://site.test/moved.css", "https://site.test/away.css", "https://site.test/page.css",
        "https://other.example/lib.css"])
    assert texts == {"https://site.test/moved.css": ".x{display:none}", "https://site.test/away.css": None,
                     "https://site.test/page.css": None}  # another host's file is not even considered
    assert "/x.css" not in calls and summary["read"] == 1


def test_scripts_are_read_under_any_type_browsers_run_and_bodies_are_capped() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        kind = {"/a.js": "application/octet-stream", "/b.js": "image/png"}.get(request.url.path, "text/javascript")
        return httpx.Response(200, headers={"content-type": kind}, content=b"x" * (MAX_BYTES + 10))

    texts, _ = fetch(handler, "script", ["https://site.test/a.js", "https://site.test/b.js"])
    assert len(texts["https://site.test/a.js"] or "") == MAX_BYTES and texts["https://site.test/b.js"] is None


def test_the_count_limit_and_the_deadline_bound_the_fetches() -> None:
    urls = [f"https://site.test/{i}.css" for i in range(MAX_FETCHES["stylesheet"] + 4)]
    texts, summary = fetch(lambda request: httpx.Response(200, headers={"content-type": "text/css"}, content=b"a{}"),
                           "stylesheet", urls)
    assert sum(text is not None for text in texts.values()) == MAX_FETCHES["stylesheet"]
    assert summary["not_fetched_over_limit"]["stylesheet"] == 4
    late, _ = fetch(lambda request: httpx.Response(200, content=b"a{}"), "stylesheet", urls[:1], deadline=-1)
    assert late == {urls[0]: None}  # past the crawl's deadline nothing is requested
