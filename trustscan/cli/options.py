"""Command-line options shared by `audit` and `bulk` (click wiring only)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from trustscan.cli.lists import blocklist_options, blocklist_settings
from trustscan.core.errors import ResolverError
from trustscan.core.models import CRITERIA
from trustscan.core.settings import AuditSettings, parse_nameserver

#: The parameter names scan_options adds (bulk --resume refuses them: a run keeps its settings).
SCAN_OPTION_NAMES = ("resolver", "ca_bundle", "timeout", "http_port", "allow_private", "deep", "max_pages", "only",
                     "blocklists", "cache_dir", "max_list_age", "dnsbl_domain", "dnsbl_ip")


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


def scan_options(timeout_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """How to reach and judge targets: the options `audit` and `bulk` share (see AuditSettings)."""
    options = [
        click.option("--resolver", metavar="IP[:PORT]", help="DNS server to resolve with (default: system)."),
        click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Extra trust anchors (PEM), used beside the public stores."),
        click.option("--timeout", type=click.FloatRange(min=1), default=120.0, show_default=True, help=timeout_help),
        click.option("--http-port", type=click.IntRange(1, 65535), default=80, show_default=True,
                     help="Port of the plain-HTTP front door checked for a redirect to HTTPS."),
        click.option("--allow-private", is_flag=True,
                     help="Allow loopback, private and other non-public addresses (intranets)."),
        click.option("--deep", is_flag=True,
                     help="Criterion c: enumerate every cipher suite one handshake at a time (sslyze, ~410 "
                          "ClientHellos) instead of probing by category (a few ClientHellos). Same verdicts."),
        max_pages_option(),
        only_option(),
        blocklist_options,
    ]

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def settings_from_options(options: dict[str, Any]) -> AuditSettings:
    """AuditSettings from the parameters of scan_options (UsageError for a bad resolver or zone)."""
    resolver = options["resolver"]
    try:
        nameserver = parse_nameserver(resolver) if resolver else None
    except ResolverError as exc:
        raise click.UsageError(str(exc)) from None
    lists = {name: options[name] for name in ("blocklists", "cache_dir", "max_list_age", "dnsbl_domain", "dnsbl_ip")}
    return AuditSettings(
        nameserver=nameserver, ca_bundle=options["ca_bundle"], timeout=options["timeout"],
        http_port=options["http_port"], allow_private=options["allow_private"], deep=options["deep"],
        max_pages=options["max_pages"], criteria=options["only"],
        **blocklist_settings(**lists),  # criterion d (trustscan.cli.lists)
    )
