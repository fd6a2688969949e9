"""Integration: `trustscan monitor` as a real process over three sites of the local world, one of which
changes state between rounds (its security.txt is taken away, then put back)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_bulk_world import runs, write_portfolio
from tests.world import find_nginx
from tests.world.many import ManyWorld, running_many

TRUSTSCAN = [str(Path(sys.executable).with_name("trustscan"))]
EVERY = 6.0  # seconds between round starts: room to switch the site (and publish) between rounds


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManyWorld]:
    if find_nginx() is None:
        reason = "nginx is not installed (apt-get install nginx); the generated world needs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    with running_many(tmp_path_factory.mktemp("three"), 3) as world:
        yield world


def monitor_args(world: ManyWorld, portfolio: Path, db: Path, *extra: str) -> list[str]:
    # Criteria c and e only: the generated sites pass both, so taking security.txt away flips the verdict.
    return [*TRUSTSCAN, "monitor", str(portfolio), "--db", str(db), "--resolver", f"{world.dns_ip}:{world.dns_port}",
            "--ca-bundle", str(world.ca_bundle), "--http-port", str(world.http_port), "--allow-private",
            "--only", "c,e", "--timeout", "30", "--lang", "en", *extra]


def wait_for_complete_runs(db: Path, proc: subprocess.Popen[str], count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                if sum(1 for _, status, _ in runs(db) if status == "complete") >= count:
                    return
            except Exception:  # noqa: BLE001 - the schema may not exist yet
                pass
        assert proc.poll() is None or count <= len(runs(db)), "monitor ended early"
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} complete rounds after {timeout}s")


def portfolio_json(db: Path, run: int | None = None) -> dict[str, object]:
    args = [*TRUSTSCAN, "portfolio", str(db), "--format", "json"] + (["--run", str(run)] if run else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_three_rounds_follow_a_site_that_changes_between_rounds(three: ManyWorld, tmp_path: Path) -> None:
    portfolio = write_portfolio(tmp_path / "p.txt", three.targets())
    db = tmp_path / "r.db"
    changing = three.hosts[1]
    proc = subprocess.Popen(monitor_args(three, portfolio, db, "--every", f"{EVERY:g}s", "--rounds", "3"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_complete_runs(db, proc, 1)
        three.switch_security_txt(changing, present=False)
        wait_for_complete_runs(db, proc, 2)
        three.switch_security_txt(changing, present=True)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        three.switch_security_txt(changing, present=True)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr  # the last round: every site passes c and e again
    assert runs(db) == [(1, "complete", 3), (2, "complete", 3), (3, "complete", 3)]
    assert stdout.count("Round ") == 3 and stdout.count("Next round at") == 2, stdout
    assert "Round 2 of 3 (run 2): 3 of 3 sites audited — 2 pass, 1 fail" in stdout

    rounds = {run: {s["host"]: s for s in portfolio_json(db, run)["sites"]} for run in (1, 2, 3)}  # type: ignore[index]
    assert [rounds[run][changing]["overall"] for run in (1, 2, 3)] == ["pass", "fail", "pass"]
    assert rounds[2][changing]["criteria"]["e"] == "fail" and rounds[2][changing]["criteria"]["c"] == "pass"
    steady = three.hosts[0]
    assert [rounds[run][steady]["overall"] for run in (1, 2, 3)] == ["pass"] * 3
    latest = portfolio_json(db)
    changes = {c["host"]: (c["before"], c["after"]) for c in latest["changes"]["overall"]}  # type: ignore[index]
    assert changes == {changing: ("fail", "pass")}
    assert rounds[3][changing]["since_run"] == 3 and rounds[3][steady]["since_run"] == 1
    assert rounds[2][changing]["previous_overall"] == "pass"


def test_ctrl_c_between_rounds_ends_cleanly_keeping_finished_rounds(three: ManyWorld, tmp_path: Path) -> None:
    portfolio = write_portfolio(tmp_path / "p.txt", three.targets())
    db = tmp_path / "r.db"
    proc = subprocess.Popen(monitor_args(three, portfolio, db, "--every", "1h", "--quiet"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_complete_runs(db, proc, 1)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and "Traceback" not in stderr and stdout == "", stderr
    assert "Stopped between rounds: 1 complete round(s)" in stderr
    assert runs(db) == [(1, "complete", 3)]  # the finished round kept, no other started
