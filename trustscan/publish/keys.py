"""Ed25519 signing keys for self-declarations: create, write safely, load.

Ed25519 (RFC 8032) because it is deterministic, has one parameter set, and is verified by stock
`openssl pkeyutl -rawin` (OpenSSL >= 3.0), so anyone can check a declaration without trustscan.
Private keys are PKCS#8 PEM, optionally encrypted with a passphrase; public keys are
SubjectPublicKeyInfo PEM. Nothing here prompts: the CLI decides where a passphrase comes from.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trustscan.core.errors import KeyFileError, PassphraseNeeded
from trustscan.net.files import read_input_file

__all__ = [
    "KeyFileError",
    "KeyPair",
    "PassphraseNeeded",
    "generate_key_pair",
    "key_id",
    "load_private_key",
    "load_public_key",
    "private_key_is_encrypted",
    "public_pem",
    "write_key_pair",
]

MAX_KEY_FILE_BYTES = 64 * 1024  # a PEM key is < 1 KiB; refuse to slurp anything large


@dataclass(frozen=True)
class KeyPair:
    """Where a new key pair was written and the public key's id."""

    private_path: Path
    public_path: Path
    key_id: str


def generate_key_pair() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def key_id(public_key: Ed25519PublicKey) -> str:
    """`SHA256:<base64>` of the raw 32-byte public key, the way OpenSSH prints fingerprints."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_key_pair(private_key: Ed25519PrivateKey, private_path: Path, public_path: Path,
                   passphrase: bytes | None = None) -> KeyPair:
    """Write both PEM files; refuse to overwrite either. The private key is created 0600 atomically."""
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise KeyFileError(f"{path} already exists; refusing to overwrite a key")
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    private_bytes = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              encryption)
    _write_exclusive(private_path, private_bytes, 0o600)
    try:
        _write_exclusive(public_path, public_pem(private_key.public_key()), 0o644)
    except KeyFileError:
        private_path.unlink(missing_ok=True)  # no half-made pair left behind
        raise
    return KeyPair(private_path, public_path, key_id(private_key.public_key()))


def _write_exclusive(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: no race between the existence check and the write, and never through a symlink.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise KeyFileError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)  # the umask may have narrowed it; 0600 must stay exactly 0600


def _read(path: Path) -> bytes:
    return read_input_file(path, MAX_KEY_FILE_BYTES, KeyFileError, what=str(path),
                           too_large=f"{path} is too large to be a key file")


def _read_private(path: Path) -> bytes:
    """A private key file's bytes, refused (as ssh does) when its group or others may read or write it."""
    data = _read(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from None
    if os.name == "posix" and mode & 0o077:
        raise KeyFileError(f"permissions {stat.S_IMODE(mode):04o} for {path} are too open: a private key must be "
                           f"readable by its owner only; run `chmod 600 {shlex.quote(str(path))}`")
    return data


def private_key_is_encrypted(path: Path) -> bool:
    return b"ENCRYPTED PRIVATE KEY" in _read_private(path)


def load_private_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """The Ed25519 key in the PEM file at *path*; KeyFileError if it is not one or others may read it."""
    data = _read_private(path)
    if b"ENCRYPTED PRIVATE KEY" in data and not passphrase:
        raise PassphraseNeeded(f"{path} is encrypted; give its passphrase (--passphrase-file)")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if b"ENCRYPTED" in data else None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        if b"ENCRYPTED" in data:
            raise PassphraseNeeded(f"cannot decrypt {path}: wrong passphrase?") from None
        raise KeyFileError(f"{path} is not a PEM private key ({_short(exc)})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 key (make one with `trustscan keygen`)")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read(path)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        hint = "; that is a private key, give the public one" if b"PRIVATE KEY" in data else ""
        raise KeyFileError(f"{path} is not a PEM public key ({_short(exc)}){hint}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} is not an Ed25519 public key")
    return key


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
