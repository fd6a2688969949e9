"""`bulk --broker`: put one message per site in the database's queue, then follow the run until every site is in.

The bulk process audits nothing itself; workers (trustscan.bulk.worker) do, and write each site's
row into the shared database. Progress is read from that database (the one source of truth), so it
counts exactly what is recorded, whichever worker recorded it and however often a message was
redelivered. The queue belongs to the database (one bulk per database at a time, by the store's
lock): it is emptied before a run's sites are queued, so a killed earlier run leaves nothing behind,
and again when the run is interrupted, so workers stop picking up its sites.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from trustscan.bulk.celeryapp import TASK_NAME, SiteTask, make_app, queue_name
from trustscan.bulk.endpoints import Endpoint, scrub
from trustscan.bulk.store import ResultStore

POLL_INTERVAL = 0.5  # seconds between progress reads from the database
BROKER_CHECK_INTERVAL = 5.0  # seconds between checks that the broker still answers


class BrokerError(Exception):
    """The broker cannot be reached (at start: exit 2) or went away (mid-run: exit 3); one masked line."""


class Dispatcher:
    """The broker side of a distributed bulk run."""

    def __init__(self, broker: Endpoint) -> None:
        import redis  # MIT

        self.broker = broker
        self._redis = redis.Redis.from_url(broker.url, socket_connect_timeout=5, socket_timeout=30)
        self._app = make_app(broker.url)

    def check(self) -> None:
        """BrokerError unless the broker answers a PING (and accepts our credentials)."""
        try:
            self._redis.ping()
        except Exception as exc:  # noqa: BLE001 - refused, timed out, wrong password: all one answer
            raise BrokerError(f"cannot reach broker {self.broker.shown}: {scrub(str(exc), self.broker)}") from None

    def purge(self, store_id: str) -> None:
        """Drop every message waiting in the database's queue (messages being audited are not affected)."""
        try:
            with self._app.connection_for_write() as connection:
                connection.default_channel.queue_purge(queue_name(store_id))
        except Exception as exc:  # noqa: BLE001
            raise BrokerError(f"lost the broker {self.broker.shown}: {scrub(str(exc), self.broker)}") from None

    def enqueue(self, store_id: str, tasks: Iterable[SiteTask]) -> int:
        """Publish one message per site; the number published."""
        queue = queue_name(store_id)
        count = 0
        try:
            with self._app.producer_or_acquire() as producer:
                for task in tasks:
                    self._app.send_task(TASK_NAME, kwargs=task.kwargs(), queue=queue, producer=producer)
                    count += 1
        except Exception as exc:  # noqa: BLE001
            raise BrokerError(f"lost the broker {self.broker.shown}: {scrub(str(exc), self.broker)}") from None
        return count

    def follow(self, store: ResultStore, run_id: int, total: int, on_counts: Callable[[dict[str, int]], None],
               stop: threading.Event) -> bool:
        """Report counts as rows arrive; True once every planned site has its row, False when `stop` is set.

        StoreLostError when the database goes away, BrokerError when the broker does.
        """
        next_check = time.monotonic() + BROKER_CHECK_INTERVAL
        while True:
            counts = store.counts(run_id)
            on_counts(counts)
            if sum(counts.values()) >= total:
                return True
            if stop.wait(POLL_INTERVAL):
                return False
            if time.monotonic() >= next_check:
                self._alive()
                next_check = time.monotonic() + BROKER_CHECK_INTERVAL

    def _alive(self) -> None:
        try:
            self._redis.ping()
        except Exception as exc:  # noqa: BLE001
            raise BrokerError(f"lost the broker {self.broker.shown}: {scrub(str(exc), self.broker)}") from None

    def close(self) -> None:
        self._redis.close()
        closer: Any = getattr(self._app, "close", None)
        if closer is not None:
            closer()
