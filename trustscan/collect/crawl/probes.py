"""The crawl and the probes that judge its pages (criteria b and đ), declared for the audit.

`CONTENT_PROBES` is spliced into `trustscan.audit.PROBES`: `crawl` fetches, then `content`
(đ indicators, no I/O), `privacy` (b; fetches the policy page) and `links_reputation` (đ; reads
the blocklist snapshots) each receive its attempt. A crawl that failed makes them fail too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from trustscan.collect.base import ProbeContext, ProbeSpec
from trustscan.collect.crawl.content import analyse_content
from trustscan.collect.crawl.crawl import CrawlLimits, crawl_site
from trustscan.collect.crawl.links import check_outbound_links
from trustscan.collect.crawl.privacy import analyse_privacy
from trustscan.core.errors import ProbeError
from trustscan.core.models import Attempt, AttemptStatus

# Share of the audit budget the crawl may use: the probes that judge it (and fetch the policy
# page) need the rest before the audit deadline turns them into errors.
CRAWL_SHARE = 0.75


def _audit_deadline(context: ProbeContext, share: float = 1.0) -> float:
    """A time.monotonic() instant: `share` of the budget after the probes started (context.now)."""
    elapsed = (datetime.now(UTC) - context.now).total_seconds()
    return time.monotonic() + context.budget * share - elapsed


async def _crawl(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    settings = context.settings
    limits = CrawlLimits(max_pages=settings.max_pages, max_depth=settings.max_depth,
                         request_timeout=settings.probe_timeout,
                         deadline=_audit_deadline(context, CRAWL_SHARE))
    return await crawl_site(context.client, [context.https_url, context.http_url], context.target.ascii_host,
                            limits)


def _crawl_facts(needed: Mapping[str, Attempt]) -> dict[str, Any]:
    attempt = needed["crawl"]
    if attempt.status is not AttemptStatus.COMPLETED or attempt.data is None:
        raise ProbeError(f"the crawl did not complete: {attempt.error}")
    return attempt.data


async def _content(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return analyse_content(_crawl_facts(needed), context.target.ascii_host)


async def _privacy(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    # The policy fetch must end before the audit deadline turns this probe into an error.
    return await analyse_privacy(context.client, _crawl_facts(needed), timeout=context.settings.probe_timeout,
                                 deadline=_audit_deadline(context, 0.95))


async def _links_reputation(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return await check_outbound_links(context.settings, _crawl_facts(needed), context.target.ascii_host)


CONTENT_PROBES: tuple[ProbeSpec, ...] = (
    ProbeSpec("crawl", _crawl),
    ProbeSpec("content", _content, needs=("crawl",)),
    ProbeSpec("privacy", _privacy, needs=("crawl",)),
    ProbeSpec("links_reputation", _links_reputation, needs=("crawl",)),
)
