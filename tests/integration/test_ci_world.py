"""CI gating end to end: real audits of the world's `good` and `legacy` sites through the CLI,
every CI format written side by side with --output-dir, a policy with waivers, then a baseline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped
from markdown_it import MarkdownIt

from tests.world import World
from trustscan.render.outputs import OUTPUT_FILES
from trustscan.report.schema import report_schema

SARIF_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
ALL_FORMATS = "json,sarif,junit,markdown,console"


def trustscan(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    return subprocess.run([sys.executable, "-m", "trustscan", *args], capture_output=True, text=True,
                          timeout=120, env=env, stdin=subprocess.DEVNULL)


def world_args(world: World) -> list[str]:
    return ["--resolver", f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle),
            "--http-port", str(world.http_port), "--allow-private", "--lang", "en"]


def check_outputs(folder: Path) -> tuple[dict, dict, JUnitXml, str]:  # type: ignore[type-arg]
    """Every format is there and well-formed; returns the report, SARIF log, JUnit and Markdown."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(OUTPUT_FILES[name] for name in ALL_FORMATS.split(","))
    report = json.loads((folder / OUTPUT_FILES["json"]).read_text(encoding="utf-8"))
    jsonschema.validate(report, report_schema(), format_checker=jsonschema.FormatChecker())
    log = json.loads((folder / OUTPUT_FILES["sarif"]).read_text(encoding="utf-8"))
    schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)
    junit = JUnitXml.fromfile(str(folder / OUTPUT_FILES["junit"]))
    markdown = (folder / OUTPUT_FILES["markdown"]).read_text(encoding="utf-8")
    MarkdownIt("commonmark").enable("table").render(markdown)
    assert "\x1b[" not in (folder / OUTPUT_FILES["console"]).read_text(encoding="utf-8")
    return report, log, junit, markdown


def junit_cases(junit: JUnitXml) -> dict[str, object]:
    return {case.name.split(":", 1)[0]: case for suite in junit for case in suite}


def ce_policy(folder: Path, waivers: str = "") -> Path:
    """Criteria c and e only: the world configures no blocklist snapshot, so d and đ cannot be checked."""
    path = folder / "policy.yaml"
    path.write_text(f"version: 1\ncriteria: [c, e]\n{waivers}", encoding="utf-8")
    return path


def test_good_site_passes_and_every_format_says_so(world: World, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = trustscan("audit", world.site("good").target, *world_args(world), "--policy", str(ce_policy(tmp_path)),
                       "--output-dir", str(out), "--emit", ALL_FORMATS)
    assert result.returncode == 0, result.stdout + result.stderr
    report, log, junit, markdown = check_outputs(out)
    assert report["policy"]["outcome"] == "pass" and report["policy"]["settings"]["criteria"] == ["c", "e"]
    assert {report["criteria"][c]["status"] for c in ("c", "e")} == {"pass"}
    assert not [r for r in log["runs"][0]["results"] if r["properties"]["criterion"] in ("c", "e")]
    cases = junit_cases(junit)
    assert not any(isinstance(r, Failure) for name, case in cases.items() if name[0] in "ce"
                   for r in case.result)  # type: ignore[attr-defined]
    assert markdown.startswith("## ✅")
    assert str(out / OUTPUT_FILES["sarif"]) in result.stdout  # the console says where files went


def test_legacy_site_with_waivers_then_with_a_baseline(world: World, tmp_path: Path) -> None:
    policy = ce_policy(tmp_path, "waivers:\n"
                       "  - {rule: c.cert.trusted, reason: internal CA until the migration, expires: 2999-12-31}\n"
                       "  - {rule: c.cert.key_size, reason: old appliance, expires: 2020-01-31}\n")
    first = tmp_path / "first"
    result = trustscan("audit", world.site("legacy").target, *world_args(world), "--policy", str(policy),
                       "--output-dir", str(first), "--emit", "json,sarif", "--emit", "junit,markdown,console")
    assert result.returncode == 1, result.stderr
    assert "Waiver for c.cert.key_size expired on 2020-01-31" in result.stdout
    report, log, junit, markdown = check_outputs(first)
    decisions = {d["rule_id"]: (d["decision"], d["reason"]) for d in report["policy"]["decisions"]}
    assert decisions["c.cert.trusted"] == ("waived", "waived")
    assert decisions["c.cert.key_size"] == ("blocking", "waiver_expired")
    assert decisions["c.tls.no_legacy_protocols"] == ("blocking", "fail")
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert {"c.cert.trusted", "c.cert.key_size", "c.tls.no_legacy_protocols", "c.tls.tls13"} <= set(results)
    assert results["c.cert.trusted"]["suppressions"][0]["justification"].startswith("internal CA")
    assert "suppressions" not in results["c.cert.key_size"]
    cases = junit_cases(junit)
    assert isinstance(cases["c.cert.trusted"].result[0], Skipped)  # type: ignore[attr-defined]
    failure = cases["c.cert.key_size"].result[0]  # type: ignore[attr-defined]
    assert isinstance(failure, Failure) and "Key size (bits) = 1024" in failure.text  # labelled evidence
    assert "expired on 2020\\-01\\-31" in markdown

    # The same site against its own report as baseline: nothing is new, so the build passes.
    second = tmp_path / "second"
    rerun = trustscan("audit", world.site("legacy").target, *world_args(world), "--policy", str(ce_policy(tmp_path)),
                      "--baseline", str(first / OUTPUT_FILES["json"]), "--output-dir", str(second), "--emit", "json")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    again = json.loads((second / OUTPUT_FILES["json"]).read_text(encoding="utf-8"))
    assert again["overall"] == "fail"  # the site still fails; only the gate passes
    assert {d["reason"] for d in again["policy"]["decisions"] if d["status"] == "fail" and d["criterion"] in "ce"} \
        == {"in_baseline"}

    diff = trustscan("diff", str(first / OUTPUT_FILES["json"]), str(second / OUTPUT_FILES["json"]), "--format", "json")
    assert diff.returncode == 0 and json.loads(diff.stdout)["summary"]["regressed"] == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--emit", "sarif"], "--emit needs --output-dir"),
        (["--output-dir", "out", "--emit", "pdf"], "unknown format 'pdf' for --emit"),
        (["--policy", "/nonexistent/policy.yaml"], "cannot read policy"),
        (["--baseline", "/nonexistent/old.json"], "cannot read report"),
    ],
)
def test_ci_options_are_checked_before_any_scan(args: list[str], needle: str) -> None:
    # A loopback target without --allow-private is refused before any connection with a different
    # message, so seeing *this* message proves the CI options were checked first (and nothing was sent).
    result = trustscan("audit", "127.0.0.1:9", *args)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trustscan: error: ") and needle in lines[0]
    assert "Traceback" not in result.stderr


def test_an_invalid_policy_is_one_line_naming_the_problem(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("min_severity: severe\n", encoding="utf-8")
    result = trustscan("audit", "127.0.0.1:9", "--policy", str(policy))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"trustscan: error: {policy}: min_severity: must be one of "
                                     "info, low, medium, high, critical, got 'severe'")
