"""Human-readable verdicts for a terminal: the six criteria first, then failures with their fixes.

Lines are wrapped to the terminal's width (`COLUMNS`, else the terminal's size, else 100), and
verdicts that share one cause (a probe that could not run makes many rules "could not be checked")
are told once, with the rules they affect, in plain and verbose output alike.

Text from the scanned site reaches this output only through the catalogue's formatter, which
strips control characters, so a hostile security.txt cannot drive the terminal.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import click

from trustscan.core.catalog import Catalog, format_value
from trustscan.core.wording import severity

_COLOURS = {"pass": "green", "fail": "red", "warn": "yellow", "error": "magenta",
            "skip": "bright_black", "manual": "cyan", "not_checked": "bright_black"}
_MIN_WIDTH, _MAX_WIDTH, _DEFAULT_WIDTH = 40, 160, 100
_INDENT = "      "


def terminal_width() -> int:
    """`COLUMNS` when set, else the terminal's width, else 100; bounded to 40..160 columns."""
    columns = shutil.get_terminal_size((_DEFAULT_WIDTH, 24)).columns
    return max(_MIN_WIDTH, min(_MAX_WIDTH, columns))


def _badge(status: str, catalog: Catalog) -> str:
    return click.style(catalog.text(f"status.{status}"), fg=_COLOURS.get(status), bold=status in ("fail", "error"))


def _wrap(text: str, width: int, indent: str = _INDENT, first: str | None = None) -> list[str]:
    """*text* wrapped to *width*; words longer than a line (URLs) are kept whole, never cut."""
    return textwrap.wrap(text, width=width, initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False) or [indent]


def render(report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False, width: int | None = None) -> str:
    """Criteria summary, then what needs fixing; `verbose` lists passing and not-applicable rules too."""
    width = width or terminal_width()
    target = report["target"]
    name = target["host"]
    if target["ascii_host"] != target["host"]:
        name = f"{target['host']} ({target['ascii_host']})"
    lines = [click.style(catalog.text("console.title"), bold=True)]
    lines += _wrap(f"{catalog.text('console.target')}: {format_value(name)} {catalog.text('console.port')} "
                   f"{target['port']} · {catalog.text('console.addresses')}: {format_value(target['addresses'])}",
                   width, indent="  ", first="")
    lines += [f"{catalog.text('console.overall')}: {_badge(report['overall'], catalog)}", ""]
    column = max(len(catalog.text(f"status.{c['status']}")) for c in report["criteria"].values())
    for criterion in report["criteria"].values():
        label = catalog.text(f"status.{criterion['status']}")
        head = f"[{criterion['label']}] {label:<{column}} "
        wrapped = _wrap(f"{head}{criterion['name']} — {criterion['summary']}", width,
                        indent=" " * len(head), first="")
        wrapped[0] = wrapped[0].replace(label, _badge(criterion["status"], catalog), 1)
        lines += wrapped
    verdicts = [v for v in report["verdicts"] if isinstance(v, Mapping)]
    findings = [v for v in verdicts if v["status"] in ("fail", "warn")]
    if findings:
        lines += ["", click.style(catalog.text("console.findings"), bold=True)]
        for verdict in sorted(findings, key=lambda v: (v["status"] != "fail", v["criterion"])):
            lines += _finding(verdict, catalog, width)
    lines += _grouped(catalog.text("console.unchecked"), "error", verdicts, catalog, width)
    if verbose:
        lines += _grouped(catalog.text("console.not_applicable"), "skip", verdicts, catalog, width)
        passed = [v for v in verdicts if v["status"] == "pass"]
        if passed:
            lines += ["", click.style(catalog.text("console.passed"), bold=True)]
            for verdict in passed:
                lines += _wrap(f"[{_label(verdict)}] {verdict['title']} ({verdict['rule_id']}): {verdict['message']}",
                               width, first="  ")
    elif any(v["status"] in ("pass", "skip") for v in verdicts):
        lines += ["", catalog.text("console.more_with_verbose")]
    return "\n".join(lines) + "\n"


def _label(verdict: Mapping[str, Any]) -> str:
    return "đ" if verdict["criterion"] == "dd" else str(verdict["criterion"])


def _finding(verdict: Mapping[str, Any], catalog: Catalog, width: int) -> list[str]:
    status = catalog.text(f"status.{verdict['status']}")
    head = (f"[{_label(verdict)}] {status} {verdict['title']} "
            f"({verdict['rule_id']}, {severity(verdict.get('severity'), catalog)})")
    lines = _wrap(head, width, first="")
    lines[0] = lines[0].replace(status, _badge(verdict["status"], catalog), 1)
    lines += _wrap(str(verdict["message"]), width)
    if verdict.get("fix"):
        lines += _wrap(f"{catalog.text('console.fix')}: {verdict['fix']}", width)
    return lines


def _grouped(title: str, status: str, verdicts: Iterable[Mapping[str, Any]], catalog: Catalog,
             width: int) -> list[str]:
    """One line per shared cause: the message, then the rules it affects."""
    causes: dict[str, list[str]] = {}
    for verdict in verdicts:
        if verdict["status"] == status:
            causes.setdefault(str(verdict["message"]), []).append(str(verdict["rule_id"]))
    if not causes:
        return []
    lines = ["", click.style(title, bold=True)]
    for message, rule_ids in causes.items():  # one entry per cause: the message, then the rules it affected
        label = catalog.text(f"status.{status}")
        wrapped = _wrap(f"{label} {message} — {catalog.text('console.rules')}: {', '.join(rule_ids)}", width,
                        first="  ")
        wrapped[0] = wrapped[0].replace(label, _badge(status, catalog), 1)  # colour after wrapping: widths stay true
        lines += wrapped
    return lines
