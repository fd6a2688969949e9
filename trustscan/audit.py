"""Run one audit: resolve once, run every probe concurrently under one deadline, judge.

Collect, then judge: this module only schedules probes and hands their attempts to the pure
rule engine. A probe that raises, times out or is cut by the deadline becomes an `error`
attempt, so nothing it would have checked can pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from trustscan.collect.base import ProbeContext, ProbeSpec
from trustscan.collect.blocklist import check_blocklists
from trustscan.collect.crawl.probes import CONTENT_PROBES
from trustscan.collect.dns.zone import probe_zone
from trustscan.collect.http.exposure import probe_exposure
from trustscan.collect.http.frontdoor import probe_https_headers, probe_plain_http
from trustscan.collect.http.securitytxt import fetch_security_txt
from trustscan.collect.tls.deep import scan_tls
from trustscan.collect.tls.fast import scan_tls_fast
from trustscan.core.errors import AddressPolicyError, ProbeError
from trustscan.core.models import Attempt
from trustscan.core.settings import AuditSettings
from trustscan.core.target import Target
from trustscan.judge.engine import evaluate, roll_up
from trustscan.judge.ruleset import Ruleset, load_ruleset
from trustscan.net.httpclient import PinnedBackend, PinnedTransport, make_client
from trustscan.net.resolve import Resolver, is_public
from trustscan.owner.declaration import DECLARATION_PROBE, Declaration, declaration_attempt
from trustscan.report.document import AuditOutcome

T = TypeVar("T")

__all__ = ["AddressPolicyError", "PROBES", "in_daemon_thread", "probes_for", "run_audit", "run_probes"]


async def run_audit(
    target: Target,
    settings: AuditSettings,
    *,
    ruleset: Ruleset | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    declaration: Declaration | None = None,
) -> AuditOutcome:
    """Audit one site. Raises AddressPolicyError before any connection if the address is refused.

    `declaration` (the owner's, already validated) enters the evidence as the `declaration`
    pseudo-probe: it does no I/O, and without one criterion a can only be `manual`.
    """
    ruleset = ruleset or load_ruleset()
    if settings.criteria is not None:
        ruleset = ruleset.restricted_to(settings.criteria)
    probes_needed = probes_for(ruleset)
    started = datetime.now(UTC)
    clock = time.monotonic()
    resolver = Resolver(settings.nameserver, timeout=min(settings.probe_timeout, settings.timeout))
    dns_attempt = await _resolve(target, resolver)
    addresses: tuple[str, ...] = tuple(dns_attempt.data["addresses"]) if dns_attempt.data else ()
    evidence: dict[str, Attempt] = {"dns": dns_attempt}
    evidence[DECLARATION_PROBE] = declaration_attempt(declaration, target.ascii_host, started)
    if not addresses:
        # Nothing could be checked, so every probe is an error (audit incomplete), not "skipped".
        reason = f"not run: {dns_attempt.error}"
        evidence.update({spec.name: Attempt.failed(spec.name, reason) for spec in probes_needed})
    else:
        pinned = addresses[0]
        if not settings.allow_private and not is_public(pinned):
            raise AddressPolicyError(
                f"{target.ascii_host} resolves to non-public address {pinned}; "
                "use --allow-private to audit intranet or local sites"
            )
        remaining = settings.timeout - (time.monotonic() - clock)
        probes = await _run_network_probes(target, addresses, settings, resolver, remaining, transport,
                                           probes_needed)
        evidence.update(probes)
    verdicts = evaluate(ruleset, evidence)
    return AuditOutcome(
        target=target,
        addresses=addresses,
        started_at=started,
        finished_at=datetime.now(UTC),
        evidence=evidence,
        verdicts=tuple(verdicts),
        criteria=roll_up(ruleset, verdicts),
        declaration=declaration,
    )


async def _resolve(target: Target, resolver: Resolver) -> Attempt:
    if target.is_ip:
        return Attempt.completed("dns", {"addresses": [target.ascii_host], "source": "literal"})
    clock = time.monotonic()
    try:
        addresses = await resolver.addresses(target.ascii_host)
    except ProbeError as exc:
        return Attempt.failed("dns", str(exc), time.monotonic() - clock)
    return Attempt.completed("dns", {"addresses": addresses, "source": "dns"}, time.monotonic() - clock)


async def _run_network_probes(
    target: Target,
    addresses: tuple[str, ...],
    settings: AuditSettings,
    resolver: Resolver,
    budget: float,
    transport: httpx.AsyncBaseTransport | None,
    specs: Sequence[ProbeSpec],
) -> dict[str, Attempt]:
    pinned = addresses[0]
    if transport is None:
        backend = PinnedBackend({target.ascii_host: pinned}, resolver, allow_private=settings.allow_private)
        transport = PinnedTransport(backend)
    async with make_client(transport, timeout=settings.probe_timeout) as client:
        context = ProbeContext(target=target, pinned=pinned, addresses=addresses, settings=settings,
                               client=client, resolver=resolver, now=datetime.now(UTC), budget=budget)
        return await run_probes(specs, context, deadline=budget)


async def _tls(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    scan = scan_tls if context.settings.deep else scan_tls_fast  # same facts; --deep lists every suite
    return await in_daemon_thread(
        scan, context.target.ascii_host, context.pinned, context.target.port,
        ca_bundle=context.settings.ca_bundle, timeout=min(context.settings.probe_timeout, context.budget),
        now=context.now,
    )


async def _http(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return await probe_plain_http(context.client, context.http_url)


async def _https(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return await probe_https_headers(context.client, context.https_url)


async def _securitytxt(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return await fetch_security_txt(context.client, context.origin, now=context.now)


async def _exposure(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    # Twice the probe timeout per whole request: connect, headers and a capped body over a shared pool.
    return await probe_exposure(context.client, context.origin, timeout=2 * context.settings.probe_timeout)


async def _zone(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return await probe_zone(context.resolver, context.target.ascii_host, is_ip=context.target.is_ip)


async def _blocklist(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    host = None if context.target.is_ip else context.target.ascii_host
    return await check_blocklists(settings=context.settings, resolver=context.resolver, host=host,
                                  addresses=context.addresses, now=context.now)


#: Every network probe of an audit; the name is the first segment of the facts rules read.
PROBES: tuple[ProbeSpec, ...] = (
    ProbeSpec("tls", _tls),
    ProbeSpec("http", _http),
    ProbeSpec("https", _https),
    ProbeSpec("securitytxt", _securitytxt),
    ProbeSpec("exposure", _exposure),
    ProbeSpec("zone", _zone),
    ProbeSpec("blocklist", _blocklist),
    *CONTENT_PROBES,  # crawl, then content / privacy / links_reputation (criteria b and đ)
)


def probes_for(ruleset: Ruleset) -> tuple[ProbeSpec, ...]:
    """The probes the ruleset's rules read, with the probes those need, in PROBES order.

    With `--only c,e` an audit does the TLS, HTTP and security.txt work and nothing else.
    """
    wanted = {probe for rule in ruleset.rules for probe in rule.probes}
    for spec in reversed(PROBES):  # needs are declared earlier, so one backward pass closes the set
        if spec.name in wanted:
            wanted.update(spec.needs)
    return tuple(spec for spec in PROBES if spec.name in wanted)


async def run_probes(
    specs: Sequence[ProbeSpec], context: ProbeContext, *, deadline: float
) -> dict[str, Attempt]:
    """Run probes concurrently (each once its needs are done); unfinished at the deadline = error."""
    tasks: dict[str, asyncio.Task[Attempt]] = {}
    for spec in specs:
        needs = {name: tasks[name] for name in spec.needs}  # a need must be declared earlier
        tasks[spec.name] = asyncio.create_task(_attempt(spec, context, needs))
    done, pending = await asyncio.wait(tasks.values(), timeout=max(deadline, 0.0))
    for task in pending:
        task.cancel()
    results: dict[str, Attempt] = {}
    for name, task in tasks.items():
        if task in done:
            results[name] = task.result()
        else:
            results[name] = Attempt.failed(name, f"audit deadline of {deadline:.0f}s reached", deadline)
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
        return Attempt.failed(spec.name, str(exc), time.monotonic() - clock)
    except Exception as exc:  # noqa: BLE001 - a probe bug must become an honest error, not a crash
        return Attempt.failed(spec.name, f"internal error in probe {spec.name}: {type(exc).__name__}: {exc}",
                              time.monotonic() - clock)
    return Attempt.completed(spec.name, data, time.monotonic() - clock)
