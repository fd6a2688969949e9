"""Criterion đ: cloaking, content or redirects served only to search engines or their visitors.

SEO spam on compromised government sites is often cloaked: gambling links and text appear only
when the User-Agent is a search crawler, or visitors arriving from a search results page are
redirected to a casino while a direct visit shows the clean page. So the home page and a few other
crawled pages (`CLOAK_PAGES`: the home page, then pages found only in a sitemap, then the rest in
crawl order) are fetched again as a plain browser and as each identity of
`rules/data/search-identities.yaml` (Googlebot, Bingbot, Cốc Cốc's crawler, visitors from Google,
Bing and Cốc Cốc search): at most CLOAK_PAGES x (1 + identities) requests, `CONCURRENCY` at a time.

Pages differ legitimately between two fetches (dates, tokens, rotating news), so raw bytes are
never compared. Each identity's view is compared with the plain visits on three things only:
- redirects to another site (HTTP, meta refresh, script) one side gets and the other does not;
- gambling vocabulary (`rules/data/gambling-lexicon.yaml`) in the page's text: at least
  `MIN_TERMS` distinct terms one side gets and the other does not;
- links, frames, scripts and form actions to other registrable domains, judged only when the two
  plain visits (the crawl's and the browser's) agree on those domains: a page whose off-site links
  change between two plain visits (rotating banners) is noted, not judged on its links.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urljoin

import httpx

from trustscan.collect.crawl.content import html_pages, outbound_hosts, place_element
from trustscan.collect.crawl.crawl import MAX_BODY, CrawlLimits, SameBodies, fetch_page
from trustscan.collect.crawl.decode import DecodedHtml
from trustscan.collect.crawl.lexicon import gambling_lexicon
from trustscan.core.catalog import data_texts
from trustscan.core.errors import ProbeError
from trustscan.core.wordings import Wording, worded
from trustscan.core.yamldata import shipped_yaml
from trustscan.net.domains import host_of, is_offsite, site_of
from trustscan.net.failures import recorded_cause

CLOAK_PAGES = 3
CONCURRENCY = 3
MIN_TERMS = 2  # one gambling word that differs ("xổ số" in a rotating headline) is not spam; several are
MAX_DIFFERENCES = 30
MAX_LISTED = 10  # domains or terms shown per difference
_REDIRECT_ELEMENTS = ("<meta refresh>", "script redirect")  # compared as redirects, not as links
_TAG = re.compile(r"<[^<>]*>")  # `[^<>]` stops at the next tag: linear on any markup


@dataclass(frozen=True)
class Identity:
    """Who a page is fetched as: a name for the report (English, and a Wording for any language) and the
    request headers that make it so."""

    name: str
    headers: tuple[tuple[str, str], ...]
    wording: Wording


#: Who sees the plain page: the browser visit compared with, and the side of a difference it alone got.
PLAIN_VISITOR = Wording("cloaking.plain_visitor")
PLAIN_VISITORS = Wording("cloaking.plain_visitors")
#: What differs between two views (a difference's `kind`), by message id.
KINDS = {"redirect": Wording("cloaking.kind.redirect"), "text": Wording("cloaking.kind.gambling_text"),
         "links": Wording("cloaking.kind.offsite_links"), "page": Wording("cloaking.kind.crawler_only_page")}


@cache
def identities() -> tuple[Identity, tuple[Identity, ...]]:
    """(the plain browser visitor, the search identities) of `rules/data/search-identities.yaml`."""
    data = shipped_yaml("data", "search-identities.yaml")
    browser = str(data["browser_user_agent"])
    others = []
    for raw in data["identities"]:
        headers: tuple[tuple[str, str], ...]
        if raw.get("user_agent"):
            headers = (("User-Agent", str(raw["user_agent"])),)
        elif raw.get("referer"):
            headers = (("User-Agent", browser), ("Referer", str(raw["referer"])))
        else:
            raise ValueError(f"search identity {raw.get('name')!r}: needs user_agent or referer")
        names = data_texts(raw, "name", "data/search-identities.yaml")  # said in any language as identity.<id>
        others.append(Identity(names["en"], headers, Wording(f"identity.{raw['id']}")))
    return Identity(PLAIN_VISITOR.english(), (("User-Agent", browser),), PLAIN_VISITOR), tuple(others)


def sample(crawl: dict[str, Any]) -> list[dict[str, Any]]:
    """The crawled pages to fetch again: the home page, pages found only in a sitemap, then crawl order.

    One sitemap page that did not answer 200 is included: a doorway page may be served to crawlers
    only (a dead sitemap link is more common, so never more than one).
    """
    readable = [p for p in html_pages(crawl) if p.get("status") == 200]
    unserved = [p for p in crawl.get("pages") or [] if "found_in" in p and p.get("status") not in (None, 200)][:1]
    ordered = sorted(readable + unserved,
                     key=lambda p: (p.get("order") != 0, "found_in" not in p, p["depth"], p["order"]))
    return ordered[:CLOAK_PAGES]


async def check_cloaking(client: httpx.AsyncClient, crawl: dict[str, Any], host: str, *, timeout: float,
                         deadline: float) -> dict[str, Any]:
    """The facts of rule dd.cloaking.search_engines; ProbeError when no page could be compared at all."""
    browser, others = identities()
    pages = sample(crawl)
    if not pages:
        raise ProbeError("error.cloaking.nothing_to_compare")
    limits = CrawlLimits(max_body=MAX_BODY, request_timeout=timeout, deadline=deadline)
    semaphore = asyncio.Semaphore(CONCURRENCY)
    same_bodies = SameBodies(annotate=_add_visible_terms)  # identities given the same bytes: one analysis

    async def view(page: dict[str, Any], identity: Identity) -> dict[str, Any]:
        async with semaphore:
            return await fetch_page(client, page["url"], 0, host, limits, headers=dict(identity.headers),
                                    same_bodies=same_bodies)

    everyone = (browser, *others)
    views = await asyncio.gather(*(view(page, identity) for page in pages for identity in everyone))
    differences: list[dict[str, Any]] = []
    not_compared: list[dict[str, Any]] = []
    notes: list[Wording] = []
    seen_only_by_identities: list[dict[str, Any]] = []
    compared = []
    views_compared = 0
    for index, page in enumerate(pages):
        row = views[index * len(everyone):(index + 1) * len(everyone)]
        plain, identity_views = row[0], row[1:]
        url = page["url"]
        if page.get("status") != 200:  # a sitemap page visitors do not get: do crawlers?
            compared.append(url)
            for identity, other in zip(others, identity_views, strict=True):
                found = crawler_only_page(url, identity, other, plain, host)
                if found is None:
                    not_compared.append({"page": url, **_named(identity), **worded("reason", _why(other))})
                    continue
                views_compared += 1
                differences += found
                seen_only_by_identities.append({**other, "identity": identity})
            continue
        reason = _not_comparable(plain, page, Wording("error.cloaking.crawl_visit"))
        if reason:  # without a plain visit like the crawl's, there is nothing to compare with
            not_compared.append({"page": url, **_named(browser), **worded("reason", reason)})
            continue
        compared.append(url)
        crawled, visitor = summarise(page, host), summarise(plain, host)
        links_stable = crawled.domains == visitor.domains
        if not links_stable:
            notes.append(Wording("error.cloaking.unstable_links",
                                 {"page": url, "hosts": _listed(crawled.domains ^ visitor.domains)}))
        for identity, other in zip(others, identity_views, strict=True):
            reason = _not_comparable(other, plain)
            if reason:
                not_compared.append({"page": url, **_named(identity), **worded("reason", reason)})
                continue
            views_compared += 1
            seen = summarise(other, host)
            differences += compare(url, identity, seen, crawled, visitor, links_stable=links_stable)
            seen_only_by_identities.append({**other, "identity": identity})
    if views_compared == 0:
        raise ProbeError("error.cloaking.none_compared", pages=", ".join(str(n.get("page")) for n in not_compared[:3]))
    crawled_hosts = set(outbound_hosts(crawl, host))
    return {
        "pages_compared": compared,
        "identities": [identity.name for identity in others],
        "identities_wording": [identity.wording.to_json() for identity in others],
        "requests": len(views),
        "differences": _grouped(differences)[:MAX_DIFFERENCES],
        "not_compared": not_compared[:MAX_DIFFERENCES],
        # Said in English, and as Wordings beside them for every output's language.
        "notes": [note.english() for note in notes[:MAX_DIFFERENCES]],
        "notes_wording": [note.to_json() for note in notes[:MAX_DIFFERENCES]],
        "outbound": {h: seen for h, seen in _outbound(seen_only_by_identities, host).items()
                     if h not in crawled_hosts},
    }


@dataclass(frozen=True)
class Summary:
    """What a view of a page is compared on (see the module docstring)."""

    redirects: dict[str, Wording]  # off-site target host -> how ("HTTP 302", "meta refresh", "script")
    domains: frozenset[str]  # registrable domains of off-site links, frames, scripts, form actions
    terms: frozenset[str] | None  # gambling terms in the text; None when not read (the crawl's view)


def summarise(page: dict[str, Any], host: str) -> Summary:
    redirects: dict[str, Wording] = {}
    if page.get("offsite_redirect") and is_offsite(page["offsite_redirect"], host):
        status = next((hop["status"] for hop in reversed(page.get("redirect_chain") or [])), None)
        redirects[host_of(page["offsite_redirect"])] = Wording("cloaking.how.http", {"status": status})
    html = page.get("html") or {}
    base = page.get("final_url") or page["url"]
    for refresh in html.get("meta_refresh") or []:
        if is_offsite(refresh.get("url"), host):
            redirects.setdefault(host_of(refresh["url"]), Wording("cloaking.how.meta_refresh"))
    for script in html.get("scripts") or []:
        for signal in script.get("signals") or []:
            if signal.get("kind") == "redirect" and signal.get("target"):
                target = urljoin(base, signal["target"])
                if is_offsite(target, host):
                    redirects.setdefault(host_of(target), Wording("cloaking.how.script"))
    places = outbound_hosts({"pages": [{**page, "offsite_redirect": None}]}, host)
    domains = frozenset(site_of(h) for h, seen in places.items()
                        if any(not p["element"].startswith(_REDIRECT_ELEMENTS) for p in seen))
    terms = html.get("visible_terms")
    return Summary(redirects, domains, frozenset(terms) if terms is not None else None)


def compare(page: str, identity: Identity, seen: Summary, crawled: Summary, visitor: Summary, *,
            links_stable: bool) -> list[dict[str, Any]]:
    """The differences between an identity's view and the plain visits (crawl's and browser's)."""
    found = []
    plain_redirects = {**crawled.redirects, **visitor.redirects}
    only_seen = {h: how for h, how in seen.redirects.items() if h not in plain_redirects}
    if only_seen:
        found.append(_difference(page, identity, "redirect", identity, _redirects(only_seen)))
    hidden = {h: how for h, how in visitor.redirects.items() if h in crawled.redirects and h not in seen.redirects}
    if hidden:
        found.append(_difference(page, identity, "redirect", None, _redirects(hidden)))
    if seen.terms is not None and visitor.terms is not None:
        extra, missing = seen.terms - visitor.terms, visitor.terms - seen.terms
        if len(extra) >= MIN_TERMS:
            found.append(_difference(page, identity, "text", identity, sorted(extra)))
        if len(missing) >= MIN_TERMS:
            found.append(_difference(page, identity, "text", None, sorted(missing)))
    if links_stable:
        extra_domains, missing_domains = seen.domains - visitor.domains, visitor.domains - seen.domains
        if extra_domains:
            found.append(_difference(page, identity, "links", identity, sorted(extra_domains)))
        if missing_domains:
            found.append(_difference(page, identity, "links", None, sorted(missing_domains)))
    return found


def _redirects(by_host: dict[str, Wording]) -> list[Wording | str]:
    return [Wording("cloaking.redirect_to", {"how": how, "host": h}) for h, how in sorted(by_host.items())]


def crawler_only_page(page: str, identity: Identity, view: dict[str, Any], plain: dict[str, Any],
                      host: str) -> list[dict[str, Any]] | None:
    """Differences on a page plain visitors do not get (404, 403...), or None when it cannot be judged.

    An identity that gets it with status 200 is a difference only when the page carries what spam
    pages do (gambling terms, links or redirects to other sites): a page rendered for crawlers alone
    without any of that is not shown as cloaking.
    """
    if plain.get("status") == 200 or plain.get("status") is None:
        return None  # served to a plain visit after all, or not at all: nothing to compare
    seen, visitor = summarise(view, host), summarise(plain, host)
    if view.get("offsite_redirect"):
        return compare(page, identity, seen, visitor, visitor, links_stable=False)
    if view.get("status") != 200 or view.get("html") is None:
        return [] if view.get("status") == plain.get("status") else None
    terms = (seen.terms or frozenset()) - (visitor.terms or frozenset())
    domains, redirects = seen.domains - visitor.domains, seen.redirects.keys() - visitor.redirects.keys()
    if not (redirects or len(terms) >= MIN_TERMS or (domains and terms)):
        return []
    status = Wording("cloaking.status_200", {"plain_status": plain.get("status")})
    return [_difference(page, identity, "page", identity,
                        [status, *sorted(redirects), *sorted(domains), *sorted(terms)])]


def _difference(page: str, identity: Identity, kind: str, seen_by: Identity | None,
                what: Sequence[Wording | str]) -> dict[str, Any]:
    """What an identity's view and the plain visits differ on; `seen_by` None: the plain visitors alone."""
    more = len(what) - MAX_LISTED
    listed = [*what[:MAX_LISTED], *([Wording("cloaking.more", {"count": more})] if more > 0 else [])]
    return {"page": page, "compared_as": identity, "kind": kind, "seen_by_identity": seen_by is not None,
            "what": listed}


def _grouped(differences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One difference per (page, kind, side, what), naming every identity it was seen with.

    "only_seen_by": the identities that alone got it, or "plain visitors" when those identities
    alone did not ("hidden_from"). Each field in English, and beside it as a Wording (`<field>_wording`)
    for every output's language.
    """
    groups: dict[tuple[str, str, bool, tuple[str, ...]], tuple[list[Wording | str], list[Identity]]] = {}
    for item in differences:
        what = item["what"]
        key = (item["page"], item["kind"], item["seen_by_identity"], tuple(map(str, what)))
        groups.setdefault(key, (what, []))[1].append(item["compared_as"])
    out = []
    for (page, kind, seen_by_identity, _), (what, who) in groups.items():
        names = Wording("cloaking.names", {"names": [identity.wording for identity in who]})
        side = worded("only_seen_by", names) if seen_by_identity else {
            **worded("only_seen_by", PLAIN_VISITORS), **worded("hidden_from", names)}
        out.append({"page": page, **worded("kind", KINDS[kind]), **side, "what": list(map(str, what)),
                    "what_wording": [item.to_json() if isinstance(item, Wording) else item for item in what]})
    return out


def _named(identity: Identity) -> dict[str, Any]:
    """An identity named in a record: `identity` in English and `identity_wording` beside it."""
    return worded("identity", identity.wording)


def _add_visible_terms(decoded: DecodedHtml, facts: dict[str, Any]) -> None:
    """The gambling terms in the page's text (markup removed), added to its facts."""
    facts["visible_terms"] = sorted(set(gambling_lexicon().in_text(_TAG.sub(" ", decoded.text))))


def _outbound(views: list[dict[str, Any]], host: str) -> dict[str, list[dict[str, Any]]]:
    """Off-site hosts of the identities' views (each with its `identity`), each place marked with who saw it
    (for list reputation): "<a href> (as Googlebot)", in any language from its `element_wording`."""
    places: dict[str, list[dict[str, Any]]] = {}
    for view in views:
        identity: Identity = view["identity"]
        for found, seen in outbound_hosts({"pages": [view]}, host).items():
            kept = places.setdefault(found, [])
            for place in seen:
                if len(kept) < 3:
                    element = Wording.from_json(place.get("element_wording")) or place["element"]
                    kept.append({"page": place["page"], **place_element(Wording(
                        "place.seen_as", {"element": element, "identity": identity.wording}))})
    return places


def _not_comparable(view: dict[str, Any], plain: dict[str, Any], label: Wording | None = None) -> Wording | None:
    """Why a view cannot be compared with the plain visit's (or the crawl's), or None.

    A redirect to another site always can. Another status cannot: firewalls answer 403 to crawlers
    whose address is not the search engine's (as this one's is not), which is no cloaking.
    """
    if view.get("offsite_redirect"):
        return None
    if _unreadable(view):
        return _why(view)
    if view.get("status") != plain.get("status"):
        return Wording("error.cloaking.other_status", {"status": view.get("status"),
                                                       "label": label or Wording("error.cloaking.plain_visit"),
                                                       "plain_status": plain.get("status")})
    return None


def _unreadable(view: dict[str, Any]) -> bool:
    return view.get("status") is None or (view.get("html") is None and not view.get("offsite_redirect"))


def _why(view: dict[str, Any]) -> Wording:
    if view.get("error"):
        return recorded_cause(view)
    return Wording("error.content.not_html", {"status": view.get("status"), "content_type": view.get("content_type")})


def _listed(items: frozenset[str]) -> str:
    return ", ".join(sorted(items)[:MAX_LISTED])
