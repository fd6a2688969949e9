"""Issue 13 item 5: the console says the six criteria first, wraps to the terminal, and groups shared causes."""

from __future__ import annotations

import click
import pytest

from tests.support.publish_samples import sample_report
from trustscan.core.catalog import load_catalog
from trustscan.render.formats import console
from trustscan.render.formats import render as render_format


def plain(report: dict, lang: str = "en", **options: object) -> str:  # type: ignore[type-arg]
    return click.unstyle(render_format("console", report, load_catalog(lang), **options))  # type: ignore[arg-type]


def failing_report() -> dict:  # type: ignore[type-arg]
    report = sample_report(contacts=["mailto:a@b.vn"])
    verdict = next(v for v in report["verdicts"] if v["status"] == "pass")
    verdict.update(status="fail", message_id=f"{verdict['rule_id']}.fail")
    return report


def test_the_six_criteria_come_before_any_finding() -> None:
    text = plain(failing_report())
    lines = text.splitlines()
    criteria = [n for n, line in enumerate(lines) if line.startswith(("[a] ", "[b] ", "[c] ", "[d] ", "[đ] ", "[e] "))]
    assert len(criteria) >= 6 and criteria[5] < lines.index("Failures and warnings")
    assert "Fix: " in text.split("Failures and warnings", 1)[1]


def test_lines_fit_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert console.terminal_width() == 60
    text = plain(failing_report())
    # A word longer than a line (a URL) stays whole on its own line; nothing else passes the width.
    assert [line for line in text.splitlines() if len(line) > 60 and " " in line.strip()] == []


def test_one_line_per_shared_cause_with_and_without_verbose() -> None:
    report = sample_report()  # every probe but security.txt failed with "connection refused"
    for verbose in (False, True):
        text = plain(report, verbose=verbose)
        unchecked = text.split("Could not be checked", 1)[1]
        causes = [line for line in unchecked.splitlines() if line.startswith("  ERROR")]
        assert len(causes) == len(set(causes))  # each cause once, with its rules under it
        assert len(causes) < sum(1 for v in report["verdicts"] if v["status"] == "error")


def test_criteria_left_out_with_only_are_not_requested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # one line per criterion, so each can be counted
    report = sample_report()
    report["only"] = ["e"]
    for key in ("a", "b", "c", "d", "dd"):
        report["criteria"][key].update(status="not_checked", counts=None)
    report["verdicts"] = [v for v in report["verdicts"] if v["criterion"] == "e"]
    text = plain(report)
    assert text.count("Not requested (--only).") == 5 and "Not checked by this version" not in text
    assert plain(report, "vi").count("Không được yêu cầu kiểm tra (--only).") == 5
