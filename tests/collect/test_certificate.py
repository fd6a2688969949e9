"""Unit tests of trustscan.collect.tls.certificate (pure chain analysis, no network)."""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.input_files import KINDS, refused_file, within
from trustscan.collect.tls.certificate import analyze_certificate_chain, hostname_matches, load_trust_anchors
from trustscan.core.errors import InputFileError
from trustscan.core.settings import MAX_CA_BUNDLE_BYTES

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

EXPECTED_KEYS = {
    "subject", "issuer", "serial", "not_before", "not_after", "days_left", "expired", "not_yet_valid",
    "san", "hostname_match", "self_signed", "chain_length", "chain", "chain_complete", "key_type",
    "key_bits", "signature_hash",
}  # fmt: skip


def make_cert(
    cn: str,
    *,
    issuer: tuple[x509.Certificate, object] | None = None,
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    ca: bool = False,
    key: object | None = None,
    not_before: datetime = NOW - timedelta(days=10),
    not_after: datetime = NOW + timedelta(days=30),
    hash_alg: hashes.HashAlgorithm | None = None,
    issuer_name: x509.Name | None = None,
) -> tuple[x509.Certificate, object]:
    """A WebPKI-shaped certificate (non-critical SAN, SKI/AKI, KU/EKU); self-signed when issuer is None."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    signer_cert, signer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or (signer_cert.subject if signer_cert else name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False
        )
    )
    if ca:
        usage = dict(digital_signature=True, key_cert_sign=True, crl_sign=True)
    else:
        usage = dict(digital_signature=True, key_encipherment=isinstance(key, rsa.RSAPrivateKey))
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    flags = dict.fromkeys(
        ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
         "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"], False,
    )  # fmt: skip
    builder = builder.add_extension(x509.KeyUsage(**(flags | usage)), critical=True)
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    hash_alg = None if isinstance(signer_key, ed25519.Ed25519PrivateKey) else hash_alg or hashes.SHA256()
    return builder.sign(signer_key, hash_alg), key


@pytest.fixture(scope="module")
def pki():
    root = make_cert("Test Root", ca=True, not_after=NOW + timedelta(days=3650))
    inter = make_cert("Test Intermediate", issuer=root, ca=True, not_after=NOW + timedelta(days=1000))
    leaf = make_cert("www.example.test", issuer=inter, dns=("www.example.test", "example.test"))
    return root, inter, leaf


def test_valid_chain(pki):
    root, inter, leaf = pki
    info = analyze_certificate_chain([leaf[0], inter[0]], "www.example.test", NOW, [root[0]])
    assert set(info) == EXPECTED_KEYS
    json.dumps(info)  # JSON-serialisable
    assert info["subject"] == "CN=www.example.test"
    assert info["issuer"] == "CN=Test Intermediate"
    assert info["serial"] == format(leaf[0].serial_number, "x")
    assert info["not_after"] == (NOW + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert info["days_left"] == 30
    assert (info["expired"], info["not_yet_valid"]) == (False, False)
    assert info["san"] == ["www.example.test", "example.test"]
    assert info["hostname_match"] is True
    assert info["self_signed"] is False
    assert info["chain_length"] == 2
    assert [c["subject"] for c in info["chain"]] == ["CN=www.example.test", "CN=Test Intermediate"]
    assert info["chain"][1] == {
        "subject": "CN=Test Intermediate",
        "issuer": "CN=Test Root",
        "not_after": (NOW + timedelta(days=1000)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "signature_hash": "sha256",
    }
    assert info["chain_complete"] is True
    assert (info["key_type"], info["key_bits"], info["signature_hash"]) == ("EC", 256, "sha256")


def test_chain_served_with_root_is_complete_without_anchors(pki):
    root, inter, leaf = pki
    info = analyze_certificate_chain([leaf[0], inter[0], root[0]], "example.test", NOW)
    assert info["chain_complete"] is True
    assert info["chain_length"] == 3


def test_missing_intermediate(pki):
    root, _inter, leaf = pki
    assert analyze_certificate_chain([leaf[0]], "www.example.test", NOW, [root[0]])["chain_complete"] is False
    # Intermediate present but the root is not among the anchors: the path cannot be finished either.
    other_root = make_cert("Other Root", ca=True)[0]
    info = analyze_certificate_chain([leaf[0], pki[1][0]], "www.example.test", NOW, [other_root])
    assert info["chain_complete"] is False


def test_chain_out_of_order_or_wrong_signer(pki):
    root, inter, leaf = pki
    assert (
        analyze_certificate_chain([leaf[0], root[0], inter[0]], "x", NOW, [root[0]])["chain_complete"]
        is False
    )
    # Same issuer *name* as the intermediate but signed by another key: names alone must not pass.
    impostor_key = ec.generate_private_key(ec.SECP256R1())
    forged = make_cert("www.example.test", issuer=(inter[0], impostor_key), dns=("www.example.test",))
    assert analyze_certificate_chain([forged[0], inter[0]], "x", NOW, [root[0]])["chain_complete"] is False


def test_expired(pki):
    _root, inter, _leaf = pki
    cert, _ = make_cert(
        "old.test", issuer=inter, dns=("old.test",), not_after=NOW - timedelta(days=2, hours=1)
    )
    info = analyze_certificate_chain([cert], "old.test", NOW)
    assert info["expired"] is True
    assert info["not_yet_valid"] is False
    assert info["days_left"] == -3  # floor: 2 days and 1 hour ago


def test_not_yet_valid(pki):
    cert, _ = make_cert("new.test", issuer=pki[1], dns=("new.test",), not_before=NOW + timedelta(days=1))
    info = analyze_certificate_chain([cert], "new.test", NOW)
    assert (info["not_yet_valid"], info["expired"]) == (True, False)
    assert info["days_left"] == 30


def test_naive_now_is_utc(pki):
    info = analyze_certificate_chain([pki[2][0]], "example.test", NOW.replace(tzinfo=None))
    assert info["days_left"] == 30


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.example.test", True),
        ("WWW.Example.TEST.", True),  # case-insensitive, trailing dot ignored
        ("example.test", False),  # wildcard needs one label
        ("a.b.example.test", False),  # ...and covers only one
        ("wwwexample.test", False),
        ("other.test", False),
    ],
)
def test_wildcard(host, expected):
    cert, _ = make_cert("wild", dns=("*.example.test",))
    assert hostname_matches(cert, host) is expected


def test_wildcard_rules_are_strict():
    cert, _ = make_cert("bad wildcards", dns=("*.test", "w*.example.test", "a.*.example.test"))
    for host in ("example.test", "www.example.test", "a.b.example.test"):
        assert hostname_matches(cert, host) is False


def test_no_common_name_fallback():
    cert, _ = make_cert("cn-only.test")
    assert hostname_matches(cert, "cn-only.test") is False


def test_ip_san():
    cert, _ = make_cert("ip", dns=("127.0.0.9",), ips=("127.0.0.5", "2001:db8::1"))
    info = analyze_certificate_chain([cert], "127.0.0.5", NOW)
    assert info["san"] == ["127.0.0.9", "127.0.0.5", "2001:db8::1"]
    assert info["hostname_match"] is True
    assert hostname_matches(cert, "2001:0db8:0000::0001") is True  # compared as addresses
    assert hostname_matches(cert, "[2001:db8::1]") is True
    assert hostname_matches(cert, "127.0.0.9") is False  # an IP host never matches a dNSName
    assert hostname_matches(cert, "127.0.0.6") is False


def test_punycode_names():
    cert, _ = make_cert("idn", dns=("xn--bcher-kva.example", "*.xn--mnchen-3ya.example"))
    assert hostname_matches(cert, "xn--bcher-kva.example") is True
    assert hostname_matches(cert, "bücher.example") is True
    assert hostname_matches(cert, "BÜCHER.example") is True
    assert hostname_matches(cert, "www.münchen.example") is True
    assert hostname_matches(cert, "bucher.example") is False


def test_self_signed_leaf():
    cert, _ = make_cert("self.test", dns=("self.test",))
    info = analyze_certificate_chain([cert], "self.test", NOW)
    assert info["self_signed"] is True
    assert info["chain_complete"] is True  # nothing missing, merely untrusted
    assert info["subject"] == info["issuer"]


def test_issuer_equals_subject_but_foreign_signature_is_not_self_signed():
    signer = make_cert("Signer", ca=True)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake.test")])
    cert, _ = make_cert("fake.test", issuer=signer, issuer_name=name, dns=("fake.test",))
    info = analyze_certificate_chain([cert], "fake.test", NOW)
    assert info["subject"] == info["issuer"]
    assert info["self_signed"] is False
    assert info["chain_complete"] is False


def test_rsa_1024_key_bits():
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cert, _ = make_cert("rsa.test", key=key, dns=("rsa.test",))
    info = analyze_certificate_chain([cert], "rsa.test", NOW)
    assert (info["key_type"], info["key_bits"], info["signature_hash"]) == ("RSA", 1024, "sha256")


def test_ed25519_has_no_signature_hash():
    cert, _ = make_cert("ed.test", key=ed25519.Ed25519PrivateKey.generate(), dns=("ed.test",))
    info = analyze_certificate_chain([cert], "ed.test", NOW)
    assert (info["key_type"], info["key_bits"], info["signature_hash"]) == ("Ed25519", 256, None)
    assert info["self_signed"] is True


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
@pytest.mark.parametrize("digest", ["sha1", "md5"])
def test_legacy_signature_hash_from_openssl_cli(tmp_path: Path, digest: str):
    # cryptography >= 45 refuses to sign with SHA-1, so the openssl CLI makes these.
    pem = tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", f"-{digest}", "-nodes", "-days", "10",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(pem), "-subj", "/CN=legacy.test",
         "-addext", "subjectAltName=DNS:legacy.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    cert = x509.load_pem_x509_certificate(pem.read_bytes())
    info = analyze_certificate_chain([cert], "legacy.test", datetime.now(UTC))
    assert info["signature_hash"] == digest
    assert info["chain"][0]["signature_hash"] == digest
    assert (info["key_type"], info["key_bits"]) == ("RSA", 2048)
    assert info["hostname_match"] is True
    assert info["self_signed"] is True


def test_load_trust_anchors(tmp_path: Path, pki):
    root, inter, leaf = pki
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"".join(c[0].public_bytes(serialization.Encoding.PEM) for c in (root, inter)))
    anchors = load_trust_anchors([bundle, None])
    assert [a.subject for a in anchors] == [root[0].subject, inter[0].subject]
    info = analyze_certificate_chain([leaf[0], inter[0]], "example.test", NOW, anchors)
    assert info["chain_complete"] is True


def test_anchors_sharing_a_subject_are_all_tried(pki, tmp_path: Path):
    root, inter, leaf = pki
    # A re-keyed root under the same name first in the bundle: the index by subject keeps both.
    rekeyed = make_cert("Test Root", ca=True)[0]
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                for c in (make_cert("Other Root", ca=True)[0], rekeyed, root[0])))
    anchors = load_trust_anchors([bundle])
    assert len(anchors.by_subject[rekeyed.subject.public_bytes()]) == 2
    assert analyze_certificate_chain([leaf[0], inter[0]], "x", NOW, anchors)["chain_complete"] is True
    assert analyze_certificate_chain([leaf[0], inter[0]], "x", NOW, [rekeyed])["chain_complete"] is False


def test_empty_chain_rejected():
    with pytest.raises(ValueError):
        analyze_certificate_chain([], "example.test", NOW)


@pytest.mark.parametrize("kind", KINDS)
def test_a_fifo_or_oversize_anchor_bundle_is_refused_at_once(tmp_path: Path, kind: str):
    bundle = refused_file(kind, tmp_path / "ca.pem", MAX_CA_BUNDLE_BYTES)
    with within(5), pytest.raises(InputFileError, match="not a regular file" if kind == "fifo" else "larger than"):
        load_trust_anchors([bundle])


def test_certificate_verifications_run_one_at_a_time_in_a_process() -> None:
    # cryptography 46's verifier can deadlock two threads verifying for the first time at once (see
    # trustscan.collect.tls.compat): sslyze's verification is wrapped so that one runs at a time.
    import threading
    import time

    from sslyze.plugins.certificate_info.trust_stores.trust_store import TrustStore

    from trustscan.collect.tls import compat

    assert getattr(TrustStore.verify_certificate_chain, "one_at_a_time", False)
    running, peak = 0, 0
    count = threading.Lock()

    def slow_verify() -> None:
        nonlocal running, peak
        with count:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with count:
            running -= 1

    locked = compat._one_at_a_time(slow_verify)
    threads = [threading.Thread(target=locked) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert peak == 1 and running == 0
