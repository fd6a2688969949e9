"""Criterion b from the crawl: the personal-data policy, consent in forms, trackers on first view.

Decree 137/2024/ND-CP Art. 21(2)(b) asks for a commitment to collect personal data only with the
user's consent; Decree 13/2023/ND-CP (Art. 11) says what consent is. A scan can see: a policy page
reachable from the site and whether it speaks of consent; forms that collect personal data and
whether they carry a consent checkbox, statement or policy link; and trackers or tracking cookies
set on the first page view, before a visitor could consent to anything.

The only I/O here is fetching the policy page itself (at most `MAX_POLICY_FETCHES` candidates),
because the crawl keeps element facts, not page text.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from trustscan.collect.crawl.content import html_pages
from trustscan.collect.crawl.crawl import MAX_BODY
from trustscan.collect.crawl.decode import decode_html
from trustscan.collect.crawl.extract import visible_text
from trustscan.collect.crawl.lexicon import Lexicon, privacy_vocabulary, trackers
from trustscan.core.errors import ProbeError
from trustscan.net.httpclient import FOLLOW, Answer, Follow, follow_redirects, read_capped

MAX_POLICY_FETCHES = 3
MAX_REDIRECTS = 3
MAX_FINDINGS = 30
_NOT_PERSONAL_TYPES = {"hidden", "submit", "button", "reset", "image", "checkbox", "radio", "password", "file",
                       "search", "range", "color"}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def find_policy_links(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Links whose text or URL names the privacy / personal-data policy, home page first, unique by URL."""
    vocabulary: Lexicon = privacy_vocabulary()["policy_link"]
    found: dict[str, dict[str, Any]] = {}
    for page in pages:
        for link in page["html"]["links"]:
            url = link.get("url")
            if not url or url in found or not url.lower().startswith(("http://", "https://")):
                continue
            terms = vocabulary.in_text(link.get("text")) + vocabulary.in_url(url)
            if terms:
                found[url] = {"url": url, "text": link.get("text"), "page": page.get("final_url") or page["url"]}
    return list(found.values())[:10]


def consent_in_policy(text: str) -> dict[str, Any]:
    """What the policy text says about consent and the personal data protection law."""
    vocabulary = privacy_vocabulary()
    return {
        "consent_terms": vocabulary["policy_consent"].in_text(text),
        "law_references": vocabulary["law_reference"].in_text(text),
    }


def personal_data_forms(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every distinct form that collects personal data, with the consent evidence found in it."""
    vocabulary = privacy_vocabulary()
    forms: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for page in pages:
        page_url = page.get("final_url") or page["url"]
        for form in page["html"]["forms"]:
            personal = _personal_fields(form, vocabulary)
            if not personal or _is_login(form, personal):
                continue
            key = (form.get("action_url") or "", tuple(f.get("name") or "" for f in form["fields"]))
            if key in forms:
                continue
            forms[key] = {"page": page_url, "form": form["element"], "action": form.get("action_url"),
                          "personal_fields": personal, "consent": _form_consent(form, vocabulary)}
    return list(forms.values())[:MAX_FINDINGS]


def _personal_fields(form: dict[str, Any], vocabulary: dict[str, Any]) -> list[str]:
    lexicon: Lexicon = vocabulary["personal_field"]
    found = []
    for field in form["fields"]:
        kind = field.get("type") or "text"
        if kind in _NOT_PERSONAL_TYPES:
            continue
        words = " ".join(_CAMEL.sub(" ", field.get(k) or "") for k in ("name", "id", "placeholder", "autocomplete",
                                                                       "label"))
        if kind in vocabulary["personal_input_types"] or lexicon.in_text(words) or lexicon.in_url(words):
            found.append(field.get("name") or field.get("id") or kind)
    return found


def _is_login(form: dict[str, Any], personal: list[str]) -> bool:
    """A sign-in form (password + one identifier) collects nothing new: not a personal-data form."""
    has_password = any(f.get("type") == "password" for f in form["fields"])
    return has_password and len(personal) <= 1


def _form_consent(form: dict[str, Any], vocabulary: dict[str, Any]) -> str | None:
    """Why the form counts as asking for consent, or None."""
    consent: Lexicon = vocabulary["form_consent"]
    policy: Lexicon = vocabulary["policy_link"]
    for field in form["fields"]:
        if field.get("type") == "checkbox":
            words = " ".join(field.get(k) or "" for k in ("label", "name", "id"))
            if consent.in_text(words) or consent.in_url(words) or policy.in_text(words):
                return f"consent checkbox {field.get('name') or field.get('id') or ''}".strip()
    for link in form.get("links") or []:
        if policy.in_text(link.get("text")) or policy.in_url(link.get("url")):
            return f"link to the policy ({link.get('url')})"
    if consent.in_text(form.get("text")):
        return "consent statement in the form"
    return None


def first_view_trackers(first_page: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Tracker names loaded, and tracking cookies set, by the home page before any interaction."""
    names: list[str] = []
    html = first_page.get("html") or {}
    for script in html.get("scripts") or []:
        names += [s["about"] for s in script.get("signals") or [] if s.get("kind") == "tracker"]
    cookies = []
    for cookie in first_page.get("cookies") or []:
        for tracker in trackers():
            if any(cookie["name"].startswith(prefix) for prefix in tracker.get("cookies") or ()):
                cookies.append({"name": cookie["name"], "tracker": tracker["name"]})
                break
    return list(dict.fromkeys(names)), cookies


async def analyse_privacy(client: httpx.AsyncClient, crawl: dict[str, Any], *, timeout: float,
                          deadline: float) -> dict[str, Any]:
    """The facts criterion b's rules read; see rules/b-privacy.yaml."""
    pages = html_pages(crawl)
    candidates = find_policy_links(pages)
    policy: dict[str, Any] | None = None
    attempts = []
    for candidate in candidates[:MAX_POLICY_FETCHES]:
        fetched = await fetch_text(client, candidate["url"], timeout=min(timeout, deadline - time.monotonic()),
                                   deadline=deadline)
        attempts.append({"url": candidate["url"], "status": fetched.get("status"), "error": fetched.get("error")})
        if fetched.get("text") is not None:
            policy = {**candidate, **fetched}
            break
    if policy is None and candidates and time.monotonic() >= deadline:
        # Not "no policy": the candidates were not all read. An error, never a verdict on half the evidence.
        raise ProbeError("audit deadline reached before the policy page could be read")
    said = consent_in_policy(policy["text"]) if policy else {"consent_terms": [], "law_references": []}
    forms = personal_data_forms(pages)
    trackers_seen, cookies = first_view_trackers(crawl["pages"][0])
    return {
        "pages_analysed": len(pages),
        "policy_candidates": candidates,
        "policy_fetches": attempts,
        "policy_found": policy is not None,
        "policy_url": policy["final_url"] if policy else None,
        "policy_consent": bool(said["consent_terms"]),
        "policy_consent_terms": said["consent_terms"],
        "law_references": said["law_references"],
        "personal_data_forms": forms,
        "forms_without_consent": [{k: v for k, v in f.items() if k != "consent"} for f in forms if not f["consent"]],
        "trackers": trackers_seen,
        "tracking_cookies": cookies,
    }


@dataclass(frozen=True)
class _Page:
    url: str
    body: bytes
    content_type: str | None


async def fetch_text(client: httpx.AsyncClient, url: str, *, timeout: float,
                     deadline: float = float("inf")) -> dict[str, Any]:
    """The visible text of an HTML page (redirects followed); never raises for what the server does.

    The page is not parsed once `deadline` (time.monotonic()) has passed.
    """
    if timeout <= 0:
        return {"status": None, "error": "audit deadline near", "text": None}

    async def read(answer: Answer) -> dict[str, Any] | _Page | Follow:
        response = answer.response
        if answer.location is not None:
            if answer.limit_reached:
                return {"status": None, "error": f"more than {MAX_REDIRECTS} redirects", "text": None}
            if answer.target is None:
                return {"status": None, "error": f"malformed redirect location: {answer.location[:200]}",
                        "text": None}
            return FOLLOW
        content_type = response.headers.get("content-type")
        if response.status_code != 200 or not (content_type or "text/html").lower().startswith(
                ("text/html", "application/xhtml+xml")):
            return {"status": response.status_code, "error": f"not an HTML page ({content_type})", "text": None}
        body, _ = await read_capped(response, MAX_BODY)
        return _Page(answer.url, body, content_type)

    try:
        got: dict[str, Any] | _Page = await follow_redirects(client, url, read, max_redirects=MAX_REDIRECTS,
                                                             hop_timeout=lambda: timeout)
    except TimeoutError:
        return {"status": None, "error": f"no answer within {timeout:.1f}s", "text": None}
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError, OSError) as exc:
        return {"status": None, "error": f"{type(exc).__name__}: {str(exc)[:200]}", "text": None}
    if isinstance(got, dict):
        return got
    if time.monotonic() >= deadline:
        return {"status": 200, "error": "audit deadline reached before the page was read", "text": None}
    text = await asyncio.to_thread(_visible_text, got.body, got.content_type)
    return {"status": 200, "final_url": got.url, "text": text, "error": None}


def _visible_text(body: bytes, content_type: str | None) -> str:
    return visible_text(decode_html(body, content_type).text)
