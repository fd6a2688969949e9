"""The personal-data policy, recognised by what it says, not by the text of a link (criterion b).

Decree 13/2023/ND-CP Art. 13 asks the controller to tell data subjects what is processed, why, by whom
and for how long; a page does that or it does not, whatever its link is called. So the links that may
lead to the policy are followed and each page (or PDF) they reach is judged by its title, headings and
body against the vocabulary of `rules/data/privacy-vocabulary.yaml`:

* candidates, best first: links whose text or URL names the policy ("Chính sách bảo mật", "privacy"),
  from any crawled page, navigation/header/footer first; then links that may lead to it ("Chính sách",
  "Điều khoản sử dụng", "Terms") from the navigation, header or footer only;
* a page that is not the policy (a hub of policies, say) has its own such links followed: at most
  `MAX_HOPS` hops from the crawled pages, `MAX_POLICY_FETCHES` documents in all;
* a page is the policy when a title or heading announces personal-data protection and the body uses at
  least `with_heading` distinct terms of its vocabulary (so a personal-data section of the terms of
  use counts), or when the body alone uses `without_heading` of them. The score is in the evidence.

A PDF counts like a page (its text read by pdftext.py within its caps). The only I/O is these fetches.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit

import httpx

from trustscan.collect.crawl.crawl import MAX_BODY
from trustscan.collect.crawl.decode import decode_html
from trustscan.collect.crawl.extract import extract_page
from trustscan.collect.crawl.lexicon import Lexicon, privacy_vocabulary
from trustscan.collect.crawl.parse import visible_text
from trustscan.collect.crawl.pdftext import MAX_PDF_BYTES, pdf_text
from trustscan.core.wordings import Wording
from trustscan.net.failures import classify, error_fields
from trustscan.net.httpclient import FOLLOW, Answer, Follow, follow_redirects, read_capped

MAX_POLICY_FETCHES = 8
MAX_HOPS = 2
MAX_CANDIDATES = 20
MAX_REDIRECTS = 3
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PDF_TYPE = "application/pdf"
# Answers that settle a candidate (it is not a readable policy); anything else leaves it unread.
_DEFINITE = ("error.policy.status", "error.policy.pdf_too_large", "error.policy.not_a_page", "error.redirect.limit",
             "error.redirect.malformed")


@dataclass(frozen=True)
class _Body:
    url: str  # where the redirects ended
    kind: str  # "html" or "pdf"
    body: bytes
    content_type: str | None


@dataclass
class _Document:
    url: str
    kind: str  # "html" or "pdf"
    title: str | None
    headings: list[str]
    text: str
    links: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None


def policy_candidates(pages: list[dict[str, Any]], hop: int = 1) -> list[dict[str, Any]]:
    """Links that name the policy (anywhere) or may lead to it (navigation/footer), best first, unique."""
    vocabulary = privacy_vocabulary()
    strong: Lexicon = vocabulary["policy_link"]
    weak: Lexicon = vocabulary["policy_link_weak"]
    ranked: dict[str, tuple[int, dict[str, Any]]] = {}
    for page in pages:
        for link in (page.get("html") or {}).get("links") or []:
            url = link.get("url")
            if not url or not url.lower().startswith(("http://", "https://")):
                continue
            url = urldefrag(url).url
            text = link.get("text")
            region = link.get("region")
            where = _path(url)  # not the host: "b-terms.example" or "privacy.example" names no page
            if strong.in_text(text) or strong.in_url(where):
                rank = 0 if region else 1
            elif region and (weak.in_text(text) or weak.in_url(where)):
                rank = 2
            else:
                continue
            if url not in ranked or rank < ranked[url][0]:
                ranked[url] = (rank, {"url": url, "text": text, "page": page.get("final_url") or page.get("url"),
                                      "region": region, "hop": hop})
    ordered = sorted(ranked.values(), key=lambda item: item[0])
    return [candidate for _, candidate in ordered][:MAX_CANDIDATES]


def _path(url: str) -> str:
    """The path and query of a URL, where a page's name is."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def recognise_policy(title: str | None, headings: list[str], text: str) -> dict[str, Any]:
    """Whether a document is the personal-data policy, and the score that says so (module docstring)."""
    vocabulary = privacy_vocabulary()
    thresholds = vocabulary["policy_recognition"]
    heading_terms = vocabulary["policy_heading"].in_text(" | ".join([title or "", *headings]))
    body_terms = vocabulary["policy_body"].in_text(text)
    needed = thresholds["with_heading"] if heading_terms else thresholds["without_heading"]
    return {"is_policy": len(body_terms) >= needed, "score": len(body_terms), "needed": needed,
            "heading_terms": heading_terms, "body_terms": body_terms}


def consent_in_policy(text: str) -> dict[str, Any]:
    """What the policy text says about consent and the personal data protection law."""
    vocabulary = privacy_vocabulary()
    return {
        "consent_terms": vocabulary["policy_consent"].in_text(text),
        "law_references": vocabulary["law_reference"].in_text(text),
    }


async def find_policy(client: httpx.AsyncClient, pages: list[dict[str, Any]], *, timeout: float,
                      deadline: float) -> dict[str, Any]:
    """Follow the candidates until a document is the policy; every fetch and its score is evidence.

    `found` is None (unknown, never "no policy") when a candidate could not be read, or the deadline
    came, before any document was recognised.
    """
    queue = policy_candidates(pages)
    candidates = list(queue)
    seen = {candidate["url"] for candidate in queue}
    fetches: list[dict[str, Any]] = []
    unread = False
    while queue and len(fetches) < MAX_POLICY_FETCHES:
        candidate = queue.pop(0)
        remaining = min(timeout, deadline - time.monotonic())
        if remaining <= 0:
            unread = True
            break
        got = await fetch_document(client, candidate["url"], timeout=remaining, deadline=deadline)
        entry: dict[str, Any] = {"url": candidate["url"], "hop": candidate["hop"], "link_text": candidate["text"]}
        fetches.append(entry)
        if isinstance(got, Wording):
            entry.update(error_fields(got))
            unread = unread or got.id not in _DEFINITE
            continue
        recognised = recognise_policy(got.title, got.headings, got.text)
        entry.update(final_url=got.url, kind=got.kind, title=got.title, note=got.note, **recognised)
        if recognised["is_policy"]:
            return {"found": True, "document": got, "candidates": candidates, "fetches": fetches,
                    "recognised": recognised}
        if candidate["hop"] < MAX_HOPS:
            for link in policy_candidates([{"final_url": got.url, "html": {"links": got.links}}],
                                          candidate["hop"] + 1):
                if link["url"] not in seen:
                    seen.add(link["url"])
                    queue.append(link)
    return {"found": None if unread else False, "document": None, "candidates": candidates, "fetches": fetches,
            "recognised": None}


async def fetch_document(client: httpx.AsyncClient, url: str, *, timeout: float,
                         deadline: float = float("inf")) -> _Document | Wording:
    """An HTML page or a PDF, its text read; a Wording saying why not. Never raises for what the server does."""

    async def read(answer: Answer) -> Wording | _Body | Follow:
        response = answer.response
        if answer.location is not None:
            if answer.limit_reached:
                return Wording("error.redirect.limit", {"limit": MAX_REDIRECTS})
            if answer.target is None:
                return Wording("error.redirect.malformed", {"location": answer.location[:200]})
            return FOLLOW
        content_type = (response.headers.get("content-type") or "").lower()
        if response.status_code != 200:
            return Wording("error.policy.status", {"status": response.status_code})
        is_pdf = content_type.startswith(_PDF_TYPE) or (
            content_type in ("", "application/octet-stream") and answer.url.lower().split("?")[0].endswith(".pdf"))
        if is_pdf:
            body, truncated = await read_capped(response, MAX_PDF_BYTES)
            if truncated:
                return Wording("error.policy.pdf_too_large", {"limit": MAX_PDF_BYTES})
            return _Body(answer.url, "pdf", body, None)
        if content_type and not content_type.startswith(_HTML_TYPES):
            return Wording("error.policy.not_a_page", {"content_type": content_type[:60]})
        body, _ = await read_capped(response, MAX_BODY)
        return _Body(answer.url, "html", body, response.headers.get("content-type"))

    try:
        got: Wording | _Body = await follow_redirects(client, url, read, max_redirects=MAX_REDIRECTS,
                                                      hop_timeout=lambda: timeout)
    except TimeoutError:
        return Wording("error.no_answer_within", {"seconds": f"{timeout:.1f}"})
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError, OSError) as exc:
        return classify(exc)
    if isinstance(got, Wording):
        return got
    if time.monotonic() >= deadline:
        return Wording("error.policy.deadline")
    try:
        if got.kind == "pdf":
            return await asyncio.to_thread(_pdf_document, got.url, got.body, deadline)
        return await asyncio.to_thread(_html_document, got.url, got.body, got.content_type, deadline)
    except TimeoutError:
        return Wording("error.policy.deadline")


def _pdf_document(url: str, body: bytes, deadline: float) -> _Document:
    read = pdf_text(body, deadline)
    lines = [line.strip() for line in read.text.splitlines() if line.strip()]
    # A PDF has no markup: its first lines stand for its headings.
    return _Document(url, "pdf", read.title, [" ".join(line.split())[:200] for line in lines[:5]], read.text,
                     note=read.note)


def _html_document(url: str, body: bytes, content_type: str | None, deadline: float) -> _Document:
    decoded = decode_html(body, content_type)
    facts = extract_page(decoded.text, url, deadline)
    return _Document(url, "html", facts["title"], facts["headings"], visible_text(decoded.text), facts["links"])

