"""A throw-away local certificate authority for tests and ``trustscan demo``.

``LocalCA(directory)`` creates a root CA and an intermediate CA in *directory* and issues server
certificates on demand, good or deliberately broken: expired, not yet valid, self-signed, weak RSA-1024
keys, SHA-1 signatures, or served without the intermediate (an incomplete chain).

Dates are always passed in by the caller, usually relative to "now", so that "expired" and "expiring
soon" stay true whenever the certificates are generated.

Files written in *directory*:

* ``root.pem`` - the trust anchor; give it to scanners as their CA bundle.
* ``intermediate.pem`` - the issuing CA (signed by the root).
* ``<name>.crt`` / ``<name>.key`` - per issued certificate: the leaf followed by the chain as served
  (leaf + intermediate, or leaf only) and the leaf's private key (PKCS#8 PEM, unencrypted).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["IssuedCert", "KeyType", "LocalCA"]

KeyType = Literal["ec256", "rsa2048", "rsa1024"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_ORG = "trustscan local test CA"
# CAs must cover every leaf we might issue, including back-dated "expired" ones.
_CA_BACKDATE = dt.timedelta(days=3650)
_CA_LIFETIME = dt.timedelta(days=3650)


@dataclass(frozen=True)
class IssuedCert:
    """A server certificate written to disk, ready for a TLS server.

    ``cert_path`` holds the leaf first, then the chain as it is meant to be served;
    ``leaf_path`` holds the leaf alone.
    """

    name: str
    hostnames: tuple[str, ...]
    cert_path: Path
    key_path: Path
    leaf_path: Path
    not_before: dt.datetime
    not_after: dt.datetime

    def load_leaf(self) -> x509.Certificate:
        """Parse the leaf certificate."""
        return x509.load_pem_x509_certificate(self.leaf_path.read_bytes())


class LocalCA:
    """A root CA and an intermediate CA living in *directory*.

    The root key is EC P-256. The intermediate key is RSA-2048 so that ``sha1=True`` produces the
    classic ``sha1WithRSAEncryption`` signature that real legacy servers present.
    Creating a ``LocalCA`` writes new keys every time; it never reuses existing files.
    """

    def __init__(self, directory: Path | str, *, now: dt.datetime | None = None) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        now = now or _utcnow()

        self._root_key: PrivateKey = ec.generate_private_key(ec.SECP256R1())
        root_name = _name("trustscan Local Root CA")
        self._root_cert = (
            _builder(root_name, root_name, self._root_key.public_key(), now - _CA_BACKDATE, now + _CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .sign(self._root_key, hashes.SHA256())
        )

        self._int_key: PrivateKey = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._int_cert = (
            _builder(
                _name("trustscan Local Intermediate CA"),
                root_name,
                self._int_key.public_key(),
                now - _CA_BACKDATE,
                now + _CA_LIFETIME,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(_aki(self._root_key), critical=False)
            .sign(self._root_key, hashes.SHA256())
        )

        self.root_path = self.directory / "root.pem"
        self.intermediate_path = self.directory / "intermediate.pem"
        self._int_key_path = self.directory / "intermediate.key"
        self.root_path.write_bytes(_cert_pem(self._root_cert))
        self.intermediate_path.write_bytes(_cert_pem(self._int_cert))
        _write_key(self._int_key_path, self._int_key)

    @property
    def root_cert(self) -> x509.Certificate:
        """The root (trust anchor) certificate."""
        return self._root_cert

    @property
    def intermediate_cert(self) -> x509.Certificate:
        """The intermediate (issuing) certificate."""
        return self._int_cert

    def issue(
        self,
        hostnames: list[str],
        *,
        name: str,
        not_before: dt.datetime,
        not_after: dt.datetime,
        key: KeyType = "ec256",
        sha1: bool = False,
        include_intermediate: bool = True,
        self_signed: bool = False,
    ) -> IssuedCert:
        """Issue a server certificate for *hostnames* and write it as ``<name>.crt`` / ``<name>.key``.

        The first hostname becomes the subject CN; all of them go into the SAN extension (IP
        addresses as IP SANs, everything else as DNS names, IDNs must already be punycode).
        ``self_signed`` makes a leaf that signs itself (no CA, no chain); ``include_intermediate=False``
        serves the leaf alone so clients cannot build the chain; ``sha1`` signs with SHA-1 via the
        ``openssl`` CLI because ``cryptography`` refuses to.
        """
        if not hostnames:
            raise ValueError("at least one hostname is required")
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise ValueError(f"name must be a plain file name stem, got {name!r}")
        leaf_key = _generate_key(key)
        subject = _name(hostnames[0])
        # For SHA-1, openssl re-signs only a self-signed input (it checks the signature) that has no AKI
        # pointing elsewhere, so build a self-signed template and let openssl set the real issuer.
        issuer = subject if (self_signed or sha1) else self._int_cert.subject
        builder = (
            _builder(subject, issuer, leaf_key.public_key(), not_before, not_after)
            .add_extension(x509.SubjectAlternativeName([_san(h) for h in hostnames]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_key_usage(leaf_key), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )

        key_path = self.directory / f"{name}.key"
        leaf_path = self.directory / f"{name}.leaf.pem"
        _write_key(key_path, leaf_key)
        if sha1:
            template_path = self.directory / f"{name}.template.pem"
            template_path.write_bytes(_cert_pem(builder.sign(leaf_key, hashes.SHA256())))
            self._openssl_sha1(template_path, key_path, leaf_path, self_signed=self_signed)
            template_path.unlink()
        else:
            signer = leaf_key if self_signed else self._int_key
            if not self_signed:
                builder = builder.add_extension(_aki(self._int_key), critical=False)
            leaf_path.write_bytes(_cert_pem(builder.sign(signer, hashes.SHA256())))

        chain = leaf_path.read_bytes()
        if include_intermediate and not self_signed:
            chain += _cert_pem(self._int_cert)
        cert_path = self.directory / f"{name}.crt"
        cert_path.write_bytes(chain)
        return IssuedCert(
            name=name,
            hostnames=tuple(hostnames),
            cert_path=cert_path,
            key_path=key_path,
            leaf_path=leaf_path,
            not_before=not_before,
            not_after=not_after,
        )

    def _openssl_sha1(self, template: Path, key: Path, out: Path, *, self_signed: bool) -> None:
        """Re-sign *template* with SHA-1, keeping its dates and extensions (OpenSSL 3.0 CLI)."""
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("sha1=True needs the openssl command-line tool")
        cmd = [openssl, "x509", "-in", str(template), "-out", str(out), "-sha1", "-preserve_dates"]
        if self_signed:
            cmd += ["-signkey", str(key)]
        else:
            extfile = out.with_suffix(".ext")
            extfile.write_text("authorityKeyIdentifier = keyid:always\n")
            cmd += [
                "-CA",
                str(self.intermediate_path),
                "-CAkey",
                str(self._int_key_path),
                "-set_serial",
                str(x509.random_serial_number()),
                "-extfile",
                str(extfile),
            ]
        try:
            subprocess.run(cmd, check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"openssl failed to SHA-1 sign: {exc.stderr.strip()}") from exc
        finally:
            if not self_signed:
                extfile.unlink(missing_ok=True)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key, not_before: dt.datetime, not_after: dt.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _aki(issuer_key: PrivateKey) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf_key_usage(key: PrivateKey) -> x509.KeyUsage:
    # Static-RSA key exchange (AES128-SHA and friends) needs keyEncipherment on RSA leaves.
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=isinstance(key, rsa.RSAPrivateKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _san(hostname: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(hostname))
    except ValueError:
        return x509.DNSName(hostname)


def _generate_key(kind: KeyType) -> PrivateKey:
    if kind == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind in ("rsa2048", "rsa1024"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    raise ValueError(f"unknown key type {kind!r}")


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write_key(path: Path, key: PrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
