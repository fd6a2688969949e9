"""Human-readable verdicts for a terminal: one block per criterion, failures with their fix.

Text from the scanned site reaches this output only through the catalogue's formatter, which
strips control characters, so a hostile security.txt cannot drive the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from trustscan.catalog import Catalog, format_value

_COLOURS = {"pass": "green", "fail": "red", "warn": "yellow", "error": "magenta",
            "skip": "bright_black", "manual": "cyan", "not_checked": "bright_black"}


def _badge(status: str, catalog: Catalog) -> str:
    label = catalog.text(f"status.{status}")
    return click.style(f"{label:<13}", fg=_COLOURS.get(status), bold=status in ("fail", "error"))


def render(report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False) -> str:
    """Everything that is not a pass, grouped by criterion; `verbose` lists passes too."""
    target = report["target"]
    name = target["host"]
    if target["ascii_host"] != target["host"]:
        name = f"{target['host']} ({target['ascii_host']})"
    lines = [
        click.style(catalog.text("console.title"), bold=True),
        f"{catalog.text('console.target')}: {format_value(name)} port {target['port']}",
        f"{catalog.text('console.addresses')}: {format_value(target['addresses'])}",
        "",
    ]
    for key, criterion in report["criteria"].items():
        lines.append(
            f"[{criterion['label']}] {_badge(criterion['status'], catalog)} "
            f"{click.style(criterion['name'], bold=True)} — {criterion['summary']}"
        )
        for verdict in report["verdicts"]:
            if verdict["criterion"] != key or (verdict["status"] == "pass" and not verbose):
                continue
            lines.append(f"      {_badge(verdict['status'], catalog)} {verdict['title']}  [{verdict['rule_id']}]")
            lines.append(f"{'':20}{verdict['message']}")
            if verdict.get("fix"):
                lines.append(f"{'':20}{catalog.text('console.fix')}: {verdict['fix']}")
    lines += ["", f"{catalog.text('console.overall')}: {_badge(report['overall'], catalog)}"]
    return "\n".join(lines) + "\n"
