"""How `trustscan diff` shows a ReportDiff: grouped text for a terminal, or JSON for machines."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from trustscan.core.catalog import Catalog, format_value
from trustscan.report.diff import CHANGES, REGRESSED, ReportDiff

_COLOURS = {REGRESSED: "red", "fixed": "green", "improved": "yellow", "unverifiable": "magenta"}


def render_diff(diff: ReportDiff, catalog: Catalog, output_format: str = "console") -> str:
    if output_format == "json":
        return json.dumps(diff.to_json(), ensure_ascii=False, indent=2) + "\n"
    old, new = (_side(report) for report in (diff.old, diff.new))
    lines = [click.style(catalog.text("diff.title", {"old": old, "new": new}), bold=True)]
    if diff.old["target"]["ascii_host"] != diff.new["target"]["ascii_host"]:
        lines.append(catalog.text("diff.other_target", {"old": diff.old["target"]["ascii_host"],
                                                        "new": diff.new["target"]["ascii_host"]}))
    if diff.criteria:
        lines += ["", click.style(catalog.text("diff.criteria"), bold=True)]
        for change in diff.criteria:
            label = "đ" if change.criterion == "dd" else change.criterion
            name = catalog.text(f"criterion.{change.criterion}.name")
            lines.append(f"  [{label}] {name}: {_status(change.old, catalog)} → {_status(change.new, catalog)}  "
                         + click.style(catalog.text(f"diff.change.{change.change}"), fg=_COLOURS.get(change.change)))
    for kind in CHANGES:
        changes = diff.of_kind(kind)
        if not changes:
            continue
        heading = f"{catalog.text(f'diff.change.{kind}')} ({len(changes)})"
        lines += ["", click.style(heading, fg=_COLOURS.get(kind), bold=True)]
        for change in changes:
            label = "đ" if change.criterion == "dd" else change.criterion
            lines.append(f"  [{label}] {change.rule_id:<32} {_status(change.old, catalog)} → "
                         f"{_status(change.new, catalog)}  {format_value(change.title)}")
    if not diff.rules and not diff.criteria:
        lines += ["", catalog.text("diff.none")]
    lines += ["", catalog.text("diff.unchanged", {"count": diff.unchanged})]
    return "\n".join(lines) + "\n"


def _side(report: Mapping[str, Any]) -> str:
    target = report["target"]
    return format_value(f"{target['ascii_host']}:{target['port']} @ {report['started_at']}")


def _status(status: str | None, catalog: Catalog) -> str:
    return catalog.text(f"status.{status}") if status else "—"
