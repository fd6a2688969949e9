"""Wiring the commands share: load the rule set, write an output file, each failure one usage-error line."""

from __future__ import annotations

from pathlib import Path

import click

from trustscan.cli.startup import startup_done
from trustscan.core.errors import RuleError
from trustscan.judge.ruleset import Ruleset


def load_rules(*, many_audits: bool = False) -> Ruleset:
    """The shipped rule set, checked against the facts the probes declare; a broken rule file (or a
    rule reading a fact no probe declares) is a one-line error, not a traceback. `many_audits`: this
    process audits site after site (cli.startup)."""
    from trustscan.audit import load_checked_ruleset  # cli -> audit -> collect + judge

    try:
        ruleset = load_checked_ruleset()
    except RuleError as exc:
        raise click.ClickException(f"broken rule file: {exc}") from None
    startup_done(many_audits=many_audits)  # the scanner and the rules are loaded: the work starts here
    return ruleset


def write_file(path: Path, data: str | bytes) -> None:
    """Write an output the user asked for (text as UTF-8); a failure is a one-line error (exit 2)."""
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
