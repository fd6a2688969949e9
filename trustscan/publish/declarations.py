"""A folder of signed self-declarations, each verified with its owner's public key, indexed by site.

`trustscan publish --declarations DIR --keys DIR` shows each site's signed declaration on its public
page and lets a valid one that says pass carry the site's badge through a failed round (see
`trustscan.bulk.history.standing`). Only a declaration whose signature verifies with one of the
given keys (picked by the envelope's `keyid`) counts; every other file is named in a problem and
left out, never published as if it were signed.

Limits: at most MAX_FILES declarations and MAX_KEYS keys are read (each through the one capped
report and key readers); a folder holding more is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trustscan.core.errors import DocumentError, EnvelopeCorrupt, KeyFileError
from trustscan.publish.attestation import Verification, VerificationStatus, parse_document, verify_document
from trustscan.publish.keys import key_id, load_public_key
from trustscan.report.schema import read_report_bytes

__all__ = ["MAX_FILES", "MAX_KEYS", "Declaration", "declaration_site", "load_declarations", "load_keys"]

MAX_FILES = 10_000
MAX_KEYS = 1_000


@dataclass(frozen=True)
class Declaration:
    """A verified (valid or expired) signed declaration: its file's bytes and the verification."""

    path: Path
    data: bytes
    verification: Verification

    @property
    def site(self) -> str:
        return declaration_site(self.verification.document.report)


def declaration_site(report: dict[str, object] | object) -> str:
    """The site key (`ascii_host:port`, IPv6 in brackets) a report is about, as the results database writes it."""
    target = report.get("target") if isinstance(report, dict) else None
    if not isinstance(target, dict):
        return ""
    host, port = str(target.get("ascii_host", "")), target.get("port")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _files(folder: Path, pattern: str, cap: int, what: str) -> list[Path]:
    if not folder.is_dir():
        raise KeyFileError(f"{folder} is not a folder of {what}")
    files = sorted(p for p in folder.glob(pattern) if p.is_file())
    if len(files) > cap:
        raise KeyFileError(f"{folder} holds {len(files)} {what}; at most {cap} are read")
    return files


def load_keys(folder: Path) -> dict[str, Ed25519PublicKey]:
    """Every `*.pub` Ed25519 public key in *folder*, by key id; KeyFileError names the first bad one."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in _files(folder, "*.pub", MAX_KEYS, "public keys (*.pub)"):
        key = load_public_key(path)
        keys[key_id(key)] = key
    return keys


def load_declarations(folder: Path, keys: dict[str, Ed25519PublicKey], *,
                      now: datetime) -> tuple[dict[str, Declaration], list[str]]:
    """The newest verified declaration of each site in *folder* (`*.json`), and a problem line per file left out."""
    found: dict[str, Declaration] = {}
    problems: list[str] = []
    for path in _files(folder, "*.json", MAX_FILES, "declarations (*.json)"):
        try:
            data = read_report_bytes(path)
            document = parse_document(data)
        except (DocumentError, EnvelopeCorrupt) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if document.envelope is None:
            problems.append(f"{path}: not a signed declaration (a plain report); sign it with `trustscan sign`")
            continue
        keyids = [kid for kid, _sig in document.envelope.signatures if kid in keys]
        if not keyids:
            problems.append(f"{path}: signed with no key in --keys")
            continue
        verification = verify_document(data, keys[keyids[0]], now=now)
        if verification.status is VerificationStatus.INVALID:
            problems.append(f"{path}: the signature does not verify ({verification.reason})")
            continue
        declaration = Declaration(path, data, verification)
        current = found.get(declaration.site)
        if current is None or (declaration.verification.document.declared_at or "") > \
                (current.verification.document.declared_at or ""):
            found[declaration.site] = declaration
    return found, problems
