"""Signed self-declarations: keys, DSSE, the in-toto statement, and what tampering looks like."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from tests.support.publish_samples import SCAN_TIME, sample_report
from trustscan.core.errors import DocumentError, KeyFileError, PassphraseNeeded
from trustscan.publish.attestation import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    VerificationStatus,
    envelope_bytes,
    parse_document,
    sign_report,
    verify_document,
)
from trustscan.publish.dsse import pae
from trustscan.publish.keys import generate_key_pair, key_id, load_private_key, load_public_key, write_key_pair
from trustscan.report.schema import report_schema

NOW = SCAN_TIME + timedelta(hours=1)


@pytest.fixture(scope="module")
def key():  # type: ignore[no-untyped-def]
    return generate_key_pair()


@pytest.fixture(scope="module")
def signed(key) -> bytes:  # type: ignore[no-untyped-def]
    return envelope_bytes(sign_report(sample_report(), key, now=NOW, valid_days=90))


def test_pae_matches_the_dsse_specification_example() -> None:
    # secure-systems-lab/dsse protocol.md, "Test vectors".
    assert pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"


def test_statement_shape_and_canonical_payload(signed: bytes) -> None:
    envelope = json.loads(signed)
    assert envelope["payloadType"] == PAYLOAD_TYPE
    payload = base64.b64decode(envelope["payload"])
    statement = json.loads(payload)
    assert payload == rfc8785.dumps(statement)  # RFC 8785: the payload is its own canonical form
    assert statement["_type"] == STATEMENT_TYPE and statement["predicateType"] == PREDICATE_TYPE
    report = statement["predicate"]["report"]
    assert statement["subject"][0]["name"] == "https://xn--cng-qmz.example.gov.vn/"
    assert statement["subject"][0]["digest"]["sha256"] == hashlib.sha256(rfc8785.dumps(report)).hexdigest()
    assert statement["predicate"]["declared_at"] == "2026-03-01T09:00:00Z"
    assert statement["predicate"]["valid_until"] == "2026-05-30T09:00:00Z"  # 90 days
    schema = json.loads((Path(__file__).parents[2] / "reports/schema/self-declaration.schema.json").read_text())
    jsonschema.validate(statement, schema, format_checker=jsonschema.FormatChecker())
    jsonschema.validate(report, report_schema(), format_checker=jsonschema.FormatChecker())


def test_same_report_signs_to_the_same_bytes(key) -> None:  # type: ignore[no-untyped-def]
    report = sample_report()
    shuffled = json.loads(json.dumps(report, sort_keys=True))  # other key order, same content
    assert envelope_bytes(sign_report(report, key, now=NOW)) == envelope_bytes(sign_report(shuffled, key, now=NOW))


def test_valid_signature_verifies(key, signed: bytes) -> None:  # type: ignore[no-untyped-def]
    result = verify_document(signed, key.public_key(), now=NOW)
    assert result.status is VerificationStatus.VALID, result
    assert result.document.report["target"]["host"] == "cổng.example.gov.vn"
    assert result.document.digest == hashlib.sha256(signed).hexdigest()


def test_every_flipped_byte_is_caught(key, signed: bytes) -> None:  # type: ignore[no-untyped-def]
    """No single-bit change anywhere in the file verifies; each is invalid or malformed, never valid."""
    outcomes = set()
    for index in range(0, len(signed), max(1, len(signed) // 400)):
        damaged = bytearray(signed)
        damaged[index] ^= 0x01
        try:
            status = verify_document(bytes(damaged), key.public_key(), now=NOW).status
        except DocumentError:
            status = "malformed"
        if status is VerificationStatus.VALID:
            # A flip inside a JSON key the verifier ignores (e.g. "keyid") is harmless, never in signed bytes.
            assert json.loads(damaged)["payload"] == json.loads(signed)["payload"]
            assert json.loads(damaged)["signatures"][0]["sig"] == json.loads(signed)["signatures"][0]["sig"]
        outcomes.add(status)
    assert VerificationStatus.INVALID in outcomes


def test_swapped_key_is_invalid_and_named(signed: bytes) -> None:
    other = generate_key_pair().public_key()
    result = verify_document(signed, other, now=NOW)
    assert result.status is VerificationStatus.INVALID
    assert result.reason == "verify.reason.other_key" and result.detail["key_id"] == key_id(other)


def test_edited_field_with_the_old_signature_is_invalid(key, signed: bytes) -> None:  # type: ignore[no-untyped-def]
    envelope = json.loads(signed)
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["report"]["overall"] = "pass"  # the owner "improves" the result after signing
    envelope["payload"] = base64.b64encode(rfc8785.dumps(statement)).decode()
    result = verify_document(json.dumps(envelope).encode(), key.public_key(), now=NOW)
    assert result.status is VerificationStatus.INVALID and result.reason == "verify.reason.altered"


def test_resigned_statement_with_a_wrong_digest_is_invalid(key) -> None:  # type: ignore[no-untyped-def]
    """Even a correct signature cannot vouch for a statement whose subject digest is not its report."""
    from trustscan.publish.dsse import sign_envelope
    envelope = json.loads(envelope_bytes(sign_report(sample_report(), key, now=NOW)))
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["report"]["overall"] = "pass"
    forged = sign_envelope(PAYLOAD_TYPE, rfc8785.dumps(statement), key).to_json()
    result = verify_document(envelope_bytes(forged), key.public_key(), now=NOW)
    assert result.status is VerificationStatus.INVALID and "digest" in result.detail["detail"]


def test_expired_and_future_declarations(key, signed: bytes) -> None:  # type: ignore[no-untyped-def]
    expired = verify_document(signed, key.public_key(), now=NOW + timedelta(days=91))
    assert expired.status is VerificationStatus.EXPIRED and expired.detail["valid_until"] == "2026-05-30T09:00:00Z"
    assert verify_document(signed, key.public_key(), now=NOW + timedelta(days=89)).status is VerificationStatus.VALID
    early = verify_document(signed, key.public_key(), now=NOW - timedelta(days=1))
    assert early.status is VerificationStatus.INVALID and early.reason == "verify.reason.future"


@pytest.mark.parametrize("data", [b"", b"not json", b"[]", b'{"payloadType": 1}', b'{"payloadType": "x", "payload": "",'
                                  b' "signatures": []}', json.dumps(sample_report()).encode(), b"[" * 100000])
def test_malformed_documents_are_refused(key, data: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DocumentError):
        verify_document(data, key.public_key(), now=NOW)


def test_plain_report_and_envelope_both_parse(signed: bytes) -> None:
    assert parse_document(signed).signed and parse_document(signed).valid_until == "2026-05-30T09:00:00Z"
    plain = parse_document(json.dumps(sample_report()).encode())
    assert not plain.signed and plain.digest is None and not plain.expired(NOW)


def test_values_json_cannot_carry_exactly_are_refused(key) -> None:  # type: ignore[no-untyped-def]
    report = sample_report()
    report["evidence"]["securitytxt"]["data"]["serial"] = 2**70  # e.g. a certificate serial number as an int
    with pytest.raises(DocumentError, match="RFC 8785"):
        sign_report(report, key, now=NOW)


def test_key_files(tmp_path: Path) -> None:
    pair = write_key_pair(generate_key_pair(), tmp_path / "k.pem", tmp_path / "k.pub", b"s3cret")
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "k.pem").read_bytes()
    with pytest.raises(PassphraseNeeded):
        load_private_key(tmp_path / "k.pem")
    with pytest.raises(PassphraseNeeded, match="wrong passphrase"):
        load_private_key(tmp_path / "k.pem", b"nope")
    private = load_private_key(tmp_path / "k.pem", b"s3cret")
    assert key_id(private.public_key()) == key_id(load_public_key(tmp_path / "k.pub")) == pair.key_id
    before = (tmp_path / "k.pem").read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        write_key_pair(generate_key_pair(), tmp_path / "k.pem", tmp_path / "other.pub")
    assert (tmp_path / "k.pem").read_bytes() == before and not (tmp_path / "other.pub").exists()


def test_non_ed25519_keys_are_refused(tmp_path: Path) -> None:
    ec = generate_private_key(SECP256R1())
    (tmp_path / "ec.pem").write_bytes(ec.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    (tmp_path / "ec.pem").chmod(0o600)  # a private key readable by others is refused before its type is read
    (tmp_path / "ec.pub").write_bytes(ec.public_key().public_bytes(serialization.Encoding.PEM,
                                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(KeyFileError, match="Ed25519"):
        load_private_key(tmp_path / "ec.pem")
    with pytest.raises(KeyFileError, match="Ed25519"):
        load_public_key(tmp_path / "ec.pub")
    (tmp_path / "junk.pem").write_text("hello")
    with pytest.raises(KeyFileError, match="not a PEM"):
        load_public_key(tmp_path / "junk.pem")
