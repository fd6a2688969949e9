"""The one way trustscan writes a moment: RFC 3339 in UTC, to the second, with a `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(moment: datetime) -> str:
    """`2027-11-22T00:00:00Z` for any timezone-aware moment."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def now_rfc3339() -> str:
    """The current moment, as rfc3339 writes it."""
    return rfc3339(datetime.now(UTC))
