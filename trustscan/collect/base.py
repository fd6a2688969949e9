"""What a probe is given: the pinned target, the shared HTTP client, the clock and its budget.

A probe is declared as a ProbeSpec: a name (the first segment of every fact path rules read),
an async function of the context and of the attempts of the probes it needs, and those needs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from trustscan.core.models import Attempt
from trustscan.core.settings import AuditSettings
from trustscan.core.target import DEFAULT_HTTP_PORT, Target
from trustscan.net.resolve import Resolver


@dataclass(frozen=True)
class Deadline:
    """One audit's end, on the monotonic clock: created once by the audit and passed down.

    Every network wait (DNS, TLS handshakes, HTTP requests, the crawl) is bounded by what is left
    of it, so no probe and no worker thread keeps working after the audit has given up on it.
    """

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(self.at - time.monotonic(), 0.0)

    def bound(self, timeout: float) -> float:
        """`timeout`, cut to what is left of the deadline."""
        return min(timeout, self.remaining())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at


@dataclass(frozen=True)
class ProbeContext:
    """Everything one audit's probes share; built once per audit, never mutated."""

    target: Target
    pinned: str
    addresses: tuple[str, ...]
    settings: AuditSettings
    client: httpx.AsyncClient
    resolver: Resolver
    now: datetime
    budget: float

    @property
    def https_url(self) -> str:
        return self.target.https_url

    @property
    def origin(self) -> str:
        """`https://host[:port]` without a trailing slash."""
        return self.target.https_url.rstrip("/")

    @property
    def http_url(self) -> str:
        host = f"[{self.target.ascii_host}]" if ":" in self.target.ascii_host else self.target.ascii_host
        port = self.settings.http_port
        return f"http://{host}/" if port == DEFAULT_HTTP_PORT else f"http://{host}:{port}/"


ProbeFunction = Callable[[ProbeContext, Mapping[str, Attempt]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ProbeSpec:
    """A probe the audit runs: `run(context, needed_attempts)` returns its facts."""

    name: str
    run: ProbeFunction
    needs: tuple[str, ...] = ()
