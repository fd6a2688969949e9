"""The public HTML report: one self-contained page (inline CSS, no scripts, fonts or remote images).

Rendered from the finished report (plain or signed) alone, never from a re-scan. Wording comes
from the catalogue of the requested language: verdicts are re-worded from their message ids and
observed values (the Internet.nl way), so a Vietnamese report can be published in English too.
Everything that came from the scanned site goes through Jinja2's autoescaping and is never
placed in an attribute that browsers execute (no site-provided href or src).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trustscan.core.catalog import Catalog, format_value
from trustscan.core.models import CRITERIA, CRITERION_LABELS
from trustscan.core.wording import evidence_label, plural, severity
from trustscan.core.wordings import WORDING_SUFFIX
from trustscan.publish.attestation import PAYLOAD_TYPE, Document, Verification, VerificationStatus, site_url
from trustscan.render.badge import render_svg, summarise
from trustscan.render.templating import environment
from trustscan.report.localise import localise

__all__ = ["render", "render_document"]

_ORDER = {"fail": 0, "warn": 1, "error": 2, "pass": 3, "skip": 4}
_SHOWN = ("fail", "warn", "error")  # expanded; passing and not-applicable rules are folded in <details>
_DECLARANT_KEYS = ("organisation", "organization", "owner", "system_owner")
_VERIFY_SCRIPT = "verify.js"  # reports/templates/verify.js: checks the embedded envelope with WebCrypto
MAX_LIST_ITEMS = 50  # a list of evidence (suites, pages) shows this many items, whole, then "+N"


def render(report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False) -> str:
    """The FORMATS entry point: an unsigned report. Every verdict is listed (`verbose` is moot)."""
    return render_document(Document(report), catalog)


def render_document(document: Document, catalog: Catalog, *, verification: Verification | None = None,
                    public_key: Ed25519PublicKey | None = None, now: datetime | None = None) -> str:
    """The page for *document* in *catalog*'s language.

    *verification* is given when the caller checked the signature. With *public_key* a signed
    document's page embeds the DSSE envelope and the key and checks the signature itself, in the
    reader's browser (WebCrypto Ed25519), whenever it is opened: see reports/templates/verify.js.
    """
    now = now or datetime.now(UTC)
    report = localise(document.report, catalog)
    summary = summarise(document, catalog, now=now)
    criteria = [_criterion(c, report, catalog) for c in CRITERIA]
    self_check = document.envelope is not None and public_key is not None
    script = _verify_script() if self_check else None
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
        declaration=_declaration_rows(report.get("declaration"), catalog),
        criteria=criteria,
        probes=_probes(report.get("evidence"), catalog),  # the report's `evidence`: one attempt per probe
        snapshots=_snapshots(report.get("evidence")),
        site_title=_home_title(report.get("evidence")),
        document=document,
        expired=document.expired(now),
        verified=verification is not None and verification.status is not VerificationStatus.INVALID,
        key_id=verification.key_id if verification else _signature_key_id(document),
        payload_type=PAYLOAD_TYPE,
        payload_type_len=len(PAYLOAD_TYPE.encode()),
        envelope_json=_script_json(document.envelope.to_json()) if self_check and document.envelope else None,
        public_key=_raw_key(public_key) if self_check and public_key else None,
        script=script,
        script_hash=_csp_hash(script) if script else None,
        signature_status=("unsigned" if not document.signed else "checking" if self_check else "unchecked"),
    )


def _verify_script() -> str:
    return environment().loader.get_source(environment(), _VERIFY_SCRIPT)[0]  # type: ignore[union-attr]


def _csp_hash(script: str) -> str:
    """The CSP source allowing exactly this inline script (and no other) to run."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def _raw_key(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def _script_json(value: Any) -> str:
    """JSON for a <script type="application/json"> block: `<` escaped, so no text can close the block."""
    return json.dumps(value, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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


def _declaration_rows(declaration: Any, catalog: Catalog) -> list[tuple[str, str]]:
    """The declaration's fields as (label, value) rows: labels from the catalogue, nested objects flattened."""
    if not isinstance(declaration, Mapping):
        return []
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and len(rows) < 60:
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif len(rows) < 60 and prefix not in ("evidence_class", "schema_version"):
            rows.append((_declaration_label(prefix, catalog), catalog.value(value)))

    walk("", declaration)
    return rows


def _declaration_label(path: str, catalog: Catalog) -> str:
    """The label of a declaration field (`approval.number` -> "Approval decision number"), else its path."""
    last = path.rsplit(".", 1)[-1]
    for key in (f"declaration.{path}", f"fact.declaration.{path.replace('.', '_')}", f"declare.prompt.{last}",
                f"declare.prompt.privacy_{last}"):
        if key in catalog.messages:
            return catalog.text(key)
    return format_value(path)


def _criterion(key: str, report: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    data = report["criteria"].get(key) or {}
    status = str(data.get("status", "not_checked"))
    verdicts = [_verdict(v, catalog) for v in report["verdicts"]
                if isinstance(v, Mapping) and v.get("criterion") == key]
    verdicts.sort(key=lambda v: _ORDER.get(v["status"], 9))
    shown = [v for v in verdicts if v["status"] in _SHOWN]
    folded = [v for v in verdicts if v["status"] not in _SHOWN]
    evidence_class = data.get("evidence_class")
    return {
        "key": key,
        "label": CRITERION_LABELS[key],
        "name": catalog.text(f"criterion.{key}.name"),
        "legal": catalog.text(f"criterion.{key}.legal"),
        "status": status,
        "evidence_class": str(evidence_class) if isinstance(evidence_class, str) else None,
        "summary": format_value(data.get("summary")),
        # The summary table's reason, under the counts: the first thing to fix, if any.
        "reason": shown[0]["title"] if shown else None,
        "shown": shown,
        "folded": folded,
        "folded_label": plural(catalog, "html.folded", len(folded)),
    }


def _verdict(verdict: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """A verdict of the localised report, its evidence as labelled, formatted rows."""
    raw_observed = verdict.get("observed")
    observed: Mapping[str, Any] = raw_observed if isinstance(raw_observed, Mapping) else {}
    raw_references = verdict.get("references")
    return {
        "rule_id": format_value(verdict.get("rule_id")),
        "status": str(verdict.get("status")),
        "severity": severity(verdict.get("severity"), catalog),
        "title": format_value(verdict.get("title")),
        "message": format_value(verdict.get("message")),
        "observed": [(evidence_label(str(k), catalog), _items(v, catalog)) for k, v in observed.items()
                     if v not in (None, [], {}, "") and not str(k).endswith(WORDING_SUFFIX)],
        "fix": format_value(verdict["fix"]) if verdict.get("fix") else None,
        "references": [format_value(r) for r in raw_references] if isinstance(raw_references, list) else [],
    }


def _items(value: Any, catalog: Catalog) -> list[str]:
    """A value as whole items: a list is shown item by item (up to MAX_LIST_ITEMS, then "+N"), never cut."""
    if not isinstance(value, list):
        return [catalog.value(value)]
    items = [catalog.value(item) for item in value[:MAX_LIST_ITEMS]]
    if len(value) > MAX_LIST_ITEMS:
        items.append(catalog.text("html.more_items", {"count": len(value) - MAX_LIST_ITEMS}))
    return items


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


def _probe_status(status: Any, catalog: Catalog) -> str:
    key = f"html.probe_status.{status}"
    return catalog.text(key) if key in catalog.messages else format_value(status)


def _probes(attempts: Any, catalog: Catalog) -> list[dict[str, str]]:
    if not isinstance(attempts, Mapping):
        return []
    rows = []
    for name, attempt in attempts.items():
        attempt = attempt if isinstance(attempt, Mapping) else {}
        duration = attempt.get("duration")
        rows.append({
            "name": format_value(name),
            "status": _probe_status(attempt.get("status"), catalog),
            "duration": f"{duration:.2f} s" if isinstance(duration, int | float) else "—",
            "error": format_value(attempt.get("error")) if attempt.get("error") else "",
        })
    return rows
