"""Each site's history across runs (monitor rounds), and what its public badge may say now.

A run of `trustscan bulk` or one round of `trustscan monitor` is one entry of every audited site's
history. From it come the changes since the previous round and *since when* a site has had its
current result (`portfolio`), and the site's standing for its public badge (`publish`):

- the badge shows the latest round that has a result for the site;
- it turns grey, **stale**, when the site's last successful check (a round whose audit ran and
  ended pass or fail) is older than `Freshness.stale_after`: a mark that nobody re-checked says
  nothing about the site today;
- a valid signed self-declaration that says pass keeps a pass badge through a failed round (one
  bad rescan does not revoke an owner's word at once), but a site whose last `fail_rounds`
  checked rounds all failed loses it, whatever the declaration says (Internet.nl's Hall of Fame
  drops a site after repeated failed rescans the same way). Rounds that could not check the site
  (`error`) neither count as failures nor end a streak of them.

Pure functions over the results database's public API (`ResultStore.rounds`), no network.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from trustscan.bulk.store import ResultStore, RoundRow
from trustscan.publish.attestation import Document, parse_time

__all__ = ["DEFAULT_FAIL_ROUNDS", "DEFAULT_STALE_AFTER", "MAX_ROUNDS_KEPT", "Freshness", "SiteHistory", "Standing",
           "load_histories", "standing"]

#: Rounds kept per site in memory (the newest); an older start of a streak is then "at least since".
MAX_ROUNDS_KEPT = 1000
DEFAULT_FAIL_ROUNDS = 3
DEFAULT_STALE_AFTER = timedelta(days=7)
_CHECKED = ("pass", "fail")


@dataclass(frozen=True)
class Round:
    """One site's verdict in one run."""

    run_id: int
    started_at: str  # when the run (round) started
    finished_at: str  # when this site's audit ended
    overall: str  # pass | fail | error
    criteria: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "started_at": self.started_at, "finished_at": self.finished_at,
                "overall": self.overall, "criteria": dict(self.criteria)}


@dataclass
class SiteHistory:
    """A site's rounds, oldest first (at most MAX_ROUNDS_KEPT of the newest; `dropped` counts the others)."""

    site: str
    rounds: deque[Round] = field(default_factory=lambda: deque(maxlen=MAX_ROUNDS_KEPT))
    dropped: int = 0

    def add(self, row: RoundRow) -> None:
        if len(self.rounds) == MAX_ROUNDS_KEPT:
            self.dropped += 1
        self.rounds.append(Round(row.run_id, row.run_started_at, row.finished_at, row.overall, dict(row.criteria)))

    @property
    def latest(self) -> Round | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def previous(self) -> Round | None:
        return self.rounds[-2] if len(self.rounds) > 1 else None

    def since(self) -> Round | None:
        """The first round of the unbroken streak of the latest result (the site has passed/failed since then)."""
        if not self.rounds:
            return None
        first = self.rounds[-1]
        for earlier in reversed(self.rounds):
            if earlier.overall != first.overall:
                break
            first = earlier
        return first

    def since_is_lower_bound(self) -> bool:
        """True when the streak reaches back past the rounds kept: "since" is then "at least since"."""
        return bool(self.dropped) and self.since() is self.rounds[0]

    def last_checked(self) -> Round | None:
        """The newest round whose audit ran and reached a verdict (pass or fail)."""
        return next((r for r in reversed(self.rounds) if r.overall in _CHECKED), None)

    def trailing_failures(self) -> int:
        """Failed checked rounds at the end of the history, counting back to the last pass."""
        count = 0
        for entry in reversed(self.rounds):
            if entry.overall == "pass":
                break
            if entry.overall == "fail":
                count += 1
        return count


def load_histories(store: ResultStore, *, up_to_run: int | None = None) -> dict[str, SiteHistory]:
    """Every site's history from *store* (up to and including run *up_to_run* when given)."""
    return group_rounds(store.rounds(up_to_run=up_to_run))


def group_rounds(rows: Iterable[RoundRow]) -> dict[str, SiteHistory]:
    histories: dict[str, SiteHistory] = {}
    for row in rows:
        histories.setdefault(row.site, SiteHistory(row.site)).add(row)
    return histories


@dataclass(frozen=True)
class Freshness:
    """How old a last successful check may be, and how many failed rounds revoke a declared pass."""

    stale_after: timedelta = DEFAULT_STALE_AFTER
    fail_rounds: int = DEFAULT_FAIL_ROUNDS

    def __post_init__(self) -> None:
        if self.fail_rounds < 1:
            raise ValueError("fail_rounds must be at least 1")


@dataclass(frozen=True)
class Standing:
    """What a site's public badge says now, and why.

    state: pass | fail | error | stale. `declared` is True when the pass rests on a valid signed
    declaration while the latest checked round(s) failed (fewer than `fail_rounds` of them).
    """

    state: str
    latest: Round | None
    last_checked_at: str | None
    failed_rounds: int
    fail_rounds: int
    declared: bool
    declaration_says: str | None  # the valid declaration's overall, when one was given
    reason: str  # a message id saying why (for the site page)

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "latest": self.latest.as_dict() if self.latest else None,
                "last_checked_at": self.last_checked_at, "failed_rounds": self.failed_rounds,
                "fail_rounds": self.fail_rounds, "declared": self.declared,
                "declaration_says": self.declaration_says, "reason": self.reason}


def standing(history: SiteHistory, freshness: Freshness, *, now: datetime,
             declaration: Document | None = None) -> Standing:
    """The badge state of a site with *history* at *now*.

    *declaration* must already be verified by the caller (signature and key); an expired one is
    ignored here. Order of the rules: stale first (nothing recent is known), then the latest round.
    """
    latest = history.latest
    checked = history.last_checked()
    failures = history.trailing_failures()
    says = None
    if declaration is not None and declaration.signed and not declaration.expired(now):
        overall = declaration.report.get("overall")
        says = overall if isinstance(overall, str) else None

    def result(state: str, reason: str, declared: bool = False) -> Standing:
        return Standing(state, latest, checked.finished_at if checked else None, failures, freshness.fail_rounds,
                        declared, says, reason)

    if checked is None or now - parse_time(checked.finished_at) > freshness.stale_after:
        return result("stale", "site.standing.stale")
    assert latest is not None  # a checked round exists
    if latest.overall == "error":
        return result("error", "site.standing.error")
    if latest.overall == "pass":
        return result("pass", "site.standing.pass")
    if says == "pass" and failures < freshness.fail_rounds:
        return result("pass", "site.standing.declared_grace", declared=True)
    if says == "pass":
        return result("fail", "site.standing.declaration_revoked")
    return result("fail", "site.standing.fail")
