"""Criterion đ: links to executable files hosted on another site.

Fake government apps delivered as APK files are the main scam vector in Viet Nam; a compromised
site is used to lend them credibility. A link whose path (or a query value, as in
`download.php?file=vneid.apk`) ends in one of the executable extensions of
`rules/data/delivery.yaml` fails when it points to another registrable domain. The site's own
files and official app-store links (same data file) pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from trustscan.core.wordings import Wording, worded
from trustscan.net.domains import host_of, is_offsite


def executable(url: str, extensions: frozenset[str]) -> str | None:
    """The executable extension a URL's path or a query value ends in ("apk"), or None."""
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query)[:20]
    except ValueError:
        return None
    for candidate in (unquote(parts.path), *(value for _, value in query)):
        name = candidate.rstrip("/").rsplit("/", 1)[-1].lower()
        if "." in name and name.rsplit(".", 1)[1] in extensions:
            return name.rsplit(".", 1)[1]
    return None


def in_store(host: str, stores: frozenset[str]) -> bool:
    return any(host == store or host.endswith("." + store) for store in stores)


def offsite_downloads(pages: Iterable[dict[str, Any]], host: str, extensions: frozenset[str],
                      stores: frozenset[str]) -> list[dict[str, Any]]:
    """Findings for every link to an executable on another registrable domain, app stores excepted."""
    findings = []
    for page in pages:
        url = page.get("final_url") or page["url"]
        for link in page["html"]["links"]:
            target = link.get("url") or ""
            kind = executable(target, extensions) if is_offsite(target, host) else None
            if kind and not in_store(host_of(target), stores):
                findings.append({"page": url, "element": f"<{link['tag']} href={link.get('href')}>"[:200],
                                 **worded("reason", Wording("finding.offsite_download", {"kind": kind})),
                                 "target": target,
                                 "text": link.get("text") or None})
    return findings
