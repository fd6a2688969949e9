"""`trustscan demo`: audit two built-in sites on loopback, with no internet and no setup.

It starts a throw-away CA, a DNS server and two pure-Python HTTPS sites (a good one and a
deliberately broken one), audits both through the normal pipeline — custom resolver, custom CA
bundle, explicit ports — writes their JSON reports, and stops everything it started.
The scanner and the demo world are imported only when the demo runs, so `--help` stays fast.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from trustscan.cli.common import load_rules
from trustscan.cli.exitcodes import AUDIT_EXITS, ExitCode
from trustscan.cli.options import lang_option, output_dir_option, verbose_option
from trustscan.core.catalog import Catalog, load_catalog
from trustscan.core.settings import AuditSettings, NameServer
from trustscan.core.target import parse_target
from trustscan.judge.ruleset import Ruleset
from trustscan.render.formats import render
from trustscan.report.document import build_report, dumps

if TYPE_CHECKING:
    from trustscan.localworld.demo import DemoWorld

#: What each demo variant must come out as; anything else means the demo (or trustscan) is broken.
EXPECTED_OVERALL = {"good": "pass", "broken": "fail"}


@click.command(epilog=AUDIT_EXITS.epilog())
@output_dir_option("Folder for the demo's JSON reports.", default=Path("trustscan-demo-reports"), show_default=True)
@verbose_option
@lang_option("Language of messages and the report.")
def demo(output_dir: Path, verbose: bool, lang: str) -> None:
    """Audit two built-in loopback sites (good and broken); needs no internet and no setup.

    Exits 0 when the good site passes and the broken one fails, as they should.
    """
    catalog = load_catalog(lang)
    try:
        results = run_demo(output_dir, load_rules(), catalog)
    except OSError as exc:
        raise click.ClickException(f"could not start the demo sites: {exc}") from None
    for result in results:
        click.echo(click.style(f"=== demo site: {result.variant} ===", bold=True))
        click.echo(render("console", result.report, catalog, verbose=verbose), nl=False)
        click.echo(catalog.text("console.report_written", {"path": str(result.path)}) + "\n")
    unexpected = [r.variant for r in results if not r.as_expected]
    if unexpected:
        click.echo(f"trustscan: demo sites did not audit as expected: {', '.join(unexpected)}", err=True)
        sys.exit(ExitCode.INCOMPLETE)


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
    from trustscan.audit import run_audit  # the scanner (sslyze, nassl) only when the demo runs
    from trustscan.localworld.demo import DemoWorld  # servers and a CA only when the demo runs

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
