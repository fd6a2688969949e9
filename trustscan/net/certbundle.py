"""PEM certificate bundles: the `--ca-bundle` a user names and the root stores shipped with sslyze.

A bundle is read with the CA-bundle cap (`net.files`) and parsed once per version of the file, so a
bulk run parses its ~150 roots once, not once per site. Kept apart from the TLS probe's analysis
(`collect.tls.certificate`), which reads these memos: checking `--ca-bundle` when a command starts
then costs cryptography's X.509 module only, not the scanner's packages, and `bulk --processes`
starts its worker processes that much sooner.
"""

from __future__ import annotations

import functools
from pathlib import Path

from cryptography import x509

from trustscan.core.errors import InputFileError
from trustscan.core.settings import MAX_CA_BUNDLE_BYTES
from trustscan.net.files import file_version, read_capped_file

__all__ = ["certificates_in", "check_ca_bundle"]


def check_ca_bundle(path: Path | str) -> int:
    """How many certificates the `--ca-bundle` at *path* holds; InputFileError unless at least one.

    A CA bundle is a regular file of at most MAX_CA_BUNDLE_BYTES holding one or more PEM
    certificates, every one of them parsable (OpenSSL and sslyze read it by name later, where a
    wrong file would only turn criterion c into an error). Parsed once: the audit reuses the memo.
    """
    try:
        version = file_version(path)
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from None
    try:
        return len(certificates_in(*version))
    except ValueError as exc:
        framing = "Unable to load PEM" in str(exc)
        raise InputFileError(path, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)" if framing
                             else "a PEM certificate in it cannot be parsed") from None


@functools.lru_cache(maxsize=32)
def certificates_in(path: str, mtime_ns: int, size: int) -> tuple[x509.Certificate, ...]:
    """A PEM bundle's certificates, parsed once per file version (a memo, not state: the key
    includes the file's mtime and size). A bulk scan otherwise re-parses ~150 roots per site."""
    return tuple(x509.load_pem_x509_certificates(read_capped_file(path, MAX_CA_BUNDLE_BYTES)))
