"""A cancellation during httpcore's HTTP/2 connection set-up must not break the connection.

httpcore 1.0.9 takes 99 permits of a fresh stream semaphore, one event-loop turn each, between the
connection preface and the first request's headers; a cancellation landing there made the next
request on the connection fail with "semaphore released too many times" (the `good` site of the
world audit). The server here is h2's own state machine behind an in-memory stream that says it
negotiated h2 by ALPN, so httpcore's real HTTP/2 code runs. The cancellation is timed by httpcore's
own trace event: it is requested the moment the preface has been sent, so it reaches the request
at its next yield, the first permit of that loop. tests/integration/test_http2_world.py does the
same against the world's nginx.

The same server shows why a connection retires once its abandoned responses could block it:
streams a server never ends, and bodies nobody reads, which use up the connection's window.
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

from trustscan.net.http2guard import body_length
from trustscan.net.httpclient import PinnedTransport, make_client


class _AlpnH2:
    def selected_alpn_protocol(self) -> str:
        return "h2"


class _H2Server(httpcore.AsyncNetworkStream):
    """An HTTP/2 server in memory: answers each request 200 "ok"; never when `silent`; with
    `unending`, a redirect whose stream it never ends (a hostile server holding streams open);
    with `body`, that many bytes, as far as the flow-control windows let it send them."""

    def __init__(self, *, silent: bool, unending: bool = False, body: int = 0) -> None:
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        # nginx's value; the client's side becomes min(128, 100) = 100 streams once it arrives.
        self.h2.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 128})
        self.h2.initiate_connection()
        self.silent = silent
        self.unending = unending
        self.body = body
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
                if self.unending:
                    self.h2.send_headers(event.stream_id, [(":status", "302"), ("location", "/next")])
                elif self.body:
                    self._send_body(event.stream_id)
                elif not self.silent:
                    self.h2.send_headers(event.stream_id, [(":status", "200")])
                    self.h2.send_data(event.stream_id, b"ok", end_stream=True)
        self._more.set()

    def _send_body(self, stream_id: int) -> None:
        self.h2.send_headers(stream_id, [(":status", "200"), ("content-length", str(self.body))])
        left = self.body
        while sendable := min(left, self.h2.local_flow_control_window(stream_id), self.h2.max_outbound_frame_size):
            self.h2.send_data(stream_id, b"x" * sendable)
            left -= sendable
        if not left:
            self.h2.end_stream(stream_id)  # else the rest waits for a WINDOW_UPDATE, which never comes here

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        while not (data := self.h2.data_to_send(max_bytes)):
            self._more.clear()
            await self._more.wait()
        return data

    async def aclose(self) -> None:
        self.closed = True


class _Backend(httpcore.AsyncNetworkBackend):
    def __init__(self, *, silent: bool = False, unending: bool = False, body: int = 0) -> None:
        self.silent, self.unending, self.body = silent, unending, body
        self.servers: list[_H2Server] = []

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.servers.append(_H2Server(silent=self.silent, unending=self.unending, body=self.body))
        return self.servers[-1]

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _cancel_after_preface(caller: list[asyncio.Task[Any]], events: list[str],
                          event: str = "http2.send_connection_init.complete") -> Any:
    """A trace extension that records httpcore's events and cancels the caller after the preface.

    Requested from the trace callback, the cancellation reaches the caller's task at its next
    yield: without the guard, the first permit of httpcore's set-up loop. Another `event`
    cancels it elsewhere.
    """

    async def trace(name: str, info: dict[str, Any]) -> None:
        events.append(name)
        if name == event:
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


def test_a_connection_retires_before_streams_a_server_never_ends_fill_its_limit() -> None:
    # Each redirect is read to its headers and closed, as the redirect follower does; the server
    # never ends the stream, so h2 counts it open: without retiring, request 129 on the
    # connection failed with "Max outbound streams is 128, 128 open", and every one after it.
    backend = _Backend(unending=True)

    async def scenario() -> list[int]:
        statuses = []
        async with make_client(PinnedTransport(backend), timeout=5) as client:
            for _ in range(200):
                async with client.stream("GET", "https://h2.test/") as response:
                    statuses.append(response.status_code)
        return statuses

    assert asyncio.run(scenario()) == [302] * 200
    assert len(backend.servers) == 200 // 50  # a new connection after each 50 abandoned streams
    assert all(server.closed for server in backend.servers[:-1])  # a retired connection is closed
    assert [server.requests for server in backend.servers] == [50] * 4


def test_a_connection_whose_responses_are_read_to_their_end_is_kept() -> None:
    backend = _Backend()

    async def scenario() -> None:
        async with make_client(PinnedTransport(backend), timeout=5) as client:
            for _ in range(200):
                assert (await client.get("https://h2.test/")).text == "ok"

    asyncio.run(scenario())
    assert len(backend.servers) == 1


def test_cancelled_requests_count_as_abandoned_streams() -> None:
    backend = _Backend(silent=True)

    async def scenario() -> None:
        async with make_client(PinnedTransport(backend), timeout=30) as client:
            for _ in range(60):  # each cancelled once its headers are sent, as a hop timeout would
                caller: list[asyncio.Task[Any]] = []
                sent = _cancel_after_preface(caller, [], "http2.send_request_headers.complete")
                caller.append(asyncio.create_task(client.get("https://h2.test/", extensions={"trace": sent})))
                with pytest.raises(asyncio.CancelledError):
                    await caller[0]

    asyncio.run(scenario())
    assert [server.requests for server in backend.servers] == [50, 10]


def test_a_connection_retires_before_unread_bodies_exhaust_its_flow_control_window() -> None:
    # Each 3 MB body is cut after its first chunk, as a size cap does. httpcore never acknowledges
    # the rest, which the server sends anyway: without retiring, the sixth such body used up the
    # connection's 16 MiB window and the seventh request waited for an answer that could not come.
    backend = _Backend(body=3_000_000)

    async def scenario() -> int:
        cut = 0
        async with make_client(PinnedTransport(backend), timeout=30) as client:
            for _ in range(12):
                async with asyncio.timeout(5), client.stream("GET", "https://h2.test/") as response:
                    async for _chunk in response.aiter_raw():
                        cut += 1
                        break
        return cut

    assert asyncio.run(scenario()) == 12
    assert [server.requests for server in backend.servers] == [3, 3, 3, 3]  # 3 x ~3 MB unread > 8 MiB


@pytest.mark.parametrize(("method", "status", "headers", "length"), [
    (b"GET", 200, [(b"Content-Length", b"3000000")], 3_000_000),
    (b"GET", 200, [], None),  # unknown: counts for none of its unread part
    (b"GET", 200, [(b"content-length", b"12"), (b"content-length", b"13")], None),
    (b"GET", 200, [(b"content-length", b"-5")], None),
    (b"GET", 200, [(b"content-length", b"9" * 5000)], None),  # int() would refuse it: never tried
    (b"HEAD", 200, [(b"content-length", b"3000000")], None),  # no body follows
    (b"GET", 304, [(b"content-length", b"3000000")], None),
])
def test_the_announced_body_length_of_an_abandoned_response(method: bytes, status: int,
                                                             headers: list[tuple[bytes, bytes]],
                                                             length: int | None) -> None:
    request = httpcore.Request(method, "https://h2.test/")
    assert body_length(request, httpcore.Response(status, headers=headers)) == length
