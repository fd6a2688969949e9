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
from collections.abc import Mapping
from functools import cache
from typing import Any

from trustscan.core.wordings import MAX_DEPTH, Wording

__all__ = ["readable_validation_error", "revised_wording", "validation_error_wording"]

#: Extensions a path validator requires, by OID (RFC 5280 §4.2.1), and their message ids (`cert.extension.*`).
_EXTENSIONS = {
    "2.5.29.14": "subject_key_identifier", "2.5.29.15": "key_usage", "2.5.29.17": "subject_alternative_name",
    "2.5.29.19": "basic_constraints", "2.5.29.30": "name_constraints", "2.5.29.32": "certificate_policies",
    "2.5.29.35": "authority_key_identifier", "2.5.29.37": "extended_key_usage",
    "1.3.6.1.5.5.7.1.1": "authority_information_access",
}
_BASIC_CONSTRAINTS = "2.5.29.19"
#: What cryptography's X.509 verifier (its Rust crate cryptography-x509-verification, the one sslyze 6 uses)
#: says, and the message id (`cert.validation.*`) that says it as a sentence; named groups become the
#: sentence's values. Collected from the strings of the installed cryptography 46 (its verifier is compiled
#: into _rust.abi3.so) and the crate's source; an OpenSSL verify message of older sslyze versions too.
#: Matched against the whole reason, case-sensitively, first match wins.
_VERIFIER_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), message_id) for (
    pattern, message_id) in (
    (r"cert is not valid at validation time", "cert.validation.not_valid_now"),
    (r"all candidates exhausted with no interior errors|unable to get local issuer certificate"
     r"|unable to get issuer certificate", "cert.validation.no_issuer"),
    (r"self[- ]signed certificate(?: in certificate chain)?", "cert.validation.self_signed"),
    (r"leaf certificate has no matching subjectAltName", "cert.validation.name_mismatch"),
    (r"certificate has expired", "cert.validation.not_valid_now"),
    (r"certificate is not yet valid", "cert.validation.not_valid_now"),
    (r"RSA key is too weak", "cert.validation.weak_rsa_key"),
    (r"issuer has malformed public key", "cert.validation.issuer_key_malformed"),
    (r"signature does not match|bad signature|certificate signature failure", "cert.validation.bad_signature"),
    (r"path length constraint violated", "cert.validation.path_length"),
    (r"chain construction exceeds max depth|current depth calculation overflowed", "cert.validation.too_deep"),
    (r"(?:fatal error: )?Exceeded maximum (?:name constraint|signature) check limit", "cert.validation.budget"),
    (r"certificate must be an X509v3 certificate", "cert.validation.not_v3"),
    (r"mismatch between signatureAlgorithm and SPKI algorithm", "cert.validation.algorithm_mismatch"),
    (r"certificate must have a serial between 1 and 20 octets", "cert.validation.serial_length"),
    (r"certificate serial number cannot be negative", "cert.validation.serial_negative"),
    (r"certificate must have a non-empty Issuer", "cert.validation.empty_issuer"),
    (r"validity dates between 1950 and 2049 must be UtcTime", "cert.validation.date_encoding"),
    (r"basicConstraints\.cA must not be asserted in an EE certificate", "cert.validation.leaf_is_ca"),
    (r"basicConstraints\.cA must be asserted in a CA certificate", "cert.validation.issuer_not_ca"),
    (r"EE subjectAltName MUST be critical when subject is empty", "cert.validation.san_must_be_critical"),
    (r"EE subjectAltName MUST NOT be critical when subject is nonempty", "cert.validation.san_must_not_be_critical"),
    (r"required EKU not found", "cert.validation.not_for_servers"),
    (r"EE keyUsage must not assert keyCertSign", "cert.validation.leaf_signs_certificates"),
    (r"keyUsage\.keyCertSign must be asserted in a CA certificate", "cert.validation.issuer_cannot_sign"),
    (r"authorityKeyIdentifier must (?:contain keyIdentifier|not contain authorityCert\w+)",
     "cert.validation.authority_key_identifier_form"),
    (r"nameConstraints must have non-empty permittedSubtrees or excludedSubtrees",
     "cert.validation.empty_name_constraints"),
    (r"no permitted name constraints matched SAN", "cert.validation.name_not_permitted"),
    (r"excluded name constraint matched SAN", "cert.validation.name_excluded"),
    (r"unsatisfiable (?:DNS|IP|RFC822) name constraint: malformed SAN (?P<name>.*)", "cert.validation.malformed_name"),
    (r"malformed (?:DNS|IP|RFC822) name constraints?: (?P<constraint>.*)", "cert.validation.malformed_constraint"),
    (r"unsupported name constraint|directoryName matching is not implemented.*",
     "cert.validation.unsupported_constraint"),
    (r"(?:certificate contains )?unaccounted-for critical extensions?: (?P<oid>[\d.]+)",
     "cert.validation.unknown_critical_extension_oid"),
    (r"(?:certificate contains )?unaccounted-for critical extensions?", "cert.validation.unknown_critical_extension"),
    (r"Certificate contains prohibited extension", "cert.validation.prohibited_extension"),
    (r"Certificate extension has incorrect criticality", "cert.validation.wrong_criticality"),
    (r"duplicate extension", "cert.validation.duplicate_extension"),
    (r"ASN\.1 parsing error.*", "cert.validation.malformed"),
))
_PROCESSING = re.compile(
    r"\s*\(encountered processing <Certificate\(subject=<Name\((?P<subject>[^)]*)\)>.*\)\s*$", re.S)
_OTHER = re.compile(r"\bOther\(\"(?P<inner>[^\"]*)\"\)")
_REPR = re.compile(r"<[A-Za-z_][\w.]*\([^<>]*\)>")
_RUST_STRUCT = re.compile(r"\b[A-Z]\w*\s*\{.*\}", re.S)
_SHA1 = re.compile(r"sha-?1\b|Sha1|SHA1", re.I)
_MD5 = re.compile(r"md5", re.I)
_MISSING_EXTENSION = re.compile(r"invalid extension: (?P<oid>[\d.]+): Certificate is missing required extension")
_MISSING_BASIC_CONSTRAINTS = re.compile(r"missing required extension: CA certificate has no basicConstraints")
_BAD_EXTENSION = re.compile(r"invalid extension: (?P<oid>[\d.]+): (?P<why>[^(]*)")
_PUBLIC_KEY_ALGORITHM = re.compile(r"public key algorithm", re.I)
_MAX_CHARS = 300
_PLACEHOLDER = re.compile(r"\{[a-z0-9_.]+\}")


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
    if _already_said(text):  # a report made when errors were English sentences: kept as it says
        return Wording("cert.validation.as_said", {"detail": text[:_MAX_CHARS]})
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


def revised_wording(data: Any, _depth: int = 0) -> Any:
    """A stored `validation_error_wording` (JSON) whose verifier's words quoted as they were
    (`cert.validation.reported`) are said as a sentence where this version knows them: a report made before
    trustscan knew a message reads in words when `report`, `portfolio` or a format renders it again."""
    if isinstance(data, list):
        return [revised_wording(item, _depth + 1) for item in data]
    if not isinstance(data, Mapping) or _depth > MAX_DEPTH:
        return data
    values = data.get("values")
    if data.get("id") == "cert.validation.reported" and isinstance(values, Mapping) \
            and isinstance(values.get("detail"), str):
        known = _explain(values["detail"])
        return data if known.id == "cert.validation.reported" else known.to_json()
    if isinstance(values, Mapping):
        return {**data, "values": {key: revised_wording(value, _depth + 1) for key, value in values.items()}}
    return data


def _explain(text: str) -> Wording:
    missing = _MISSING_EXTENSION.search(text)
    if missing:
        return _missing_extension(missing.group("oid"))
    if _MISSING_BASIC_CONSTRAINTS.search(text):
        return _missing_extension(_BASIC_CONSTRAINTS)
    if _RUST_STRUCT.search(text) or re.search(r"(signature|public key) algorithm", text, re.I):
        if _PUBLIC_KEY_ALGORITHM.search(text):
            return Wording("cert.validation.key_algorithm")
        if _SHA1.search(text):
            return Wording("cert.validation.sha1")
        if _MD5.search(text):
            return Wording("cert.validation.md5")
        if "signature algorithm" in text.lower():
            return Wording("cert.validation.algorithm")
    bad = _BAD_EXTENSION.search(text)
    if bad:
        why = bad.group("why").strip()
        known = _verifier_message(why)
        return Wording("cert.validation.bad_extension", {
            "extension": _extension(bad.group("oid")),
            "detail": known or Wording("cert.validation.reported", {"detail": _plain(why)[:_MAX_CHARS]})})
    known = _verifier_message(text.strip())
    if known:
        return known
    detail = _plain(text)
    return Wording("cert.validation.reported", {"detail": detail[:_MAX_CHARS]}) if detail \
        else Wording("cert.validation.unknown")


def _verifier_message(text: str) -> Wording | None:
    """The sentence for one of the verifier's own messages (`_VERIFIER_MESSAGES`), or None for one it does not know."""
    for pattern, message_id in _VERIFIER_MESSAGES:
        match = pattern.fullmatch(text.strip())
        if match:
            return Wording(message_id, {key: _plain(value)[:_MAX_CHARS] for key, value in match.groupdict().items()})
    return None


def _already_said(text: str) -> bool:
    """Whether *text* is a sentence this module made (in English): readable already, and not the verifier's."""
    return any(pattern.fullmatch(text) for pattern in _english_sentences())


@cache
def _english_sentences() -> tuple[re.Pattern[str], ...]:
    from trustscan.core.catalog import load_catalog  # the catalogue imports the errors, which use this module

    return tuple(re.compile(".+?".join(re.escape(part) for part in _PLACEHOLDER.split(text)), re.S)
                 for key, text in load_catalog("en").messages.items()
                 if key.startswith("cert.validation.") and _PLACEHOLDER.sub("", text).strip())


def _missing_extension(oid: str) -> Wording:
    return Wording("cert.validation.missing_extension", {"extension": _extension(oid), "oid": oid})


def _extension(oid: str) -> Wording:
    key = _EXTENSIONS.get(oid)
    return Wording(f"cert.extension.{key}") if key else Wording("cert.extension.other", {"oid": oid})


def _plain(text: str) -> str:
    """Whatever is left, without object reprs or debug structures."""
    text = _RUST_STRUCT.sub("", _REPR.sub("", text))
    return re.sub(r"\s+", " ", text.replace("`", "'")).strip(" :;,")  # a backtick would end its code span
