"""The public badge of a (signed) report: SVG, shields.io endpoint JSON, and an HTML embed snippet.

How criteria are counted (stated on the badge itself, never hidden): the denominator is always all
six criteria of Art. 21(2); "met" counts criteria whose status is pass. A criterion this version of
trustscan does not check (`not_checked`) or that rests on the owner's word alone (`manual`) is not
met, and the badge says how many there are, so "đạt 2/6 · 4 chưa kiểm tra" cannot read as 6/6.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from trustscan.core.catalog import Catalog, format_value
from trustscan.core.models import CRITERIA
from trustscan.publish.attestation import Document
from trustscan.render.templating import environment
from trustscan.render.textwidth import text_width

__all__ = ["BadgeSummary", "embed_html", "render_svg", "shields_endpoint", "standing_summary", "summarise"]

# Colours of shields.io's named palette (hex for SVG, names for the endpoint JSON).
_COLOURS = {
    "pass": ("#4c1", "brightgreen"),
    "fail": ("#e05d44", "red"),
    "error": ("#fe7d37", "orange"),
    "expired": ("#9f9f9f", "lightgrey"),
    "stale": ("#9f9f9f", "lightgrey"),  # no successful check recent enough (trustscan.bulk.history)
}
LABEL_COLOUR = "#555"
DETAIL_COLOUR = "#6a6a6a"
PADDING = 6.0  # px either side of each segment's text
MAX_SEGMENT_CHARS = 80  # badge text is ours, but bound it anyway


@dataclass(frozen=True)
class BadgeSummary:
    """What a badge says: label, result, details (counts and dates) and the result's colour key."""

    label: str
    result: str
    details: str
    state: str  # pass | fail | error | expired | stale
    met: int
    total: int
    not_checked: int
    declared_only: int

    @property
    def message(self) -> str:
        return f"{self.result} · {self.details}"

    @property
    def title(self) -> str:
        return f"{self.label}: {self.message}"


def summarise(document: Document, catalog: Catalog, *, now: datetime) -> BadgeSummary:
    """The badge's words for *document* at *now*: an expired declaration is grey, whatever it said."""
    report = document.report
    criteria: Mapping[str, Any] = report["criteria"]
    statuses = [str(criteria.get(c, {}).get("status", "not_checked")) for c in CRITERIA]
    met = statuses.count("pass")
    not_checked = statuses.count("not_checked")
    declared_only = statuses.count("manual")
    state = "expired" if document.expired(now) else _state(str(report.get("overall")))
    result = catalog.text(f"badge.result.{state}")
    parts = [catalog.text("badge.met", {"met": met, "total": len(CRITERIA)})]
    if not_checked:
        parts.append(catalog.text("badge.not_checked", {"count": not_checked}))
    if declared_only:
        parts.append(catalog.text("badge.declared_only", {"count": declared_only}))
    parts.append(catalog.text("badge.scanned", {"date": _date(report.get("finished_at"))}))
    if document.valid_until:
        parts.append(catalog.text("badge.expires", {"date": _date(document.valid_until)}))
    else:
        parts.append(catalog.text("badge.unsigned"))
    return BadgeSummary(catalog.text("badge.label"), result, " · ".join(parts), state, met, len(CRITERIA),
                        not_checked, declared_only)


def standing_summary(criteria: Mapping[str, str], standing: Mapping[str, Any], catalog: Catalog,
                     *, declared_until: str | None = None) -> BadgeSummary:
    """The badge of a monitored site: its standing now (`trustscan.bulk.history.Standing.as_dict()`).

    The counts are the latest round's; the dates say which round is shown and, when stale, when the
    site was last successfully checked. A pass carried by a signed declaration through failed rounds
    says so ("declared", and how many of the allowed failed rounds have happened).
    """
    state = str(standing["state"])
    statuses = [str(criteria.get(c, "not_checked")) for c in CRITERIA]
    met, not_checked, declared_only = statuses.count("pass"), statuses.count("not_checked"), statuses.count("manual")
    parts = [catalog.text("badge.met", {"met": met, "total": len(CRITERIA)})]
    if not_checked:
        parts.append(catalog.text("badge.not_checked", {"count": not_checked}))
    if declared_only:
        parts.append(catalog.text("badge.declared_only", {"count": declared_only}))
    latest = standing.get("latest")
    parts.append(catalog.text("badge.round", {"date": _date(latest.get("finished_at") if latest else None)}))
    if state == "stale":
        checked = standing.get("last_checked_at")
        parts.append(catalog.text("badge.last_checked", {"date": _date(checked)}) if checked
                     else catalog.text("badge.never_checked"))
    if standing.get("declared"):
        parts.append(catalog.text("badge.declared_grace", {"date": _date(declared_until),
                                                           "failed": standing.get("failed_rounds"),
                                                           "limit": standing.get("fail_rounds")}))
    return BadgeSummary(catalog.text("badge.label"), catalog.text(f"badge.result.{state}"), " · ".join(parts), state,
                        met, len(CRITERIA), not_checked, declared_only)


def _state(overall: str) -> str:
    return overall if overall in ("pass", "fail") else "error"


def _date(value: Any) -> str:
    return format_value(value)[:10] if isinstance(value, str) else "—"


def render_svg(summary: BadgeSummary) -> str:
    """A flat, shields-style three-part SVG, sized from the text (see trustscan.render.textwidth)."""
    segments = []
    x = 0.0
    for text, colour in ((summary.label, LABEL_COLOUR), (summary.result, _COLOURS[summary.state][0]),
                         (summary.details, DETAIL_COLOUR)):
        text = text[:MAX_SEGMENT_CHARS]
        width = text_width(text)
        box = round(width + 2 * PADDING, 1)
        segments.append({"x": round(x, 1), "width": box, "text": text, "text_width": width,
                         "centre": round(x + box / 2, 1), "colour": colour})
        x += box
    return environment().get_template("badge.svg.j2").render(
        segments=segments, width=round(x, 1), title=summary.title)


def shields_endpoint(summary: BadgeSummary) -> str:
    """shields.io endpoint badge JSON (https://shields.io/badges/endpoint-badge)."""
    body = {"schemaVersion": 1, "label": summary.label, "message": summary.message,
            "color": _COLOURS[summary.state][1]}
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def embed_html(summary: BadgeSummary, svg: str, *, report_url: str, digest: str, catalog: Catalog,
               badge_url: str | None = None) -> str:
    """An HTML snippet: the badge linking to the public report, stating the signed envelope's SHA-256.

    Stating the digest means a badge cannot silently point at another report: anyone can hash the
    linked declaration and compare. Without *badge_url* the SVG is inlined as a data: URI.
    """
    for name, url in (("report URL", report_url), ("badge URL", badge_url)):
        if url is not None and not _web_url(url):
            raise ValueError(f"{name} must be an http(s) URL, got {url[:80]!r}")
    source = badge_url or "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return environment().get_template("badge-embed.html.j2").render(
        summary=summary, report_url=report_url, badge_url=source, digest=digest,
        digest_text=catalog.text("badge.embed_digest", {"digest": digest}))


def _web_url(url: str) -> bool:
    # Only http(s): a javascript: or data: link in an href would run in the embedding page.
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)
