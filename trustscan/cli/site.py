"""Click wiring for `trustscan publish DB --site DIR`: the static public site of a monitored portfolio.

Wiring only: the data is `trustscan.bulk.public`, the pages `trustscan.render.site`, the signed
declarations `trustscan.publish.declarations`. Exit codes: SITE_EXITS in trustscan.cli.exitcodes.

DIR is written only when it is new, empty, or a site this command wrote before (it holds
MANIFEST): files the previous publication listed and this one does not (a site left the
portfolio) are removed; nothing else in DIR is touched.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from trustscan.bulk.history import DEFAULT_FAIL_ROUNDS, DEFAULT_STALE_AFTER, Freshness
from trustscan.bulk.public import build_public_site
from trustscan.bulk.store import ResultStore
from trustscan.cli.bulk import check_database_file, database_location, insecure_transport_option
from trustscan.cli.common import write_file
from trustscan.cli.exitcodes import SITE_EXITS
from trustscan.cli.options import DURATION, FOLDER, lang_option
from trustscan.core.catalog import load_catalog
from trustscan.core.durations import format_duration
from trustscan.core.errors import KeyFileError, StoreError
from trustscan.net.files import read_input_file
from trustscan.publish.declarations import Declaration, load_declarations, load_keys
from trustscan.render.site import render_site

MANIFEST = "trustscan-site.json"
_MAX_MANIFEST_BYTES = 16 * 1024 * 1024


@click.command(name="publish", epilog=SITE_EXITS.epilog())
@click.argument("db_text", metavar="DB")
@click.option("--site", "site_dir", required=True, type=FOLDER,
              help="Folder to write the static site into (created; must be empty or a site written before).")
@click.option("--run", "run_id", type=click.IntRange(min=1), help="Publish as of this run (default: the latest).")
@click.option("--stale-after", type=DURATION, default=format_duration(DEFAULT_STALE_AFTER), show_default=True,
              help="A badge turns grey (stale) when the site's last successful check is older than this.")
@click.option("--fail-rounds", type=click.IntRange(1, 1000), default=DEFAULT_FAIL_ROUNDS, show_default=True,
              help="Failed checked rounds in a row after which a signed declaration no longer holds a pass badge.")
@click.option("--declarations", "declarations_dir", type=FOLDER,
              help="Folder of signed declarations (*.json from `trustscan sign`) to publish beside the sites.")
@click.option("--keys", "keys_dir", type=FOLDER,
              help="Folder of the declarers' public keys (*.pub); a declaration counts only if one verifies it.")
@insecure_transport_option
@lang_option("Language of the site.")
def publish_site(db_text: str, site_dir: Path, run_id: int | None, stale_after: timedelta, fail_rounds: int,
                 declarations_dir: Path | None, keys_dir: Path | None, insecure_transport: bool, lang: str) -> None:
    """Write a static public site from DB: an index, a page per site, its report, declaration and badges."""
    if (declarations_dir is None) != (keys_dir is None):
        raise click.UsageError("--declarations and --keys go together (a declaration counts only once verified)")
    location = database_location(db_text, insecure_transport)
    if location.path is not None:
        check_database_file(location.path)
    previous = _previous_files(site_dir)
    now = datetime.now(UTC)
    declarations: dict[str, Declaration] = {}
    if declarations_dir is not None and keys_dir is not None:
        try:
            declarations, problems = load_declarations(declarations_dir, load_keys(keys_dir), now=now)
        except KeyFileError as exc:
            raise click.UsageError(str(exc)) from None
        for problem in problems:
            click.echo(f"trustscan: declaration left out: {problem}", err=True)
    try:
        with ResultStore(location, create=False) as store:  # read-only: the database is never changed
            data = build_public_site(store, freshness=Freshness(stale_after, fail_rounds), now=now, run_id=run_id,
                                     declarations=declarations)
    except StoreError as exc:
        raise click.UsageError(str(exc)) from None
    except LookupError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    catalog = load_catalog(lang)
    files = render_site(data, catalog, now=now)
    for relative, content in files.items():
        path = site_dir / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.ClickException(f"cannot create {path.parent}: {exc.strerror or exc}") from None
        write_file(path, content)
    for relative in sorted(previous - set(files)):
        (site_dir / relative).unlink(missing_ok=True)  # a site that left the portfolio
    write_file(site_dir / MANIFEST, json.dumps({"generator": "trustscan publish", "generated_at": data["generated_at"],
                                                "run": data["run"]["id"], "files": sorted(files)}, indent=1) + "\n")
    states = data["states"]
    click.echo(catalog.text("site.written", {"path": str(site_dir / "index.html"), "sites": len(data["sites"]),
                                              **states}), err=True)


def _previous_files(site_dir: Path) -> set[str]:
    """The files of the site written before into *site_dir*; UsageError when it is someone else's folder."""
    if not site_dir.exists():
        return set()
    if not site_dir.is_dir():
        raise click.UsageError(f"{site_dir} is not a folder")
    manifest = site_dir / MANIFEST
    if not manifest.exists():
        if any(site_dir.iterdir()):
            raise click.UsageError(f"{site_dir} is not empty and holds no {MANIFEST}: not a site trustscan wrote; "
                                   "give a new or empty folder")
        return set()
    try:
        listed = json.loads(read_input_file(manifest, _MAX_MANIFEST_BYTES, ValueError, what=str(manifest)))["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise click.UsageError(f"{manifest} is damaged ({exc}); give a new or empty folder") from None
    # Only plain relative names inside the folder: a hand-edited manifest must not delete anything else.
    return {name for name in listed if isinstance(name, str) and _inside(name)}


def _inside(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts and parts[0] in (
        "index.html", "sites", "reports", "declarations", "badges")
