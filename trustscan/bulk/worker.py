"""`trustscan worker`: a Celery worker that audits the sites `bulk --broker` puts in its database's queue.

One worker process runs one asyncio event loop (in a thread) where every audit runs, exactly as the
embedded scheduler does, and a Celery thread pool that hands messages to it. A site first takes a
slot of its server address across all workers (trustscan.bulk.addressslots), then one of this
worker's `concurrency` slots, then runs `trustscan.bulk.scheduler.audit_one` - the function the
embedded path uses, so a site gets the same verdict either way.

Exactly once, whatever happens to workers:
- before auditing, a site that already has its row in the run is skipped (a redelivered message);
- the row is written with the store's unique key, so a late duplicate write changes nothing;
- each start of an audit counts one delivery in Redis; a site whose worker was lost MAX_DELIVERIES
  times (say, a site that crashes the process) is recorded as `error` with that reason instead of
  being redelivered forever;
- transient failures (database or broker briefly unreachable) are retried with exponential backoff,
  MAX_RETRIES times; then the site is recorded as `error` with the last reason.
A site whose address slot does not come free within ADDRESS_WAIT seconds, or that waits a whole site
deadline for one of this worker's slots, is put back at the end of the queue, so a message is held
unacknowledged at most `held_for(deadline)`, which the visibility timeout must exceed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trustscan.bulk.addressslots import AddressSlots
from trustscan.bulk.celeryapp import TASK_NAME, SiteTask, make_app, queue_name
from trustscan.bulk.database import DatabaseLocation
from trustscan.bulk.endpoints import Endpoint, scrub
from trustscan.bulk.scheduler import BulkJob, BulkLimits, audit_one, error_row, first_address
from trustscan.bulk.store import ResultStore, SiteRow
from trustscan.core.catalog import Catalog, load_catalog
from trustscan.core.errors import StoreError, StoreLostError, TargetError, WordedError
from trustscan.core.settings import AuditSettings, NameServer
from trustscan.core.target import parse_target
from trustscan.core.wordings import Wording
from trustscan.judge.ruleset import Ruleset
from trustscan.net.resolve import AnswerCache, Resolver

log = logging.getLogger("trustscan.worker")

MAX_PER_IP = 64  # as `bulk --per-ip` allows
MAX_DELIVERIES = 3  # audits started for one site before it is recorded as an error
MAX_RETRIES = 5  # transient-failure retries per delivery
ADDRESS_WAIT = 5.0  # seconds to wait for an address slot before requeueing the site
DELIVERY_KEY_TTL = 7 * 24 * 3600  # seconds a delivery count is kept in Redis
HEALTH_INTERVAL = 5.0  # seconds between the worker's checks that broker and database are still there
HEALTH_FAILURES = 3  # consecutive failed checks before the worker gives up (exit 3)


class TransientError(WordedError):
    """The database or the broker failed in a way that may pass: retry later (why: a `bulk.error.lost_*` Wording)."""


@dataclass(frozen=True)
class RunContext:
    """What every site of one run shares: its settings, language and catalogue (or why it cannot run)."""

    settings: AuditSettings | None
    catalog: Catalog | None
    problem: Wording | None = None


class WorkerRuntime:
    """Everything one worker process shares between its threads: store, event loop, Redis, caches."""

    def __init__(self, *, location: DatabaseLocation, broker: Endpoint, concurrency: int,
                 visibility_timeout: int, ruleset: Ruleset, audit: Callable[..., Any] | None = None) -> None:
        import redis  # MIT; the broker's own client, also used for slots and delivery counts

        self.location = location
        self.broker = broker
        self.visibility_timeout = visibility_timeout
        self.ruleset = ruleset
        self._audit = audit
        # Created if missing (as bulk does): workers may well start before the first bulk run.
        self._store = ResultStore(location, create=True)
        self.store_id = self._store.store_id
        self._store_lock = threading.Lock()
        self._runs: dict[int, RunContext] = {}
        self._redis = redis.Redis.from_url(broker.url, socket_connect_timeout=5, socket_timeout=30)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="trustscan-audits", daemon=True)
        self._thread.start()
        self._global = self._call(self._make_semaphore(concurrency))
        self._slots: AddressSlots = self._call(self._make_slots())
        self._resolvers: dict[Any, Resolver] = {}
        # One DNS cache per name server, as a bulk run has one: the audit finds the answers of the address
        # lookup that chose its slot, and the audits share their parent zones' (bounded, each for its TTL).
        # Per name server: runs asking different ones (`--resolver`) must not read each other's answers.
        self._dns_caches: dict[NameServer | None, AnswerCache] = {}

    # --- the task body -----------------------------------------------------------------------------

    def handle(self, task: SiteTask) -> str:
        """Audit one site and record it; returns what happened (for the log). TransientError to retry."""
        try:
            state = self._locked(self._store.site_state, task.run, task.site)
            if state is None:
                log.warning("%s: not a planned site of run %s; message dropped", task.site, task.run)
                return "dropped: not planned"
            planned_input, recorded = state
            if recorded:
                return "already recorded"
            context = self._context(task.run)
            if context.problem is not None or context.settings is None:
                why = context.problem or Wording("bulk.error.no_settings")
                return self._record(task.run, error_row(task.site, why))
            outcome = self._call(self._audit_site(task, planned_input, context))
            if outcome is None:
                self.requeue(task)
                return "requeued: address or worker busy"
            return self._record(task.run, outcome)
        except StoreLostError as exc:
            raise TransientError(exc.wording) from None
        except self._redis_errors() as exc:
            raise TransientError("bulk.error.lost_broker", broker=self.broker.shown,
                                 detail=scrub(str(exc), self.broker)) from None

    def give_up(self, task: SiteTask, reason: Wording) -> str:
        """After MAX_RETRIES transient failures: the site ends as `error` with the reason."""
        return self._record(task.run, error_row(task.site, Wording("bulk.error.gave_up",
                                                                   {"retries": MAX_RETRIES, "cause": reason})))

    def requeue(self, task: SiteTask) -> None:
        app = self.app
        app.send_task(TASK_NAME, kwargs=task.kwargs(), queue=queue_name(self.store_id))

    app: Any = None  # set by run_worker: the Celery app that requeues

    async def _audit_site(self, task: SiteTask, planned_input: str, context: RunContext) -> SiteRow | None:
        assert context.settings is not None and context.catalog is not None
        settings = context.settings
        deadline = settings.timeout + BulkLimits.deadline_margin
        per_ip = min(max(int(task.per_ip), 1), MAX_PER_IP)  # a message is input: bounded as the option is
        try:
            target = parse_target(planned_input)
        except TargetError as exc:  # its one line is English: quoted as it is, in a worded frame
            return error_row(task.site, Wording("bulk.error.invalid_target", {"detail": str(exc)}))
        # A message stays unacknowledged through the address wait, the wait for a local slot (at most
        # one deadline: bounded below) and the audit; it must come back only if this worker is gone.
        if held_for(deadline) > self.visibility_timeout:
            return error_row(task.site, Wording("bulk.error.visibility_timeout", {
                "seconds": f"{deadline:g}", "timeout": self.visibility_timeout, "needed": f"{held_for(deadline):g}"}))
        address = await first_address(target, self._resolver(settings))
        token = None
        if address is not None:
            token = await self._slots.acquire(address, per_ip, 2 * deadline + ADDRESS_WAIT, ADDRESS_WAIT)
            if token is None:
                return None
        try:
            try:
                await asyncio.wait_for(self._global.acquire(), deadline)
            except TimeoutError:
                return None  # this worker is saturated: back to the queue, another one may be free
            try:
                deliveries = await asyncio.to_thread(self._count_delivery, task)
                if deliveries > MAX_DELIVERIES:
                    return error_row(task.site, Wording("bulk.error.abandoned_worker", {"times": MAX_DELIVERIES}))
                return await audit_one(BulkJob(task.site, target), settings, ruleset=self.ruleset,
                                       catalog=context.catalog, audit=self._audit, deadline=deadline,
                                       dns_cache=self._dns_cache(settings))
            finally:
                self._global.release()
        finally:
            if token is not None and address is not None:
                with contextlib.suppress(Exception):  # the lease expires on its own if Redis is gone
                    await self._slots.release(address, token)

    def _count_delivery(self, task: SiteTask) -> int:
        key = f"trustscan:deliveries:{self.store_id}:{task.run}:{task.site}"
        with self._redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, DELIVERY_KEY_TTL)
            count, _ = pipe.execute()
        return int(count)

    # --- shared state ------------------------------------------------------------------------------

    def _context(self, run_id: int) -> RunContext:
        context = self._runs.get(run_id)
        if context is None:
            context = self._runs[run_id] = self._load_context(run_id)
        return context

    def _load_context(self, run_id: int) -> RunContext:
        run = self._locked(self._store.run, run_id)
        if run is None:
            return RunContext(None, None, Wording("bulk.error.no_run", {"run": run_id}))
        try:
            settings = AuditSettings.from_json(dict(run.settings))
        except (KeyError, TypeError, ValueError) as exc:
            return RunContext(None, None, Wording("bulk.error.run_settings", {"run": run_id, "detail": str(exc)}))
        for path in (settings.ca_bundle, *settings.blocklist_files):
            if path is not None and not path.is_file():
                return RunContext(None, None, Wording("bulk.error.missing_file", {"path": str(path)}))
        return RunContext(settings, load_catalog(run.language))

    def _resolver(self, settings: AuditSettings) -> Resolver:
        key = (settings.nameserver, settings.probe_timeout, settings.timeout)
        resolver = self._resolvers.get(key)
        if resolver is None:
            resolver = self._resolvers[key] = Resolver(settings.nameserver,
                                                       timeout=min(settings.probe_timeout, settings.timeout),
                                                       cache=self._dns_cache(settings))
        return resolver

    def _dns_cache(self, settings: AuditSettings) -> AnswerCache:
        cache = self._dns_caches.get(settings.nameserver)
        if cache is None:
            cache = self._dns_caches[settings.nameserver] = AnswerCache()
        return cache

    def _record(self, run_id: int, row: SiteRow) -> str:
        written = self._locked(self._store.record, run_id, row)
        return f"recorded {row.overall}" if written else "already recorded"

    def _locked(self, method: Callable[..., Any], *args: Any) -> Any:
        with self._store_lock:  # one connection per process, used by every thread in turn
            return method(*args)

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _make_semaphore(self, n: int) -> asyncio.Semaphore:
        return asyncio.Semaphore(n)

    async def _make_slots(self) -> AddressSlots:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(self.broker.url, socket_connect_timeout=5, socket_timeout=30)
        return AddressSlots(client)

    def _redis_errors(self) -> tuple[type[Exception], ...]:
        import redis.exceptions

        return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

    # --- health ------------------------------------------------------------------------------------

    def healthy(self) -> str | None:
        """None while broker and database answer; else why not (one line, masked)."""
        try:
            self._redis.ping()
        except Exception as exc:  # noqa: BLE001 - any failure to answer is the same news
            return f"lost the broker {self.broker.shown}: {scrub(str(exc), self.broker)}"
        try:
            self._locked(self._store.ping)
        except StoreError as exc:
            return str(exc)
        return None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._slots.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
        self._redis.close()
        with contextlib.suppress(Exception):
            self._store.close()


RESTORE_MARGIN = 10.0  # seconds between a lease ending and the visibility timeout (restore sweeps, clocks)


def held_for(deadline: float) -> float:
    """The longest a site's message stays unacknowledged on a live worker: address wait, local wait, audit."""
    return ADDRESS_WAIT + 2 * deadline + RESTORE_MARGIN


def run_worker(runtime: WorkerRuntime, *, concurrency: int, quiet: bool) -> int:
    """Consume the database's queue until stopped; the exit code (0 on a clean stop, 3 if a service was lost)."""
    app = make_app(runtime.broker.url, visibility_timeout=runtime.visibility_timeout)
    runtime.app = app

    @app.task(name=TASK_NAME, bind=True, acks_late=True, max_retries=None)
    def audit_site(self: Any, **kwargs: Any) -> str:
        task = SiteTask(int(kwargs["run"]), str(kwargs["site"]), int(kwargs["per_ip"]))
        return run_task(runtime, task, self.request.retries, self.retry)

    worker = app.Worker(pool="threads", concurrency=concurrency * 2, queues=[queue_name(runtime.store_id)],
                        loglevel="INFO" if not quiet else "WARNING", quiet=True, without_heartbeat=True,
                        without_mingle=True, without_gossip=True,
                        hostname=f"trustscan-{os.getpid()}@{socket.gethostname()}")
    threading.Thread(target=_watch, args=(runtime,), name="trustscan-health", daemon=True).start()
    try:
        worker.start()
    finally:
        runtime.close()
    return int(getattr(worker, "exitcode", 0) or 0)


def run_task(runtime: WorkerRuntime, task: SiteTask, retries: int, retry: Callable[..., Exception]) -> str:
    """One delivery of a site: audit and record it, retry a transient failure with backoff, or give up.

    `retry` is Celery's `Task.retry`: it publishes the message again after `countdown` seconds and
    returns the exception that acknowledges this delivery.
    """
    try:
        outcome = runtime.handle(task)
    except TransientError as exc:
        if retries >= MAX_RETRIES:
            try:
                return runtime.give_up(task, exc.wording)
            except StoreError:
                raise exc from None  # not acknowledged: redelivered after the visibility timeout
        log.warning("%s: %s; retry %d of %d", task.site, exc, retries + 1, MAX_RETRIES)
        raise retry(countdown=backoff(retries)) from None
    log.info("%s: %s", task.site, outcome)
    return outcome


def backoff(retries: int) -> float:
    """Seconds before retry number `retries + 1`: 1, 2, 4, 8, 16, then 30 at most."""
    return float(min(2 ** retries, 30))


def _watch(runtime: WorkerRuntime) -> None:
    """End the process (exit 3, one line) when the broker or the database stops answering HEALTH_FAILURES times.

    The process ends at once rather than draining: its unacknowledged messages go back to the queue
    after the visibility timeout and another worker audits them, so nothing in flight is lost.
    """
    failures = 0
    while True:
        time.sleep(HEALTH_INTERVAL)
        problem = runtime.healthy()
        failures = failures + 1 if problem else 0
        if problem and failures >= HEALTH_FAILURES:
            print(f"trustscan: error: {problem}", file=sys.stderr, flush=True)
            os._exit(3)
