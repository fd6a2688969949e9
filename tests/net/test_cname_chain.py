"""`Resolver.resolve`: the addresses and the CNAME chain that led to them (issue 10 item 12), bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from trustscan.core.errors import ProbeError
from trustscan.core.settings import NameServer
from trustscan.localworld.dns import LocalDNSServer
from trustscan.net.resolve import MAX_CNAME_CHAIN, Resolution, Resolver

CHAIN = {f"c{i}.example.test": f"c{i + 1}.example.test" for i in range(MAX_CNAME_CHAIN + 2)}


@pytest.fixture(scope="module")
def resolver() -> Iterator[Resolver]:
    records = {"origin.example.test": ["127.0.0.10"], "v6.example.test": ["::1"],
               f"c{MAX_CNAME_CHAIN + 2}.example.test": ["127.0.0.11"]}
    cnames = {"www.example.test": "edge.cdn.test", "edge.cdn.test": "origin.example.test",
              "six.example.test": "v6.example.test", "loop-a.example.test": "loop-b.example.test",
              "loop-b.example.test": "loop-a.example.test", **CHAIN}
    with LocalDNSServer(records, cnames=cnames) as server:
        yield Resolver(NameServer("127.0.0.1", server.port), timeout=2.0)


def test_a_name_without_aliases_is_its_own_chain(resolver: Resolver) -> None:
    assert asyncio.run(resolver.resolve("origin.example.test")) == Resolution(("127.0.0.10",),
                                                                              ("origin.example.test",))


def test_the_chain_runs_from_the_name_to_the_canonical_name(resolver: Resolver) -> None:
    resolution = asyncio.run(resolver.resolve("www.example.test"))
    assert resolution == Resolution(("127.0.0.10",), ("www.example.test", "edge.cdn.test", "origin.example.test"))
    assert asyncio.run(resolver.addresses("www.example.test")) == ["127.0.0.10"]


def test_an_ipv6_only_chain_is_read_from_the_aaaa_answer(resolver: Resolver) -> None:
    assert asyncio.run(resolver.resolve("six.example.test")) == Resolution(("::1",), ("six.example.test",
                                                                                      "v6.example.test"))


def test_the_longest_allowed_chain_is_recorded_whole(resolver: Resolver) -> None:
    resolution = asyncio.run(resolver.resolve("c2.example.test"))
    assert len(resolution.chain) == MAX_CNAME_CHAIN + 1
    assert resolution.chain[-1] == f"c{MAX_CNAME_CHAIN + 2}.example.test"


@pytest.mark.parametrize("name", ["loop-a.example.test", "c0.example.test"])
def test_a_loop_or_an_overlong_chain_is_an_error(resolver: Resolver, name: str) -> None:
    with pytest.raises(ProbeError, match=f"CNAME chain of {name} is longer than {MAX_CNAME_CHAIN} aliases or loops"):
        asyncio.run(resolver.resolve(name))
