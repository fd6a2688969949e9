"""Human-readable verdicts for a terminal: one block per criterion, failures with their fix.

Text from the scanned site reaches this output only through the catalogue's formatter, which
strips control characters, so a hostile security.txt cannot drive the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from trustscan.core.catalog import Catalog, format_value

_COLOURS = {"pass": "green", "fail": "red", "warn": "yellow", "error": "magenta",
            "skip": "bright_black", "manual": "cyan", "not_checked": "bright_black"}


def _badge(status: str, catalog: Catalog, width: int = 13) -> str:
    label = catalog.text(f"status.{status}")
    return click.style(f"{label:<{width}}", fg=_COLOURS.get(status), bold=status in ("fail", "error"))


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
        lines += _verdict_lines([v for v in report["verdicts"] if v["criterion"] == key], catalog, verbose)
    lines += ["", f"{catalog.text('console.overall')}: {_badge(report['overall'], catalog, width=0)}"]
    return "\n".join(lines) + "\n"


def _verdict_lines(verdicts: list[Mapping[str, Any]], catalog: Catalog, verbose: bool) -> list[str]:
    """Failures and warnings in full; errors sharing one cause (a probe that could not run) once."""
    lines: list[str] = []
    shown = ("fail", "warn", "error", "pass", "skip") if verbose else ("fail", "warn", "error")
    errors_by_cause: dict[str, list[str]] = {}
    for verdict in verdicts:
        if verdict["status"] not in shown:
            continue
        if verdict["status"] == "error" and not verbose:
            errors_by_cause.setdefault(verdict["message"], []).append(verdict["rule_id"])
            continue
        lines.append(f"      {_badge(verdict['status'], catalog)} {verdict['title']}  [{verdict['rule_id']}]")
        lines.append(f"{'':20}{verdict['message']}")
        if verdict.get("fix"):
            lines.append(f"{'':20}{catalog.text('console.fix')}: {verdict['fix']}")
    for message, rule_ids in errors_by_cause.items():
        lines.append(f"      {_badge('error', catalog)} {message}")
        lines.append(f"{'':20}{format_value(rule_ids)}")
    return lines
