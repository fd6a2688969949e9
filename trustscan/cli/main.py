"""Command-line wiring only: parse, call the library, choose an output, pick the exit code.

Exit codes (stable, documented in README and --help):
  0  every checked criterion passes
  1  at least one criterion fails
  2  usage or input error (bad target, missing file, refused address)
  3  audit incomplete: a probe could not run (unreachable host, DNS failure, deadline hit)
"""

from __future__ import annotations

import asyncio
import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from cryptography.utils import CryptographyDeprecationWarning

from trustscan import __version__
from trustscan.cli.ci import ci_options, diff_command, finish_ci, gate_report, prepare_ci
from trustscan.cli.declare import declaration_from_option, declaration_option, declare
from trustscan.cli.lists import lists
from trustscan.cli.options import scan_options, settings_from_options
from trustscan.cli.publish import COMMANDS as PUBLISH_COMMANDS
from trustscan.cli.publish import load_signing_key, sign_options, write_signed
from trustscan.core.catalog import LANGUAGES, load_catalog
from trustscan.core.errors import RuleError, TargetError
from trustscan.core.settings import AuditSettings
from trustscan.core.target import parse_target
from trustscan.judge.ruleset import load_ruleset
from trustscan.render.formats import FORMATS, render
from trustscan.report.document import build_report, dumps

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3

EXIT_CODES_HELP = """\b
Exit codes:
  0  every checked criterion passes
  1  at least one criterion fails
  2  usage or input error (bad target, missing file, refused address)
  3  audit incomplete (unreachable host, DNS failure, deadline hit)
  With --policy or --baseline the policy decides 0, 1 or 3 (see the report's "policy")."""


class OneLineErrors(click.Group):
    """Every usage error is one line on stderr with exit code 2, never a usage dump or traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # sslyze's bundled trust store trips a known cryptography deprecation warning on every
        # scan; it says nothing about the audited site, so users should not see it.
        warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
        try:
            # click's overloads of `main` cannot match a forwarded `*args` plus standalone_mode=False.
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("trustscan: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            message = exc.format_message().replace("\n", " ")
            click.echo(f"trustscan: error: {message}", err=True)
            sys.exit(EXIT_USAGE if exc.exit_code in (1, 2) else exc.exit_code)
        except KeyboardInterrupt:
            click.echo("trustscan: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug must still end in one line and a documented code
            if os.environ.get("TRUSTSCAN_DEBUG"):
                raise
            click.echo(f"trustscan: internal error: {type(exc).__name__}: {exc} "
                       "(set TRUSTSCAN_DEBUG=1 for details)", err=True)
            sys.exit(EXIT_INCOMPLETE)


def exit_code_for(report: Mapping[str, Any]) -> int:
    """A definite failure outranks an incomplete audit: CI should see the known problem."""
    return {"pass": EXIT_PASS, "fail": EXIT_FAIL}.get(report["overall"], EXIT_INCOMPLETE)


@click.group(cls=OneLineErrors, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="trustscan")
def main() -> None:
    """trustscan: network trust (tín nhiệm mạng) self-assessment, Decree 137/2024/ND-CP Art. 21."""


def _lang_option() -> Any:
    return click.option("--lang", type=click.Choice(LANGUAGES), default="vi", show_default=True,
                        help="Language of messages and the report.")


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("target")
@scan_options("Deadline for the whole audit, in seconds.")
@click.option("--format", "output_format", type=click.Choice(sorted(FORMATS)), default="console",
              show_default=True, help="What to print on stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the JSON report to this file.")
@click.option("-v", "--verbose", is_flag=True, help="List passing rules too.")
@click.option("--sign-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign the report with this Ed25519 private key; -o then receives the signed declaration.")
@sign_options
@ci_options
@declaration_option
@_lang_option()
def audit(target: str, output_format: str, output: Path | None, verbose: bool, lang: str,
          sign_key: Path | None = None, passphrase_file: Path | None = None, valid_days: int = 90,
          policy_file: Path | None = None, baseline: Path | None = None, output_dir: Path | None = None,
          emit: tuple[str, ...] = (), declaration_file: Path | None = None, **scan: Any) -> None:
    """Audit TARGET (host, host:port or https:// URL) against the six criteria."""
    if sign_key is not None and output is None:
        raise click.UsageError("--sign-key needs -o/--output for the signed declaration")
    signing_key = load_signing_key(sign_key, passphrase_file) if sign_key else None  # before a long audit
    ci = prepare_ci(policy_file, baseline, output_dir, emit, _ruleset())  # also before the audit
    declaration = declaration_from_option(declaration_file)  # a bad file fails before the audit too
    try:
        parsed = parse_target(target)
    except TargetError as exc:
        raise click.UsageError(str(exc)) from None
    settings = settings_from_options(scan)
    report, gate = gate_report(audit_to_report(parsed, settings, lang, declaration=declaration), ci)
    if output is not None and signing_key is not None:
        click.echo(write_signed(report, signing_key, valid_days=valid_days, output=output,
                                catalog=load_catalog(lang)), err=True)
    elif output is not None:
        write_text(output, dumps(report))
    click.echo(render(output_format, report, load_catalog(lang), verbose=verbose), nl=False)
    if output is not None and output_format == "console" and sign_key is None:
        click.echo(load_catalog(lang).text("console.report_written", {"path": str(output)}))
    sys.exit(finish_ci(report, gate, ci, load_catalog(lang), console=output_format == "console", verbose=verbose))


def audit_to_report(target: Any, settings: AuditSettings, lang: str, *, declaration: Any = None) -> dict[str, Any]:
    """Run the audit and build its report, turning refusals into usage errors."""
    from trustscan.audit import AddressPolicyError, run_audit  # the scanner (sslyze, nassl) only when scanning

    ruleset = _ruleset()
    try:
        outcome = asyncio.run(run_audit(target, settings, ruleset=ruleset, declaration=declaration))
    except AddressPolicyError as exc:
        raise click.UsageError(str(exc)) from None
    return build_report(outcome, ruleset, load_catalog(lang))


def _ruleset() -> Any:
    try:
        return load_ruleset()
    except RuleError as exc:
        raise click.ClickException(f"broken rule file: {exc}") from None


def write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None


@main.command(epilog=EXIT_CODES_HELP)
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("trustscan-demo-reports"), show_default=True,
              help="Folder for the demo's JSON reports.")
@click.option("-v", "--verbose", is_flag=True, help="List passing rules too.")
@_lang_option()
def demo(output_dir: Path, verbose: bool, lang: str) -> None:
    """Audit two built-in loopback sites (good and broken); needs no internet and no setup.

    Exits 0 when the good site passes and the broken one fails, as they should.
    """
    catalog = load_catalog(lang)
    try:
        from trustscan.cli.demo import run_demo  # starts servers and scans: load it only when asked

        results = run_demo(output_dir, _ruleset(), catalog)
    except OSError as exc:
        raise click.ClickException(f"could not start the demo sites: {exc}") from None
    for result in results:
        click.echo(click.style(f"=== demo site: {result.variant} ===", bold=True))
        click.echo(render("console", result.report, catalog, verbose=verbose), nl=False)
        click.echo(catalog.text("console.report_written", {"path": str(result.path)}) + "\n")
    unexpected = [r.variant for r in results if not r.as_expected]
    if unexpected:
        click.echo(f"trustscan: demo sites did not audit as expected: {', '.join(unexpected)}", err=True)
        sys.exit(EXIT_INCOMPLETE)


@main.command(name="rules")
@_lang_option()
def list_rules(lang: str) -> None:
    """List every rule: id, criterion, severity and title."""
    catalog = load_catalog(lang)
    for rule in _ruleset().rules:
        label = "đ" if rule.criterion == "dd" else rule.criterion
        click.echo(f"{rule.id:<32} {label:<2} {rule.severity.value:<9} {catalog.text(rule.message_id('title'))}")


from trustscan.cli.bulk import bulk, portfolio_command  # noqa: E402 - registered after main exists

main.add_command(bulk)
main.add_command(portfolio_command)
for _command in PUBLISH_COMMANDS:  # keygen, sign, verify, badge, report (trustscan.cli.publish)
    main.add_command(_command)
main.add_command(diff_command)  # trustscan diff (trustscan.cli.ci)
main.add_command(lists)  # trustscan lists import/show/remove (trustscan.cli.lists)
main.add_command(declare)  # trustscan declare (trustscan.cli.declare)
