"""`bulk --processes`: the worker-process pool, with real child processes whose audits are fakes.

The children run the real serving loop (trustscan.bulk.processes.serve) with a fake audit that logs
when it starts and ends; the limits are measured from that log, across processes, not assumed.
The real audits in worker processes are tests/integration/test_bulk_world.py's.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from trustscan.bulk import processes
from trustscan.bulk.processes import MAX_DELIVERIES, ProcessPool, ProcessStartError, choose_processes
from trustscan.bulk.scheduler import BulkJob, BulkLimits, scan_all
from trustscan.bulk.store import SiteRow
from trustscan.core.catalog import load_catalog
from trustscan.core.settings import AuditSettings
from trustscan.core.target import parse_target
from trustscan.core.wordings import Wording
from trustscan.judge.ruleset import load_ruleset

FAKE_CHILD = """
import asyncio, os, sys, time
from trustscan.bulk.processes import child_connections, serve
from trustscan.bulk.scheduler import error_row
from trustscan.core.wordings import Wording

LOG = {log!r}

def note(event, site):
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(f"{{time.monotonic()}} {{event}} {{site}} {{os.getpid()}}\\n")

jobs, rows = child_connections()
assert jobs.recv()[0] == "setup"

async def audit(job):
    note("start", job.site)
    if job.site.startswith("crash"):
        os._exit(1)  # as a crash in a C library would end the process
    if job.site.startswith("bug"):
        raise RuntimeError("a bug outside the audit's own guard")
    try:
        await asyncio.sleep({delay})
    except asyncio.CancelledError:
        note("cancelled", job.site)
        raise
    note("end", job.site)
    return error_row(job.site, Wording("error.cause.reported", {{"detail": "fake audit"}}))

serve(jobs, rows, audit)
"""


def fake_child(tmp_path: Path, delay: float = 0.05) -> tuple[list[str], Path]:
    log = tmp_path / "audits.log"
    script = tmp_path / "child.py"
    script.write_text(FAKE_CHILD.format(log=str(log), delay=delay), encoding="utf-8")
    return [sys.executable, str(script)], log


def events(log: Path) -> list[tuple[float, str, str, int]]:
    out = []
    for line in log.read_text(encoding="utf-8").splitlines():
        at, event, site, pid = line.split()
        out.append((float(at), event, site, int(pid)))
    return sorted(out)


def jobs_on(addresses: list[str], per_address: int) -> list[BulkJob]:
    return [BulkJob(f"{ip}:{1000 + i}", parse_target(f"{ip}:{1000 + i}"))
            for ip in addresses for i in range(per_address)]


async def run_pool(pool: ProcessPool, jobs: list[BulkJob], limits: BulkLimits,
                   stop: asyncio.Event | None = None) -> tuple[bool, list[SiteRow]]:
    rows: list[SiteRow] = []
    await pool.start(AuditSettings(), "en", 5.0)
    try:
        finished = await scan_all(jobs, AuditSettings(), limits, ruleset=load_ruleset(), catalog=load_catalog("en"),
                                  on_result=rows.append, stop=stop, run_site=pool.audit)
    finally:
        await pool.close()
    return finished, rows


def test_automatic_choice_is_one_per_core_and_never_more_than_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "usable_cores", lambda: 4)
    assert choose_processes(None, 1000, 32) == 4
    assert choose_processes(None, 45, 32) == 2  # one per 20 sites at most: a child costs its start-up
    assert choose_processes(None, 5, 32) == 1  # a handful of sites: audited in the bulk process itself
    assert choose_processes(None, 1000, 2) == 2  # never more than the sites allowed at once
    assert choose_processes(8, 1000, 32) == 8  # asked for: given, even above the cores
    assert choose_processes(8, 3, 32) == 3
    monkeypatch.setattr(processes, "usable_cores", lambda: 1)
    assert choose_processes(None, 1000, 32) == 1


def test_limits_hold_across_processes_one_address_in_one_process_and_every_site_gets_one_row(tmp_path: Path) -> None:
    command, log = fake_child(tmp_path)
    jobs = jobs_on(["127.0.0.2", "127.0.0.3", "127.0.0.4"], 8)
    pool = ProcessPool(3, command=command)
    finished, rows = asyncio.run(run_pool(pool, jobs, BulkLimits(concurrency=5, per_ip=2)))

    assert finished and sorted(row.site for row in rows) == sorted(job.site for job in jobs)
    assert all(row.error == "fake audit" for row in rows)
    now: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    total = peak_total = 0
    pids = set()
    in_hand: dict[str, dict[str, int]] = {}  # address -> its sites being audited -> their process
    for _, event, site, pid in events(log):
        address = site.rsplit(":", 1)[0]
        step = 1 if event == "start" else -1
        now[address] += step
        total += step
        peak[address] = max(peak[address], now[address])
        peak_total = max(peak_total, total)
        pids.add(pid)
        if event == "start":
            in_hand.setdefault(address, {})[site] = pid
        else:
            del in_hand[address][site]
        # Sites audited at once on one address are in one process, interleaved as in a one-process run.
        assert len(set(in_hand[address].values())) <= 1, (address, in_hand[address])
    assert len(pids) == 3  # the audits really ran in three processes
    assert max(peak.values()) == 2 and peak_total == 5  # per address and in total, as in one process


def test_a_killed_child_loses_nothing_and_a_site_that_kills_every_child_ends_as_error(tmp_path: Path) -> None:
    command, log = fake_child(tmp_path, delay=0.3)
    # On the sites' address, so it is audited in the same process as they are (and takes them down).
    jobs = [*jobs_on(["127.0.0.2"], 6), BulkJob("crash.example", parse_target("127.0.0.2:999"))]
    pool = ProcessPool(2, command=command)
    finished, rows = asyncio.run(run_pool(pool, jobs, BulkLimits(concurrency=7, per_ip=7)))

    assert finished and sorted(row.site for row in rows) == sorted(job.site for job in jobs)  # each once
    by_site = {row.site: row for row in rows}
    assert by_site["crash.example"].error == (
        f"abandoned: the process auditing this site was lost {MAX_DELIVERIES} times")
    assert by_site["crash.example"].error_wording == Wording("bulk.error.abandoned_process",
                                                             {"times": MAX_DELIVERIES})
    seen = events(log)
    starts = Counter(site for _, event, site, _ in seen if event == "start")
    assert starts["crash.example"] == MAX_DELIVERIES
    # The crash took the other audits its process had in hand; they started again in a fresh child. One in
    # hand at each of the crash's starts was lost as often and is recorded as abandoned too, never lost.
    for site, row in by_site.items():
        assert row.error == "fake audit" or (row.error.startswith("abandoned") and starts[site] == MAX_DELIVERIES)
    assert any(count > 1 and by_site[site].error == "fake audit" for site, count in starts.items())
    assert len({pid for *_, pid in seen}) >= 2 + MAX_DELIVERIES - 1


def test_an_audit_that_raises_in_a_child_is_that_sites_error_and_the_run_ends(tmp_path: Path) -> None:
    command, _ = fake_child(tmp_path)
    jobs = [*jobs_on(["127.0.0.2"], 2), BulkJob("bug.example", parse_target("127.0.0.2:998"))]
    pool = ProcessPool(2, command=command)
    finished, rows = asyncio.run(asyncio.wait_for(run_pool(pool, jobs, BulkLimits(concurrency=3, per_ip=3)), 60))

    assert finished and sorted(row.site for row in rows) == sorted(job.site for job in jobs)
    bug = next(row for row in rows if row.site == "bug.example")
    assert bug.overall == "error" and bug.error_wording is not None and bug.error_wording.id == "bulk.error.internal"
    assert "RuntimeError" in str(bug.error) and "a bug outside the audit's own guard" in str(bug.error)


def test_a_child_that_cannot_start_stops_the_run(tmp_path: Path) -> None:
    pool = ProcessPool(2, command=[sys.executable, "-c", "import sys; sys.exit(4)"])

    async def start() -> None:
        try:
            await pool.start(AuditSettings(), "en", 5.0)
        finally:
            await pool.close()

    with pytest.raises(ProcessStartError, match="did not start"):
        asyncio.run(start())


def test_stop_cancels_the_childrens_audits_and_ends_them(tmp_path: Path) -> None:
    command, log = fake_child(tmp_path, delay=60)
    pool = ProcessPool(2, command=command)

    async def stopped_run() -> tuple[bool, list[SiteRow]]:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.5, stop.set)
        return await run_pool(pool, jobs_on(["127.0.0.2"], 4), BulkLimits(concurrency=4, per_ip=4), stop)

    clock = time.monotonic()
    finished, rows = asyncio.run(stopped_run())
    assert not finished and rows == []  # in flight when stopped: not recorded, audited again on --resume
    assert time.monotonic() - clock < processes.CLOSE_TIMEOUT  # the children ended on their own, not killed
    cancelled = [site for _, event, site, _ in events(log) if event == "cancelled"]
    assert sorted(cancelled) == sorted(job.site for job in jobs_on(["127.0.0.2"], 4))


def test_children_spawned_for_a_run_that_never_begins_end_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    # `bulk` starts its workers before it has planned the run; a run refused after that (or stopped
    # before its setup was sent) must leave no process behind and print nothing.
    pool = ProcessPool(2)  # the real worker entry point: it loads the scanner, then waits for the setup
    pool.spawn()
    children = list(pool._children)
    clock = time.monotonic()
    pool.close_now()
    assert [child.process.returncode for child in children] == [0, 0]  # ended on their own, not killed
    assert time.monotonic() - clock < processes.CLOSE_TIMEOUT
    assert capfd.readouterr().err == ""
    pool.close_now()  # closing again ends nothing twice
