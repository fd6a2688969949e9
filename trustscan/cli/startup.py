"""Start-up of a trustscan process (the console script's, a worker's): garbage collection, warnings.

Garbage collection: not while the modules and the rule set load, once after.

Start-up creates some 60,000 long-lived objects (modules, classes, the rule set, the message
catalogue), none of them garbage. With CPython's default thresholds the collector walked them over
and over while they were being made, and a full collection during an audit then walked all of them
again: 50-70 ms of a 0.55 s audit went to collections that found nothing to free. So the console
script raises the first generation's threshold while starting (cyclic garbage is still collected,
later and in bigger batches, so memory stays bounded even for a command that never calls
`startup_done`), and the scanning commands call `startup_done` once the scanner and the rules are
loaded: those objects are frozen out of every later collection (`gc.freeze`) and the default
thresholds come back for the scan itself.
"""

from __future__ import annotations

import gc
import warnings

__all__ = ["defer_collection", "hide_known_warnings", "startup_done"]

#: Allocations between first-generation collections while starting (CPython's default is 700).
STARTUP_THRESHOLD = 100_000
_saved: list[tuple[int, ...]] = []


def defer_collection() -> None:
    """Collect rarely until `startup_done` (the console script calls this first)."""
    if not _saved:
        _saved.append(gc.get_threshold())
        gc.set_threshold(STARTUP_THRESHOLD, *_saved[0][1:])


def startup_done() -> None:
    """What exists now lives for the whole command: keep it out of later collections; normal thresholds."""
    gc.freeze()
    if _saved:
        gc.set_threshold(*_saved.pop())


def hide_known_warnings() -> None:
    """sslyze's bundled trust store trips a known cryptography deprecation warning (a root with a
    non-positive serial number) in every process that loads it; it says nothing about the audited
    site, so users should not see it."""
    from cryptography.utils import CryptographyDeprecationWarning  # 0.5 ms

    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
