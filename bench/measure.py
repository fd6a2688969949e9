"""What the benchmarks share: timing one command as a user would run it."""

from __future__ import annotations

import os
import resource
import subprocess
import time


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user+sys of the child) and exit code of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clock = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), result.returncode
