"""The bulk scheduler: audit many sites with bounded concurrency, globally and per server address.

Each site is audited by `trustscan.audit.run_audit`, exactly as `trustscan audit` does; this module
only decides *when*. Shared hosting puts hundreds of agency sites on one address, so at most
`per_ip` audits run against one address at a time (a scan must not become a denial of service),
and at most `concurrency` run in total. A site waits for its address's slot *before* taking a
global slot, so a crowded address never holds global slots that other addresses could use.

Every site ends as exactly one SiteRow handed to `on_result`: a refused address, a deadline or
even a bug in a probe becomes an `error` row, never a crash of the run and never a pass. Its reason is
a Wording (`bulk.error.*`), so every output says it in the language it is asked for.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from trustscan.bulk.store import SiteRow
from trustscan.core.catalog import Catalog
from trustscan.core.errors import AddressPolicyError, ProbeError
from trustscan.core.models import CRITERIA
from trustscan.core.settings import AuditSettings
from trustscan.core.target import Target
from trustscan.core.timestamps import now_rfc3339
from trustscan.core.wordings import Wording
from trustscan.judge.ruleset import Ruleset
from trustscan.net.failures import other
from trustscan.net.resolve import AnswerCache, HandedAnswers, Resolver
from trustscan.report.document import build_report


@dataclass(frozen=True)
class BulkLimits:
    """How hard a bulk run may push: sites in flight overall and per server address.

    run_audit honours settings.timeout itself; `deadline_margin` covers its DNS lookup and report
    building, so the outer per-site deadline only fires when something misbehaves.
    """

    concurrency: int = 16
    per_ip: int = 2
    deadline_margin: float = 5.0


@dataclass(frozen=True)
class BulkJob:
    """One site to audit in a run: its key in the results database and its parsed target.

    `answers`: the run's DNS answers for the target's name, when the site is audited in another process
    (`bulk --processes`), so its audit does not ask the name server again what the scheduler just asked.
    """

    site: str
    target: Target
    answers: HandedAnswers | None = None


async def scan_all(
    jobs: Sequence[BulkJob],
    settings: AuditSettings,
    limits: BulkLimits,
    *,
    ruleset: Ruleset,
    catalog: Catalog,
    on_result: Callable[[SiteRow], None],
    stop: asyncio.Event | None = None,
    audit: Callable[..., Any] | None = None,
    run_site: Callable[[BulkJob, str | None], Awaitable[SiteRow]] | None = None,
) -> bool:
    """Audit every job; True when all finished, False when `stop` was set first.

    On stop, audits in flight are cancelled and not reported: a resumed run audits them again, so
    nothing is lost and nothing is half-recorded. `run_site(job, address)` audits a site elsewhere once
    it holds its slots (trustscan.bulk.processes: in a worker process); by default `audit_one` runs it here.
    """
    stop = stop or asyncio.Event()
    # One DNS cache for the run: the audits here find the address this lookup found, and share the
    # answers about their parent zones. Worker processes keep their own, seeded with each site's answers.
    dns_cache = AnswerCache()
    resolver = Resolver(settings.nameserver, timeout=min(settings.probe_timeout, settings.timeout), cache=dns_cache)
    global_slots = asyncio.Semaphore(limits.concurrency)
    # Address lookups run ahead of audits, bounded too: a portfolio of 10,000 names must not become
    # 20,000 simultaneous DNS queries.
    dns_slots = asyncio.Semaphore(max(limits.concurrency * 2, 8))
    ip_slots: dict[str, asyncio.Semaphore] = {}  # local to this run, never module state

    async def one(job: BulkJob) -> None:
        async with dns_slots:
            address = await first_address(job.target, resolver)
        # Taken from the cache now, while it surely holds them: the lookups run far ahead of the audits,
        # and on a portfolio of thousands the cache (1,024 answers) had let some go before their site
        # started, so its worker asked again. Kept with the waiting site: a few hundred bytes each.
        handed = None if run_site is None or job.target.is_ip else dns_cache.hand_over(job.target.ascii_host)
        slot = ip_slots.setdefault(address, asyncio.Semaphore(limits.per_ip)) if address else None
        async with _maybe(slot), global_slots:
            if run_site is not None:
                # An answer whose TTL ran out while the site waited is not sent.
                answers = handed.unexpired() if handed is not None else None
                row = await run_site(replace(job, answers=answers) if answers else job, address)
            else:
                row = await audit_one(job, settings, ruleset=ruleset, catalog=catalog, audit=audit,
                                      deadline=settings.timeout + limits.deadline_margin, dns_cache=dns_cache)
        on_result(row)

    tasks = [asyncio.create_task(one(job)) for job in jobs]
    stopper = asyncio.create_task(stop.wait())
    try:
        pending: set[asyncio.Task[Any]] = set(tasks)
        while pending:
            done, _ = await asyncio.wait(pending | {stopper}, return_when=asyncio.FIRST_COMPLETED)
            pending -= done
            for task in done - {stopper}:
                task.result()  # on_result failing (disk full) must stop the run loudly
            if stopper in done:
                return not pending
        return True
    finally:
        for task in [*tasks, stopper]:
            task.cancel()
        await asyncio.gather(*tasks, stopper, return_exceptions=True)


async def audit_one(
    job: BulkJob,
    settings: AuditSettings,
    *,
    ruleset: Ruleset,
    catalog: Catalog,
    audit: Callable[..., Any] | None = None,
    deadline: float | None = None,
    dns_cache: AnswerCache | None = None,
) -> SiteRow:
    """Audit one site under its deadline and turn whatever happened into one SiteRow.

    `dns_cache` goes to run_audit (the default `audit`): DNS answers shared by the run's audits.
    """
    if audit is None:
        from trustscan.audit import run_audit  # the scanner (sslyze, nassl) only when scanning

        audit = functools.partial(run_audit, dns_cache=dns_cache)
    clock = time.monotonic()
    deadline = settings.timeout + BulkLimits.deadline_margin if deadline is None else deadline
    try:
        outcome = await asyncio.wait_for(audit(job.target, settings, ruleset=ruleset), deadline)
        report = build_report(outcome, ruleset, catalog)  # a bug here too is this site's error, not the run's end
    except AddressPolicyError as exc:
        return error_row(job.site, Wording("bulk.error.address_refused", {"cause": exc.wording}), clock)
    except TimeoutError:
        return error_row(job.site, Wording("bulk.error.site_deadline", {"seconds": f"{deadline:g}"}), clock)
    except Exception as exc:  # noqa: BLE001 - one broken site must not end the run; recorded honestly
        return internal_error_row(job.site, exc, clock)
    overall = report["overall"] if report["overall"] in ("pass", "fail") else "error"
    return SiteRow(
        site=job.site,
        overall=overall,
        criteria={c: report["criteria"][c]["status"] for c in CRITERIA},
        report=json.dumps(report, ensure_ascii=False, separators=(",", ":")),
        error=None,
        duration=time.monotonic() - clock,
        finished_at=now_rfc3339(),
    )


def internal_error_row(site: str, exc: Exception, clock: float | None = None) -> SiteRow:
    """The row of a site whose audit hit a bug: its kind and message are not translatable, so they are
    quoted as observed (one line, bounded) in a worded frame."""
    return error_row(site, Wording("bulk.error.internal", dict(other(exc).values)), clock)


def error_row(site: str, why: Wording, clock: float | None = None) -> SiteRow:
    """The row of a site no audit could judge: every criterion `error`, and why (a `bulk.error.*` Wording,
    kept with its English sentence for SQL readers)."""
    duration = 0.0 if clock is None else time.monotonic() - clock
    return SiteRow(site=site, overall="error", criteria={c: "error" for c in CRITERIA}, report=None,
                   error=why.english(), duration=duration, finished_at=now_rfc3339(), error_wording=why)


async def first_address(target: Target, resolver: Resolver) -> str | None:
    """The address run_audit will pin (the first one), used only to pick the per-address slot."""
    if target.is_ip:
        return target.ascii_host
    try:
        return (await resolver.addresses(target.ascii_host))[0]
    except ProbeError:
        return None  # the audit's own lookup fails the same way, fast, and records why
    except Exception:  # noqa: BLE001 - scheduling must not fail on a resolver quirk
        return None


class _maybe:  # noqa: N801 - reads as a function at the call site
    """`async with` a semaphore, or nothing when the site has no known address."""

    def __init__(self, semaphore: asyncio.Semaphore | None) -> None:
        self._semaphore = semaphore

    async def __aenter__(self) -> None:
        if self._semaphore is not None:
            await self._semaphore.acquire()

    async def __aexit__(self, *exc: object) -> None:
        if self._semaphore is not None:
            self._semaphore.release()
