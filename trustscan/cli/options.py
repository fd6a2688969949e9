"""Command-line options declared once and shared by the commands (click wiring only).

An option that several commands take (`--lang`, `--format`, `-o/--output`, `--key`, ...) is declared
here with its name, type and default; a command passes only its own help text where the wording
differs. `scan_options` are how `audit` and `bulk` reach and judge targets (see AuditSettings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from trustscan.core.catalog import LANGUAGES
from trustscan.core.durations import parse_duration
from trustscan.core.errors import InputFileError, ResolverError, SnapshotError
from trustscan.core.models import CRITERIA
from trustscan.core.settings import AuditSettings, NameServer, parse_nameserver
from trustscan.lists.formats import domain_to_ascii
from trustscan.lists.store import check_list_file, default_lists_dir

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

#: A file that must already exist (keys, CA bundles, reports to render).
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
#: A file path that may not exist yet (outputs, databases, policies read later with their own errors).
FILE = click.Path(dir_okay=False, path_type=Path)
#: A folder path that may not exist yet.
FOLDER = click.Path(file_okay=False, path_type=Path)

#: The parameter names scan_options adds (bulk --resume refuses them: a run keeps its settings).
SCAN_OPTION_NAMES = ("resolver", "ca_bundle", "timeout", "http_port", "allow_private", "deep", "max_pages", "only",
                     "blocklists", "cache_dir", "max_list_age", "dnsbl_domain", "dnsbl_ip")

_MAX_ZONES = 8


def stack(*options: Decorator) -> Decorator:
    """One decorator applying *options* so that `--help` lists them in the order given."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


# --- options several commands take --------------------------------------------------------------

def lang_option(help: str) -> Decorator:
    """`--lang vi|en` (default vi); *help* says what the language applies to in this command."""
    return click.option("--lang", type=click.Choice(LANGUAGES), default="vi", show_default=True, help=help)


def format_option(choices: Iterable[str], default: str, help: str, dest: str = "output_format") -> Decorator:
    """`--format` among *choices*, passed to the command as *dest*."""
    return click.option("--format", dest, type=click.Choice(list(choices)), default=default, show_default=True,
                        help=help)


def output_option(help: str, **extra: Any) -> Decorator:
    """`-o/--output FILE`; *extra* for `required` or a `default`."""
    return click.option("-o", "--output", type=FILE, help=help, **extra)


def output_dir_option(help: str, **extra: Any) -> Decorator:
    """`--output-dir FOLDER` for commands that write several files."""
    return click.option("--output-dir", type=FOLDER, help=help, **extra)


def key_option(help: str, *, required: bool = False) -> Decorator:
    """`--key PEM`: a private key to sign with or a public key to verify with, as *help* says."""
    return click.option("--key", type=EXISTING_FILE, required=required, help=help)


verbose_option = click.option("-v", "--verbose", is_flag=True, help="List passing rules too.")

passphrase_file_option = click.option("--passphrase-file", type=FILE,
                                      help="Read the private key's passphrase from the first line of this file.")

cache_dir_option = click.option(
    "--cache-dir", type=FOLDER, envvar="TRUSTSCAN_CACHE_DIR",
    help="Snapshot folder [env TRUSTSCAN_CACHE_DIR; default $XDG_CACHE_HOME/trustscan/lists "
         "or ~/.cache/trustscan/lists].",
)


def resolver_option(help: str) -> Decorator:
    """`--resolver IP[:PORT]`; turn its value into a NameServer with nameserver_from_option."""
    return click.option("--resolver", metavar="IP[:PORT]", help=help)


def ca_bundle_option(help: str) -> Decorator:
    return click.option("--ca-bundle", type=EXISTING_FILE, help=help)


def timeout_option(help: str, default: float) -> Decorator:
    return click.option("--timeout", type=click.FloatRange(min=1), default=default, show_default=True, help=help)


def allow_private_option(help: str) -> Decorator:
    return click.option("--allow-private", is_flag=True, help=help)


def nameserver_from_option(resolver: str | None) -> NameServer | None:
    """The `--resolver` value as a NameServer (None: the system's); a bad value is a usage error."""
    try:
        return parse_nameserver(resolver) if resolver else None
    except ResolverError as exc:
        raise click.UsageError(str(exc)) from None


# --- how `audit` and `bulk` reach and judge targets ---------------------------------------------

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


#: Criterion d: the "do not visit" snapshots and DNSBL zones; blocklist_settings turns them into settings.
blocklist_options = stack(
    click.option("--blocklist", "blocklists", multiple=True, metavar="FILE", type=EXISTING_FILE,
                 help="A \"do not visit\" list snapshot file to match against (repeatable), "
                      "besides the imported snapshots."),
    cache_dir_option,
    click.option("--max-list-age", type=click.FloatRange(min=0), default=7.0, show_default=True,
                 metavar="DAYS", help="Warn when a snapshot is older than this many days."),
    click.option("--dnsbl-domain", multiple=True, metavar="ZONE",
                 help="Also ask this DNSBL zone about the domain (repeatable; off by default)."),
    click.option("--dnsbl-ip", multiple=True, metavar="ZONE",
                 help="Also ask this DNSBL zone about each server address (repeatable; off by default)."),
)


def scan_options(timeout_help: str) -> Decorator:
    """How to reach and judge targets: the options `audit` and `bulk` share (see AuditSettings)."""
    return stack(
        resolver_option("DNS server to resolve with (default: system)."),
        ca_bundle_option("Extra trust anchors (PEM), used beside the public stores."),
        timeout_option(timeout_help, default=120.0),
        click.option("--http-port", type=click.IntRange(1, 65535), default=80, show_default=True,
                     help="Port of the plain-HTTP front door checked for a redirect to HTTPS."),
        allow_private_option("Allow loopback, private and other non-public addresses (intranets)."),
        click.option("--deep", is_flag=True,
                     help="Criterion c: enumerate every cipher suite one handshake at a time (sslyze, ~410 "
                          "ClientHellos) instead of probing by category (a few ClientHellos). Same verdicts."),
        click.option("--max-pages", type=click.IntRange(1, 1000), default=30, show_default=True,
                     help="Criteria b and đ: most pages of the same-site crawl from the home page."),
        click.option("--only", metavar="CRITERIA", callback=parse_criteria,
                     help="Audit only these criteria, e.g. c,e (the others are reported as not_checked, "
                          "\"not requested\", and the probes only they need are not run)."),
        blocklist_options,
    )


def settings_from_options(options: dict[str, Any]) -> AuditSettings:
    """AuditSettings from the parameters of scan_options (UsageError for a bad resolver or zone)."""
    lists = {name: options[name] for name in ("blocklists", "cache_dir", "max_list_age", "dnsbl_domain", "dnsbl_ip")}
    check_input_files(options["ca_bundle"], options["blocklists"])
    return AuditSettings(
        nameserver=nameserver_from_option(options["resolver"]), ca_bundle=options["ca_bundle"],
        timeout=options["timeout"], http_port=options["http_port"], allow_private=options["allow_private"],
        deep=options["deep"], max_pages=options["max_pages"], criteria=options["only"],
        **blocklist_settings(**lists),
    )


def check_input_files(ca_bundle: Path | None, blocklists: Iterable[Path]) -> None:
    """Refuse a CA bundle or list file that is not what it claims to be before any scan starts.

    They are read later (the list by the blocklist probe, the bundle by OpenSSL and sslyze by name), and a
    FIFO, a huge file, a bundle without a PEM certificate or a file that is no list (binary, empty, broken
    JSON) would otherwise hang or fail an audit half-way; a missing one click refuses itself.
    """
    if ca_bundle is not None:
        check_ca_bundle_option(ca_bundle)
    for path in blocklists:
        try:
            check_list_file(path)
        except InputFileError as exc:
            raise click.UsageError(f"cannot read blocklist {path}: {exc.reason}") from None
        except SnapshotError as exc:
            raise click.UsageError(f"blocklist {path} is not a list: {exc}") from None


def check_ca_bundle_option(path: Path) -> None:
    """`--ca-bundle`: a regular file within its cap holding at least one PEM certificate, or a usage error."""
    from trustscan.net.certbundle import check_ca_bundle  # cryptography's x509, only when given

    try:
        check_ca_bundle(path)
    except InputFileError as exc:
        raise click.UsageError(f"cannot read CA bundle {path}: {exc.reason}") from None


def blocklist_settings(
    *, blocklists: tuple[Path, ...] = (), cache_dir: Path | None = None, max_list_age: float = 7.0,
    dnsbl_domain: tuple[str, ...] = (), dnsbl_ip: tuple[str, ...] = (),
) -> dict[str, Any]:
    """AuditSettings keyword arguments for the options of blocklist_options (UsageError if invalid)."""
    return {
        "blocklist_files": tuple(blocklists),
        "lists_dir": cache_dir or default_lists_dir(),
        "max_snapshot_age_days": max_list_age,
        "dnsbl_domain_zones": _zones(dnsbl_domain, "--dnsbl-domain"),
        "dnsbl_ip_zones": _zones(dnsbl_ip, "--dnsbl-ip"),
    }


def _zones(values: Sequence[str], option: str) -> tuple[str, ...]:
    if len(values) > _MAX_ZONES:
        raise click.UsageError(f"at most {_MAX_ZONES} {option} zones")
    zones = []
    for value in values:
        zone = domain_to_ascii(value)
        if zone is None or "." not in zone:
            raise click.UsageError(f"{option}: {value!r} is not a DNS zone name")
        zones.append(zone)
    return tuple(dict.fromkeys(zones))


class DurationType(click.ParamType):
    """SECONDS or a DURATION such as 15m, 6h, 1d (trustscan.core.durations)."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = DurationType()
