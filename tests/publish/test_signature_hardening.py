"""Signatures (issue 9, item 7): canonical base64 only, the file's own digest, the validity cap, key permissions."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.support.publish_samples import SCAN_TIME, sample_report
from trustscan.cli.main import main
from trustscan.core.errors import KeyFileError
from trustscan.publish.attestation import (
    MAX_VALID_DAYS,
    PAYLOAD_TYPE,
    VerificationStatus,
    build_statement,
    canonical_json,
    envelope_bytes,
    sign_report,
    verify_document,
    verify_file,
)
from trustscan.publish.dsse import sign_envelope
from trustscan.publish.keys import generate_key_pair, load_private_key, public_pem, write_key_pair

NOW = SCAN_TIME + timedelta(hours=1)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@pytest.fixture(scope="module")
def key():  # type: ignore[no-untyped-def]
    return generate_key_pair()


@pytest.fixture
def files(tmp_path: Path, key) -> Path:  # type: ignore[no-untyped-def]
    (tmp_path / "k.pub").write_bytes(public_pem(key.public_key()))
    # Signed now: the CLI verifies against the real clock.
    (tmp_path / "signed.json").write_bytes(envelope_bytes(sign_report(sample_report(), key, now=datetime.now(UTC))))
    return tmp_path


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _same_bytes_other_spelling(text: str) -> str:
    """*text* (canonical base64 ending in padding) with the unused low bits of its last character set."""
    body = text.rstrip("=")
    unused = {1: 2, 2: 4}[len(text) - len(body)]  # "=" leaves 2 bits unused, "==" leaves 4
    last = _ALPHABET.index(body[-1])
    other = _ALPHABET[last | ((1 << unused) - 1)]
    assert other != body[-1] and base64.b64decode(body[:-1] + other + text[len(body):]) == base64.b64decode(text)
    return body[:-1] + other + text[len(body):]


@pytest.mark.parametrize("field", ["sig", "payload"])
def test_a_non_canonical_base64_spelling_fails_verification(key, field: str) -> None:  # type: ignore[no-untyped-def]
    envelope = sign_report(sample_report(), key, now=NOW)
    if field == "sig":
        envelope["signatures"][0]["sig"] = _same_bytes_other_spelling(envelope["signatures"][0]["sig"])
    else:
        payload = envelope["payload"]
        if not payload.endswith("="):  # pad the payload so it has unused bits (the statement's length varies)
            envelope = json.loads(envelope_bytes(sign_envelope(PAYLOAD_TYPE, base64.b64decode(payload) + b" ",
                                                               key).to_json()))
        envelope["payload"] = _same_bytes_other_spelling(envelope["payload"])
    verification = verify_document(json.dumps(envelope).encode(), key.public_key(), now=NOW)
    assert verification.status is VerificationStatus.INVALID and verification.reason == "verify.reason.corrupt"
    assert "not canonical base64" in verification.detail["detail"]


def test_the_cli_rejects_a_non_canonical_signature_as_invalid(files: Path) -> None:
    envelope = json.loads((files / "signed.json").read_bytes())
    envelope["signatures"][0]["sig"] = _same_bytes_other_spelling(envelope["signatures"][0]["sig"])
    (files / "signed.json").write_text(json.dumps(envelope))
    result = _cli("verify", str(files / "signed.json"), "--key", str(files / "k.pub"), "--lang", "en")
    assert result.exit_code == 1 and "not canonical base64" in result.output


@pytest.mark.parametrize("layout", ["canonical", "indented"])
def test_the_printed_digest_is_sha256sum_of_the_file(files: Path, layout: str) -> None:
    path = files / "signed.json"
    if layout == "indented":  # the same envelope, laid out by hand: its bytes, not its JSON, are what sha256sum sees
        path.write_text(json.dumps(json.loads(path.read_bytes()), indent=2) + "\n")
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    verification = verify_file(path, load_public(files), now=datetime.now(UTC))
    assert verification.status is VerificationStatus.VALID and verification.document.digest == expected
    result = _cli("verify", str(path), "--key", str(files / "k.pub"), "--lang", "en")
    assert result.exit_code == 0 and f"SHA-256 of the signed file: {expected}" in result.output


def load_public(files: Path):  # type: ignore[no-untyped-def]
    from trustscan.publish.keys import load_public_key

    return load_public_key(files / "k.pub")


def _signed_for(key, days: float) -> bytes:  # type: ignore[no-untyped-def]
    statement = build_statement(sample_report(), NOW, 1)
    statement["predicate"]["valid_until"] = (NOW + timedelta(days=days)).isoformat().replace("+00:00", "Z")
    return envelope_bytes(sign_envelope(PAYLOAD_TYPE, canonical_json(statement), key).to_json())


def test_a_validity_beyond_the_signing_cap_is_refused_at_verify(key, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    at_cap = verify_document(_signed_for(key, MAX_VALID_DAYS), key.public_key(), now=NOW)
    assert at_cap.status is VerificationStatus.VALID
    beyond = verify_document(_signed_for(key, MAX_VALID_DAYS + 1), key.public_key(), now=NOW)
    assert beyond.status is VerificationStatus.INVALID and beyond.reason == "verify.reason.too_long"
    assert beyond.detail["max_days"] == MAX_VALID_DAYS
    with pytest.raises(ValueError, match=f"1 to {MAX_VALID_DAYS} days"):
        build_statement(sample_report(), NOW, MAX_VALID_DAYS + 1)
    (tmp_path / "forever.json").write_bytes(_signed_for(key, 100 * 365))
    (tmp_path / "k.pub").write_bytes(public_pem(key.public_key()))
    result = _cli("verify", str(tmp_path / "forever.json"), "--key", str(tmp_path / "k.pub"), "--lang", "en")
    assert result.exit_code == 1 and f"more than the {MAX_VALID_DAYS} days trustscan signs" in result.output


def test_keygen_writes_an_owner_only_private_key(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        result = _cli("keygen", str(tmp_path / "k.pem"))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    assert load_private_key(tmp_path / "k.pem")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_a_private_key_others_may_read_is_refused_with_the_chmod_to_run(tmp_path: Path, key, mode: int) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "k.pem"
    write_key_pair(key, path, tmp_path / "k.pub")
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=f"permissions {mode:04o} for {path} are too open") as raised:
        load_private_key(path)
    assert f"run `chmod 600 {path}`" in str(raised.value)
    (tmp_path / "report.json").write_text(json.dumps(sample_report()))
    result = _cli("sign", str(tmp_path / "report.json"), "--key", str(path), "-o", str(tmp_path / "out.json"))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"chmod 600 {path}" in lines[0]
    assert not (tmp_path / "out.json").exists()
    path.chmod(0o600)
    assert load_private_key(path)
