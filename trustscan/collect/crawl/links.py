"""Criterion đ: every off-site host the site links to, loads from or posts to, against the snapshots.

Decree 137/2024/ND-CP Art. 21(2)(đ) forbids *malicious links*. The same "do not visit" snapshots
that criterion d reads (trustscan.lists.matcher) are matched against each outbound host seen by the
crawl (links, scripts, frames, objects, form actions, HTTP/meta/script redirects, downloads) and by
the cloaking check's crawler and search-visitor views. Outbound hosts are matched by name only:
resolving every linked host would send the scan
to third parties. Without any snapshot nothing can be checked, so the probe raises ProbeError and
the rule is `error`, with the hint on how to import one — never a silent pass.
"""

from __future__ import annotations

import asyncio
from typing import Any

from trustscan.collect.blocklist import NO_SNAPSHOT, load_snapshot_set
from trustscan.collect.crawl.content import html_pages, outbound_hosts
from trustscan.core.errors import ProbeError
from trustscan.core.settings import AuditSettings
from trustscan.lists.matcher import SnapshotSet

MAX_LISTED = 50


def match_outbound(snapshots: SnapshotSet, places: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """Pure matching of outbound hosts (with where each was seen) against loaded snapshots."""
    infos = [s.info for s in snapshots.snapshots]
    if not infos or all(i.entries == 0 for i in infos):
        raise ProbeError(NO_SNAPSHOT)
    listed = []
    for host, seen in sorted(places.items()):
        matches = snapshots.match_host(host)
        if matches:
            listed.append({"host": host, "matches": matches[:5], "seen_on": seen[:3]})
    return {
        "snapshots": [i.name for i in infos],
        "hosts_checked": len(places),
        "listed": listed[:MAX_LISTED],
    }


async def check_outbound_links(settings: AuditSettings, crawl: dict[str, Any], host: str, *,
                               also_seen: dict[str, list[dict[str, str]]] | None = None) -> dict[str, Any]:
    """The facts of rule dd.links.reputation; see the module docstring.

    `also_seen`: more host -> places, from views of the pages the crawl did not have (cloaking.py).
    """
    html_pages(crawl)  # no readable page: nothing was checked, so this must not pass
    places = outbound_hosts(crawl, host)
    for found, seen in (also_seen or {}).items():
        kept = places.setdefault(found, [])
        kept += seen[:max(0, 3 - len(kept))]
    snapshots = await asyncio.to_thread(load_snapshot_set, settings.blocklist_files, settings.lists_dir)
    return match_outbound(snapshots, places)
