"""`monitor --broker`: Celery beat schedules the rounds, `trustscan worker` processes audit their sites.

Celery beat runs embedded in the monitor process (a thread, an in-memory schedule: no schedule file
is written) and publishes one round message every `every` on the database's rounds queue,
`trustscan.<store_id>.rounds` (workers never consume it: they take sites from `trustscan.<store_id>`).
The monitor takes round messages one at a time and runs each round as `bulk --broker` runs a run:
the sites are queued for the workers and the round is followed in the database. So rounds never
overlap: messages beat published while a round was still running are merged into one round that
starts at once. The first round does not wait for beat's first tick: it is queued at start.
A stop ends the beat thread and empties both queues (workers finish the sites they hold).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from queue import Empty
from typing import Any

from trustscan.bulk.celeryapp import SiteTask, make_app, queue_name
from trustscan.bulk.dispatch import BrokerError, Dispatcher
from trustscan.bulk.endpoints import scrub
from trustscan.bulk.scheduler import BulkJob
from trustscan.bulk.store import ResultStore

__all__ = ["ROUND_TASK", "RoundBeat", "distribute_round", "rounds_queue"]

ROUND_TASK = "trustscan.monitor_round"
_POLL = 0.5  # seconds between looks for a round message (and at the stop flag)


def rounds_queue(store_id: str) -> str:
    return f"{queue_name(store_id)}.rounds"


class RoundBeat:
    """Celery beat publishing round messages for one database, and the monitor's side that takes them."""

    def __init__(self, dispatcher: Dispatcher, store_id: str, every: timedelta) -> None:
        from celery import beat  # BSD; only for the scale-out paths

        self._dispatcher = dispatcher
        self.queue = rounds_queue(store_id)
        self.every = every
        self._app = make_app(dispatcher.broker.url)
        self._app.conf.beat_schedule = {"trustscan-monitor-round": {
            "task": ROUND_TASK, "schedule": every.total_seconds(), "options": {"queue": self.queue}}}
        # In memory (celery.beat.Scheduler), not the shelve-backed default that writes celerybeat-schedule.
        self._service: Any = beat.EmbeddedService(self._app, thread=True, scheduler_cls="celery.beat:Scheduler")
        self._started = 0.0

    def start(self) -> None:
        """Empty the rounds queue, queue the first round, start beat's clock."""
        self._call(lambda conn: conn.default_channel.queue_purge(self.queue))
        self._call(lambda conn: self._app.send_task(ROUND_TASK, queue=self.queue))
        self._started = time.monotonic()
        self._service.start()

    def next_round(self, now: float) -> float:
        """When (time.monotonic()) beat publishes its next round message after *now*."""
        period = self.every.total_seconds()
        return self._started + max(1, math.ceil((now - self._started) / period)) * period

    def wait_round(self, stop: threading.Event) -> bool:
        """Block until a round message comes (True) or *stop* is set (False); piled-up messages merge into one."""
        while not stop.is_set():
            if self._take(block=True):
                while self._take(block=False):
                    pass
                return True
        return False

    def _take(self, *, block: bool) -> bool:
        def get(conn: Any) -> bool:
            with conn.SimpleQueue(self.queue, no_ack=False) as queue:
                try:
                    message = queue.get(block=block, timeout=_POLL if block else None)
                except Empty:
                    return False
                message.ack()
                return True

        return bool(self._call(get))

    def stop(self) -> None:
        """End beat's thread and drop round messages still waiting."""
        if self._service.is_alive():
            self._service.stop()
            self._service.join(timeout=10)
        with contextlib.suppress(BrokerError):  # stopping anyway; the next monitor start empties it too
            self._call(lambda conn: conn.default_channel.queue_purge(self.queue))

    def _call(self, action: Callable[[Any], Any]) -> Any:
        try:
            with self._app.connection_for_write() as conn:
                return action(conn)
        except Exception as exc:  # noqa: BLE001 - refused, timed out, lost: one masked line
            broker = self._dispatcher.broker
            raise BrokerError(f"lost the broker {broker.shown}: {scrub(str(exc), broker)}") from None


def distribute_round(dispatcher: Dispatcher, store: ResultStore, run_id: int, jobs: Sequence[BulkJob], per_ip: int,
                     on_counts: Callable[[dict[str, int]], None], stop: threading.Event) -> bool:
    """Queue a round's sites for the workers and follow it in the database; True when every site is in.

    On stop the sites still queued are dropped (workers finish those they hold); BrokerError or
    StoreLostError when a service goes away.
    """
    store_id = store.store_id
    dispatcher.purge(store_id)  # leftovers of a killed earlier run of this database
    dispatcher.enqueue(store_id, (SiteTask(run_id, job.site, per_ip) for job in jobs))
    finished = dispatcher.follow(store, run_id, len(jobs), on_counts, stop)
    if not finished:
        dispatcher.purge(store_id)
    return finished
