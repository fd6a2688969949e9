"""The crawl and the probes that judge its pages (criteria b and đ).

`crawl` fetches (links, then pages only its sitemaps list), then `content` (đ indicators, no I/O),
`delivery` (đ: hidden frames, executables from other sites; no I/O), `privacy` (b; fetches the
policy documents), `transport` (c: plain-HTTP forms and mixed content on HTTPS pages; no I/O) and
`cloaking` (đ; fetches a few pages again as search crawlers and search visitors) each receive its
attempt; `links_reputation` (đ; reads the blocklist snapshots) also takes what
only the crawlers and search visitors were shown. A crawl that failed makes them fail too.
lxml is imported only when a probe runs (the registry imports this package to find the probes).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from trustscan.collect.base import ProbeContext, ProbeSpec
from trustscan.core.errors import ProbeError
from trustscan.core.models import Attempt, AttemptStatus
from trustscan.net.failures import reported

# Share of the audit's time the crawl may use: the probes that judge it (and fetch the policy
# page) need the rest before the audit deadline turns them into errors.
CRAWL_SHARE = 0.75


def _share_of_deadline(context: ProbeContext, share: float) -> float:
    """A time.monotonic() instant: `share` of the way from the probes' start (context.now) to the deadline."""
    started = time.monotonic() - (datetime.now(UTC) - context.now).total_seconds()
    return started + (context.deadline.at - started) * share


async def _crawl(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    from trustscan.collect.crawl.crawl import CrawlLimits, crawl_site

    settings = context.settings
    limits = CrawlLimits(max_pages=settings.max_pages, max_depth=settings.max_depth,
                         request_timeout=settings.probe_timeout,
                         deadline=_share_of_deadline(context, CRAWL_SHARE))
    return await crawl_site(context.client, [context.https_url, context.http_url], context.target.ascii_host,
                            limits)


def _crawl_facts(needed: Mapping[str, Attempt]) -> dict[str, Any]:
    attempt = needed["crawl"]
    if attempt.status is not AttemptStatus.COMPLETED or attempt.data is None:
        raise ProbeError("error.crawl.incomplete", cause=attempt.wording or reported(attempt.error))
    return attempt.data


async def _content(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    from trustscan.collect.crawl.content import analyse_content

    return analyse_content(_crawl_facts(needed), context.target.ascii_host, context.deadline.at)


async def _privacy(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    from trustscan.collect.crawl.privacy import analyse_privacy

    # The policy fetch must end before the audit deadline turns this probe into an error.
    return await analyse_privacy(context.client, _crawl_facts(needed), timeout=context.settings.probe_timeout,
                                 deadline=_share_of_deadline(context, 0.95))


async def _delivery(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    from trustscan.collect.crawl.delivery import analyse_delivery

    return analyse_delivery(_crawl_facts(needed), context.target.ascii_host, context.deadline.at)


async def _cloaking(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    from trustscan.collect.crawl.cloaking import check_cloaking

    # Like the policy fetch: done before the audit deadline turns this probe into an error.
    return await check_cloaking(context.client, _crawl_facts(needed), context.target.ascii_host,
                                timeout=context.settings.probe_timeout, deadline=_share_of_deadline(context, 0.95))
async def _transport(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    from trustscan.collect.crawl.content import html_pages
    from trustscan.collect.crawl.mixedcontent import mixed_content

    return mixed_content(html_pages(_crawl_facts(needed)))


async def _links_reputation(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    from trustscan.collect.crawl.links import check_outbound_links

    cloaking = needed["cloaking"]
    # What only crawlers or search visitors were shown is checked too; a failed cloaking check
    # leaves the crawl's own hosts to check (that failure is dd.cloaking.search_engines' error, not this rule's).
    also_seen = (cloaking.data or {}).get("outbound") if cloaking.status is AttemptStatus.COMPLETED else None
    return await check_outbound_links(context.settings, _crawl_facts(needed), context.target.ascii_host,
                                      also_seen=also_seen)


CRAWL = ProbeSpec("crawl", _crawl, facts=(
    "start_url",
    "pages",  # every page fetched: url, status, redirect chain, headers, cookies, extracted html
    "pages_fetched", "html_pages", "errors", "max_pages", "max_depth", "links_not_followed",
    "complete", "stopped",
    "subresources",  # same-site stylesheets and scripts read for the analysis: fetched, over the limit, read
    "sitemaps",  # robots.txt Sitemap lines and /sitemap.xml: each file read, what it listed, pages fetched
    "sitemap_pages",
))

CONTENT = ProbeSpec("content", _content, needs=("crawl",), facts=(
    "pages_analysed", "pages_not_fully_read", "pages_fully_read",
    "hidden_spam_links", "hidden_spam_text", "gambling_pages", "cryptominers", "obfuscated_scripts",
    "offsite_redirects", "unsafe_password_forms", "scripts_without_integrity",
))

PRIVACY = ProbeSpec("privacy", _privacy, needs=("crawl",), facts=(
    "pages_analysed", "policy_candidates", "policy_fetches", "policy_found", "policy_url", "policy_kind",
    "policy_recognition", "policy_consent", "policy_consent_terms", "law_references", "personal_data_forms",
    "forms_without_consent", "trackers", "tracker_findings", "trackers_held_back", "consent_managers",
    "tracking_cookies",
))

DELIVERY = ProbeSpec("delivery", _delivery, needs=("crawl",), facts=(
    "pages_analysed", "pages_not_fully_read", "pages_fully_read", "frames_checked", "hidden_frames",
    "offsite_downloads",
))

CLOAKING = ProbeSpec("cloaking", _cloaking, needs=("crawl",), facts=(
    "pages_compared", "identities", "identities_wording", "requests", "differences", "not_compared", "notes",
    "notes_wording",
    "outbound",  # off-site hosts in the crawlers' and search visitors' views, for links_reputation
))

TRANSPORT = ProbeSpec("transport", _transport, needs=("crawl",), facts=(
    "https_pages", "insecure_form_actions", "active_mixed_content", "passive_mixed_content",
    "upgrade_insecure_requests",
))

LINKS_REPUTATION = ProbeSpec("links_reputation", _links_reputation, needs=("crawl", "cloaking"), facts=(
    "snapshots", "hosts_checked", "listed",
))
