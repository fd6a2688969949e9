"""The policy file: what it accepts, and one-line errors naming the problem for what it refuses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from trustscan.ci import policy as policy_module
from trustscan.ci.policy import DEFAULT_POLICY, FAIL, IGNORE, INCOMPLETE, load_policy, parse_policy
from trustscan.core.errors import PolicyError
from trustscan.core.models import Severity
from trustscan.judge.ruleset import load_ruleset

KNOWN = {rule.id for rule in load_ruleset().rules}


def test_the_documented_example_is_valid() -> None:
    example = policy_module.__doc__.split("Example (YAML)::", 1)[1]  # the module docstring's example
    policy = parse_policy(example, "example.yaml", KNOWN)
    assert policy.criteria == ("c", "e")
    assert policy.min_severity is Severity.MEDIUM
    assert (policy.warnings, policy.errors, policy.manual) == (IGNORE, INCOMPLETE, IGNORE)
    assert [(w.rule_id, w.expires) for w in policy.waivers] == [("c.tls.tls13", dt.date(2026, 9, 30))]
    assert policy.waivers[0].reason.startswith("TLS 1.3 comes with")


def test_an_empty_mapping_is_the_default_policy() -> None:
    policy = parse_policy("version: 1\n", "p.yaml")
    assert (policy.criteria, policy.min_severity, policy.warnings, policy.errors, policy.manual, policy.waivers) == (
        DEFAULT_POLICY.criteria, DEFAULT_POLICY.min_severity, DEFAULT_POLICY.warnings, DEFAULT_POLICY.errors,
        DEFAULT_POLICY.manual, DEFAULT_POLICY.waivers)
    assert policy.source == "p.yaml"


def test_criterion_dd_may_be_written_with_its_vietnamese_letter() -> None:
    assert parse_policy("criteria: [đ, c, dd]\n", "p.yaml").criteria == ("dd", "c")


def test_waiver_dates_quoted_or_not_and_their_last_day() -> None:
    text = ("waivers:\n  - {rule: c.tls.tls13, reason: r, expires: 2026-09-30}\n"
            "  - {rule: c.http.hsts, reason: r, expires: '2026-10-01'}\n")
    first, second = parse_policy(text, "p.yaml", KNOWN).waivers
    assert second.expires == dt.date(2026, 10, 1)
    assert first.active_on(dt.date(2026, 9, 30)) and not first.active_on(dt.date(2026, 10, 1))


def test_settings_are_recorded_as_json() -> None:
    text = "criteria: [c]\nmin_severity: high\nwarnings: fail\nerrors: fail\nmanual: incomplete\n"
    assert parse_policy(text, "p.yaml").settings_json() == {
        "criteria": ["c"], "min_severity": "high", "warnings": FAIL, "errors": FAIL, "manual": INCOMPLETE}
    assert DEFAULT_POLICY.settings_json()["criteria"] == "all"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("- just\n- a list\n", "a policy is a YAML mapping"),
        ("criteria: [c\n", "not valid YAML"),
        ("version: 2\n", "version: only version 1"),
        ("critera: [c]\n", "unknown key 'critera'"),
        ("criteria: [c, x]\n", "unknown criterion 'x'"),
        ("criteria: []\n", "criteria: expected"),
        ("criteria: c\n", "criteria: expected"),
        ("min_severity: severe\n", "min_severity: must be one of info, low, medium, high, critical"),
        ("warnings: incomplete\n", "warnings: must be one of ignore, fail"),
        ("errors: maybe\n", "errors: must be one of incomplete, fail, ignore"),
        ("manual: yes\n", "manual: must be one of ignore, fail, incomplete"),
        ("waivers: c.tls.tls13\n", "waivers: expected a list"),
        ("waivers: [c.tls.tls13]\n", "waivers[1]: expected a mapping"),
        ("waivers:\n  - {rule: c.tls.tls13, expires: 2026-01-01}\n", "waivers[1]: reason is required"),
        ("waivers:\n  - {rule: c.tls.tls13, reason: ok}\n", "waivers[1]: expires is required"),
        ("waivers:\n  - {rule: c.tls.tls13, reason: ok, expires: soon}\n", "expected a date YYYY-MM-DD, got 'soon'"),
        ("waivers:\n  - {rule: c.tls.tls13, reason: ok, expires: 2026-01-01T10:00:00}\n", "not a date and time"),
        ("waivers:\n  - {rule: c.tls.tls14, reason: ok, expires: 2026-01-01}\n", "unknown rule id 'c.tls.tls14'"),
        ("waivers:\n  - {rule: c.tls.tls13, reason: ok, expires: 2026-01-01, owner: me}\n", "unknown key 'owner'"),
        ("waivers:\n  - {rule: c.tls.tls13, reason: a, expires: 2026-01-01}\n"
         "  - {rule: c.tls.tls13, reason: b, expires: 2026-02-01}\n", "waivers[2]: rule c.tls.tls13 is waived twice"),
    ],
)
def test_invalid_policies_are_refused_with_one_line_naming_the_problem(text: str, needle: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "ci/policy.yaml", KNOWN)
    message = str(caught.value)
    assert needle in message
    assert message.startswith("ci/policy.yaml: ") and "\n" not in message


def test_unreadable_huge_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(tmp_path / "missing.yaml")
    huge = tmp_path / "huge.yaml"
    huge.write_text("# " + "x" * policy_module.MAX_POLICY_BYTES)
    with pytest.raises(PolicyError, match="larger than"):
        load_policy(huge)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00criteria")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(binary)


def test_load_policy_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("criteria: [e]\nwaivers:\n  - {rule: e.securitytxt.canonical, reason: ' moving\n  host ', "
                    "expires: 2027-01-31}\n", encoding="utf-8")
    policy = load_policy(path, KNOWN)
    assert policy.source == str(path) and policy.criteria == ("e",)
    assert policy.waivers[0].reason == "moving host"  # reasons are kept on one line
