"""The command line as users and CI pipelines see it: exit codes, one-line errors, outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.support.input_files import KINDS, refused_file
from tests.world import World
from trustscan.core.settings import MAX_CA_BUNDLE_BYTES
from trustscan.report.schema import report_schema


def trustscan(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    return subprocess.run([sys.executable, "-m", "trustscan", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=cwd, stdin=subprocess.DEVNULL)


def world_args(world: World) -> list[str]:
    return ["--resolver", f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle),
            "--http-port", str(world.http_port), "--allow-private", "--blocklist", str(world.blocklist)]


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trustscan: "), result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["audit", "not a host"], "invalid target"),
        (["audit", "ftp://example.vn"], "unsupported URL scheme"),
        (["audit", "example.vn:99999"], "invalid port"),
        (["audit", "example.vn", "--resolver", "dns.example"], "invalid resolver"),
        (["audit", "example.vn", "--ca-bundle", "/nonexistent/ca.pem"], "does not exist"),
        (["audit", "example.vn", "--timeout", "0"], "timeout"),
        (["audit"], "Missing argument"),
        (["audit", "example.vn", "--format", "pdf"], "format"),
        (["frobnicate"], "No such command"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], needle: str) -> None:
    result = trustscan(*args)
    assert_one_line_error(result, 2)
    assert needle in result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_a_fifo_or_oversize_ca_bundle_is_refused_before_scanning(tmp_path: Path, kind: str) -> None:
    bundle = refused_file(kind, tmp_path / "ca.pem", MAX_CA_BUNDLE_BYTES)
    result = trustscan("audit", "example.invalid", "--ca-bundle", str(bundle), timeout=30)
    assert_one_line_error(result, 2)
    reason = "not a regular file" if kind == "fifo" else "larger than"
    assert f"cannot read CA bundle {bundle}: {reason}" in result.stderr


def test_loopback_target_is_refused_without_allow_private() -> None:
    result = trustscan("audit", "127.0.0.1:9", "--lang", "en")
    assert_one_line_error(result, 2)
    assert "non-public address 127.0.0.1, loopback (RFC 1122)" in result.stderr and "--allow-private" in result.stderr
    said = trustscan("audit", "127.0.0.1:9")  # the default language, Vietnamese, as the report would be
    assert_one_line_error(said, 2)
    assert "địa chỉ không công khai 127.0.0.1, địa chỉ vòng lặp nội bộ (RFC 1122)" in said.stderr


def test_help_documents_exit_codes() -> None:
    result = trustscan("audit", "--help")
    assert result.returncode == 0
    for line in ("0  every checked criterion passes", "1  at least one criterion fails",
                 "2  usage or input error", "3  audit incomplete"):
        assert line in result.stdout


def test_rules_lists_every_rule() -> None:
    result = trustscan("rules", "--lang", "en")
    assert result.returncode == 0
    assert "c.cert.trusted" in result.stdout and "e.securitytxt.contact" in result.stdout


def test_good_site_exits_0_and_writes_a_valid_report(world: World, tmp_path: Path) -> None:
    out = tmp_path / "good.json"
    result = trustscan("audit", world.site("good").target, *world_args(world), "--lang", "en", "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Overall: PASS" in result.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(report, report_schema())
    assert report["criteria"]["c"]["status"] == "pass" and report["language"] == "en"


def test_output_file_receives_the_format_asked_for(world: World, tmp_path: Path) -> None:
    """Issue 13 item 6: -o FILE gets --format's output (as bandit, semgrep, ruff); stdout stays quiet."""
    out = tmp_path / "result.txt"
    result = trustscan("audit", world.site("good").target, *world_args(world), "--lang", "en", "--format", "sarif",
                       "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "" and str(out) in result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"  # SARIF, whatever the extension


def test_failing_site_exits_1_with_evidence_and_fix(world: World) -> None:
    result = trustscan("audit", world.site("expired").target, *world_args(world), "--lang", "en")
    assert result.returncode == 1
    assert "Certificate expired on" in result.stdout
    assert "Fix: Renew the certificate" in result.stdout


def test_json_format_on_stdout_in_vietnamese(world: World) -> None:
    result = trustscan("audit", world.site("sectxt-missing").target, *world_args(world), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    verdict = next(v for v in report["verdicts"] if v["rule_id"] == "e.securitytxt.present")
    assert verdict["status"] == "fail" and verdict["message"].startswith("Không có security.txt")


def test_unreachable_site_exits_3(world: World) -> None:
    result = trustscan("audit", "127.0.0.61:9", "--allow-private", "--http-port", "9", "--timeout", "20")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_dns_failure_exits_3(world: World) -> None:
    result = trustscan("audit", "nowhere.trustscan.test", *world_args(world))
    assert result.returncode == 3
    assert "NXDOMAIN" in result.stdout


def test_idn_target_is_shown_in_both_forms(world: World) -> None:
    result = trustscan("audit", f"{world.idn_host}:{world.https_port}", *world_args(world), "--lang", "en")
    assert f"{world.idn_host} ({world.idn_host_ascii})" in result.stdout
    # The IDN alias serves the good site's security.txt, whose Canonical names the other host:
    # RFC 9116 §2.5.2 makes that a finding, a warning (the contact point is still usable), so e passes.
    assert result.returncode == 0, result.stdout
    assert "[c] PASS" in result.stdout and "[e] PASS" in result.stdout
    assert "[e] WARN Canonical matches where the file is served (e.securitytxt.canonical" in result.stdout


@pytest.mark.world  # the demo brings up its own local world in the subprocess
def test_demo_runs_offline_and_reports_both_sites(tmp_path: Path) -> None:
    result = trustscan("demo", "--output-dir", str(tmp_path / "out"), "--lang", "en", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    good = json.loads((tmp_path / "out" / "good.json").read_text(encoding="utf-8"))
    broken = json.loads((tmp_path / "out" / "broken.json").read_text(encoding="utf-8"))
    assert good["overall"] == "pass" and broken["overall"] == "fail"
    assert "=== demo site: broken ===" in result.stdout


def test_audit_imports_the_signing_code_only_when_it_signs() -> None:
    """`--sign-key` is an audit option, but the in-toto/DSSE code (and rfc8785) loads only with a key."""
    code = ("import sys, trustscan.cli.audit, trustscan.cli.signing; "
            "print(sorted(m for m in sys.modules if m.startswith('trustscan.publish.') or m == 'rfc8785'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "['trustscan.publish.validity']"
