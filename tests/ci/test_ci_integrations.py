"""The GitHub Action (action.yml) and the GitLab CI template run the CLI as documented.

Their shell steps are executed here with a stand-in `trustscan` on PATH that records its arguments,
so the wiring (argument assembly, exit-code capture, outputs, summary) is tested without a scan, and
every option they pass is checked against the real `trustscan audit` command.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from trustscan.cli.audit import audit
from trustscan.render.outputs import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
GITLAB = yaml.safe_load((ROOT / "ci" / "trustscan.gitlab-ci.yml").read_text(encoding="utf-8"))
AUDIT_OPTIONS = {opt for param in audit.params for opt in param.opts}

FAKE = """#!/bin/sh
# Stand-in trustscan: record the arguments, write the files a real run writes, exit as told.
printf '%s\\n' "$@" > "$FAKE_LOG"
dir=""; prev=""
for arg in "$@"; do [ "$prev" = "--output-dir" ] && dir="$arg"; prev="$arg"; done
mkdir -p "$dir"
for f in {files}; do echo fake > "$dir/$f"; done
exit "$FAKE_EXIT"
"""


@pytest.fixture()
def fake_trustscan(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "trustscan"
    script.write_text(FAKE.replace("{files}", " ".join(OUTPUT_FILES.values())))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_LOG": str(tmp_path / "argv")}


def step(name: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def options_used(script: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", script))


def test_action_is_a_composite_action_that_uploads_sarif_and_artifacts() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["inputs"]["target"]["required"] is True
    uses = [s.get("uses", "") for s in ACTION["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    # Inputs reach scripts only through env, never spliced into the script text (script injection).
    for s in ACTION["runs"]["steps"]:
        assert "${{ inputs." not in s.get("run", "")


def test_ci_files_use_only_real_audit_options() -> None:
    used = options_used(step("Audit")["run"]) | options_used("\n".join(GITLAB[".trustscan"]["script"]))
    used -= {"--disable-pip-version-check", "--quiet"}  # pip's, not trustscan's
    assert used and used <= AUDIT_OPTIONS, used - AUDIT_OPTIONS


def test_ci_files_name_the_files_trustscan_writes() -> None:
    text = (ROOT / "action.yml").read_text() + (ROOT / "ci" / "trustscan.gitlab-ci.yml").read_text()
    for name in re.findall(r"(trustscan[-.\w]*\.(?:sarif|xml|json|md))", text):
        assert name in OUTPUT_FILES.values(), name
    assert GITLAB[".trustscan"]["artifacts"]["reports"]["junit"].endswith(OUTPUT_FILES["junit"])
    assert GITLAB[".trustscan"]["artifacts"]["when"] == "always"


def run_action_audit(env: dict[str, str], tmp_path: Path, exit_code: int, **inputs: str) -> tuple[Any, str, str]:
    outputs, summary = tmp_path / "github_output", tmp_path / "summary.md"
    variables = {"TRUSTSCAN_TARGET": "dichvucong.example.gov.vn", "TRUSTSCAN_POLICY": "", "TRUSTSCAN_BASELINE": "",
                 "TRUSTSCAN_OUTPUT_DIR": str(tmp_path / "out"), "TRUSTSCAN_FORMATS": "json,sarif,junit,markdown",
                 "TRUSTSCAN_LANG": "vi", "TRUSTSCAN_ARGS": "", **inputs}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step("Audit")["run"]],
                            env={**env, **variables, "FAKE_EXIT": str(exit_code), "GITHUB_OUTPUT": str(outputs),
                                 "GITHUB_STEP_SUMMARY": str(summary)},
                            capture_output=True, text=True, timeout=30, cwd=tmp_path)
    return result, outputs.read_text(), Path(env["FAKE_LOG"]).read_text()


def test_action_audit_step_records_the_exit_code_and_never_fails_itself(
        fake_trustscan: dict[str, str], tmp_path: Path) -> None:
    result, outputs, argv = run_action_audit(fake_trustscan, tmp_path, 1, TRUSTSCAN_POLICY="ci/policy.yaml",
                                             TRUSTSCAN_ARGS="--timeout 60 --http-port 8080")
    assert result.returncode == 0, result.stderr  # the uploads after it must still run
    assert "exit-code=1" in outputs.splitlines()
    assert f"sarif={tmp_path / 'out' / OUTPUT_FILES['sarif']}" in outputs.splitlines()
    assert argv.splitlines() == ["audit", "dichvucong.example.gov.vn", "--output-dir", str(tmp_path / "out"),
                                 "--emit", "json,sarif,junit,markdown", "--lang", "vi", "--policy", "ci/policy.yaml",
                                 "--timeout", "60", "--http-port", "8080"]
    assert (tmp_path / "summary.md").read_text() == "fake\n"


def test_action_input_cannot_inject_shell(fake_trustscan: dict[str, str], tmp_path: Path) -> None:
    hostile = "x.gov.vn; touch pwned $(touch pwned2) `touch pwned3`"
    result, _, argv = run_action_audit(fake_trustscan, tmp_path, 0, TRUSTSCAN_TARGET=hostile)
    assert result.returncode == 0
    assert argv.splitlines()[1] == hostile
    assert not list(tmp_path.glob("pwned*"))


@pytest.mark.parametrize(("code", "expected"), [("0", 0), ("1", 1), ("3", 3), ("2", 2)])
def test_action_gate_step_passes_the_exit_code_on(code: str, expected: int) -> None:
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", step("Gate on the policy")["run"]],
                            env={**os.environ, "TRUSTSCAN_EXIT": code}, capture_output=True, text=True, timeout=30)
    assert result.returncode == expected


@pytest.mark.parametrize("code", [0, 1, 3])
def test_gitlab_script_runs_the_cli_and_keeps_its_exit_code(fake_trustscan: dict[str, str], tmp_path: Path,
                                                            code: int) -> None:
    job = GITLAB[".trustscan"]
    variables = {**job["variables"], "TRUSTSCAN_TARGET": "dichvucong.example.gov.vn",
                 "TRUSTSCAN_BASELINE": "old.json", "TRUSTSCAN_ARGS": "--timeout 60"}
    audit_lines = [line for line in job["script"] if "pip install" not in line]
    # GitLab runs each script entry in one sh session and stops at the first failing one.
    script = "set -e\n" + "\n".join(audit_lines)
    result = subprocess.run(["sh", "-c", script], env={**fake_trustscan, **variables, "FAKE_EXIT": str(code)},
                            capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    argv = Path(fake_trustscan["FAKE_LOG"]).read_text().splitlines()
    assert argv == shlex.split("audit dichvucong.example.gov.vn --output-dir trustscan-results "
                               "--emit json,sarif,junit,markdown --lang vi --baseline old.json --timeout 60")
    assert (tmp_path / "trustscan-results" / OUTPUT_FILES["junit"]).exists()


def test_gitlab_template_refuses_a_missing_target(fake_trustscan: dict[str, str], tmp_path: Path) -> None:
    job = GITLAB[".trustscan"]
    result = subprocess.run(["sh", "-c", "set -e\n" + job["script"][0]], env={**fake_trustscan, **job["variables"]},
                            capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 2 and "TRUSTSCAN_TARGET" in result.stdout
