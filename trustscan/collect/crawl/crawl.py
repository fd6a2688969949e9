"""A bounded same-site crawl from the home page: the shared evidence of criteria b and đ.

Bounds (issue 3): at most `max_pages` pages and `max_depth` link hops from the home page, at most
`MAX_BODY` decompressed bytes read per response, a per-request timeout, a whole-crawl deadline
taken from the audit's budget, and `CONCURRENCY` requests in flight (the shared client's pool is
smaller still). Redirects are followed by hand (`follow_redirects`), within the site, and every hop is recorded.
Pages of a site with broken TLS are read anyway: the shared client is deliberately lax, and
criterion c judges the TLS, not this probe.

While the link crawl runs, the site's sitemaps are read (`sitemap.discover`); once it is done, up
to `SITEMAP_PAGES` pages they list that no link reached are fetched too (beyond `max_pages`), marked
`found_in`, and judged like every other page: doorway pages are announced only in sitemaps.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urlsplit

import httpx

from trustscan.collect.crawl import sitemap
from trustscan.collect.crawl.deadline import in_time
from trustscan.collect.crawl.decode import DecodedHtml, decode_html
from trustscan.collect.crawl.extract import extract_parsed, noted_first, page_stylesheets
from trustscan.collect.crawl.parse import ParsedHtml, parse_html
from trustscan.collect.crawl.signatures import MAX_SCRIPT_SCAN, match_script
from trustscan.collect.crawl.subresources import Subresources
from trustscan.core.errors import ProbeError
from trustscan.core.wordings import Wording
from trustscan.net.failures import classify, error_fields, recorded_cause
from trustscan.net.httpclient import FOLLOW, Answer, Follow, follow_redirects, read_capped

MAX_BODY = 2 * 1024 * 1024
CONCURRENCY = 3
MAX_REDIRECTS = 5
MAX_HEADERS = 40
SITEMAP_PAGES = 10  # pages fetched only because a sitemap lists them, beyond max_pages
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Links to these are not pages; fetching them would spend the page budget on downloads.
_NOT_PAGES = (".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".zip", ".rar", ".7z", ".gz",
              ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".mp3", ".mp4", ".avi", ".mov", ".css", ".js",
              ".woff", ".woff2", ".ttf", ".exe", ".apk", ".iso", ".xml", ".json")


@dataclass(frozen=True)
class CrawlLimits:
    """How far the crawl may go; `deadline` is a time.monotonic() instant."""

    max_pages: int = 30
    max_depth: int = 3
    max_body: int = MAX_BODY
    request_timeout: float = 10.0
    deadline: float = float("inf")
    concurrency: int = CONCURRENCY
    sitemap_pages: int = SITEMAP_PAGES  # 0: sitemaps are not read


def same_site(url: str, host: str) -> bool:
    """Same host name (any port, http or https): the crawl never leaves the audited site."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "").lower() == host.lower()
    except ValueError:
        return False


def crawlable(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return not path.endswith(_NOT_PAGES)


async def crawl_site(client: httpx.AsyncClient, start_urls: list[str], host: str,
                     limits: CrawlLimits) -> dict[str, Any]:
    """Crawl breadth-first from the first start URL that answers; raises ProbeError if none does."""
    first: dict[str, Any] | None = None
    subresources = Subresources(client, lambda url: same_site(url, host), limits.request_timeout, limits.deadline)
    for start in start_urls:
        first = await fetch_page(client, start, 0, host, limits, subresources)
        if first.get("status") is not None:
            break
    assert first is not None
    if first.get("status") is None:
        raise ProbeError("error.crawl.home_page", cause=recorded_cause(first))
    state = _Crawl(client, host, limits, subresources)
    discovery = asyncio.create_task(_discover_sitemaps(client, first, host, limits))
    state.add(first)
    try:
        stopped = await state.run()
        sitemaps = await discovery
    finally:
        discovery.cancel()
    if sitemaps is not None and stopped != "deadline":
        stopped = await state.fetch_listed(sitemaps["urls"]) or stopped
    pages = sorted(state.pages, key=lambda p: (p["depth"], p["order"]))
    return {
        "start_url": first["url"],
        "pages": pages,
        "pages_fetched": len(pages),
        "html_pages": sum(1 for p in pages if p.get("html") is not None),
        "errors": sum(1 for p in pages if p.get("error")),
        "max_pages": limits.max_pages,
        "max_depth": limits.max_depth,
        "links_not_followed": state.not_followed,
        "complete": stopped is None,
        "stopped": stopped,
        "subresources": subresources.summary(),
        "sitemaps": _sitemap_summary(sitemaps, state.sitemap_pages),
        "sitemap_pages": len(state.sitemap_pages),
    }


async def _discover_sitemaps(client: httpx.AsyncClient, first: dict[str, Any], host: str,
                             limits: CrawlLimits) -> dict[str, Any] | None:
    if limits.sitemap_pages <= 0:
        return None
    parts = urlsplit(first.get("final_url") or first["url"])
    return await sitemap.discover(client, f"{parts.scheme}://{parts.netloc}", host, timeout=limits.request_timeout,
                                  deadline=limits.deadline)


def _sitemap_summary(found: dict[str, Any] | None, fetched: list[str]) -> dict[str, Any] | None:
    """What was read (robots.txt, each sitemap file) and which listed pages were fetched, for the report."""
    if found is None:
        return None
    return {"robots": found["robots"], "files": found["files"], "urls_listed": len(found["urls"]),
            "pages_fetched": fetched}


class _Crawl:
    """One crawl's frontier and results (lives for one call of crawl_site only)."""

    def __init__(self, client: httpx.AsyncClient, host: str, limits: CrawlLimits,
                 subresources: Subresources | None = None) -> None:
        self.client, self.host, self.limits, self.subresources = client, host, limits, subresources
        self.pages: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        # (url, depth, order): `order` is the page's place in discovery order, so a page's order and the
        # report's page list do not depend on which concurrent fetch happened to finish first.
        self.queue: asyncio.Queue[tuple[str, int, int]] = asyncio.Queue()
        self.scheduled = 1  # the home page
        self.not_followed = 0
        self.limit_hit = False
        self.sitemap_pages: list[str] = []

    def add(self, page: dict[str, Any]) -> None:
        page.setdefault("order", len(self.pages))  # the home page: 0; the others carry their discovery order
        self.pages.append(page)
        self.seen.update(u for u in (page["url"], page.get("final_url")) if u)
        if page["depth"] >= self.limits.max_depth or page.get("html") is None:
            return
        for link in page["html"]["links"]:
            url = link.get("url")
            if not url or not same_site(url, self.host):
                continue
            url = urldefrag(url).url
            if url in self.seen or not crawlable(url):
                continue
            if self.scheduled >= self.limits.max_pages:
                self.not_followed += 1
                self.limit_hit = True
                continue
            self.seen.add(url)
            self.queue.put_nowait((url, page["depth"] + 1, self.scheduled))
            self.scheduled += 1

    async def run(self) -> str | None:
        """Work the queue with a few workers; returns why the crawl stopped early, or None."""
        workers = [asyncio.create_task(self._worker()) for _ in range(self.limits.concurrency)]
        remaining = self.limits.deadline - time.monotonic()
        try:
            await asyncio.wait_for(self.queue.join(), timeout=max(remaining, 0.0))
        except TimeoutError:
            return "deadline"
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return "max_pages" if self.limit_hit else None

    async def fetch_listed(self, listed: dict[str, str]) -> str | None:
        """Fetch the sitemap-listed pages the link crawl did not reach; "deadline" if time ran out."""
        chosen = sitemap.choose({url: source for url, source in listed.items() if crawlable(url)}, self.seen,
                                self.limits.sitemap_pages)
        semaphore = asyncio.Semaphore(self.limits.concurrency)

        async def one(url: str, source: str, order: int) -> None:
            async with semaphore:
                page = await fetch_page(self.client, url, 1, self.host, self.limits, self.subresources)
            page["found_in"] = source  # the sitemap that listed it; its own links are not followed
            page["order"] = order
            self.pages.append(page)
            self.sitemap_pages.append(url)

        self.seen.update(url for url, _ in chosen)
        try:
            await asyncio.wait_for(asyncio.gather(*(one(url, source, self.scheduled + index)
                                                    for index, (url, source) in enumerate(chosen))),
                                   timeout=max(self.limits.deadline - time.monotonic(), 0.0))
        except TimeoutError:
            return "deadline"
        finally:
            position = {url: index for index, (url, _) in enumerate(chosen)}
            self.sitemap_pages.sort(key=lambda url: position.get(url, len(position)))  # listed order, not finish order
        return None

    async def _worker(self) -> None:
        while True:
            url, depth, order = await self.queue.get()
            try:
                page = await fetch_page(self.client, url, depth, self.host, self.limits, self.subresources)
                page["order"] = order
                self.add(page)
            finally:
                self.queue.task_done()


Annotate = Callable[[DecodedHtml, dict[str, Any]], None]


class SameBodies:
    """Analyses HTML pages fetched without their subresources, each distinct answer once.

    The cloaking check fetches each page again as seven identities, and a page that does not vary
    answers them all with the same bytes: decoding, parsing and extracting those again gave the same
    facts, at a cost that was most of the check's CPU. The facts are a function of the body, its
    Content-Type and its URL (and of `annotate`, fixed here), so an answer equal to one already
    analysed (same SHA-256 of the body; only the digest is kept, not the body) gets a copy of its
    facts; equal answers arriving at once wait for the first analysis. A page that varies (a token,
    a date) is analysed as before. A failed analysis (the deadline) is not kept: the next equal
    answer tries again.
    """

    def __init__(self, annotate: Annotate | None = None) -> None:
        self.annotate = annotate
        self._facts: dict[tuple[bytes, str | None, str], dict[str, Any]] = {}
        self._busy: dict[tuple[bytes, str | None, str], asyncio.Lock] = {}

    async def analyse(self, body: bytes, content_type: str | None, url: str, deadline: float) -> dict[str, Any]:
        key = (hashlib.sha256(body).digest(), content_type, url)
        async with self._busy.setdefault(key, asyncio.Lock()):
            if key not in self._facts:
                self._facts[key] = await asyncio.to_thread(self._analyse, body, content_type, url, deadline)
        return dict(self._facts[key])

    def _analyse(self, body: bytes, content_type: str | None, url: str, deadline: float) -> dict[str, Any]:
        # One thread hop for the three steps: without subresources nothing is fetched between them.
        decoded, parsed = read_html(body, content_type, deadline)
        facts = analyse_parsed(decoded, parsed, url, deadline, {})
        if self.annotate is not None:
            self.annotate(decoded, facts)
        return facts


async def fetch_page(client: httpx.AsyncClient, url: str, depth: int, host: str,
                     limits: CrawlLimits, subresources: Subresources | None = None, *,
                     headers: Mapping[str, str] | None = None, same_bodies: SameBodies | None = None) -> dict[str, Any]:
    """One page with its redirect chain; never raises for anything the server does.

    With `subresources`, the page's same-site stylesheets (for hiding) and scripts (for signatures)
    are read too, through that crawl-wide cache. `headers` go with every hop (the cloaking check's
    crawler and search-visitor identities). With `same_bodies` (and no `subresources`) an HTML page
    is analysed by it: once per distinct answer, its `annotate(decoded, facts)` adding to the facts.
    """
    page: dict[str, Any] = {"url": url, "depth": depth, "final_url": None, "status": None, "redirect_chain": [],
                            "cookies": [], "headers": {}, "content_type": None, "bytes": 0, "truncated": False,
                            "html": None, "error": None, "offsite_redirect": None}
    clock = time.monotonic()
    timeouts: list[float] = []

    def hop_timeout() -> float:
        timeouts.append(min(limits.request_timeout, limits.deadline - time.monotonic()))
        return timeouts[-1]

    async def record(answer: Answer) -> bytes | None | Follow:
        response = answer.response
        page["cookies"] += _cookies(response.headers.get_list("set-cookie"))
        if answer.location is not None:
            page["redirect_chain"].append({"url": answer.url, "status": response.status_code,
                                           "location": answer.location})
            if answer.target is None or not same_site(answer.target, host):
                page.update(status=response.status_code, final_url=answer.url,
                            offsite_redirect=answer.target or answer.location)
            elif answer.loops:
                page.update(status=response.status_code, final_url=answer.url,
                            **error_fields(Wording("error.crawl.redirect_loop")))
            elif answer.limit_reached:
                page.update(error_fields(Wording("error.redirect.limit", {"limit": MAX_REDIRECTS})))
            else:
                return FOLLOW
            return None
        body, truncated = await _read_page(response, limits.max_body)
        page.update(final_url=answer.url, status=response.status_code, headers=_headers(response.headers),
                    content_type=response.headers.get("content-type"), bytes=len(body), truncated=truncated)
        return body

    try:
        # Every page is read as a first visit, with no cookies from the audit's other requests: criterion b
        # asks what is set *before* any consent, and a server may only set its cookies on a cookie-less visit.
        body = await follow_redirects(client, url, record, max_redirects=MAX_REDIRECTS, hop_timeout=hop_timeout,
                                      send_cookies=False, headers=headers)
    except TimeoutError:
        page.update(error_fields(Wording("error.crawl.deadline") if timeouts[-1] <= 0
                                 else Wording("error.slow_answer", {"seconds": f"{timeouts[-1]:.1f}"})))
        return page
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError, OSError) as exc:
        page.update(error_fields(classify(exc)))
        return page
    if body is None:
        return page
    if _is_html(page["content_type"], body):
        try:
            # The body is already cut at max_body; the analysis stops between its steps at the deadline,
            # even in a worker thread the crawl has stopped waiting for.
            if same_bodies is not None and subresources is None:
                page["html"] = await same_bodies.analyse(body, page["content_type"], page["final_url"],
                                                         limits.deadline)
            else:
                decoded, parsed = await asyncio.to_thread(read_html, body, page["content_type"], limits.deadline)
                sheets = {} if subresources is None else await subresources.get(
                    "stylesheet", page_stylesheets(parsed, page["final_url"]))
                page["html"] = await asyncio.to_thread(analyse_parsed, decoded, parsed, page["final_url"],
                                                       limits.deadline, sheets)
                if subresources is not None:
                    await _read_site_scripts(page["html"], subresources)
        except TimeoutError:
            page["error"] = "crawl deadline reached before the page was analysed"
            return page
    page["elapsed"] = round(time.monotonic() - clock, 3)
    return page


async def _read_page(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    if response.is_redirect:
        return b"", False
    content_type = (response.headers.get("content-type") or "").lower()
    if content_type and not content_type.startswith(_HTML_TYPES):
        return b"", False  # not a page: do not download it
    return await read_capped(response, cap)


def analyse_html(body: bytes, content_type: str | None, url: str, deadline: float = float("inf"),
                 stylesheets: dict[str, str | None] | None = None) -> dict[str, Any]:
    """Decode and extract one page (CPU-bound; run in a thread so the deadline keeps ticking).

    Raises TimeoutError when `deadline` (time.monotonic()) passes before or between its steps.
    """
    decoded, parsed = read_html(body, content_type, deadline)
    return analyse_parsed(decoded, parsed, url, deadline, stylesheets)


def read_html(body: bytes, content_type: str | None, deadline: float = float("inf")) -> tuple[DecodedHtml, ParsedHtml]:
    """Decode and parse one page; TimeoutError past `deadline`."""
    in_time(deadline)
    decoded = decode_html(body, content_type)
    in_time(deadline)
    return decoded, parse_html(decoded.text)


def analyse_parsed(decoded: DecodedHtml, parsed: ParsedHtml, url: str, deadline: float = float("inf"),
                   stylesheets: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The facts of a decoded and parsed page, its fetched stylesheets applied; TimeoutError past `deadline`."""
    in_time(deadline)
    facts = extract_parsed(parsed, url, deadline, stylesheets)
    facts["encoding"] = decoded.encoding
    facts["encoding_source"] = decoded.source
    return noted_first(facts, decoded.notes)


async def _read_site_scripts(html: dict[str, Any], subresources: Subresources) -> None:
    """Miner signatures in the page's same-site script files, added to their scripts' signals (`read: true`).

    Only miners: a site's own bundles legitimately hold redirects on click, minified eval and trackers
    that the inline-script signatures would take for injections.
    """
    texts = await subresources.get("script", [s["url"] for s in html["scripts"] if s.get("url")])
    for script in html["scripts"]:
        text = texts.get(script.get("url") or "")
        if text is None:
            continue
        script["read"] = True
        known = {signal["id"] for signal in script["signals"]}
        script["signals"] += [signal for signal in match_script(text[:MAX_SCRIPT_SCAN], "")
                              if signal["kind"] == "cryptominer" and signal["id"] not in known]


def _is_html(content_type: str | None, body: bytes) -> bool:
    if content_type:
        return content_type.lower().startswith(_HTML_TYPES)
    return body[:512].lstrip().startswith(b"<")  # unlabelled: sniff like a browser would (roughly)


def _cookies(values: list[str]) -> list[dict[str, Any]]:
    """Names and security attributes of Set-Cookie headers (RFC 6265 §5.2); values are not kept."""
    cookies = []
    for value in values[:50]:
        first, *attributes = value.split(";")
        name = first.split("=", 1)[0].strip()[:100]
        flags = {a.split("=", 1)[0].strip().lower(): a.partition("=")[2].strip()[:40] for a in attributes}
        cookies.append({"name": name, "secure": "secure" in flags, "httponly": "httponly" in flags,
                        "samesite": flags.get("samesite") or None})
    return cookies


def _headers(headers: httpx.Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.multi_items():
        name = name.lower()
        if name == "set-cookie" or (name not in out and len(out) >= MAX_HEADERS):
            continue
        value = value[:300]
        out[name] = f"{out[name]}, {value}"[:300] if name in out else value
    return out
