"""`trustscan diff` and the report comparison behind it (and behind `audit --baseline`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.ci_reports import make_report
from trustscan.cli.main import main
from trustscan.core.errors import ReportFileError
from trustscan.report.diff import (
    FIXED,
    IMPROVED,
    RECOVERED,
    REGRESSED,
    REMOVED,
    UNVERIFIABLE,
    classify,
    diff_reports,
)
from trustscan.report.document import dumps
from trustscan.report.schema import read_report


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("pass", "fail", REGRESSED), ("pass", "warn", REGRESSED), ("skip", "fail", REGRESSED),
        ("warn", "fail", REGRESSED), ("error", "fail", REGRESSED), (None, "fail", REGRESSED),
        ("fail", "pass", FIXED), ("warn", "pass", FIXED), ("fail", "skip", FIXED),
        ("fail", "warn", IMPROVED),
        ("pass", "error", UNVERIFIABLE), ("fail", "error", UNVERIFIABLE),
        ("error", "pass", RECOVERED),
        ("fail", None, REMOVED),
        ("pass", "pass", None), ("fail", "fail", None), ("pass", "skip", None), ("error", "error", None),
    ],
)
def test_classify(old: str | None, new: str | None, expected: str | None) -> None:
    assert classify(old, new) == expected


def test_diff_lists_regressions_and_fixes_per_rule_and_criterion() -> None:
    old = make_report(["c.cert.trusted", "e.securitytxt.expires"])
    new = make_report(["c.cert.hostname", "e.securitytxt.expires"], ["c.tls.heartbleed"])
    diff = diff_reports(old, new)
    assert {(c.rule_id, c.old, c.new, c.change) for c in diff.rules} == {
        ("c.cert.trusted", "fail", "pass", FIXED),
        ("c.cert.hostname", "pass", "fail", REGRESSED),
        ("c.tls.heartbleed", "pass", "error", UNVERIFIABLE),
    }
    assert [c.rule_id for c in diff.regressions] == ["c.cert.hostname"]
    assert diff.criteria == ()  # c failed before and after; e failed before and after
    assert diff.unchanged == len(new["verdicts"]) - 3
    fixed = diff_reports(new, make_report())
    assert {(c.criterion, c.old, c.new, c.change) for c in fixed.criteria} == {
        ("c", "fail", "pass", FIXED), ("e", "fail", "pass", FIXED)}


def test_diff_json_is_complete() -> None:
    diff = diff_reports(make_report(), make_report(["c.cert.trusted"]))
    data = diff.to_json()
    assert data["summary"]["regressed"] == 1 and data["summary"]["fixed"] == 0
    assert data["rules"] == [{"rule_id": "c.cert.trusted", "title": "Certificate chains to a trusted root",
                              "criterion": "c", "old": "pass", "new": "fail", "change": "regressed"}]
    assert data["criteria"] == [{"criterion": "c", "old": "pass", "new": "fail", "change": "regressed"}]
    assert data["old"]["target"] == data["new"]["target"] == "cong.trustscan.test"


def write(path: Path, report: dict[str, Any]) -> Path:
    path.write_text(dumps(report), encoding="utf-8")
    return path


def test_read_report_refuses_what_is_not_a_report(tmp_path: Path) -> None:
    with pytest.raises(ReportFileError, match="cannot read report"):
        read_report(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ReportFileError, match="not JSON"):
        read_report(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"name": "something else"}')
    with pytest.raises(ReportFileError, match="not a trustscan report"):
        read_report(tmp_path / "other.json")
    broken = make_report()
    broken["verdicts"][0]["status"] = "maybe"
    with pytest.raises(ReportFileError, match=r"verdicts/0/status"):
        read_report(write(tmp_path / "broken.json", broken))
    assert read_report(write(tmp_path / "ok.json", make_report()))["overall"] == "pass"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_diff_command_console_and_exit_codes(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", make_report(["c.cert.trusted"]))
    new = write(tmp_path / "new.json", make_report(["c.cert.hostname"]))
    worse = run("diff", str(old), str(new), "--lang", "en")
    assert worse.exit_code == 1
    assert "Regressed (1)" in worse.output and "c.cert.hostname" in worse.output
    assert "Fixed (1)" in worse.output and "c.cert.trusted" in worse.output
    better = run("diff", str(new), str(write(tmp_path / "good.json", make_report())), "--lang", "vi")
    assert better.exit_code == 0 and "Đã khắc phục (1)" in better.output
    assert "[c] Encryption and a trusted certificate" not in better.output  # vi wording
    same = run("diff", str(old), str(old), "--lang", "en")
    assert same.exit_code == 0 and "No changes." in same.output


def test_diff_command_json(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", make_report())
    new = write(tmp_path / "new.json", make_report(["c.tls.tls13"]))
    result = run("diff", str(old), str(new), "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output)["rules"][0]["change"] == "regressed"


def test_diff_command_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.json").write_text("[]")
    result = CliRunner().invoke(main, ["diff", str(tmp_path / "x.json"), str(tmp_path / "x.json")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trustscan: error: ") and "not a trustscan report" in lines[0]
