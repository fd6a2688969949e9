"""Live progress of a bulk run on the terminal (rich): done/total, pass/fail/error, rate and ETA.

Silent when stderr is not a terminal (CI logs, cron mail) or when the user asked for quiet, so
the progress display never ends up interleaved in captured output.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from trustscan.core.catalog import Catalog


class _RateColumn(ProgressColumn):
    """Sites per second over the current session (resumed sites are not counted as speed)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f}/s" if speed else "–/s", style="progress.data.speed")


class BulkProgress:
    """A progress bar fed by `advance(overall)`; a no-op object when disabled."""

    def __init__(self, catalog: Catalog, *, total: int, done: int, counts: dict[str, int], enabled: bool) -> None:
        self._counts = dict(counts)
        self._labels = {k: catalog.text(f"bulk.progress.{k}") for k in ("pass", "fail", "error")}
        self._progress: Progress | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"),
                _RateColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._task = self._progress.add_task(catalog.text("bulk.progress.title"), total=total,
                                                 completed=done, counts=self._counts_text())

    @staticmethod
    def wanted(quiet: bool) -> bool:
        """Progress only for a person watching a terminal."""
        return not quiet and sys.stderr.isatty()

    def _counts_text(self) -> str:
        return (f"[green]{self._labels['pass']} {self._counts['pass']}[/] "
                f"[red]{self._labels['fail']} {self._counts['fail']}[/] "
                f"[magenta]{self._labels['error']} {self._counts['error']}[/]")

    def advance(self, overall: str) -> None:
        self._counts[overall] = self._counts.get(overall, 0) + 1
        if self._progress is not None:
            self._progress.update(self._task, advance=1, counts=self._counts_text())

    def __enter__(self) -> BulkProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
