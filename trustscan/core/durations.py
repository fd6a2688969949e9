"""Durations as people write them on a command line: `90`, `45s`, `15m`, `6h`, `7d`, `1h30m`.

A bare number is seconds. Units: s, m, h, d (days), w (weeks); parts add up and may repeat in any
order (`1d12h`). Zero, negative, fractional-unit-less garbage and anything over ten years are refused.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["MAX_DURATION", "format_duration", "parse_duration"]

MAX_DURATION = timedelta(days=3660)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?[smhdw])+")


def parse_duration(text: str) -> timedelta:
    """The duration *text* names; ValueError (with the reason) when it names none."""
    value = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        seconds = float(value)
    elif _WHOLE.fullmatch(value):
        seconds = sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(value))
    else:
        raise ValueError(f"{text[:40]!r} is not a duration (examples: 90, 45s, 15m, 6h, 7d, 1h30m)")
    if seconds <= 0:
        raise ValueError(f"{text[:40]!r}: a duration must be longer than zero")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{text[:40]!r}: longer than {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """The shortest spelling parse_duration reads back: `1d2h`, `15m`, `2.5s`."""
    seconds = duration.total_seconds()
    if seconds != int(seconds) or seconds < 60:
        return f"{seconds:g}s"
    parts = []
    rest = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
