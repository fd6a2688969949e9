"""How to reach and judge a target: the settings every command-line flag maps onto."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trustscan.resolve import NameServer
from trustscan.target import DEFAULT_HTTP_PORT


@dataclass(frozen=True)
class AuditSettings:
    """Passed to every probe; nothing here is global."""

    nameserver: NameServer | None = None
    ca_bundle: Path | None = None
    timeout: float = 120.0
    probe_timeout: float = 10.0
    http_port: int = DEFAULT_HTTP_PORT
    allow_private: bool = False
    # Criterion c: False = category probing (trustscan.probes.tls_fast, a few ClientHellos);
    # True (`--deep`) = sslyze's full per-suite enumeration (trustscan.probes.tls, ~410 ClientHellos).
    deep: bool = False
    # Criterion d: "do not visit" list snapshots (`--blocklist FILE`, and the `trustscan lists`
    # cache folder; None reads no cache), their maximum age, and optional DNSBL zones (off).
    blocklist_files: tuple[Path, ...] = ()
    lists_dir: Path | None = None
    max_snapshot_age_days: float = 7.0
    dnsbl_domain_zones: tuple[str, ...] = ()
    dnsbl_ip_zones: tuple[str, ...] = ()
    # Criteria b and đ: the same-site crawl (`--max-pages`), and how many link hops from the home page.
    max_pages: int = 30
    max_depth: int = 3
