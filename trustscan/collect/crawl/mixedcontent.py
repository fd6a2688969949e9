"""User data in transit on HTTPS pages (criterion c), from the crawl's page facts.

Decree 137/2024/ND-CP Art. 21(2)(c): the user's data is encrypted from the access device to the site.
An HTTPS page defeats that when it

* has a form whose action (or a submit button's `formaction`) submits over plain `http://` (what the
  visitor types travels in clear);
* loads active content over `http://` — scripts, frames, stylesheets, objects, preloads (W3C Mixed
  Content: "blockable"), which an attacker on the path can replace to read or rewrite the page;
* loads passive content over `http://` — images, audio, video ("optionally-blockable"): it leaks
  what is viewed and can be altered, but cannot reach the page's data (a warning).

A page whose Content-Security-Policy (header or `<meta http-equiv>`) says `upgrade-insecure-requests`
has its subresources, and its forms to its own host, fetched over HTTPS by the browser: those are
recorded as upgraded, not as findings. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

MAX_FINDINGS = 50
_PASSIVE_TAGS = frozenset({"img", "audio", "video", "source", "input"})
# <link rel> values that fetch something (the others, canonical or alternate, are only references).
_FETCHING_RELS = frozenset({"stylesheet", "preload", "modulepreload", "prefetch", "icon", "apple-touch-icon",
                            "manifest", "mask-icon"})
_IMAGE_RELS = frozenset({"icon", "apple-touch-icon", "mask-icon"})


def mixed_content(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """The plain-HTTP form actions and subresources of every HTTPS page crawled, with their pages."""
    https_pages = [p for p in pages if p.get("html") is not None
                   and (p.get("final_url") or p.get("url") or "").lower().startswith("https:")]
    forms: list[dict[str, Any]] = []
    active: list[dict[str, Any]] = []
    passive: list[dict[str, Any]] = []
    upgraded: list[str] = []
    for page in https_pages:
        url = page.get("final_url") or page["url"]
        html = page["html"]
        upgrades = _upgrades_insecure_requests(page)
        if upgrades:
            upgraded.append(url)
        host = _host(url)
        for form in html.get("forms") or []:
            # The form's action, and any submit button's formaction that overrides it.
            for action in dict.fromkeys([form.get("action_url") or "", *(form.get("submit_urls") or ())]):
                if action.lower().startswith("http:") and not (upgrades and _host(action) == host):
                    forms.append({"page": url, "form": form.get("element"), "action": action,
                                  "method": form.get("method")})
        if upgrades:
            continue
        for script in html.get("scripts") or []:
            if (script.get("url") or "").lower().startswith("http:"):
                active.append({"page": url, "element": "script", "url": script["url"]})
        for frame in html.get("iframes") or []:
            if (frame.get("url") or "").lower().startswith("http:"):
                active.append({"page": url, "element": frame.get("tag") or "iframe", "url": frame["url"]})
        for resource in html.get("http_resources") or []:
            kind = _kind(resource)
            if kind == "active":
                active.append({"page": url, "element": _element(resource), "url": resource["url"]})
            elif kind == "passive":
                passive.append({"page": url, "element": _element(resource), "url": resource["url"]})
    return {
        "https_pages": len(https_pages),
        "insecure_form_actions": forms[:MAX_FINDINGS],
        "active_mixed_content": active[:MAX_FINDINGS],
        "passive_mixed_content": passive[:MAX_FINDINGS],
        "upgrade_insecure_requests": upgraded[:MAX_FINDINGS],
    }


def _kind(resource: dict[str, Any]) -> str | None:
    """"active", "passive", or None for a <link> that fetches nothing."""
    if resource.get("tag") == "link":
        rels = set((resource.get("rel") or "").lower().split())
        if not rels & _FETCHING_RELS:
            return None
        return "passive" if rels <= _IMAGE_RELS else "active"
    return "passive" if resource.get("tag") in _PASSIVE_TAGS else "active"


def _element(resource: dict[str, Any]) -> str:
    rel = resource.get("rel")
    return f"{resource.get('tag')} rel={rel}" if rel else str(resource.get("tag"))


def _upgrades_insecure_requests(page: dict[str, Any]) -> bool:
    policies = [(page.get("headers") or {}).get("content-security-policy") or "",
                *((page.get("html") or {}).get("meta_csp") or [])]
    return any("upgrade-insecure-requests" in policy.lower() for policy in policies)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
