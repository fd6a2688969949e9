"""The security.txt corpus (tests/data/securitytxt/): its files, placeholders and manifest.

Each `<name>.txt` is served as-is except for date placeholders, filled in relative to the run's
clock so a file that is valid today stays valid: @FUTURE@ (in 180 days), @FUTURE+07@ (the same,
at +07:00 with a fraction), @FUTURE_NOZONE@, @FUTURE_SPACE@ (broken forms of it), @PAST@ (30 days
ago) and @FAR@ (two years ahead). `manifest.yaml` gives every file its expected findings
(`id@line`, or `id` for the whole file), criterion e's verdict (pass, warn = pass with warnings,
fail) and, where it is not the default, how it was served (content_type, location, url).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from trustscan.collect.http.securitytxt import evaluate_security_txt, parse_security_txt
from trustscan.core.models import Attempt
from trustscan.judge.engine import evaluate, roll_up
from trustscan.judge.ruleset import Ruleset, load_ruleset

CORPUS = Path(__file__).resolve().parents[1] / "data" / "securitytxt"
WELL_KNOWN = "https://example.vn/.well-known/security.txt"
TEXT_PLAIN = "text/plain; charset=utf-8"
_RULESET = load_ruleset()


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    body: bytes
    verdict: str
    findings: tuple[str, ...]
    content_type: str | None = TEXT_PLAIN
    location: str = "well-known"
    url: str = WELL_KNOWN

    @property
    def requested(self) -> str:
        return "https://example.vn/security.txt" if self.location == "legacy" else WELL_KNOWN


def fill(body: bytes, now: datetime) -> bytes:
    future = now + timedelta(days=180)
    plus7 = future.astimezone(timezone(timedelta(hours=7)))
    values = {
        "@FUTURE@": future.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "@FUTURE+07@": plus7.strftime("%Y-%m-%dT%H:%M:%S.123456789+07:00"),
        "@FUTURE_NOZONE@": future.strftime("%Y-%m-%dT%H:%M:%S"),
        "@FUTURE_SPACE@": future.strftime("%Y-%m-%d %H:%M:%SZ"),
        "@PAST@": (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "@FAR@": (now + timedelta(days=730)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for placeholder, value in values.items():
        body = body.replace(placeholder.encode(), value.encode())
    return body


def load_cases(now: datetime) -> list[Case]:
    manifest: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "manifest.yaml").read_text("utf-8"))
    cases = []
    for name, entry in manifest.items():
        body = fill((CORPUS / f"{name}.txt").read_bytes(), now)
        extra = {k: entry[k] for k in ("content_type", "location", "url") if k in entry}
        cases.append(Case(name, entry["what"], body, entry["verdict"], tuple(entry["findings"]), **extra))
    return cases


def facts_of(case: Case, now: datetime) -> dict[str, Any]:
    """The probe's facts for the case, as if fetched from where the manifest says it was."""
    parsed = parse_security_txt(case.body)
    return {"found": True, "location": case.location, "url": case.url, "status": 200,
            "attempts": [{"url": case.url, "status": 200, "error": None}],
            **evaluate_security_txt(parsed, url=case.url, content_type=case.content_type, size=len(case.body),
                                    now=now, location=case.location, requested=case.requested)}


def finding_keys(facts: dict[str, Any]) -> list[str]:
    return sorted(f["id"] if f["line"] is None else f"{f['id']}@{f['line']}" for f in facts["findings"])


def criterion_e(facts: dict[str, Any], ruleset: Ruleset = _RULESET) -> tuple[str, dict[str, str]]:
    """Criterion e's roll-up over the security.txt rules alone, and every verdict that is not a pass:
    "warn" when it passes with warnings."""
    rules = Ruleset(tuple(r for r in ruleset.rules if r.probes == ("securitytxt",)), ruleset.digest)
    verdicts = evaluate(rules, {"securitytxt": Attempt.completed("securitytxt", facts)})
    status = roll_up(rules, verdicts)["e"].status.value
    others = {v.rule_id: v.status.value for v in verdicts if v.status.value not in ("pass", "skip")}
    if status == "pass" and any(s == "warn" for s in others.values()):
        status = "warn"
    return status, others
