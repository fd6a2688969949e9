"""`trustscan demo`: audit two built-in sites on loopback, with no internet and no setup.

It starts a throw-away CA, a DNS server and two pure-Python HTTPS sites (a good one and a
deliberately broken one), audits both through the normal pipeline — custom resolver, custom CA
bundle, explicit ports — writes their JSON reports, and stops everything it started.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustscan.audit import AuditSettings, run_audit
from trustscan.core.catalog import Catalog
from trustscan.core.settings import NameServer
from trustscan.core.target import parse_target
from trustscan.judge.ruleset import Ruleset
from trustscan.localworld.demo import DemoWorld
from trustscan.report.document import build_report, dumps

#: What each demo variant must come out as; anything else means the demo (or trustscan) is broken.
EXPECTED_OVERALL = {"good": "pass", "broken": "fail"}


@dataclass(frozen=True)
class DemoResult:
    variant: str
    report: dict[str, Any]
    path: Path

    @property
    def as_expected(self) -> bool:
        return self.report["overall"] == EXPECTED_OVERALL[self.variant]


def _demo_blocklist(folder: Path, world: DemoWorld) -> Path:
    """A demo "do not visit" snapshot naming the broken site, so criterion d is checked, never skipped."""
    path = folder / "demo-blocklist.txt"
    path.write_text(f"# trustscan demo snapshot\n{world.sites['broken'].hostname}\n198.51.100.0/24\n", encoding="utf-8")
    return path


def run_demo(output_dir: Path, ruleset: Ruleset, catalog: Catalog, *, timeout: float = 60.0) -> list[DemoResult]:
    """Start the demo world, audit every variant concurrently, write reports, stop the world."""
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trustscan-demo-") as scratch, DemoWorld(Path(scratch)) as world:
        settings = AuditSettings(
            nameserver=NameServer("127.0.0.1", world.dns_port),
            ca_bundle=world.ca_bundle,
            timeout=timeout,
            http_port=next(iter(world.sites.values())).http_port,
            allow_private=True,
            blocklist_files=(_demo_blocklist(Path(scratch), world),),
        )

        async def audit_all() -> list[Any]:
            return await asyncio.gather(
                *(run_audit(parse_target(site.target), settings, ruleset=ruleset) for site in world.sites.values())
            )

        outcomes = asyncio.run(audit_all())
        results = []
        for site, outcome in zip(world.sites.values(), outcomes, strict=True):
            report = build_report(outcome, ruleset, catalog)
            path = output_dir / f"{site.variant}.json"
            path.write_text(dumps(report), encoding="utf-8")
            results.append(DemoResult(site.variant, report, path))
    return results
