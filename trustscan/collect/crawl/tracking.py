"""Third-party tracking before consent (criterion b), from the crawl's script and cookie facts.

Every crawled page is a first view: read without cookies, before a visitor could click anything. A
known analytics, advertising or session-recording tool (`rules/data/trackers.yaml`) whose script a
browser would run there — an external script from its host, or an inline snippet that starts it — or a
cookie of such a tool set by the site, processes the visitor's data before consent (Decree 13/2023/ND-CP
Art. 11: silence or inaction is not consent).

A script a browser does not run is held back: a consent manager parks tracker tags as
`type="text/plain"` with a consent category (`data-category="analytics"`,
`data-cookieconsent="statistics"`, `class="optanon-category-C0002"`) and runs them once the visitor
agrees. Such scripts are evidence of the consent manager, not tracking. Limits: JavaScript is not run,
so a consent manager that rewrites ordinary script tags at run time ("auto-blocking") cannot be seen,
and the trackers it would hold back are reported; Google Consent Mode loads gtag.js before consent
and is reported too. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from trustscan.collect.crawl.lexicon import consent_managers, trackers
from trustscan.collect.crawl.scripttype import script_type_runs

MAX_FINDINGS = 50
def runs(script: dict[str, Any]) -> bool:
    """Whether a browser runs (and, for src=, fetches) this script element."""
    return script_type_runs(script.get("type"))


def tracking_before_consent(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Trackers loaded and cookies set on first views, trackers held back, and consent managers seen."""
    loaded: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    managers: dict[str, str] = {}
    for page in pages:
        html = page.get("html") or {}
        page_url = str(page.get("final_url") or page.get("url"))
        for script in html.get("scripts") or []:
            manager = _manager_script(script.get("url"))
            if manager and runs(script):
                managers.setdefault(manager, page_url)
            names = [s["about"] for s in script.get("signals") or () if s.get("kind") == "tracker"]
            where = script.get("url") or "inline script"
            for name in dict.fromkeys(names):
                if runs(script):
                    loaded.append({"tracker": name, "page": page_url, "script": where})
                else:
                    held.append({"tracker": name, "page": page_url, "script": where,
                                 "held_back_by": _held_by(script)})
    cookies = _tracking_cookies(pages)
    return {
        "trackers": sorted({finding["tracker"] for finding in loaded} | {c["tracker"] for c in cookies}),
        "tracker_findings": _unique(loaded)[:MAX_FINDINGS],
        "trackers_held_back": _unique(held)[:MAX_FINDINGS],
        "consent_managers": [{"name": name, "page": page} for name, page in managers.items()],
        "tracking_cookies": cookies[:MAX_FINDINGS],
    }


def _held_by(script: dict[str, Any]) -> str:
    """How the script is held back: its type and the consent manager's category marker, if any."""
    attrs: dict[str, str] = script.get("attrs") or {}
    marks = []
    for manager in consent_managers():
        for name in manager.get("attributes") or ():
            if attrs.get(name):
                marks.append(f"{manager['name']}: {name}={attrs[name]}")
        classes = (attrs.get("class") or "").split()
        for prefix in manager.get("classes") or ():
            marks += [f"{manager['name']}: class {c}" for c in classes if c.startswith(prefix)]
    kind = f"type={script.get('type')}"
    return f"{kind} ({'; '.join(dict.fromkeys(marks))})" if marks else kind


def _manager_script(url: str | None) -> str | None:
    host = _host(url or "")
    for manager in consent_managers():
        if host and any(host == h or host.endswith("." + h) for h in manager.get("script_hosts") or ()):
            return str(manager["name"])
    return None


def _tracking_cookies(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for page in pages:
        for cookie in page.get("cookies") or []:
            for tracker in trackers():
                if any(cookie["name"].startswith(prefix) for prefix in tracker.get("cookies") or ()):
                    found.setdefault((cookie["name"], tracker["name"]), {
                        "name": cookie["name"], "tracker": tracker["name"],
                        "page": page.get("final_url") or page.get("url")})
                    break
    return list(found.values())


def _unique(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({tuple(sorted(f.items())): f for f in findings}.values())


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
