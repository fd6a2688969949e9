"""`trustscan bulk` wiring without network: usage errors, and settings kept across resumptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.input_files import KINDS, refused_file, within
from trustscan.bulk.portfolio import parse_text
from trustscan.bulk.store import ResultStore, SiteRow
from trustscan.cli.main import main
from trustscan.core.settings import MAX_CA_BUNDLE_BYTES, AuditSettings, NameServer
from trustscan.lists.store import MAX_SNAPSHOT_BYTES


def test_settings_survive_the_database_round_trip(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    settings = AuditSettings(nameserver=NameServer("127.0.0.1", 5353), ca_bundle=bundle, timeout=30.0,
                             http_port=8080, allow_private=True, deep=True, criteria=("c", "e"),
                             blocklist_files=(bundle,), dnsbl_ip_zones=("zen.example",))
    assert AuditSettings.from_json(json.loads(json.dumps(settings.to_json()))) == settings


def test_resume_refuses_options_that_would_change_the_audit(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with ResultStore(db) as store:
        store.create_run(portfolio="p", digest="d", settings=AuditSettings(timeout=30.0).to_json(), language="vi",
                         tool_version="t", entries=parse_text("a.gov.vn\n").entries)
    result = CliRunner().invoke(main, ["bulk", "--db", str(db), "--resume", "--timeout", "5", "--allow-private",
                                       "--max-pages", "30", "--lang", "en"])
    assert result.exit_code == 2
    # Only the options that differ are named, each with the run's own value; --max-pages 30 is the run's.
    assert "--timeout 5.0 (the run's: 30.0)" in result.output and "--allow-private True (the run's: False)" in \
        result.output and "--lang en (the run's: vi)" in result.output and "--max-pages" not in result.output


def test_resume_accepts_the_runs_own_settings_repeated(tmp_path: Path) -> None:
    """Issue 13 item 7: the command line that started the run can be repeated with --resume."""
    db = tmp_path / "r.db"
    with ResultStore(db) as store:
        run = store.create_run(portfolio="p", digest="d", settings=AuditSettings(timeout=30.0).to_json(),
                               language="en", tool_version="t", entries=parse_text("a.gov.vn\n").entries)
        site = store.plan(run)[0].site  # audited already: the resumption has nothing left to scan
        store.record(run, SiteRow(site, "pass", {}, None, None, 1.0, "2026-12-01T00:00:00Z"))
    same = CliRunner().invoke(main, ["bulk", "--db", str(db), "--resume", "--timeout", "30", "--max-pages", "30",
                                     "--lang", "en", "-q"])
    assert same.exit_code == 0, same.output  # accepted: the run resumed and completed
    with ResultStore(db) as store:
        assert store.run(run).status == "complete"  # type: ignore[union-attr]


def test_bulk_usage_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    no_portfolio = runner.invoke(main, ["bulk", "--db", str(tmp_path / "r.db")])
    assert no_portfolio.exit_code == 2 and "give a PORTFOLIO file" in no_portfolio.output
    missing = runner.invoke(main, ["bulk", str(tmp_path / "none.txt"), "--db", str(tmp_path / "r.db")])
    assert missing.exit_code == 2 and "cannot read portfolio" in missing.output
    not_db = tmp_path / "not.db"
    not_db.write_bytes(b"junk" * 1000)
    junk = runner.invoke(main, ["bulk", str(not_db), "--db", str(not_db)])
    assert junk.exit_code == 2 and "not a usable trustscan database" in junk.output
    for result in (no_portfolio, missing, junk):
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_second_bulk_on_the_same_database_is_refused(tmp_path: Path) -> None:
    import fcntl

    db = tmp_path / "r.db"
    portfolio = tmp_path / "p.txt"
    portfolio.write_text("a.gov.vn\n")
    with open(tmp_path / "r.db.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running bulk process holds it
        result = CliRunner().invoke(main, ["bulk", str(portfolio), "--db", str(db)])
    assert result.exit_code == 2 and "another trustscan bulk is using" in result.output
    assert not db.exists()  # refused before touching the database


@pytest.mark.parametrize("kind", KINDS)
def test_a_fifo_or_oversize_ca_bundle_or_list_is_refused_before_the_run(tmp_path: Path, kind: str) -> None:
    portfolio = tmp_path / "p.txt"
    portfolio.write_text("a.gov.vn\n")
    bundle = refused_file(kind, tmp_path / "ca.pem", MAX_CA_BUNDLE_BYTES)
    with within(5):
        result = CliRunner().invoke(main, ["bulk", str(portfolio), "--db", str(tmp_path / "r.db"),
                                           "--ca-bundle", str(bundle)])
    assert result.exit_code == 2 and f"cannot read CA bundle {bundle}: " in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "r.db").exists()
    # A resumed run re-checks its own files: one that became a FIFO or grew is refused the same way.
    db = tmp_path / "resumed.db"
    listed = refused_file(kind, tmp_path / "list.txt", MAX_SNAPSHOT_BYTES)
    with ResultStore(db) as store:
        store.create_run(portfolio="p", digest="d", settings=AuditSettings(blocklist_files=(listed,)).to_json(),
                         language="vi", tool_version="t", entries=parse_text("a.gov.vn\n").entries)
    with within(5):
        resumed = CliRunner().invoke(main, ["bulk", "--db", str(db), "--resume"])
    needle = "no longer exists" if kind == "fifo" else f"cannot read blocklist {listed}: larger than"
    assert resumed.exit_code == 2 and needle in resumed.stderr, resumed.output


def test_a_worker_process_that_cannot_start_is_one_line_exit_3_and_the_run_stays_resumable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from trustscan.bulk import processes

    monkeypatch.setattr(processes, "child_command", lambda: [sys.executable, "-c", "import sys; sys.exit(4)"])
    portfolio = tmp_path / "p.txt"
    portfolio.write_text("127.0.0.2:1\n127.0.0.3:1\n")
    db = tmp_path / "r.db"
    result = CliRunner().invoke(main, ["bulk", str(portfolio), "--db", str(db), "--processes", "2", "-q"])
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("trustscan: error: a worker process (pid ") and "did not start" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with ResultStore(db) as store:
        run = store.latest_unfinished()
        assert run is not None and run.done == 0  # nothing recorded; --resume starts it again
