"""`trustscan rules`: list the shipped rules (wiring only)."""

from __future__ import annotations

import click

from trustscan.cli.common import load_rules
from trustscan.cli.options import lang_option
from trustscan.core.catalog import load_catalog


@click.command(name="rules")
@lang_option("Language of messages and the report.")
def list_rules(lang: str) -> None:
    """List every rule: id, criterion, severity, core or advice, and title.

    A core rule's failure fails its criterion; advice only warns.
    """
    catalog = load_catalog(lang)
    for rule in load_rules().rules:
        label = "đ" if rule.criterion == "dd" else rule.criterion
        kind = catalog.text("rule.core" if rule.core else "rule.advisory")
        click.echo(f"{rule.id:<32} {label:<2} {rule.severity.value:<9} {kind:<11} "
                   f"{catalog.text(rule.message_id('title'))}")
