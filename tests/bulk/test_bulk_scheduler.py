"""The bulk scheduler and its results database, without network: audits are injected fakes.

Limits are measured, not assumed: each fake audit records how many audits were in flight, in total
and on its address, while it ran.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trustscan.audit import AddressPolicyError
from trustscan.bulk.portfolio import parse_text
from trustscan.bulk.scheduler import BulkJob, BulkLimits, audit_one, scan_all
from trustscan.bulk.store import ResultStore, SiteRow
from trustscan.core.catalog import load_catalog
from trustscan.core.errors import StoreError
from trustscan.core.settings import AuditSettings
from trustscan.core.target import Target, parse_target
from trustscan.core.wordings import Wording
from trustscan.judge.engine import evaluate, roll_up
from trustscan.judge.ruleset import load_ruleset
from trustscan.report.document import AuditOutcome

RULESET = load_ruleset()
CATALOG = load_catalog("en")


def jobs_on(addresses: list[str], per_address: int) -> list[BulkJob]:
    """IP-literal targets (no DNS needed): `per_address` sites (ports) on each address."""
    return [BulkJob(f"{ip}:{1000 + i}", parse_target(f"{ip}:{1000 + i}"))
            for ip in addresses for i in range(per_address)]


class InFlight:
    """A fake audit that sleeps and records the peak number of concurrent audits, overall and per IP."""

    def __init__(self, delay: float = 0.02) -> None:
        self.delay = delay
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.total = self.peak_total = 0

    async def __call__(self, target: Target, settings: AuditSettings, *, ruleset: Any) -> AuditOutcome:
        self.now[target.ascii_host] += 1
        self.total += 1
        self.peak[target.ascii_host] = max(self.peak[target.ascii_host], self.now[target.ascii_host])
        self.peak_total = max(self.peak_total, self.total)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.now[target.ascii_host] -= 1
            self.total -= 1
        return outcome_for(target)


def outcome_for(target: Target) -> AuditOutcome:
    """A real engine outcome on empty evidence: every checked rule is an error (nothing ran)."""
    verdicts = evaluate(RULESET, {})
    moment = datetime.now(UTC)
    return AuditOutcome(target=target, addresses=(target.ascii_host,), started_at=moment, finished_at=moment,
                        attempts={}, verdicts=tuple(verdicts), criteria=roll_up(RULESET, verdicts))


def run(jobs: list[BulkJob], limits: BulkLimits, audit: Any, **kwargs: Any) -> tuple[bool, list[SiteRow]]:
    rows: list[SiteRow] = []
    finished = asyncio.run(scan_all(jobs, AuditSettings(timeout=5.0), limits, ruleset=RULESET, catalog=CATALOG,
                                    on_result=rows.append, audit=audit, **kwargs))
    return finished, rows


def test_concurrency_is_bounded_globally_and_per_address() -> None:
    audit = InFlight()
    jobs = jobs_on([f"127.0.0.{i}" for i in range(2, 8)], per_address=6)  # 6 addresses x 6 sites
    finished, rows = run(jobs, BulkLimits(concurrency=5, per_ip=2), audit)
    assert finished
    assert sorted(r.site for r in rows) == sorted(j.site for j in jobs)  # each site exactly once
    assert max(audit.peak.values()) == 2  # reached, never exceeded
    assert audit.peak_total == 5


def test_a_crowded_address_does_not_starve_the_others() -> None:
    jobs = jobs_on(["127.0.0.2"], per_address=20) + jobs_on(["127.0.0.3"], per_address=1)
    order: list[str] = []

    async def scan() -> None:
        await scan_all(jobs, AuditSettings(), BulkLimits(concurrency=4, per_ip=1), ruleset=RULESET, catalog=CATALOG,
                       on_result=lambda row: order.append(row.site), audit=InFlight(delay=0.05))

    asyncio.run(scan())
    # Listed last, the lone site on the other address still finishes among the first two.
    assert order.index("127.0.0.3:1000") <= 1


def test_slow_refused_and_broken_sites_become_error_rows_without_stalling_the_rest() -> None:
    async def audit(target: Target, settings: AuditSettings, *, ruleset: Any) -> AuditOutcome:
        if target.port == 1001:
            await asyncio.sleep(60)  # a tarpit: only the per-site deadline ends it
        if target.port == 1002:
            raise AddressPolicyError("error.address_policy", host=target.ascii_host, address=target.ascii_host,
                                     category=Wording("address.loopback", {"rfc": "RFC 1122"}))
        if target.port == 1003:
            raise RuntimeError("probe bug")
        return outcome_for(target)

    jobs = jobs_on(["127.0.0.2"], per_address=5)
    rows: list[SiteRow] = []
    settings = AuditSettings(timeout=0.2)
    asyncio.run(scan_all(jobs, settings, BulkLimits(concurrency=5, per_ip=5, deadline_margin=0.1),
                         ruleset=RULESET, catalog=CATALOG, on_result=rows.append, audit=audit))
    by_port = {int(r.site.rsplit(":", 1)[1]): r for r in rows}
    assert "deadline" in (by_port[1001].error or "") and by_port[1001].duration < 2
    assert "address refused" in (by_port[1002].error or "")
    assert [by_port[port].error_wording.id for port in (1001, 1002, 1003)] == [  # type: ignore[union-attr]
        "bulk.error.site_deadline", "bulk.error.address_refused", "bulk.error.internal"]
    assert "RuntimeError: probe bug" in (by_port[1003].error or "")
    for port in (1001, 1002, 1003):
        assert by_port[port].overall == "error" and by_port[port].report is None
        assert set(by_port[port].criteria.values()) == {"error"}
    for port in (1000, 1004):  # real reports: nothing could run, so "error", never "pass"
        assert by_port[port].report is not None and by_port[port].overall == "error"


def test_stop_cancels_audits_in_flight_without_reporting_them() -> None:
    async def scenario() -> tuple[bool, list[SiteRow]]:
        stop = asyncio.Event()
        rows: list[SiteRow] = []
        audit = InFlight(delay=0.05)

        def on_result(row: SiteRow) -> None:
            rows.append(row)
            if len(rows) == 3:
                stop.set()

        finished = await scan_all(jobs_on(["127.0.0.2"], 30), AuditSettings(), BulkLimits(concurrency=2, per_ip=2),
                                  ruleset=RULESET, catalog=CATALOG, on_result=on_result, stop=stop, audit=audit)
        return finished, rows

    finished, rows = asyncio.run(scenario())
    assert not finished
    assert 3 <= len(rows) < 30


def test_audit_one_keeps_the_full_report() -> None:
    job = jobs_on(["127.0.0.2"], 1)[0]
    row = asyncio.run(audit_one(job, AuditSettings(), ruleset=RULESET, catalog=CATALOG, audit=InFlight(0)))
    assert row.report is not None and '"schema_version"' in row.report
    assert row.criteria["c"] == "error"


# --- the results database ---------------------------------------------------------------------------

def make_store(location: Path | str) -> tuple[ResultStore, int]:
    store = ResultStore(location)
    entries = parse_text("a.gov.vn\nb.gov.vn\nc.gov.vn\n").entries
    run_id = store.create_run(portfolio="p.txt", digest="d", settings={"timeout": 1}, language="vi",
                              tool_version="t", entries=entries)
    return store, run_id


def row(site: str, overall: str = "pass") -> SiteRow:
    return SiteRow(site, overall, {"c": overall}, None, None, 0.1, "2025-01-01T00:00:00Z")


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Each store test runs on both backends: an SQLite file and a real PostgreSQL database."""
    return tmp_path / "r.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_store_records_each_site_once_and_finds_the_unfinished_run(location: Path | str) -> None:
    store, run_id = make_store(location)
    with store:
        assert store.record(run_id, row("a.gov.vn:443"))
        assert not store.record(run_id, row("a.gov.vn:443", "fail"))  # the unique key, not luck: first stands
        with pytest.raises(StoreError, match="not planned"):
            store.record(run_id, row("unplanned.gov.vn:443"))  # only planned sites can have a row
        store.record(run_id, row("b.gov.vn:443", "fail"))
        assert store.finished_sites(run_id) == {"a.gov.vn:443", "b.gov.vn:443"}
        assert store.has_result(run_id, "a.gov.vn:443") and not store.has_result(run_id, "c.gov.vn:443")
        assert store.counts(run_id) == {"pass": 1, "fail": 1, "error": 0}
        unfinished = store.latest_unfinished()
        assert unfinished is not None and (unfinished.id, unfinished.done, unfinished.total) == (run_id, 2, 3)
        store.set_status(run_id, "complete")
        assert store.latest_unfinished() is None
        assert [p.site for p, r in store.results(run_id) if r is None] == ["c.gov.vn:443"]


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.db") as store:
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_keeps_text_with_nul_and_streams_long_runs_in_pages(location: Path | str) -> None:
    """PostgreSQL refuses NUL in text; a hostile CSV label must not stop the run on either backend."""
    text = "".join(f"s{i}.gov.vn\n" for i in range(450))
    entries = parse_text(text).entries
    with ResultStore(location) as store:
        first = store.create_run(portfolio="p\x00.txt", digest="d", settings={}, language="vi", tool_version="t",
                                 entries=entries[:2])
        run_id = store.create_run(portfolio="p.txt", digest="d", settings={}, language="vi", tool_version="t",
                                  entries=entries)
        assert (first, run_id) == (1, 2)
        store.record(run_id, SiteRow("s7.gov.vn:443", "error", {}, None, "bad\x00byte", 0.5, "t"))
        seen = list(store.results(run_id))
        assert [p.position for p, _ in seen] == list(range(450))  # 3 pages, none lost or repeated
        assert [r.error for _, r in seen if r is not None] == ["bad\ufffdbyte"]
        assert store.run(1).portfolio == "p\ufffd.txt"  # type: ignore[union-attr]


def test_read_only_store_refuses_writes(location: Path | str) -> None:
    make_store(location)[0].close()
    with ResultStore(location, create=False) as store, pytest.raises(Exception):  # noqa: B017 - either backend's
        store.set_status(1, "complete")
    with ResultStore(location, create=False) as store:
        assert store.runs()[0].status == "running"


def test_two_stores_agree_on_the_store_id(location: Path | str) -> None:
    with ResultStore(location) as one, ResultStore(location) as two:
        assert one.store_id == two.store_id and len(one.store_id) == 32


def test_store_refuses_a_file_that_is_not_a_results_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        ResultStore(junk)
    with pytest.raises(StoreError, match="no results database"):
        ResultStore(tmp_path / "missing.db", create=False)
