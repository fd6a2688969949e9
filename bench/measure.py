"""What the benchmarks share: timing one command as a user would run it."""

from __future__ import annotations

import compileall
import os
import resource
import subprocess
import time
from pathlib import Path

#: The child environment: warnings off, and bytecode caches used. `pip install` of the wheel
#: compiles every module to .pyc; a checkout with PYTHONDONTWRITEBYTECODE set would recompile
#: trustscan from source on every start (~0.1 s) while sslyze, installed by pip, would not.
CHILD_ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONWARNINGS": "ignore"}


def child_env(pythonpath: str | None = None) -> dict[str, str]:
    """CHILD_ENV, with *pythonpath* (another copy of trustscan, for a same-run comparison) first on the path."""
    return {**CHILD_ENV, "PYTHONPATH": pythonpath} if pythonpath else CHILD_ENV


def compile_like_installed(*others: Path | None) -> None:
    """Byte-compile the trustscan package (and other copies of it), as installing a wheel does, before
    anything is timed."""
    for folder in (Path(__file__).resolve().parents[1], *others):
        if folder is not None:
            compileall.compile_dir(folder / "trustscan", quiet=1)


def timed(command: list[str], *, pythonpath: str | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user+sys of the child) and exit code of one command.

    *pythonpath*: run another copy of trustscan (e.g. `git archive main trustscan | tar -x -C DIR`),
    which then comes before the installed one, for a same-run comparison."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clock = time.perf_counter()
    # From a neutral folder: `python -m` puts the working folder first on sys.path, which would shadow
    # a --baseline copy with the checkout the benchmark is started from.
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd="/",
                            env=child_env(pythonpath))
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), result.returncode
