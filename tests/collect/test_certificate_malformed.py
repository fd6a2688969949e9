"""Malformed but loadable certificates (issue 9, item 10): a readable `error`, never a crash or a stray type name.

cryptography loads a certificate lazily, so a duplicate extension or a DER defect in a name or in the
SAN only shows when a field is touched. Each certificate here is built with cryptography, then one
field of its to-be-signed part is patched (same length) and the result signed again, so the defect is
the only thing wrong with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, padding, rsa, x25519
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from trustscan.collect.tls.certificate import (
    MALFORMED_CERTIFICATE_ERRORS,
    analyze_certificate_chain,
    describe_certificate_error,
)
from trustscan.collect.tls.compat import validate_served_chain
from trustscan.collect.tls.facts import (
    PROTOCOLS,
    CheckFailed,
    ProtocolScan,
    ServedCertificate,
    TlsFacts,
    facts_dict,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOST = "a.example"
_OID = {"SAN": b"\x06\x03\x55\x1d\x11", "IAN": b"\x06\x03\x55\x1d\x12", "BC": b"\x06\x03\x55\x1d\x13"}


@cache
def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def build(key: object | None = None, *, extra: tuple[x509.ExtensionType, ...] = ()) -> x509.Certificate:
    """A self-signed RSA-SHA256 certificate for HOST whose subject key is *key* (default: the signer's)."""
    signer = _rsa()
    public = (key or signer).public_key()  # type: ignore[attr-defined]
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
               .serial_number(1000).not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False))
    for extension in extra:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(signer, hashes.SHA256())


def patched(cert: x509.Certificate, patch: Callable[[bytes], bytes]) -> x509.Certificate:
    """*cert* with its TBS bytes patched (same length) and signed again (RSA: same signature length)."""
    tbs = cert.tbs_certificate_bytes
    new_tbs = patch(tbs)
    assert len(new_tbs) == len(tbs) and new_tbs != tbs
    signature = _rsa().sign(new_tbs, padding.PKCS1v15(), hashes.SHA256())
    der = cert.public_bytes(serialization.Encoding.DER).replace(tbs, new_tbs).replace(cert.signature, signature)
    return x509.load_der_x509_certificate(der)


def duplicate_san() -> x509.Certificate:
    issuer_alt = x509.IssuerAlternativeName([x509.DNSName("b.example")])
    return patched(build(extra=(issuer_alt,)), lambda tbs: tbs.replace(_OID["IAN"], _OID["SAN"]))


def duplicate_basic_constraints() -> x509.Certificate:
    constraints = x509.BasicConstraints(ca=False, path_length=None)
    return patched(build(extra=(constraints,)), lambda tbs: tbs.replace(_OID["SAN"], _OID["BC"], 1))


def bad_issuer_utf8() -> x509.Certificate:  # the issuer's CN (first in the TBS) is not UTF-8
    return patched(build(), lambda tbs: tbs.replace(b"\x0c\x09" + HOST.encode(), b"\x0c\x09\xff.example", 1))


def bad_san_name() -> x509.Certificate:
    return patched(build(), lambda tbs: tbs.replace(b"\x82\x09" + HOST.encode(), b"\x82\x09\xff.example", 1))


def san_not_a_sequence() -> x509.Certificate:
    return patched(build(), lambda tbs: tbs.replace(b"\x30\x0b\x82\x09", b"\x31\x0b\x82\x09", 1))


def unknown_string_type() -> x509.Certificate:  # the issuer CN's tag becomes 0: cryptography raises KeyError: 0
    return patched(build(), lambda tbs: tbs.replace(b"\x0c\x09" + HOST.encode(), b"\x00\x09" + HOST.encode(), 1))


MALFORMED = {
    "duplicate SAN": (duplicate_san, "subjectAltName extension (2.5.29.17) appears twice"),
    "duplicate basicConstraints": (duplicate_basic_constraints, "basicConstraints extension (2.5.29.19) appears twice"),
    "issuer not UTF-8": (bad_issuer_utf8, "cannot parse issuer"),
    "SAN name not IA5": (bad_san_name, "cannot parse subject_alternative_name > DNSName"),
    "SAN not a sequence": (san_not_a_sequence, "cannot parse subject_alternative_name"),
    "name of an unknown string type": (unknown_string_type, "cannot read its issuer name"),  # found by the fuzz test
}


def tls_facts(chain: tuple[x509.Certificate, ...]) -> TlsFacts:
    """Facts of a server that spoke TLS 1.3 only and served *chain*; every other check failed."""
    failed = CheckFailed("not run")
    return TlsFacts(
        hostname=HOST, checked_at=NOW, protocols=tuple(ProtocolScan(p, ()) for p in PROTOCOLS),
        heartbleed=failed, robot=failed, ccs_injection=failed, renegotiation=failed, compression=failed,
        certificate=ServedCertificate(chain=chain, trusted_by=(), validation_error="self signed certificate",
                                      anchor_files=()),
    )


def _reads_well(reason: str) -> None:
    assert reason.startswith("malformed certificate: ")
    for noise in ("TypeError", "KeyError", "DuplicateExtension", "ParseError", "Traceback"):
        assert noise not in reason
    assert len(reason) < 200 and "\n" not in reason


@pytest.mark.parametrize("case", list(MALFORMED))
def test_the_served_chain_check_names_the_defect(case: str) -> None:
    make, expected = MALFORMED[case]
    pem = make().public_bytes(serialization.Encoding.PEM).decode()
    outcome = validate_served_chain(HOST, (pem,), None)
    # sslyze never reads the issuer name
    assert isinstance(outcome, CheckFailed) or case in ("issuer not UTF-8", "name of an unknown string type")
    if isinstance(outcome, CheckFailed):
        assert expected in outcome.reason
        _reads_well(outcome.reason)


@pytest.mark.parametrize("case", ["duplicate SAN", "duplicate basicConstraints", "issuer not UTF-8",
                                  "name of an unknown string type"])
def test_analysis_of_a_malformed_leaf_is_an_error_fact_with_the_reason(case: str) -> None:
    make, expected = MALFORMED[case]
    cert = make()
    with pytest.raises(MALFORMED_CERTIFICATE_ERRORS) as raised:
        analyze_certificate_chain([cert], HOST, NOW, [])
    _reads_well(describe_certificate_error(raised.value))
    facts = facts_dict(tls_facts((cert,)))
    assert facts["certificate"] is None  # unknown: the certificate rules become `error`, never a pass
    assert expected in facts["errors"]["certificate_info"]
    _reads_well(facts["errors"]["certificate_info"])
    assert facts["tls13"] is False and "tls_1_3_cipher_suites" not in facts["errors"]  # the rest still stands


def test_error_verdicts_carry_no_exception_type_names() -> None:
    from trustscan.core.models import Attempt
    from trustscan.judge.engine import evaluate
    from trustscan.judge.ruleset import load_ruleset

    ruleset = load_ruleset()
    facts = facts_dict(tls_facts((duplicate_san(),)))
    verdicts = [v for v in evaluate(ruleset, {"tls": Attempt.completed("tls", facts, 0.1)})
                if v.rule_id.startswith("c.cert")]
    assert verdicts and {v.status.value for v in verdicts} == {"error"}
    assert not any("DuplicateExtension" in (v.error or "") for v in verdicts)


@pytest.mark.parametrize(("key", "key_type", "bits"), [
    (lambda: dsa.generate_private_key(2048), "DSA", 2048),
    (ed448.Ed448PrivateKey.generate, "Ed448", 448),
    (x25519.X25519PrivateKey.generate, "X25519", None),  # a key-agreement key in a server certificate
    (lambda: ec.generate_private_key(ec.SECP521R1()), "EC", 521),
])
def test_unusual_key_types_are_described_not_crashed_on(key: Callable[[], object], key_type: str,
                                                        bits: int | None) -> None:
    cert = build(key())
    analysis = analyze_certificate_chain([cert], HOST, NOW, [])
    assert (analysis["key_type"], analysis["key_bits"]) == (key_type, bits)
    assert not isinstance(validate_served_chain(HOST, (cert.public_bytes(serialization.Encoding.PEM).decode(),),
                                                None), CheckFailed)


def test_an_unknown_key_algorithm_is_named_by_its_oid() -> None:
    rsa_encryption, unknown = bytes.fromhex("06092a864886f70d010101"), bytes.fromhex("06092a864886f70d01017f")
    cert = patched(build(), lambda tbs: tbs.replace(rsa_encryption, unknown))
    analysis = analyze_certificate_chain([cert], HOST, NOW, [])
    assert (analysis["key_type"], analysis["key_bits"]) == ("1.2.840.113549.1.1.127", None)


def test_a_certificate_with_no_subject_is_analysed() -> None:
    signer = _rsa()
    cert = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(x509.Name([]))
            .public_key(signer.public_key()).serial_number(7).not_valid_before(NOW - timedelta(days=1))
            .not_valid_after(NOW + timedelta(days=1)).sign(signer, hashes.SHA256()))
    analysis = analyze_certificate_chain([cert], HOST, NOW, [])
    assert analysis["subject"] == "" and analysis["san"] == [] and analysis["hostname_match"] is False


@pytest.mark.parametrize("case", ["duplicate SAN", "SAN name not IA5"])
def test_the_deep_path_names_the_defect_too(case: str) -> None:
    """sslyze's certificate plugin (`--deep`) keeps only the trace of its failure; it reads as well."""
    from traceback import TracebackException
    from types import SimpleNamespace

    from sslyze import ScanCommand, ScanCommandAttemptStatusEnum, ScanCommandErrorReasonEnum
    from sslyze.plugins.certificate_info._cert_chain_analyzer import CertificateDeploymentAnalyzer

    from trustscan.collect.tls.deep import _outcome

    make, expected = MALFORMED[case]
    pem = make().public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(MALFORMED_CERTIFICATE_ERRORS) as raised:
        CertificateDeploymentAnalyzer(x509.DNSName(HOST), [pem], None, []).perform()
    attempt = SimpleNamespace(status=ScanCommandAttemptStatusEnum.ERROR, result=None,
                              error_reason=ScanCommandErrorReasonEnum.BUG_IN_SSLYZE,
                              error_trace=TracebackException.from_exception(raised.value))
    outcome = _outcome(SimpleNamespace(certificate_info=attempt), ScanCommand.CERTIFICATE_INFO)
    assert isinstance(outcome, CheckFailed) and expected in outcome.reason
    _reads_well(outcome.reason)


@cache
def _leaf_der() -> bytes:
    return build().public_bytes(serialization.Encoding.DER)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4))
def test_fuzz_damaged_certificates(flips: list[tuple[int, int]]) -> None:
    """Bytes of a real certificate changed: it does not load, or it is analysed, or refused in words."""
    der = bytearray(_leaf_der())
    for position, value in flips:
        der[position % len(der)] = value
    try:
        cert = x509.load_der_x509_certificate(bytes(der))
    except x509.InvalidVersion as exc:  # sslyze loads the served chain itself: this reaches the probe
        _reads_well(describe_certificate_error(exc))
        return
    except ValueError:
        return  # not loadable: the TLS layer never hands it over
    try:
        analyze_certificate_chain([cert], HOST, NOW, [])
    except MALFORMED_CERTIFICATE_ERRORS as exc:
        _reads_well(describe_certificate_error(exc))


def test_an_impossible_version_reaches_the_probe_as_words() -> None:
    """Version 5 (the field holds 4): cryptography refuses to load it, and sslyze loads the served chain."""
    import base64

    cert = build()
    tbs = cert.tbs_certificate_bytes
    bad_tbs = tbs.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x04", 1)
    signature = _rsa().sign(bad_tbs, padding.PKCS1v15(), hashes.SHA256())
    der = cert.public_bytes(serialization.Encoding.DER).replace(tbs, bad_tbs).replace(cert.signature, signature)
    body = base64.encodebytes(der).decode().replace("\n", "")
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) \
        + "\n-----END CERTIFICATE-----\n"
    outcome = validate_served_chain(HOST, (pem,), None)
    assert isinstance(outcome, CheckFailed) and "its version field is 4" in outcome.reason
    _reads_well(outcome.reason)
