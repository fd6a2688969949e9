"""Reports for the signing, badge and HTML tests, built by the real engine and report builder (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from trustscan.core.catalog import load_catalog
from trustscan.core.models import Attempt
from trustscan.core.target import parse_target
from trustscan.core.wordings import Wording
from trustscan.judge.engine import evaluate, roll_up
from trustscan.judge.ruleset import Ruleset, load_ruleset
from trustscan.report.document import AuditOutcome, build_report

SCAN_TIME = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
#: Why the sample's other probes could not run, as a probe says it.
REFUSED = Wording("error.tls.connect_failed", {"address": "203.0.113.7:443", "cause": Wording("error.cause.refused")})


@cache
def _ruleset() -> Ruleset:
    return load_ruleset()  # parsing every rule file takes ~0.5 s; the files do not change during a run


def sample_report(*, contacts: list[str] | None = None, invalid_contacts: list[str] | None = None,
                  lang: str = "vi", host: str = "cổng.example.gov.vn") -> dict[str, Any]:
    """A report for *host*: security.txt facts as given, every other probe in error (realistic shape)."""
    ruleset = _ruleset()
    securitytxt = {
        "found": True, "location": "well-known", "url": f"https://{host}/.well-known/security.txt",
        "attempts": [{"url": f"https://{host}/.well-known/security.txt", "status": 200, "error": None}],
        "status": 200, "content_type": "text/plain; charset=utf-8", "media_type_ok": True, "size": 200,
        "size_ok": True, "truncated": False, "signed": False,
        "contacts": contacts if contacts is not None else ["mailto:a@b.vn"],
        "invalid_contacts": invalid_contacts or [], "expires_count": 1, "expires": "2027-01-01T00:00:00Z",
        "expires_at": "2027-01-01T00:00:00Z", "expires_valid": True, "expired": False, "expires_in_future": True,
        "expires_days_left": 300, "canonical": [], "canonical_ok": True,
        "preferred_languages": None, "unknown_fields": [], "findings": [], "findings_total": 0, "problems": [],
        "advice": [],
    }
    evidence = {"securitytxt": Attempt.completed("securitytxt", securitytxt, 0.1)}
    for rule in ruleset.rules:
        for probe in rule.probes:
            evidence.setdefault(probe, Attempt.failed(probe, REFUSED, 0.2))
    verdicts = evaluate(ruleset, evidence)
    outcome = AuditOutcome(
        target=parse_target(host), addresses=("203.0.113.7",), started_at=SCAN_TIME, finished_at=SCAN_TIME,
        attempts=evidence, verdicts=tuple(verdicts), criteria=roll_up(ruleset, verdicts),
    )
    return build_report(outcome, ruleset, load_catalog(lang))
