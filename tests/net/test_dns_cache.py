"""AnswerCache: a bulk run's audits share DNS answers (parent zones, the scheduler's lookup), each for its TTL."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import dns.flags
import dns.message
import dns.rdatatype
import pytest

from trustscan.collect.dns.zone import probe_zone
from trustscan.core.settings import NameServer
from trustscan.localworld.dns import LocalDNSServer
from trustscan.net.resolve import AnswerCache, Resolver

RECORDS = {"a.gov.test": ["127.0.0.20"], "b.gov.test": ["127.0.0.21"], "gov.test": ["127.0.0.22"]}
CAA = {"gov.test": ['0 issue "ca.example"']}


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str, bool]]:
    """(name, type, DNSSEC OK bit) of every query the local server answers."""
    seen: Counter[tuple[str, str, bool]] = Counter()
    real = LocalDNSServer._answer

    def counted(self: LocalDNSServer, wire: bytes, **kwargs: Any) -> bytes | None:
        query = dns.message.from_wire(wire)
        question = query.question[0]
        seen[(question.name.to_text(omit_final_dot=True), dns.rdatatype.to_text(question.rdtype),
              bool(query.ednsflags & dns.flags.DO))] += 1
        return real(self, wire, **kwargs)

    monkeypatch.setattr(LocalDNSServer, "_answer", counted)
    return seen


def zones(server: LocalDNSServer, cache: AnswerCache | None) -> list[dict[str, Any]]:
    async def audits() -> list[dict[str, Any]]:
        found = []
        for host in ("a.gov.test", "b.gov.test"):  # one Resolver per audit, as run_audit makes
            resolver = Resolver(NameServer("127.0.0.1", server.port), timeout=2.0, cache=cache)
            await resolver.resolve(host)
            found.append(await probe_zone(resolver, host, is_ip=False))
        return found
    return asyncio.run(audits())


def test_audits_sharing_a_cache_ask_the_parent_zone_once_and_see_the_same_facts(
        asked: Counter[tuple[str, str, bool]]) -> None:
    with LocalDNSServer(RECORDS, caa=CAA) as server:
        uncached = zones(server, None)
        alone = asked.copy()
        asked.clear()
        cached = zones(server, AnswerCache())
    assert cached == uncached and cached[0]["caa_domain"] == "gov.test"
    assert alone[("gov.test", "CAA", True)] == 2  # without a cache each audit climbs to the parent
    assert asked[("gov.test", "CAA", True)] == 1
    # Each site's own questions are still asked once each; the DNSSEC OK answers are kept apart
    # from the plain ones (their signatures make `dnssec_signed`): the A asked both ways is asked twice.
    for host in ("a.gov.test", "b.gov.test"):
        assert asked[(host, "CAA", True)] == asked[(host, "A", False)] == asked[(host, "A", True)] == 1


def test_an_answer_cached_by_the_scheduler_serves_the_audit(asked: Counter[tuple[str, str, bool]]) -> None:
    cache = AnswerCache()
    with LocalDNSServer(RECORDS) as server:
        scheduler = Resolver(NameServer("127.0.0.1", server.port), timeout=2.0, cache=cache)
        audit = Resolver(NameServer("127.0.0.1", server.port), timeout=2.0, cache=cache)
        first = asyncio.run(scheduler.addresses("a.gov.test"))
        again = asyncio.run(audit.resolve("a.gov.test"))
    assert first == list(again.addresses) == ["127.0.0.20"]
    assert asked[("a.gov.test", "A", False)] == asked[("a.gov.test", "AAAA", False)] == 1


def test_the_cache_is_bounded() -> None:
    cache = AnswerCache(size=2)
    assert cache.plain.max_size == cache.dnssec.max_size == 2 and cache.plain is not cache.dnssec
