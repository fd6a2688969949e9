"""SARIF, JUnit XML and Markdown rendered from reports built by the real engine.

SARIF is validated against the official OASIS SARIF 2.1.0 schema (kept in the repo, in
tests/data/, so a clean clone runs this test), JUnit is read back with junitparser, Markdown is
rendered with markdown-it-py to prove that text from a hostile site cannot add HTML, links, table cells or mentions.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped
from markdown_it import MarkdownIt

import trustscan
from tests.support.ci_reports import RULESET, make_report
from trustscan.ci.gate import evaluate_policy, with_policy
from trustscan.ci.policy import DEFAULT_POLICY, parse_policy
from trustscan.core.catalog import load_catalog
from trustscan.render.formats import FORMATS, junit, markdown, render, sarif
from trustscan.report.localise import localise_verdict

SARIF_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
TODAY = dt.date(2026, 11, 20)
HOSTILE = ("<script>alert(1)</script> | @everyone [click](javascript:alert(1)) ![x](http://evil.test/x.png) "
           "**bold** `code` \x1b[31m\x00 <img src=x onerror=alert(2)> #42 https://evil.test/")


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    if not SARIF_SCHEMA_PATH.is_file():
        pytest.fail(f"official SARIF schema missing at {SARIF_SCHEMA_PATH}", pytrace=False)
    schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def gated(report: dict[str, Any], text: str | None = None, baseline: dict[str, Any] | None = None) -> dict[str, Any]:
    policy = parse_policy(text, "policy.yaml") if text else DEFAULT_POLICY
    return with_policy(report, evaluate_policy(report, policy, today=TODAY, baseline=baseline))


def mixed_report() -> dict[str, Any]:
    """Failures (critical and medium), a warning and an unreachable security.txt."""
    return make_report(["c.cert.trusted", "c.tls.secure_renegotiation", "c.tls.tls13"], ["e.securitytxt.present"])


def test_every_ci_format_is_registered() -> None:
    assert {"sarif", "junit", "markdown"} <= set(FORMATS)


# --- SARIF ---------------------------------------------------------------------------------------

def test_sarif_validates_and_has_one_result_per_failed_or_warned_rule(sarif_validator: Any) -> None:
    report = gated(mixed_report())
    log = json.loads(render("sarif", report, load_catalog("en")))
    sarif_validator.validate(log)
    run = log["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"c.cert.trusted", "c.tls.secure_renegotiation", "c.tls.tls13"}
    assert results["c.cert.trusted"]["level"] == "error" and results["c.tls.tls13"]["level"] == "warning"
    rules = run["tool"]["driver"]["rules"]
    for result in results.values():
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
            "https://cong.trustscan.test:8443/"
    trusted = rules[results["c.cert.trusted"]["ruleIndex"]]
    assert trusted["help"]["text"].startswith(load_catalog("en").text("c.cert.trusted.fix"))
    assert "RFC 5280 §6 (certification path validation)" in trusted["properties"]["references"]
    assert trusted["properties"]["security-severity"] == "9.5"
    # The sample's OpenSSL "unable to get local issuer certificate", said as a sentence
    evidence = results["c.cert.trusted"]["properties"]["evidence"]
    assert "the issuer of a certificate is neither among" in evidence["tls.certificate.validation_error"]
    # Rules that could not be checked are notifications, and the run says it was incomplete.
    invocation = run["invocations"][0]
    notified = {n["associatedRule"]["id"] for n in invocation["toolExecutionNotifications"]}
    assert "e.securitytxt.present" in notified and not notified & set(results)
    assert invocation["executionSuccessful"] is False


def test_sarif_names_rules_links_them_to_the_manual_and_locates_lines(sarif_validator: Any) -> None:
    """Issue 13 item 9: informationUri, rule name and helpUri (a README section), a region where a line is known."""
    report = gated(make_report(["c.cert.trusted", "e.securitytxt.conformance"]))
    log = json.loads(render("sarif", report, load_catalog("vi")))
    sarif_validator.validate(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == trustscan.__url__
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    headings = {sarif.anchor(line.lstrip("#").strip()) for line in readme.splitlines() if line.startswith("## ")}
    for rule in driver["rules"]:
        assert rule["name"] and re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"])
        assert rule["helpUri"].startswith(trustscan.__url__ + "#")
        assert rule["helpUri"].split("#", 1)[1] in headings, rule["helpUri"]  # a real section of the manual
    assert next(r for r in driver["rules"] if r["id"] == "c.cert.trusted")["name"] == "CCertTrusted"
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    located = results["e.securitytxt.conformance"]["locations"][0]["physicalLocation"]
    assert located["artifactLocation"]["uri"].endswith("/.well-known/security.txt")
    assert located["region"]["startLine"] >= 1
    assert "region" not in results["c.cert.trusted"]["locations"][0]["physicalLocation"]
    assert "Nghị định 137/2024/NĐ-CP" in next(r for r in driver["rules"] if r["id"] == "c.cert.trusted")[
        "fullDescription"]["text"]


def test_sarif_of_a_passing_site_has_no_results(sarif_validator: Any) -> None:
    log = json.loads(render("sarif", gated(make_report(lang="vi")), load_catalog("vi")))
    sarif_validator.validate(log)
    run = log["runs"][0]
    assert run["results"] == [] and run["invocations"][0]["executionSuccessful"] is True
    assert len(run["tool"]["driver"]["rules"]) == len(RULESET.rules)
    assert run["language"] == "vi"


def test_sarif_fingerprints_are_stable_across_runs_and_distinct_per_site() -> None:
    first = make_report(["c.cert.expiring_soon"])
    later = make_report(["c.cert.expiring_soon"], overlay={"tls": {"certificate": {"days_left": 3}}})
    assert first["verdicts"] != later["verdicts"]  # observed values differ...
    catalog = load_catalog("en")

    def prints(report: dict[str, Any]) -> list[dict[str, str]]:
        return [r["partialFingerprints"] for r in json.loads(sarif.render(report, catalog))["runs"][0]["results"]]

    assert prints(first) == prints(later)  # ...the identity does not
    other = make_report(["c.cert.expiring_soon"], host="khac.trustscan.test")
    assert prints(other) != prints(first)
    assert re.fullmatch(r"[0-9a-f]{32}", prints(first)[0][sarif.FINGERPRINT_KEY])


def test_sarif_marks_waived_results_as_suppressed_and_baseline_state(sarif_validator: Any) -> None:
    waiver = "waivers:\n  - {rule: c.cert.trusted, reason: internal CA, expires: 2026-12-31}\n"
    baseline = make_report(["c.tls.secure_renegotiation"])
    log = json.loads(render("sarif", gated(mixed_report(), waiver, baseline), load_catalog("en")))
    sarif_validator.validate(log)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert results["c.cert.trusted"]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "internal CA (until 2026-12-31)"}]
    assert "suppressions" not in results["c.tls.tls13"]
    assert results["c.tls.secure_renegotiation"]["baselineState"] == "unchanged"
    assert results["c.tls.tls13"]["baselineState"] == "new"


def test_sarif_stays_valid_with_hostile_evidence(sarif_validator: Any) -> None:
    report = make_report(["c.cert.trusted"], overlay={"tls": {"certificate": {"validation_error": HOSTILE}}})
    log = json.loads(render("sarif", gated(report), load_catalog("en")))
    sarif_validator.validate(log)
    evidence = log["runs"][0]["results"][0]["properties"]["evidence"]["tls.certificate.validation_error"]
    assert "\x1b" not in evidence and "\x00" not in evidence


# --- JUnit ---------------------------------------------------------------------------------------

def parse_junit(text: str, tmp_path: Path) -> JUnitXml:
    path = tmp_path / "junit.xml"
    path.write_text(text, encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def test_junit_has_one_case_per_rule_and_failures_carry_message_and_evidence(tmp_path: Path) -> None:
    report = gated(mixed_report())
    xml = parse_junit(render("junit", report, load_catalog("en")), tmp_path)
    suites = list(xml)
    cases = {case.name.split(":", 1)[0]: case for suite in suites for case in suite}
    rule_ids = {v["rule_id"] for v in report["verdicts"]}
    not_checked = {f"criterion {c['label']}" for c in report["criteria"].values() if c["status"] == "not_checked"}
    assert set(cases) == rule_ids | not_checked
    assert len(suites) == 6  # one per criterion, in legal order
    failure = cases["c.cert.trusted"].result[0]
    assert isinstance(failure, Failure)
    trusted = next(v for v in report["verdicts"] if v["rule_id"] == "c.cert.trusted")
    assert failure.message == localise_verdict(trusted, load_catalog("en"))["message"]  # its error said as a sentence
    assert "Why validation failed = the issuer of a certificate is neither among" in failure.text  # a label
    assert "Fix:" in failure.text and failure.type == "fail:critical"
    assert isinstance(cases["e.securitytxt.present"].result[0], Error)
    assert cases["c.tls.tls13"].is_passed and "WARN" in (cases["c.tls.tls13"].system_out or "")
    assert cases["c.cert.hostname"].is_passed
    assert all(isinstance(cases[name].result[0], Skipped) for name in not_checked)
    c_suite = next(s for s in suites if "[c]" in s.name)
    assert (c_suite.tests, c_suite.failures, c_suite.errors) == (
        len(RULESET.for_criterion("c")), 2, 0)
    assert int(xml.tests) == len(rule_ids) + len(not_checked)


@pytest.fixture(scope="module")
def junit_schemas() -> dict[str, xmlschema.XMLSchema]:
    folder = Path(__file__).resolve().parents[1] / "data" / "junit"
    return {"jenkins": xmlschema.XMLSchema(folder / "jenkins-junit-10.xsd"),
            "surefire": xmlschema.XMLSchema(folder / "surefire-test-report.xsd")}


@pytest.mark.parametrize("policy", [None, "warnings: fail\nwaivers:\n  - {rule: c.cert.trusted, reason: CA, "
                                          "expires: 2026-12-31}\n"])
def test_junit_validates_against_jenkins_and_surefire_schemas(junit_schemas: dict[str, Any],
                                                               policy: str | None) -> None:
    """Issue 13 item 9: Jenkins' JUnit XSD for the document, Surefire's for each suite; no zero times."""
    report = gated(mixed_report(), policy)
    for probe, attempt in report["evidence"].items():
        attempt["duration"] = 0.25 if probe == "tls" else 0.0
    text = render("junit", report, load_catalog("en"))
    junit_schemas["jenkins"].validate(text)
    root = ET.fromstring(text)
    for suite in root:
        junit_schemas["surefire"].validate(ET.tostring(suite, encoding="unicode"))
    times = [float(case.get("time", "")) for case in root.iter("testcase")]
    assert times and min(times) >= 0.001  # never 0, which report generators divide by
    trusted = next(case for case in root.iter("testcase") if case.get("name", "").startswith("c.cert.trusted"))
    assert trusted.get("time") == "0.250"  # the tls probe's real run
    assert root.get("skipped") is None and all(s.get("timestamp") is None for s in root)


def test_junit_warnings_fail_and_waivers_skip_as_the_policy_says(tmp_path: Path) -> None:
    text = "warnings: fail\nwaivers:\n  - {rule: c.cert.trusted, reason: internal CA, expires: 2026-12-31}\n"
    xml = parse_junit(render("junit", gated(mixed_report(), text), load_catalog("vi")), tmp_path)
    cases = {case.name.split(":", 1)[0]: case for suite in xml for case in suite}
    assert isinstance(cases["c.tls.tls13"].result[0], Failure)
    waived = cases["c.cert.trusted"].result[0]
    assert isinstance(waived, Skipped) and "internal CA" in waived.message and "2026-12-31" in waived.message


def test_junit_stays_well_formed_with_hostile_evidence(tmp_path: Path) -> None:
    report = make_report(["c.cert.trusted"], overlay={"tls": {"certificate": {"validation_error": HOSTILE}}})
    text = junit.render(gated(report), load_catalog("en"))
    xml = parse_junit(text, tmp_path)  # raises if control characters or markup broke the XML
    failure = next(case for suite in xml for case in suite if case.name.startswith("c.cert.trusted")).result[0]
    assert "<script>alert(1)</script>" in failure.message  # kept as text, escaped by the XML writer
    assert "<script>" not in text


# --- Markdown ------------------------------------------------------------------------------------

def to_html(text: str) -> str:
    # html=True: if the renderer let raw HTML through, it would show up here.
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").render(text)


def test_markdown_summary_lists_criteria_findings_and_policy() -> None:
    waiver = "waivers:\n  - {rule: c.cert.trusted, reason: internal CA, expires: 2026-11-19}\n"
    text = render("markdown", gated(mixed_report(), waiver), load_catalog("en"))
    html = to_html(text)
    assert html.count("<tr>") == 7  # header + six criteria
    assert "Encryption and a trusted certificate" in html
    assert "Certificate chains to a trusted root" in html and "Fix:" in html
    assert "expired on 2026-11-19" in html  # the expired waiver says so
    assert "blocks the build" in html
    assert text.startswith("## ❌")
    # A fix's code spans stay code (issue 13 item 9), e.g. `openssl s_client -showcerts`.
    assert "check it with <code>openssl s_client -showcerts</code>." in html and "\\`" not in text


def test_markdown_escapes_hostile_site_text() -> None:
    report = make_report(["c.cert.trusted"], overlay={"tls": {"certificate": {"validation_error": HOSTILE}}},
                         host="bộ-công-an.trustscan.test")
    text = render("markdown", gated(report), load_catalog("en"))
    html = to_html(text)
    for forbidden in ("<script", "<img", "<a ", "<strong>bold", "<code>code", "\x1b", "\x00"):
        assert forbidden not in html, forbidden
    assert "@everyone" not in html  # a zero-width space defuses the mention
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)]
    assert all(row.count("<td>") in (0, 4) for row in rows)


@pytest.mark.parametrize("value", [HOSTILE, "a|b", "line\nbreak", "x" * 5000, "[a](b)", "- item", "# h"])
def test_markdown_escape_is_one_inert_line(value: str) -> None:
    escaped = markdown.escape(value)
    assert "\n" not in escaped and len(escaped) < 3 * markdown.MAX_FIELD_CHARS
    html = to_html(escaped)
    assert html.startswith("<p>") and html.count("<") == 2  # one paragraph, nothing else


def test_a_mention_and_an_issue_reference_each_get_one_zero_width_space() -> None:
    """"@" and "#" are defused once each: the "#" of the first one's entity is not escaped again."""
    assert markdown.escape("Cookiebot @ https://a.test/#top") == "Cookiebot @&#8203; https\\://a\\.test/#&#8203;top"
    assert to_html(markdown.escape("x @ y")) == "<p>x @\u200b y</p>\n"


def test_markdown_stays_under_the_comment_limit() -> None:
    report = make_report(["c.cert.trusted"])
    report["verdicts"] = [{**report["verdicts"][0], "rule_id": f"c.cert.r{i}", "message": "m" * 300}
                          for i in range(1000)]
    text = render("markdown", report, load_catalog("en"), verbose=True)
    assert len(text) <= markdown.MAX_CHARS + 500
    assert "more findings" in text
