"""Match host names and addresses against "do not visit" list snapshots (criteria d and đ).

Criterion d (Decree 137/2024/ND-CP Art. 21(2)(d)): the site's domain name and server address
must not be on the list published at tinnhiemmang.gov.vn. Criterion đ reuses the same matcher
for every outbound link. A host matches when it, or a parent domain up to its registrable
domain, is listed, or when a wildcard entry covers it; an address matches a listed IP or a
listed CIDR range (IPv4 and IPv6). Each match names its snapshot and entry, so a report can
show exactly why a site failed.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from trustscan.lists.formats import Entry, ParsedList, Rejected, domain_to_ascii, parse_list
from trustscan.net.addresses import embedded_ipv4
from trustscan.net.domains import registrable_domain

if TYPE_CHECKING:
    from trustscan.core.models import Attempt

__all__ = [
    "Snapshot", "SnapshotInfo", "SnapshotSet", "host_candidates", "report_snapshots", "snapshot_from_bytes",
]

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SnapshotInfo:
    """Where a snapshot came from and what it holds; the report cites this for every audit."""

    name: str
    source: str
    imported_at: datetime
    sha256: str
    entries: int
    rejected: int
    format: str
    origin: str  # "cache" (imported with `trustscan lists import`) or "file" (`--blocklist FILE`)

    def age_days(self, now: datetime) -> float:
        """Days since import (a file's modification time); never negative under clock skew."""
        return max((now - self.imported_at).total_seconds() / 86400, 0.0)

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "origin": self.origin,
            "imported_at": self.imported_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "age_days": round(self.age_days(now), 2),
            "sha256": self.sha256,
            "entries": self.entries,
            "rejected_lines": self.rejected,
            "format": self.format,
        }


#: How many unreadable entries of a snapshot an audit's evidence quotes (all are counted).
QUOTED_UNREADABLE = 3


@dataclass(frozen=True)
class Snapshot:
    """One list snapshot: its metadata, its parsed entries and the first entries it could not read.

    `info.rejected` counts every unreadable entry; `unreadable` quotes the first few, so an
    audit can warn about them with line numbers instead of dropping them silently.
    """

    info: SnapshotInfo
    entries: tuple[Entry, ...]
    unreadable: tuple[Rejected, ...] = ()


def snapshot_from_bytes(
    data: bytes, *, name: str, source: str, imported_at: datetime, origin: str, filename: str = ""
) -> tuple[Snapshot, ParsedList]:
    """Parse a snapshot's bytes; returns the Snapshot and the full ParsedList (for rejects)."""
    parsed = parse_list(data, filename=filename)
    info = SnapshotInfo(
        name=name, source=source, imported_at=imported_at, sha256=hashlib.sha256(data).hexdigest(),
        entries=len(parsed.entries), rejected=parsed.rejected_count, format=parsed.format, origin=origin,
    )
    return Snapshot(info, parsed.entries, parsed.rejected[:QUOTED_UNREADABLE]), parsed


def host_candidates(host: str) -> list[str]:
    """The host and each parent domain up to (and including) its registrable domain."""
    registrable = registrable_domain(host)
    if registrable is None:
        return [host]
    labels = host.split(".")
    stop = len(registrable.split("."))
    return [".".join(labels[i:]) for i in range(len(labels) - stop + 1)]


class SnapshotSet:
    """Every configured snapshot, indexed for matching; immutable once built."""

    def __init__(self, snapshots: Sequence[Snapshot]) -> None:
        self._snapshots = tuple(snapshots)
        self._domains: dict[str, list[tuple[str, str]]] = {}
        self._wildcards: dict[str, list[tuple[str, str]]] = {}
        self._ips: dict[_IPAddress, list[tuple[str, str]]] = {}
        # Ranges indexed by (version, prefix length): an address is matched with one dict lookup
        # per distinct prefix length instead of a scan of every range.
        self._networks: dict[tuple[int, int], dict[_IPNetwork, list[tuple[str, str]]]] = {}
        for snapshot in self._snapshots:
            for entry in snapshot.entries:
                self._index(snapshot.info.name, entry)

    def _index(self, name: str, entry: Entry) -> None:
        source = (name, entry.value)
        if entry.kind == "domain":
            self._domains.setdefault(entry.value, []).append(source)
        elif entry.kind == "wildcard":
            self._wildcards.setdefault(entry.value[2:], []).append(source)
        elif entry.kind == "ip":
            self._ips.setdefault(ipaddress.ip_address(entry.value), []).append(source)
        else:
            network = ipaddress.ip_network(entry.value)
            key = (network.version, network.prefixlen)
            self._networks.setdefault(key, {}).setdefault(network, []).append(source)

    @property
    def snapshots(self) -> tuple[Snapshot, ...]:
        return self._snapshots

    def match_host(self, host: str) -> list[dict[str, str]]:
        """Matches of a host name (Unicode or punycode; an IP literal is matched as an address).

        Each match is {snapshot, entry, kind, matched}: kind is `domain` (the host itself is
        listed), `parent` (a parent domain up to the registrable domain is listed) or `wildcard`.
        A name that is not a valid host name matches nothing.
        """
        literal = _as_address(host)
        if literal is not None:
            return self.match_ip(str(literal))
        name = domain_to_ascii(host)
        if name is None:
            return []
        found: list[dict[str, str]] = []
        for candidate in host_candidates(name):
            kind = "domain" if candidate == name else "parent"
            found += _matches(self._domains.get(candidate, ()), kind, candidate)
        labels = name.split(".")
        # `*.example.vn` covers every name below example.vn, however deep, but not example.vn.
        for i in range(1, len(labels)):
            parent = ".".join(labels[i:])
            found += _matches(self._wildcards.get(parent, ()), "wildcard", name)
        return _unique(found)

    def match_ip(self, ip: str) -> list[dict[str, str]]:
        """Matches of an address: kind `ip` (listed exactly) or `cidr` (inside a listed range).

        An IPv6 form that carries an IPv4 address (IPv4-mapped, NAT64 64:ff9b::/96, 6to4, SIIT,
        IPv4-compatible; `trustscan.net.addresses.embedded_ipv4`) also matches the IPv4 entries
        of the address it carries, with `via` naming the form: a DNS64 resolver hands out
        64:ff9b::cb00:7107 for a site on 203.0.113.7, and the connection reaches 203.0.113.7,
        so that listed server is the one audited. The address policy and the DNSBL lookups read
        these forms the same way.
        """
        address = _as_address(ip)
        if address is None:
            return []
        candidates: list[tuple[_IPAddress, str | None]] = [(address, None)]
        carried = embedded_ipv4(address)
        if carried is not None:
            candidates.append(carried)
        found: list[dict[str, str]] = []
        for candidate, via in candidates:
            extra = {"via": f"{via} of {candidate}"} if via else {}
            found += _matches(self._ips.get(candidate, ()), "ip", str(address), extra)
            for (version, prefix), networks in self._networks.items():
                if version != candidate.version:
                    continue
                network = ipaddress.ip_network(f"{candidate}/{prefix}", strict=False)
                found += _matches(networks.get(network, ()), "cidr", str(address), extra)
        return _unique(found)


def _as_address(text: str) -> _IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _matches(sources: Iterable[tuple[str, str]], kind: str, matched: str,
             extra: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    return [{"snapshot": name, "entry": entry, "kind": kind, "matched": matched, **(extra or {})}
            for name, entry in sources]


def _unique(found: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: set[tuple[str, ...]] = set()
    result = []
    for match in found:
        key = tuple(match.values())
        if key not in seen:
            seen.add(key)
            result.append(match)
    return result


def report_snapshots(evidence: Mapping[str, Attempt]) -> dict[str, Any]:
    """`{"snapshots": [...]}` for the report's top level when the blocklist probe ran, else {}."""
    attempt = evidence.get("blocklist")
    data = attempt.data if attempt is not None else None
    if not data or not isinstance(data.get("snapshots"), list):
        return {}
    return {"snapshots": [dict(s, stale=s["name"] in data.get("stale_snapshots", ())) for s in data["snapshots"]]}
