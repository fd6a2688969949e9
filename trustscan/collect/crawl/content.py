"""Criterion đ findings from the crawl: injected spam links, miners, obfuscation, redirects, forms.

Pure analysis of the `crawl` attempt (no I/O), kept apart from the retrieval as in Mozilla's
http-observatory (retriever -> analyzer). Every finding names the page, the element and the
reason, so the report shows *what was seen*. A finding repeated on many pages (an injected footer)
is reported once with the number of other pages it was also seen on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from trustscan.collect.crawl.gambling import weigh_page
from trustscan.collect.crawl.hiding import hidden_how
from trustscan.collect.crawl.lexicon import gambling_vocabulary
from trustscan.core.errors import ProbeError
from trustscan.core.wordings import Wording, worded
from trustscan.net.domains import host_of, is_offsite
from trustscan.net.failures import recorded_cause

MAX_FINDINGS = 50


def html_pages(crawl: dict[str, Any]) -> list[dict[str, Any]]:
    """The crawled pages that were parsed as HTML; ProbeError when there is none to judge."""
    pages = [p for p in crawl.get("pages") or [] if p.get("html") is not None]
    if not pages:
        first = (crawl.get("pages") or [{}])[0]
        seen = recorded_cause(first) if first.get("error") else Wording(
            "error.content.not_html", {"status": first.get("status"), "content_type": first.get("content_type")})
        raise ProbeError("error.content.no_html", cause=seen)
    return pages


def analyse_content(crawl: dict[str, Any], host: str, deadline: float = math.inf) -> dict[str, Any]:
    """The facts criterion đ's rules read; see rules/dd-content.yaml.

    `deadline` (time.monotonic()) is checked between pages: past it, ProbeError, never facts from a
    part of the pages.
    """
    pages = html_pages(crawl)
    vocabulary = gambling_vocabulary()
    lexicon = vocabulary.any
    spam_links, spam_text, miners, obfuscated, redirects, password_forms, no_integrity = ([] for _ in range(7))
    gambling_pages: list[dict[str, Any]] = []
    not_read: list[dict[str, Any]] = []
    for page in pages:
        if time.monotonic() >= deadline:
            raise ProbeError("error.content.deadline")
        url, html = page.get("final_url") or page["url"], page["html"]
        unread = _unread_part(page)
        if unread:
            not_read.append({"page": url, **worded("reason", unread)})
        for link in html["links"]:
            if not link.get("hidden") or not is_offsite(link.get("url"), host):
                continue
            terms = lexicon.in_text(link.get("text")) + lexicon.in_url(link.get("url"))
            if terms:
                spam_links.append(_finding(url, f"<{link['tag']} href={link['href']}>",
                                           Wording("finding.hidden_link", {"how": hidden_how(link)}),
                                           target=link["url"], text=link.get("text"), terms=_unique(terms),
                                           written_by=link.get("written_by"),
                                           written_by_wording=link.get("written_by_wording")))
        promotes = weigh_page(url, html, host, vocabulary)
        if promotes:
            gambling_pages.append(promotes)
        for block in html["hidden_blocks"]:
            if block.get("links"):
                continue  # its links are judged one by one above, with their targets
            terms = lexicon.in_text(block.get("text"))
            if len(set(terms)) >= 2:  # one word ("slot") in a hidden menu is not spam; several are
                hidden_text = Wording("finding.hidden_text", {"how": hidden_how(block)})
                spam_text.append(_finding(url, block["element"], hidden_text, text=block.get("text"),
                                          terms=_unique(terms)))
        for index, script in enumerate(html["scripts"]):
            element: str | Wording = (f"<script src={script['src']}>" if script.get("src")
                                      else Wording("finding.element.inline_script", {"number": index + 1}))
            for signal in script.get("signals") or []:
                if signal["kind"] == "cryptominer":
                    miners.append(_finding(url, element, _signature(signal), signature=signal["id"],
                                           excerpt=signal.get("excerpt")))
                elif signal["kind"] == "obfuscation":
                    obfuscated.append(_finding(url, element, _signature(signal), signature=signal["id"],
                                               excerpt=signal.get("excerpt")))
                elif signal["kind"] == "redirect":
                    target = _absolute(url, signal.get("target"))
                    if is_offsite(target, host):
                        redirects.append(_finding(url, element, Wording("finding.script_redirect"),
                                                  target=target, signature=signal["id"]))
            if script.get("url") and is_offsite(script["url"], host) and not script.get("integrity"):
                no_integrity.append(_finding(url, element, Wording("finding.no_integrity"),
                                             target=script["url"]))
        for refresh in html["meta_refresh"]:
            if is_offsite(refresh.get("url"), host):
                redirects.append(_finding(url, f"<meta http-equiv=refresh content={refresh['content']}>",
                                          Wording("finding.meta_refresh"), target=refresh["url"]))
        for form in html["forms"]:
            reason = _password_form_problem(form, host)
            if reason:
                password_forms.append(_finding(url, form["element"], reason, target=form.get("action_url")))
    return {
        "pages_analysed": len(pages),
        # What a page hides past the point where it could not be read cannot pass: None makes the rules
        # that read it say error, unless something already found on the pages makes them fail.
        "pages_not_fully_read": not_read[:MAX_FINDINGS],
        "pages_fully_read": True if not not_read else None,
        "hidden_spam_links": _merge(spam_links),
        "hidden_spam_text": _merge(spam_text),
        "gambling_pages": gambling_pages[:MAX_FINDINGS],
        "cryptominers": _merge(miners),
        "obfuscated_scripts": _merge(obfuscated),
        "offsite_redirects": _merge(redirects),
        "unsafe_password_forms": _merge(password_forms),
        "scripts_without_integrity": _merge(no_integrity),
    }


def _unread_part(page: dict[str, Any]) -> Wording | None:
    """Why part of a page was not analysed (cut at the body cap, or the parser stopped), or None."""
    if page.get("truncated"):
        return Wording("error.page.truncated", {"bytes": page.get("bytes")})
    if page["html"].get("fully_read") is False:
        return Wording.from_json(page["html"].get("unread_wording")) or Wording("error.page.not_read_to_end")
    return None


def _password_form_problem(form: dict[str, Any], host: str) -> Wording | None:
    """A password that leaves the site or travels in clear text (OWASP ASVS 2.x / criterion c's spirit)."""
    if not any(field.get("type") == "password" for field in form.get("fields") or []):
        return None
    action = form.get("action_url") or ""
    if is_offsite(action, host):
        return Wording("finding.password_offsite", {"host": host_of(action)})
    try:
        scheme = urlsplit(action).scheme.lower()
    except ValueError:
        return None
    if scheme == "http":
        return Wording("finding.password_http")
    return None


def outbound_hosts(crawl: dict[str, Any], host: str) -> dict[str, list[dict[str, str]]]:
    """Every off-site host a page links to, loads a script, frame or object from, posts a form to or
    redirects to (HTTP, meta refresh, script).

    Maps host -> up to 3 {page, element} places it was seen, for criterion đ's reputation check. An
    element said in words ("HTTP redirect") has its Wording beside it (`element_wording`); markup
    ("<a href>") is the same in every language.
    """
    places: dict[str, list[dict[str, Any]]] = {}
    for page in crawl.get("pages") or []:
        html = page.get("html")
        url = page.get("final_url") or page["url"]
        found: list[tuple[str | Wording, str]] = [(HTTP_REDIRECT, page.get("offsite_redirect") or "")]
        found += _outbound_elements(html, url) if html is not None else []  # a redirected page has no html
        for element, target in found:
            if is_offsite(target, host):
                seen = places.setdefault(host_of(target), [])
                if len(seen) < 3:
                    seen.append({"page": page["url"] if element == HTTP_REDIRECT else url, **place_element(element)})
    return places


#: How a page sends its visitor away by HTTP, as a place an off-site host was seen.
HTTP_REDIRECT = Wording("place.http_redirect")


def place_element(element: str | Wording) -> dict[str, Any]:
    """A place's `element`: markup as written, or words in English with `element_wording` beside them."""
    return worded("element", element) if isinstance(element, Wording) else {"element": element}


def _outbound_elements(html: dict[str, Any], page_url: str) -> Iterator[tuple[str | Wording, str]]:
    for link in html["links"]:
        yield f"<{link['tag']} href>", link.get("url") or ""
    for script in html["scripts"]:
        yield "<script src>", script.get("url") or ""
    for frame in html["iframes"]:
        tag = frame.get("tag") or "iframe"
        yield f"<{tag} {'data' if tag == 'object' else 'src'}>", frame.get("url") or ""
    for form in html["forms"]:
        yield "<form action>", form.get("action_url") or ""
    for refresh in html["meta_refresh"]:
        yield "<meta refresh>", refresh.get("url") or ""
    yield from script_redirects(html, page_url)


def script_redirects(html: dict[str, Any], page_url: str) -> Iterator[tuple[Wording, str]]:
    """("script redirect (signature)" as a Wording, absolute target) of each script redirect signal of a page."""
    base = html.get("base_url") or page_url
    for script in html["scripts"]:
        for signal in script.get("signals") or []:
            if signal.get("kind") == "redirect" and signal.get("target"):
                yield (Wording("place.script_redirect", {"signature": signal["id"]}),
                       _absolute(base, signal["target"]) or "")


def _finding(page: str, element: str | Wording, reason: Wording, **details: Any) -> dict[str, Any]:
    """A finding; its `reason` in English and as a Wording (`reason_wording`) for every output's language, and
    so its element when words name it ("inline <script> #2"); markup is the same in every language."""
    named = worded("element", element) if isinstance(element, Wording) else {"element": element[:200]}
    return {"page": page, **named, **worded("reason", reason),
            **{k: v for k, v in details.items() if v not in (None, "", [])}}


def _signature(signal: dict[str, Any]) -> Wording:
    """A signature's description from rules/data/script-signatures.yaml, in either language (`signature.<id>`)."""
    return Wording("finding.signature", {"about": Wording(f"signature.{signal['id']}")})


def _merge(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One finding per (element, reason, target); `also_on` counts the other pages it was seen on."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for finding in findings:
        key = (finding["element"], finding["reason"], str(finding.get("target", "")))
        if key in merged:
            merged[key]["also_on"] = merged[key].get("also_on", 0) + 1
        elif len(merged) < MAX_FINDINGS:
            merged[key] = dict(finding)
    return list(merged.values())


# The other đ analyses (delivery.py) report repeated findings and unread pages the same way.
merge_findings = _merge
unread_part = _unread_part


def _absolute(base: str, target: str | None) -> str | None:
    if not target:
        return None
    try:
        return urljoin(base, target)
    except ValueError:
        return None


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
