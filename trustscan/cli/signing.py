"""Signing a report from the command line: `--sign-key`'s options, the key and its passphrase, the envelope.

Shared by `trustscan audit --sign-key` and `trustscan sign`. The signing code (in-toto statement, JSON
canonicalisation, DSSE, key files) is imported when a key is used, not for every audit.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from trustscan.cli.common import write_file
from trustscan.cli.options import passphrase_file_option, stack
from trustscan.core.catalog import Catalog
from trustscan.core.errors import DocumentError, KeyFileError
from trustscan.net.files import read_input_file
from trustscan.publish.validity import DEFAULT_VALID_DAYS, MAX_VALID_DAYS

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "MAX_PASSPHRASE_BYTES", "MAX_PASSPHRASE_FILE_BYTES", "load_signing_key", "read_passphrase", "sign_options",
    "write_signed",
]

MAX_PASSPHRASE_BYTES = 1024
#: The passphrase file is read whole, up to this: its first line plus room for a comment or line endings.
MAX_PASSPHRASE_FILE_BYTES = 4 * MAX_PASSPHRASE_BYTES

sign_options = stack(
    passphrase_file_option,
    click.option("--valid-days", type=click.IntRange(1, MAX_VALID_DAYS), default=DEFAULT_VALID_DAYS,
                 show_default=True, help="How long the signed declaration stays valid."),
)


def read_passphrase(path: Path | None, *, prompt: str, confirm: bool = False) -> bytes | None:
    """From the file if given; else prompt only on a terminal (a pipe must never hang); else none."""
    if path is not None:
        # A FIFO, a device, a folder, or more than a passphrase file holds, is refused before any read.
        data = read_input_file(path, MAX_PASSPHRASE_FILE_BYTES, click.UsageError, what=str(path))
        secret = data.splitlines()[0] if data.strip() else b""
        if b"\x00" in data or not _typable(secret):  # a binary file, not a passphrase anyone could type
            raise click.UsageError(f"{path}: not a passphrase file (binary data); its first line must be the "
                                   "passphrase as UTF-8 text")
        if not secret or len(secret) > MAX_PASSPHRASE_BYTES:
            raise click.UsageError(f"{path}: the first line must hold a passphrase of 1-{MAX_PASSPHRASE_BYTES} bytes")
        return secret
    if sys.stdin is not None and sys.stdin.isatty():
        text = click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, default="", show_default=False)
        return text.encode("utf-8") or None
    return None


def _typable(secret: bytes) -> bool:
    """UTF-8 text without control characters (a tab aside), as the terminal prompt would give."""
    try:
        text = secret.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(char == "\t" or char.isprintable() or char == " " for char in text)


def load_signing_key(path: Path, passphrase_file: Path | None) -> Ed25519PrivateKey:
    """The private key at *path*, asking for its passphrase only when it is encrypted."""
    from trustscan.publish.keys import load_private_key, private_key_is_encrypted

    try:
        passphrase = None
        if private_key_is_encrypted(path):
            passphrase = read_passphrase(passphrase_file, prompt=f"Passphrase for {path}")
        return load_private_key(path, passphrase)
    except KeyFileError as exc:
        raise click.UsageError(str(exc)) from None


def write_signed(report: Mapping[str, Any], private_key: Ed25519PrivateKey, *, valid_days: int,
                 output: Path, catalog: Catalog) -> str:
    """Sign *report*, write the envelope to *output*; returns the confirmation line."""
    from trustscan.publish.attestation import envelope_bytes, parse_document, sha256_hex, sign_report, site_url

    now = datetime.now(UTC)
    try:
        envelope = sign_report(report, private_key, now=now, valid_days=valid_days)
        data = envelope_bytes(envelope)
        document = parse_document(data)
    except DocumentError as exc:
        raise click.UsageError(str(exc)) from None
    write_file(output, data)
    return catalog.text("sign.written", {"site": site_url(report), "valid_until": document.valid_until,
                                         "path": str(output), "digest": sha256_hex(data)})
