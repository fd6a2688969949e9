"""Guards around httpcore's HTTP/2 connections (httpcore 1.0.9), kept apart from the client they protect.

Two httpcore bugs would turn a good site's probes into errors: a cancellation landing in the
HTTP/2 connection set-up corrupts its stream semaphore (`Http2Setup`), and an abandoned response's
stream is never reset, so a connection's stream limit and window fill up. `RetiringPool`'s
connections guard against both. They work through httpcore's public hooks (the trace extension,
`create_connection`) and go once httpcore resets streams and shields its set-up itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from typing import Any

import httpcore

__all__ = ["Http2Setup", "RetiringPool", "body_length", "outside_http2_setup"]


class RetiringPool(httpcore.AsyncConnectionPool):
    """httpcore's pool, whose connections retire once they have abandoned many responses."""

    def create_connection(self, origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
        return _RetiringConnection(super().create_connection(origin))


class _RetiringConnection(httpcore.AsyncConnectionInterface):
    """A pooled connection that takes no new request once its abandoned responses could block it.

    httpcore (1.0.9) never resets an HTTP/2 stream its caller gave up on (a redirect whose body
    is not read, a page cut at its size cap, a timeout; encode/httpcore #1022). Two things then
    pile up on the connection. h2 counts the stream open until the server ends it: a server that
    never does fills its stream limit (nginx: 128) and every later request fails with "Max
    outbound streams is 128, 128 open". And the body the server still sends is never
    acknowledged: after 16 MiB unread (httpcore's connection window) the server can send
    nothing more on the connection and every request on it times out. So a connection retires
    after ABANDONED_LIMIT abandoned responses (half of the usual 100 streams; an audit of the
    whole test world abandons at most 4 on one connection) or once the bodies it abandoned
    announced UNREAD_LIMIT bytes more than were read (Content-Length; a body of unknown length
    counts for none of its unread part). A retired connection finishes the requests it carries
    and is closed once idle; the next request opens a new one within the pool's limit. An
    HTTP/1.1 connection is closed by httpcore itself when a response is abandoned.
    """

    ABANDONED_LIMIT = 50
    UNREAD_LIMIT = 8 * 1024 * 1024  # half of the 16 MiB connection window httpcore opens

    def __init__(self, inner: httpcore.AsyncConnectionInterface) -> None:
        self._inner = inner
        self.abandoned = 0
        self.unread = 0  # bytes the abandoned bodies announced and nobody read
        # Once a response has come back, the connection's HTTP/2 set-up (if any) is over for good.
        self.set_up = False

    @property
    def retired(self) -> bool:
        return self.abandoned >= self.ABANDONED_LIMIT or self.unread >= self.UNREAD_LIMIT

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        try:
            if self.set_up:
                response = await self._inner.handle_async_request(request)
            else:
                response = await outside_http2_setup(self._inner.handle_async_request, request)
        except httpcore.ConnectionNotAvailable:
            raise  # never sent: the pool tries another connection
        except BaseException:
            self.abandoned += 1  # failed or cancelled, perhaps after its stream was opened
            raise
        self.set_up = True
        return httpcore.Response(status=response.status, headers=response.headers,
                                 content=_EndWatchingStream(response.stream, self, body_length(request, response)),
                                 extensions=response.extensions)

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return self._inner.can_handle_request(origin)

    def is_available(self) -> bool:
        return not self.retired and self._inner.is_available()

    def has_expired(self) -> bool:
        return self._inner.has_expired() or (self.retired and self._inner.is_idle())

    def is_idle(self) -> bool:
        return self._inner.is_idle()

    def is_closed(self) -> bool:
        return self._inner.is_closed()

    def info(self) -> str:
        return self._inner.info() + (", retired" if self.retired else "")

    async def aclose(self) -> None:
        await self._inner.aclose()


def body_length(request: httpcore.Request, response: httpcore.Response) -> int | None:
    """The body length a response announced; None when absent, odd, or for an answer without a body."""
    if request.method == b"HEAD" or response.status in (204, 304):
        return None
    values = [value.strip() for name, value in response.headers if name.lower() == b"content-length"]
    # At most 18 digits: a hostile header cannot make int() work hard or raise.
    return int(values[0]) if len(values) == 1 and values[0].isdigit() and len(values[0]) <= 18 else None


class _EndWatchingStream:
    """A response body that tells its connection when it is closed before its end was read."""

    def __init__(self, inner: Any, connection: _RetiringConnection, length: int | None) -> None:
        self._inner = inner
        self._connection = connection
        self._length = length
        self._read = 0
        self._ended = False
        self._closed = False

    async def __aiter__(self) -> AsyncGenerator[bytes, None]:
        async for chunk in self._inner:
            self._read += len(chunk)
            yield chunk
        self._ended = True

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            if not self._ended:
                self._connection.abandoned += 1
                self._connection.unread += max(0, (self._length or 0) - self._read)
            if hasattr(self._inner, "aclose"):
                await self._inner.aclose()


async def outside_http2_setup(send: Callable[[httpcore.Request], Coroutine[Any, Any, httpcore.Response]],
                              request: httpcore.Request) -> httpcore.Response:
    """`send(request)`, run so that a cancellation never lands in httpcore's HTTP/2 set-up.

    httpcore (1.0.9) opens an HTTP/2 connection by acquiring 99 permits of its stream semaphore
    one at a time, each acquisition a yield to the event loop, after the connection preface is sent
    and before the first request's headers are. A cancellation landing there (a hop timeout, a
    probe cancelled at the deadline) leaves the semaphore with permits it never took; the server's
    SETTINGS then release them again and raise "semaphore released too many times" in whichever
    request reads them. So the request runs in its own task: a cancellation of the caller waits
    until that set-up has ended, then cancels the request. The set-up does no network I/O (permits
    are taken from a fresh semaphore under httpcore's init lock), so the wait is a few event-loop
    turns whatever the site does: deadlines hold. A connection sends only its requests until its
    first response through here: a task and a trace hook per request were ~5% of a request's CPU.
    """
    caller_trace = request.extensions.get("trace")
    setup = Http2Setup(caller_trace)
    request.extensions["trace"] = setup.trace
    task: asyncio.Task[httpcore.Response] = asyncio.create_task(send(request))
    task.add_done_callback(setup.task_done)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await setup.cancel_after(task)
        raise
    finally:
        # As the caller gave it: a request the pool retries on another connection is traced afresh.
        if caller_trace is None:
            request.extensions.pop("trace", None)
        else:
            request.extensions["trace"] = caller_trace


class Http2Setup:
    """Follows one request through httpcore's trace events: is it inside the HTTP/2 set-up?"""

    OPENS = "http2.send_connection_init.complete"  # the preface is sent; the semaphore loop follows

    def __init__(self, trace: Callable[[str, dict[str, Any]], Awaitable[None]] | None) -> None:
        self._trace = trace  # a caller's own trace extension, still called
        self.ended = asyncio.Event()
        self.ended.set()

    async def trace(self, name: str, info: dict[str, Any]) -> None:
        # No await before the flag changes: the event is exact to the step httpcore is at.
        if name == self.OPENS:
            self.ended.clear()
        else:
            self.ended.set()  # the next event (the first request's headers, or a failure) ends it
        if self._trace is not None:
            await self._trace(name, info)

    def task_done(self, task: asyncio.Task[httpcore.Response]) -> None:
        self.ended.set()
        if not task.cancelled():
            task.exception()  # retrieved: a request its caller stopped waiting for fails quietly

    async def cancel_after(self, task: asyncio.Task[httpcore.Response]) -> None:
        """Cancel the request once it is outside the set-up; close a response nobody will read."""
        while not self.ended.is_set():
            try:
                await self.ended.wait()
            except asyncio.CancelledError:
                continue  # cancelled again: the caller's CancelledError is raised all the same
        task.cancel()
        await asyncio.wait([task])
        if not task.cancelled() and task.exception() is None:
            await task.result().aclose()  # it had completed before the cancellation reached it
