"""scan_tls against real TLS servers started by the test on 127.0.0.x (loopback only)."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from trustscan.collect.tls.deep import scan_tls
from trustscan.collect.tls.facts import weak_reasons
from trustscan.core.errors import ProbeError

HOST_IP = "127.0.0.5"
SITE = "site.example.test"

RESULT_KEYS = {
    "protocols", "accepted_protocols", "legacy_protocols", "tls13", "accepted_suites", "weak_suites",
    "suites_without_forward_secrecy", "aead_available", "cbc_only", "dhe_accepted", "dh_min_bits",
    "dh_groups", "heartbleed", "robot_vulnerable", "robot_result", "ccs_injection", "secure_renegotiation",
    "client_renegotiation", "compression", "certificate", "errors",
}  # fmt: skip
CERT_KEYS = {
    "subject", "issuer", "serial", "not_before", "not_after", "days_left", "expired", "not_yet_valid",
    "san", "hostname_match", "self_signed", "chain_length", "chain", "chain_complete", "key_type",
    "key_bits", "signature_hash", "trusted", "trusted_by", "validation_error", "validation_error_wording",
}  # fmt: skip


def _issue(subject: str, issuer_key, issuer_name, key, *, ca: bool, names=()) -> x509.Certificate:
    """A WebPKI-shaped certificate.

    Not trustme: its leaves have a critical SAN next to a non-empty subject, which cryptography's
    verifier (used by sslyze 6) rejects, so they could never come out "trusted".
    """
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
    )
    if not ca:
        sans = [x509.DNSName(n) for n in names if not n[0].isdigit()]
        sans += [x509.IPAddress(ipaddress.ip_address(n)) for n in names if n[0].isdigit()]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A private CA (written to ca.pem) and a leaf for SITE + HOST_IP (written to leaf.pem / key.pem)."""
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("trustscan test CA", ca_key, None, ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _issue(SITE, ca_key, ca.subject, leaf_key, ca=False, names=(SITE, HOST_IP))
    (d / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (d / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return d


class TlsServer:
    """Minimal threaded TLS server: handshake, then read until the client leaves."""

    def __init__(self, context: ssl.SSLContext, host: str = HOST_IP) -> None:
        self.context = context
        self.listener = socket.create_server((host, 0), backlog=256)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.handlers: list[threading.Thread] = []
        self.acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self.acceptor.start()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            handler = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.handlers.append(handler)
            handler.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(3)
            with self.context.wrap_socket(conn, server_side=True) as tls:
                while tls.recv(4096):
                    pass
        except Exception:  # scanners send broken and hostile handshakes on purpose
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stopping.set()
        self.acceptor.join()
        self.listener.close()
        for handler in self.handlers:
            handler.join()


@pytest.fixture(scope="module")
def modern_server(pki):
    """TLS 1.2 + 1.3 only, ECDHE + AEAD, as Python's default server context offers."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(pki / "leaf.pem", pki / "key.pem")
    server = TlsServer(ctx)
    yield server
    server.close()


@pytest.fixture(scope="module")
def modern_scan(modern_server, pki):
    started = time.perf_counter()
    result = scan_tls(SITE, HOST_IP, modern_server.port, ca_bundle=pki / "ca.pem", timeout=5)
    result["_elapsed"] = time.perf_counter() - started
    return result


def test_result_shape(modern_scan):
    result = dict(modern_scan)
    result.pop("_elapsed")
    assert set(result) == RESULT_KEYS
    assert set(result["certificate"]) == CERT_KEYS
    json.dumps(result)
    assert result["errors"] == {}


def test_protocols(modern_scan):
    assert modern_scan["protocols"] == {
        "ssl_2_0": False, "ssl_3_0": False, "tls_1_0": False,
        "tls_1_1": False, "tls_1_2": True, "tls_1_3": True,
    }  # fmt: skip
    assert modern_scan["accepted_protocols"] == ["TLS 1.2", "TLS 1.3"]
    assert modern_scan["legacy_protocols"] == []
    assert modern_scan["tls13"] is True
    assert set(modern_scan["accepted_suites"]) == {"TLS 1.2", "TLS 1.3"}
    assert "TLS_AES_128_GCM_SHA256" in modern_scan["accepted_suites"]["TLS 1.3"]


def test_cipher_findings(modern_scan):
    assert modern_scan["weak_suites"] == []
    assert modern_scan["suites_without_forward_secrecy"] == []
    assert (modern_scan["aead_available"], modern_scan["cbc_only"]) == (True, False)
    assert modern_scan["dhe_accepted"] is False
    assert (modern_scan["dh_min_bits"], modern_scan["dh_groups"]) == (None, [])


def test_vulnerability_checks(modern_scan):
    assert modern_scan["heartbleed"] is False
    assert modern_scan["ccs_injection"] is False
    assert modern_scan["compression"] is False
    assert modern_scan["secure_renegotiation"] is True
    assert modern_scan["client_renegotiation"] is False
    # ECDSA certificate: no RSA key exchange, so nothing for ROBOT to attack
    assert (modern_scan["robot_vulnerable"], modern_scan["robot_result"]) == (
        False,
        "NOT_VULNERABLE_RSA_NOT_SUPPORTED",
    )


def test_certificate_trusted_with_custom_ca(modern_scan):
    cert = modern_scan["certificate"]
    assert cert["trusted"] is True
    assert cert["trusted_by"] == ["Supplied CA file"]
    assert cert["validation_error"] is None
    assert cert["hostname_match"] is True
    assert cert["chain_complete"] is True  # the leaf's issuer is in the supplied CA file
    assert (cert["expired"], cert["self_signed"], cert["chain_length"]) == (False, False, 1)
    assert cert["san"] == [SITE, HOST_IP]
    assert (cert["key_type"], cert["key_bits"], cert["signature_hash"]) == ("EC", 256, "sha256")


def test_wrong_name_and_no_custom_ca(modern_server):
    result = scan_tls("other.example.test", HOST_IP, modern_server.port, ca_bundle=None, timeout=5)
    cert = result["certificate"]
    assert cert["hostname_match"] is False
    assert cert["trusted"] is False
    assert cert["trusted_by"] == []
    assert isinstance(cert["validation_error"], str) and cert["validation_error"]
    assert cert["chain_complete"] is False  # private CA: not among Mozilla's roots
    assert result["errors"] == {}


def test_scan_is_reasonably_fast(modern_scan):
    # ~1-2 s on loopback; the bound only catches accidental timeouts/retries.
    assert modern_scan["_elapsed"] < 30


def test_closed_port_raises_probe_error_quickly():
    with socket.create_server((HOST_IP, 0)) as probe:
        port = probe.getsockname()[1]  # free now, closed (nothing listening) once the block exits
    started = time.perf_counter()
    with pytest.raises(ProbeError, match=rf"connection refused by {HOST_IP}:{port}"):
        scan_tls(SITE, HOST_IP, port, ca_bundle=None, timeout=2)
    assert time.perf_counter() - started < 5


def test_silent_server_times_out_quickly():
    # The kernel completes the TCP handshake from the backlog, but nothing ever answers the ClientHello.
    with socket.create_server((HOST_IP, 0)) as silent:
        port = silent.getsockname()[1]
        started = time.perf_counter()
        with pytest.raises(ProbeError, match="timed out"):
            scan_tls(SITE, HOST_IP, port, ca_bundle=None, timeout=1)
        assert time.perf_counter() - started < 5


def test_plain_tcp_server_is_a_probe_error():
    with socket.create_server((HOST_IP, 0)) as listener:
        port = listener.getsockname()[1]
        stop = threading.Event()

        def hang_up() -> None:
            listener.settimeout(0.1)
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except (TimeoutError, OSError):
                    continue
                conn.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        try:
            with pytest.raises(ProbeError, match=rf"TLS handshake with {SITE} at {HOST_IP}:{port} failed"):
                scan_tls(SITE, HOST_IP, port, ca_bundle=None, timeout=2)
        finally:
            stop.set()
            thread.join()


def test_ip_must_be_a_literal_so_nothing_is_resolved():
    with pytest.raises(ValueError):
        scan_tls(SITE, "localhost", 443, ca_bundle=None, timeout=1)


@pytest.mark.parametrize(
    ("suite", "reasons"),
    [
        ("TLS_RSA_EXPORT_WITH_RC4_40_MD5", ["EXPORT", "RC4", "MD5"]),
        ("TLS_DH_anon_WITH_AES_128_CBC_SHA", ["anonymous"]),
        ("TLS_RSA_WITH_NULL_SHA256", ["NULL"]),
        ("TLS_RSA_WITH_DES_CBC_SHA", ["DES"]),
        ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", ["3DES"]),
        ("SSL_CK_DES_192_EDE3_CBC_WITH_MD5", ["3DES", "MD5"]),
        ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", []),
    ],
)
def test_weak_reasons(suite, reasons):
    assert weak_reasons(suite) == reasons
