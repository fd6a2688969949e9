"""The Celery application both sides share: how `bulk --broker` publishes and `trustscan worker` consumes.

Delivery guarantees come from Celery and its Redis transport, configured here once:
- late acknowledgement (`task_acks_late`): a message is acknowledged only after its site's row is
  written, so a worker killed mid-site leaves the message unacknowledged;
- the visibility timeout: an unacknowledged message is put back in the queue after that many seconds
  (checked every few seconds by every live worker), so another worker audits the site;
- a failing task is not acknowledged either (`task_acks_on_failure_or_timeout=False`): it comes back
  after the visibility timeout, bounded by the delivery count (trustscan.bulk.worker);
- prefetch of one message per thread: a worker never hoards sites another worker could audit.

Each results database has its own queue, `trustscan.<store_id>`, so workers of different databases
can share one broker without ever writing a site into the wrong database. Messages are JSON (never pickle).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

TASK_NAME = "trustscan.audit_site"
DEFAULT_VISIBILITY_TIMEOUT = 3600  # seconds; kombu's default. Must exceed the longest site audit.
RESTORE_INTERVAL = 5  # seconds between each worker's sweeps for messages past their visibility timeout


def queue_name(store_id: str) -> str:
    return f"trustscan.{store_id}"


@dataclass(frozen=True)
class SiteTask:
    """One message: a planned site of a run in the database whose queue carries it.

    Neither the target nor the audit settings are in the message: every worker reads them from the
    run in the database, the single source of truth for what a run audits. A message naming a site
    outside the run's plan is dropped, so whoever can write to the broker cannot make workers scan
    arbitrary targets.
    """

    run: int
    site: str
    per_ip: int

    def kwargs(self) -> dict[str, Any]:
        return asdict(self)


def make_app(broker_url: str, *, visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT) -> Any:
    """A Celery app on `broker_url` (never made the process's current app)."""
    from celery import Celery  # BSD; only for the scale-out paths

    app = Celery("trustscan", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_acks_on_failure_or_timeout=False,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=False,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            "unacked_restore_interval": RESTORE_INTERVAL,
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 5,
            "socket_timeout": 30,
        },
    )
    return app
