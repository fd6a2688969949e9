"""Click wiring for `trustscan monitor`: the portfolio re-audited on a schedule, each round a bulk run.

Wiring only: the rounds loop is `trustscan.bulk.monitor`, a round's audits are the bulk scheduler's,
the database and its lock are the ones `bulk` uses. Exit codes: MONITOR_EXITS in trustscan.cli.exitcodes.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from trustscan.bulk.database import DatabaseLocation
from trustscan.bulk.portfolio import Portfolio
from trustscan.bulk.store import ResultStore
from trustscan.cli.bulk import (
    check_database_file,
    check_new_run_database,
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
@insecure_transport_option
@lang_option("Language of messages and the stored reports.")
def monitor(portfolio: Path, db_text: str, every: timedelta, rounds: int | None, concurrency: int, per_ip: int,
            quiet: bool, insecure_transport: bool, lang: str, **scan: Any) -> None:
    """Audit every site of PORTFOLIO again every --every, each round a run in --db; Ctrl-C ends cleanly."""
    ruleset = load_rules()
    settings = settings_from_options(scan)
    # Every input is checked before the lock file or the database is created: a refusal writes nothing.
    location = database_location(db_text, insecure_transport)
    if location.path is not None:
        check_database_file(location.path)
    check_new_run_database(location)
    loaded = load_new_portfolio(portfolio)
    from trustscan.bulk.scheduler import BulkLimits

    with exclusive_database(location), open_store(location, create=True) as store:
        limits = BulkLimits(concurrency, per_ip)
        try:
            outcomes, stopped = asyncio.run(_rounds(store, portfolio, loaded, settings, limits, ruleset,
                                                    load_catalog(lang), lang, every=every, rounds=rounds,
                                                    quiet=quiet, location=location))
        except StoreLostError as exc:  # the database went away: finished rounds and sites stay
            click.echo(f"trustscan: error: {exc}", err=True)
            sys.exit(ExitCode.INCOMPLETE)
    last = outcomes[-1] if outcomes else None
    if stopped or last is None or not last.finished:
        if last is not None and last.finished:  # stopped while waiting for the next round
            click.echo(load_catalog(lang).text("monitor.stopped", {"rounds": len(outcomes), "db": location.shown}),
                       err=True)
        sys.exit(ExitCode.INTERRUPTED)
    counts = last.counts
    sys.exit(ExitCode.FAIL if counts["fail"] else ExitCode.INCOMPLETE if counts["error"] else ExitCode.OK)


async def _rounds(store: ResultStore, portfolio: Path, loaded: Portfolio, settings: AuditSettings,
                  limits: BulkLimits, ruleset: Any, catalog: Catalog, lang: str, *, every: timedelta,
                  rounds: int | None, quiet: bool, location: DatabaseLocation) -> tuple[list[RoundOutcome], bool]:
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

    def start_round(number: int) -> tuple[int, list[BulkJob]]:
        return new_run(store, portfolio, loaded, settings, lang)

    async def scan(run_id: int, jobs: Sequence[BulkJob], round_stop: asyncio.Event) -> bool:
        progress = BulkProgress(catalog, total=len(jobs), done=0, counts={"pass": 0, "fail": 0, "error": 0},
                                enabled=BulkProgress.wanted(quiet))
        with progress:
            return await scan_all(jobs, settings, limits, ruleset=ruleset, catalog=catalog, stop=round_stop,
                                  on_result=recorder(store, run_id, lambda row: progress.advance(row.overall)))

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

    try:
        outcomes = await run_monitor(store, start_round, scan, every=every, rounds=rounds, stop=stop,
                                     on_round_end=on_round_end)
        return outcomes, stop.is_set()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
