"""DSSE envelopes (Dead Simple Signing Envelope, secure-systems-lab/dsse protocol v1.0.0).

The signature covers the pre-authentication encoding (PAE), never the JSON around it, so a
verifier needs only the payload bytes, the payload type and the key:

    PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body

with LEN the ASCII decimal byte length. `openssl pkeyutl -verify -rawin` checks the same bytes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trustscan.core.errors import EnvelopeCorrupt, EnvelopeError
from trustscan.publish.keys import key_id

__all__ = ["Envelope", "pae", "sign_envelope", "verify_signature"]

MAX_SIGNATURES = 8  # a declaration has one signer; bound the work a hostile file can ask for


@dataclass(frozen=True)
class Envelope:
    """A parsed envelope: decoded payload bytes and (keyid, raw signature) pairs."""

    payload_type: str
    payload: bytes
    signatures: tuple[tuple[str, bytes], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "payload": base64.b64encode(self.payload).decode("ascii"),
            "payloadType": self.payload_type,
            "signatures": [{"keyid": kid, "sig": base64.b64encode(sig).decode("ascii")}
                           for kid, sig in self.signatures],
        }

    @classmethod
    def from_json(cls, document: Any) -> Envelope:
        if not isinstance(document, Mapping):
            raise EnvelopeError("not a DSSE envelope: expected a JSON object")
        payload_type, payload, signatures = (document.get(k) for k in ("payloadType", "payload", "signatures"))
        if not isinstance(payload_type, str) or not isinstance(payload, str):
            raise EnvelopeError("not a DSSE envelope: payloadType and payload must be strings")
        if not isinstance(signatures, list) or not 1 <= len(signatures) <= MAX_SIGNATURES:
            raise EnvelopeError(f"not a DSSE envelope: expected 1 to {MAX_SIGNATURES} signatures")
        parsed = []
        for entry in signatures:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("sig"), str):
                raise EnvelopeError("not a DSSE envelope: every signature needs a base64 'sig'")
            keyid = entry.get("keyid", "")
            parsed.append((keyid if isinstance(keyid, str) else "", _b64(entry["sig"], "sig")))
        return cls(payload_type, _b64(payload, "payload"), tuple(parsed))


def _b64(text: str, what: str) -> bytes:
    # DSSE allows standard or URL-safe base64; decode strictly so a flipped character is noticed.
    # Strict decoding still ignores the unused low bits of the last character (RFC 4648 §3.5), so
    # "...A=" and "...B=" decode alike: only the one canonical spelling of the bytes is accepted.
    standard = text.replace("-", "+").replace("_", "/")
    try:
        data = base64.b64decode(standard, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeCorrupt(f"the envelope's {what} is not valid base64 (damaged or edited)") from None
    if base64.b64encode(data).decode("ascii") != standard:
        raise EnvelopeCorrupt(f"the envelope's {what} is not canonical base64 (damaged or edited)")
    return data


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding: the exact bytes that are signed."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)


def sign_envelope(payload_type: str, payload: bytes, private_key: Ed25519PrivateKey) -> Envelope:
    signature = private_key.sign(pae(payload_type, payload))
    return Envelope(payload_type, payload, ((key_id(private_key.public_key()), signature),))


def verify_signature(envelope: Envelope, public_key: Ed25519PublicKey) -> bool:
    """True when some signature on the envelope verifies with *public_key*.

    The keyid is only a hint (DSSE says it is unauthenticated), so every signature is tried.
    """
    message = pae(envelope.payload_type, envelope.payload)
    for _keyid, signature in envelope.signatures:
        try:
            public_key.verify(signature, message)
        except InvalidSignature:
            continue
        return True
    return False
