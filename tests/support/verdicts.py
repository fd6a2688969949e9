"""What two bulk runs of the same portfolio are compared on: each site's conclusions, without timings."""

from __future__ import annotations

import json


def verdicts(rows: list[tuple[str, str, str, str | None]]) -> dict[str, tuple[str, dict[str, str], list[str]]]:
    """(site, overall, criteria, report) rows -> site -> (overall, criteria, each rule's id=status)."""
    out = {}
    for site, overall, criteria, report in rows:
        data = json.loads(report) if report else None
        rules = sorted(f"{v['rule_id']}={v['status']}" for v in data["verdicts"]) if data else []
        out[site] = (overall, json.loads(criteria), rules)
    return out
