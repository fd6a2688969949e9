"""`trustscan lists import/show/remove`: command-line wiring for criterion d's "do not visit" snapshots.

The audit's own list options (--blocklist, --cache-dir, ...) are in trustscan.cli.options; exit codes
are LISTS_EXITS in trustscan.cli.exitcodes.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import click

from trustscan.cli.exitcodes import LISTS_EXITS
from trustscan.cli.options import (
    allow_private_option,
    ca_bundle_option,
    cache_dir_option,
    check_ca_bundle_option,
    nameserver_from_option,
    resolver_option,
    timeout_option,
)
from trustscan.core.errors import ListFetchError, SnapshotError
from trustscan.lists.matcher import SnapshotInfo
from trustscan.lists.store import MAX_SNAPSHOT_BYTES, SnapshotStore, default_lists_dir
from trustscan.net.files import read_input_file

__all__ = ["lists"]

_SHOWN_REJECTS = 5

LISTS_EXIT_CODES = LISTS_EXITS.epilog()


@click.group(epilog=LISTS_EXIT_CODES)
def lists() -> None:
    """Manage "do not visit" list snapshots (criterion d): import, show, remove.

    The ministry publishes its list at tinnhiemmang.gov.vn only as web pages: save it as a file
    (one domain, URL, IP or CIDR per line; a hosts file; CSV with a domain/url column; or a JSON
    array) and import it. Every audit then matches the site against every imported snapshot.
    """


@lists.command(name="import", epilog=LISTS_EXIT_CODES)
@click.argument("name")
@click.argument("location", metavar="FILE|URL|-")
@click.option("--source", help="Where the list came from, recorded in reports (default: the file path or URL).")
@cache_dir_option
@resolver_option("URL only: DNS server to resolve the host with.")
@allow_private_option("URL only: allow a loopback or private address.")
@ca_bundle_option("URL only: extra trust anchors (PEM) for an https:// URL.")
@timeout_option("URL only: deadline for the download, in seconds.", default=60.0)
def import_command(name: str, location: str, source: str | None, cache_dir: Path | None, resolver: str | None,
                   allow_private: bool, ca_bundle: Path | None, timeout: float) -> None:
    """Import (or replace) snapshot NAME from FILE, from stdin (-), or from a URL fetched once."""
    if ca_bundle is not None:
        check_ca_bundle_option(ca_bundle)
    store = SnapshotStore(cache_dir or default_lists_dir())
    if location.startswith(("http://", "https://")):
        data, origin = _download(location, resolver, allow_private, ca_bundle, timeout), location
    elif "://" in location:
        raise click.UsageError(f"only http:// and https:// URLs can be imported, not {location!r}")
    else:
        data, origin = _read_local(location), ("stdin" if location == "-" else str(Path(location).resolve()))
    try:
        result = store.import_bytes(name, data, source=source or origin, now=datetime.now(UTC),
                                    filename=Path(location).name)
    except SnapshotError as exc:
        raise click.ClickException(f"not imported: {exc}") from None
    kinds: Counter[str] = Counter(entry.kind for entry in result.parsed.entries)
    breakdown = ", ".join(_count(kinds[kind], word) for kind, word in
                          (("domain", "domain"), ("wildcard", "wildcard"), ("ip", "IP"), ("cidr", "CIDR range"))
                          if kinds[kind])
    verb = "replaced" if result.replaced else "imported"
    click.echo(f"{verb} snapshot {name}: {_count(result.info.entries, 'entry', 'entries')} ({breakdown}), "
               f"{_count(result.parsed.rejected_count, 'line')} skipped, format {result.parsed.format}")
    click.echo(f"  sha256  {result.info.sha256}")
    click.echo(f"  stored  {store.directory}")
    for rejected in result.parsed.rejected[:_SHOWN_REJECTS]:
        click.echo(f"  skipped line {rejected.line}: {rejected.text!r} ({rejected.reason})")
    if result.parsed.rejected_count > _SHOWN_REJECTS:
        click.echo(f"  ... and {result.parsed.rejected_count - _SHOWN_REJECTS} more skipped lines")


def _count(number: int, word: str, plural: str | None = None) -> str:
    return f"{number} {word if number == 1 else plural or word + 's'}"


def _read_local(location: str) -> bytes:
    too_large = f"{location} is larger than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MiB"
    if location != "-":
        return read_input_file(location, MAX_SNAPSHOT_BYTES, click.ClickException, what=location, too_large=too_large)
    try:
        data = sys.stdin.buffer.read(MAX_SNAPSHOT_BYTES + 1)
    except OSError as exc:
        raise click.ClickException(f"cannot read {location}: {exc.strerror or exc}") from None
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise click.ClickException(too_large)
    return data


def _download(url: str, resolver: str | None, allow_private: bool, ca_bundle: Path | None, timeout: float) -> bytes:
    from trustscan.lists.fetch import fetch_list  # the HTTP stack (httpx) only when a URL is imported
    from trustscan.net.resolve import Resolver

    nameserver = nameserver_from_option(resolver)
    try:
        fetched = asyncio.run(fetch_list(url, resolver=Resolver(nameserver, timeout=min(timeout, 10.0)),
                                         cap=MAX_SNAPSHOT_BYTES, timeout=timeout, allow_private=allow_private,
                                         ca_bundle=ca_bundle))
    except ListFetchError as exc:
        raise click.ClickException(str(exc)) from None
    return fetched.data


@lists.command(name="show", epilog=LISTS_EXIT_CODES)
@cache_dir_option
@click.option("--max-age", type=click.FloatRange(min=0), default=7.0, show_default=True, metavar="DAYS",
              help="Mark snapshots older than this as stale (as audits warn).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def show_command(cache_dir: Path | None, max_age: float, as_json: bool) -> None:
    """List imported snapshots: name, source, import time, age, entry count and SHA-256."""
    store = SnapshotStore(cache_dir or default_lists_dir())
    now = datetime.now(UTC)
    try:
        infos = store.infos()
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        documents = [{"name": None, "error": str(i)} if isinstance(i, SnapshotError)
                     else {**i.to_json(now), "stale": i.age_days(now) > max_age} for i in infos]
        click.echo(json.dumps({"directory": str(store.directory), "snapshots": documents}, ensure_ascii=False,
                              indent=2))
        return
    if not infos:
        click.echo(f"no snapshots in {store.directory}; import one with: trustscan lists import NAME FILE")
        return
    for info in infos:
        click.echo(_describe(info, now, max_age))


def _describe(info: SnapshotInfo | SnapshotError, now: datetime, max_age: float) -> str:
    if isinstance(info, SnapshotError):
        return f"{info} (remove it and import again)\n"
    age = info.age_days(now)
    stale = f"  [STALE: older than {max_age:g} days]" if age > max_age else ""
    return (f"{info.name}{stale}\n"
            f"  source    {_printable(info.source)}\n"
            f"  imported  {info.to_json(now)['imported_at']} ({_age(age)} ago)\n"
            f"  entries   {info.entries} ({_count(info.rejected, 'line')} skipped, format {info.format})\n"
            f"  sha256    {info.sha256}\n")


def _printable(text: str) -> str:
    # A source label comes from the user or a URL; keep terminal escapes out of the listing.
    return "".join(c if c.isprintable() else "?" for c in text)[:300]


def _age(days: float) -> str:
    if days < 1 / 24:
        return f"{int(days * 1440)} min"
    if days < 1:
        return f"{days * 24:.1f} h"
    return f"{days:.1f} days"


@lists.command(name="remove", epilog=LISTS_EXIT_CODES)
@click.argument("name")
@cache_dir_option
def remove_command(name: str, cache_dir: Path | None) -> None:
    """Delete snapshot NAME from the snapshot folder."""
    store = SnapshotStore(cache_dir or default_lists_dir())
    try:
        store.remove(name)
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"removed snapshot {name} from {store.directory}")
