"""The SQLite database of bulk runs: what was planned, and one finished row per site per run.

Why SQLite in WAL mode: each site's row is one INSERT committed on its own, so a run killed at any
instant (Ctrl-C, SIGTERM, even SIGKILL) leaves every finished site on disk and no half-written
one; readers (the dashboard) never block the writer. `synchronous=NORMAL` is durable against a
crash of the process (what `--resume` is for); only an OS crash could lose the last commits.

`PRIMARY KEY (run_id, site)` on `results` is the guarantee that a site is never recorded twice in
one run, whatever the scheduler does: a second insert fails instead of duplicating.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustscan.bulk.portfolio import PortfolioEntry
from trustscan.core.errors import StoreError
from trustscan.core.timestamps import now_rfc3339

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,                       -- NULL until every planned site has a result
    status TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'complete')),
    portfolio TEXT NOT NULL,
    portfolio_digest TEXT NOT NULL,
    settings TEXT NOT NULL,                 -- JSON: the audit settings every resumption reuses
    language TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS run_sites (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    position INTEGER NOT NULL,
    site TEXT NOT NULL,                     -- ascii_host:port
    input TEXT NOT NULL,
    line INTEGER NOT NULL,
    organisation TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, site)
);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL,
    site TEXT NOT NULL,
    overall TEXT NOT NULL CHECK (overall IN ('pass', 'fail', 'error')),
    criteria TEXT NOT NULL,                 -- JSON {criterion: status}
    report TEXT,                            -- the full JSON report; NULL when no audit could run
    error TEXT,                             -- why there is no report (refused address, deadline)
    duration REAL NOT NULL,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (run_id, site),
    FOREIGN KEY (run_id, site) REFERENCES run_sites(run_id, site)
);
"""


@dataclass(frozen=True)
class RunInfo:
    """One row of `runs`, with how many sites already have a result."""

    id: int
    started_at: str
    finished_at: str | None
    status: str
    portfolio: str
    portfolio_digest: str
    settings: Mapping[str, Any]
    language: str
    tool_version: str
    total: int
    done: int


@dataclass(frozen=True)
class PlannedSite:
    """A site of a run's plan, as stored (the portfolio file may have changed since)."""

    position: int
    site: str
    input: str
    line: int
    organisation: str
    unit: str
    owner: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class SiteRow:
    """A finished site: its verdict summary and (when an audit ran) the full report JSON text."""

    site: str
    overall: str
    criteria: Mapping[str, str]
    report: str | None
    error: str | None
    duration: float
    finished_at: str


class ResultStore:
    """Owns one SQLite connection; use as a context manager.

    `create=False` opens an existing database read-only and never changes a byte or a file: the
    `portfolio` command and the checks `bulk` makes before it takes the lock read it that way.
    """

    def __init__(self, path: Path, *, create: bool = True) -> None:
        if not create and not path.is_file():
            raise StoreError(f"no results database at {path}")
        try:
            if create:
                self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("PRAGMA foreign_keys=ON")
                self._db.executescript(_SCHEMA)
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            else:
                self._db = _connect_read_only(path)
            version = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            reason = "an empty file" if _is_empty(path) else str(exc)
            raise StoreError(f"{path} is not a usable trustscan database: {reason}") from None
        if version is None or version[0] != SCHEMA_VERSION:
            raise StoreError(f"{path} has an unsupported schema version {version and version[0]!r}")

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def create_run(self, *, portfolio: str, digest: str, settings: Mapping[str, Any], language: str,
                   tool_version: str, entries: tuple[PortfolioEntry, ...]) -> int:
        """Record a new run and its whole plan in one transaction (a run never lacks its plan)."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs (started_at, status, portfolio, portfolio_digest, settings, language,"
                " tool_version, total) VALUES (?, 'running', ?, ?, ?, ?, ?, ?)",
                (now_rfc3339(), portfolio, digest, json.dumps(dict(settings)), language, tool_version, len(entries)),
            )
            run_id = int(cursor.lastrowid or 0)
            self._db.executemany(
                "INSERT INTO run_sites VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, i, e.key, e.target.input.strip(), e.line, e.organisation, e.unit, e.owner,
                  json.dumps(list(e.tags), ensure_ascii=False)) for i, e in enumerate(entries)],
            )
        return run_id

    def record(self, run_id: int, row: SiteRow) -> None:
        """Write one finished site (autocommit: the row is on disk, whole, when this returns)."""
        self._db.execute(
            "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, row.site, row.overall, json.dumps(dict(row.criteria)), row.report, row.error,
             round(row.duration, 3), row.finished_at),
        )

    def set_status(self, run_id: int, status: str) -> None:
        finished = now_rfc3339() if status == "complete" else None
        self._db.execute("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (status, finished, run_id))

    def run(self, run_id: int) -> RunInfo | None:
        row = self._db.execute(
            "SELECT r.*, (SELECT count(*) FROM results WHERE run_id = r.id) FROM runs r WHERE id = ?", (run_id,)
        ).fetchone()
        return _run_info(row) if row else None

    def runs(self) -> list[RunInfo]:
        rows = self._db.execute(
            "SELECT r.*, (SELECT count(*) FROM results WHERE run_id = r.id) FROM runs r ORDER BY id"
        ).fetchall()
        return [_run_info(row) for row in rows]

    def latest_unfinished(self) -> RunInfo | None:
        """The run `--resume` continues: the newest one not marked complete (killed runs stay 'running')."""
        row = self._db.execute("SELECT id FROM runs WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()
        return self.run(row[0]) if row else None

    def plan(self, run_id: int) -> list[PlannedSite]:
        rows = self._db.execute(
            "SELECT position, site, input, line, organisation, unit, owner, tags FROM run_sites"
            " WHERE run_id = ? ORDER BY position", (run_id,)
        ).fetchall()
        return [_planned_site(row) for row in rows]

    def finished_sites(self, run_id: int) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT site FROM results WHERE run_id = ?", (run_id,))}

    def counts(self, run_id: int) -> dict[str, int]:
        """How many finished sites passed, failed, or could not be fully checked."""
        counts = {"pass": 0, "fail": 0, "error": 0}
        for overall, n in self._db.execute(
            "SELECT overall, count(*) FROM results WHERE run_id = ? GROUP BY overall", (run_id,)
        ):
            counts[overall] = n
        return counts

    def results(self, run_id: int) -> Iterator[tuple[PlannedSite, SiteRow | None]]:
        """Every planned site of a run in plan order, with its row (None while not yet scanned).

        Rows are fetched one at a time so a dashboard over thousands of reports stays small.
        """
        cursor = self._db.execute(
            "SELECT p.position, p.site, p.input, p.line, p.organisation, p.unit, p.owner, p.tags,"
            " r.overall, r.criteria, r.report, r.error, r.duration, r.finished_at"
            " FROM run_sites p LEFT JOIN results r ON r.run_id = p.run_id AND r.site = p.site"
            " WHERE p.run_id = ? ORDER BY p.position", (run_id,)
        )
        for row in cursor:
            planned = _planned_site(row)
            result = None
            if row[8] is not None:
                result = SiteRow(row[1], row[8], json.loads(row[9]), row[10], row[11], row[12], row[13])
            yield planned, result

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that leaves the database and its folder exactly as they were.

    A plain `mode=ro` connection to a WAL database creates `-wal` and `-shm` files it cannot remove
    afterwards. Without a `-wal` file no writer is active and every row is in the database file, so
    it is opened `immutable` (no locks, no side files); with one (a bulk run in progress, or killed),
    it is opened `mode=ro`, which reads the rows the writer has committed to the WAL.
    """
    uri = "file:" + urllib.parse.quote(str(path.resolve()))
    live = path.with_name(path.name + "-wal").exists()
    return sqlite3.connect(uri + ("?mode=ro" if live else "?mode=ro&immutable=1"), uri=True,
                           isolation_level=None, timeout=30.0)


def _is_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def _planned_site(row: tuple[Any, ...]) -> PlannedSite:
    """A `PlannedSite` from a row whose first 8 columns are run_sites' position .. tags, in order."""
    return PlannedSite(row[0], row[1], row[2], row[3], row[4], row[5], row[6], tuple(json.loads(row[7])))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (the connection is in autocommit)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _run_info(row: tuple[Any, ...]) -> RunInfo:
    return RunInfo(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7], row[8], row[9],
                   row[10])
