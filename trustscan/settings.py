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
