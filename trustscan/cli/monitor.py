"""Click wiring for `trustscan monitor`: the portfolio re-audited on a schedule, each round a bulk run.

Wiring only: the rounds loop is `trustscan.bulk.monitor`, a round's audits are the bulk scheduler's,
the database and its lock are the ones `bulk` uses. Exit codes: MONITOR_EXITS in trustscan.cli.exitcodes.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from trustscan.bulk.database import DatabaseLocation
from trustscan.bulk.store import ResultStore
from trustscan.cli.bulk import (
    broker_option,
    check_database_file,
    check_new_run_database,
    connect_broker,
    database_location,
    exclusive_database,
    insecure_transport_option,
    load_new_portfolio,
    new_run,
    open_store,
)
from trustscan.cli.common import load_rules
from trustscan.cli.exitcodes import MONITOR_EXITS, ExitCode
from trustscan.cli.options import DURATION, FILE, lang_option, scan_options, settings_from_options
from trustscan.core.catalog import Catalog, load_catalog
from trustscan.core.durations import format_duration
from trustscan.core.errors import StoreLostError
from trustscan.core.settings import AuditSettings

if TYPE_CHECKING:  # the scheduler (dnspython, the scanner) loads only for a run
    from trustscan.bulk.dispatch import Dispatcher
    from trustscan.bulk.monitor import RoundOutcome
    from trustscan.bulk.scheduler import BulkJob, BulkLimits


@click.command(epilog=MONITOR_EXITS.epilog())
@click.argument("portfolio", type=FILE)
@click.option("--db", "db_text", required=True, metavar="DB",
              help="Results database: an SQLite file (created if missing) or a postgresql:// URL; a run per round.")
@click.option("--every", required=True, type=DURATION,
              help="Time from the start of one round to the start of the next: SECONDS or 15m, 6h, 1d...")
@click.option("--rounds", type=click.IntRange(min=1), help="Stop after this many rounds (default: run until Ctrl-C).")
@scan_options("Deadline for each site's audit, in seconds.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
              help="Sites audited at the same time, in total.")
@click.option("--per-ip", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Sites audited at the same time on one server address (shared hosting).")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bar and no round summaries (problems still go to stderr).")
@broker_option("Celery beat schedules the rounds on this Redis broker (redis:// or rediss://) and "
               "`trustscan worker` processes audit their sites, instead of this process.")
@insecure_transport_option
@lang_option("Language of messages and the stored reports.")
@click.pass_context
def monitor(ctx: click.Context, portfolio: Path, db_text: str, every: timedelta, rounds: int | None, concurrency: int,
            per_ip: int, quiet: bool, broker_text: str | None, insecure_transport: bool, lang: str,
            **scan: Any) -> None:
    """Audit every site of PORTFOLIO again every --every, each round a run in --db; Ctrl-C ends cleanly."""
    ruleset = load_rules(many_audits=True)
    settings = settings_from_options(scan)
    # Every input is checked before the lock file or the database is created: a refusal writes nothing.
    location = database_location(db_text, insecure_transport)
    dispatcher = connect_broker(ctx, broker_text, insecure_transport)
    if location.path is not None:
        check_database_file(location.path)
    check_new_run_database(location)
    loaded = load_new_portfolio(portfolio)
    from trustscan.bulk.dispatch import BrokerError
    from trustscan.bulk.scheduler import BulkLimits

    catalog = load_catalog(lang)
    with exclusive_database(location), open_store(location, create=True) as store:
        report = _round_reporter(catalog, rounds=rounds, every=every, quiet=quiet, location=location)

        def start_round(number: int) -> tuple[int, list[BulkJob]]:
            return new_run(store, portfolio, loaded, settings, lang)

        try:
            if dispatcher is None:
                outcomes, stopped = asyncio.run(_rounds(store, start_round, settings, BulkLimits(concurrency, per_ip),
                                                        ruleset, catalog, every=every, rounds=rounds, quiet=quiet,
                                                        report=report))
            else:
                outcomes, stopped = _rounds_by_beat(store, start_round, dispatcher, per_ip, catalog, every=every,
                                                    rounds=rounds, quiet=quiet, report=report)
        except (StoreLostError, BrokerError) as exc:  # a service went away: finished rounds and sites stay
            click.echo(f"trustscan: error: {exc}", err=True)
            sys.exit(ExitCode.INCOMPLETE)
        finally:
            if dispatcher is not None:
                dispatcher.close()
    last = outcomes[-1] if outcomes else None
    if stopped or last is None or not last.finished:
        if last is not None and last.finished:  # stopped while waiting for the next round
            click.echo(catalog.text("monitor.stopped", {"rounds": len(outcomes), "db": location.shown}), err=True)
        sys.exit(ExitCode.INTERRUPTED)
    counts = last.counts
    sys.exit(ExitCode.FAIL if counts["fail"] else ExitCode.INCOMPLETE if counts["error"] else ExitCode.OK)


async def _rounds(store: ResultStore, start_round: Callable[[int], tuple[int, list[BulkJob]]],
                  settings: AuditSettings, limits: BulkLimits, ruleset: Any, catalog: Catalog, *, every: timedelta,
                  rounds: int | None, quiet: bool,
                  report: Callable[[RoundOutcome], None]) -> tuple[list[RoundOutcome], bool]:
    """The rounds loop with Ctrl-C and SIGTERM turned into a clean stop (rows already written stay).

    Returns every round's outcome and whether a signal stopped the loop.
    """
    from trustscan.bulk.monitor import monitor as run_monitor
    from trustscan.bulk.monitor import recorder
    from trustscan.bulk.scheduler import scan_all
    from trustscan.cli.progress import BulkProgress

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)

    async def scan(run_id: int, jobs: Sequence[BulkJob], round_stop: asyncio.Event) -> bool:
        progress = BulkProgress(catalog, total=len(jobs), done=0, counts={"pass": 0, "fail": 0, "error": 0},
                                enabled=BulkProgress.wanted(quiet))
        with progress:
            return await scan_all(jobs, settings, limits, ruleset=ruleset, catalog=catalog, stop=round_stop,
                                  on_result=recorder(store, run_id, lambda row: progress.advance(row.overall)))

    try:
        outcomes = await run_monitor(store, start_round, scan, every=every, rounds=rounds, stop=stop,
                                     on_round_end=report)
        return outcomes, stop.is_set()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _rounds_by_beat(store: ResultStore, start_round: Callable[[int], tuple[int, list[BulkJob]]],
                    dispatcher: Dispatcher, per_ip: int, catalog: Catalog, *, every: timedelta, rounds: int | None,
                    quiet: bool, report: Callable[[RoundOutcome], None]) -> tuple[list[RoundOutcome], bool]:
    """`--broker`: Celery beat (embedded) times the rounds, workers audit; Ctrl-C/SIGTERM stop as without it."""
    from trustscan.bulk.beat import RoundBeat, distribute_round
    from trustscan.bulk.monitor import monitor_by_beat
    from trustscan.cli.progress import BulkProgress

    stop = threading.Event()

    def scan(run_id: int, jobs: Sequence[BulkJob], round_stop: threading.Event) -> bool:
        progress = BulkProgress(catalog, total=len(jobs), done=0, counts={"pass": 0, "fail": 0, "error": 0},
                                enabled=BulkProgress.wanted(quiet))
        seen: dict[str, int] = {}

        def advance(counts: dict[str, int]) -> None:
            for overall, n in counts.items():
                for _ in range(n - seen.get(overall, 0)):
                    progress.advance(overall)
            seen.update(counts)

        with progress:
            return distribute_round(dispatcher, store, run_id, jobs, per_ip, advance, round_stop)

    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    beat = RoundBeat(dispatcher, store.store_id, every)
    try:
        beat.start()
        if not quiet:
            click.echo(f"trustscan: Celery beat schedules the rounds on {dispatcher.broker.shown} "
                       f"(queue {beat.queue}); `trustscan worker` processes audit the sites", err=True)
        outcomes = monitor_by_beat(store, start_round, scan, beat, rounds=rounds, stop=stop, on_round_end=report)
        return outcomes, stop.is_set()
    finally:
        beat.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _round_reporter(catalog: Catalog, *, rounds: int | None, every: timedelta, quiet: bool,
                    location: DatabaseLocation) -> Callable[[RoundOutcome], None]:
    """What is said after each round: its summary line and when the next starts (stderr when it was stopped)."""

    def on_round_end(outcome: RoundOutcome) -> None:
        values = {"round": outcome.number, "rounds": rounds or "∞", "run": outcome.run_id, "done": outcome.done,
                  "total": outcome.total, "db": location.shown, **outcome.counts}
        if not outcome.finished:
            click.echo(catalog.text("monitor.interrupted", values), err=True)
            return
        if quiet:
            return
        click.echo(catalog.text("monitor.round_done", values))
        if outcome.next_start is not None:
            wall = time.strftime("%H:%M:%S", time.localtime(time.time() + outcome.next_start - time.monotonic()))
            click.echo(catalog.text("monitor.next_round", {"time": wall, "every": format_duration(every)}))

    return on_round_end
