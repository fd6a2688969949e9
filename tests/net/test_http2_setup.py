"""A cancellation during httpcore's HTTP/2 connection set-up must not break the connection.

httpcore 1.0.9 takes 99 permits of a fresh stream semaphore, one event-loop turn each, between the
connection preface and the first request's headers; a cancellation landing there made the next
request on the connection fail with "semaphore released too many times" (the `good` site of the
world audit). The server here is h2's own state machine behind an in-memory stream that says it
negotiated h2 by ALPN, so httpcore's real HTTP/2 code runs. The cancellation is timed by httpcore's
own trace event: it is requested the moment the preface has been sent, so it reaches the request
at its next yield, the first permit of that loop. tests/integration/test_http2_world.py does the
same against the world's nginx.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings
import httpcore
import httpx
import pytest

from trustscan.net.httpclient import PinnedTransport, make_client


class _AlpnH2:
    def selected_alpn_protocol(self) -> str:
        return "h2"


class _H2Server(httpcore.AsyncNetworkStream):
    """An HTTP/2 server in memory: answers each request 200 "ok", or never when `silent`."""

    def __init__(self, *, silent: bool) -> None:
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        # nginx's value; the client's side becomes min(128, 100) = 100 streams once it arrives.
        self.h2.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 128})
        self.h2.initiate_connection()
        self.silent = silent
        self.requests = 0
        self.closed = False
        self._more = asyncio.Event()
        self._more.set()

    async def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return self

    def get_extra_info(self, info: str) -> Any:
        return _AlpnH2() if info == "ssl_object" else None

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for event in self.h2.receive_data(buffer):
            if isinstance(event, h2.events.RequestReceived):
                self.requests += 1
                if not self.silent:
                    self.h2.send_headers(event.stream_id, [(":status", "200")])
                    self.h2.send_data(event.stream_id, b"ok", end_stream=True)
        self._more.set()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        while not (data := self.h2.data_to_send(max_bytes)):
            self._more.clear()
            await self._more.wait()
        return data

    async def aclose(self) -> None:
        self.closed = True


class _Backend(httpcore.AsyncNetworkBackend):
    def __init__(self, *, silent: bool = False) -> None:
        self.silent = silent
        self.servers: list[_H2Server] = []

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.servers.append(_H2Server(silent=self.silent))
        return self.servers[-1]

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _cancel_after_preface(caller: list[asyncio.Task[Any]], events: list[str]) -> Any:
    """A trace extension that records httpcore's events and cancels the caller after the preface.

    Requested from the trace callback, the cancellation reaches the caller's task at its next
    yield: without the guard, the first permit of httpcore's set-up loop.
    """

    async def trace(name: str, info: dict[str, Any]) -> None:
        events.append(name)
        if name == "http2.send_connection_init.complete":
            asyncio.get_running_loop().call_soon(caller[0].cancel)

    return trace


def test_a_request_cancelled_during_the_http2_setup_leaves_the_connection_usable() -> None:
    backend = _Backend()

    async def scenario() -> list[int]:
        events: list[str] = []
        caller: list[asyncio.Task[Any]] = []
        async with make_client(PinnedTransport(backend), timeout=5) as client:
            first = asyncio.create_task(
                client.get("https://h2.test/", extensions={"trace": _cancel_after_preface(caller, events)}))
            caller.append(first)
            with pytest.raises(asyncio.CancelledError):
                await first
            assert "http2.send_connection_init.complete" in events  # the cancellation met the set-up
            statuses = []
            for path in ("/next", "/again"):  # the SETTINGS arrive with the first of these
                response = await client.get(f"https://h2.test{path}")
                assert response.http_version == "HTTP/2"
                statuses.append(response.status_code)
            return statuses

    assert asyncio.run(scenario()) == [200, 200]
    assert len(backend.servers) == 1  # the same multiplexed connection, not a replacement


def test_concurrent_requests_behind_a_cancelled_setup_are_answered() -> None:
    backend = _Backend()

    async def scenario() -> list[int]:
        caller: list[asyncio.Task[Any]] = []
        async with make_client(PinnedTransport(backend), timeout=5) as client:
            first = asyncio.create_task(
                client.get("https://h2.test/", extensions={"trace": _cancel_after_preface(caller, [])}))
            caller.append(first)
            await asyncio.sleep(0)  # the first request opens the connection; these wait for its set-up
            others = [asyncio.create_task(client.get(f"https://h2.test/{n}")) for n in range(5)]
            with pytest.raises(asyncio.CancelledError):
                await first
            return [response.status_code for response in await asyncio.gather(*others)]

    assert asyncio.run(scenario()) == [200] * 5
    assert len(backend.servers) == 1


def test_a_cancelled_request_still_ends_at_once_when_the_site_never_answers() -> None:
    backend = _Backend(silent=True)

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        async with make_client(PinnedTransport(backend), timeout=30) as client:
            started = loop.time()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):  # a hop timeout, while the request waits for headers
                    await client.get("https://h2.test/")
            return loop.time() - started

    assert asyncio.run(scenario()) < 2.0
    assert backend.servers[0].requests == 1


def test_the_callers_own_trace_extension_still_sees_every_event() -> None:
    backend = _Backend()
    seen: list[str] = []

    async def trace(name: str, info: dict[str, Any]) -> None:
        seen.append(name)

    async def scenario() -> None:
        async with make_client(PinnedTransport(backend), timeout=5) as client:
            response = await client.get("https://h2.test/", extensions={"trace": trace})
            assert response.text == "ok"

    asyncio.run(scenario())
    assert {"http2.send_connection_init.complete", "http2.send_request_headers.started",
            "http2.receive_response_headers.complete", "http2.response_closed.complete"} <= set(seen)


def test_an_http_error_of_the_request_reaches_its_caller() -> None:
    class _Refusing(_Backend):
        async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
            raise httpcore.ConnectError("refused")

    async def scenario() -> None:
        async with make_client(PinnedTransport(_Refusing()), timeout=5) as client:
            with pytest.raises(httpx.ConnectError, match="refused"):
                await client.get("https://h2.test/")

    asyncio.run(scenario())
