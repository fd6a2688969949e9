"""The audit report: one JSON document, schema-versioned, the contract every output reads.

Everything downstream (console, HTML, badge, SARIF, signatures) renders from this document
alone, never from a re-scan. Its schema is `reports/schema/report.schema.json`, read and enforced
by `trustscan.report.schema`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustscan import __version__
from trustscan.core.catalog import Catalog
from trustscan.core.models import CRITERIA, CRITERION_LABELS, Attempt, CriterionResult, CriterionStatus, Verdict
from trustscan.core.target import Target
from trustscan.core.timestamps import rfc3339
from trustscan.core.wording import criterion_summary
from trustscan.judge.ruleset import Ruleset
from trustscan.lists.matcher import report_snapshots
from trustscan.owner.declaration import Declaration

# 1.1: evidence_class on criteria and verdicts, optional declaration; 1.2: `only`; 1.3: `error_wording`
SCHEMA_VERSION = "1.3"


@dataclass(frozen=True)
class AuditOutcome:
    """Everything an audit produced, before it is turned into the JSON document.

    `attempts` holds one Attempt per probe, by probe name: the report's `evidence` object. (Not to
    be confused with a rule's or criterion's evidence *class*: verified, detected or declared.)
    """

    target: Target
    addresses: tuple[str, ...]
    started_at: datetime
    finished_at: datetime
    attempts: Mapping[str, Attempt]
    verdicts: tuple[Verdict, ...]
    criteria: Mapping[str, CriterionResult]
    declaration: Declaration | None = None
    only: tuple[str, ...] | None = None  # the criteria `--only` asked for; None: all of them


def build_report(outcome: AuditOutcome, ruleset: Ruleset, catalog: Catalog) -> dict[str, Any]:
    """The report document, worded in the catalogue's language."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "trustscan", "version": __version__, "ruleset_digest": ruleset.digest},
        "language": catalog.language,
        "target": {
            "input": outcome.target.input,
            "host": outcome.target.host,
            "ascii_host": outcome.target.ascii_host,
            "port": outcome.target.port,
            "addresses": list(outcome.addresses),
        },
        "started_at": rfc3339(outcome.started_at),
        "finished_at": rfc3339(outcome.finished_at),
        "overall": overall_status(outcome.criteria).value,
        "criteria": {c: _criterion(outcome.criteria[c], catalog, outcome.only) for c in CRITERIA},
        # `--only`: which criteria were asked for, so the others read "not requested", not "not checked".
        **({"only": list(outcome.only)} if outcome.only is not None else {}),
        "verdicts": [_verdict(v, ruleset, catalog) for v in outcome.verdicts],
        "evidence": {name: attempt.to_json() for name, attempt in outcome.attempts.items()},
        # The owner's own words (Art. 21(3) self-declaration): always marked declared, never verified.
        **({"declaration": {**outcome.declaration.to_json(), "evidence_class": "declared"}}
           if outcome.declaration is not None else {}),
        # Criterion d: which list snapshots were matched, with age and hash (for HTML rendering).
        **report_snapshots(outcome.attempts),
    }


def overall_status(criteria: Mapping[str, CriterionResult]) -> CriterionStatus:
    """fail if any criterion fails, else error if any could not be checked, else pass."""
    statuses = {result.status for result in criteria.values()}
    if CriterionStatus.FAIL in statuses:
        return CriterionStatus.FAIL
    if CriterionStatus.ERROR in statuses:
        return CriterionStatus.ERROR
    return CriterionStatus.PASS


def _criterion(result: CriterionResult, catalog: Catalog, only: tuple[str, ...] | None) -> dict[str, Any]:
    summary = criterion_summary(result.status.value, result.counts, catalog,
                                requested=only is None or result.criterion in only)
    return {
        "status": result.status.value,
        "label": CRITERION_LABELS[result.criterion],
        "name": catalog.text(f"criterion.{result.criterion}.name"),
        "summary": summary,
        "counts": dict(result.counts),
        "evidence_class": result.evidence_class.value if result.evidence_class else None,
    }


def _verdict(verdict: Verdict, ruleset: Ruleset, catalog: Catalog) -> dict[str, Any]:
    rule = ruleset.get(verdict.rule_id)
    error = verdict.error if verdict.error_wording is None else catalog.say(verdict.error_wording)
    values = {**verdict.observed, "error": error}
    failed = verdict.status.value in ("fail", "warn")
    return {
        "rule_id": verdict.rule_id,
        "criterion": verdict.criterion,
        "status": verdict.status.value,
        "severity": verdict.severity.value,
        "title": catalog.text(rule.message_id("title")),
        "message_id": verdict.message_id,
        "message": catalog.text(verdict.message_id, values),
        "fix": catalog.text(rule.message_id("fix")) if failed else None,
        "observed": verdict.observed,
        "error": verdict.error,
        **({"error_wording": verdict.error_wording.to_json()} if verdict.error_wording is not None else {}),
        "references": list(rule.references),
        "evidence_class": rule.evidence_class.value,
    }


def dumps(report: Mapping[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
