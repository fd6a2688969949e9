"""The per-server-address concurrency limit held across every worker: a Redis semaphore with expiry.

In one process the scheduler keeps an `asyncio.Semaphore` per address; across machines the same
limit lives in Redis, one sorted set per address (`trustscan:addr:<address>`) whose members are the
holders' tokens scored by their expiry time. Taking a slot is one Lua script (atomic on the server):
drop expired holders, then join if fewer than `limit` remain. Expiry is what makes a killed worker
harmless: its slots lapse after the site deadline it was given, never holding an address forever.
Times are the Redis server's (`TIME`), so the workers' clocks do not matter.

The key is shared by every run and every database using the broker: politeness is per server
address, whoever scans it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from typing import Any

KEY_PREFIX = "trustscan:addr:"

# KEYS[1] the address's set; ARGV: limit, lease in ms, token. Returns 1 when the slot is taken.
_ACQUIRE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


class AddressSlots:
    """Async acquire/release of per-address slots on a `redis.asyncio.Redis` client."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._acquire = client.register_script(_ACQUIRE)
        # Set when this process releases any slot: its own waiters retry at once (as the embedded
        # scheduler's semaphores hand over), others' releases are seen by polling.
        self._released = asyncio.Condition()

    async def acquire(self, address: str, limit: int, lease: float, wait: float) -> str | None:
        """A token once one of the address's `limit` slots is ours (for `lease` seconds at most).

        None when no slot came free within `wait` seconds: the caller puts the site back in the
        queue instead of holding a worker thread (and an unacknowledged message) any longer.
        """
        token = uuid.uuid4().hex
        key = KEY_PREFIX + address
        deadline = time.monotonic() + wait
        pause = 0.01
        while True:
            if await self._acquire(keys=[key], args=[limit, int(lease * 1000), token]):
                return token
            if time.monotonic() >= deadline:
                return None
            async with self._released:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), pause * (0.5 + random.random()))  # noqa: S311
            # Short pauses: a slot freed by another worker is noticed within ~0.1 s (one small script per
            # poll, cheap for Redis); one freed here wakes this process's waiters at once.
            pause = min(pause * 2, 0.1)

    async def release(self, address: str, token: str) -> None:
        await self._client.zrem(KEY_PREFIX + address, token)
        async with self._released:
            self._released.notify_all()

    async def close(self) -> None:
        await self._client.aclose()

    async def holders(self, address: str) -> int:
        """Slots currently held on `address` (expired ones included until the next acquire)."""
        return int(await self._client.zcard(KEY_PREFIX + address))
