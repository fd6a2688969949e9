"""DNS of the site: the resolution that gates every probe (`dns`) and the zone probe (`zone`, criterion a).

The resolution is not scheduled like a probe: the audit runs it first, pins the address it finds
and refuses non-public ones before any connection. Its facts are declared here all the same.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from trustscan.collect.base import Deadline, FactSource, ProbeContext, ProbeSpec
from trustscan.collect.dns.query import within_deadline
from trustscan.collect.dns.zone import probe_zone
from trustscan.core.errors import ProbeError
from trustscan.core.models import Attempt
from trustscan.core.target import Target
from trustscan.net.resolve import Resolver

RESOLUTION = FactSource("dns", facts=(
    "addresses",  # every A and AAAA address, IPv4 first; the first is the one every probe connects to
    "source",  # "dns", or "literal" for an IP-literal target
    # The name, then each CNAME target followed to the addresses ([name] without aliases, [] for a
    # literal); the blocklist probe matches every name on it (criterion d).
    "cname_chain",
))


async def resolve_target(target: Target, resolver: Resolver, deadline: Deadline) -> Attempt:
    """The `dns` attempt: the target's addresses, or an error that leaves nothing to check."""
    if target.is_ip:
        return Attempt.completed(RESOLUTION.name, {"addresses": [target.ascii_host], "source": "literal",
                                                   "cname_chain": []})
    clock = time.monotonic()
    try:
        resolution = await within_deadline(deadline, lambda: resolver.resolve(target.ascii_host),
                                           "A/AAAA", target.ascii_host)
    except ProbeError as exc:
        return Attempt.failed(RESOLUTION.name, exc.wording, time.monotonic() - clock)
    data = {"addresses": list(resolution.addresses), "source": "dns", "cname_chain": list(resolution.chain)}
    return Attempt.completed(RESOLUTION.name, data, time.monotonic() - clock)


async def _zone(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return await probe_zone(context.resolver, context.target.ascii_host, is_ip=context.target.is_ip,
                            deadline=context.deadline)


ZONE = ProbeSpec("zone", _zone, facts=(
    "applicable",  # False for an IP-literal target: it has no zone
    "caa_present", "caa_domain", "caa_records", "caa_issuers", "caa_iodef",
    "dnssec_signed", "dnssec_validated",
))
