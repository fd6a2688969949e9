"""The data of the public portfolio site (`trustscan publish`): every site of a run, its standing and history.

Pure aggregation over the results database (no network, no rendering), like `trustscan.bulk.dashboard`,
whose per-criterion pass rates and totals it reuses. For each site of the run's plan: its badge
standing now (`trustscan.bulk.history.standing`), its rounds newest first, its latest report (from
the newest round whose audit produced one) and its verified signed declaration when one was given.
`trustscan.render.site` turns this into files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trustscan.bulk.dashboard import build_dashboard
from trustscan.bulk.history import Freshness, SiteHistory, load_histories, standing
from trustscan.bulk.store import ResultStore
from trustscan.core.timestamps import rfc3339
from trustscan.publish.declarations import Declaration

__all__ = ["MAX_HISTORY_SHOWN", "build_public_site", "site_slug"]

#: Rounds listed on a site's page (newest first); the count of all rounds is stated beside them.
MAX_HISTORY_SHOWN = 200
_REPORT_LOOKBACK = 20  # rounds searched back for the latest report when the newest ones could not audit


def site_slug(site: str) -> str:
    """A file name for *site* (`host:port`): the ASCII host, `_port` unless 443; anything else becomes `_`."""
    host, _, port = site.rpartition(":")
    name = host.strip("[]") + ("" if port == "443" else f"_{port}")
    return re.sub(r"[^a-z0-9._-]", "_", name.lower()).strip(".") or "site"


def build_public_site(store: ResultStore, *, freshness: Freshness, now: datetime, run_id: int | None = None,
                      declarations: Mapping[str, Declaration] | None = None) -> dict[str, Any]:
    """Everything the public site shows, as of run *run_id* (default: the latest); LookupError without runs."""
    declarations = declarations or {}
    dashboard = build_dashboard(store, run_id)
    run = dashboard["run"]
    histories = load_histories(store, up_to_run=run["id"])
    slugs: set[str] = set()
    sites = []
    for entry in sorted(dashboard["sites"], key=lambda s: s["host"]):
        history = histories.get(entry["site"], SiteHistory(entry["site"]))
        declaration = declarations.get(entry["site"])
        now_standing = standing(history, freshness, now=now,
                                declaration=declaration.verification.document if declaration else None)
        report_run, report = _latest_report(store, history)
        sites.append({
            "site": entry["site"],
            "slug": _unique(site_slug(entry["site"]), slugs),
            "host": report["target"]["host"] if report else entry["host"],
            "organisation": entry["organisation"],
            "unit": entry["unit"],
            "overall": entry["overall"],
            "criteria": entry["criteria"],
            "error": entry["error"],
            "error_wording": entry["error_wording"],
            "since": entry["since"],
            "since_run": entry["since_run"],
            "standing": now_standing.as_dict(),
            "history": [r.as_dict() for r in reversed(list(history.rounds)[-MAX_HISTORY_SHOWN:])],
            "rounds_total": len(history.rounds) + history.dropped,
            "report": report,
            "report_run": report_run,
            "declaration": declaration,
        })
    states = {state: sum(1 for s in sites if s["standing"]["state"] == state)
              for state in ("pass", "fail", "error", "stale")}
    return {
        "run": run,
        "generated_at": rfc3339(now),
        "freshness": {"stale_after_seconds": freshness.stale_after.total_seconds(),
                      "fail_rounds": freshness.fail_rounds},
        "totals": dashboard["totals"],
        "criteria": dashboard["criteria"],
        "states": states,
        "sites": sites,
    }


def _latest_report(store: ResultStore, history: SiteHistory) -> tuple[int | None, dict[str, Any] | None]:
    """The newest round's report of the site (looking back a few rounds past ones that could not audit)."""
    for entry in list(reversed(history.rounds))[:_REPORT_LOOKBACK]:
        text = store.report(entry.run_id, history.site)
        if text:
            return entry.run_id, json.loads(text)
    return None, None


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate
