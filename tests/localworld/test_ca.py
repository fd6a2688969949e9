"""The local CA of the test world and the demo, checked with openssl (no nginx)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from trustscan.localworld.ca import LocalCA

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA(tmp_path_factory.mktemp("ca"))


def openssl_verify(ca: LocalCA, cert_path: Path, leaf_path: Path) -> subprocess.CompletedProcess[str]:
    """``openssl verify -CAfile root.pem -untrusted <served chain> <leaf>``."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl CLI is required by LocalCA(sha1=True) and by these tests"
    return subprocess.run(
        [openssl, "verify", "-CAfile", str(ca.root_path), "-untrusted", str(cert_path), str(leaf_path)],
        capture_output=True,
        text=True,
    )


def test_ca_good_chain_verifies(ca: LocalCA) -> None:
    cert = ca.issue(["good.trustscan.test", "127.0.0.10"], name="good", not_before=NOW - DAY, not_after=NOW + 90 * DAY)
    result = openssl_verify(ca, cert.cert_path, cert.leaf_path)
    assert result.returncode == 0, result.stdout + result.stderr
    leaf = cert.load_leaf()
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["good.trustscan.test"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.10"]
    assert cert.cert_path.read_text().count("BEGIN CERTIFICATE") == 2  # leaf + intermediate


def test_ca_expired_is_rejected(ca: LocalCA) -> None:
    cert = ca.issue(["expired.trustscan.test"], name="expired", not_before=NOW - 90 * DAY, not_after=NOW - DAY)
    result = openssl_verify(ca, cert.cert_path, cert.leaf_path)
    assert result.returncode != 0
    assert "expired" in result.stdout + result.stderr


def test_ca_self_signed_and_missing_intermediate_are_rejected(ca: LocalCA) -> None:
    selfsigned = ca.issue(
        ["ss.trustscan.test"], name="ss", self_signed=True, not_before=NOW - DAY, not_after=NOW + 90 * DAY
    )
    leaf = selfsigned.load_leaf()
    assert leaf.issuer == leaf.subject
    assert (
        "self-signed"
        in openssl_verify(ca, selfsigned.cert_path, selfsigned.leaf_path).stdout
        + openssl_verify(ca, selfsigned.cert_path, selfsigned.leaf_path).stderr
    )
    nochain = ca.issue(
        ["nc.trustscan.test"],
        name="nc",
        include_intermediate=False,
        not_before=NOW - DAY,
        not_after=NOW + 90 * DAY,
    )
    assert nochain.cert_path.read_text().count("BEGIN CERTIFICATE") == 1
    assert openssl_verify(ca, nochain.cert_path, nochain.leaf_path).returncode != 0


def test_ca_sha1_rsa1024_leaf(ca: LocalCA) -> None:
    cert = ca.issue(
        ["legacy.trustscan.test"],
        name="legacy",
        key="rsa1024",
        sha1=True,
        not_before=NOW - 2 * DAY,
        not_after=NOW + 30 * DAY,
    )
    leaf = cert.load_leaf()
    assert leaf.signature_hash_algorithm is not None and leaf.signature_hash_algorithm.name == "sha1"
    key = leaf.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024
    # Dates and SAN survive the openssl re-signing.
    assert abs(leaf.not_valid_after_utc - (NOW + 30 * DAY)) < dt.timedelta(seconds=2)
    assert leaf.issuer == ca.intermediate_cert.subject
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["legacy.trustscan.test"]
    assert openssl_verify(ca, cert.cert_path, cert.leaf_path).returncode == 0  # OpenSSL itself allows SHA-1
