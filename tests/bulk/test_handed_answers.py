"""`bulk --processes`: each site's address answers reach its worker, however far the lookups ran ahead.

The scheduler resolves every site to pick its address slot long before the site starts. Its answers
are handed to the worker with the site (BulkJob.answers), so the audit does not ask the name server
again; an answer whose TTL ran out while the site waited is not sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from trustscan.bulk import scheduler
from trustscan.bulk.scheduler import BulkJob, BulkLimits, error_row, scan_all
from trustscan.bulk.store import SiteRow
from trustscan.core.catalog import load_catalog
from trustscan.core.settings import AuditSettings, NameServer
from trustscan.core.target import parse_target
from trustscan.core.wordings import Wording
from trustscan.judge.ruleset import load_ruleset
from trustscan.localworld.dns import LocalDNSServer
from trustscan.net.resolve import AnswerCache, HandedAnswers

NAMES = [f"site{i}.lookahead.test" for i in range(30)]


def test_every_site_gets_its_answers_though_the_cache_let_them_go(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache of 20 answers and 30 sites (60 answers) resolved before the first one starts (at most 8
    lookups at a time with --concurrency 1, as 64 at most against the run's 1,024 answers)."""
    monkeypatch.setattr(scheduler, "AnswerCache", lambda: AnswerCache(size=20))
    asked: list[object] = []
    handed: dict[str, HandedAnswers | None] = {}

    async def run(port: int) -> None:
        all_resolved = asyncio.Event()

        async def run_site(job: BulkJob, address: str | None) -> SiteRow:
            if len(asked) < 2 * len(NAMES):  # the first site waits until every name is resolved
                await asyncio.wait_for(_until(lambda: len(asked) >= 2 * len(NAMES)), 10)
            all_resolved.set()
            handed[job.site] = job.answers
            return error_row(job.site, Wording("error.cause.reported", {"detail": "not audited"}))

        settings = AuditSettings(nameserver=NameServer("127.0.0.1", port))
        jobs = [BulkJob(name, parse_target(name)) for name in NAMES]
        rows: list[SiteRow] = []
        await scan_all(jobs, settings, BulkLimits(concurrency=1, per_ip=1), ruleset=load_ruleset(),
                       catalog=load_catalog("en"), on_result=rows.append, run_site=run_site)
        assert all_resolved.is_set() and len(rows) == len(NAMES)

    with LocalDNSServer({name: ["127.0.0.2"] for name in NAMES}, on_query=asked.append) as server:
        asyncio.run(run(server.port))
    assert len(asked) == 2 * len(NAMES)  # A and AAAA of each name, once
    assert all((answers := handed[name]) is not None and answers.name == name for name in NAMES)


async def _until(done: Callable[[], bool]) -> None:
    while not done():
        await asyncio.sleep(0.01)


def test_answers_that_expired_while_the_site_waited_are_not_sent() -> None:
    handed = HandedAnswers("a.test", ((1, b"a", 100.0), (28, b"aaaa", 200.0)))
    assert handed.unexpired(now=50.0) is handed
    assert handed.unexpired(now=150.0) == HandedAnswers("a.test", ((28, b"aaaa", 200.0),))
    assert handed.unexpired(now=250.0) is None
