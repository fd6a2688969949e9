"""Command-line options shared by `audit` and `bulk` (click wiring only)."""

from __future__ import annotations

from typing import Any

import click

from trustscan.models import CRITERIA


def parse_criteria(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    """`c,e` or `a,đ` -> ('c', 'e') / ('a', 'dd'); None when the option was not given."""
    if value is None:
        return None
    chosen = []
    for part in value.replace(" ", "").split(","):
        key = "dd" if part.lower() in ("đ", "dd") else part.lower()
        if key not in CRITERIA:
            raise click.BadParameter(f"{part!r} is not a criterion; use a, b, c, d, đ (or dd), e")
        chosen.append(key)
    return tuple(dict.fromkeys(chosen))


def only_option() -> Any:
    return click.option("--only", metavar="CRITERIA", callback=parse_criteria,
                        help="Audit only these criteria, e.g. c,e (the others are reported as not_checked "
                             "and the probes only they need are not run).")


def max_pages_option() -> Any:
    return click.option("--max-pages", type=click.IntRange(1, 1000), default=30, show_default=True,
                        help="Criteria b and đ: most pages of the same-site crawl from the home page.")
