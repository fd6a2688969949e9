"""Named predicates for rule logic that a flat YAML condition cannot say simply.

Each takes the rule's declared facts (full dotted path -> value, none of them None: the
engine turns an unknown fact into an `error` verdict before a predicate runs) and returns
True when the rule's requirement is met.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["certificate_key_adequate", "certificate_signature_strong", "declared_contact_published"]

# Mozilla server-side TLS "intermediate" profile: RSA >= 2048 bits, ECDSA >= 256 bits.
_MIN_KEY_BITS = {"RSA": 2048, "EC": 256, "DSA": 1_000_000}
_WEAK_HASHES = {"md5", "sha1", "md2", "md4"}


def certificate_key_adequate(facts: Mapping[str, Any]) -> bool:
    """The leaf key is RSA >= 2048, EC >= 256 or an EdDSA key; DSA is never adequate."""
    key_type = facts["tls.certificate.key_type"]
    bits = facts["tls.certificate.key_bits"]
    if key_type in ("Ed25519", "Ed448"):
        return True
    minimum = _MIN_KEY_BITS.get(key_type)
    return minimum is not None and bits >= minimum


def certificate_signature_strong(facts: Mapping[str, Any]) -> bool:
    """No certificate the server sends is signed with MD5 or SHA-1 (EdDSA has no separate hash)."""
    hashes = [link.get("signature_hash") for link in facts["tls.certificate.chain"]]
    served = [h.lower() for h in hashes if h]
    return not any(h in _WEAK_HASHES for h in served)


def declared_contact_published(facts: Mapping[str, Any]) -> bool:
    """The security contact the owner declared is one of the security.txt Contact URIs (criterion e).

    Compared as contacts, not strings: mailto addresses case-insensitively and without
    ?subject=..., https URIs without a trailing slash, tel numbers by their digits.
    """
    declared = _contact_key(str(facts["declaration.security_contact"]))
    return any(_contact_key(str(c)) == declared for c in facts["securitytxt.contacts"])


def _contact_key(uri: str) -> str:
    scheme, _, rest = uri.strip().partition(":")
    scheme = scheme.lower()
    if scheme == "mailto":
        return "mailto:" + rest.split("?", 1)[0].strip().lower()
    if scheme == "tel":
        return "tel:" + "".join(ch for ch in rest if ch.isdigit())
    if scheme in ("https", "http"):
        host, _, path = rest.lstrip("/").partition("/")
        return f"{scheme}://{host.lower()}/{path.rstrip('/')}"
    return uri.strip()
