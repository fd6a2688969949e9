"""Click wiring for CI gating: the audit's --policy/--baseline/--output-dir/--emit, and `trustscan diff`.

Wiring only: the policy file (`trustscan.ci.policy`), the gate (`trustscan.ci.gate`), the report diff
(`trustscan.report.diff`) and the output formats are library modules usable without the CLI.
Inputs are validated *before* the audit starts, so a typo in a policy costs no scan.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from trustscan.cli.exitcodes import DIFF_EXITS, OUTCOME_EXIT, ExitCode
from trustscan.cli.options import FILE, format_option, lang_option, output_dir_option, stack
from trustscan.core.catalog import Catalog, format_value, load_catalog
from trustscan.core.errors import PolicyError, ReportFileError
from trustscan.render.formats import FORMATS
from trustscan.render.formats.diffview import render_diff
from trustscan.render.outputs import DEFAULT_EMIT, parse_emit, write_outputs
from trustscan.report.diff import diff_reports
from trustscan.report.schema import read_report

if TYPE_CHECKING:  # the gate and the policy loader (YAML) are imported when used, not for `--help`
    from trustscan.ci.gate import GateOutcome
    from trustscan.ci.policy import Policy
    from trustscan.judge.ruleset import Ruleset


@dataclass(frozen=True)
class CiOptions:
    """The audit's CI options, validated: the policy, the baseline report and the extra outputs."""

    policy: Policy  # DEFAULT_POLICY when no --policy was given
    baseline: Mapping[str, Any] | None = None
    output_dir: Path | None = None
    emit: tuple[str, ...] = ()


#: The audit's CI options; prepare_ci validates their values before the audit starts.
ci_options = stack(
    click.option("--policy", "policy_file", type=FILE,
                 help="CI policy (YAML): required criteria, minimum severity, waivers. "
                      "Default: every checked criterion must pass."),
    click.option("--baseline", type=FILE,
                 help="Earlier JSON report of the site: only failures that are new since it fail the build."),
    output_dir_option(f"Write report files into this folder (formats from --emit; default: {','.join(DEFAULT_EMIT)})."),
    click.option("--emit", multiple=True, metavar="FORMAT[,FORMAT]",
                 help="A format to write into --output-dir (repeatable or comma-separated): "
                      f"{', '.join(sorted(FORMATS))}."),
)


def prepare_ci(policy_file: Path | None, baseline: Path | None, output_dir: Path | None,
               emit: tuple[str, ...], ruleset: Ruleset) -> CiOptions:
    """Validate the CI options before any scan; bad input is a one-line usage error (exit 2)."""
    from trustscan.ci.policy import DEFAULT_POLICY, load_policy

    try:
        names = parse_emit(emit)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if names and output_dir is None:
        raise click.UsageError("--emit needs --output-dir (the folder to write the files into)")
    try:
        policy = load_policy(policy_file, {rule.id for rule in ruleset.rules}) if policy_file else DEFAULT_POLICY
        baseline_report = read_report(baseline) if baseline else None
    except (PolicyError, ReportFileError) as exc:
        raise click.UsageError(str(exc)) from None
    return CiOptions(policy, baseline_report, output_dir, names or (DEFAULT_EMIT if output_dir else ()))


def gate_report(report: Mapping[str, Any], options: CiOptions,
                today: dt.date | None = None) -> tuple[dict[str, Any], GateOutcome]:
    """The report with its policy outcome recorded, and that outcome (which decides the exit code)."""
    from trustscan.ci.gate import evaluate_policy, with_policy

    outcome = evaluate_policy(report, options.policy, today=today or dt.datetime.now(dt.UTC).date(),
                              baseline=options.baseline)
    return with_policy(report, outcome), outcome


def finish_ci(report: Mapping[str, Any], outcome: GateOutcome, options: CiOptions, catalog: Catalog, *,
              console: bool, verbose: bool) -> int:
    """Write the --output-dir files, print the policy's account on the console, return the exit code."""
    from trustscan.ci.policy import DEFAULT_POLICY

    if console and (options.policy is not DEFAULT_POLICY or options.baseline is not None or outcome.expired_waivers):
        click.echo(policy_text(report["policy"], catalog))
    if options.output_dir is not None:
        try:
            written = write_outputs(report, catalog, options.output_dir, options.emit, verbose=verbose)
        except OSError as exc:
            raise click.ClickException(f"cannot write to {options.output_dir}: {exc.strerror or exc}") from None
        if console:
            for path in written:
                click.echo(catalog.text("ci.written", {"path": str(path)}))
    return OUTCOME_EXIT[outcome.outcome]


def policy_text(policy: Mapping[str, Any], catalog: Catalog) -> str:
    """The policy's account for a terminal: outcome, expired waivers, waived and blocking findings."""
    source = policy["source"] or catalog.text("policy.default")
    lines = [click.style(catalog.text("policy.outcome", {
        "source": source, "outcome": catalog.text(f"status.{policy['outcome']}")}), bold=True)]
    if policy["baseline"]:
        lines.append("  " + catalog.text("policy.baseline", policy["baseline"]))
    for waiver in policy["expired_waivers"]:
        lines.append("  " + click.style(catalog.text("policy.waiver_expired", waiver), fg="yellow"))
    for decision in policy["decisions"]:
        if decision["decision"] == "ignored" and decision["reason"] in ("warning", "criterion_not_required"):
            continue  # the console already lists these findings; repeating them adds only noise
        subject = decision["rule_id"] or f"[{'đ' if decision['criterion'] == 'dd' else decision['criterion']}]"
        text = f"{catalog.text('policy.decision.' + decision['decision'])}: " \
               f"{catalog.text('policy.reason.' + decision['reason'])}"
        if decision["waiver"]:
            text += f" — {format_value(decision['waiver']['reason'])} ({decision['waiver']['expires']})"
        colour = {"blocking": "red", "waived": "cyan"}.get(decision["decision"])
        lines.append(f"  {subject:<32} " + click.style(text, fg=colour))
    return "\n".join(lines)


@click.command(name="diff", epilog=DIFF_EXITS.epilog())
@click.argument("old", type=FILE)
@click.argument("new", type=FILE)
@format_option(["console", "json"], "console", "What to print on stdout.")
@lang_option("Language of the headings.")
def diff_command(old: Path, new: Path, output_format: str, lang: str) -> None:
    """List regressions and fixes per rule and criterion between two JSON reports (OLD, then NEW)."""
    try:
        before, after = read_report(old), read_report(new)
    except ReportFileError as exc:
        raise click.UsageError(str(exc)) from None
    diff = diff_reports(before, after)
    click.echo(render_diff(diff, load_catalog(lang), output_format), nl=False)
    sys.exit(ExitCode.FAIL if diff.regressions else ExitCode.OK)
