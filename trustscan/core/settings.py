"""How to reach and judge a target: the settings every command-line flag maps onto."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from trustscan.core.errors import ResolverError
from trustscan.core.target import DEFAULT_HTTP_PORT

#: Largest CA bundle (`--ca-bundle`, or a bundled root store) read: Mozilla's whole store is ~250 KB.
MAX_CA_BUNDLE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class NameServer:
    """A DNS server to ask instead of the system resolver (`--resolver IP[:PORT]`)."""

    ip: str
    port: int = 53


def parse_nameserver(text: str) -> NameServer:
    """Parse `IP`, `IP:PORT` or `[IPv6]:PORT`."""
    raw = text.strip()
    host, port = raw, 53
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], raw)
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
        port = _port(port_text, raw)
    try:
        return NameServer(str(ipaddress.ip_address(host)), port)
    except ValueError:
        raise ResolverError(f"invalid resolver address {text!r}: expected IP or IP:PORT") from None


def _port(text: str, raw: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ResolverError(f"invalid resolver port in {raw!r}")
    return int(text)


@dataclass(frozen=True)
class AuditSettings:
    """Passed to every probe; nothing here is global."""

    nameserver: NameServer | None = None
    ca_bundle: Path | None = None
    timeout: float = 120.0
    probe_timeout: float = 10.0
    http_port: int = DEFAULT_HTTP_PORT
    allow_private: bool = False
    # Criterion c: False = category probing (trustscan.collect.tls.fast, a few ClientHellos);
    # True (`--deep`) = sslyze's full per-suite enumeration (trustscan.collect.tls.deep, ~410 ClientHellos).
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
    # `--only`: audit just these criteria (None = all); the others are reported as not_checked and
    # the probes only they need are not run.
    criteria: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """Every setting as JSON (a bulk run stores it so a resumption audits the same way)."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, NameServer):
                value = {"ip": value.ip, "port": value.port}
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = [str(v) for v in value]
            data[item.name] = value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditSettings:
        """The inverse of to_json; keys it does not know (a newer trustscan's) are ignored."""
        known = {item.name: item for item in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known or value is None:
                continue
            if name == "nameserver":
                value = NameServer(value["ip"], int(value["port"]))
            elif name in ("ca_bundle", "lists_dir"):
                value = Path(value)
            elif name == "blocklist_files":
                value = tuple(Path(v) for v in value)
            elif isinstance(value, list):
                value = tuple(value)
            values[name] = value
        return cls(**values)
