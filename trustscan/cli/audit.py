"""`trustscan audit`: audit one site and print, write, sign and gate its report (wiring only).

The scanner itself (`trustscan.audit`, which loads sslyze and nassl) and asyncio are imported only
when a scan runs, so `--help` and usage errors stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from trustscan.cli.ci import ci_options, finish_ci, gate_report, prepare_ci
from trustscan.cli.common import load_rules, write_file
from trustscan.cli.declare import declaration_from_option, declaration_option
from trustscan.cli.exitcodes import AUDIT_EXITS
from trustscan.cli.options import (
    EXISTING_FILE,
    format_option,
    lang_option,
    output_option,
    scan_options,
    settings_from_options,
    verbose_option,
)
from trustscan.cli.signing import load_signing_key, sign_options, write_signed
from trustscan.core.catalog import load_catalog
from trustscan.core.errors import TargetError
from trustscan.core.settings import AuditSettings
from trustscan.core.target import parse_target
from trustscan.render.formats import FORMATS, render
from trustscan.render.outputs import format_for_file
from trustscan.report.document import build_report


@click.command(epilog=AUDIT_EXITS.epilog())
@click.argument("target")
@scan_options("Deadline for the whole audit, in seconds.")
@format_option(sorted(FORMATS), "console", "Output format: of stdout, or of -o FILE when given.")
@output_option("Write the --format output to FILE instead of stdout (without --format: the format FILE's "
               "extension names, JSON for others, and the console on stdout); with --sign-key: the signed "
               "declaration.")
@verbose_option
@click.option("--sign-key", type=EXISTING_FILE,
              help="Sign the report with this Ed25519 private key; -o then receives the signed declaration.")
@sign_options
@ci_options
@declaration_option
@lang_option("Language of messages and the report.")
def audit(target: str, output_format: str, output: Path | None, verbose: bool, lang: str,
          sign_key: Path | None = None, passphrase_file: Path | None = None, valid_days: int = 90,
          policy_file: Path | None = None, baseline: Path | None = None, output_dir: Path | None = None,
          emit: tuple[str, ...] = (), declaration_file: Path | None = None, **scan: Any) -> None:
    """Audit TARGET (host, host:port or https:// URL) against the six criteria."""
    if sign_key is not None and output is None:
        raise click.UsageError("--sign-key needs -o/--output for the signed declaration")
    signing_key = load_signing_key(sign_key, passphrase_file) if sign_key else None  # before a long audit
    ci = prepare_ci(policy_file, baseline, output_dir, emit, load_rules())  # also before the audit
    declaration = declaration_from_option(declaration_file)  # a bad file fails before the audit too
    try:
        parsed = parse_target(target)
    except TargetError as exc:
        raise click.UsageError(str(exc)) from None
    settings = settings_from_options(scan)
    catalog = load_catalog(lang)
    report, gate = gate_report(audit_to_report(parsed, settings, lang, declaration=declaration), ci)
    # -o FILE receives the --format output (as bandit, semgrep and ruff do), or the signed declaration.
    # Without --format, FILE's extension names its format and stdout keeps the console view.
    explicit = click.get_current_context().get_parameter_source("output_format") is not ParameterSource.DEFAULT
    stdout_format: str | None = output_format
    if output is not None and signing_key is not None:
        click.echo(write_signed(report, signing_key, valid_days=valid_days, output=output, catalog=catalog), err=True)
    elif output is not None:
        file_format = output_format if explicit else format_for_file(output)
        text = render(file_format, report, catalog, verbose=verbose)
        write_file(output, click.unstyle(text) if file_format == "console" else text)
        stdout_format = None if explicit else "console"
        if stdout_format is None:
            click.echo(catalog.text("console.report_written", {"path": str(output)}), err=True)
    if stdout_format is not None:
        click.echo(render(stdout_format, report, catalog, verbose=verbose), nl=False)
    if output is not None and stdout_format == "console" and sign_key is None:
        click.echo(catalog.text("console.report_written", {"path": str(output)}))
    sys.exit(finish_ci(report, gate, ci, catalog, console=stdout_format == "console", verbose=verbose))


def audit_to_report(target: Any, settings: AuditSettings, lang: str, *, declaration: Any = None) -> dict[str, Any]:
    """Run the audit and build its report, turning refusals into usage errors."""
    import asyncio

    from trustscan.audit import AddressPolicyError, run_audit  # the scanner (sslyze, nassl) only when scanning

    ruleset = load_rules()
    try:
        outcome = asyncio.run(run_audit(target, settings, ruleset=ruleset, declaration=declaration))
    except AddressPolicyError as exc:  # said in --lang, as the report would be
        raise click.UsageError(load_catalog(lang).say(exc.wording)) from None
    return build_report(outcome, ruleset, load_catalog(lang))
