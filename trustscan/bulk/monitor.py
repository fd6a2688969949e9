"""Monitoring: the same portfolio audited again and again on a schedule, each round a run in the database.

A round is exactly a bulk run (`scan_all` over every site of the portfolio, recorded in the results
database row by row), so everything that reads runs (`portfolio`, `publish`, the history in
`trustscan.bulk.history`) reads rounds too. Rounds start `every` apart, counted from the start of
the previous round; a round that takes longer than `every` is followed at once by the next, never
overlapped by it. A stop (Ctrl-C, SIGTERM) ends the round in flight cleanly: the sites it finished
are kept, its run is marked interrupted, and no further round starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from trustscan.bulk.scheduler import BulkJob
from trustscan.bulk.store import ResultStore, SiteRow

__all__ = ["RoundOutcome", "RoundSource", "monitor", "monitor_by_beat"]


@dataclass(frozen=True)
class RoundOutcome:
    """How one round ended: its number (from 1), its run in the database, and whether it finished."""

    number: int
    run_id: int
    finished: bool
    counts: dict[str, int]
    done: int
    total: int
    next_start: float | None  # time.monotonic() of the next round's start; None after the last one


#: Runs one round: (run id, its jobs, stop) -> True when every job finished.
Scanner = Callable[[int, Sequence[BulkJob], asyncio.Event], Awaitable[bool]]


async def monitor(
    store: ResultStore,
    start_round: Callable[[int], tuple[int, Sequence[BulkJob]]],
    scan: Scanner,
    *,
    every: timedelta,
    rounds: int | None,
    stop: asyncio.Event,
    on_round_end: Callable[[RoundOutcome], None] = lambda outcome: None,
    clock: Callable[[], float] = time.monotonic,
) -> list[RoundOutcome]:
    """Run rounds until *rounds* are done (forever when None) or *stop* is set; every round's outcome.

    *start_round(number)* records the round's run (and its plan) and returns its id and jobs;
    *scan* audits them, recording each finished site. The last outcome says whether it finished.
    """
    if rounds is not None and rounds < 1:
        raise ValueError("rounds must be at least 1")
    outcomes: list[RoundOutcome] = []
    number = 0
    while not stop.is_set() and (rounds is None or number < rounds):
        number += 1
        began = clock()
        run_id, jobs = start_round(number)
        finished = await scan(run_id, jobs, stop)
        next_start = None if _last(finished, number, rounds) else began + every.total_seconds()
        outcome = _close_round(store, number, run_id, jobs, finished, next_start)
        outcomes.append(outcome)
        on_round_end(outcome)
        if next_start is None:
            break
        await _sleep_until(next_start, stop, clock)
    return outcomes


class RoundSource(Protocol):
    """What says when a round is due: Celery beat's round messages (trustscan.bulk.beat.RoundBeat)."""

    def wait_round(self, stop: threading.Event) -> bool: ...

    def next_round(self, now: float) -> float: ...


def monitor_by_beat(
    store: ResultStore,
    start_round: Callable[[int], tuple[int, Sequence[BulkJob]]],
    scan: Callable[[int, Sequence[BulkJob], threading.Event], bool],
    beat: RoundSource,
    *,
    rounds: int | None,
    stop: threading.Event,
    on_round_end: Callable[[RoundOutcome], None] = lambda outcome: None,
    clock: Callable[[], float] = time.monotonic,
) -> list[RoundOutcome]:
    """`monitor` with the rounds' timing taken from *beat* instead of a clock: a round starts when its message comes.

    Same outcomes and the same stop rules as `monitor`: a round ends before the next one is taken.
    """
    if rounds is not None and rounds < 1:
        raise ValueError("rounds must be at least 1")
    outcomes: list[RoundOutcome] = []
    number = 0
    while (rounds is None or number < rounds) and beat.wait_round(stop):
        number += 1
        run_id, jobs = start_round(number)
        finished = scan(run_id, jobs, stop)
        last = _last(finished, number, rounds)
        outcome = _close_round(store, number, run_id, jobs, finished, None if last else beat.next_round(clock()))
        outcomes.append(outcome)
        on_round_end(outcome)
        if last:
            break
    return outcomes


def _last(finished: bool, number: int, rounds: int | None) -> bool:
    """No round after this one: it was stopped, or it was the last asked for."""
    return not finished or (rounds is not None and number >= rounds)


def _close_round(store: ResultStore, number: int, run_id: int, jobs: Sequence[BulkJob], finished: bool,
                 next_start: float | None) -> RoundOutcome:
    """Record how the round's run ended and tell its outcome (counts as stored)."""
    store.set_status(run_id, "complete" if finished else "interrupted")
    info = store.run(run_id)
    return RoundOutcome(number, run_id, finished, store.counts(run_id), info.done if info else 0,
                        info.total if info else len(jobs), next_start)


async def _sleep_until(moment: float, stop: asyncio.Event, clock: Callable[[], float]) -> None:
    """Wait until *moment* (on *clock*) or until *stop* is set, whichever comes first."""
    delay = moment - clock()
    if delay <= 0:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=delay)


def recorder(store: ResultStore, run_id: int, then: Callable[[SiteRow], None]) -> Callable[[SiteRow], None]:
    """on_result for one round: the row is committed to *store* first, then *then* (progress) sees it."""

    def record(row: SiteRow) -> None:
        store.record(run_id, row)
        then(row)

    return record
