"""Criterion đ: what crawled pages deliver from other sites without showing it (frames, downloads).

Pure analysis of the `crawl` attempt (no I/O), with its data from `rules/data/delivery.yaml`:
hidden or tiny frames to other sites (frames.py) and executables offered from other sites
(downloads.py). A finding repeated on many pages is reported once, with `also_on`.
"""

from __future__ import annotations

import math
import time
from functools import cache
from typing import Any

from trustscan.collect.crawl.content import MAX_FINDINGS, html_pages, merge_findings, unread_part
from trustscan.collect.crawl.downloads import offsite_downloads
from trustscan.collect.crawl.frames import hidden_frames
from trustscan.core.errors import ProbeError
from trustscan.core.wordings import worded
from trustscan.core.yamldata import shipped_yaml


@cache
def delivery_data() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(executable extensions, app-store hosts, benign hidden-frame domains) of the data file."""
    data = shipped_yaml("data", "delivery.yaml")
    return (frozenset(str(e).lower().lstrip(".") for e in data["executables"]),
            frozenset(str(h).lower() for h in data["app_stores"]),
            frozenset(str(h).lower() for h in data["benign_hidden_frames"]))


def analyse_delivery(crawl: dict[str, Any], host: str, deadline: float = math.inf) -> dict[str, Any]:
    """The facts of rules dd.frames.hidden and dd.downloads.executables."""
    pages = html_pages(crawl)
    if time.monotonic() >= deadline:
        raise ProbeError("error.delivery.deadline")
    extensions, stores, benign = delivery_data()
    not_read = [{"page": p.get("final_url") or p["url"], **worded("reason", reason)}
                for p in pages if (reason := unread_part(p))]
    return {
        "pages_analysed": len(pages),
        # As in content.py: a frame or link past the part of a page that was read cannot pass.
        "pages_not_fully_read": not_read[:MAX_FINDINGS],
        "pages_fully_read": True if not not_read else None,
        "frames_checked": sum(len(p["html"]["iframes"]) for p in pages),
        "hidden_frames": merge_findings(hidden_frames(pages, host, benign)),
        "offsite_downloads": merge_findings(offsite_downloads(pages, host, extensions, stores)),
    }
