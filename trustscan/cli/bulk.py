"""Click wiring for bulk portfolio scans: `trustscan bulk` and `trustscan portfolio`.

Wiring only: the portfolio parser, the scheduler, the results database and the dashboard are
library modules usable without the CLI. Exit codes: BULK_EXITS and PORTFOLIO_EXITS in trustscan.cli.exitcodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from trustscan import __version__
from trustscan.bulk.dashboard import build_dashboard
from trustscan.bulk.database import DatabaseLocation, exclusive, parse_location
from trustscan.bulk.endpoints import REDIS_SCHEMES, Endpoint, EndpointError, parse_endpoint
from trustscan.bulk.portfolio import Portfolio, load_portfolio
from trustscan.bulk.store import ResultStore, SiteRow
from trustscan.cli.common import load_rules, write_file
from trustscan.cli.exitcodes import BULK_EXITS, PORTFOLIO_EXITS, ExitCode
from trustscan.cli.options import (
    FILE,
    SCAN_OPTION_NAMES,
    check_input_files,
    format_option,
    lang_option,
    output_option,
    scan_options,
    settings_from_options,
)
from trustscan.core.catalog import Catalog, format_value, load_catalog
from trustscan.core.errors import InputFileError, PortfolioError, StoreError, StoreLostError, TargetError
from trustscan.core.settings import AuditSettings
from trustscan.core.target import parse_target
from trustscan.net.files import check_readable_file
from trustscan.render.dashboard import DASHBOARD_FORMATS, render_dashboard

if TYPE_CHECKING:  # the scheduler (dnspython, the scanner) and the progress bar (rich) load only for a run
    from trustscan.bulk.dispatch import Dispatcher
    from trustscan.bulk.processes import ProcessPool
    from trustscan.bulk.scheduler import BulkJob, BulkLimits

def broker_option(help_text: str, *, required: bool = False) -> Any:
    return click.option("--broker", "broker_text", metavar="URL", required=required, help=help_text)


insecure_transport_option = click.option(
    "--insecure-transport", is_flag=True,
    help="Accept a broker or database off loopback without TLS (passwords and reports then cross the network "
         "in clear text).")

# Options that shape the audit itself: a resumed run must keep the settings it started with.
_AUDIT_OPTIONS = (*SCAN_OPTION_NAMES, "lang")


@click.command(epilog=BULK_EXITS.epilog())
@click.argument("portfolio", required=False, type=FILE)
@click.option("--db", "db_text", required=True, metavar="DB",
              help="Results database: an SQLite file (created if missing) or a postgresql:// URL.")
@click.option("--resume", is_flag=True, help="Continue the latest unfinished run in --db, skipping finished sites.")
@scan_options("Deadline for each site's audit, in seconds.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
              help="Sites audited at the same time, in total.")
@click.option("--per-ip", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Sites audited at the same time on one server address (shared hosting).")
@click.option("--processes", type=click.IntRange(1, 64), default=None, metavar="N",
              help="Worker processes auditing the sites (the bulk process keeps the limits, the database and "
                   "the progress); default: one per usable CPU core, one per 20 sites at most; 1 audits in the "
                   "bulk process itself.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary (problems still go to stderr).")
@broker_option("Queue one task per site on this Redis broker for `trustscan worker` processes (redis:// or "
               "rediss://) instead of auditing in this process.")
@insecure_transport_option
@lang_option("Language of messages and the stored reports.")
@click.pass_context
def bulk(ctx: click.Context, portfolio: Path | None, db_text: str, resume: bool, concurrency: int, per_ip: int,
         processes: int | None, quiet: bool, broker_text: str | None, insecure_transport: bool, lang: str,
         **scan: Any) -> None:
    """Audit every site of PORTFOLIO (text: one target per line; or CSV) into the --db database."""
    settings = settings_from_options(scan)
    location = database_location(db_text, insecure_transport)
    dispatcher = connect_broker(ctx, broker_text, insecure_transport)
    # Every input is checked before the lock file or the database is created: a refusal writes nothing.
    loaded, sites = _check_inputs(ctx, portfolio, location, resume)
    local = dispatcher is None  # with a broker, `trustscan worker` processes audit
    with exclusive_database(location), worker_processes(processes, sites, concurrency, local=local) as pool:
        # While the worker processes start; this process audits only when there are none (nor a broker).
        ruleset = load_rules(many_audits=local and pool is None)
        _bulk(loaded, portfolio, location, settings, BulkOptions(concurrency, per_ip, pool), quiet, lang, ruleset,
              dispatcher)


@contextlib.contextmanager
def worker_processes(asked: int | None, sites: int, concurrency: int, *,
                     local: bool) -> Iterator[ProcessPool | None]:
    """The run's local worker processes (None: the audits run in this process, or, not `local`, in a
    broker's workers), started now so that they load the scanner while this process plans the run."""
    from trustscan.bulk.processes import ProcessPool, choose_processes  # noqa: F811 - at run time

    count = choose_processes(asked, sites, concurrency) if local else 1
    if count == 1:
        yield None
        return
    pool = ProcessPool(count)
    pool.spawn()
    try:
        yield pool
    finally:
        pool.close_now()  # the run closed them; this ends them if it never began (a refused run)


def broker_endpoint(text: str, insecure_transport: bool) -> Endpoint:
    """`--broker` parsed and checked (redis:// or rediss://, TLS off loopback); UsageError, masked."""
    try:
        endpoint = parse_endpoint(text, REDIS_SCHEMES, "broker")
        endpoint.check_transport(insecure_transport, "broker")
    except EndpointError as exc:
        raise click.UsageError(str(exc)) from None
    return endpoint


def connect_broker(ctx: click.Context, text: str | None, insecure_transport: bool) -> Dispatcher | None:
    """None without --broker; else a dispatcher on a broker that answered. UsageError (exit 2, one
    masked line) if it did not, or if --concurrency was given: with a broker each worker sets its own."""
    if text is None:
        return None
    for option in ("concurrency", "processes"):
        if ctx.get_parameter_source(option) is ParameterSource.COMMANDLINE:
            raise click.UsageError(f"with --broker each worker sets its own --{option}; drop it here")
    from trustscan.bulk.dispatch import BrokerError, Dispatcher

    dispatcher = Dispatcher(broker_endpoint(text, insecure_transport))
    try:
        dispatcher.check()
    except BrokerError as exc:
        raise click.UsageError(str(exc)) from None
    return dispatcher


def database_location(text: str, insecure_transport: bool) -> DatabaseLocation:
    """`--db` parsed and checked (URL scheme, TLS off loopback); UsageError with the password masked."""
    try:
        location = parse_location(text)
        if location.endpoint is not None:
            location.endpoint.check_transport(insecure_transport, "database")
    except EndpointError as exc:
        raise click.UsageError(str(exc)) from None
    return location


def _check_inputs(ctx: click.Context, portfolio: Path | None, location: DatabaseLocation,
                  resume: bool) -> tuple[Portfolio | None, int]:
    """The new run's portfolio (None for --resume) and the sites left to audit, once every input is known
    good; UsageError otherwise.

    An existing --db is opened read-only here: it must be a trustscan database (never someone else's
    SQLite file, which `bulk` would otherwise add its tables to), and a resumption must be possible.
    """
    db_path = location.path
    if db_path is not None:
        check_database_file(db_path)
    if resume:
        given = [n for n in _AUDIT_OPTIONS if ctx.get_parameter_source(n) is ParameterSource.COMMANDLINE]
        if db_path is not None and not db_path.exists():
            raise click.UsageError(f"nothing to resume: no results database at {db_path}")
        with open_store(location, create=False) as store:
            *_, jobs = _resume_plan(store, portfolio, location)
            run = store.latest_unfinished()
            if given and run is not None:
                _refuse_other_settings(ctx, given, run.id, dict(run.settings), run.language)
        return None, len(jobs)
    if portfolio is None:
        raise click.UsageError("give a PORTFOLIO file (or --resume to continue an unfinished run)")
    check_new_run_database(location)
    loaded = load_new_portfolio(portfolio)
    return loaded, len(loaded.entries)


def check_new_run_database(location: DatabaseLocation) -> None:
    """A database a new run (or monitor round) may write to: reachable, and a trustscan one if it exists."""
    db_path = location.path
    if db_path is None:
        open_store(location, create=True).close()  # reachable, and a trustscan database (or made one)
    elif db_path.exists() and not (db_path.is_file() and db_path.stat().st_size == 0):
        open_store(location, create=False).close()


#: The stored setting (AuditSettings.to_json) each audit option sets, to compare a resumption's options with.
_SETTING_OF_OPTION = {
    "resolver": "nameserver", "ca_bundle": "ca_bundle", "timeout": "timeout", "http_port": "http_port",
    "allow_private": "allow_private", "deep": "deep", "max_pages": "max_pages", "only": "criteria",
    "blocklists": "blocklist_files", "cache_dir": "lists_dir", "max_list_age": "max_snapshot_age_days",
    "dnsbl_domain": "dnsbl_domain_zones", "dnsbl_ip": "dnsbl_ip_zones",
}
_PATH_SETTINGS = ("ca_bundle", "lists_dir", "blocklist_files")


def _refuse_other_settings(ctx: click.Context, given: list[str], run_id: int, stored: dict[str, Any],
                           language: str) -> None:
    """`--resume` with the run's own settings repeated is fine; a different one is refused, named."""
    asked = settings_from_options({name: ctx.params[name] for name in SCAN_OPTION_NAMES}).to_json()
    differences = []
    for name in given:
        option = f"--{name.replace('_', '-')}"
        if name == "lang":
            if ctx.params["lang"] != language:
                differences.append(f"{option} {ctx.params['lang']} (the run's: {language})")
            continue
        key = _SETTING_OF_OPTION[name]
        if _comparable(key, asked.get(key)) != _comparable(key, stored.get(key)):
            differences.append(f"{option} {_shown(asked.get(key))} (the run's: {_shown(stored.get(key))})")
    if differences:
        raise click.UsageError(f"--resume keeps run {run_id}'s settings, and these differ: {'; '.join(differences)}; "
                               "drop them or start a new run")


def _comparable(key: str, value: Any) -> Any:
    """A stored setting in a form two spellings of the same value share (paths resolved, lists in order)."""
    if key in _PATH_SETTINGS and value is not None:
        paths = value if isinstance(value, list) else [value]
        resolved = [str(Path(p).expanduser().resolve()) for p in paths]
        return resolved if isinstance(value, list) else resolved[0]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _shown(value: Any) -> str:
    if isinstance(value, dict) and "ip" in value:
        return f"{value['ip']}:{value['port']}"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def check_database_file(db_path: Path) -> None:
    """An existing results database must be a regular file before SQLite opens it (UsageError otherwise).

    SQLite would block on a FIFO or read a device such as /dev/zero; a database has no size cap of its
    own (SQLite reads pages on demand), so only its kind is checked. A missing one is for the caller.
    """
    if not os.path.lexists(db_path):
        return
    try:
        check_readable_file(db_path, sys.maxsize)
    except InputFileError as exc:
        raise click.UsageError(f"cannot use results database {db_path}: {exc.reason}") from None


def open_store(location: DatabaseLocation, *, create: bool) -> ResultStore:
    try:
        return ResultStore(location, create=create)
    except StoreError as exc:
        raise click.UsageError(str(exc)) from None


def _stored_settings(data: dict[str, Any]) -> AuditSettings:
    """The run's own settings, refusing a resumption whose CA bundle or list files have gone."""
    settings = AuditSettings.from_json(data)
    for path in (settings.ca_bundle, *settings.blocklist_files):
        if path is not None and not path.is_file():
            raise click.UsageError(f"the run's file {path} no longer exists")
    check_input_files(settings.ca_bundle, settings.blocklist_files)
    return settings


@contextlib.contextmanager
def exclusive_database(location: DatabaseLocation) -> Iterator[None]:
    """One bulk process per database (trustscan.bulk.database.exclusive); UsageError when another holds it."""
    try:
        lock = exclusive(location)
        lock.__enter__()
    except StoreError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


@dataclass(frozen=True)
class BulkOptions:
    """How a run is spread: sites at once in total and per address, and the worker processes auditing them
    (None: the bulk process itself, or a broker's workers)."""

    concurrency: int
    per_ip: int
    pool: ProcessPool | None


def _bulk(loaded: Portfolio | None, portfolio: Path | None, location: DatabaseLocation, settings: AuditSettings,
          options: BulkOptions, quiet: bool, lang: str, ruleset: Any, dispatcher: Dispatcher | None) -> None:
    from trustscan.bulk.dispatch import BrokerError
    from trustscan.bulk.processes import ProcessStartError

    with open_store(location, create=True) as store:
        try:
            finished, values, counts, catalog = _run(store, loaded, portfolio, location, settings, options, quiet,
                                                     lang, ruleset, dispatcher)
        except (StoreLostError, BrokerError, ProcessStartError) as exc:  # mid-run: what was written stays
            click.echo(f"trustscan: error: {exc}", err=True)
            sys.exit(ExitCode.INCOMPLETE)
        finally:
            if dispatcher is not None:
                dispatcher.close()
    if not finished:
        click.echo(catalog.text("bulk.interrupted", values), err=True)
        broker = f" --broker {shlex.quote(dispatcher.broker.shown)}" if dispatcher is not None else ""
        click.echo(f"  trustscan bulk --db {shlex.quote(location.shown)}{broker} --resume", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    if not quiet:
        click.echo(catalog.text("bulk.summary", values))
    sys.exit(ExitCode.FAIL if counts["fail"] else ExitCode.INCOMPLETE if counts["error"] else ExitCode.OK)


def _run(store: ResultStore, loaded: Portfolio | None, portfolio: Path | None, location: DatabaseLocation,
         settings: AuditSettings, options: BulkOptions, quiet: bool, lang: str, ruleset: Any,
         dispatcher: Dispatcher | None) -> tuple[bool, dict[str, Any], dict[str, int], Catalog]:
    """Plan (new run or resumption), audit every remaining site, and mark the run; (finished, summary values)."""
    from trustscan.bulk.scheduler import BulkLimits
    from trustscan.cli.progress import BulkProgress

    if loaded is None or portfolio is None:  # --resume
        # Checked again under the lock: another process may have finished the run meanwhile.
        run_id, settings, lang, jobs = _resume_plan(store, portfolio, location)
    else:
        run_id, jobs = new_run(store, portfolio, loaded, settings, lang)
    catalog = load_catalog(lang)
    info = store.run(run_id)
    assert info is not None
    progress = BulkProgress(catalog, total=info.total, done=info.done, counts=store.counts(run_id),
                            enabled=BulkProgress.wanted(quiet))

    def record(row: SiteRow) -> None:
        store.record(run_id, row)
        progress.advance(row.overall)

    with progress:
        if dispatcher is None:
            finished = asyncio.run(_scan(jobs, settings, BulkLimits(options.concurrency, options.per_ip), ruleset,
                                         catalog, record, options.pool))
        else:
            finished = _distribute(dispatcher, store, run_id, info.total, jobs, options.per_ip, progress, quiet)
    store.set_status(run_id, "complete" if finished else "interrupted")
    info = store.run(run_id)
    counts = store.counts(run_id)
    assert info is not None
    values = {"run": run_id, "done": info.done, "total": info.total, "db": location.shown, **counts}
    return finished, values, counts, catalog


def load_new_portfolio(path: Path) -> Portfolio:
    """The portfolio of a new run, its skipped lines reported; UsageError when it holds no valid target."""
    try:
        portfolio = load_portfolio(path)
    except PortfolioError as exc:
        raise click.UsageError(str(exc)) from None
    for problem in portfolio.problems:
        # Line text comes from the user's file: the catalogue formatter strips control characters.
        text = problem.text.strip()
        shown = f" [{format_value(text)}]" if text and text not in problem.reason else ""
        click.echo(f"trustscan: {path}:{problem.line}: skipped: {format_value(problem.reason)}{shown}", err=True)
    if not portfolio.entries:
        raise click.UsageError(f"no valid target in {path}")
    return portfolio


def new_run(store: ResultStore, path: Path, portfolio: Portfolio, settings: AuditSettings,
             lang: str) -> tuple[int, list[BulkJob]]:
    from trustscan.bulk.scheduler import BulkJob

    run_id = store.create_run(portfolio=str(path), digest=portfolio.digest, settings=settings.to_json(),
                              language=lang, tool_version=__version__, entries=portfolio.entries)
    return run_id, [BulkJob(entry.key, entry.target) for entry in portfolio.entries]


def _resume_plan(store: ResultStore, portfolio: Path | None,
                 location: DatabaseLocation) -> tuple[int, AuditSettings, str, list[BulkJob]]:
    from trustscan.bulk.scheduler import BulkJob

    run = store.latest_unfinished()
    if run is None:
        raise click.UsageError(f"nothing to resume: every run in {location.shown} is complete")
    if portfolio is not None:
        try:
            digest = load_portfolio(portfolio).digest
        except PortfolioError as exc:
            raise click.UsageError(str(exc)) from None
        if digest != run.portfolio_digest:
            raise click.UsageError(f"{portfolio} changed since run {run.id} started; "
                                   "resume without it or start a new run")
    finished = store.finished_sites(run.id)
    jobs = []
    for planned in store.plan(run.id):
        if planned.site in finished:
            continue
        try:
            jobs.append(BulkJob(planned.site, parse_target(planned.input)))
        except TargetError as exc:  # only if the database was edited by hand
            raise click.UsageError(f"run {run.id} holds an invalid target: {exc}") from None
    return run.id, _stored_settings(dict(run.settings)), run.language, jobs


def _distribute(dispatcher: Dispatcher, store: ResultStore, run_id: int, total: int, jobs: list[BulkJob],
                per_ip: int, progress: Any, quiet: bool) -> bool:
    """Queue the remaining sites for the workers and follow the run; Ctrl-C/SIGTERM empties the queue and stops."""
    from trustscan.bulk.celeryapp import SiteTask, queue_name

    store_id = store.store_id
    stop = threading.Event()
    seen = dict(store.counts(run_id))

    def advance(counts: dict[str, int]) -> None:
        for overall, n in counts.items():
            for _ in range(n - seen.get(overall, 0)):
                progress.advance(overall)
        seen.update(counts)

    # Ctrl-C / SIGTERM from here on, queueing included, ends in the same clean stop.
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        dispatcher.purge(store_id)  # leftovers of a killed earlier run of this database
        dispatcher.enqueue(store_id, (SiteTask(run_id, job.site, per_ip) for job in jobs))
        if not quiet:
            click.echo(f"trustscan: {len(jobs)} sites queued on {dispatcher.broker.shown} "
                       f"(queue {queue_name(store_id)}); `trustscan worker` processes audit them", err=True)
        finished = not stop.is_set() and dispatcher.follow(store, run_id, total, advance, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not finished:
        dispatcher.purge(store_id)  # workers finish the sites in hand; nothing more of this run starts
    return finished


async def _scan(jobs: list[BulkJob], settings: AuditSettings, limits: BulkLimits, ruleset: Any, catalog: Catalog,
                record: Any, pool: ProcessPool | None) -> bool:
    """Run the scheduler with Ctrl-C and SIGTERM turned into a clean stop (rows already written stay);
    with a `pool` the audits run in its worker processes (trustscan.bulk.processes)."""
    from trustscan.bulk.scheduler import scan_all

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        if pool is not None:
            await pool.start(settings, catalog.language, limits.deadline_margin)
        return await scan_all(jobs, settings, limits, ruleset=ruleset, catalog=catalog, on_result=record, stop=stop,
                              run_site=pool.audit if pool is not None else None)
    finally:
        if pool is not None:
            await pool.close()
        for sig in signals:
            loop.remove_signal_handler(sig)


@click.command(name="portfolio", help="Render the results of a bulk run in DB: HTML dashboard, CSV or JSON "
                                        f"export.\n\n{PORTFOLIO_EXITS.inline()}")
@click.argument("db_text", metavar="DB")
@format_option(DASHBOARD_FORMATS, "html",
               "html: self-contained dashboard; csv: one row per site; json: the dashboard's data.")
@output_option("Write to this file instead of stdout.")
@click.option("--run", "run_id", type=click.IntRange(min=1), help="Run to show (default: the latest).")
@insecure_transport_option
@lang_option("Language of the dashboard's labels.")
def portfolio_command(db_text: str, output_format: str, output: Path | None, run_id: int | None,
                      insecure_transport: bool, lang: str) -> None:
    location = database_location(db_text, insecure_transport)
    if location.path is not None:
        check_database_file(location.path)
    try:
        with ResultStore(location, create=False) as store:  # read-only: the database is never changed
            dashboard = build_dashboard(store, run_id)
    except StoreError as exc:
        raise click.UsageError(str(exc)) from None
    except LookupError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    text = render_dashboard(output_format, dashboard, load_catalog(lang))
    if output is None:
        click.echo(text, nl=False)
        return
    write_file(output, text)
