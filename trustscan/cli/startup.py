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

A process that audits site after site (`bulk` in one process, the worker processes of `bulk
--processes`, `trustscan worker`, `monitor`) says so (`many_audits`): its first generation is
collected every MANY_AUDITS_THRESHOLD allocations instead of 700. Most of an audit's objects (HTTP/2
events, requests, responses) are freed by their reference count within a few hundred allocations, so
a larger batch finds far fewer survivors to walk and promote: in a 200-site run each worker spent
0.29-0.40 s in 230-250 collections at 700, 0.14-0.22 s in 14 at 10,000 (~1.5 ms of CPU per site),
and each collection pauses the event loop for ~13 ms at most, which no network timeout notices. The
cost is memory: cyclic garbage waits longer, a few MB per process (a 200-site run's processes peaked
at 223 MB together, against 216).
"""

from __future__ import annotations

import gc
import warnings

__all__ = ["MANY_AUDITS_THRESHOLD", "defer_collection", "hide_known_warnings", "startup_done"]

#: Allocations between first-generation collections while starting (CPython's default is 700).
STARTUP_THRESHOLD = 100_000
#: ... and afterwards, in a process that audits many sites (see the module docstring).
MANY_AUDITS_THRESHOLD = 10_000
_saved: list[tuple[int, ...]] = []


def defer_collection() -> None:
    """Collect rarely until `startup_done` (the console script calls this first)."""
    if not _saved:
        _saved.append(gc.get_threshold())
        gc.set_threshold(STARTUP_THRESHOLD, *_saved[0][1:])


def startup_done(*, many_audits: bool = False) -> None:
    """What exists now lives for the whole command: keep it out of later collections; normal thresholds
    (`many_audits`: a first generation collected in MANY_AUDITS_THRESHOLD batches)."""
    gc.freeze()
    defaults = _saved.pop() if _saved else gc.get_threshold()
    gc.set_threshold(MANY_AUDITS_THRESHOLD if many_audits else defaults[0], *defaults[1:])


def hide_known_warnings() -> None:
    """sslyze's bundled trust store trips a known cryptography deprecation warning (a root with a
    non-positive serial number) in every process that loads it; it says nothing about the audited
    site, so users should not see it."""
    from cryptography.utils import CryptographyDeprecationWarning  # 0.5 ms

    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
