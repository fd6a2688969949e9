"""CLI commands that turn a finished report into something public: keygen, sign, verify, badge, report.

Wiring only (parse, call the library, write, pick the exit code); registered in trustscan.cli.main.
None of them scans: they read the JSON report or the signed declaration (DSSE envelope).

Exit codes:
  0  success (verify: the signature is valid and the declaration unexpired)
  1  verify (or --key on badge/report): the signature is invalid or the file was altered
  2  usage or input error (missing or malformed file, wrong key type, refused overwrite)
  4  verify: the signature is valid but the declaration has expired
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trustscan.core.catalog import LANGUAGES, Catalog, load_catalog
from trustscan.core.errors import DocumentError, EnvelopeCorrupt, KeyFileError
from trustscan.publish.attestation import (
    DEFAULT_VALID_DAYS,
    Document,
    Verification,
    VerificationStatus,
    envelope_bytes,
    load_document,
    parse_document,
    sha256_hex,
    sign_report,
    site_url,
    verify_file,
)
from trustscan.publish.keys import (
    generate_key_pair,
    load_private_key,
    load_public_key,
    private_key_is_encrypted,
    write_key_pair,
)
from trustscan.render.badge import embed_html, render_svg, shields_endpoint, summarise
from trustscan.render.formats import FORMATS, render
from trustscan.render.formats.html import declarant, render_document

__all__ = ["COMMANDS", "load_signing_key", "sign_options", "write_signed"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_EXPIRED = 0, 1, 2, 4
MAX_PASSPHRASE_BYTES = 1024

PUBLISH_EXIT_HELP = """\b
Exit codes:
  0  success; verify: valid and unexpired
  1  the signature is invalid or the file was altered
  2  usage or input error (missing or malformed file, wrong key)
  4  verify: valid signature, but the declaration has expired"""

_lang = click.option("--lang", type=click.Choice(LANGUAGES), default="vi", show_default=True,
                     help="Language of the output.")
_passphrase_file = click.option("--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
                                help="Read the private key's passphrase from the first line of this file.")
_existing = click.Path(exists=True, dir_okay=False, path_type=Path)


def sign_options(function: Any) -> Any:
    """--sign-key / --passphrase-file / --valid-days, shared by `sign` and `audit`."""
    function = click.option("--valid-days", type=click.IntRange(1, 3660), default=DEFAULT_VALID_DAYS,
                            show_default=True, help="How long the signed declaration stays valid.")(function)
    return _passphrase_file(function)


def _read_passphrase(path: Path | None, *, prompt: str, confirm: bool = False) -> bytes | None:
    """From the file if given; else prompt only on a terminal (a pipe must never hang); else none."""
    if path is not None:
        try:
            data = path.read_bytes()[: MAX_PASSPHRASE_BYTES + 1]
        except OSError as exc:
            raise click.UsageError(f"cannot read {path}: {exc.strerror}") from None
        secret = data.splitlines()[0] if data.strip() else b""
        if not secret or len(secret) > MAX_PASSPHRASE_BYTES:
            raise click.UsageError(f"{path}: the first line must hold a passphrase of 1-{MAX_PASSPHRASE_BYTES} bytes")
        return secret
    if sys.stdin is not None and sys.stdin.isatty():
        text = click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, default="", show_default=False)
        return text.encode("utf-8") or None
    return None


def load_signing_key(path: Path, passphrase_file: Path | None) -> Ed25519PrivateKey:
    """The private key at *path*, asking for its passphrase only when it is encrypted."""
    try:
        passphrase = None
        if private_key_is_encrypted(path):
            passphrase = _read_passphrase(passphrase_file, prompt=f"Passphrase for {path}")
        return load_private_key(path, passphrase)
    except KeyFileError as exc:
        raise click.UsageError(str(exc)) from None


def _public_key(path: Path) -> Any:
    try:
        return load_public_key(path)
    except KeyFileError as exc:
        raise click.UsageError(str(exc)) from None


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise click.UsageError(f"cannot write {path}: {exc.strerror}") from None


def write_signed(report: Mapping[str, Any], private_key: Ed25519PrivateKey, *, valid_days: int,
                 output: Path, catalog: Catalog) -> str:
    """Sign *report*, write the envelope to *output*; returns the confirmation line."""
    now = datetime.now(UTC)
    try:
        envelope = sign_report(report, private_key, now=now, valid_days=valid_days)
        data = envelope_bytes(envelope)
        document = parse_document(data)
    except DocumentError as exc:
        raise click.UsageError(str(exc)) from None
    _write(output, data)
    return catalog.text("sign.written", {"site": site_url(report), "valid_until": document.valid_until,
                                         "path": str(output), "digest": sha256_hex(data)})


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
        sys.exit(EXIT_INVALID)
    return verification.document, verification


def _verify(path: Path, key: Path) -> Verification:
    public_key = _public_key(key)
    try:
        return verify_file(path, public_key, now=datetime.now(UTC))
    except DocumentError as exc:
        raise click.UsageError(str(exc)) from None


@click.command(epilog=PUBLISH_EXIT_HELP)
@click.argument("private", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the public key (default: PRIVATE.pub).")
@_passphrase_file
@_lang
def keygen(private: Path, public: Path | None, passphrase_file: Path | None, lang: str) -> None:
    """Create an Ed25519 key pair for signing self-declarations (private key mode 0600).

    Asks for an optional passphrase only on a terminal; never overwrites an existing file.
    """
    public = public or private.with_name(private.name + ".pub")
    passphrase = _read_passphrase(passphrase_file, prompt="Passphrase (empty for none)", confirm=True)
    try:
        pair = write_key_pair(generate_key_pair(), private, public, passphrase)
    except KeyFileError as exc:
        raise click.UsageError(str(exc)) from None
    catalog = load_catalog(lang)
    click.echo(catalog.text("keygen.written", {"private": str(pair.private_path), "public": str(pair.public_path),
                                               "key_id": pair.key_id}))
    click.echo(catalog.text("keygen.advice"))


@click.command(epilog=PUBLISH_EXIT_HELP)
@click.argument("report", type=_existing)
@click.option("--key", type=_existing, required=True, help="Ed25519 private key (PEM) from `trustscan keygen`.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the signed declaration (DSSE envelope, canonical JSON).")
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
@click.argument("file", type=_existing)
@click.option("--key", type=_existing, required=True, help="The declarer's Ed25519 public key (PEM).")
@_lang
def verify(file: Path, key: Path, lang: str) -> None:
    """Check FILE's signature and validity; print who declared what, for which site, when, until when."""
    catalog = load_catalog(lang)
    verification = _verify(file, key)
    if verification.status is VerificationStatus.INVALID:
        reason = catalog.text(verification.reason or "", verification.detail)
        click.echo(catalog.text("verify.invalid", {"reason": reason}))
        sys.exit(EXIT_INVALID)
    document = verification.document
    report = document.report
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
    sys.exit(EXIT_OK if verification.status is VerificationStatus.VALID else EXIT_EXPIRED)


def _overall(report: Mapping[str, Any]) -> str:
    overall = report.get("overall")
    return overall if overall in ("pass", "fail") else "error"


@click.command(epilog=PUBLISH_EXIT_HELP)
@click.argument("file", type=_existing)
@click.option("--format", "badge_format", type=click.Choice(["svg", "shields", "embed"]), default="svg",
              show_default=True, help="SVG image, shields.io endpoint JSON, or an HTML embed snippet.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of stdout.")
@click.option("--key", type=_existing, help="Refuse to render unless FILE's signature verifies with this public key.")
@click.option("--report-url", help="embed: the public URL of the HTML report the badge links to (required).")
@click.option("--badge-url", help="embed: the public URL of the SVG badge (default: inline the SVG).")
@_lang
def badge(file: Path, badge_format: str, output: Path | None, key: Path | None, report_url: str | None,
          badge_url: str | None, lang: str) -> None:
    """Render FILE (signed declaration or plain report) as a badge; an expired declaration is grey."""
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
@click.argument("file", type=_existing)
@click.option("--format", "output_format", type=click.Choice(sorted({*FORMATS, "html"})), default="html",
              show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of stdout.")
@click.option("--key", type=_existing, help="Refuse to render unless FILE's signature verifies with this public key.")
@_lang
def report_command(file: Path, output_format: str, output: Path | None, key: Path | None, lang: str) -> None:
    """Render FILE (signed declaration or plain report) without re-scanning; html is one self-contained page."""
    catalog = load_catalog(lang)
    document, verification = _checked(file, key, catalog)
    if output_format == "html":
        text = render_document(document, catalog, verification=verification)
    else:
        text = render(output_format, document.report, catalog)
    _emit(text, output, catalog)


def _emit(text: str, output: Path | None, catalog: Catalog) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, text.encode("utf-8"))
    click.echo(catalog.text("publish.written", {"path": str(output)}), err=True)


COMMANDS = (keygen, sign, verify, badge, report_command)
