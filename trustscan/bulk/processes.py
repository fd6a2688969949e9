"""`bulk --processes N`: the embedded run's audits spread over N local worker processes (the machine's cores).

One Python process audits about one core's worth of sites (the audit is CPU-bound on a fast network);
this module lets one `trustscan bulk` use more. The parent keeps everything that must be one: the
plan, the results database (its only writer), the progress bar, the stop on Ctrl-C/SIGTERM, and the
scheduler's limits - `scan_all`'s global `--concurrency` semaphore and its per-address `--per-ip`
semaphores decide when a site starts, exactly as in a one-process run. Only then does the site go to
a child: the one already auditing sites of the same server address, if any, else the one with the
fewest audits in hand; the child runs `audit_one` (the one-process run's function, so the verdicts
are the same) and sends the SiteRow back. Politeness therefore holds across processes as it does in
one: no child starts a site the parent has not given an address slot, and the sites audited at once
on one address share one process and its event loop, so their connections interleave as they did in
one process (spread over processes running truly in parallel, more of them were open at once).

Children are `python -c` processes of the same interpreter and import path (entry point:
trustscan.cli.processworker, which starts as the console script does), speaking pickled
messages (multiprocessing.connection framing) over their stdin and stdout: the parent sends the
run's settings once, then one BulkJob per site; the child answers "ready", then one SiteRow per site.
A BulkJob carries the DNS answers the parent's address lookup got for the site (BulkJob.answers): the
child's audit uses them until they expire instead of asking the name server the same questions again.
The parent starts its children first thing (`spawn`), so they import the scanner and read the shipped
data (trustscan.collect.warm) while it loads and plans the run; the settings follow (`start`).
A child ignores SIGINT and SIGTERM (a terminal's Ctrl-C reaches the whole process group; the parent
turns it into the run's clean stop) and ends when its stdin closes: because the parent closed it
(run finished or stopped) or because the parent died (a killed bulk leaves no orphan auditing on).

A child that dies mid-run (killed, out of memory, a crash in a C library) loses only the audits it had
in hand: each starts again in a fresh child, up to MAX_DELIVERIES starts per site; then the site is
recorded as `error` saying so, so a site that kills its process every time cannot stall the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, NoReturn

from trustscan.bulk.store import SiteRow
from trustscan.core.wordings import Wording

if TYPE_CHECKING:  # the scheduler (and the DNS and HTTP stacks it imports) loads after `spawn`: see ProcessPool
    from trustscan.bulk.scheduler import BulkJob
    from trustscan.core.settings import AuditSettings

MAX_DELIVERIES = 3  # starts of one site's audit (each in a live child) before it is recorded as an error
READY_TIMEOUT = 120.0  # seconds a new child may take to import the scanner and load the rules
CLOSE_TIMEOUT = 10.0  # seconds children get to end after their stdin closed, before they are killed
SETTLE_TURNS = 3  # event-loop turns a child lets pass after an audit, so its closed sockets are closed
SITES_PER_PROCESS = 20  # the automatic choice starts no process for fewer sites than this: each costs ~0.4 s CPU

_CHILD_CODE = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
               "from trustscan.cli.processworker import main; main()")


class ProcessStartError(Exception):
    """A worker process could not start (it ended or stayed silent before saying it was ready)."""


class ChildLost(Exception):  # noqa: N818 - an event, not a failure of the caller
    """The child auditing a site ended before sending the site's row; `started`: after it took the site."""

    def __init__(self, started: bool = False) -> None:
        super().__init__()
        self.started = started


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask, where the system has one)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def choose_processes(asked: int | None, sites: int, concurrency: int) -> int:
    """Processes to audit `sites` with: `asked` when given, else one per usable core, but no more than
    one per SITES_PER_PROCESS sites; never more than the sites or the concurrency (an idle child only
    costs). 1 means the audits run in the bulk process itself, as before --processes existed."""
    wanted = asked if asked is not None else min(usable_cores(), max(1, sites // SITES_PER_PROCESS))
    return max(1, min(wanted, sites, concurrency))


class _Child:
    """One worker process, seen from the parent's event loop."""

    def __init__(self, command: Sequence[str]) -> None:
        """Start the process; it loads the scanner, then waits for `attach`'s setup (no event loop needed yet)."""
        jobs_read, jobs_write = os.pipe()
        rows_read, rows_write = os.pipe()
        try:
            # close_fds (the default) keeps the other children's pipe ends out of this one, so each
            # child sees EOF as soon as the parent closes its pipe or dies.
            self.process = subprocess.Popen(list(command), stdin=jobs_read, stdout=rows_write)
        finally:
            os.close(jobs_read)
            os.close(rows_write)
        self._jobs = Connection(jobs_write, readable=False)
        self._rows = Connection(rows_read, writable=False)
        self._pending: dict[str, asyncio.Future[SiteRow]] = {}
        self._started: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.lost = False

    def attach(self, setup: tuple[Any, ...]) -> None:
        """Watch the process from the running event loop and send it the run's setup."""
        self._loop = asyncio.get_running_loop()
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._loop.add_reader(self._rows.fileno(), self._readable)
        self._send(("setup", *setup))

    @property
    def busy(self) -> int:
        return len(self._pending)

    async def ready(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except (TimeoutError, ChildLost):
            self.kill()
            raise ProcessStartError(f"a worker process (pid {self.process.pid}) did not start: it ended with "
                                    f"{self.process.poll()} or stayed silent {timeout:g}s") from None

    async def audit(self, job: BulkJob) -> SiteRow:
        """The site's row from this child; ChildLost when the child ends first."""
        if self.lost:
            raise ChildLost
        future: asyncio.Future[SiteRow] = asyncio.get_running_loop().create_future()
        self._pending[job.site] = future
        try:
            self._send(job)
            return await future
        finally:
            self._pending.pop(job.site, None)
            self._started.discard(job.site)

    def _send(self, message: Any) -> None:
        # A broken pipe means the child is ending: the EOF of its output, read after the messages it sent
        # before ending (which say what it had started), loses what it had in hand, this job included.
        with contextlib.suppress(OSError):
            self._jobs.send(message)

    def _readable(self) -> None:
        try:
            message = self._rows.recv()
        except (EOFError, OSError):
            self._lose()
            return
        if message == ("ready",):
            if not self._ready.done():
                self._ready.set_result(None)
            return
        if isinstance(message, tuple) and message[0] == "started":
            self._started.add(message[1])
            return
        future = self._pending.get(message.site) if isinstance(message, SiteRow) else None
        if future is not None and not future.done():
            future.set_result(message)
        # else: a row of an audit cancelled by a stop; as in one process, it is not recorded

    def _lose(self) -> None:
        if self.lost:
            return
        self.lost = True
        if self._loop is None:  # never attached: nothing watches it, nobody waits for it
            return
        self._loop.remove_reader(self._rows.fileno())
        if not self._ready.done():
            self._ready.set_exception(ChildLost())
        for site, future in self._pending.items():
            if not future.done():
                future.set_exception(ChildLost(started=site in self._started))
        self._ready.exception()  # retrieved: a child lost after its start is news for the audits only

    def close_input(self) -> None:
        """Tell the child to stop: it cancels what it has in hand and ends."""
        with contextlib.suppress(OSError):
            self._jobs.close()

    def kill(self) -> None:
        self._lose()
        self.close_input()
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    def end(self) -> None:
        """Wait for the process to end (killing it after CLOSE_TIMEOUT) and reap it; from any thread."""
        try:
            self.process.wait(timeout=CLOSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            self.process.wait()

    def release(self) -> None:
        """Once the process has ended: stop watching its output and free the parent's end of the pipe."""
        self._lose()
        with contextlib.suppress(OSError):
            self._rows.close()


class ProcessPool:
    """N worker processes auditing the sites the scheduler starts; `audit` is scan_all's `run_site`."""

    def __init__(self, size: int, *, command: Sequence[str] | None = None) -> None:
        self._size = size
        self._setup: tuple[Any, ...] = ()
        self._command = list(command) if command is not None else child_command()
        self._children: list[_Child] = []
        self._ended: list[_Child] = []
        self._replacing = asyncio.Lock()
        self._owner: dict[str, _Child] = {}  # server address -> the child auditing its sites now
        self._holding: Counter[str] = Counter()  # server address -> its sites in hand

    def spawn(self) -> None:
        """Start the processes now, before the run's event loop exists: each loads the scanner (~0.4 s of
        CPU) while the bulk process is still loading and planning, instead of after it."""
        if not self._children:
            self._children = [_Child(self._command) for _ in range(self._size)]

    async def start(self, settings: AuditSettings, language: str, deadline_margin: float) -> None:
        """Give every child the run's setup and wait until each is ready (started by `spawn` if not yet)."""
        self.spawn()
        self._setup = (settings, language, deadline_margin)
        for child in self._children:
            child.attach(self._setup)
        await asyncio.gather(*(child.ready(READY_TIMEOUT) for child in self._children))

    async def audit(self, job: BulkJob, address: str | None = None) -> SiteRow:
        """The site's row, from the child auditing `address` (else the least busy one); started again in a
        fresh child if its child is lost.

        Only starts count (a child says when it takes a site): a site still waiting in the pipe of a child
        that another site crashed is not held against it. The bound on tries keeps a child that dies
        before taking anything (and yet starts again) from looping forever.
        """
        starts = 0
        key = address or ""  # sites without a known address are counted together, never given an owner
        for _ in range(MAX_DELIVERIES * 4):
            child = await self._child_for(address)
            self._holding[key] += 1
            try:
                return await child.audit(job)
            except ChildLost as lost:
                starts += lost.started
                if starts >= MAX_DELIVERIES:
                    break
            finally:
                self._holding[key] -= 1
                if not self._holding[key]:
                    del self._holding[key]
                    self._owner.pop(key, None)
        from trustscan.bulk.scheduler import error_row

        return error_row(job.site, Wording("bulk.error.abandoned_process", {"times": MAX_DELIVERIES}))

    async def _child_for(self, address: str | None) -> _Child:
        await self._replace_lost()
        owner = self._owner.get(address) if address else None
        if owner is not None and not owner.lost:
            return owner
        child = min(self._children, key=lambda child: child.busy)
        if address:
            self._owner[address] = child
        return child

    async def _replace_lost(self) -> None:
        if any(child.lost for child in self._children):
            async with self._replacing:  # one replacement per lost child, however many audits it held
                for index, child in enumerate(self._children):
                    if child.lost:
                        self._ended.append(child)
                        fresh = _Child(self._command)
                        fresh.attach(self._setup)
                        self._children[index] = fresh
                        await fresh.ready(READY_TIMEOUT)

    async def close(self) -> None:
        """End every child: input closed, CLOSE_TIMEOUT seconds to go, then killed; all reaped."""
        children = self._closing()

        def end_all() -> None:
            for child in children:
                child.end()

        await asyncio.to_thread(end_all)
        for child in children:
            child.release()  # in the loop's thread: it stops the loop watching the child

    def close_now(self) -> None:
        """`close` outside the event loop (a run refused after `spawn`); blocks while the children end."""
        for child in self._closing():
            child.end()
            child.release()

    def _closing(self) -> list[_Child]:
        children = [*self._children, *self._ended]
        self._children, self._ended = [], []  # closing twice ends nothing twice
        for child in children:
            child.close_input()
        return children


def child_command() -> list[str]:
    """This interpreter, with this process's import path, running the worker's entry point (which runs
    child_main)."""
    return [sys.executable, "-c", _CHILD_CODE, json.dumps(sys.path)]


# --- the child side -----------------------------------------------------------------------------------


def child_main(loaded: Callable[[], None] = lambda: None) -> NoReturn:
    """A worker process: audit each BulkJob read from stdin, write each SiteRow to stdout, until stdin ends.

    `loaded` is called once the scanner and the rules are loaded, before the first audit (the entry
    point, trustscan.cli.processworker, ends its start-up there as the console script does).
    """
    jobs, rows = child_connections()
    from trustscan.audit import load_checked_ruleset
    from trustscan.bulk.scheduler import audit_one
    from trustscan.collect.warm import warm_up
    from trustscan.core.catalog import load_catalog
    from trustscan.net.resolve import AnswerCache

    # Loaded before the setup is read: the bulk process sends it once it has planned the run, and
    # until then this process has a core to itself.
    ruleset = load_checked_ruleset()
    warm_up()
    try:
        kind, settings, language, deadline_margin = jobs.recv()
    except (EOFError, OSError):  # the run was refused or stopped before it began
        os._exit(0)
    assert kind == "setup"
    catalog = load_catalog(language)
    loaded()
    deadline = settings.timeout + deadline_margin
    dns_cache = AnswerCache()  # this process's audits share their DNS answers (parent zones)

    async def audit(job: BulkJob) -> SiteRow:
        if job.answers is not None:  # the parent's lookup of this name, each answer until its own expiry
            dns_cache.adopt(job.answers)
        return await audit_one(job, settings, ruleset=ruleset, catalog=catalog, deadline=deadline,
                               dns_cache=dns_cache)

    serve(jobs, rows, audit)


def child_connections() -> tuple[Connection, Connection]:
    """The child's two connections: jobs in (the first message is the run's setup), rows out.

    Signals meant for the run are the parent's to handle; anything else writing to stdout (a library's
    print, C code) is sent to stderr, out of the rows' framing.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    jobs = Connection(os.dup(0), writable=False)
    rows = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return jobs, rows


def serve(jobs: Connection, rows: Connection, audit: Callable[[BulkJob], Awaitable[SiteRow]]) -> NoReturn:
    """Say ready, then audit every job concurrently (the parent bounds how many) until stdin ends; exit."""
    rows.send(("ready",))
    asyncio.run(_serve(jobs, rows, audit))
    sys.stderr.flush()
    # As the console script does: an abandoned sslyze daemon thread can abort CPython's shutdown.
    os._exit(0)


async def _serve(jobs: Connection, rows: Connection, audit: Callable[[BulkJob], Awaitable[SiteRow]]) -> None:
    from trustscan.bulk.scheduler import internal_error_row

    loop = asyncio.get_running_loop()
    ended = asyncio.Event()
    audits: set[asyncio.Task[None]] = set()

    async def one(job: BulkJob) -> None:
        clock = time.monotonic()
        try:
            row = await audit(job)
        except Exception as exc:  # noqa: BLE001 - without a row the parent would wait for this site forever
            row = internal_error_row(job.site, exc, clock)
        # The audit closed its connections, but asyncio closes a socket one loop turn after close() is
        # called (and judging and the report follow without a turn). In one process those turns come
        # before the next site's audit starts; here the row frees the address slot for another process at
        # once, so the turns are taken first: --per-ip never sees a finished site's connections still open.
        for _ in range(SETTLE_TURNS):
            await asyncio.sleep(0)
        with contextlib.suppress(OSError):  # the parent is gone: stdin's EOF ends this process
            rows.send(row)

    def readable() -> None:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            loop.remove_reader(jobs.fileno())
            ended.set()
            return
        with contextlib.suppress(OSError):
            rows.send(("started", job.site))  # from here on, losing this process counts against the site
        task = loop.create_task(one(job))
        audits.add(task)
        task.add_done_callback(audits.discard)

    loop.add_reader(jobs.fileno(), readable)
    await ended.wait()
    for task in audits:
        task.cancel()
    await asyncio.gather(*audits, return_exceptions=True)
