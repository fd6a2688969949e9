"""Integration: audits of the local world's good site with an owner's declaration (criterion a, cross-checks)."""

from __future__ import annotations

import asyncio
import datetime as dt

import jsonschema
import pytest

from tests.integration.test_audit_world import world_settings
from tests.world import World
from trustscan.audit import run_audit
from trustscan.core.catalog import load_catalog
from trustscan.core.target import parse_target
from trustscan.judge.ruleset import load_ruleset
from trustscan.owner.declaration import Declaration, parse_declaration
from trustscan.report.document import AuditOutcome, build_report
from trustscan.report.schema import report_schema


def declaration_for(site: str, contact: str, *, assessed: str = "2026-01-15") -> Declaration:
    today = dt.datetime.now(dt.UTC).date()
    return parse_declaration({
        "schema_version": "1.0", "organisation": "Sở Thông tin và Truyền thông", "system": "Cổng TTĐT",
        "sites": [site], "security_level": 3,
        "approval": {"number": "123/QĐ-UBND", "date": "2025-03-01", "issuer": "UBND tỉnh"},
        "last_assessment": min(dt.date.fromisoformat(assessed), today).isoformat(),
        "privacy_commitment": {"statement": "Chỉ thu thập dữ liệu cá nhân khi được đồng ý.",
                               "signed_by": "Nguyễn Văn A", "signed_on": "2025-03-02"},
        "security_contact": contact,
    }, today=today)


@pytest.fixture(scope="module")
def declared(world: World) -> dict[str, AuditOutcome]:
    good = world.site("good")
    recent = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=30)).isoformat()
    cases: dict[str, Declaration | None] = {
        "matching": declaration_for(good.host, f"mailto:Security@{good.host}", assessed=recent),
        "other_contact": declaration_for(good.host, "mailto:soc@example.gov.vn", assessed=recent),
        "other_site": declaration_for("other.example.gov.vn", f"mailto:security@{good.host}", assessed="2024-01-01"),
        "none": None,
    }
    ruleset = load_ruleset()

    async def audit_all() -> list[AuditOutcome]:
        return await asyncio.gather(*(
            run_audit(parse_target(good.target), world_settings(world), ruleset=ruleset, declaration=d)
            for d in cases.values()))

    return dict(zip(cases, asyncio.run(audit_all()), strict=True))


def test_without_a_declaration_a_is_manual_and_the_report_says_why(declared: dict[str, AuditOutcome]) -> None:
    report = build_report(declared["none"], load_ruleset(), load_catalog("en"))
    jsonschema.validate(report, report_schema(), format_checker=jsonschema.FormatChecker())
    assert report["criteria"]["a"]["status"] == "manual"
    assert "trustscan declare" in report["criteria"]["a"]["summary"]
    assert "declaration" not in report and report["evidence"]["declaration"]["status"] == "skipped"


def statuses(outcome: AuditOutcome, prefix: str) -> dict[str, str]:
    return {v.rule_id: v.status.value for v in outcome.verdicts if v.rule_id.startswith(prefix)}


def test_declaration_plus_clean_hygiene_passes_a_as_declared(declared: dict[str, AuditOutcome]) -> None:
    outcome = declared["matching"]
    assert outcome.criteria["a"].status.value == "pass"
    assert outcome.criteria["a"].evidence_class.value == "declared"  # never presented as verified
    assert statuses(outcome, "a.declaration.") == {
        "a.declaration.present": "pass", "a.declaration.covers_site": "pass",
        "a.declaration.assessment_recent": "pass"}
    assert statuses(outcome, "e.declaration.") == {"e.declaration.contact_published": "pass"}
    assert outcome.criteria["e"].status.value == "pass" and outcome.criteria["e"].evidence_class.value == "verified"


def test_declared_contact_missing_from_security_txt_is_a_warning(declared: dict[str, AuditOutcome]) -> None:
    outcome = declared["other_contact"]
    verdict = next(v for v in outcome.verdicts if v.rule_id == "e.declaration.contact_published")
    assert verdict.status.value == "warn"
    assert verdict.observed["declaration.security_contact"] == "mailto:soc@example.gov.vn"
    assert verdict.observed["securitytxt.contacts"] == [f"mailto:security@{outcome.target.ascii_host}"]
    assert outcome.criteria["e"].status.value == "pass"  # a warning, not a failure


def test_a_declaration_for_another_site_fails_a(declared: dict[str, AuditOutcome]) -> None:
    outcome = declared["other_site"]
    assert statuses(outcome, "a.declaration.") == {
        "a.declaration.present": "pass", "a.declaration.covers_site": "fail",
        "a.declaration.assessment_recent": "warn"}
    assert outcome.criteria["a"].status.value == "fail"
    assert outcome.criteria["a"].evidence_class.value == "declared"


def test_report_carries_the_declaration_and_evidence_classes(declared: dict[str, AuditOutcome]) -> None:
    for lang in ("vi", "en"):
        report = build_report(declared["matching"], load_ruleset(), load_catalog(lang))
        jsonschema.validate(report, report_schema(), format_checker=jsonschema.FormatChecker())
        assert report["declaration"]["evidence_class"] == "declared"
        assert report["declaration"]["security_level"] == 3
        assert report["criteria"]["a"]["evidence_class"] == "declared"
        assert report["criteria"]["c"]["evidence_class"] == "verified"
        present = next(v for v in report["verdicts"] if v["rule_id"] == "a.declaration.present")
        assert present["evidence_class"] == "declared" and "123/QĐ-UBND" in present["message"]
