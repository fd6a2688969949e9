"""A guard that fails the test if anything tries to connect: refusals must happen before a socket moves.

`forbid_connections(monkeypatch)` replaces `socket.socket.connect`/`connect_ex` (every TCP or UDP
connect in Python code: asyncio, anyio, httpcore, dnspython, nassl's socket) and httpcore's network
backends with functions that record the attempt and fail the test; the returned list holds what was
attempted, so a test can also assert it stayed empty after catching an exception.
"""

from __future__ import annotations

import socket
from typing import Any

import httpcore
import pytest

from trustscan.net.streams import AsyncioBackend


def forbid_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[1:] if len(args) > 1 else args)
        pytest.fail(f"a connection was attempted: {attempts[-1]!r}")

    async def refuse_async(*args: Any, **kwargs: Any) -> Any:
        return refuse(*args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", refuse_async)
    monkeypatch.setattr(AsyncioBackend, "connect_tcp", refuse_async)
    return attempts
