"""The CI gate: policy decisions on reports built by the real engine from evidence made in code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jsonschema
import pytest

from tests.support.ci_reports import RULESET, make_report, statuses
from trustscan.ci.gate import evaluate_policy, with_policy
from trustscan.ci.policy import DEFAULT_POLICY, parse_policy
from trustscan.core.catalog import load_catalog
from trustscan.core.models import Attempt, Severity
from trustscan.core.target import parse_target
from trustscan.judge.engine import evaluate, roll_up
from trustscan.judge.ruleset import Clause, Condition, Rule, Ruleset
from trustscan.report.document import AuditOutcome, build_report
from trustscan.report.schema import report_schema

TODAY = dt.date(2026, 11, 20)


def policy(text: str) -> Any:
    return parse_policy(text, "policy.yaml", {rule.id for rule in RULESET.rules})


def decisions(outcome: Any) -> dict[str | None, tuple[str, str]]:
    return {d.rule_id: (d.decision, d.reason) for d in outcome.decisions}


# --- the default policy is the documented exit-code behaviour -------------------------------------

def _old_exit_status(report: dict[str, Any]) -> str:
    """cli.exit_code_for before policies existed: pass/fail as the report says, anything else incomplete."""
    return report["overall"] if report["overall"] in ("pass", "fail") else "error"


@pytest.mark.parametrize(
    ("fail", "error", "expected"),
    [
        ((), (), "pass"),
        (("c.cert.trusted",), (), "fail"),
        (("c.tls.tls13",), (), "pass"),  # a warning passes, as the criterion roll-up says
        ((), ("c.tls.heartbleed",), "error"),
        (("c.cert.trusted",), ("c.tls.heartbleed",), "fail"),  # a known failure outranks incomplete
        (("e.securitytxt.present",), (), "fail"),
    ],
)
def test_default_policy_matches_the_report_overall(fail: tuple[str, ...], error: tuple[str, ...],
                                                   expected: str) -> None:
    report = make_report(fail, error)
    outcome = evaluate_policy(report, DEFAULT_POLICY, today=TODAY)
    assert outcome.outcome == expected == _old_exit_status(report)


def test_a_criterion_where_no_rule_applied_is_unverified_not_passed() -> None:
    # Only the `when`-guarded dh_params rule in a one-rule ruleset: skipped, so nothing passed.
    rules = Ruleset((RULESET.get("c.tls.dh_params"),), RULESET.digest)
    evidence = {"tls": Attempt.completed("tls", {"dhe_accepted": False, "dh_min_bits": None})}
    verdicts = evaluate(rules, evidence)
    outcome = AuditOutcome(parse_target("x.test"), ("127.0.0.10",), dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                           dt.datetime(2026, 1, 1, tzinfo=dt.UTC), evidence, tuple(verdicts), roll_up(rules, verdicts))
    report = build_report(outcome, rules, load_catalog("en"))
    assert report["criteria"]["c"]["status"] == "error"
    gate = evaluate_policy(report, DEFAULT_POLICY, today=TODAY)
    assert gate.outcome == "error" == _old_exit_status(report)
    assert decisions(gate)[None] == ("blocking", "nothing_applied")
    assert evaluate_policy(report, policy("errors: ignore\n"), today=TODAY).outcome == "pass"


# --- waivers -----------------------------------------------------------------------------------

WAIVER = "waivers:\n  - {rule: c.cert.trusted, reason: internal CA until migration, expires: 2026-11-20}\n"


def test_an_active_waiver_waives_and_says_why() -> None:
    report = make_report(["c.cert.trusted"])
    outcome = evaluate_policy(report, policy(WAIVER), today=TODAY)  # its last day
    assert outcome.outcome == "pass"
    assert decisions(outcome)["c.cert.trusted"] == ("waived", "waived")
    waived = outcome.of("waived")[0]
    assert waived.waiver is not None and waived.waiver.reason == "internal CA until migration"
    assert outcome.expired_waivers == ()


def test_an_expired_waiver_stops_waiving_and_says_so() -> None:
    report = make_report(["c.cert.trusted"])
    outcome = evaluate_policy(report, policy(WAIVER), today=TODAY + dt.timedelta(days=1))
    assert outcome.outcome == "fail"
    assert decisions(outcome)["c.cert.trusted"] == ("blocking", "waiver_expired")
    assert [w.rule_id for w in outcome.expired_waivers] == ["c.cert.trusted"]
    recorded = outcome.to_json()
    assert recorded["expired_waivers"] == [{"rule_id": "c.cert.trusted", "reason": "internal CA until migration",
                                            "expires": "2026-11-20"}]


def test_an_expired_waiver_of_a_passing_rule_is_still_reported() -> None:
    outcome = evaluate_policy(make_report(), policy(WAIVER), today=dt.date(2027, 1, 1))
    assert outcome.outcome == "pass" and [w.rule_id for w in outcome.expired_waivers] == ["c.cert.trusted"]


def test_a_waiver_only_covers_its_own_rule() -> None:
    report = make_report(["c.cert.trusted", "c.cert.hostname"])
    outcome = evaluate_policy(report, policy(WAIVER), today=TODAY)
    assert outcome.outcome == "fail"
    assert decisions(outcome)["c.cert.hostname"] == ("blocking", "fail")


def test_a_waiver_also_covers_a_rule_that_could_not_be_checked() -> None:
    text = "waivers:\n  - {rule: c.tls.heartbleed, reason: scanner blocked by WAF, expires: 2026-12-31}\n"
    outcome = evaluate_policy(make_report(error=["c.tls.heartbleed"]), policy(text), today=TODAY)
    assert outcome.outcome == "pass" and decisions(outcome)["c.tls.heartbleed"] == ("waived", "waived")


# --- severity threshold, warnings, errors, manual, criteria --------------------------------------

def test_min_severity_ignores_failures_below_it() -> None:
    report = make_report(["c.tls.secure_renegotiation"])  # medium
    assert RULESET.get("c.tls.secure_renegotiation").severity is Severity.MEDIUM
    assert evaluate_policy(report, policy("min_severity: medium\n"), today=TODAY).outcome == "fail"
    outcome = evaluate_policy(report, policy("min_severity: high\n"), today=TODAY)
    assert outcome.outcome == "pass"
    assert decisions(outcome)["c.tls.secure_renegotiation"] == ("ignored", "below_min_severity")
    critical = make_report(["c.tls.secure_renegotiation", "c.cert.trusted"])
    assert evaluate_policy(critical, policy("min_severity: critical\n"), today=TODAY).outcome == "fail"


def test_warnings_fail_only_when_the_policy_says_so() -> None:
    report = make_report(["c.tls.tls13"])
    assert statuses(report) == {"c.tls.tls13": "warn"}
    ignored = evaluate_policy(report, DEFAULT_POLICY, today=TODAY)
    assert ignored.outcome == "pass" and decisions(ignored)["c.tls.tls13"] == ("ignored", "warning")
    counted = evaluate_policy(report, policy("warnings: fail\n"), today=TODAY)
    assert counted.outcome == "fail" and decisions(counted)["c.tls.tls13"] == ("blocking", "warn")
    # ...and the severity threshold still applies to them (tls13 is low).
    assert evaluate_policy(report, policy("warnings: fail\nmin_severity: medium\n"), today=TODAY).outcome == "pass"


@pytest.mark.parametrize(("setting", "expected"), [("incomplete", "error"), ("fail", "fail"), ("ignore", "pass")])
def test_errors_count_as_the_policy_says(setting: str, expected: str) -> None:
    report = make_report(error=["c.tls.heartbleed"])
    outcome = evaluate_policy(report, policy(f"errors: {setting}\n"), today=TODAY)
    assert outcome.outcome == expected
    blocking = outcome.of("blocking")
    assert [d.counts_as for d in blocking] == ([] if setting == "ignore" else [setting])


def _manual_report() -> dict[str, Any]:
    """Criterion a awaiting the owner's declaration (an on_missing: manual rule whose input was skipped)."""
    declared = Rule(id="a.declaration.level", criterion="a", severity=Severity.HIGH, on_missing="manual",
                    check=Condition(clauses=(Clause("declaration.security_level", "ge", 1),)),
                    references=("Decree 85/2016/ND-CP",))
    rules = Ruleset((*RULESET.rules, declared), RULESET.digest)
    base = make_report()
    evidence = {name: Attempt.completed(name, a["data"]) for name, a in base["evidence"].items()}
    evidence["declaration"] = Attempt.skipped("declaration", "no declaration given")
    verdicts = evaluate(rules, evidence)
    outcome = AuditOutcome(parse_target("x.test"), ("127.0.0.10",), dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                           dt.datetime(2026, 1, 1, tzinfo=dt.UTC), evidence, tuple(verdicts), roll_up(rules, verdicts))
    return build_report(outcome, rules, load_catalog("en"))


@pytest.mark.parametrize(("setting", "expected"), [("ignore", "pass"), ("fail", "fail"), ("incomplete", "error")])
def test_manual_criteria_count_as_the_policy_says(setting: str, expected: str) -> None:
    report = _manual_report()
    assert report["criteria"]["a"]["status"] == "manual"
    outcome = evaluate_policy(report, policy(f"manual: {setting}\n"), today=TODAY)
    assert outcome.outcome == expected
    assert decisions(outcome)[None] == ("ignored" if setting == "ignore" else "blocking", "manual")


def test_only_required_criteria_count() -> None:
    report = make_report(["e.securitytxt.present"])
    outcome = evaluate_policy(report, policy("criteria: [c]\n"), today=TODAY)
    assert outcome.outcome == "pass"
    assert decisions(outcome)["e.securitytxt.present"] == ("ignored", "criterion_not_required")
    assert evaluate_policy(report, policy("criteria: [c, e]\n"), today=TODAY).outcome == "fail"


def test_requiring_a_criterion_this_version_does_not_check_is_never_a_pass() -> None:
    report = make_report()
    assert report["criteria"]["b"]["status"] == "not_checked"
    outcome = evaluate_policy(report, policy("criteria: [b, c]\nerrors: ignore\n"), today=TODAY)
    assert outcome.outcome == "error"
    assert decisions(outcome)[None] == ("blocking", "not_checked")


# --- baseline ----------------------------------------------------------------------------------

def test_with_a_baseline_only_new_failures_block() -> None:
    old = make_report(["c.cert.trusted"])
    same = make_report(["c.cert.trusted"])
    worse = make_report(["c.cert.trusted", "c.cert.hostname"])
    assert evaluate_policy(same, DEFAULT_POLICY, today=TODAY).outcome == "fail"
    known = evaluate_policy(same, DEFAULT_POLICY, today=TODAY, baseline=old)
    assert known.outcome == "pass" and decisions(known)["c.cert.trusted"] == ("ignored", "in_baseline")
    new = evaluate_policy(worse, DEFAULT_POLICY, today=TODAY, baseline=old)
    assert new.outcome == "fail"
    assert decisions(new) == {"c.cert.trusted": ("ignored", "in_baseline"), "c.cert.hostname": ("blocking", "fail")}
    assert new.to_json()["baseline"] == {"target": "cong.trustscan.test", "started_at": old["started_at"]}


def test_a_warning_that_became_a_failure_is_new() -> None:
    old = make_report(overlay={"tls": {"suites_without_forward_secrecy": [{"protocol": "TLS 1.2", "suite": "X"}]}})
    assert statuses(old) == {"c.tls.forward_secrecy": "warn"}
    new = make_report(["c.tls.no_weak_ciphers"])
    assert evaluate_policy(new, DEFAULT_POLICY, today=TODAY, baseline=old).outcome == "fail"


def test_a_baseline_does_not_excuse_errors() -> None:
    old = make_report(error=["c.tls.heartbleed"])
    new = make_report(error=["c.tls.heartbleed"])
    assert evaluate_policy(new, DEFAULT_POLICY, today=TODAY, baseline=old).outcome == "error"


# --- the report records the outcome --------------------------------------------------------------

def test_the_policy_outcome_is_recorded_in_a_schema_valid_report() -> None:
    report = make_report(["c.cert.trusted", "c.tls.secure_renegotiation"], ["e.securitytxt.contact"])
    text = WAIVER.replace("2026-11-20", "2026-12-31") + "min_severity: high\nerrors: fail\n"
    outcome = evaluate_policy(report, policy(text), today=TODAY, baseline=make_report())
    recorded = with_policy(report, outcome)
    jsonschema.validate(recorded, report_schema(), format_checker=jsonschema.FormatChecker())
    assert list(recorded).index("policy") == list(recorded).index("overall") + 1
    assert recorded["policy"]["outcome"] == outcome.outcome == "fail"  # errors: fail
    assert recorded["policy"]["source"] == "policy.yaml"
    waived = [d for d in recorded["policy"]["decisions"] if d["decision"] == "waived"]
    assert waived == [{"criterion": "c", "rule_id": "c.cert.trusted", "status": "fail", "severity": "critical",
                       "decision": "waived", "counts_as": None, "reason": "waived",
                       "waiver": {"rule_id": "c.cert.trusted", "reason": "internal CA until migration",
                                  "expires": "2026-12-31"}}]
    assert "policy" not in report  # the input report is left as it was
