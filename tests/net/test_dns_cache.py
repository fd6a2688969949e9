"""AnswerCache: a bulk run's audits share DNS answers (parent zones, the scheduler's lookup), each for its TTL."""

from __future__ import annotations

import asyncio
import pickle
import time
from collections import Counter
from typing import Any

import dns.flags
import dns.message
import dns.rdatatype
import pytest

from trustscan.collect.dns.zone import probe_zone
from trustscan.core.errors import ProbeError
from trustscan.core.settings import NameServer
from trustscan.localworld.dns import LocalDNSServer
from trustscan.net.resolve import AnswerCache, HandedAnswers, Resolution, Resolver

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


# --- the hand-over to a worker process (`bulk --processes`) ----------------------------------------------

HANDED = {"a.gov.test": ["127.0.0.20"], "origin.gov.test": ["127.0.0.23"]}
ALIASES = {"www.gov.test": "edge.cdn.test", "edge.cdn.test": "origin.gov.test"}


def lookup(server: LocalDNSServer, cache: AnswerCache, name: str) -> Resolution | str:
    """`Resolver.resolve` through `cache`, as the audit asks; a ProbeError as its message key."""
    resolver = Resolver(NameServer("127.0.0.1", server.port), timeout=2.0, cache=cache)
    try:
        return asyncio.run(resolver.resolve(name))
    except ProbeError as exc:
        return exc.wording.id


@pytest.mark.parametrize("name", ["a.gov.test", "www.gov.test", "missing.gov.test"])
def test_handed_answers_serve_the_other_cache_without_a_query_and_resolve_the_same(
        asked: Counter[tuple[str, str, bool]], name: str) -> None:
    """An address, a CNAME chain (its evidence), NXDOMAIN; the AAAA answers are NODATA (no IPv6 served)."""
    with LocalDNSServer(HANDED, cnames=ALIASES) as server:
        parent = AnswerCache()
        first = lookup(server, parent, name)
        handed = parent.hand_over(name)
        assert handed is not None
        child = AnswerCache()
        adopted = child.adopt(pickle.loads(pickle.dumps(handed)))  # as it travels to the worker process
        before = sum(asked.values())
        again = lookup(server, child, name)
    assert again == first and sum(asked.values()) == before  # the same resolution, nothing asked again
    assert adopted == (1 if name.startswith("missing") else 2)  # NXDOMAIN is one answer, kept under ANY
    if name == "www.gov.test":
        assert first == Resolution(("127.0.0.23",), ("www.gov.test", "edge.cdn.test", "origin.gov.test"))
    if name == "missing.gov.test":
        assert first == "error.dns.nxdomain"


def test_a_handed_answer_keeps_its_expiry_and_an_expired_one_is_asked_again(
        asked: Counter[tuple[str, str, bool]]) -> None:
    with LocalDNSServer(HANDED) as server:
        parent = AnswerCache()
        lookup(server, parent, "a.gov.test")
        handed = parent.hand_over("a.gov.test")
        assert handed is not None
        child = AnswerCache()
        child.adopt(handed)
        # The expiry the parent's answer had, not a TTL started again in the child.
        assert sorted(child.plain.get(key).expiration for key in child.plain.data) == \
            sorted(expiration for _, _, expiration in handed.answers)
        late = AnswerCache()
        expired = HandedAnswers(handed.name, tuple((rdtype, wire, time.time() - 1)
                                                   for rdtype, wire, _ in handed.answers))
        assert late.adopt(expired) == 0
        asked.clear()
        assert lookup(server, late, "a.gov.test") == Resolution(("127.0.0.20",), ("a.gov.test",))
    assert asked[("a.gov.test", "A", False)] == asked[("a.gov.test", "AAAA", False)] == 1


def test_nothing_is_handed_over_for_a_name_not_asked_or_an_answer_asked_with_the_dnssec_bit() -> None:
    with LocalDNSServer(HANDED) as server:
        cache = AnswerCache()
        resolver = Resolver(NameServer("127.0.0.1", server.port), timeout=2.0, cache=cache)
        asyncio.run(resolver.records("a.gov.test", "A"))  # the zone probe's question: kept apart, not handed
        assert len(cache.dnssec.data) == 1
    assert cache.hand_over("a.gov.test") is None and cache.hand_over("b.gov.test") is None


def test_a_failed_lookup_is_not_handed_over() -> None:
    """dnspython keeps no failure (timeout, SERVFAIL): the worker process asks, as it would have."""
    with LocalDNSServer(HANDED) as server:
        port = server.port
    cache = AnswerCache()
    resolver = Resolver(NameServer("127.0.0.1", port), timeout=0.3, cache=cache)  # nothing answers there now
    with pytest.raises(ProbeError):
        asyncio.run(resolver.resolve("a.gov.test"))
    assert cache.hand_over("a.gov.test") is None


def test_an_unreadable_handed_answer_is_dropped() -> None:
    cache = AnswerCache()
    assert cache.adopt(HandedAnswers("a.gov.test", ((1, b"\x00garbage", time.time() + 60),
                                                    (16, b"", time.time() + 60)))) == 0
    assert not cache.plain.data
