"""Integration: `trustscan bulk` as a real process over 200 generated sites of the local world.

The interruption tests really kill the process (SIGKILL, SIGINT) in the middle of a run, with the
audits in the bulk process or in worker processes (--processes), and prove that `--resume` completes
it with every planned site recorded exactly once; another SIGKILLs one worker process mid-run.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import services
from tests.support.processes import started
from tests.support.verdicts import verdicts
from tests.world import find_nginx
from tests.world.many import ManyWorld, running_many

N_SITES = 200
TRUSTSCAN = [str(Path(sys.executable).with_name("trustscan"))]  # the installed console script


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManyWorld]:
    services.require(find_nginx(), "nginx", install="nginx-light")
    with running_many(tmp_path_factory.mktemp("many"), N_SITES) as world:
        yield world


def bulk_args(world: ManyWorld, portfolio: Path, db: Path, *extra: str) -> list[str]:
    return [*TRUSTSCAN, "bulk", str(portfolio), "--db", str(db), "--resolver", f"{world.dns_ip}:{world.dns_port}",
            "--ca-bundle", str(world.ca_bundle), "--http-port", str(world.http_port), "--allow-private",
            "--timeout", "60", "--lang", "en", *extra]


def write_portfolio(path: Path, targets: list[str]) -> Path:
    path.write_text("# generated sites\n" + "\n".join(targets) + "\n", encoding="utf-8")
    return path


def rows(db: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT run_id, site, overall FROM results ORDER BY run_id, site").fetchall()


def runs(db: Path) -> list[tuple[int, str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, status, total FROM runs ORDER BY id").fetchall()


def wait_for_rows(db: Path, proc: subprocess.Popen[bytes], at_least: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "bulk ended before it could be interrupted"
        if db.exists():
            try:
                count = len(rows(db))
            except sqlite3.OperationalError:  # schema not created yet
                count = 0
            if count >= at_least:
                return count
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} rows after {timeout}s")


def test_bulk_over_200_sites_records_every_site(many: ManyWorld, tmp_path: Path) -> None:
    portfolio = write_portfolio(tmp_path / "p.txt", many.targets())
    db = tmp_path / "r.db"
    result = subprocess.run(bulk_args(many, portfolio, db, "--concurrency", "8"), capture_output=True, text=True,
                            timeout=900)
    recorded = rows(db)
    assert runs(db) == [(1, "complete", N_SITES)]
    assert sorted(site for _, site, _ in recorded) == sorted(t for t in many.targets())
    with sqlite3.connect(db) as conn:
        reports = [json.loads(text) for (text,) in conn.execute("SELECT report FROM results")]
    assert len(reports) == N_SITES and all(r["schema_version"] for r in reports)  # a full report per site
    # Identical good sites: wherever the probes completed, criteria c and e pass (no false failures).
    # A probe cut by a loaded machine's timeouts may honestly make a site "error", never "fail".
    for report in reports:
        evidence, criteria = report["evidence"], report["criteria"]
        if all(evidence[p]["status"] == "completed" for p in ("tls", "http", "https")):
            assert criteria["c"]["status"] == "pass", report["target"]
        sectxt = evidence["securitytxt"]
        if sectxt["status"] == "completed" and all(a["error"] is None for a in sectxt["data"]["attempts"]):
            assert criteria["e"]["status"] == "pass", report["target"]
    assert result.returncode in (0, 1, 3) and f"{N_SITES} of {N_SITES} sites" in result.stdout, result.stderr


@pytest.mark.parametrize("processes", ["1", "2"])
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_bulk_resumes_without_loss_or_duplication(many: ManyWorld, tmp_path: Path,
                                                             how: signal.Signals, processes: str) -> None:
    targets = many.targets()[:40]
    portfolio = write_portfolio(tmp_path / "p.txt", targets)
    db = tmp_path / "r.db"
    args = bulk_args(many, portfolio, db, "--concurrency", "4", "--processes", processes)
    with started(args, text=False) as proc:
        wait_for_rows(db, proc, at_least=5)
        workers = children(proc.pid)
        assert len(workers) == int(processes) - (processes == "1")  # no worker process with --processes 1
        proc.send_signal(how)
        _, stderr = proc.communicate(timeout=30)
        # Killed bulk or stopped one: no worker goes on auditing (they end when their stdin closes).
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{pid}").exists() and not zombie(pid) for pid in workers):
            assert time.monotonic() < deadline, "a worker process outlived its bulk"
            time.sleep(0.05)
    before = rows(db)
    assert 5 <= len(before) < len(targets)
    if how == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert runs(db) == [(1, "running", 40)]  # killed: no chance to say anything, still resumable
    else:
        assert proc.returncode == 130, stderr.decode("utf-8", "replace")[-2000:]
        assert b"--resume" in stderr and runs(db) == [(1, "interrupted", 40)]

    resumed = subprocess.run([*TRUSTSCAN, "bulk", "--db", str(db), "--resume", "--quiet"], capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode in (0, 1, 3), resumed.stderr
    after = rows(db)
    assert runs(db) == [(1, "complete", 40)]
    assert sorted(site for _, site, _ in after) == sorted(targets)  # none lost, none twice
    assert set(before) <= set(after)  # finished sites were kept, not audited again


def test_a_killed_worker_process_loses_nothing_and_verdicts_match_one_process(many: ManyWorld,
                                                                             tmp_path: Path) -> None:
    targets = many.targets()[:60]
    portfolio = write_portfolio(tmp_path / "p.txt", targets)
    one_db = tmp_path / "one.db"
    one = subprocess.run(bulk_args(many, portfolio, one_db, "--concurrency", "8", "--processes", "1", "--quiet"),
                         capture_output=True, text=True, timeout=600)
    expected = verdicts(result_rows(one_db))
    assert len(expected) == len(targets), one.stderr

    db = tmp_path / "r.db"
    with started(bulk_args(many, portfolio, db, "--concurrency", "8", "--processes", "2"), text=False) as proc:
        wait_for_rows(db, proc, at_least=5)
        workers = children(proc.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)  # with about 4 audits in hand
        stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == one.returncode, stderr.decode("utf-8", "replace")[-2000:]
    assert f"{len(targets)} of {len(targets)} sites" in stdout.decode()
    assert runs(db) == [(1, "complete", len(targets))]
    got = result_rows(db)
    assert sorted(site for site, *_ in got) == sorted(targets)  # every site, exactly once
    assert verdicts(got) == expected  # the audits the killed process had in hand were done again, whole
    assert b"Traceback" not in stderr
    assert b"Warning" not in stderr  # workers hide sslyze's known root-store warning, as the console script does


def children(pid: int) -> list[int]:
    """The running child processes of `pid` (Linux: /proc/PID/task/*/children)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def result_rows(db: Path) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT site, overall, criteria, report FROM results ORDER BY site").fetchall()


def test_nothing_to_resume_and_bad_input_are_usage_errors(many: ManyWorld, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    nothing = subprocess.run([*TRUSTSCAN, "bulk", "--db", str(db), "--resume"], capture_output=True, text=True)
    assert nothing.returncode == 2 and "nothing to resume" in nothing.stderr
    empty = write_portfolio(tmp_path / "empty.txt", ["not a host!"])
    bad = subprocess.run(bulk_args(many, empty, db), capture_output=True, text=True)
    assert bad.returncode == 2 and "empty.txt:2: skipped" in bad.stderr and "no valid target" in bad.stderr
    assert "Traceback" not in bad.stderr + nothing.stderr


def test_private_addresses_are_error_rows_without_allow_private(many: ManyWorld, tmp_path: Path) -> None:
    portfolio = write_portfolio(tmp_path / "p.txt", many.targets()[:3] + ["moh.gov.vn:1"])
    db = tmp_path / "r.db"
    args = [a for a in bulk_args(many, portfolio, db) if a != "--allow-private"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr  # nothing failed, nothing could be checked
    with sqlite3.connect(db) as conn:
        errors = dict(conn.execute("SELECT site, error FROM results").fetchall())
    assert len(errors) == 4
    for target in many.targets()[:3]:
        assert "non-public address 127.1." in errors[target]
    assert errors["moh.gov.vn:1"] is None  # NXDOMAIN in the local DNS: a report saying so, not a refusal


def test_dashboard_from_a_real_run(many: ManyWorld, tmp_path: Path) -> None:
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("target,organisation,unit\n" + "".join(
        f"{t},Bộ Thử nghiệm,<img src=x onerror=alert(1)>\n" for t in many.targets()[:4]), encoding="utf-8")
    db = tmp_path / "r.db"
    subprocess.run(bulk_args(many, csv_file, db, "--quiet"), capture_output=True, timeout=300, check=False)
    html = tmp_path / "d.html"
    result = subprocess.run([*TRUSTSCAN, "portfolio", str(db), "-o", str(html), "--lang", "en"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    page = html.read_text(encoding="utf-8")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count('class="site"') == 4 and many.hosts[0] in page
