"""Rows of a CSV table the user gave, where one malformed row is a problem to report, not the end of the file.

Used by the list parser (trustscan.lists.formats) and the portfolio reader (trustscan.bulk.portfolio).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["csv_rows"]


def csv_rows(reader: Any, malformed: Callable[[int, csv.Error], None]) -> Iterator[list[str]]:
    """Every row of `reader` (a csv.reader); a row csv cannot read (a stray quote, a field over csv's
    size limit) goes to `malformed` with its line number instead, and the rows after it are still read."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            malformed(reader.line_num, exc)
            continue
        yield row
