"""Click wiring for `trustscan worker`: a Celery worker auditing the sites `bulk --broker` queues.

Wiring only: the worker itself is trustscan.bulk.worker. Exit codes: WORKER_EXITS in trustscan.cli.exitcodes.
"""

from __future__ import annotations

import sys

import click

from trustscan.bulk.endpoints import Endpoint
from trustscan.cli.bulk import broker_endpoint, broker_option, database_location, insecure_transport_option
from trustscan.cli.common import load_rules
from trustscan.cli.exitcodes import WORKER_EXITS
from trustscan.core.errors import StoreError


@click.command(epilog=WORKER_EXITS.epilog())
@broker_option("The Redis broker `bulk --broker` queues sites on (redis:// or rediss://).", required=True)
@click.option("--db", "db_text", required=True, metavar="DB",
              help="The run's results database: a postgresql:// URL (or an SQLite file on this machine).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
              help="Sites this worker audits at the same time.")
@click.option("--visibility-timeout", type=click.IntRange(30, 7 * 24 * 3600), default=3600, show_default=True,
              metavar="SECONDS",
              help="A site whose worker vanished is redelivered after this long; at least twice a site's "
                   "deadline (--timeout + 5) + 15.")
@insecure_transport_option
@click.option("-q", "--quiet", is_flag=True, help="Log only warnings and errors (default: one line per site).")
def worker(broker_text: str, db_text: str, concurrency: int, visibility_timeout: int, insecure_transport: bool,
           quiet: bool) -> None:
    """Audit the sites that `trustscan bulk --broker` queues for the --db database, until stopped."""
    import logging

    from trustscan.bulk.worker import WorkerRuntime, run_worker

    broker = broker_endpoint(broker_text, insecure_transport)
    location = database_location(db_text, insecure_transport)
    _check_broker(broker)
    from trustscan.collect.warm import warm_up

    # Before the first tasks (a burst of them would each load the probes' libraries and data at once),
    # and before load_rules, which freezes what start-up made out of the garbage collector's way.
    warm_up()
    ruleset = load_rules(many_audits=True)
    try:
        runtime = WorkerRuntime(location=location, broker=broker, concurrency=concurrency,
                                visibility_timeout=visibility_timeout, ruleset=ruleset)
    except StoreError as exc:
        raise click.UsageError(str(exc)) from None
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("celery").setLevel(logging.WARNING)  # its per-task lines repeat ours
    click.echo(f"trustscan worker: auditing for {location.shown} from {broker.shown} "
               f"(concurrency {concurrency}, visibility timeout {visibility_timeout}s)", err=True)
    sys.exit(run_worker(runtime, concurrency=concurrency, quiet=quiet))


def _check_broker(broker: Endpoint) -> None:
    from trustscan.bulk.dispatch import BrokerError, Dispatcher

    dispatcher = Dispatcher(broker)
    try:
        dispatcher.check()
    except BrokerError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        dispatcher.close()
