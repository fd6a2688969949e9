"""Render a portfolio dashboard (see `trustscan.bulk.dashboard`) as HTML, CSV or JSON.

Everything shown comes from scanned sites or the user's portfolio file, so the HTML template runs
in the shared environment (`trustscan.render.templating`: autoescaping on, undefined names fail)
with a Content-Security-Policy that allows only its own inline script;
CSV cells that a spreadsheet would run as a formula are neutralised (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from trustscan import __version__
from trustscan.core.catalog import Catalog
from trustscan.core.models import CRITERIA, CRITERION_LABELS
from trustscan.render.templating import environment
from trustscan.report.localise import localise_verdict

DASHBOARD_FORMATS = ("html", "csv", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_dashboard(name: str, dashboard: Mapping[str, Any], catalog: Catalog) -> str:
    """The dashboard in format *name*; its verdicts re-worded in *catalog*'s language, whatever the scans used."""
    dashboard = localise_dashboard(dashboard, catalog)
    if name == "html":
        return render_html(dashboard, catalog)
    if name == "csv":
        return render_csv(dashboard)
    if name == "json":
        return json.dumps(dashboard, ensure_ascii=False, indent=2) + "\n"
    raise ValueError(f"unknown dashboard format {name!r}")


def render_html(dashboard: Mapping[str, Any], catalog: Catalog) -> str:
    """One self-contained page: no external CSS, fonts or scripts, so it can be mailed or archived."""
    template = environment().get_template("portfolio.html.j2")
    return template.render(
        d=dashboard,
        t=catalog.text,
        lang=catalog.language,
        criteria=CRITERIA,
        labels=CRITERION_LABELS,
        version=__version__,
    )


def localise_dashboard(dashboard: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """A copy whose sites' verdicts, errors and new-failure titles read in *catalog*'s language.

    A site's error is said again from its wording; one recorded without a wording (a version-1 database), or
    with one this catalogue does not know, keeps its stored text.
    """
    out = dict(dashboard)
    sites = []
    for site in dashboard.get("sites", []):
        site = {**site, "verdicts": [localise_verdict(v, catalog) for v in site.get("verdicts", [])],
                "error": catalog.reword(site.get("error"), site.get("error_wording"))}
        sites.append(site)
    out["sites"] = sites
    changes = dashboard.get("changes")
    if isinstance(changes, Mapping) and isinstance(changes.get("new_failures"), list):
        out["changes"] = {**changes, "new_failures": [
            {**item, "title": catalog.text(f"{item['rule_id']}.title")}
            if f"{item.get('rule_id')}.title" in catalog.messages else item
            for item in changes["new_failures"]]}
    return out


def render_csv(dashboard: Mapping[str, Any]) -> str:
    """One row per planned site, worst first; criterion columns use the Vietnamese letters."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", "site", "input", "organisation", "unit", "owner", "tags", "overall",
                     *(CRITERION_LABELS[c] for c in CRITERIA), "failed_rules", "warned_rules", "error",
                     "new_failures", "fixed", "finished_at", "previous_overall", "since", "since_run"])
    run_id = dashboard["run"]["id"]
    for site in dashboard["sites"]:
        rules = {status: ";".join(v["rule_id"] for v in site["verdicts"] if v["status"] == status)
                 for status in ("fail", "warn")}
        writer.writerow([_cell(value) for value in (
            run_id, site["site"], site["input"], site["organisation"], site["unit"], site["owner"],
            ";".join(site["tags"]), site["overall"], *(site["criteria"].get(c, "") for c in CRITERIA),
            rules["fail"], rules["warn"], site["error"] or "", ";".join(site["new_failures"]),
            ";".join(site["fixed"]), site["finished_at"] or "", site["previous_overall"] or "",
            site["since"] or "", site["since_run"] or "",
        )])
    return out.getvalue()


def _cell(value: Any) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
