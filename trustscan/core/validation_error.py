"""A certificate validation error told as a sentence, not as the verifier's internals.

sslyze reports cryptography's (Rust) path-validation error verbatim: "validation failed: invalid
extension: 2.5.29.35: Certificate is missing required extension (encountered processing
<Certificate(subject=<Name(...)>, ...)>)", and for a SHA-1 chain a Rust debug dump of an
`AlgorithmIdentifier { oid: ..., params: ... }`. The report, and everyone reading it, get the
reason in words with the certificate's subject, and nothing of the library's structures: as a
Wording (`cert.validation.*` in rules/messages/*/errors.yaml), so each output says it in its language;
what the verifier said that trustscan does not recognise is quoted as it said it.
"""

from __future__ import annotations

import re

from trustscan.core.wordings import Wording

__all__ = ["readable_validation_error", "validation_error_wording"]

#: Extensions a path validator requires, by OID (RFC 5280 §4.2.1), and their message ids (`cert.extension.*`).
_EXTENSIONS = {
    "2.5.29.14": "subject_key_identifier", "2.5.29.15": "key_usage", "2.5.29.17": "subject_alternative_name",
    "2.5.29.19": "basic_constraints", "2.5.29.30": "name_constraints", "2.5.29.32": "certificate_policies",
    "2.5.29.35": "authority_key_identifier", "2.5.29.37": "extended_key_usage",
    "1.3.6.1.5.5.7.1.1": "authority_information_access",
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
    """*raw* (sslyze's validation_error) as one readable English sentence; None stays None."""
    wording = validation_error_wording(raw)
    if wording is None:
        return None
    sentence = wording.english()
    return sentence if len(sentence) <= _MAX_CHARS else sentence[: _MAX_CHARS - 1] + "…"


def validation_error_wording(raw: str | None) -> Wording | None:
    """*raw* (sslyze's validation_error, or a sentence this module made of it) as a Wording; None stays None."""
    if raw is None:
        return None
    text = raw.strip()
    subject = None
    processing = _PROCESSING.search(text)
    if processing:
        subject = processing.group("subject")
        text = text[: processing.start()]
    text = _OTHER.sub(lambda m: m.group("inner"), text.removeprefix("validation failed: ").strip())
    exhausted = text.startswith("candidates exhausted: ")
    reason = _explain(text.removeprefix("candidates exhausted: "))
    if exhausted:
        reason = Wording("cert.validation.no_path", {"reason": reason})
    if subject:
        return Wording("cert.validation.of_certificate", {"reason": reason, "subject": subject[:_MAX_CHARS]})
    return reason


def _explain(text: str) -> Wording:
    missing = _MISSING_EXTENSION.search(text)
    if missing:
        return Wording("cert.validation.missing_extension",
                       {"extension": _extension(missing.group("oid")), "oid": missing.group("oid")})
    if _RUST_STRUCT.search(text) or "signature algorithm" in text.lower():
        if _SHA1.search(text):
            return Wording("cert.validation.sha1")
        if _MD5.search(text):
            return Wording("cert.validation.md5")
        if "algorithm" in text.lower():
            return Wording("cert.validation.algorithm")
    bad = _BAD_EXTENSION.search(text)
    if bad:
        return Wording("cert.validation.bad_extension",
                       {"extension": _extension(bad.group("oid")), "detail": _plain(bad.group("why"))[:_MAX_CHARS]})
    detail = _plain(text)
    return Wording("cert.validation.reported", {"detail": detail[:_MAX_CHARS]}) if detail \
        else Wording("cert.validation.unknown")


def _extension(oid: str) -> Wording:
    key = _EXTENSIONS.get(oid)
    return Wording(f"cert.extension.{key}") if key else Wording("cert.extension.other", {"oid": oid})


def _plain(text: str) -> str:
    """Whatever is left, without object reprs or debug structures."""
    text = _RUST_STRUCT.sub("", _REPR.sub("", text))
    return re.sub(r"\s+", " ", text).strip(" :;,")
