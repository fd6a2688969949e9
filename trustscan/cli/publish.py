"""CLI commands that turn a finished report into something public: keygen, sign, verify, badge, report.

Wiring only (parse, call the library, write, pick the exit code); registered in trustscan.cli.main.
None of them scans: they read the JSON report or the signed declaration (DSSE envelope).
Exit codes: PUBLISH_EXITS in trustscan.cli.exitcodes (1 also when --key on badge/report does not verify).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from trustscan.cli.common import write_file
from trustscan.cli.exitcodes import PUBLISH_EXITS, ExitCode
from trustscan.cli.options import (
    EXISTING_FILE,
    FILE,
    format_option,
    key_option,
    lang_option,
    output_option,
    passphrase_file_option,
)
from trustscan.cli.signing import load_signing_key, read_passphrase, sign_options, write_signed
from trustscan.core.catalog import Catalog, load_catalog
from trustscan.core.errors import DocumentError, EnvelopeCorrupt, KeyFileError
from trustscan.publish.attestation import (
    Document,
    Verification,
    VerificationStatus,
    load_document,
    site_url,
    verify_file,
)
from trustscan.publish.keys import (
    generate_key_pair,
    load_public_key,
    write_key_pair,
)
from trustscan.render.formats import FORMATS, render

# The badge and HTML renderers (Jinja2, ~17 ms) are imported by the commands that draw, so that
# `trustscan audit`, which shares sign_options, does not load them.

__all__ = ["COMMANDS"]

PUBLISH_EXIT_HELP = PUBLISH_EXITS.epilog()

_lang = lang_option("Language of the output.")
_verifying_key = key_option("Refuse to render unless FILE's signature verifies with this public key.")
_written_here = output_option("Write here instead of stdout.")

#: --passphrase-file / --valid-days, shared by `sign` and `audit` (which adds its own --sign-key).
def _public_key(path: Path) -> Any:
    try:
        return load_public_key(path)
    except KeyFileError as exc:
        raise click.UsageError(str(exc)) from None


def _load(path: Path) -> Document:
    try:
        return load_document(path)
    except (DocumentError, EnvelopeCorrupt) as exc:
        raise click.UsageError(str(exc)) from None


def _checked(path: Path, key: Path | None, catalog: Catalog) -> tuple[Document, Verification | None]:
    """The document; with *key*, only if its signature verifies (exit 1 otherwise)."""
    if key is None:
        return _load(path), None
    verification = _verify(path, key)
    if verification.status is VerificationStatus.INVALID:
        click.echo("trustscan: " + catalog.text("verify.invalid", {
            "reason": catalog.text(verification.reason or "", verification.detail)}), err=True)
        sys.exit(ExitCode.FAIL)
    return verification.document, verification


def _verify(path: Path, key: Path) -> Verification:
    public_key = _public_key(key)
    try:
        return verify_file(path, public_key, now=datetime.now(UTC))
    except DocumentError as exc:
        raise click.UsageError(str(exc)) from None


@click.command(epilog=PUBLISH_EXIT_HELP)
@click.argument("private", type=FILE)
@click.option("--public", type=FILE,
              help="Where to write the public key (default: PRIVATE.pub).")
@passphrase_file_option
@_lang
def keygen(private: Path, public: Path | None, passphrase_file: Path | None, lang: str) -> None:
    """Create an Ed25519 key pair for signing self-declarations (private key mode 0600).

    Asks for an optional passphrase only on a terminal; never overwrites an existing file.
    """
    public = public or private.with_name(private.name + ".pub")
    passphrase = read_passphrase(passphrase_file, prompt="Passphrase (empty for none)", confirm=True)
    try:
        pair = write_key_pair(generate_key_pair(), private, public, passphrase)
    except KeyFileError as exc:
        raise click.UsageError(str(exc)) from None
    catalog = load_catalog(lang)
    click.echo(catalog.text("keygen.written", {"private": str(pair.private_path), "public": str(pair.public_path),
                                               "key_id": pair.key_id}))
    click.echo(catalog.text("keygen.advice"))


@click.command(epilog=PUBLISH_EXIT_HELP)
@click.argument("report", type=EXISTING_FILE)
@key_option("Ed25519 private key (PEM) from `trustscan keygen`.", required=True)
@output_option("Where to write the signed declaration (DSSE envelope, canonical JSON).", required=True)
@sign_options
@_lang
def sign(report: Path, key: Path, output: Path, passphrase_file: Path | None, valid_days: int, lang: str) -> None:
    """Sign REPORT (a trustscan JSON report) as a self-declaration valid for --valid-days."""
    document = _load(report)
    if document.signed:
        raise click.UsageError(f"{report} is already a signed declaration; sign the plain JSON report")
    private_key = load_signing_key(key, passphrase_file)
    click.echo(write_signed(document.report, private_key, valid_days=valid_days, output=output,
                            catalog=load_catalog(lang)))


@click.command(epilog=PUBLISH_EXIT_HELP)
@click.argument("file", type=EXISTING_FILE)
@key_option("The declarer's Ed25519 public key (PEM).", required=True)
@_lang
def verify(file: Path, key: Path, lang: str) -> None:
    """Check FILE's signature and validity; print who declared what, for which site, when, until when."""
    catalog = load_catalog(lang)
    verification = _verify(file, key)
    if verification.status is VerificationStatus.INVALID:
        reason = catalog.text(verification.reason or "", verification.detail)
        click.echo(catalog.text("verify.invalid", {"reason": reason}))
        sys.exit(ExitCode.FAIL)
    document = verification.document
    report = document.report
    from trustscan.render.badge import summarise
    from trustscan.render.formats.html import declarant

    summary = summarise(document, catalog, now=datetime.now(UTC))

    who = declarant(report) or catalog.text("verify.declarant_unknown", {"key_id": verification.key_id})
    head = "verify.valid" if verification.status is VerificationStatus.VALID else "verify.expired"
    lines = [
        catalog.text(head, {"key_id": verification.key_id, "valid_until": document.valid_until}),
        catalog.text("verify.declared_by", {"who": who}),
        catalog.text("verify.site", {"site": site_url(report)}),
        catalog.text("verify.result", {"result": catalog.text(f"badge.result.{_overall(report)}"),
                                       "met": summary.met, "total": summary.total,
                                       "not_checked": summary.not_checked, "declared": summary.declared_only}),
        catalog.text("verify.scanned", {"time": report.get("finished_at")}),
        catalog.text("verify.declared_at", {"time": document.declared_at}),
        catalog.text("verify.valid_until", {"time": document.valid_until}),
        catalog.text("verify.digest", {"digest": document.digest}),
    ]
    click.echo("\n".join(lines))
    sys.exit(ExitCode.OK if verification.status is VerificationStatus.VALID else ExitCode.EXPIRED)


def _overall(report: Mapping[str, Any]) -> str:
    overall = report.get("overall")
    return overall if overall in ("pass", "fail") else "error"


@click.command(epilog=PUBLISH_EXIT_HELP)
@click.argument("file", type=EXISTING_FILE)
@format_option(["svg", "shields", "embed"], "svg", "SVG image, shields.io endpoint JSON, or an HTML embed snippet.",
               dest="badge_format")
@_written_here
@_verifying_key
@click.option("--report-url", help="embed: the public URL of the HTML report the badge links to (required).")
@click.option("--badge-url", help="embed: the public URL of the SVG badge (default: inline the SVG).")
@_lang
def badge(file: Path, badge_format: str, output: Path | None, key: Path | None, report_url: str | None,
          badge_url: str | None, lang: str) -> None:
    """Render FILE (signed declaration or plain report) as a badge; an expired declaration is grey."""
    from trustscan.render.badge import embed_html, render_svg, shields_endpoint, summarise

    catalog = load_catalog(lang)
    document, _verification = _checked(file, key, catalog)
    summary = summarise(document, catalog, now=datetime.now(UTC))
    if badge_format == "shields":
        text = shields_endpoint(summary)
    elif badge_format == "embed":
        if report_url is None:
            raise click.UsageError("--format embed needs --report-url (where the HTML report is published)")
        if document.digest is None:
            raise click.UsageError("--format embed needs a signed declaration (trustscan sign), to state its digest")
        try:
            text = embed_html(summary, render_svg(summary), report_url=report_url, badge_url=badge_url,
                              digest=document.digest, catalog=catalog)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    else:
        text = render_svg(summary)
    _emit(text, output, catalog)


@click.command(name="report", epilog=PUBLISH_EXIT_HELP)
@click.argument("file", type=EXISTING_FILE)
@format_option(sorted({*FORMATS, "html"}), "html", "Output format.")
@_written_here
@_verifying_key
@_lang
def report_command(file: Path, output_format: str, output: Path | None, key: Path | None, lang: str) -> None:
    """Render FILE (signed declaration or plain report) without re-scanning; html is one self-contained page."""
    catalog = load_catalog(lang)
    document, verification = _checked(file, key, catalog)
    if output_format == "html":
        from trustscan.render.formats.html import render_document

        # With --key, the page embeds the envelope and the key and checks itself in the reader's browser.
        text = render_document(document, catalog, verification=verification,
                               public_key=_public_key(key) if key is not None else None)
    else:
        text = render(output_format, document.report, catalog)
    _emit(text, output, catalog)


def _emit(text: str, output: Path | None, catalog: Catalog) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    write_file(output, text)
    click.echo(catalog.text("publish.written", {"path": str(output)}), err=True)


COMMANDS = (keygen, sign, verify, badge, report_command)
