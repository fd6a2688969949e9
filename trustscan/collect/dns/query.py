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


async def within_deadline(deadline: Deadline | None, query: Callable[[], Awaitable[T]], what: str) -> T:
    """`await query()`, abandoned with ProbeError("DNS: <what> ...") when the deadline passes first."""
    if deadline is None:
        return await query()
    if deadline.expired:
        raise ProbeError(f"DNS: {what} not sent: audit deadline reached")
    try:
        async with asyncio.timeout(deadline.remaining()):
            return await query()
    except TimeoutError:
        raise ProbeError(f"DNS: {what} cut by the audit deadline") from None
