"""The worker's delivery rules and the cross-worker address limit, on real Redis and PostgreSQL.

Audits are fakes here (the real ones are in tests/integration/test_scaleout_world.py): what is under
test is what a worker does around an audit - skip a recorded site, count deliveries, give up on a
site that keeps losing its worker, retry transient failures with backoff and then record why.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.rdatatype
import pytest

from tests.support.services import Redis
from trustscan.bulk.addressslots import AddressSlots
from trustscan.bulk.celeryapp import SiteTask
from trustscan.bulk.database import parse_location
from trustscan.bulk.endpoints import REDIS_SCHEMES, parse_endpoint
from trustscan.bulk.portfolio import parse_text
from trustscan.bulk.store import ResultStore
from trustscan.bulk.worker import MAX_DELIVERIES, MAX_RETRIES, TransientError, WorkerRuntime, backoff, run_task
from trustscan.core.catalog import load_catalog
from trustscan.core.settings import AuditSettings, NameServer
from trustscan.core.wordings import Wording
from trustscan.judge.ruleset import load_ruleset
from trustscan.localworld.dns import LocalDNSServer
from trustscan.localworld.sites import free_port
from trustscan.report.document import AuditOutcome

SITES = "a.gov.vn\nb.gov.vn\nc.gov.vn\n"


class CountingAudit:
    """A fake run_audit: records which hosts it audited, returns an empty (error) outcome."""

    def __init__(self) -> None:
        self.audited: list[str] = []

    async def __call__(self, target: Any, settings: Any, *, ruleset: Any) -> AuditOutcome:
        self.audited.append(target.ascii_host)
        raise RuntimeError("fake audit")  # becomes an honest `internal error` row


@pytest.fixture
def runtime(tmp_path: Path, redis_server: Redis) -> Any:
    db = tmp_path / "r.db"
    with ResultStore(db) as store:
        # An IP target needs no resolver; a name would be resolved by the run's nameserver first.
        settings = AuditSettings(timeout=5.0).to_json()
        store.create_run(portfolio="p", digest="d", settings=settings, language="en", tool_version="t",
                         entries=parse_text("192.0.2.1\n192.0.2.2\n192.0.2.3\n").entries)
    import redis

    with redis.Redis.from_url(redis_server.url(2)) as client:
        client.flushdb()
    audit = CountingAudit()
    made = WorkerRuntime(location=parse_location(db), broker=parse_endpoint(redis_server.url(2), REDIS_SCHEMES, "b"),
                         concurrency=2, visibility_timeout=120, ruleset=load_ruleset(), audit=audit)
    made.fake_audit = audit  # type: ignore[attr-defined]
    yield made
    made.close()


def task(n: int) -> SiteTask:
    return SiteTask(1, f"192.0.2.{n}:443", 2)


def rows(runtime: Any) -> dict[str, str | None]:
    with ResultStore(runtime.location, create=False) as store:
        return {planned.site: row.error for planned, row in store.results(1) if row is not None}


def wordings(runtime: Any) -> dict[str, Wording | None]:
    with ResultStore(runtime.location, create=False) as store:
        return {planned.site: row.error_wording for planned, row in store.results(1) if row is not None}


def test_a_site_is_audited_once_and_a_redelivered_message_is_skipped(runtime: Any) -> None:
    assert runtime.handle(task(1)) == "recorded error"
    assert runtime.handle(task(1)) == "already recorded"  # redelivered after the write: no second audit
    assert runtime.fake_audit.audited == ["192.0.2.1"]
    assert rows(runtime)["192.0.2.1:443"].startswith("internal error: RuntimeError: fake audit")


def test_a_message_for_a_site_outside_the_plan_is_dropped_unaudited(runtime: Any) -> None:
    """Whoever can write to the broker cannot make workers scan a target of their choosing."""
    assert runtime.handle(SiteTask(1, "attacker.example:443", 2)) == "dropped: not planned"
    assert runtime.handle(SiteTask(7, "192.0.2.1:443", 2)) == "dropped: not planned"  # no such run
    assert runtime.fake_audit.audited == [] and rows(runtime) == {}


def test_a_site_whose_worker_keeps_dying_ends_as_an_error_with_that_reason(runtime: Any) -> None:
    import redis

    with redis.Redis.from_url(runtime.broker.url) as client:  # 3 workers were lost auditing it
        client.set(f"trustscan:deliveries:{runtime.store_id}:1:192.0.2.2:443", MAX_DELIVERIES)
    assert runtime.handle(task(2)) == "recorded error"
    assert runtime.fake_audit.audited == []  # not audited a fourth time
    assert rows(runtime)["192.0.2.2:443"] == f"abandoned: the worker auditing this site was lost {MAX_DELIVERIES} times"
    assert wordings(runtime)["192.0.2.2:443"] == Wording("bulk.error.abandoned_worker", {"times": MAX_DELIVERIES})


def test_transient_failures_are_retried_with_backoff_then_recorded(runtime: Any) -> None:
    import redis

    runtime._redis.close()
    runtime._redis = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    retried: list[float] = []

    class Retry(Exception):
        pass

    def retry(countdown: float) -> Exception:
        retried.append(countdown)
        return Retry()

    for attempt in range(MAX_RETRIES):
        with pytest.raises(Retry):
            run_task(runtime, task(3), attempt, retry)
    assert retried == [backoff(n) for n in range(MAX_RETRIES)] == [1, 2, 4, 8, 16]
    assert run_task(runtime, task(3), MAX_RETRIES, retry) == "recorded error"
    error = rows(runtime)["192.0.2.3:443"]
    assert error is not None and error.startswith(f"gave up after {MAX_RETRIES} retries: lost the broker redis://")
    wording = wordings(runtime)["192.0.2.3:443"]
    assert wording is not None and wording.id == "bulk.error.gave_up" and wording.values["retries"] == MAX_RETRIES
    assert wording.values["cause"].id == "bulk.error.lost_broker"  # worded in every language, the detail quoted
    assert load_catalog("vi").say(wording).startswith(
        f"dừng sau {MAX_RETRIES} lần thử lại: mất kết nối tới broker redis://")
    with pytest.raises(TransientError):
        runtime.handle(task(1))  # the same failure, seen directly
    assert runtime.fake_audit.audited == []  # a transient failure is never turned into an audit result


def test_a_site_deadline_beyond_the_visibility_timeout_is_refused_honestly(tmp_path: Path, redis_server: Redis) -> None:
    db = tmp_path / "r.db"
    with ResultStore(db) as store:
        store.create_run(portfolio="p", digest="d", settings=AuditSettings(timeout=300.0).to_json(), language="en",
                         tool_version="t", entries=parse_text("192.0.2.1\n").entries)
    made = WorkerRuntime(location=parse_location(db), broker=parse_endpoint(redis_server.url(2), REDIS_SCHEMES, "b"),
                         concurrency=1, visibility_timeout=60, ruleset=load_ruleset(), audit=CountingAudit())
    try:
        made.handle(task(1))
    finally:
        made.close()
    assert "does not fit the workers' visibility timeout (60s); start workers with at least 625s" \
        in (rows(made)["192.0.2.1:443"] or "")
    assert load_catalog("vi").say(wordings(made)["192.0.2.1:443"]) == (  # type: ignore[arg-type]
        "thời hạn dành cho trang (305 giây) vượt quá thời gian ẩn tin nhắn của các worker (60 giây); hãy chạy worker "
        "với ít nhất 625 giây")


def test_the_address_limit_holds_across_workers_and_expires(redis_server: Redis) -> None:
    """Two workers (two clients, two event loops in two threads) share one address's 2 slots."""
    import redis.asyncio

    held = {"now": 0, "most": 0}
    lock = threading.Lock()

    async def worker(sites: int) -> None:
        slots = AddressSlots(redis.asyncio.Redis.from_url(redis_server.url(3)))
        for _ in range(sites):
            token = await slots.acquire("198.51.100.7", 2, lease=30, wait=30)
            assert token is not None
            with lock:
                held["now"] += 1
                held["most"] = max(held["most"], held["now"])
            await asyncio.sleep(0.05)
            with lock:
                held["now"] -= 1
            await slots.release("198.51.100.7", token)
        await slots.close()

    async def three_per_worker() -> None:
        await asyncio.gather(worker(3), worker(3), worker(3))

    threads = [threading.Thread(target=asyncio.run, args=(three_per_worker(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert held["most"] == 2  # 6 holders wanted the address at once; never more than 2 had it

    async def expiry() -> tuple[str | None, str | None, str | None]:
        slots = AddressSlots(redis.asyncio.Redis.from_url(redis_server.url(3)))
        first = await slots.acquire("203.0.113.9", 1, lease=0.5, wait=0)  # a worker that then dies
        blocked = await slots.acquire("203.0.113.9", 1, lease=0.5, wait=0.1)
        await asyncio.sleep(0.6)
        later = await slots.acquire("203.0.113.9", 1, lease=5, wait=0)
        await slots.close()
        return first, blocked, later

    first, blocked, later = asyncio.run(expiry())
    assert first and blocked is None and later  # the dead holder's lease lapsed on its own


def test_a_worker_process_shares_one_dns_cache_between_its_address_lookups_and_audits(
        tmp_path: Path, redis_server: Redis) -> None:
    """The address lookup that chose the slot answers the audit's own; the audits share their parent zone."""
    asked: Counter[tuple[str, str, bool]] = Counter()
    lock = threading.Lock()

    def count(query: dns.message.Message) -> None:
        question = query.question[0]
        with lock:
            asked[(question.name.to_text(omit_final_dot=True), dns.rdatatype.to_text(question.rdtype),
                   bool(query.ednsflags & dns.flags.DO))] += 1

    # Nothing listens at these loopback addresses: each probe fails at once; the DNS questions are what counts.
    records = {"a.gov.test": ["127.0.0.97"], "b.gov.test": ["127.0.0.98"]}
    with LocalDNSServer(records, on_query=count) as server:
        db = tmp_path / "r.db"
        settings = AuditSettings(nameserver=NameServer("127.0.0.1", server.port), timeout=10.0, probe_timeout=2.0,
                                 allow_private=True, criteria=("a",))
        with ResultStore(db) as store:
            store.create_run(portfolio="p", digest="d", settings=settings.to_json(), language="en",
                             tool_version="t", entries=parse_text("a.gov.test\nb.gov.test\n").entries)
            sites = [planned.site for planned, _ in store.results(1)]
        broker = parse_endpoint(redis_server.url(3), REDIS_SCHEMES, "b")
        made = WorkerRuntime(location=parse_location(db), broker=broker, concurrency=2, visibility_timeout=120,
                             ruleset=load_ruleset())
        try:
            for site in sites:
                assert made.handle(SiteTask(1, site, 2)).startswith("recorded")
        finally:
            made.close()
    with ResultStore(db, create=False) as store:
        reports = [json.loads(row.report or "{}") for _, row in store.results(1) if row is not None]
    assert sorted(r["evidence"]["dns"]["data"]["addresses"][0] for r in reports) == ["127.0.0.97", "127.0.0.98"]
    for name in records:
        assert asked[(name, "A", False)] == asked[(name, "AAAA", False)] == 1, asked
    assert asked[("gov.test", "CAA", True)] == 1  # the second audit found the parent zone's answer
