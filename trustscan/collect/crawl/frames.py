"""Criterion đ: hidden or tiny frames that load another site (iframe, frame, object, embed).

A frame nobody can see that loads another site is a classic injection: it runs the other site's
scripts (drive-by downloads, miners, ad fraud) or counts a visit for a spam operator, inside the
audited page. Hidden means hidden by the page (the extraction's `hidden` reason: inline style,
`hidden` attribute, a hidden ancestor or a class hidden in a <style> block); tiny means a width or
height of at most `TINY_PX` pixels, by attribute or inline style. A visible embed (a video, a map)
is not judged here; every frame target still goes through list reputation (links.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from trustscan.collect.crawl.hiding import hidden_how
from trustscan.core.wordings import Wording, worded
from trustscan.net.domains import host_of, is_offsite, site_of

TINY_PX = 2
_NUMBER = re.compile(r"^\s*(\d{1,6}(?:\.\d+)?)\s*(?:px)?\s*$", re.IGNORECASE)
_STYLE_SIZE = re.compile(r"(?:^|;)\s*(width|height)\s*:\s*(\d{1,6}(?:\.\d+)?)\s*(?:px)?\s*(?:!important\s*)?(?:;|$)",
                         re.IGNORECASE)


def tiny(frame: dict[str, Any]) -> str | None:
    """"width=1", "height:0px" ...: why the frame is too small to see, or None."""
    for name in ("width", "height"):
        match = _NUMBER.match(frame.get(name) or "")
        if match and float(match.group(1)) <= TINY_PX:
            return f"{name}={frame[name]}"
    for match in _STYLE_SIZE.finditer(frame.get("style") or ""):
        if float(match.group(2)) <= TINY_PX:
            return f"{match.group(1).lower()}:{match.group(2)}px"
    return None


def hidden_frames(pages: Iterable[dict[str, Any]], host: str, benign: frozenset[str]) -> list[dict[str, Any]]:
    """Findings for every hidden or tiny frame to another registrable domain not in `benign`."""
    findings = []
    for page in pages:
        url = page.get("final_url") or page["url"]
        for frame in page["html"]["iframes"]:
            target = frame.get("url")
            if not is_offsite(target, host) or site_of(host_of(target)) in benign:
                continue
            reason = hidden_how(frame) or tiny(frame)
            if reason:
                tag = frame.get("tag") or "iframe"
                findings.append({"page": url, "element": f"<{tag} {'data' if tag == 'object' else 'src'}="
                                 f"{frame.get('src')}>"[:200],
                                 **worded("reason", Wording("finding.hidden_frame", {"how": reason})),
                                 "target": target})
    return findings
