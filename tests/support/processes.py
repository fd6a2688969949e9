"""A trustscan process a test starts, stops or interrupts, and never leaves behind."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from typing import Any


@contextlib.contextmanager
def started(args: Sequence[str], *, text: bool = True, **popen: Any) -> Iterator[subprocess.Popen]:  # type: ignore[type-arg]
    """Popen with stdout and stderr piped; killed and reaped on the way out if the test did not end it."""
    proc = subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=text,
                            **popen)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
