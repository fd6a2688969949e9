"""One DNS wait, bounded by what is left of the audit's deadline.

The resolver's own lifetime is the per-query timeout (`--probe-timeout`); this cuts a query short
when the audit's deadline comes first, as a ProbeError like any other DNS failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from trustscan.collect.base import Deadline
from trustscan.core.errors import ProbeError

T = TypeVar("T")

__all__ = ["within_deadline"]


async def within_deadline(deadline: Deadline | None, query: Callable[[], Awaitable[T]], rdtype: str, name: str) -> T:
    """`await query()` (the *rdtype* lookup of *name*), abandoned with a ProbeError when the deadline passes first."""
    if deadline is None:
        return await query()
    if deadline.expired:
        raise ProbeError("error.dns.not_sent", rdtype=rdtype, name=name)
    try:
        async with asyncio.timeout(deadline.remaining()):
            return await query()
    except TimeoutError:
        raise ProbeError("error.dns.cut", rdtype=rdtype, name=name) from None
