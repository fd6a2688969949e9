"""The public portfolio site: static files for the public, from `trustscan.bulk.public`'s data.

    index.html                  every site, a search box, pass rates per criterion, the latest round
    sites/<host>.html           a site: its badge and standing, its history, links to the rest
    reports/<host>.html         its latest report: the one public HTML report renderer (formats.html)
    declarations/<host>.html    its signed declaration, when one was given, rendered the same way,
    declarations/<host>.json    and the envelope itself, as signed (hash it and compare)
    badges/<host>.svg, .json    its badge, and the shields.io endpoint JSON (schemaVersion, label, message, color)

`<host>` is the ASCII host, `_port` added unless 443 (`trustscan.bulk.public.site_slug`). Every link
is relative and nothing is loaded from anywhere: the folder works from file:// and any static host.
The pages share the shared Jinja environment (autoescaping on); the report pages are exactly what
`trustscan report` writes, with whatever self-verification that renderer gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from trustscan import __version__
from trustscan.core.catalog import Catalog
from trustscan.core.durations import format_duration
from trustscan.core.models import CRITERIA, CRITERION_LABELS
from trustscan.publish.attestation import Document
from trustscan.render.badge import render_svg, shields_endpoint, standing_summary
from trustscan.render.formats.html import render_document
from trustscan.render.templating import environment

__all__ = ["render_site"]


def render_site(data: Mapping[str, Any], catalog: Catalog, *, now: datetime) -> dict[str, str | bytes]:
    """Every file of the site: relative path -> content (text, or bytes kept exactly as signed)."""
    common = {"t": catalog.text, "lang": catalog.language, "version": __version__,
              "generated_at": data["generated_at"], "criteria": CRITERIA, "labels": CRITERION_LABELS,
              "stale_after": format_duration(timedelta(seconds=data["freshness"]["stale_after_seconds"]))}
    env = environment()
    files: dict[str, str | bytes] = {"index.html": env.get_template("site-index.html.j2").render(d=data, **common)}
    for site in data["sites"]:
        slug = site["slug"]
        declaration = site["declaration"]
        latest = site["standing"]["latest"]
        summary = standing_summary(latest["criteria"] if latest else {}, site["standing"], catalog,
                                   declared_until=declaration.verification.document.valid_until if declaration
                                   else None)
        svg = render_svg(summary)
        files[f"badges/{slug}.svg"] = svg
        files[f"badges/{slug}.json"] = shields_endpoint(summary)
        files[f"sites/{slug}.html"] = env.get_template("site-page.html.j2").render(
            s={**site, "error": catalog.reword(site["error"], site.get("error_wording"))},  # in the page's language
            badge_svg=Markup(svg), **common)  # noqa: S704 - our own SVG, from an autoescaped template
        if site["report"] is not None:
            files[f"reports/{slug}.html"] = render_document(Document(site["report"]), catalog, now=now)
        if declaration is not None:
            files[f"declarations/{slug}.json"] = declaration.data
            files[f"declarations/{slug}.html"] = render_document(
                declaration.verification.document, catalog, verification=declaration.verification, now=now)
    return files
