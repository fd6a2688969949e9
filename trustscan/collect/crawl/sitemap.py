"""Pages only search engines are told about: the site's sitemaps (sitemaps.org protocol 0.9).

Doorway pages dropped in upload folders of a compromised site are linked from nowhere; the
attacker announces them to search engines in sitemap.xml. The crawl therefore also reads the
`Sitemap:` lines of /robots.txt and /sitemap.xml (sitemap indexes, gzip-compressed sitemaps and
plain-text ones) and fetches a few of the URLs it lists that the link crawl did not reach.

Bounds (a hostile site cannot make this unbounded): at most `MAX_FILES` sitemap files in all,
`CONCURRENCY` at a time, indexes followed `MAX_INDEX_DEPTH` levels deep, `MAX_FILE_BYTES` read per
file and as much again after gzip decompression (a gzip bomb stops there), `MAX_URLS` URLs kept,
only URLs of the audited host, and the crawl's per-request timeout and deadline. XML is not parsed by an XML
library: `<loc>` elements are found by a linear pattern, so entities and DTDs are never expanded.
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from dataclasses import dataclass
from functools import cache
from html import unescape
from importlib import resources
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from trustscan.collect.crawl.lexicon import gambling_lexicon, parse_term_list
from trustscan.core.wordings import Wording
from trustscan.net.failures import classify, error_fields
from trustscan.net.httpclient import FOLLOW, Answer, Follow, follow_redirects, read_capped

MAX_FILES = 8
MAX_INDEX_DEPTH = 2  # robots.txt -> index -> sitemap (an index of indexes is not in the protocol)
MAX_FILE_BYTES = 5 * 1024 * 1024  # the protocol allows 50 MB; real sitemaps of these sites are far smaller
MAX_URLS = 5000
MAX_ROBOTS_BYTES = 512 * 1024  # Google reads the first 500 KiB of robots.txt
MAX_SITEMAP_LINES = 20  # `Sitemap:` lines of robots.txt followed
MAX_REDIRECTS = 3
CONCURRENCY = 2  # sitemap requests in flight, beside the link crawl's own

_SITEMAP_LINE = re.compile(r"^[ \t]*sitemap[ \t]*:[ \t]*(\S{1,2000})", re.IGNORECASE | re.MULTILINE)
# `[^<]` cannot run past the next tag, so the search is linear however the file is malformed.
_LOC = re.compile(r"<(?:[A-Za-z][\w.-]{0,30}:)?loc\s*>\s*([^<]{1,4000}?)\s*</", re.IGNORECASE)
_INDEX = re.compile(r"<(?:[A-Za-z][\w.-]{0,30}:)?sitemapindex\b", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class SitemapFile:
    """One sitemap file to read: its URL and how it was found ("robots.txt", "/sitemap.xml", an index)."""

    url: str
    found_in: str
    depth: int


async def discover(client: httpx.AsyncClient, origin: str, host: str, *, timeout: float,
                   deadline: float) -> dict[str, Any]:
    """The same-host page URLs the site's sitemaps list, with what was read: never raises.

    `origin` is the scheme://host[:port] the crawl's home page answered on.
    """
    files: list[dict[str, Any]] = []
    robots = await _fetch(client, f"{origin}/robots.txt", host, MAX_ROBOTS_BYTES, timeout, deadline)
    queue: list[SitemapFile] = []
    robots_note: dict[str, Any] = {"url": f"{origin}/robots.txt", "status": robots.status,
                                   "error": robots.error, "sitemaps": []}
    if robots.body is not None and robots.status == 200:
        for line in _SITEMAP_LINE.findall(robots.body.decode("utf-8", "replace"))[:MAX_SITEMAP_LINES]:
            url = _absolute(f"{origin}/robots.txt", unescape(line))
            robots_note["sitemaps"].append(url or line[:200])
            if url and _same_host(url, host):
                queue.append(SitemapFile(url, "robots.txt", 1))
            elif url:
                robots_note.setdefault("not_followed", []).append(url[:200])  # another host: not ours to fetch
    queue.append(SitemapFile(f"{origin}/sitemap.xml", "/sitemap.xml", 1))
    urls: dict[str, str] = {}  # page URL -> the sitemap that listed it
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def polite(url: str) -> _Fetched:
        async with semaphore:
            return await _fetch(client, url, host, MAX_FILE_BYTES, timeout, deadline)

    done: set[str] = set()
    while queue and len(done) < MAX_FILES and time.monotonic() < deadline:
        batch: list[SitemapFile] = []
        while queue and len(done) + len(batch) < MAX_FILES:
            item = queue.pop(0)
            if item.url not in done and all(item.url != b.url for b in batch):
                batch.append(item)
        done.update(item.url for item in batch)
        fetched = await asyncio.gather(*(polite(item.url) for item in batch))
        for item, answer in zip(batch, fetched, strict=True):
            note: dict[str, Any] = {"url": item.url, "found_in": item.found_in, "status": answer.status}
            files.append(note)
            if answer.body is None or answer.status != 200:
                note.update(error_fields(answer.error or Wording("sitemap.status", {"status": answer.status})))
                continue
            text, notes = _text(answer)
            if notes:
                note.update(_notes(notes))
            kind, locations = parse_sitemap(text)
            note["kind"] = kind
            same = [u for u in (_absolute(item.url, loc) for loc in locations) if u and _same_host(u, host)]
            note["entries"], note["other_hosts"] = len(locations), len(locations) - len(same)
            if kind == "index":
                queue.extend(SitemapFile(u, item.url, item.depth + 1) for u in same if item.depth < MAX_INDEX_DEPTH)
                continue
            for url in same:
                if len(urls) >= MAX_URLS:
                    note.update(_notes([*notes, Wording("sitemap.too_many_urls", {"count": MAX_URLS})]))
                    break
                urls.setdefault(url, item.url)
    if queue:
        robots_note["not_read"] = len({item.url for item in queue} - done)  # past MAX_FILES or the deadline
    return {"robots": robots_note, "files": files, "urls": urls}


def choose(listed: dict[str, str], seen: set[str], budget: int) -> list[tuple[str, str]]:
    """Up to `budget` (URL, sitemap) pairs the link crawl did not reach, doorway-like ones first.

    Doorway-like: under an upload folder (`rules/data/upload-folders.txt`) or with gambling
    vocabulary in the URL; otherwise the sitemap's own order.
    """
    lexicon = gambling_lexicon()
    folders = upload_folders()
    fresh = [(url, source) for url, source in listed.items() if url not in seen]

    def doorway_like(url: str) -> bool:
        segments = {part.lower() for part in urlsplit(url).path.split("/")[:-1]}
        return bool(segments & folders) or bool(lexicon.in_url(urlsplit(url).path))

    return sorted(fresh, key=lambda pair: not doorway_like(pair[0]))[:budget]


@cache
def upload_folders() -> frozenset[str]:
    """Folder names of uploaded files (`rules/data/upload-folders.txt`)."""
    text = resources.files("trustscan.rules").joinpath("data", "upload-folders.txt").read_text("utf-8")
    return frozenset(term.lower() for term in parse_term_list(text))


def parse_sitemap(text: str) -> tuple[str, list[str]]:
    """("index" | "urlset" | "text", the <loc> values, or the URL lines of a plain-text sitemap)."""
    head = text.lstrip()[:1]
    if head and head != "<":
        lines = [line.strip() for line in text.splitlines()]
        return "text", [line for line in lines if line.lower().startswith(("http://", "https://"))][:MAX_URLS]
    kind = "index" if _INDEX.search(text, 0, 4096) else "urlset"
    locations = []
    for match in _LOC.finditer(text):
        locations.append(unescape(match.group(1)).strip())
        if len(locations) >= MAX_URLS:
            break
    return kind, locations


def decompress(body: bytes, cap: int = MAX_FILE_BYTES) -> tuple[bytes, bool]:
    """Gunzip at most `cap` output bytes (a gzip bomb stops there); True when there was more."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, cap)
    except zlib.error:
        raise ValueError("not a valid gzip file") from None
    return out, bool(inflater.unconsumed_tail)


@dataclass(frozen=True)
class _Fetched:
    status: int | None
    body: bytes | None  # None: nothing to read (an error, a redirect off the host, not 200)
    error: Wording | None = None
    truncated: bool = False


async def _fetch(client: httpx.AsyncClient, url: str, host: str, cap: int, timeout: float,
                 deadline: float) -> _Fetched:
    """One file, redirects followed within the host; the body capped at `cap` bytes read."""
    statuses: list[int] = []

    def hop_timeout() -> float:
        return min(timeout, deadline - time.monotonic())

    async def record(answer: Answer) -> _Fetched | Follow:
        statuses.append(answer.response.status_code)
        if answer.location is not None:
            if answer.target and _same_host(answer.target, host) and not answer.loops and not answer.limit_reached:
                return FOLLOW
            return _Fetched(answer.response.status_code, None,
                            Wording("sitemap.redirected", {"location": answer.location[:200]}))
        if answer.response.status_code != 200:
            return _Fetched(answer.response.status_code, None)
        body, truncated = await read_capped(answer.response, cap)
        return _Fetched(200, body, truncated=truncated)

    try:
        return await follow_redirects(client, url, record, max_redirects=MAX_REDIRECTS, hop_timeout=hop_timeout,
                                      send_cookies=False)
    except TimeoutError:
        return _Fetched(statuses[-1] if statuses else None, None, Wording("sitemap.deadline"))
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError, OSError) as exc:
        return _Fetched(statuses[-1] if statuses else None, None, classify(exc))


def _text(fetched: _Fetched) -> tuple[str, list[Wording]]:
    """The file as text (gunzipped when it is gzip, whatever its headers say) and what was cut."""
    body = fetched.body or b""
    notes = [Wording("sitemap.truncated", {"bytes": MAX_FILE_BYTES})] if fetched.truncated else []
    if body.startswith(_GZIP_MAGIC):
        try:
            body, more = decompress(body)
        except ValueError:
            return "", [*notes, Wording("sitemap.not_gzip")]
        if more:
            notes.append(Wording("sitemap.decompressed_too_large", {"bytes": MAX_FILE_BYTES}))
    return body.decode("utf-8", "replace"), notes


def _notes(notes: list[Wording]) -> dict[str, list[Any]]:
    """What was cut from a sitemap file: `notes` in English and `notes_wording` beside them, for any language."""
    return {"notes": [note.english() for note in notes], "notes_wording": [note.to_json() for note in notes]}


def _absolute(base: str, url: str) -> str | None:
    try:
        absolute = urldefrag(urljoin(base, url.strip())).url
        parts = urlsplit(absolute)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return absolute[:2000] if parts.scheme in ("http", "https") else None


def _same_host(url: str, host: str) -> bool:
    try:
        return (urlsplit(url).hostname or "").lower() == host.lower()
    except ValueError:
        return False
