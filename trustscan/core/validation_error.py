"""A certificate validation error told as a sentence, not as the verifier's internals.

sslyze reports cryptography's (Rust) path-validation error verbatim: "validation failed: invalid
extension: 2.5.29.35: Certificate is missing required extension (encountered processing
<Certificate(subject=<Name(...)>, ...)>)", and for a SHA-1 chain a Rust debug dump of an
`AlgorithmIdentifier { oid: ..., params: ... }`. The report, and everyone reading it, get the
reason in words with the certificate's subject, and nothing of the library's structures.
"""

from __future__ import annotations

import re

__all__ = ["readable_validation_error"]

#: Extensions a path validator requires, by OID (RFC 5280 §4.2.1).
_EXTENSIONS = {
    "2.5.29.14": "subject key identifier", "2.5.29.15": "key usage", "2.5.29.17": "subject alternative name",
    "2.5.29.19": "basic constraints", "2.5.29.30": "name constraints", "2.5.29.32": "certificate policies",
    "2.5.29.35": "authority key identifier", "2.5.29.37": "extended key usage",
    "1.3.6.1.5.5.7.1.1": "authority information access",
}
_PROCESSING = re.compile(
    r"\s*\(encountered processing <Certificate\(subject=<Name\((?P<subject>[^)]*)\)>.*\)\s*$", re.S)
_OTHER = re.compile(r"\bOther\(\"(?P<inner>[^\"]*)\"\)")
_REPR = re.compile(r"<[A-Za-z_][\w.]*\([^<>]*\)>")
_RUST_STRUCT = re.compile(r"\b[A-Z]\w*\s*\{.*\}", re.S)
_SHA1 = re.compile(r"sha-?1\b|Sha1|SHA1", re.I)
_MD5 = re.compile(r"md5", re.I)
_MISSING_EXTENSION = re.compile(r"invalid extension: (?P<oid>[\d.]+): Certificate is missing required extension")
_BAD_EXTENSION = re.compile(r"invalid extension: (?P<oid>[\d.]+): (?P<why>[^(]*)")
_MAX_CHARS = 300


def readable_validation_error(raw: str | None) -> str | None:
    """*raw* (sslyze's validation_error) as one readable sentence; None stays None."""
    if raw is None:
        return None
    text = raw.strip()
    subject = None
    processing = _PROCESSING.search(text)
    if processing:
        subject = processing.group("subject")
        text = text[: processing.start()]
    text = _OTHER.sub(lambda m: m.group("inner"), text.removeprefix("validation failed: ").strip())
    text = text.replace("candidates exhausted: ", "no path to a trusted root: ")
    sentence = _explain(text)
    if subject:
        sentence = f"{sentence} (certificate {subject})"
    return sentence if len(sentence) <= _MAX_CHARS else sentence[: _MAX_CHARS - 1] + "…"


def _explain(text: str) -> str:
    missing = _MISSING_EXTENSION.search(text)
    if missing:
        name = _EXTENSIONS.get(missing.group("oid"), "an extension")
        return f"a certificate lacks the required {name} extension ({missing.group('oid')})"
    if _RUST_STRUCT.search(text) or "signature algorithm" in text.lower():
        if _SHA1.search(text):
            return "a certificate in the chain is signed with SHA-1, which is no longer accepted"
        if _MD5.search(text):
            return "a certificate in the chain is signed with MD5, which is no longer accepted"
        if "algorithm" in text.lower():
            return "a certificate in the chain is signed with an algorithm that is not accepted"
    bad = _BAD_EXTENSION.search(text)
    if bad:
        name = _EXTENSIONS.get(bad.group("oid"), f"extension {bad.group('oid')}")
        return f"the {name} extension is invalid: {_plain(bad.group('why'))}"
    return _plain(text) or "the chain could not be validated"


def _plain(text: str) -> str:
    """Whatever is left, without object reprs or debug structures."""
    text = _RUST_STRUCT.sub("", _REPR.sub("", text))
    return re.sub(r"\s+", " ", text).strip(" :;,")
