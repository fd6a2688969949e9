"""The probe scheduler: results, errors and the deadline, with stand-in probes (no network)."""

from __future__ import annotations

import asyncio
import time

import pytest

from trustscan.collect.base import Deadline, ProbeSpec
from trustscan.collect.runner import in_daemon_thread, run_probes
from trustscan.core.errors import ProbeError


def blocking(value: int, *, fail: bool = False, sleep: float = 0.0) -> int:
    time.sleep(sleep)
    if fail:
        raise ProbeError("refused")
    return value


def test_daemon_thread_delivers_results_and_exceptions() -> None:
    async def go() -> None:
        assert await in_daemon_thread(blocking, 7) == 7
        with pytest.raises(ProbeError, match="refused"):
            await in_daemon_thread(blocking, 1, fail=True)

    asyncio.run(go())


def test_abandoned_daemon_thread_does_not_block_the_loop() -> None:
    async def go() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(in_daemon_thread(blocking, 1, sleep=3.0), timeout=0.1)

    clock = time.monotonic()
    asyncio.run(go())
    assert time.monotonic() - clock < 1.0


def test_run_probes_turns_every_outcome_into_an_attempt() -> None:
    async def ok(context, needed) -> dict:  # type: ignore[no-untyped-def]
        return {"x": 1}

    async def refused(context, needed) -> dict:  # type: ignore[no-untyped-def]
        raise ProbeError("connection refused")

    async def buggy(context, needed) -> dict:  # type: ignore[no-untyped-def]
        raise KeyError("oops")

    async def slow(context, needed) -> dict:  # type: ignore[no-untyped-def]
        await asyncio.sleep(10)
        return {}

    async def after_ok(context, needed) -> dict:  # type: ignore[no-untyped-def]
        return {"saw": needed["ok"].data}

    specs = [ProbeSpec("ok", ok), ProbeSpec("refused", refused), ProbeSpec("buggy", buggy),
             ProbeSpec("slow", slow), ProbeSpec("after_ok", after_ok, needs=("ok",))]
    clock = time.monotonic()
    attempts = asyncio.run(run_probes(specs, None, deadline=Deadline.after(0.3)))  # type: ignore[arg-type]
    assert time.monotonic() - clock < 2.0
    assert attempts["ok"].status.value == "completed" and attempts["ok"].data == {"x": 1}
    assert attempts["after_ok"].data == {"saw": {"x": 1}}
    assert attempts["refused"].status.value == "error" and attempts["refused"].error == "connection refused"
    assert attempts["buggy"].status.value == "error" and "internal error in probe buggy" in attempts["buggy"].error
    assert attempts["slow"].status.value == "error" and "deadline" in attempts["slow"].error


def test_the_audits_client_checks_every_redirect_hop_against_the_address_policy() -> None:
    # The client the probes share wraps the pinned transport (deadline, shared answers); the redirect
    # follower must still find the policy, so a hop to a refused address is refused before it is asked.
    from trustscan.collect.runner import collect
    from trustscan.core.settings import AuditSettings
    from trustscan.core.target import parse_target
    from trustscan.net.httpclient import follow_redirects
    from trustscan.net.resolve import Resolver

    seen: dict[str, object] = {}

    async def hop_to_private(context, needed) -> dict:  # type: ignore[no-untyped-def]
        seen["policy"] = context.client.address_policy
        try:
            await follow_redirects(context.client, "http://10.0.0.1/", lambda answer: answer, max_redirects=1)
        except Exception as exc:  # noqa: BLE001 - the refusal is what is looked at
            seen["error"] = exc
        return {}

    async def go() -> None:
        await collect(parse_target("www.gov.vn"), ("203.0.113.5",), AuditSettings(), Resolver(), Deadline.after(5),
                      None, [ProbeSpec("hop", hop_to_private)])

    asyncio.run(go())
    assert seen["policy"] is not None
    assert "private" in str(seen["error"])
