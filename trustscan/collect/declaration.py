"""The owner's declaration as evidence: the `declaration` pseudo-probe (criteria a, b and e).

No I/O: the file was read and validated before the audit (trustscan.owner.declaration). Its facts
are what criterion a's declared rules and the cross-checks (b against the privacy policy, e
against security.txt) read; without a declaration the attempt is `skipped`, so those rules skip
and criterion a can only be `manual`.
"""

from __future__ import annotations

import datetime as dt

from trustscan.collect.base import FactSource
from trustscan.core.models import Attempt, AttemptStatus
from trustscan.core.wording import NO_DECLARATION, NO_DECLARATION_ID
from trustscan.core.wordings import Wording
from trustscan.owner.declaration import Declaration

__all__ = ["DECLARATION", "DECLARATION_PROBE", "declaration_attempt"]

DECLARATION = FactSource("declaration", facts=(
    "present", "organisation", "system",
    "sites",  # ASCII host names the declaration covers
    "covers_target", "security_level", "approval_number", "approval_date", "approval_issuer",
    "last_assessment", "assessment_age_days", "privacy_signed_by", "privacy_signed_on", "security_contact",
))
DECLARATION_PROBE = DECLARATION.name


def declaration_attempt(declaration: Declaration | None, ascii_host: str, now: dt.datetime) -> Attempt:
    """The `declaration` pseudo-probe: owner-supplied facts, or skipped when there are none."""
    if declaration is None:
        # Its English given as text: every audit without a declaration would otherwise load the English
        # catalogue (~4 ms) to say a sentence trustscan already knows.
        return Attempt(DECLARATION_PROBE, AttemptStatus.SKIPPED, error=NO_DECLARATION,
                       wording=Wording(NO_DECLARATION_ID))
    host = ascii_host.lower().rstrip(".")
    return Attempt.completed(DECLARATION_PROBE, {
        "present": True,
        "organisation": declaration.organisation,
        "system": declaration.system,
        "sites": list(declaration.sites),
        "covers_target": host in declaration.sites,
        "security_level": declaration.security_level,
        "approval_number": declaration.approval.number,
        "approval_date": declaration.approval.date.isoformat(),
        "approval_issuer": declaration.approval.issuer,
        "last_assessment": declaration.last_assessment.isoformat(),
        "assessment_age_days": (now.date() - declaration.last_assessment).days,
        "privacy_signed_by": declaration.privacy_commitment.signed_by,
        "privacy_signed_on": declaration.privacy_commitment.signed_on.isoformat(),
        "security_contact": declaration.security_contact,
    })
