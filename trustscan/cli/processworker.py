"""Entry point of a `bulk --processes` worker process (trustscan.bulk.processes starts it, never a user).

It starts as the console script does (trustscan.cli.startup: the collector waits while modules and
rules load, then freezes them), then serves the bulk process until its input ends.
"""

from __future__ import annotations

import functools
from typing import NoReturn

from trustscan.cli.startup import defer_collection, hide_known_warnings, startup_done


def main() -> NoReturn:
    defer_collection()
    hide_known_warnings()  # as the console script does: a worker's stderr is the user's terminal
    from trustscan.bulk.processes import child_main

    child_main(loaded=functools.partial(startup_done, many_audits=True))
