"""The monitor's rounds loop over a real results database, with injected scans (no network)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from trustscan.bulk.history import load_histories
from trustscan.bulk.monitor import RoundOutcome, monitor, monitor_by_beat, recorder
from trustscan.bulk.portfolio import parse_text
from trustscan.bulk.scheduler import BulkJob
from trustscan.bulk.store import ResultStore, SiteRow

PORTFOLIO = parse_text("a.gov.vn\nb.gov.vn\nc.gov.vn\n")


def start_round(store: ResultStore):  # type: ignore[no-untyped-def]
    def start(number: int) -> tuple[int, list[BulkJob]]:
        run_id = store.create_run(portfolio="p.txt", digest=PORTFOLIO.digest, settings={}, language="en",
                                  tool_version="t", entries=PORTFOLIO.entries)
        return run_id, [BulkJob(e.key, e.target) for e in PORTFOLIO.entries]
    return start


def scanner(store: ResultStore, verdicts: dict[int, str], *, stop_in_round: int | None = None, delay: float = 0.0):  # type: ignore[no-untyped-def]
    """Records every job with the verdict of its round (b.gov.vn follows `verdicts`, the others pass)."""
    rounds: list[int] = []

    async def scan(run_id: int, jobs: Sequence[BulkJob], stop: asyncio.Event) -> bool:
        rounds.append(run_id)
        record = recorder(store, run_id, lambda row: None)
        for i, job in enumerate(jobs):
            if stop_in_round == len(rounds) and i == 1:
                stop.set()  # Ctrl-C after the first site of this round
            if stop.is_set():
                return False
            await asyncio.sleep(delay)
            overall = verdicts.get(len(rounds), "pass") if job.site.startswith("b.") else "pass"
            record(SiteRow(job.site, overall, {"c": overall}, None, None, 0.1, f"2026-12-01T10:0{len(rounds)}:00Z"))
        return True

    return scan


def test_three_rounds_every_interval_each_a_run(tmp_path: Path) -> None:
    ended: list[RoundOutcome] = []
    with ResultStore(tmp_path / "r.db") as store:
        clock = time.monotonic()
        outcomes = asyncio.run(monitor(store, start_round(store), scanner(store, {2: "fail"}),
                                       every=timedelta(seconds=0.3), rounds=3, stop=asyncio.Event(),
                                       on_round_end=ended.append))
        elapsed = time.monotonic() - clock
        assert ended == outcomes and [o.number for o in outcomes] == [1, 2, 3]
        assert [o.run_id for o in outcomes] == [1, 2, 3] and all(o.finished for o in outcomes)
        assert [o.counts["fail"] for o in outcomes] == [0, 1, 0]
        assert outcomes[-1].next_start is None and outcomes[0].next_start is not None
        assert 0.6 <= elapsed < 3.0  # two waits of `every` between three rounds, none after the last
        assert [(r.id, r.status, r.done) for r in store.runs()] == [(1, "complete", 3), (2, "complete", 3),
                                                                    (3, "complete", 3)]
        b = load_histories(store)["b.gov.vn:443"]
        assert [r.overall for r in b.rounds] == ["pass", "fail", "pass"]


def test_a_round_longer_than_every_is_followed_at_once_never_overlapped(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.db") as store:
        clock = time.monotonic()
        outcomes = asyncio.run(monitor(store, start_round(store), scanner(store, {}, delay=0.1),
                                       every=timedelta(seconds=0.05), rounds=2, stop=asyncio.Event()))
        assert len(outcomes) == 2 and time.monotonic() - clock < 2.0


def test_stop_in_a_round_keeps_its_finished_sites_and_starts_no_other(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.db") as store:
        outcomes = asyncio.run(monitor(store, start_round(store), scanner(store, {}, stop_in_round=2),
                                       every=timedelta(seconds=0.01), rounds=5, stop=asyncio.Event()))
        assert [(o.number, o.finished, o.done) for o in outcomes] == [(1, True, 3), (2, False, 1)]
        assert [(r.status, r.done) for r in store.runs()] == [("complete", 3), ("interrupted", 1)]


def test_stop_while_waiting_ends_at_once(tmp_path: Path) -> None:
    async def go(store: ResultStore) -> list[RoundOutcome]:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.2, stop.set)
        return await monitor(store, start_round(store), scanner(store, {}), every=timedelta(hours=1), rounds=None,
                             stop=stop)

    with ResultStore(tmp_path / "r.db") as store:
        clock = time.monotonic()
        outcomes = asyncio.run(go(store))
        assert time.monotonic() - clock < 5 and [o.finished for o in outcomes] == [True]
        assert [r.status for r in store.runs()] == ["complete"]


def test_rounds_must_be_positive(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.db") as store, pytest.raises(ValueError):
        asyncio.run(monitor(store, start_round(store), scanner(store, {}), every=timedelta(seconds=1), rounds=0,
                            stop=asyncio.Event()))


class FakeBeat:
    """Round messages on demand: `due` rounds are waiting; next_round is a fixed estimate."""

    def __init__(self, due: int) -> None:
        self.due = due

    def wait_round(self, stop: threading.Event) -> bool:
        if stop.is_set() or self.due == 0:
            return False
        self.due -= 1
        return True

    def next_round(self, now: float) -> float:
        return now + 60


def sync_scanner(store: ResultStore, *, stop_in_round: int | None = None):  # type: ignore[no-untyped-def]
    rounds: list[int] = []

    def scan(run_id: int, jobs: Sequence[BulkJob], stop: threading.Event) -> bool:
        rounds.append(run_id)
        for i, job in enumerate(jobs):
            if stop_in_round == len(rounds) and i == 1:
                stop.set()
            if stop.is_set():
                return False
            store.record(run_id, SiteRow(job.site, "pass", {"c": "pass"}, None, None, 0.1, "2026-12-01T10:00:00Z"))
        return True

    return scan


def test_rounds_timed_by_beat_messages(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.db") as store:
        outcomes = monitor_by_beat(store, start_round(store), sync_scanner(store), FakeBeat(due=5), rounds=2,
                                   stop=threading.Event())
        assert [(o.number, o.finished, o.done) for o in outcomes] == [(1, True, 3), (2, True, 3)]
        assert outcomes[0].next_start is not None and outcomes[1].next_start is None
        # No message: no round; a stop in a round ends it interrupted, and no other round starts.
        assert monitor_by_beat(store, start_round(store), sync_scanner(store), FakeBeat(due=0), rounds=None,
                               stop=threading.Event()) == []
        stopped = monitor_by_beat(store, start_round(store), sync_scanner(store, stop_in_round=1), FakeBeat(due=5),
                                  rounds=None, stop=threading.Event())
        assert [(o.finished, o.done) for o in stopped] == [(False, 1)]
        assert [r.status for r in store.runs()] == ["complete", "complete", "interrupted"]


def test_beat_round_messages_pile_up_into_one_round(redis_server: Any, tmp_path: Path) -> None:
    """Messages beat published while a round ran are taken as one round (rounds never overlap or queue up)."""
    from trustscan.bulk.beat import ROUND_TASK, RoundBeat
    from trustscan.bulk.dispatch import Dispatcher
    from trustscan.bulk.endpoints import REDIS_SCHEMES, parse_endpoint

    dispatcher = Dispatcher(parse_endpoint(redis_server.url(5), REDIS_SCHEMES, "broker"))
    beat = RoundBeat(dispatcher, "test-store", timedelta(hours=1))
    try:
        beat.start()  # queues the first round at once
        for _ in range(3):
            beat._app.send_task(ROUND_TASK, queue=beat.queue)  # as beat's ticks during a long round
        stop = threading.Event()
        assert beat.wait_round(stop)  # one round for all four messages
        import redis

        assert redis.Redis.from_url(redis_server.url(5)).llen(beat.queue) == 0  # the other three merged into it
        stop.set()
        assert not beat.wait_round(stop)
        clock = time.monotonic()
        assert 3590 < beat.next_round(clock) - clock <= 3600
    finally:
        beat.stop()
        dispatcher.close()
    assert not any(Path.cwd().glob("celerybeat-schedule*"))
