"""The `blocklist` probe (criterion d): the audited name and addresses against list snapshots.

Decree 137/2024/ND-CP Art. 21(2)(d): the site's domain name and server address must not be on
the "do not visit" list published at tinnhiemmang.gov.vn. The probe matches the host, each
parent domain up to the registrable domain, every name on the host's CNAME chain (the aliases
the resolution followed to the address, bounded by `net.resolve.MAX_CNAME_CHAIN`) and every
resolved A/AAAA address against every configured snapshot, and optionally asks DNSBL zones.
Without any snapshot it cannot check anything, so it raises ProbeError (criterion d becomes
`error`), saying how to import one.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from trustscan.collect.base import Deadline, ProbeContext, ProbeSpec
from trustscan.collect.dns.dnsbl import dnsbl_lookups
from trustscan.core.errors import ProbeError, SnapshotError
from trustscan.core.models import Attempt
from trustscan.core.settings import AuditSettings
from trustscan.core.wordings import Wording
from trustscan.lists.formats import reason_wording
from trustscan.lists.matcher import SnapshotSet, host_candidates
from trustscan.lists.store import load_configured
from trustscan.net.domains import registrable_domain
from trustscan.net.files import FileVersion, file_version
from trustscan.net.resolve import Resolver

__all__ = ["NO_SNAPSHOT", "check_blocklists", "load_snapshot_set", "match_facts"]

NO_SNAPSHOT = Wording("error.blocklist.none")  # "no blocklist snapshot configured: ... import it with ..."


def load_snapshot_set(files: tuple[Path, ...], lists_dir: Path | None) -> SnapshotSet:
    """The configured snapshots; ProbeError when one cannot be read (a skipped list is no check).

    Parsed and indexed once per version of the files: the blocklist and links_reputation probes
    of an audit, and every site of a bulk run, share one immutable SnapshotSet (a 100k-entry list
    takes seconds to index). Any change to a file or to the cache folder changes the key.
    """
    try:
        return _load_indexed(_fingerprint(files, lists_dir), files, lists_dir)
    except SnapshotError as exc:
        raise ProbeError("error.blocklist.unreadable", detail=str(exc)) from None


def _fingerprint(files: tuple[Path, ...], lists_dir: Path | None) -> tuple[FileVersion, ...]:
    """(path, mtime_ns, size) of every file the load would read; missing paths count as (-1, -1)."""
    paths = list(files)
    if lists_dir is not None and lists_dir.is_dir():
        paths += sorted(lists_dir.iterdir())
    stamps = []
    for path in paths:
        try:
            stamps.append(file_version(path))
        except OSError:
            stamps.append((str(path), -1, -1))
    return ((f"lists_dir={lists_dir}", 0, 0), *stamps)


@functools.lru_cache(maxsize=4)
def _load_indexed(key: tuple[FileVersion, ...], files: tuple[Path, ...],
                  lists_dir: Path | None) -> SnapshotSet:
    return SnapshotSet(load_configured(files=files, cache_dir=lists_dir))


def match_facts(
    snapshots: SnapshotSet, *, host: str | None, addresses: tuple[str, ...], now: datetime, max_age_days: float,
    cname_chain: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The snapshot half of the facts: pure matching, no I/O (host None for an IP-literal target).

    `cname_chain` is the resolution's chain (the host, then each CNAME target): every alias on it
    is matched like the host, so a subdomain aliased to a listed host is listed too.
    """
    infos = [s.info for s in snapshots.snapshots]
    if not infos:
        raise ProbeError(NO_SNAPSHOT)
    empty = [i.name for i in infos if i.entries == 0]
    if len(empty) == len(infos):
        raise ProbeError("error.blocklist.all_empty", snapshots=", ".join(empty), hint=NO_SNAPSHOT)
    ip_matches = [match for ip in addresses for match in snapshots.match_ip(ip)]
    unreadable = [s for s in snapshots.snapshots if s.info.rejected]
    chain = list(dict.fromkeys((host, *cname_chain))) if host else []
    alias_matches = [dict(match, alias=alias) for alias in chain[1:] for match in snapshots.match_host(alias)]
    return {
        "host": host,
        "has_host": host is not None,
        "hosts_checked": host_candidates(host) if host else [],
        "registrable_domain": registrable_domain(host) if host else None,
        "addresses_checked": list(addresses),
        "snapshots": [i.to_json(now) for i in infos],
        "snapshot_count": len(infos),
        "entries_total": sum(i.entries for i in infos),
        "max_age_days": max_age_days,
        "stale_snapshots": [i.name for i in infos if i.age_days(now) > max_age_days],
        "empty_snapshots": empty,
        # Entries no rule could match: counted and quoted (criterion d warns), never dropped silently.
        "unreadable_count": sum(s.info.rejected for s in unreadable),
        "unreadable_snapshots": [s.info.name for s in unreadable],
        "unreadable_examples": [
            {"snapshot": s.info.name, "line": r.line, "text": r.text, "reason": r.reason,
             "reason_wording": reason_wording(r.reason).to_json()}
            for s in unreadable for r in s.unreadable
        ],
        "domain_matches": snapshots.match_host(host) if host else [],
        "cname_chain": chain,
        "aliased": len(chain) > 1,
        "alias_matches": alias_matches,
        "ip_matches": ip_matches,
    }


async def check_blocklists(
    *, settings: AuditSettings, resolver: Resolver, host: str | None, addresses: tuple[str, ...], now: datetime,
    deadline: Deadline | None = None, cname_chain: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Every fact the criterion-d rules read; see the module docstring. `deadline` bounds the DNSBL lookups."""
    # Reading and parsing a large list is blocking work; keep the event loop free for other probes.
    snapshots = await asyncio.to_thread(load_snapshot_set, settings.blocklist_files, settings.lists_dir)
    facts = match_facts(snapshots, host=host, addresses=addresses, now=now,
                        max_age_days=settings.max_snapshot_age_days, cname_chain=cname_chain)
    enabled = bool(settings.dnsbl_domain_zones or settings.dnsbl_ip_zones)
    lookups: list[dict[str, Any]] = []
    if enabled:
        domains = list(dict.fromkeys(d for d in (host, facts["registrable_domain"]) if d))
        lookups = await dnsbl_lookups(resolver, domains=domains, addresses=list(addresses),
                                      domain_zones=settings.dnsbl_domain_zones, ip_zones=settings.dnsbl_ip_zones,
                                      deadline=deadline, allow_private=settings.allow_private)
    listed = [lookup for lookup in lookups if lookup["listed"] is True]
    unanswered = [lookup for lookup in lookups if lookup["listed"] is None]
    facts.update({
        "dnsbl_enabled": enabled,
        "dnsbl_lookups": lookups,
        "dnsbl_matches": listed,
        # A listing is definite even if another lookup failed; "not listed" needs every answer.
        "dnsbl_listed": True if listed else (None if unanswered or not lookups else False),
    })
    return facts


async def _blocklist(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    host = None if context.target.is_ip else context.target.ascii_host
    return await check_blocklists(settings=context.settings, resolver=context.resolver, host=host,
                                  addresses=context.addresses, now=context.now, deadline=context.deadline,
                                  cname_chain=context.cname_chain)


BLOCKLIST = ProbeSpec("blocklist", _blocklist, facts=(
    "host", "has_host", "hosts_checked", "registrable_domain", "addresses_checked",
    "snapshots", "snapshot_count", "entries_total", "max_age_days", "stale_snapshots", "empty_snapshots",
    "unreadable_count", "unreadable_snapshots", "unreadable_examples",
    "domain_matches", "ip_matches", "cname_chain", "aliased", "alias_matches",
    "dnsbl_enabled", "dnsbl_lookups", "dnsbl_matches", "dnsbl_listed",
))
