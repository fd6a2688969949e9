"""Run the probes of one audit concurrently under its one deadline; every outcome becomes an Attempt.

A probe that raises, times out or is cut by the deadline becomes an `error` attempt, so nothing
it would have checked can pass. Every HTTP wait is bounded by what is left of the deadline (the
shared client's transport cuts each request's timeouts), and probes bound their other waits (DNS,
TLS handshakes, the crawl) with `context.deadline.bound(...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from trustscan.collect import registry
from trustscan.collect.base import Deadline, ProbeContext, ProbeSpec
from trustscan.core.errors import ProbeError
from trustscan.core.models import Attempt
from trustscan.core.settings import AuditSettings
from trustscan.core.target import Target
from trustscan.core.wordings import Wording
from trustscan.net.httpclient import PinnedBackend, PinnedTransport, make_client
from trustscan.net.resolve import Resolver
from trustscan.net.sharedgets import SharedGets

T = TypeVar("T")

__all__ = ["DeadlineTransport", "collect", "in_daemon_thread", "probes_for", "run_probes"]


def probes_for(read: Iterable[str]) -> tuple[ProbeSpec, ...]:
    """The probes named in `read` (the probes the rules read), with the probes those need, in registry order.

    With `--only c,e` an audit does the TLS, HTTP and security.txt work and nothing else.
    """
    every = registry.probes()
    wanted = set(read)
    for spec in reversed(every):  # needs come earlier, so one backward pass closes the set
        if spec.name in wanted:
            wanted.update(spec.needs)
    return tuple(spec for spec in every if spec.name in wanted)


class DeadlineTransport(httpx.AsyncBaseTransport):
    """Wraps the audit's transport: each request's connect/read/write/pool timeouts are cut to
    what is left of the deadline, so no HTTP wait outlives the audit."""

    def __init__(self, inner: httpx.AsyncBaseTransport, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        request.extensions["timeout"] = {
            phase: self._deadline.remaining() if limit is None else self._deadline.bound(limit)
            for phase, limit in timeouts.items()
        }
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def collect(
    target: Target,
    addresses: tuple[str, ...],
    settings: AuditSettings,
    resolver: Resolver,
    deadline: Deadline,
    transport: httpx.AsyncBaseTransport | None,
    specs: Sequence[ProbeSpec],
    *,
    cname_chain: tuple[str, ...] = (),
) -> dict[str, Attempt]:
    """Run `specs` against the target pinned to `addresses[0]`, sharing one HTTP client.

    The client's identical GET requests are sent once and their answer shared (net/sharedgets.py).
    """
    pinned = addresses[0]
    if transport is None:
        backend = PinnedBackend({target.ascii_host: pinned}, resolver, allow_private=settings.allow_private)
        transport = PinnedTransport(backend)
    # SharedGets under the deadline: a request waiting for an identical one's answer waits at most its
    # own read timeout, already cut to what is left of the deadline. One per audit, never shared.
    shared = SharedGets(transport)
    async with make_client(DeadlineTransport(shared, deadline), timeout=settings.probe_timeout,
                           policy_of=transport) as client:
        context = ProbeContext(target=target, pinned=pinned, addresses=addresses, settings=settings,
                               client=client, resolver=resolver, now=datetime.now(UTC), deadline=deadline,
                               cname_chain=cname_chain)
        return await run_probes(specs, context, deadline=deadline)


async def run_probes(
    specs: Sequence[ProbeSpec], context: ProbeContext, *, deadline: Deadline
) -> dict[str, Attempt]:
    """Run probes concurrently (each once its needs are done); unfinished at the deadline = error."""
    budget = deadline.remaining()
    tasks: dict[str, asyncio.Task[Attempt]] = {}
    for spec in specs:
        needs = {name: tasks[name] for name in spec.needs}  # a need must be declared earlier
        tasks[spec.name] = asyncio.create_task(_attempt(spec, context, needs))
    done, pending = await asyncio.wait(tasks.values(), timeout=budget)
    for task in pending:
        task.cancel()
    results: dict[str, Attempt] = {}
    for name, task in tasks.items():
        if task in done:
            results[name] = task.result()
        else:
            results[name] = Attempt.failed(name, Wording("error.audit_deadline", {"seconds": f"{budget:.0f}"}), budget)
    if pending:
        await asyncio.wait(pending, timeout=1.0)
    return results


def in_daemon_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
    """Run blocking work (sslyze) in a daemon thread whose result the event loop can await.

    Unlike asyncio.to_thread, an abandoned call (deadline reached) does not hold up the end of
    asyncio.run or of the process: sslyze cannot be cancelled, only stopped waiting for.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def work() -> None:
        try:
            result = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task as-is
            deliver = functools.partial(future.set_exception, exc)
        else:
            deliver = functools.partial(future.set_result, result)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting any more
            loop.call_soon_threadsafe(settle, deliver)

    threading.Thread(target=work, name=f"trustscan-{function.__name__}", daemon=True).start()
    return future


async def _attempt(
    spec: ProbeSpec, context: ProbeContext, needs: Mapping[str, asyncio.Task[Attempt]]
) -> Attempt:
    needed = {name: await task for name, task in needs.items()}
    clock = time.monotonic()
    try:
        data = await spec.run(context, needed)
    except ProbeError as exc:
        return Attempt.failed(spec.name, exc.wording, time.monotonic() - clock)
    except Exception as exc:  # noqa: BLE001 - a probe bug must become an honest error, not a crash
        bug = Wording("error.internal", {"probe": spec.name, "kind": type(exc).__name__, "detail": str(exc)})
        return Attempt.failed(spec.name, bug, time.monotonic() - clock)
    return Attempt.completed(spec.name, data, time.monotonic() - clock)
