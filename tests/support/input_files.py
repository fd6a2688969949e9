"""User-given files that must be refused at once: a FIFO (no writer ever comes) and an oversize file.

`refused_file(kind, path, cap)` makes one; `within(seconds)` fails a test that waits on it instead of
refusing it (SIGALRM interrupts even a blocking open() of a FIFO, so a hang becomes a failure).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

#: The two ways a user-given file must be refused without being read whole.
KINDS = ("fifo", "oversize")


class Hung(Exception):  # noqa: N818 - the name is what the test report should say
    """The code under test waited instead of refusing the file."""


def refused_file(kind: str, path: Path, cap: int) -> Path:
    """A FIFO at *path*, or a sparse file one byte over *cap* (no disk is used for the hole)."""
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(path)
    else:
        with path.open("wb") as handle:
            handle.truncate(cap + 1)
    return path


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Raise Hung in the test's thread if the block takes longer than *seconds*."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
