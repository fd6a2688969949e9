"""One audit's identical GET requests, sent once: the first fetches, the others share its answer.

Several probes of one audit ask the same thing: the crawl's home page, the HTTPS headers probe and
the exposure probe's `/` candidate each send `GET https://host/` with the same headers, and the
crawl and the privacy-policy probe both read the policy page. Each such request costs ~0.8 ms of
CPU (HTTP/2 framing, request building), and the audit is CPU-bound in bulk runs. `SharedGets`
wraps one audit's transport (collect/runner.py, under its DeadlineTransport) and answers an
identical request from the first one's answer. How it stays exact:

- Identical means the same method (GET, with no body and no extension but the timeouts), the same
  URL and the same final request headers, byte for byte and in order, as the client hands them to
  the transport: httpx has merged its cookie jar into them by then, so a request sent after the
  site set a cookie carries it and is not answered with an answer to a cookie-less one. Each
  redirect hop (net/httpclient.py follow_redirects) is its own request, so its own key.
- Shared only whole: the first request (the leader) reads its body ahead, in its own task, up to
  SHARE_CAP bytes as received (before content decoding). SHARE_CAP is 4 times the exposure
  probe's BODY_CAP (16 KiB, the smallest cap of the callers that read a body; the crawl and the
  policy probe read up to 2 MiB): a typical compressed home page fits, and at most 64 KiB is read
  that a caller did not ask for (the headers probe reads no body; the exposure probe stops at
  16 KiB; the crawl reads no body of a type it does not parse). A body that ends within the cap
  is shared; a bigger one is not buffered further: the leader gets what was read followed by the
  rest as a stream, as if nothing had been read ahead, and nobody shares it. A read-ahead that takes longer
  than the leader's read timeout stops the same way, so a slow-drip body cannot hold a caller that
  only wanted the headers (the HTTPS headers probe) more than one read timeout past one chunk.
- An error while reading ahead is kept for the leader, raised where its own reading would have
  met it (after the bytes that came first); a caller that reads no body never sees it, as before.
  An error before the headers, or a cancelled leader (its caller's timeout, the audit deadline),
  is the leader's alone: the waiting requests then send their own, as they would have.
- A later request waits for the leader's answer at most its own read timeout (already cut to the
  audit deadline), then sends its own: a slow leader cannot hold it longer than its own request
  could have taken to answer. Waits are an asyncio.Event under asyncio.timeout, in the caller's own
  task: no task or future is created, so a cancellation anywhere leaves nothing behind.
- Each caller gets its own httpx.Response (status, headers, the whole body, extensions), and httpx
  then binds it to the request that caller sent and hands it to the client's cookie jar, so every
  probe sees what it would have seen and Set-Cookie is read as before.
- HTTP/2 (net/http2guard.py): a body read ahead to its end ends its stream, so it is not counted
  as abandoned (the headers probe used to abandon it); a body over the cap or cut by the time
  limit stays the leader's stream, counted exactly as before when the leader drops it.
- Answers are kept for the rest of the audit (the exposure probe asks for `/` after the crawl
  read it; the policy probe reads its page after the crawl), at most KEEP_BUDGET bytes per audit
  (bodies plus ENTRY_COST each): past it, an answer is still given to the requests waiting for it
  but not kept. Nothing outlives the audit's client: one SharedGets per audit, never shared.

A page that changes on every request (a token, a clock) is read once per audit by the probes that
send the same request: they all get the same answer, as one visit would give. Requests that
differ (the cloaking probe's other User-Agents and Referers, the crawl's cookie-less first visits
once the site has set a cookie) are never shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

__all__ = ["ENTRY_COST", "KEEP_BUDGET", "SHARE_CAP", "SharedGets"]

SHARE_CAP = 64 * 1024
KEEP_BUDGET = 16 * SHARE_CAP
ENTRY_COST = 1024  # an answer's headers and bookkeeping, so that many empty answers count too

# URL parts, then the request headers as (name, value) byte pairs in the order they are sent.
Key = tuple[str, bytes, int | None, bytes, tuple[tuple[bytes, bytes], ...]]
_PLAIN_EXTENSIONS = frozenset({"timeout"})


class _Answer:
    """The leader's answer with its whole body: what every identical request is given a copy of."""

    __slots__ = ("body", "extensions", "headers", "status")

    def __init__(self, response: httpx.Response, body: bytes) -> None:
        # The leader's own headers and extensions, not copies: httpx and the probes only read them, and
        # every copy given out is made from them (httpx.Response copies the headers it is given).
        self.status = response.status_code
        self.headers = response.headers
        self.body = body
        self.extensions = response.extensions

    def response(self) -> httpx.Response:
        return httpx.Response(self.status, headers=self.headers, stream=httpx.ByteStream(self.body),
                              extensions=dict(self.extensions))


class _Pending:
    """One key's leader at work, then its answer (None: the others send their own request)."""

    __slots__ = ("_ready", "answer", "done")

    def __init__(self) -> None:
        self.answer: _Answer | None = None
        self.done = False
        self._ready: asyncio.Event | None = None  # made by the first waiter only: most requests have none

    def settle(self, answer: _Answer | None) -> None:
        self.answer = answer
        self.done = True
        if self._ready is not None:
            self._ready.set()

    async def wait(self, seconds: float | None) -> None:
        """Until the leader has settled, at most `seconds` (TimeoutError)."""
        if self._ready is None:
            self._ready = asyncio.Event()
        async with asyncio.timeout(seconds):
            await self._ready.wait()


class SharedGets(httpx.AsyncBaseTransport):
    """Wraps one audit's transport: identical GET requests are sent once (see the module's text)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, cap: int = SHARE_CAP,
                 keep_budget: int = KEEP_BUDGET) -> None:
        self._inner = inner
        self._cap = cap
        self._budget = keep_budget
        self._kept = 0
        self._pending: dict[Key, _Pending] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = _key(request)
        if key is None:
            return await self._inner.handle_async_request(request)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending()
            return await self._lead(key, pending, request)
        if not pending.done:
            with contextlib.suppress(TimeoutError):
                await pending.wait(_read_timeout(request))
        if pending.answer is not None:
            return pending.answer.response()
        return await self._inner.handle_async_request(request)

    async def _lead(self, key: Key, pending: _Pending, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            self._settle(key, pending, None)
            raise
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        chunks: list[bytes] = []
        size = 0
        budget = _read_timeout(request)
        started = time.monotonic()
        body = stream.__aiter__()
        try:
            async for chunk in body:
                chunks.append(chunk)
                size += len(chunk)
                if size > self._cap or (budget is not None and time.monotonic() - started > budget):
                    break  # not shared: the leader reads on from here
            else:
                whole = b"".join(chunks)
                await stream.aclose()  # the end was read: the connection is free again
                self._settle(key, pending, _Answer(response, whole))
                response.stream = httpx.ByteStream(whole)
                return response
        except Exception as exc:  # noqa: BLE001 - the leader meets it where its own reading would have
            self._settle(key, pending, None)
            response.stream = _ReadOn(chunks, None, stream, failure=exc)
            return response
        except BaseException:
            self._settle(key, pending, None)
            await stream.aclose()
            raise
        self._settle(key, pending, None)
        response.stream = _ReadOn(chunks, body, stream)
        return response

    def _settle(self, key: Key, pending: _Pending, answer: _Answer | None) -> None:
        cost = 0 if answer is None else len(answer.body) + ENTRY_COST
        if answer is not None and self._kept + cost <= self._budget:
            self._kept += cost  # kept for later identical requests of this audit
        elif self._pending.get(key) is pending:
            del self._pending[key]  # the next identical request leads anew
        pending.settle(answer)

    async def aclose(self) -> None:
        self._pending.clear()
        await self._inner.aclose()


class _ReadOn(httpx.AsyncByteStream):
    """The leader's body when it is not shared: the chunks read ahead, then the rest of the stream
    (or the error reading ahead met)."""

    def __init__(self, head: list[bytes], rest: AsyncIterator[bytes] | None, stream: httpx.AsyncByteStream, *,
                 failure: Exception | None = None) -> None:
        self._head = head
        self._rest = rest
        self._stream = stream
        self._failure = failure

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._head:
            yield chunk
        if self._failure is not None:
            raise self._failure
        if self._rest is not None:
            async for chunk in self._rest:
                yield chunk

    async def aclose(self) -> None:
        rest: Any = self._rest
        if hasattr(rest, "aclose"):  # the inner body generator, left where the read-ahead stopped
            await rest.aclose()
        await self._stream.aclose()


def _key(request: httpx.Request) -> Key | None:
    """What makes two requests the same on the wire; None for a request that is never shared."""
    if request.method != "GET" or not request.extensions.keys() <= _PLAIN_EXTENSIONS:
        return None
    # A body given as bytes is in `request.content` (httpx reads it at once); any other body is a stream.
    if type(request.stream) is not httpx.ByteStream or request.content:
        return None
    url = request.url
    return url.scheme, url.raw_host, url.port, url.raw_path, tuple(request.headers.raw)


def _read_timeout(request: httpx.Request) -> float | None:
    timeouts = request.extensions.get("timeout") or {}
    limit = timeouts.get("read")
    return None if limit is None else float(limit)
