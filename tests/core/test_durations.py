"""Durations on the command line (`monitor --every`, `publish --stale-after`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trustscan.core.durations import format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90), ("2.5", 2.5), ("45s", 45), ("15m", 900), ("6h", 21600), ("7d", 604800), ("1w", 604800),
    ("1h30m", 5400), ("1d12h", 129600), (" 2M ", 120), ("0.5s", 0.5),
])
def test_durations_people_write(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "0", "0s", "-5", "5x", "h", "1h 30", "1e3", "9999999d", "1h-30m", "nan"])
def test_anything_else_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="duration|longer"):
        parse_duration(text)


@pytest.mark.parametrize("seconds", [0.5, 5, 60, 90, 3600, 5400, 86400 + 7200, 7 * 86400])
def test_format_reads_back(seconds: float) -> None:
    duration = timedelta(seconds=seconds)
    assert parse_duration(format_duration(duration)) == duration
