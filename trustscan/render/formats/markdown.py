"""A Markdown summary for a merge-request comment or a CI job summary.

Everything taken from the report is escaped: messages quote what the scanned site served
(certificate names, security.txt fields), and a hostile site must not be able to add HTML,
links, table columns, headings or @-mentions to a comment posted under the pipeline's name.
The output stays under GitHub's 65,536-character comment limit.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from trustscan.core.catalog import Catalog
from trustscan.core.wording import severity

#: GitHub refuses comments longer than 65,536 characters; keep a margin for the truncation note.
MAX_CHARS = 60_000
MAX_FIELD_CHARS = 400
_ICONS = {"pass": "✅", "fail": "❌", "warn": "⚠️", "error": "❔", "skip": "➖", "manual": "✍️", "not_checked": "➖"}
_WHITESPACE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\s]+")
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones with meaning.
_MARKUP = re.compile(r"([\\`*_{}\[\]()+\-.!|~=:])")
_MENTION = re.compile(r"[@#]")


def escape(value: Any, limit: int = MAX_FIELD_CHARS) -> str:
    """Inline-safe Markdown for untrusted text: one line, bounded, no HTML, no markup, no mentions."""
    text = _WHITESPACE.sub(" ", str(value)).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = html.escape(text, quote=False)  # & < > become entities: no raw HTML, no <autolinks>
    text = _MARKUP.sub(r"\\\1", text)
    # A zero-width space after @ and # stops GitHub/GitLab mentions and issue references.
    # One pass: the # of the first one's entity must not get a space of its own.
    return _MENTION.sub(lambda m: m.group(0) + "&#8203;", text)


_CODE_SPAN = re.compile(r"`([^`\n]{1,300})`")


def escape_keeping_code(value: Any, limit: int = MAX_FIELD_CHARS) -> str:
    """escape() for trustscan's own wording (a fix), keeping its `code spans` as code.

    Only the catalogue's text goes through here, never the site's: a fix such as "add
    `X-Content-Type-Options: nosniff`" reads as code to copy, not as backslashed punctuation.
    """
    text = _WHITESPACE.sub(" ", str(value)).strip()
    parts, last = [], 0

    def prose(segment: str) -> str:  # escape() trims; the spaces around a code span are kept
        return (" " if segment[:1] == " " else "") + escape(segment, limit) + (" " if segment[-1:] == " " else "")

    for match in _CODE_SPAN.finditer(text):
        parts.append(prose(text[last:match.start()]))
        parts.append(f"`{match.group(1)}`")
        last = match.end()
    parts.append(prose(text[last:]))
    return "".join(parts).strip()


def render(report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False) -> str:
    """Headline, criteria table, findings with their policy decision; `verbose` adds passing rules."""
    policy = report.get("policy")
    outcome = policy["outcome"] if policy else report["overall"]
    target = report["target"]
    head = [
        f"## {_ICONS.get(outcome, '')} {escape(catalog.text('markdown.title'))}: "
        f"{escape(target['host'])} — **{escape(catalog.text('status.' + outcome))}**",
        "",
        f"{escape(catalog.text('console.target'))}: {escape(target['ascii_host'])}:{target['port']} · "
        f"{escape(catalog.text('console.addresses'))}: {escape(', '.join(target['addresses']) or '—')} · "
        f"trustscan {escape(report['tool']['version'])} · {escape(report['started_at'])}",
        "",
        f"| | {escape(catalog.text('markdown.criterion'))} | {escape(catalog.text('markdown.status'))} "
        f"| {escape(catalog.text('markdown.summary'))} |",
        "|---|---|---|---|",
    ]
    for result in report["criteria"].values():
        head.append(f"| {escape(result['label'])} | {escape(result['name'])} | "
                    f"{_ICONS.get(result['status'], '')} {escape(catalog.text('status.' + result['status']))} "
                    f"| {escape(result['summary'])} |")
    head.append("")
    if policy:
        head += _policy_lines(policy, catalog)
    findings = _finding_lines(report, catalog, verbose)
    return _bounded(head, findings, catalog)


def _policy_lines(policy: Mapping[str, Any], catalog: Catalog) -> list[str]:
    source = escape(policy["source"]) if policy["source"] else escape(catalog.text("policy.default"))
    lines = [f"**{escape(catalog.text('policy.title'))}**: {source} → "
             f"{_ICONS.get(policy['outcome'], '')} **{escape(catalog.text('status.' + policy['outcome']))}**"]
    if policy["baseline"]:
        lines.append(f"- {escape(catalog.text('policy.baseline', {'started_at': policy['baseline']['started_at']}))}")
    for waiver in policy["expired_waivers"]:
        lines.append(f"- ⏰ {escape(catalog.text('policy.waiver_expired', waiver))}")
    for decision in policy["decisions"]:
        if decision["rule_id"] is None:  # a whole criterion: nothing applied, manual, not checked
            label = "đ" if decision["criterion"] == "dd" else decision["criterion"]
            lines.append(f"- [{escape(label)}] {escape(catalog.text('policy.reason.' + decision['reason']))} — "
                         f"{escape(catalog.text('policy.decision.' + decision['decision']))}")
    return [*lines, ""]


def _finding_lines(report: Mapping[str, Any], catalog: Catalog, verbose: bool) -> list[str]:
    decisions = {d["rule_id"]: d for d in (report.get("policy") or {}).get("decisions", []) if d["rule_id"]}
    shown = ("fail", "warn", "error", "pass", "skip") if verbose else ("fail", "warn", "error")
    order = {status: i for i, status in enumerate(shown)}
    verdicts = sorted((v for v in report["verdicts"] if v["status"] in shown), key=lambda v: order[v["status"]])
    lines = [f"### {escape(catalog.text('markdown.findings'))}", ""] if verdicts else []
    errors: dict[tuple[str, str], list[str]] = {}
    for verdict in verdicts:
        tag = _decision_tag(decisions.get(verdict["rule_id"]), catalog)
        if verdict["status"] == "error" and not verbose:
            # One probe that could not run errors many rules with one message: say it once.
            errors.setdefault((verdict["message"], tag), []).append(verdict["rule_id"])
            continue
        lines.append(f"- {_ICONS.get(verdict['status'], '')} **{escape(catalog.text('status.' + verdict['status']))}** "
                     f"{escape(verdict['title'])} ({escape(verdict['rule_id'], 80)}, "
                     f"{escape(severity(verdict['severity'], catalog))}){tag}")
        lines.append(f"  {escape(verdict['message'])}")
        if verdict.get("fix"):
            lines.append(f"  {escape(catalog.text('console.fix'))}: {escape_keeping_code(verdict['fix'])}")
    for (message, tag), rule_ids in errors.items():
        lines.append(f"- {_ICONS['error']} **{escape(catalog.text('status.error'))}** {escape(message)}{tag}")
        lines.append(f"  {escape(', '.join(rule_ids), 2000)}")
    if not verdicts:
        lines.append(escape(catalog.text("markdown.no_findings")))
    return lines


def _decision_tag(decision: Mapping[str, Any] | None, catalog: Catalog) -> str:
    if not decision:
        return ""
    tag = f" · _{escape(catalog.text('policy.decision.' + decision['decision']))}: " \
          f"{escape(catalog.text('policy.reason.' + decision['reason']))}_"
    if decision["waiver"]:
        tag += f" ({escape(decision['waiver']['reason'])}, {escape(decision['waiver']['expires'])})"
    return tag


def _bounded(head: list[str], findings: list[str], catalog: Catalog) -> str:
    text = "\n".join(head)
    kept: list[str] = []
    size = len(text)
    for number, line in enumerate(findings):
        if size + len(line) + 1 > MAX_CHARS:
            rest = sum(1 for later in findings[number:] if later.startswith("- "))
            kept.append(escape(catalog.text("markdown.truncated", {"count": rest})))
            break
        kept.append(line)
        size += len(line) + 1
    return text + "\n" + "\n".join(kept) + "\n"
