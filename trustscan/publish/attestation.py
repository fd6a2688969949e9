"""The signed self-declaration: a report as an in-toto Statement v1 inside a DSSE envelope.

Decree 137/2024/ND-CP Art. 21(3) encourages owners to *self-declare* that they meet the criteria;
this module makes that declaration checkable by anyone holding the owner's public key.

- subject: the audited site (name = its https URL, digest = SHA-256 of the canonical report);
- predicateType: :data:`PREDICATE_TYPE`, trustscan's self-declaration schema and its version
  (`reports/schema/self-declaration.schema.json`);
- predicate: ``{report, declared_at, valid_until}``.

The payload is serialised with RFC 8785 (JSON Canonicalization Scheme), so one report signs to the
same bytes every time and its digest does not depend on whitespace or key order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trustscan.core.errors import DocumentError, EnvelopeCorrupt, EnvelopeError
from trustscan.core.timestamps import rfc3339
from trustscan.publish.dsse import Envelope, sign_envelope, verify_signature
from trustscan.publish.keys import key_id
from trustscan.publish.validity import DEFAULT_VALID_DAYS, MAX_VALID_DAYS
from trustscan.report.schema import (
    ReportFile,
    check_report,
    check_report_shape,
    is_envelope,
    load_report_file,
    parse_json,
    parse_report_file,
    read_report_bytes,
)

__all__ = [
    "DEFAULT_VALID_DAYS",
    "MAX_VALID_DAYS",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "Document",
    "Verification",
    "VerificationStatus",
    "canonical_json",
    "envelope_bytes",
    "load_document",
    "parse_document",
    "sign_report",
    "site_url",
    "verify_document",
    "verify_file",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"  # in-toto attestation framework, envelope.md
PREDICATE_TYPE = "https://trustscan.invalid/schema/self-declaration/v1.0"
CLOCK_SKEW = timedelta(minutes=5)  # a declaration "from the future" beyond this is refused


class VerificationStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Document:
    """A report as read from disk, with its signing wrapper when it came in one (not yet verified)."""

    report: Mapping[str, Any]
    envelope: Envelope | None = None
    statement: Mapping[str, Any] | None = None
    digest: str | None = None  # SHA-256 hex of the envelope file's bytes, as `sha256sum` prints it

    @property
    def signed(self) -> bool:
        return self.envelope is not None

    @property
    def declared_at(self) -> str | None:
        return self.statement["predicate"]["declared_at"] if self.statement else None

    @property
    def valid_until(self) -> str | None:
        return self.statement["predicate"]["valid_until"] if self.statement else None

    def expired(self, now: datetime) -> bool:
        return self.valid_until is not None and now > parse_time(self.valid_until)


@dataclass(frozen=True)
class Verification:
    """Outcome of checking a signed document against one public key.

    `reason` is a message id (`verify.reason.*`) saying why it is not valid, `detail` its values.
    """

    status: VerificationStatus
    reason: str | None
    document: Document
    key_id: str
    detail: Mapping[str, Any] = field(default_factory=dict)


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of *value*; values JSON cannot carry exactly (huge ints, NaN) are refused."""
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError as exc:
        raise DocumentError(f"the report cannot be canonicalised (RFC 8785): {exc}") from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def site_url(report: Mapping[str, Any]) -> str:
    """The audited site as an https URL (ASCII host, port only when not 443): the statement subject."""
    target = report["target"]
    port = "" if target["port"] == 443 else f":{target['port']}"
    return f"https://{target['ascii_host']}{port}/"


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without a timezone: {text}")
    return moment


def build_statement(report: Mapping[str, Any], declared_at: datetime, valid_days: int) -> dict[str, Any]:
    """The in-toto Statement v1 for *report*, valid for *valid_days* from *declared_at*."""
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise ValueError(f"a declaration must be valid for 1 to {MAX_VALID_DAYS} days")
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": site_url(report), "digest": {"sha256": sha256_hex(canonical_json(report))}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "report": report,
            "declared_at": rfc3339(declared_at),
            "valid_until": rfc3339(declared_at + timedelta(days=valid_days)),
        },
    }


def sign_report(report: Mapping[str, Any], private_key: Ed25519PrivateKey, *, now: datetime,
                valid_days: int = DEFAULT_VALID_DAYS) -> dict[str, Any]:
    """The DSSE envelope (as JSON) declaring *report*; write it with :func:`envelope_bytes`.

    Only a report valid by the schema is signed (DocumentError otherwise), and only one that reads
    back the same: a float such as 2.0**53 is written as an integer RFC 8785 cannot take back.
    """
    check_report(report)
    payload = canonical_json(build_statement(report, now, valid_days))
    canonical_json(json.loads(payload))
    return sign_envelope(PAYLOAD_TYPE, payload, private_key).to_json()


def envelope_bytes(envelope: Mapping[str, Any]) -> bytes:
    """The envelope file's bytes: canonical JSON, so `sha256sum` of the file is its published digest."""
    return canonical_json(envelope)


def parse_document(data: bytes) -> Document:
    """Read a plain report or a signed envelope. Structure only: the signature is NOT checked here.

    Raises :class:`DocumentError` for malformed input and :class:`EnvelopeCorrupt` for an envelope
    whose payload bytes are damaged (a verifier reports that as invalid, not malformed).
    """
    return _document(parse_report_file(data))


def load_document(path: Path) -> Document:
    """:func:`parse_document` of the file at *path*, read by the one report reader; errors name the path."""
    loaded = load_report_file(path)
    try:
        return _document(loaded)
    except (DocumentError, EnvelopeCorrupt) as exc:
        raise type(exc)(f"{path}: {exc}") from None


def _document(loaded: ReportFile) -> Document:
    if loaded.report is not None:
        return Document(loaded.report)
    try:
        envelope = Envelope.from_json(loaded.envelope)
    except EnvelopeCorrupt:
        raise
    except EnvelopeError as exc:
        raise DocumentError(str(exc)) from None
    statement = _statement(envelope)
    return Document(statement["predicate"]["report"], envelope, statement, sha256_hex(loaded.data))


def _statement(envelope: Envelope) -> dict[str, Any]:
    """The statement inside *envelope*; any defect is damage (EnvelopeCorrupt), since the shape was right."""
    if envelope.payload_type != PAYLOAD_TYPE:
        raise EnvelopeCorrupt(f"payloadType is {envelope.payload_type[:80]!r}, expected {PAYLOAD_TYPE}")
    try:
        statement = parse_json(envelope.payload)
    except DocumentError as exc:
        raise EnvelopeCorrupt(f"the signed payload is {exc}") from None
    problems = _statement_problems(statement)
    if problems:
        raise EnvelopeCorrupt(f"the signed payload is not a trustscan self-declaration: {problems}")
    # The same one validation a plain report file gets: a signature never makes its content trusted.
    # Not damage (EnvelopeCorrupt) but a malformed document (DocumentError, exit 2): its signer signed it so.
    try:
        check_report(statement["predicate"]["report"])
    except DocumentError as exc:
        raise DocumentError(f"the signed report is {exc}") from None
    return dict(statement)


def _statement_problems(statement: Any) -> str | None:
    if not isinstance(statement, Mapping) or statement.get("_type") != STATEMENT_TYPE:
        return f"_type is not {STATEMENT_TYPE}"
    if statement.get("predicateType") != PREDICATE_TYPE:
        return f"predicateType is not {PREDICATE_TYPE}"
    predicate, subject = statement.get("predicate"), statement.get("subject")
    if not isinstance(predicate, Mapping) or not isinstance(subject, list) or len(subject) != 1:
        return "expected one subject and a predicate object"
    try:
        check_report_shape(predicate.get("report"))
        declared_at, valid_until = parse_time(predicate["declared_at"]), parse_time(predicate["valid_until"])
    except (DocumentError, KeyError, TypeError, ValueError, AttributeError) as exc:
        return str(exc)[:160]
    if valid_until <= declared_at:
        return "valid_until is not after declared_at"
    report = predicate["report"]
    entry = subject[0]
    if not isinstance(entry, Mapping) or entry.get("name") != site_url(report):
        return f"the subject is not the audited site {site_url(report)}"
    digest = entry.get("digest")
    if not isinstance(digest, Mapping) or digest.get("sha256") != sha256_hex(canonical_json(report)):
        return "the subject digest does not match the report"
    return None


def verify_file(path: Path, public_key: Ed25519PublicKey, *, now: datetime) -> Verification:
    """:func:`verify_document` of the file at *path*, read by the one report reader; errors name the path."""
    data = read_report_bytes(path)
    try:
        return verify_document(data, public_key, now=now)
    except DocumentError as exc:
        raise type(exc)(f"{path}: {exc}") from None


def verify_document(data: bytes, public_key: Ed25519PublicKey, *, now: datetime) -> Verification:
    """Check a signed declaration: signature first, then content, then the validity period.

    Raises :class:`DocumentError` for a file that is not an envelope at all (malformed input).
    """
    expected = key_id(public_key)
    document = parse_json(data)
    if not is_envelope(document):
        raise DocumentError("not a signed declaration (no DSSE envelope); sign it with `trustscan sign`")

    def invalid(reason: str, document: Document | None = None, **detail: Any) -> Verification:
        return Verification(VerificationStatus.INVALID, f"verify.reason.{reason}", document or Document({}),
                            expected, detail)

    try:
        envelope = Envelope.from_json(document)
    except EnvelopeCorrupt as exc:
        return invalid("corrupt", detail=str(exc))
    except EnvelopeError as exc:
        raise DocumentError(str(exc)) from None
    if not verify_signature(envelope, public_key):
        keyids = sorted({kid for kid, _ in envelope.signatures if kid})
        if keyids and expected not in keyids:
            return invalid("other_key", keyids=keyids, key_id=expected)
        return invalid("altered")
    try:
        statement = _statement(envelope)
    except EnvelopeCorrupt as exc:
        return invalid("corrupt", detail=str(exc))
    # The digest users compare with `sha256sum FILE`: of the bytes as given, whatever their layout.
    verified = Document(statement["predicate"]["report"], envelope, statement, sha256_hex(data))
    declared_at = parse_time(statement["predicate"]["declared_at"])
    if declared_at > now + CLOCK_SKEW:
        return invalid("future", verified, declared_at=verified.declared_at)
    if parse_time(statement["predicate"]["valid_until"]) - declared_at > timedelta(days=MAX_VALID_DAYS):
        # Signed, but not as trustscan signs: a validity no one can be held to is not a declaration.
        return invalid("too_long", verified, valid_until=verified.valid_until, declared_at=verified.declared_at,
                       max_days=MAX_VALID_DAYS)
    if verified.expired(now):
        return Verification(VerificationStatus.EXPIRED, "verify.reason.expired", verified, expected,
                            {"valid_until": verified.valid_until})
    return Verification(VerificationStatus.VALID, None, verified, expected)
