"""The results database of bulk runs: what was planned, and one finished row per site per run.

One store, two backends (`trustscan.bulk.database`): an SQLite file for the embedded path and
PostgreSQL for workers on many machines. The queries below are written once, in SQL both accept.

`PRIMARY KEY (run_id, site)` on `results` is the guarantee that a site is never recorded twice in
one run, whatever the scheduler or the broker does: `record` inserts with `ON CONFLICT DO NOTHING`,
so a redelivered task's second write is a no-op (the first result stands) and `record` says so.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from trustscan.bulk.database import Connection, DatabaseLocation, connect, parse_location, scrub_text
from trustscan.bulk.portfolio import PortfolioEntry
from trustscan.core.errors import StoreError, StoreLostError
from trustscan.core.timestamps import now_rfc3339
from trustscan.core.wordings import Wording

#: 2 added `results.error_wording`; a version-1 database is migrated when opened for writing (`bulk`,
#: `worker`, `monitor`) and read as it is otherwise. A newer version than this one is refused.
SCHEMA_VERSION = "2"
_READABLE_VERSIONS = ("1", SCHEMA_VERSION)
_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id {serial_key},
    started_at TEXT NOT NULL,
    finished_at TEXT,                       -- NULL until every planned site has a result
    status TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'complete')),
    portfolio TEXT NOT NULL,
    portfolio_digest TEXT NOT NULL,
    settings TEXT NOT NULL,                 -- JSON: the audit settings every resumption (and every worker) reuses
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
    error TEXT,                             -- why there is no report (refused address, deadline), in English
    duration {real} NOT NULL,
    finished_at TEXT NOT NULL,
    error_wording TEXT,                     -- JSON: `error` as a Wording (message id + values), for every language
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
class RoundRow:
    """One site's verdict in one run, without its report: what history and freshness are built from."""

    run_id: int
    run_started_at: str
    site: str
    overall: str
    criteria: Mapping[str, str]
    finished_at: str


@dataclass(frozen=True)
class SiteRow:
    """A finished site: its verdict summary and (when an audit ran) the full report JSON text.

    A site no audit could judge says why in `error_wording` (a Wording every output words in its
    language) and in `error`, its English sentence; a row of a version-1 database has only `error`.
    """

    site: str
    overall: str
    criteria: Mapping[str, str]
    report: str | None
    error: str | None
    duration: float
    finished_at: str
    error_wording: Wording | None = None


def _online(method: Callable[..., _T]) -> Callable[..., _T]:
    """A lost connection mid-run (server stopped, network cut) becomes one StoreError naming the database."""

    @functools.wraps(method)
    def guarded(self: ResultStore, *args: Any, **kwargs: Any) -> _T:
        try:
            return method(self, *args, **kwargs)
        except self._db.operational_errors as exc:
            raise StoreLostError("bulk.error.lost_database", database=self.location.shown,
                                 detail=scrub_text(str(exc), self.location)) from None

    return guarded


class ResultStore:
    """Owns one database connection; use as a context manager.

    `location` is a `DatabaseLocation`, or a path or `postgresql://` URL as `--db` takes it.
    `create=False` opens an existing database read-only and never changes a byte or a file: the
    `portfolio` command and the checks `bulk` makes before it takes the lock read it that way, a
    version-1 database too. `create=True` creates the schema or brings a version-1 database to
    version 2 (`_migrate`), under the backend's schema lock.
    """

    def __init__(self, location: DatabaseLocation | Path | str, *, create: bool = True) -> None:
        self.location = location if isinstance(location, DatabaseLocation) else parse_location(location)
        self._db: Connection = connect(self.location, create=create)
        try:
            if create:
                dialect = self._db.dialect
                with self._db.schema_lock():
                    schema = _SCHEMA.replace("{serial_key}", dialect.serial_key).replace("{real}", dialect.real)
                    self._db.executescript(schema)
                    for key, value in (("schema_version", SCHEMA_VERSION), ("store_id", uuid.uuid4().hex)):
                        self._db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value))
                    self._migrate()
            version = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except Exception as exc:
            self._db.close()
            if isinstance(exc, StoreError):
                raise
            raise self._db.unusable(exc) from None
        if version is None or version[0] not in (_READABLE_VERSIONS if not create else (SCHEMA_VERSION,)):
            self._db.close()
            raise StoreError(f"{self.location.shown} has an unsupported schema version {version and version[0]!r}")
        # A version-1 database opened read-only has no error_wording column: its rows are read without one.
        self._error_wording = "r.error_wording" if version[0] == SCHEMA_VERSION else "NULL"

    def _migrate(self) -> None:
        """Version 1 -> 2 in one transaction, the version read again inside it (another process may have done it).

        Runs under the schema lock; a database of a newer version is left alone (and refused by the caller).
        A current database is only read: no write transaction (SQLite's writer lock) on every open.
        """
        if self._version() != "1":
            return
        with self._db.transaction():
            if self._version() == "1":
                self._db.execute("ALTER TABLE results ADD COLUMN error_wording TEXT")
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))

    def _version(self) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return None if row is None else str(row[0])

    @property
    def store_id(self) -> str:
        """A random name given to this database when it was created: workers and bulk agree on it."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
        if row is None:
            raise StoreError(f"{self.location.shown} predates distributed runs; open it once with `trustscan bulk`")
        return str(row[0])

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @_online
    def create_run(self, *, portfolio: str, digest: str, settings: Mapping[str, Any], language: str,
                   tool_version: str, entries: tuple[PortfolioEntry, ...]) -> int:
        """Record a new run and its whole plan in one transaction (a run never lacks its plan)."""
        with self._db.transaction():
            run_id = int(self._db.execute(
                "INSERT INTO runs (started_at, status, portfolio, portfolio_digest, settings, language,"
                " tool_version, total) VALUES (?, 'running', ?, ?, ?, ?, ?, ?) RETURNING id",
                (now_rfc3339(), _text(portfolio), digest, json.dumps(dict(settings)), language, tool_version,
                 len(entries)),
            ).fetchone()[0])
            self._db.executemany(
                "INSERT INTO run_sites VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, i, e.key, _text(e.target.input.strip()), e.line, _text(e.organisation), _text(e.unit),
                  _text(e.owner), json.dumps(list(e.tags), ensure_ascii=False)) for i, e in enumerate(entries)],
            )
        return run_id

    @_online
    def record(self, run_id: int, row: SiteRow) -> bool:
        """Write one finished site (autocommit: the row is on disk, whole, when this returns).

        False when the site already had its row in this run (a redelivered task): the first result
        stands. StoreError for a site outside the run's plan.
        """
        try:
            cursor = self._db.execute(
                "INSERT INTO results (run_id, site, overall, criteria, report, error, duration, finished_at,"
                " error_wording) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, site) DO NOTHING",
                (run_id, row.site, row.overall, json.dumps(dict(row.criteria)), row.report, _text(row.error),
                 round(row.duration, 3), row.finished_at,
                 None if row.error_wording is None else _text(json.dumps(row.error_wording.to_json(),
                                                                         ensure_ascii=False))),
            )
        except self._db.integrity_error as exc:
            raise StoreError(f"site {row.site} is not planned in run {run_id}: {exc}") from None
        return cursor.rowcount == 1

    @_online
    def ping(self) -> None:
        """Raises StoreLostError when the database no longer answers."""
        self._db.execute("SELECT 1").fetchone()

    @_online
    def site_state(self, run_id: int, site: str) -> tuple[str, bool] | None:
        """(the planned input, whether it has its row) of a site of a run; None when not planned."""
        row = self._db.execute(
            "SELECT p.input, r.site FROM run_sites p LEFT JOIN results r ON r.run_id = p.run_id AND r.site = p.site"
            " WHERE p.run_id = ? AND p.site = ?", (run_id, site)).fetchone()
        return None if row is None else (row[0], row[1] is not None)

    @_online
    def has_result(self, run_id: int, site: str) -> bool:
        return self._db.execute("SELECT 1 FROM results WHERE run_id = ? AND site = ?", (run_id, site)).fetchone() \
            is not None

    @_online
    def set_status(self, run_id: int, status: str) -> None:
        finished = now_rfc3339() if status == "complete" else None
        self._db.execute("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (status, finished, run_id))

    @_online
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

    @_online
    def finished_sites(self, run_id: int) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT site FROM results WHERE run_id = ?", (run_id,))}

    @_online
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

        Rows are fetched a page at a time (keyset on the plan position), so a dashboard over
        thousands of reports stays small on either backend.
        """
        position = -1
        while True:
            page = self._db.execute(
                "SELECT p.position, p.site, p.input, p.line, p.organisation, p.unit, p.owner, p.tags,"
                f" r.overall, r.criteria, r.report, r.error, r.duration, r.finished_at, {self._error_wording}"
                " FROM run_sites p LEFT JOIN results r ON r.run_id = p.run_id AND r.site = p.site"
                " WHERE p.run_id = ? AND p.position > ? ORDER BY p.position LIMIT ?", (run_id, position, _PAGE)
            ).fetchall()
            for row in page:
                planned = _planned_site(row)
                result = None
                if row[8] is not None:
                    result = SiteRow(row[1], row[8], json.loads(row[9]), row[10], row[11], row[12], row[13],
                                     _wording(row[14]))
                yield planned, result
            if len(page) < _PAGE:
                return
            position = page[-1][0]

    @_online
    def rounds(self, *, up_to_run: int | None = None) -> Iterator[RoundRow]:
        """Every recorded verdict, oldest run first, reports left out (a history of thousands stays small).

        Fetched a page at a time (keyset on run and site), in SQL both backends accept.
        """
        last = up_to_run if up_to_run is not None else 2**62
        after: tuple[int, str] = (-1, "")
        while True:
            page = self._db.execute(
                "SELECT r.run_id, u.started_at, r.site, r.overall, r.criteria, r.finished_at"
                " FROM results r JOIN runs u ON u.id = r.run_id"
                " WHERE r.run_id <= ? AND (r.run_id > ? OR (r.run_id = ? AND r.site > ?))"
                " ORDER BY r.run_id, r.site LIMIT ?", (last, after[0], after[0], after[1], _ROUNDS_PAGE)
            ).fetchall()
            for row in page:
                yield RoundRow(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])
            if len(page) < _ROUNDS_PAGE:
                return
            after = (page[-1][0], page[-1][2])

    @_online
    def report(self, run_id: int, site: str) -> str | None:
        """The full JSON report text of *site* in *run_id* (None when that audit could not run)."""
        row = self._db.execute("SELECT report FROM results WHERE run_id = ? AND site = ?", (run_id, site)).fetchone()
        return row[0] if row else None


_PAGE = 200  # result rows per fetch while streaming a run
_ROUNDS_PAGE = 5000  # verdict rows (no reports) per fetch while reading every site's history


def _text(value: str | None) -> str | None:
    """Free text as both backends store it: PostgreSQL refuses NUL in text, so it becomes U+FFFD."""
    return value.replace("\x00", "\ufffd") if value else value


def _wording(text: str | None) -> Wording | None:
    """A stored error_wording; None when there is none or it is not one (the English `error` is shown then)."""
    if not text:
        return None
    try:
        return Wording.from_json(json.loads(text))
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes: not ours
        return None


def _planned_site(row: tuple[Any, ...]) -> PlannedSite:
    """A `PlannedSite` from a row whose first 8 columns are run_sites' position .. tags, in order."""
    return PlannedSite(row[0], row[1], row[2], row[3], row[4], row[5], row[6], tuple(json.loads(row[7])))


def _run_info(row: tuple[Any, ...]) -> RunInfo:
    return RunInfo(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7], row[8], row[9],
                   row[10])
