"""Pure analysis of the certificate chain a TLS server presented (criterion c).

Nothing here touches the network or the clock: the caller passes the received chain (leaf first), the
name it connected to, `now`, and the trust anchors. sslyze 6 folds expiry, name mismatch, SHA-1,
missing intermediates and self-signed leaves into one validation-error string, so every separate
finding a report needs is derived here from the certificates themselves.

Only `load_trust_anchors` does I/O (it reads PEM bundles).
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from traceback import TracebackException
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding

from trustscan.core.timestamps import rfc3339
from trustscan.net.certbundle import certificates_in
from trustscan.net.files import FileVersion, file_version

__all__ = [
    "analyze_certificate_chain", "describe_certificate_error", "describe_certificate_trace",
    "hostname_matches",
    "load_trust_anchors",
]

#: Errors cryptography raises on first touching a malformed field of a loaded certificate (it parses
#: extensions, names and keys lazily), and the TypeError/KeyError of code handed such a field.
MALFORMED_CERTIFICATE_ERRORS = (ValueError, TypeError, KeyError, UnsupportedAlgorithm, x509.DuplicateExtension,
                                x509.InvalidVersion)
_ASN1_LOCATION = re.compile(r'location: \[([^\]]*)\]')
_ASN1_KIND = re.compile(r"kind: (\w+)")
_DUPLICATE_OID = re.compile(r"Duplicate ([0-9.]+) extension")


class TrustAnchors(tuple[x509.Certificate, ...]):
    """Trust anchor certificates with an index by subject (DER): the issuer of a chain's last
    certificate is looked up, not searched for among ~150 roots (that search cost ~0.7 ms per site)."""

    by_subject: dict[bytes, tuple[x509.Certificate, ...]]

    @classmethod
    def of(cls, certificates: Iterable[x509.Certificate]) -> TrustAnchors:
        anchors = cls(certificates)
        index: dict[bytes, list[x509.Certificate]] = {}
        for cert in anchors:
            index.setdefault(_subject_der(cert), []).append(cert)
        anchors.by_subject = {subject: tuple(certs) for subject, certs in index.items()}
        return anchors


def load_trust_anchors(paths: Iterable[Path | str | None]) -> TrustAnchors:
    """Read every certificate from the given PEM bundles (``None`` entries are skipped).

    Typical use: sslyze's bundled Mozilla store plus the optional custom CA file. Each is read by
    `read_capped_file` (InputFileError for a FIFO, a folder or a file over MAX_CA_BUNDLE_BYTES).
    Parsed and indexed once per version of the files (every site of a bulk run shares them).
    Note that cryptography emits a CryptographyDeprecationWarning for one bundled root with a
    non-positive serial number; it is harmless.
    """
    return _anchors_in(tuple(file_version(path) for path in paths if path is not None))


@functools.lru_cache(maxsize=32)
def _anchors_in(stamps: tuple[FileVersion, ...]) -> TrustAnchors:
    """The anchors of bundles given as (path, mtime_ns, size): a memo keyed by each file's version."""
    return TrustAnchors.of(cert for stamp in stamps for cert in certificates_in(*stamp))


@functools.lru_cache(maxsize=4096)
def _subject_der(cert: x509.Certificate) -> bytes:
    """A certificate's subject as DER, memoised: comparing Name objects rebuilds them every time."""
    return cert.subject.public_bytes()


def analyze_certificate_chain(
    chain: Sequence[x509.Certificate],
    hostname: str,
    now: datetime,
    trust_anchors: Sequence[x509.Certificate] | None = None,
) -> dict[str, Any]:
    """Describe the leaf and the served chain as a JSON-serialisable dict.

    `hostname` is the name (or IP literal) the client asked for; `now` should be timezone-aware
    (a naive value is taken as UTC). Raises ValueError on an empty chain.
    """
    if not chain:
        raise ValueError("empty certificate chain")
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    leaf = chain[0]
    not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    key_type, key_bits = _key_info(leaf)
    return {
        "subject": leaf.subject.rfc4514_string(),
        "issuer": leaf.issuer.rfc4514_string(),
        "serial": _serial_hex(leaf.serial_number),
        "not_before": rfc3339(not_before),
        "not_after": rfc3339(not_after),
        # floor: a certificate that expired an hour ago reads -1, not 0
        "days_left": math.floor((not_after - now).total_seconds() / 86400),
        "expired": now > not_after,
        "not_yet_valid": now < not_before,
        "san": [str(v) for v in _san_values(leaf)],
        "hostname_match": hostname_matches(leaf, hostname),
        "self_signed": _is_issued_by(leaf, leaf),
        "chain_length": len(chain),
        "chain": [
            {
                "subject": cert.subject.rfc4514_string(),
                "issuer": cert.issuer.rfc4514_string(),
                "not_after": rfc3339(cert.not_valid_after_utc),
                "signature_hash": _signature_hash(cert),
            }
            for cert in chain
        ],
        "chain_complete": _chain_complete(chain, trust_anchors if isinstance(trust_anchors, TrustAnchors)
                                          else TrustAnchors.of(trust_anchors or ())),
        "key_type": key_type,
        "key_bits": key_bits,
        "signature_hash": _signature_hash(leaf),
    }


def describe_certificate_error(exc: BaseException, chain: Sequence[x509.Certificate] = ()) -> str:
    """One readable line for a certificate that loaded but cannot be analysed (RFC 5280 defects).

    cryptography reports a duplicate extension by its OID, a DER defect as a Rust ParseError
    ("kind: InvalidValue, location: [...]") and some defects as a bare KeyError or TypeError; the
    line names the extension or the field instead, found by reading each part of each certificate
    of *chain* (the served chain, when known) in turn.
    """
    if isinstance(exc, x509.DuplicateExtension):
        return (f"malformed certificate: the {_oid_label(exc.oid)} extension ({exc.oid.dotted_string}) "
                "appears twice (RFC 5280 4.2 allows each extension once)")
    if isinstance(exc, x509.InvalidVersion):
        return f"malformed certificate: its version field is {exc.parsed_version} (RFC 5280 4.1.2.1: v1 to v3)"
    if isinstance(exc, UnsupportedAlgorithm):
        return f"malformed certificate: unsupported algorithm ({_short(str(exc))})"
    for position, cert in enumerate(chain):
        defect = _defect(cert)
        if defect is not None:
            return defect + (f" (certificate {position + 1} of the chain)" if position else "")
    return _parse_error_text(str(exc)) or "malformed certificate: a field of an unexpected type cannot be read"


#: The parts of a certificate cryptography parses only when they are first read.
_LAZY_PARTS: tuple[tuple[str, Callable[[x509.Certificate], object]], ...] = (
    ("subject name", lambda cert: cert.subject.rfc4514_string()),
    ("issuer name", lambda cert: cert.issuer.rfc4514_string()),
    ("extensions", lambda cert: list(cert.extensions)),
    ("validity dates", lambda cert: (cert.not_valid_before_utc, cert.not_valid_after_utc)),
)


def _defect(cert: x509.Certificate) -> str | None:
    """The first part of *cert* that cannot be read, in words; None when every part reads."""
    for label, read in _LAZY_PARTS:
        try:
            read(cert)
        except x509.DuplicateExtension as exc:
            return describe_certificate_error(exc)
        except (ValueError, TypeError, KeyError) as exc:
            return _parse_error_text(str(exc)) or f"malformed certificate: cannot read its {label}"
    return None


def _parse_error_text(text: str) -> str | None:
    """A Rust ParseError's location and kind as words, or None when *text* is no ParseError."""
    location = _ASN1_LOCATION.search(text)
    if location is None:
        return None
    parts = (part.strip().strip('"').split("::")[-1] for part in location.group(1).split(","))
    fields = [part for part in parts if part and not part.isdigit()]
    kind = _ASN1_KIND.search(text)
    where = " > ".join(fields[:1] + fields[-1:] if len(fields) > 1 else fields) or "a field"
    return f"malformed certificate: cannot parse {where} ({kind.group(1) if kind else 'invalid DER'})"


def describe_certificate_trace(trace: TracebackException) -> str | None:
    """`describe_certificate_error` for an exception known only by its trace (sslyze keeps no more of
    a failed scan command); None when it is not a malformed-certificate error."""
    kind, text = trace.exc_type, str(trace)
    if kind is None or not issubclass(kind, MALFORMED_CERTIFICATE_ERRORS):
        return None
    duplicate = _DUPLICATE_OID.search(text) if issubclass(kind, x509.DuplicateExtension) else None
    if duplicate is not None:
        return describe_certificate_error(x509.DuplicateExtension(text, x509.ObjectIdentifier(duplicate.group(1))))
    return describe_certificate_error(kind(text) if issubclass(kind, ValueError | TypeError | KeyError)
                                      else ValueError(text))


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- names -------------------------------------------------------------------------------------


def hostname_matches(cert: x509.Certificate, hostname: str) -> bool:
    """RFC 6125 matching of `hostname` against the certificate's subjectAltName.

    IP literals match only iPAddress entries; names match dNSName entries, case-insensitively,
    in A-label (punycode) form, with a wildcard allowed only as the whole left-most label and
    covering exactly one label. There is no fallback to the subject CN: browsers and
    cryptography's verifier ignore it too.
    """
    host = hostname.strip().rstrip(".")
    try:
        host_ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        host_ip = None
    sans = _san_values(cert)
    if host_ip is not None:
        return any(not isinstance(v, str) and v == host_ip for v in sans)
    ascii_host = _to_a_label(host)
    if ascii_host is None:
        return False
    return any(isinstance(v, str) and _dns_name_matches(v, ascii_host) for v in sans)


def _dns_name_matches(pattern: str, host: str) -> bool:
    pattern = pattern.strip().rstrip(".").lower()
    if not pattern or not host:
        return False
    if not pattern.startswith("*."):
        return "*" not in pattern and pattern == host
    suffix = pattern[2:]
    # "*.com" style patterns are refused; a wildcard anywhere else (f*.example.com, a.*.b) never matches
    if "*" in suffix or suffix.count(".") < 1:
        return False
    head, _, rest = host.partition(".")
    return bool(head) and rest == suffix


def _to_a_label(host: str) -> str | None:
    """Lower-case ASCII (punycode) form of a host name, or None if it cannot be encoded."""
    if host.isascii():
        return host.lower()
    try:
        import idna  # installed with httpx; IDNA 2008 with UTS 46 mapping, as browsers do

        return idna.encode(host, uts46=True).decode("ascii").lower()
    except Exception:  # idna.IDNAError, UnicodeError, ImportError
        try:
            return host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None


_SanValue = str | ipaddress.IPv4Address | ipaddress.IPv6Address


def _san_values(cert: x509.Certificate) -> list[_SanValue]:
    """DNS names and IP addresses from subjectAltName; [] when absent or unparsable."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    except ValueError:  # malformed / duplicate extensions: treat as no usable SAN
        return []
    values: list[_SanValue] = list(ext.value.get_values_for_type(x509.DNSName))
    # IP *networks* only occur in name constraints, never in a SAN; keep addresses only.
    ips = ext.value.get_values_for_type(x509.IPAddress)
    values.extend(v for v in ips if isinstance(v, ipaddress.IPv4Address | ipaddress.IPv6Address))
    return values


# --- chain -------------------------------------------------------------------------------------


def _is_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Issuer name matches the issuer's subject AND the signature verifies with the issuer's key.

    Verified by hand rather than with `verify_directly_issued_by`, which refuses SHA-1 and MD5
    signatures ("Unsupported signature algorithm") - exactly the legacy certificates we must classify.
    """
    if cert.issuer != issuer.subject:
        return False
    try:
        key = issuer.public_key()
        signature, tbs = cert.signature, cert.tbs_certificate_bytes
        if isinstance(key, rsa.RSAPublicKey):
            # PKCS1v15 or PSS; cryptography gives None for md5WithRSAEncryption, which is PKCS1v15
            pad = cert.signature_algorithm_parameters or asym_padding.PKCS1v15()
            key.verify(signature, tbs, pad, cert.signature_hash_algorithm)  # type: ignore[arg-type]
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, tbs, cert.signature_algorithm_parameters)  # type: ignore[arg-type]
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, tbs, cert.signature_hash_algorithm)  # type: ignore[arg-type]
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, tbs)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        # TypeError: key / signature algorithm mismatch (e.g. an EC key "verifying" an RSA signature)
        return False
    return True


def _chain_complete(chain: Sequence[x509.Certificate], anchors: TrustAnchors) -> bool:
    """Each served cert is issued by the next, and the last one is self-signed or issued by an anchor.

    A lone self-signed leaf counts as complete: nothing is missing, it is just untrusted.
    """
    for child, parent in zip(chain, chain[1:], strict=False):
        if not _is_issued_by(child, parent):
            return False
    last = chain[-1]
    if _is_issued_by(last, last):
        return True
    # Only anchors with the right subject can be the issuer; checking names first avoids signatures.
    return any(_is_issued_by(last, a) for a in anchors.by_subject.get(last.issuer.public_bytes(), ()))


# --- keys and signatures -----------------------------------------------------------------------


def _key_info(cert: x509.Certificate) -> tuple[str, int | None]:
    """("RSA"|"EC"|"Ed25519"|"Ed448"|"DSA"|other, size in bits or None if unknown)."""
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        oid = getattr(cert, "public_key_algorithm_oid", None)  # cryptography >= 43
        return (_oid_label(oid) if oid is not None else "unknown"), None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 448
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__.removeprefix("_").removesuffix("PublicKey") or "unknown", None


def _signature_hash(cert: x509.Certificate) -> str | None:
    """Lower-case hash name ("sha256", "sha1", "md5"); None for Ed25519/Ed448, which have no separate hash."""
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        # Unknown signature OID: say so instead of returning None, which reads like "Ed25519, fine".
        return "unknown:" + cert.signature_algorithm_oid.dotted_string
    return algorithm.name.lower() if algorithm is not None else None


def _oid_label(oid: x509.ObjectIdentifier) -> str:
    name = getattr(oid, "_name", "")
    return name if name and name != "Unknown OID" else oid.dotted_string


# --- formatting --------------------------------------------------------------------------------


def _serial_hex(serial: int) -> str:
    # Some roots carry non-positive serials (RFC 5280 forbids it, cryptography still parses them).
    return ("-" if serial < 0 else "") + format(abs(serial), "x")
