"""DNS hygiene of the audited name (criterion a): CAA records and DNSSEC signatures.

- CAA (RFC 8659) says which certificate authorities may issue for the domain, so a mis-issued
  certificate for a state site needs a CA that ignores the owner's published policy. The
  relevant record set is found by climbing from the host name towards the root (RFC 8659 §3).
- DNSSEC (RFC 4033) lets resolvers detect forged answers; a signed zone returns RRSIG records
  with its answers when the query sets the DO bit (RFC 4035 §3.1.1). Whether the chain of trust
  validates is the resolver's job: its AD flag is reported, not required, as the resolver in use
  may not validate.

Every query goes through the audit's resolver (`ProbeContext.resolver`), the same name server
that resolved the target, each query cut short by the audit's deadline.
"""

from __future__ import annotations

from typing import Any

from trustscan.collect.base import Deadline
from trustscan.collect.dns.query import within_deadline
from trustscan.net.resolve import DNSAnswer, Resolver

__all__ = ["probe_zone", "caa_candidates"]

MAX_RECORDS = 20


def caa_candidates(name: str) -> list[str]:
    """`a.b.example.vn` -> [a.b.example.vn, b.example.vn, example.vn, vn] (RFC 8659 §3 tree climbing)."""
    labels = name.rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


async def probe_zone(
    resolver: Resolver, ascii_host: str, *, is_ip: bool, deadline: Deadline | None = None
) -> dict[str, Any]:
    """CAA and DNSSEC facts for the host; an IP-literal target has no zone (`applicable: False`)."""
    if is_ip:
        return {"applicable": False, "caa_present": None, "dnssec_signed": None}

    async def records(name: str, rdtype: str) -> DNSAnswer:
        return await within_deadline(deadline, lambda: resolver.records(name, rdtype), rdtype, name)

    caa_domain: str | None = None
    caa_records: tuple[str, ...] = ()
    for candidate in caa_candidates(ascii_host):
        answer = await records(candidate, "CAA")
        if answer.records:
            caa_domain, caa_records = candidate, answer.records
            break
    address = await records(ascii_host, "A")
    if not address.records and not address.signed:
        address = await records(ascii_host, "AAAA")
    issuers = sorted({_issuer(r) for r in caa_records if _tag(r) in ("issue", "issuewild")} - {""})
    return {
        "applicable": True,
        "caa_present": bool(caa_records),
        "caa_domain": caa_domain,
        "caa_records": [r[:200] for r in caa_records[:MAX_RECORDS]],
        "caa_issuers": issuers[:MAX_RECORDS],
        "caa_iodef": any(_tag(r) == "iodef" for r in caa_records),
        "dnssec_signed": address.signed,
        "dnssec_validated": address.authenticated,
    }


def _tag(record: str) -> str:
    """`0 issue "letsencrypt.org"` -> `issue`."""
    parts = record.split(None, 2)
    return parts[1].lower() if len(parts) >= 2 else ""


def _issuer(record: str) -> str:
    """The CA domain of an issue/issuewild value (`"ca.example; account=1"` -> `ca.example`)."""
    parts = record.split(None, 2)
    value = parts[2].strip('"') if len(parts) == 3 else ""
    return value.split(";", 1)[0].strip()[:100]
