"""The crawl's deadline, checked between the steps of analysing a page.

One parse or one pass over the tree cannot be interrupted, so each step (crawl.py, extract.py,
hiding.py, scriptplacement.py) checks the deadline before it starts and stops with `TimeoutError`:
never facts from a page analysed in part.
"""

from __future__ import annotations

import time


def in_time(deadline: float) -> None:
    """Raise TimeoutError once `deadline` (time.monotonic()) has passed: the analysis must stop there."""
    if time.monotonic() >= deadline:
        raise TimeoutError("crawl deadline reached")
