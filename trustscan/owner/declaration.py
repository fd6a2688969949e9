"""The owner's declaration: what only the system owner can state, as a validated, typed document.

Decree 137/2024/ND-CP Art. 21(3) encourages owners to *self-declare*. A scan can observe hygiene,
but not the security level approved under Decree 85/2016/ND-CP (criterion a), the commitment on
personal data (criterion b) or who the owner says handles security reports (criterion e). Those
come from a YAML file (written by `trustscan declare`) validated against the committed schema
`reports/schema/declaration.schema.json`, then enter the audit as the `declaration` pseudo-probe
(trustscan.collect.declaration): its attempt is `completed` with the declared facts, or `skipped`
when no declaration was given.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from trustscan.core.errors import DeclarationError, TargetError, YamlInputError
from trustscan.core.schemaerrors import describe_violation
from trustscan.core.target import to_ascii
from trustscan.net.files import read_input_file

__all__ = [
    "DECLARATION_SCHEMA_VERSION",
    "Approval",
    "Declaration",
    "DeclarationError",
    "PrivacyCommitment",
    "declaration_schema",
    "dump_declaration",
    "load_declaration",
    "parse_declaration",
]

DECLARATION_SCHEMA_VERSION = "1.0"
#: A declaration is a page of text; anything bigger is not one (and must not be parsed).
MAX_FILE_BYTES = 64 * 1024
_MAX_ERROR_CHARS = 200


@dataclass(frozen=True)
class Approval:
    """The decision approving the system's security level (Decree 85/2016/ND-CP Art. 12-15)."""

    number: str
    date: dt.date
    issuer: str


@dataclass(frozen=True)
class PrivacyCommitment:
    """Criterion b: the commitment to collect and store personal data only with consent, signed."""

    statement: str
    signed_by: str
    signed_on: dt.date


@dataclass(frozen=True)
class Declaration:
    """Everything the owner declares; build it with `parse_declaration` so it is always valid."""

    organisation: str
    system: str
    sites: tuple[str, ...]  # ASCII (punycode) host names, lower case
    security_level: int
    approval: Approval
    last_assessment: dt.date
    privacy_commitment: PrivacyCommitment
    security_contact: str

    def to_json(self) -> dict[str, Any]:
        """The document form (the YAML file and the report's `declaration` object)."""
        return {
            "schema_version": DECLARATION_SCHEMA_VERSION,
            "organisation": self.organisation,
            "system": self.system,
            "sites": list(self.sites),
            "security_level": self.security_level,
            "approval": {
                "number": self.approval.number,
                "date": self.approval.date.isoformat(),
                "issuer": self.approval.issuer,
            },
            "last_assessment": self.last_assessment.isoformat(),
            "privacy_commitment": {
                "statement": self.privacy_commitment.statement,
                "signed_by": self.privacy_commitment.signed_by,
                "signed_on": self.privacy_commitment.signed_on.isoformat(),
            },
            "security_contact": self.security_contact,
        }


@cache
def declaration_schema() -> Mapping[str, Any]:
    """The committed JSON Schema of the declaration file (immutable data, so cached)."""
    path = resources.files("trustscan.reports").joinpath("schema", "declaration.schema.json")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def parse_declaration(document: Any, *, today: dt.date) -> Declaration:
    """Validate a loaded document (schema, then dates and host names) and type it."""
    document = _plain(document)
    import jsonschema  # only a command given a declaration pays for the validator's import

    validator = jsonschema.Draft202012Validator(declaration_schema(), format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        raise DeclarationError(_one_line(f"invalid declaration: {describe_violation(error)}"))
    approval, privacy = document["approval"], document["privacy_commitment"]
    dates = {
        "approval/date": dt.date.fromisoformat(approval["date"]),
        "last_assessment": dt.date.fromisoformat(document["last_assessment"]),
        "privacy_commitment/signed_on": dt.date.fromisoformat(privacy["signed_on"]),
    }
    for where, value in dates.items():
        if value > today:  # a declaration states what has happened, never what will
            raise DeclarationError(f"invalid declaration: {where}: {value.isoformat()} is in the future")
    sites: list[str] = []
    for host in document["sites"]:
        try:
            sites.append(to_ascii(host).lower())
        except TargetError as exc:
            raise DeclarationError(_one_line(f"invalid declaration: sites: {exc}")) from None
    return Declaration(
        organisation=document["organisation"].strip(),
        system=document["system"].strip(),
        sites=tuple(dict.fromkeys(sites)),
        security_level=document["security_level"],
        approval=Approval(approval["number"].strip(), dates["approval/date"], approval["issuer"].strip()),
        last_assessment=dates["last_assessment"],
        privacy_commitment=PrivacyCommitment(
            privacy["statement"].strip(), privacy["signed_by"].strip(), dates["privacy_commitment/signed_on"]
        ),
        security_contact=document["security_contact"].strip(),
    )


def load_declaration(path: Path, *, today: dt.date) -> Declaration:
    """Read and validate a declaration file; DeclarationError (one line) for anything wrong."""
    raw = read_input_file(path, MAX_FILE_BYTES, DeclarationError, what=f"declaration {path}",
                          too_large=f"declaration {path} is larger than {MAX_FILE_BYTES // 1024} KiB")
    from trustscan.core.useryaml import load_user_yaml  # PyYAML only when there is a declaration to read

    try:
        document = load_user_yaml(raw.decode("utf-8"))  # no anchors or aliases, shallow, real dates only
    except UnicodeDecodeError:
        raise DeclarationError(f"declaration {path} is not UTF-8 text") from None
    except YamlInputError as exc:
        raise DeclarationError(_one_line(f"declaration {path} is not valid YAML: {exc}")) from None
    return parse_declaration(document, today=today)


def dump_declaration(declaration: Declaration) -> str:
    """The YAML text of a declaration (Unicode kept as is, dates quoted as ISO strings)."""
    header = (
        "# trustscan owner's declaration (Decree 137/2024/ND-CP Art. 21; schema: declaration.schema.json).\n"
        "# Use it with: trustscan audit HOST --declaration THIS_FILE\n"
    )
    import yaml  # only `trustscan declare` writes one

    body = yaml.safe_dump(declaration.to_json(), allow_unicode=True, sort_keys=False, width=100)
    return header + body


def _plain(value: Any) -> Any:
    """YAML turns bare dates into date objects; the schema speaks JSON, so make them ISO strings."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_ERROR_CHARS else line[: _MAX_ERROR_CHARS - 1] + "…"
