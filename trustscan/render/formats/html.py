"""The public HTML report: one self-contained page (inline CSS, no scripts, fonts or remote images).

Rendered from the finished report (plain or signed) alone, never from a re-scan. Wording comes
from the catalogue of the requested language: verdicts are re-worded from their message ids and
observed values (the Internet.nl way), so a Vietnamese report can be published in English too.
Everything that came from the scanned site goes through Jinja2's autoescaping and is never
placed in an attribute that browsers execute (no site-provided href or src).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from trustscan.core.catalog import Catalog, format_value
from trustscan.core.models import CRITERIA, CRITERION_LABELS
from trustscan.publish.attestation import PAYLOAD_TYPE, Document, Verification, VerificationStatus, site_url
from trustscan.render.badge import render_svg, summarise
from trustscan.render.templating import environment

__all__ = ["render", "render_document"]

_ORDER = {"fail": 0, "warn": 1, "error": 2, "pass": 3, "skip": 4}
_DECLARANT_KEYS = ("organisation", "organization", "owner", "system_owner")


def render(report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False) -> str:
    """The FORMATS entry point: an unsigned report. Every verdict is listed (`verbose` is moot)."""
    return render_document(Document(report), catalog)


def render_document(document: Document, catalog: Catalog, *, verification: Verification | None = None,
                    now: datetime | None = None) -> str:
    """The page for *document*; *verification* is given when the caller checked the signature."""
    now = now or datetime.now(UTC)
    report = document.report
    summary = summarise(document, catalog, now=now)
    return environment().get_template("report.html.j2").render(
        t=catalog.text,
        lang=catalog.language,
        meta=_meta(report),
        host=format_value(report["target"].get("host")),
        ascii_host=format_value(report["target"].get("ascii_host")),
        url=site_url(report),
        badge_svg=render_svg(summary),
        summary=summary,
        overall=str(report.get("overall")),
        declarant=declarant(report),
        declaration=_declaration_rows(report.get("declaration")),
        criteria=[_criterion(c, report, catalog) for c in CRITERIA],
        probes=_probes(report.get("evidence")),  # the report's `evidence`: one attempt per probe
        snapshots=_snapshots(report.get("evidence")),
        site_title=_home_title(report.get("evidence")),
        document=document,
        expired=document.expired(now),
        verified=verification is not None and verification.status is not VerificationStatus.INVALID,
        key_id=verification.key_id if verification else _signature_key_id(document),
        payload_type=PAYLOAD_TYPE,
        payload_type_len=len(PAYLOAD_TYPE.encode()),
    )


def _meta(report: Mapping[str, Any]) -> dict[str, str]:
    raw_tool = report.get("tool")
    tool: Mapping[str, Any] = raw_tool if isinstance(raw_tool, Mapping) else {}
    return {
        "tool_name": format_value(tool.get("name")),
        "tool_version": format_value(tool.get("version")),
        "ruleset_digest": format_value(tool.get("ruleset_digest")),
        "schema_version": format_value(report.get("schema_version")),
        "started_at": format_value(report.get("started_at")),
        "finished_at": format_value(report.get("finished_at")),
    }


def declarant(report: Mapping[str, Any]) -> str | None:
    """Who declared, when the report carries a declaration naming its organisation."""
    declaration = report.get("declaration")
    if isinstance(declaration, Mapping):
        for key in _DECLARANT_KEYS:
            value = declaration.get(key)
            if isinstance(value, Mapping):  # {"name": ...}
                value = value.get("name")
            if isinstance(value, str) and value.strip():
                return format_value(value)
    return None


def _signature_key_id(document: Document) -> str | None:
    if document.envelope is None:
        return None
    return next((kid for kid, _sig in document.envelope.signatures if kid), None)


def _declaration_rows(declaration: Any) -> list[tuple[str, str]]:
    """The declaration object as (field, value) rows, nested objects flattened with dotted names."""
    if not isinstance(declaration, Mapping):
        return []
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and len(rows) < 60:
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif len(rows) < 60:
            rows.append((format_value(prefix), format_value(value)))

    walk("", declaration)
    return rows


def _criterion(key: str, report: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    data = report["criteria"].get(key) or {}
    status = str(data.get("status", "not_checked"))
    counts = data.get("counts") if isinstance(data.get("counts"), Mapping) else None
    if status == "not_checked" or counts is None:
        summary = catalog.text("summary.not_checked") if status == "not_checked" else format_value(
            data.get("summary"))
    else:
        summary = catalog.text("summary.checked", counts)
    verdicts = [_verdict(v, catalog) for v in report["verdicts"]
                if isinstance(v, Mapping) and v.get("criterion") == key]
    verdicts.sort(key=lambda v: _ORDER.get(v["status"], 9))
    evidence_class = data.get("evidence_class")
    return {
        "key": key,
        "label": CRITERION_LABELS[key],
        "name": catalog.text(f"criterion.{key}.name"),
        "legal": catalog.text(f"criterion.{key}.legal"),
        "status": status,
        "evidence_class": str(evidence_class) if isinstance(evidence_class, str) else None,
        "summary": summary,
        "verdicts": verdicts,
    }


def _verdict(verdict: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """Re-word a verdict in *catalog*'s language; fall back to the report's own words for unknown ids."""
    rule_id = str(verdict.get("rule_id"))
    status = str(verdict.get("status"))
    raw_observed = verdict.get("observed")
    observed: Mapping[str, Any] = raw_observed if isinstance(raw_observed, Mapping) else {}
    message_id = str(verdict.get("message_id"))
    if message_id in catalog.messages:
        message = catalog.text(message_id, {**observed, "error": verdict.get("error")})
    else:
        message = format_value(verdict.get("message"))
    title = catalog.text(f"{rule_id}.title") if f"{rule_id}.title" in catalog.messages \
        else format_value(verdict.get("title"))
    fix = None
    if status in ("fail", "warn"):
        fix = catalog.text(f"{rule_id}.fix") if f"{rule_id}.fix" in catalog.messages \
            else format_value(verdict.get("fix"))
    raw_references = verdict.get("references")
    references: list[Any] = raw_references if isinstance(raw_references, list) else []
    return {
        "rule_id": rule_id,
        "status": status,
        "severity": format_value(verdict.get("severity")),
        "title": title,
        "message": message,
        "observed": [(format_value(k), format_value(v)) for k, v in observed.items()],
        "fix": fix,
        "references": [format_value(r) for r in references],
    }


def _home_title(attempts: Any) -> str | None:
    """The home page's <title> as the crawler read it: the site's own words, shown (escaped) to identify it."""
    try:
        title = attempts["crawl"]["data"]["pages"][0]["html"]["title"]
    except (KeyError, IndexError, TypeError):
        return None
    return format_value(title) if isinstance(title, str) and title.strip() else None


def _snapshots(attempts: Any) -> list[dict[str, str]]:
    """The blocklist snapshots any probe says it used (criteria d, đ), once each, with their age."""
    if not isinstance(attempts, Mapping):
        return []
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for attempt in attempts.values():
        data = attempt.get("data") if isinstance(attempt, Mapping) else None
        snapshots = data.get("snapshots") if isinstance(data, Mapping) else None
        for snapshot in snapshots if isinstance(snapshots, list) else []:
            if not isinstance(snapshot, Mapping) or len(rows) >= 50:
                continue
            age = snapshot.get("age_days")
            row = {"name": format_value(snapshot.get("name")), "origin": format_value(snapshot.get("origin")),
                   "imported_at": format_value(snapshot.get("imported_at")),
                   "age": f"{age:.1f}" if isinstance(age, int | float) else "—",
                   "entries": format_value(snapshot.get("entries")), "sha256": format_value(snapshot.get("sha256"))}
            rows.setdefault((row["name"], row["sha256"]), row)
    return list(rows.values())


def _probes(attempts: Any) -> list[dict[str, str]]:
    if not isinstance(attempts, Mapping):
        return []
    rows = []
    for name, attempt in attempts.items():
        attempt = attempt if isinstance(attempt, Mapping) else {}
        duration = attempt.get("duration")
        rows.append({
            "name": format_value(name),
            "status": format_value(attempt.get("status")),
            "duration": f"{duration:.2f} s" if isinstance(duration, int | float) else "—",
            "error": format_value(attempt.get("error")) if attempt.get("error") else "",
        })
    return rows
