"""Side effects (issue 9, item 8): a refused command writes nothing, and `portfolio` never changes its database.

Each test takes the folder's file tree (names and bytes) before and after the command; no test connects.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.support.no_network import forbid_connections
from tests.support.publish_samples import sample_report
from trustscan.bulk.portfolio import parse_text
from trustscan.bulk.store import ResultStore, SiteRow
from trustscan.cli.main import main
from trustscan.core.settings import AuditSettings


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry under *folder*: a file's bytes, None for anything else (a folder, a FIFO)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_refused(result: Result) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("trustscan: error: "), result.stderr


def make_db(path: Path, *, complete: bool) -> Path:
    with ResultStore(path) as store:
        run_id = store.create_run(portfolio="p.txt", digest="d", settings=AuditSettings().to_json(), language="en",
                                  tool_version="t", entries=parse_text("a.gov.vn\nb.gov.vn\n").entries)
        store.record(run_id, SiteRow("a.gov.vn:443", "pass", {"c": "pass"}, None, None, 1.0, "2026-11-01T00:00:00Z"))
        if complete:
            store.record(run_id, SiteRow("b.gov.vn:443", "fail", {"c": "fail"}, None, None, 1.0,
                                         "2026-11-01T00:00:00Z"))
            store.set_status(run_id, "complete")
    return path


def foreign_sqlite(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.execute("INSERT INTO notes VALUES ('not trustscan''s')")
    db.commit()
    db.close()
    return path


# --- bulk: every refusal leaves the folder as it was ------------------------------------------------


@pytest.mark.parametrize(
    ("portfolio", "needle"),
    [
        (None, "cannot read portfolio"),  # missing file
        (b"", "no valid target"),
        (b"not a host!\n-- also not\n", "no valid target"),
        (b"\x00\xff\xfe binary \x00", ""),
        (b"# only comments\n\n", "no valid target"),
    ],
)
def test_bulk_with_a_bad_portfolio_creates_neither_lock_nor_database(tmp_path: Path, portfolio: bytes | None,
                                                                    needle: str) -> None:
    path = tmp_path / "sites.txt"
    if portfolio is not None:
        path.write_bytes(portfolio)
    before = tree(tmp_path)
    result = invoke("bulk", str(path), "--db", str(tmp_path / "r.db"))
    assert_refused(result)
    assert needle in result.stderr
    assert tree(tmp_path) == before
    assert not (tmp_path / "r.db").exists() and not (tmp_path / "r.db.lock").exists()


def test_bulk_without_a_portfolio_or_with_resume_options_writes_nothing(tmp_path: Path) -> None:
    before = tree(tmp_path)
    assert_refused(invoke("bulk", "--db", str(tmp_path / "r.db")))
    assert_refused(invoke("bulk", "--db", str(tmp_path / "r.db"), "--resume"))
    assert_refused(invoke("bulk", "--db", str(tmp_path / "r.db"), "--resume", "--timeout", "5"))
    assert tree(tmp_path) == before == {}


@pytest.mark.parametrize("kind", ["text", "foreign", "complete-run", "directory"])
def test_bulk_refuses_a_database_it_cannot_use_before_touching_it(tmp_path: Path, kind: str) -> None:
    (tmp_path / "sites.txt").write_text("a.gov.vn\n")
    db = tmp_path / "r.db"
    if kind == "text":
        db.write_text("a text file, not a database\n" * 50)
    elif kind == "foreign":
        foreign_sqlite(db)
    elif kind == "complete-run":
        make_db(db, complete=True)
    else:
        db.mkdir()
    before = tree(tmp_path)
    args = ["bulk", "--db", str(db), "--resume"] if kind == "complete-run" else ["bulk", str(tmp_path / "sites.txt"),
                                                                                  "--db", str(db)]
    result = invoke(*args)
    assert_refused(result)
    assert len(result.stderr.strip().splitlines()) == 1
    assert tree(tmp_path) == before
    if kind == "complete-run":
        assert "nothing to resume" in result.stderr


def test_bulk_resuming_with_a_changed_portfolio_writes_nothing(tmp_path: Path) -> None:
    db = make_db(tmp_path / "r.db", complete=False)
    (tmp_path / "sites.txt").write_text("c.gov.vn\n")
    before = tree(tmp_path)
    result = invoke("bulk", str(tmp_path / "sites.txt"), "--db", str(db), "--resume")
    assert_refused(result)
    assert "changed since run 1 started" in result.stderr and tree(tmp_path) == before


# --- portfolio: read-only, whatever the file is -------------------------------------------------------


@pytest.mark.parametrize(("content", "needle"), [
    (b"", "not a usable trustscan database: an empty file"),
    (b"hello, not sqlite\n" * 20, "not a usable trustscan database"),
    (None, "not a usable trustscan database"),  # a SQLite file of another program
])
def test_portfolio_refuses_a_non_database_and_leaves_it_unchanged(tmp_path: Path, content: bytes | None,
                                                                  needle: str) -> None:
    db = tmp_path / "r.db"
    if content is None:
        foreign_sqlite(db)
    else:
        db.write_bytes(content)
    before = tree(tmp_path)
    result = invoke("portfolio", str(db), "--format", "json")
    assert_refused(result)
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert tree(tmp_path) == before


@pytest.mark.parametrize("output_format", ["json", "csv", "html"])
def test_portfolio_reads_a_results_database_without_changing_a_byte(tmp_path: Path, output_format: str) -> None:
    make_db(tmp_path / "r.db", complete=True)
    before = tree(tmp_path)
    assert set(before) == {"r.db"}  # a closed WAL database: no -wal or -shm left
    result = invoke("portfolio", str(tmp_path / "r.db"), "--format", output_format)
    assert result.exit_code == 0, result.output
    assert "a.gov.vn" in result.output
    assert tree(tmp_path) == before


def test_portfolio_sees_the_rows_of_a_run_in_progress_and_changes_nothing(tmp_path: Path) -> None:
    make_db(tmp_path / "r.db", complete=False)
    with ResultStore(tmp_path / "r.db") as live:  # a bulk run still writing: its WAL holds the newest row
        live.record(1, SiteRow("b.gov.vn:443", "fail", {"c": "fail"}, None, None, 1.0, "2026-11-01T00:00:01Z"))
        assert (tmp_path / "r.db-wal").exists()
        database = (tmp_path / "r.db").read_bytes()
        result = invoke("portfolio", str(tmp_path / "r.db"), "--format", "csv")
        assert result.exit_code == 0, result.output
        assert "b.gov.vn" in result.output and "a.gov.vn" in result.output
        assert (tmp_path / "r.db").read_bytes() == database


def test_portfolio_of_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    assert_refused(invoke("portfolio", str(tmp_path / "none.db")))
    assert tree(tmp_path) == {}


# --- every command: a refused input leaves the working folder as it was --------------------------------


REFUSED_COMMANDS = [
    ["keygen", "k.pem", "--passphrase-file", "missing.txt"],
    ["keygen", "sub/k.pem"],
    ["sign", "missing.json", "--key", "key.pem", "-o", "out.json"],
    ["sign", "junk.json", "--key", "key.pem", "-o", "out.json"],
    ["sign", "report.json", "--key", "junk.json", "-o", "out.json"],
    ["badge", "junk.json", "-o", "badge.svg"],
    ["report", "junk.json", "-o", "page.html"],
    ["verify", "junk.json", "--key", "missing.pub"],
    ["diff", "junk.json", "report.json", "--format", "json"],
    ["portfolio", "junk.json", "-o", "dash.html"],
    ["audit", "[64:ff9b::a00:1]", "-o", "out.json", "--output-dir", "reports", "--emit", "sarif"],
    ["audit", "example.invalid", "--ca-bundle", "missing.pem", "-o", "out.json", "--output-dir", "reports"],
    ["audit", "example.invalid", "--sign-key", "junk.json", "-o", "out.json"],
    ["audit", "example.invalid", "--policy", "junk.json", "--output-dir", "reports"],
    ["declare", "-o", "decl.yaml", "--organisation", "Org", "--system", "S", "--site", "not a host!",
     "--security-level", "2"],
    ["lists", "import", "tnm", "http://0177.0.0.1/list.txt", "--cache-dir", "cache"],
    ["lists", "import", "tnm", "junk.json", "--cache-dir", "cache"],
    ["bulk", "junk.json", "--db", "r.db"],
]


@pytest.mark.parametrize("args", REFUSED_COMMANDS, ids=lambda args: " ".join(args[:2]))
def test_a_refused_command_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    (tmp_path / "junk.json").write_bytes(b"\x00\x01 not json, not a list, not a key")
    (tmp_path / "report.json").write_text(json.dumps(sample_report()))
    assert invoke("keygen", str(tmp_path / "key.pem")).exit_code == 0
    monkeypatch.chdir(tmp_path)
    attempts = forbid_connections(monkeypatch)
    before = tree(tmp_path)
    result = invoke(*args)
    assert_refused(result)
    assert tree(tmp_path) == before and attempts == []
