"""Optional DNS-based blocklist (DNSBL) lookups for criterion d, through the audit's resolver.

RFC 5782: a domain is looked up as `<domain>.<zone>`, an IPv4 address as its reversed octets
and an IPv6 address as its reversed nibbles under the zone; an A record in 127.0.0.0/8 means
"listed" and NXDOMAIN means "not listed". Spamhaus-style zones answer 127.255.255.x to say the
query itself was refused (e.g. through a public resolver), which is an error, never a pass.
Off by default: the zones are configured by name, and each lookup reveals the audited name to
the zone operator. Addresses are chosen by the audit's address policy (`trustscan.net.addresses`):
a non-public address is not looked up unless private addresses are allowed (no public zone lists
one, and the query would reveal the network's layout), and an IPv6 form that carries an IPv4
address (NAT64, 6to4, mapped) is looked up as the IPv4 address it carries, which is what zones list.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from typing import Any

from trustscan.collect.base import Deadline
from trustscan.collect.dns.query import within_deadline
from trustscan.core.errors import ProbeError
from trustscan.net.addresses import judge_address
from trustscan.net.resolve import Resolver

__all__ = ["dnsbl_ip_subjects", "dnsbl_lookups", "dnsbl_query_name", "MAX_SUBJECTS"]

#: At most this many names and this many addresses are looked up per zone: bounded traffic.
MAX_SUBJECTS = 8
_LISTED = ipaddress.ip_network("127.0.0.0/8")
_REFUSED = ipaddress.ip_network("127.255.255.0/24")


def dnsbl_query_name(subject: str, zone: str) -> str:
    """`203.0.113.7` + `zen.example` -> `7.113.0.203.zen.example`; a domain is prefixed as-is."""
    try:
        address = ipaddress.ip_address(subject)
    except ValueError:
        return f"{subject}.{zone}"
    reverse = address.reverse_pointer  # RFC 5782 §2.1 (IPv4) and §2.4 (IPv6 nibbles)
    suffix = ".in-addr.arpa" if address.version == 4 else ".ip6.arpa"
    return f"{reverse.removesuffix(suffix)}.{zone}"


def dnsbl_ip_subjects(addresses: Sequence[str], *, allow_private: bool) -> list[str]:
    """The addresses to look up, by the address policy: public ones (or all, when allowed), each
    IPv6 form carrying an IPv4 address replaced by that IPv4 address; duplicates dropped."""
    subjects: list[str] = []
    for address in addresses:
        try:
            judgement = judge_address(address)
        except ValueError:
            continue
        if not (judgement.public or allow_private):
            continue
        subject = str(judgement.embedded) if judgement.embedded is not None else address
        if subject not in subjects:
            subjects.append(subject)
    return subjects


async def dnsbl_lookups(
    resolver: Resolver,
    *,
    domains: Sequence[str],
    addresses: Sequence[str],
    domain_zones: Sequence[str],
    ip_zones: Sequence[str],
    deadline: Deadline | None = None,
    allow_private: bool = False,
) -> list[dict[str, Any]]:
    """One lookup per (subject, zone): {zone, subject, query, listed (True/False/None), answer, error}.

    A lookup the audit's `deadline` cuts short is an error (listed None), never "not listed".
    The addresses asked are `dnsbl_ip_subjects(addresses)`; with none left, IP zones are not asked.
    """
    ip_subjects = dnsbl_ip_subjects(addresses, allow_private=allow_private)
    jobs = [(zone, subject) for zone in domain_zones for subject in domains[:MAX_SUBJECTS]]
    jobs += [(zone, subject) for zone in ip_zones for subject in ip_subjects[:MAX_SUBJECTS]]
    return list(await asyncio.gather(*(_lookup(resolver, zone, subject, deadline) for zone, subject in jobs)))


async def _lookup(resolver: Resolver, zone: str, subject: str, deadline: Deadline | None) -> dict[str, Any]:
    query = dnsbl_query_name(subject, zone)
    result: dict[str, Any] = {"zone": zone, "subject": subject, "query": query, "listed": None,
                              "answer": [], "error": None}
    try:
        answer = await within_deadline(deadline, lambda: resolver.records(query, "A"), "A", query)
    except ProbeError as exc:
        result["error"] = str(exc)
        return result
    records = [r for r in answer.records][:MAX_SUBJECTS]
    result["answer"] = records
    codes = [ipaddress.ip_address(r) for r in records if _is_ipv4(r)]
    if any(code in _REFUSED for code in codes):
        result["error"] = f"{zone} refused the query (answer {', '.join(records)})"
    elif any(code in _LISTED for code in codes):
        result["listed"] = True
    elif records:
        # An answer outside 127/8 is not a DNSBL code: typically a resolver that rewrites
        # NXDOMAIN into an advertising address. It proves nothing either way.
        result["error"] = f"{zone} gave a non-DNSBL answer {', '.join(records)}"
    else:
        result["listed"] = False
    return result


def _is_ipv4(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).version == 4
    except ValueError:
        return False
