"""SharedGets: one audit's identical GET requests are sent once, each caller gets its own copy of the answer.

A stand-in server (httpx.MockTransport with an async handler) counts the requests that reach it and
answers with bodies delivered chunk by chunk, slowly, or broken, so each way a leader can end is seen
by its followers. Every run is in asyncio's debug mode with warnings as errors (pyproject): a task or
future left behind by a cancellation would fail the test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from trustscan.net.httpclient import make_client, read_capped
from trustscan.net.sharedgets import ENTRY_COST, SHARE_CAP, SharedGets

URL = "https://site.test/"


class Server:
    """Counts requests by URL; `answer(request)` makes each response."""

    def __init__(self, answer: Callable[[httpx.Request], Awaitable[httpx.Response]]) -> None:
        self.answer = answer
        self.seen: list[httpx.Request] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return await self.answer(request)

    def count(self, url: str = URL) -> int:
        return sum(1 for request in self.seen if str(request.url) == url)


def first_then(first: Callable[[httpx.Request], Awaitable[httpx.Response]],
               then: Callable[[httpx.Request], Awaitable[httpx.Response]]) -> Server:
    """A server answering its first request with `first` and every later one with `then`."""
    async def answer(request: httpx.Request) -> httpx.Response:
        return await (first if len(server.seen) == 1 else then)(request)
    server = Server(answer)
    return server


def chunked(*parts: bytes, pause: float = 0.0, fail: Exception | None = None) -> AsyncIterator[bytes]:
    async def body() -> AsyncIterator[bytes]:
        for part in parts:
            if pause:
                await asyncio.sleep(pause)
            yield part
        if fail is not None:
            raise fail
    return body()


def home(body: bytes = b"<html>home</html>", *, delay: float = 0.0,
         headers: dict[str, str] | None = None) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(delay)
        return httpx.Response(200, headers={"X-Seen": "1", **(headers or {})}, content=chunked(body))
    return answer


async def own(request: httpx.Request) -> httpx.Response:
    """A later request's own answer (after the leader's was not shared)."""
    return httpx.Response(200, content=chunked(b"own"))


def run(scenario: Callable[[httpx.AsyncClient, Server], Awaitable[Any]], server: Server, *,
        timeout: float = 5.0, **shared: Any) -> Any:
    async def go() -> Any:
        transport = SharedGets(httpx.MockTransport(server.handle), **shared)
        async with make_client(transport, timeout=timeout) as client:
            result = await scenario(client, server)
        await asyncio.sleep(0)
        assert asyncio.all_tasks() == {asyncio.current_task()}, "a task was left behind"
        return result
    return asyncio.run(go(), debug=True)


async def get(client: httpx.AsyncClient, url: str = URL, **kwargs: Any) -> tuple[httpx.Response, bytes]:
    async with client.stream("GET", url, **kwargs) as response:
        body, _ = await read_capped(response, 10 * SHARE_CAP)
        return response, body


async def headers_only(client: httpx.AsyncClient, url: str = URL) -> httpx.Response:
    async with client.stream("GET", url) as response:
        return response

async def leader_and_follower(client: httpx.AsyncClient, lead: Callable[..., Awaitable[Any]] = get, *,
                              head_start: float = 0.01) -> tuple[asyncio.Task[Any], asyncio.Task[Any]]:
    """Two identical requests under way: the leader, then (after `head_start`) one waiting for it."""
    leader = asyncio.create_task(lead(client))
    await asyncio.sleep(head_start)
    follower = asyncio.create_task(get(client))
    await asyncio.sleep(0.01)
    return leader, follower


async def cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task



def test_concurrent_identical_requests_are_sent_once_and_each_caller_gets_its_own_response() -> None:
    server = Server(home(delay=0.05))

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        plain = await asyncio.gather(get(client), get(client), headers_only(client))
        (first, body1), (second, body2), third = plain
        assert server.count() == 1
        assert body1 == body2 == b"<html>home</html>"
        assert {first.status_code, second.status_code, third.status_code} == {200}
        assert first.headers["x-seen"] == second.headers["x-seen"] == third.headers["x-seen"] == "1"
        assert len({id(first), id(second), id(third)}) == 3
        assert len({id(first.request), id(second.request), id(third.request)}) == 3  # each its own request
        # Later, the same request is answered from the audit's memory; another URL is sent.
        _, again = await get(client)
        await get(client, "https://site.test/other")
        assert (server.count(), server.count("https://site.test/other"), again) == (1, 1, b"<html>home</html>")

    run(scenario, server)


def test_requests_whose_headers_or_cookies_differ_are_not_shared() -> None:
    server = Server(home(headers={"Set-Cookie": "session=abc; Path=/"}))

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        await get(client)  # sets the cookie in the client's jar
        assert client.cookies.get("session") == "abc"  # Set-Cookie handled by the client as before
        await get(client)  # now sent with the cookie: not the first answer
        await get(client, headers={"User-Agent": "Googlebot"})
        request = client.build_request("GET", URL)
        request.headers.pop("cookie")  # the crawl's cookie-less first visit: the very first request again
        await client.send(request)
        assert server.count() == 3
        assert [r.headers.get("cookie") for r in server.seen] == [None, "session=abc", "session=abc"]

    run(scenario, server)


def test_a_shared_answer_still_sets_its_cookies_in_the_client_jar() -> None:
    server = Server(home(delay=0.05, headers={"Set-Cookie": "lang=vi; Path=/"}))

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        first, second = await asyncio.gather(get(client), get(client))
        assert server.count() == 1
        assert first[0].headers["set-cookie"] == second[0].headers["set-cookie"] == "lang=vi; Path=/"
        assert client.cookies.get("lang") == "vi"

    run(scenario, server)


def test_a_body_over_the_cap_is_not_shared_and_reaches_the_leader_whole() -> None:
    big = [bytes([65 + i]) * 1000 for i in range(10)]
    server = Server(lambda request: _later(httpx.Response(200, content=chunked(*big, pause=0.01))))

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        (_, leader), (_, follower) = await asyncio.gather(get(client), get(client))
        assert leader == follower == b"".join(big)
        assert server.count() == 2  # the follower sent its own
        await get(client)
        assert server.count() == 3  # and nothing was kept

    run(scenario, server, cap=3000)


def test_an_error_before_the_answer_is_the_leaders_alone() -> None:
    async def refused(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        raise httpx.ConnectError("refused", request=request)

    async def fine(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return httpx.Response(200, content=b"fine")

    server = first_then(refused, fine)

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        leader, follower = await asyncio.gather(get(client), get(client), return_exceptions=True)
        assert isinstance(leader, httpx.ConnectError)
        assert isinstance(follower, tuple) and follower[1] == b"fine"
        assert server.count() == 2

    run(scenario, server)


def test_an_error_in_the_body_reaches_a_reading_leader_after_its_first_bytes_only() -> None:
    def broken() -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
        async def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=chunked(b"<html>", fail=httpx.ReadError("reset")))
        return answer

    async def reading(client: httpx.AsyncClient, server: Server) -> None:
        seen: list[bytes] = []
        with pytest.raises(httpx.ReadError, match="reset"):
            async with client.stream("GET", URL) as response:
                async for chunk in response.aiter_raw():
                    seen.append(chunk)
        assert seen == [b"<html>"]

    run(reading, Server(broken()))

    async def not_reading(client: httpx.AsyncClient, server: Server) -> None:
        response = await headers_only(client)  # the headers probe: never sees the body's error
        assert response.status_code == 200
        with pytest.raises(httpx.ReadError):
            await get(client)  # not shared: sent again, and broken again
        assert server.count() == 2

    run(not_reading, Server(broken()))


def test_a_cancelled_leader_leaves_its_followers_to_send_their_own() -> None:
    async def late(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.2)
        return httpx.Response(200, content=chunked(b"late"))

    server = first_then(late, own)

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        leader, follower = await leader_and_follower(client)
        await cancel(leader)
        _, body = await follower
        assert body == b"own" and server.count() == 2

    run(scenario, server)


def test_a_leader_cancelled_while_reading_ahead_closes_the_body_and_frees_its_followers() -> None:
    async def dripping(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunked(b"a", b"b", pause=0.2))

    server = first_then(dripping, own)

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        leader, follower = await leader_and_follower(client, headers_only, head_start=0.05)  # in the read-ahead
        await cancel(leader)
        assert (await follower)[1] == b"own"
        assert server.count() == 2

    run(scenario, server)


def test_a_cancelled_follower_leaves_nothing_behind_and_the_leader_shares_on() -> None:
    server = Server(home(delay=0.1))

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        leader, follower = await leader_and_follower(client)
        await cancel(follower)
        assert (await leader)[1] == b"<html>home</html>"
        assert (await get(client))[1] == b"<html>home</html>"
        assert server.count() == 1

    run(scenario, server)


def test_a_follower_waits_no_longer_than_its_own_read_timeout() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(1.0)  # a leader whose server is slow to answer
        return await page(request)

    async def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunked(b"page"))

    server = first_then(slow, page)

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        leader = asyncio.create_task(get(client))
        await asyncio.sleep(0.01)
        clock = time.monotonic()
        _, body = await get(client)
        waited = time.monotonic() - clock
        assert body == b"page" and 0.2 <= waited < 0.6  # its read timeout (0.25 s), then its own request
        assert (await leader)[1] == b"page"
        assert server.count() == 2

    run(scenario, server, timeout=0.25)


def test_a_slow_drip_body_does_not_hold_a_headers_only_leader_past_its_read_timeout() -> None:
    server = Server(lambda request: _later(httpx.Response(200, content=chunked(*[b"x"] * 40, pause=0.05))))

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        clock = time.monotonic()
        response = await headers_only(client)
        assert response.status_code == 200 and time.monotonic() - clock < 0.6  # ~0.3 s + one chunk, not 2 s
        clock = time.monotonic()
        _, body = await get(client)  # not shared: sent again, read whole by its caller
        assert body == b"x" * 40 and server.count() == 2

    run(scenario, server, timeout=0.3)


def test_answers_are_kept_within_the_budget_only() -> None:
    body = b"y" * 1000
    server = Server(home(body))
    urls = [f"https://site.test/{n}" for n in range(4)]

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        for url in urls + urls:
            assert (await get(client, url))[1] == body
        # Room for two answers: the first two are asked for once, the last two each time.
        assert [server.count(url) for url in urls] == [1, 1, 2, 2]

    run(scenario, server, keep_budget=2 * (len(body) + ENTRY_COST))


def test_only_bodiless_gets_are_shared() -> None:
    server = Server(home())

    async def scenario(client: httpx.AsyncClient, server: Server) -> None:
        for _ in range(2):
            await client.post(URL, content=b"form")
            await client.head(URL)
            await client.request("GET", URL, content=b"body")
        assert server.count() == 6

    run(scenario, server)


async def _later(response: httpx.Response) -> httpx.Response:
    return response
