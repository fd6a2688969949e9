"""The probe contract: what a probe declares (ProbeSpec) and what it is given (ProbeContext).

A probe module declares a module-level ProbeSpec: a name (the first segment of every fact path
rules read), an async function of the context and of the attempts of the probes it needs, those
needs, and the facts it produces. `trustscan.collect.registry` finds every spec under
`trustscan.collect`, so adding a probe is a new module (plus its rules), never an edit to the
audit. Rules are checked against the declared facts when they are loaded.

Fact paths are dotted, without the probe name: `certificate.expired` of probe `tls` is the fact
`tls.certificate.expired`. Declaring `certificate.expired` also makes `certificate` a *group*:
every key the probe produces inside it must be declared too. A segment `*` stands for keys that
are data, not names (`accepted_suites.*`: one entry per protocol version the server accepted).
A declared path that is not a group is a leaf: its value (a list, a mapping of free-form data)
is read whole.
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
    #: The audit's one deadline: bound every wait by it (`deadline.bound(settings.probe_timeout)`).
    deadline: Deadline
    #: The target's CNAME chain from the resolution (`dns.cname_chain`): the name, then each alias.
    cname_chain: tuple[str, ...] = ()

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
    """A probe the audit runs: `run(context, needed_attempts)` returns its facts.

    `needs`: the probes whose attempts `run` receives (the registry orders them first).
    `facts`: the fact paths (without the probe name; see the module docstring) it produces.
    Keep a probe module cheap to import: sslyze, nassl and lxml are imported inside `run`.
    """

    name: str
    run: ProbeFunction
    needs: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class FactSource:
    """Facts of an attempt the audit builds itself instead of scheduling a probe.

    The resolution that gates every probe (`dns`) and the owner's declaration are not run by the
    scheduler, but rules read their facts, so they are declared the same way as a probe's.
    """

    name: str
    facts: tuple[str, ...]
