"""The site's own stylesheets and scripts, fetched once per crawl, within bounds.

Injected spam is often hidden by a class styled in the site's stylesheet, and miners are often
loaded from a script file on the compromised site itself: criterion đ must read both. Only
same-site URLs are fetched (the crawl never leaves the audited host), each at most once per crawl,
at most `MAX_FETCHES` per kind for the whole crawl, `MAX_BYTES` each, with the crawl's per-request
timeout (capped at `MAX_SECONDS`) and deadline. Redirects are followed within the site only.
What could not be read is None: the page analysis then knows it did not see it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from trustscan.collect.crawl.decode import decode_html
from trustscan.net.httpclient import FOLLOW, Answer, Follow, follow_redirects, read_capped

MAX_FETCHES = {"stylesheet": 10, "script": 10}  # per crawl
MAX_BYTES = 512 * 1024
MAX_SECONDS = 5.0
MAX_REDIRECTS = 3
# What a browser applies (Fetch §3.5, HTML §4.2.4): a stylesheet only as text/css (or unlabelled); a script
# under any type but image, audio, video and text/csv, octet-stream included.
_NOT_SCRIPTS = ("image/", "audio/", "video/", "text/csv")


def _acceptable(kind: str, content_type: str | None) -> bool:
    essence = (content_type or "").split(";")[0].strip().lower()
    if kind == "stylesheet":
        return essence in ("", "text/css")
    return not essence.startswith(_NOT_SCRIPTS)


class Subresources:
    """One crawl's cache of same-site stylesheets and scripts (text, or None when not read)."""

    def __init__(self, client: httpx.AsyncClient, same_site: Callable[[str], bool], request_timeout: float,
                 deadline: float) -> None:
        self.client, self.same_site = client, same_site
        self.request_timeout, self.deadline = min(request_timeout, MAX_SECONDS), deadline
        self.texts: dict[str, asyncio.Task[str | None]] = {}
        self.counts = {kind: 0 for kind in MAX_FETCHES}
        self.skipped: dict[str, set[str]] = {kind: set() for kind in MAX_FETCHES}

    async def get(self, kind: str, urls: Iterable[str]) -> dict[str, str | None]:
        """The text of each same-site URL (None: not fetched, over a limit, or failed); others are absent."""
        wanted = [url for url in dict.fromkeys(urls) if self.same_site(url)]
        for url in wanted:
            if url in self.texts:
                continue
            if self.counts[kind] >= MAX_FETCHES[kind]:
                self.skipped[kind].add(url)
                continue
            self.counts[kind] += 1
            self.texts[url] = asyncio.ensure_future(self._fetch(kind, url))
        return {url: (await self.texts[url]) if url in self.texts else None for url in wanted}

    def summary(self) -> dict[str, Any]:
        """What was fetched, for the crawl's evidence."""
        done = [task.result() for task in self.texts.values() if task.done() and not task.cancelled()]
        return {"fetched": dict(self.counts),
                "not_fetched_over_limit": {kind: len(urls) for kind, urls in self.skipped.items()},
                "read": sum(1 for text in done if text is not None)}

    async def _fetch(self, kind: str, url: str) -> str | None:
        def hop_timeout() -> float:
            return min(self.request_timeout, self.deadline - time.monotonic())

        async def read(answer: Answer) -> bytes | None | Follow:
            if answer.location is not None:
                if answer.target is None or not self.same_site(answer.target) or answer.loops \
                        or answer.limit_reached:
                    return None
                return FOLLOW
            response = answer.response
            if response.status_code != 200 or not _acceptable(kind, response.headers.get("content-type")):
                return None
            body, _ = await read_capped(response, MAX_BYTES)
            return body

        try:
            body = await follow_redirects(self.client, url, read, max_redirects=MAX_REDIRECTS,
                                          hop_timeout=hop_timeout, send_cookies=False)
        except (TimeoutError, httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError, OSError):
            return None
        if body is None:
            return None
        # CSS and scripts are text; decoded as a page is (BOM, charset, then UTF-8 / windows-1258).
        return decode_html(body, None).text
