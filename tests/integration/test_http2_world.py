"""HTTP/2 against the world's real nginx (`good` offers h2 by ALPN): a cancellation cannot break it.

Auditing the whole world at once, a hop timeout or a probe cancelled at the deadline could land in
httpcore's HTTP/2 set-up and make the `good` site's next requests fail with "semaphore released too
many times". Here the cancellation is placed there on purpose (tests/net/test_http2_setup.py
explains the timing) and the connection must still answer, on one connection.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpcore
import pytest

from tests.world import World
from trustscan.core.settings import NameServer
from trustscan.net.httpclient import PinnedBackend, PinnedTransport, make_client
from trustscan.net.resolve import Resolver

pytestmark = pytest.mark.world


class _CountingBackend(PinnedBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.connections += 1
        return await super().connect_tcp(*args, **kwargs)


def test_a_request_cancelled_in_the_http2_setup_leaves_the_good_sites_connection_usable(world: World) -> None:
    site = world.site("good")
    backend = _CountingBackend({site.host: site.ip}, Resolver(NameServer(world.dns_ip, world.dns_port)),
                               allow_private=True)
    url = f"https://{site.host}:{site.https_port}"

    async def scenario() -> list[tuple[int, str]]:
        events: list[str] = []
        caller: list[asyncio.Task[Any]] = []

        async def cancel_after_preface(name: str, info: dict[str, Any]) -> None:
            events.append(name)
            if name == "http2.send_connection_init.complete":
                asyncio.get_running_loop().call_soon(caller[0].cancel)

        async with make_client(PinnedTransport(backend), timeout=10) as client:
            caller.append(asyncio.create_task(client.get(f"{url}/", extensions={"trace": cancel_after_preface})))
            with pytest.raises(asyncio.CancelledError):
                await caller[0]
            assert "http2.send_connection_init.complete" in events
            paths = ("/", "/.well-known/security.txt", "/")
            answers = await asyncio.gather(*(client.get(f"{url}{path}") for path in paths))
            return [(answer.status_code, answer.http_version) for answer in answers]

    assert asyncio.run(scenario()) == [(200, "HTTP/2")] * 3
    assert backend.connections == 1
