"""The world's "do not visit" list snapshot: built from the sites marked ``listed`` in sites.py.

A ``listed="domain"`` site has its own host name on the list; a ``listed="ip"`` site's address falls
inside a listed CIDR range (the widest range that holds no other site, so no clean site is caught).
The snapshot also lists hosts that no site serves, for content sites to link to (criterion đ).

Criterion d's CNAME and normalisation cases (issue 10 items 11 and 12) are DNS-only names: the
world's DNS answers them (``ALIASES`` as CNAME records, ``DNS_ONLY_HOSTS`` with the good site's
address), no nginx site of their own serves them, and they are audited for criterion d alone.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path

import idna

from .sites import DOMAIN, SITES

#: Hosts on the snapshot that no site serves: link targets for "links to a listed domain" sites.
LISTED_LINK_HOSTS = (f"www.nha-cai.{DOMAIN}", f"lua-dao.{DOMAIN}")

#: Listed in Unicode on the snapshot, audited in punycode; and the other way round.
IDN_LISTED_UNICODE = f"cờ-bạc.{DOMAIN}"
IDN_LISTED_PUNYCODE = f"nhà-cái-số.{DOMAIN}"
#: Shares the suffix of the listed `listed-domain.trustscan.test` without a label boundary.
SUFFIX_TRAP = f"notlisted-domain.{DOMAIN}"
#: DNS-only names with the good site's address.
DNS_ONLY_HOSTS = (f"edge.nha-cai.{DOMAIN}", SUFFIX_TRAP, IDN_LISTED_UNICODE, IDN_LISTED_PUNYCODE)
#: CNAME records of the world's DNS: alias -> target.
ALIASES = {
    f"alias-listed.{DOMAIN}": f"listed-domain.{DOMAIN}",  # a subdomain aliased to a listed host: d fails
    f"www.alias-chain.{DOMAIN}": f"alias-hop.{DOMAIN}",  # two aliases, ending under `*.nha-cai`: d fails
    f"alias-hop.{DOMAIN}": f"edge.nha-cai.{DOMAIN}",
    f"alias-good.{DOMAIN}": f"good.{DOMAIN}",  # an unrelated alias: d passes
    f"alias-trap.{DOMAIN}": SUFFIX_TRAP,  # ends at a name that only shares a suffix with a listed one: passes
    f"alias-loop-a.{DOMAIN}": f"alias-loop-b.{DOMAIN}",  # a loop: no address, d is an error
    f"alias-loop-b.{DOMAIN}": f"alias-loop-a.{DOMAIN}",
}


def punycode(name: str) -> str:
    return idna.encode(name, uts46=True).decode("ascii")


def listed_range(ip: str, others: list[str]) -> str:
    """The widest IPv4 network around *ip* (at most /24) that contains none of *others*."""
    address = ipaddress.ip_address(ip)
    taken = [ipaddress.ip_address(o) for o in others if o != ip]
    for prefix in range(24, 33):
        network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
        if not any(t in network for t in taken):
            return str(network)
    raise AssertionError("unreachable: a /32 holds only the address itself")


def snapshot_text(site_ips: Mapping[str, str], *, reserved: tuple[str, ...] = ("127.0.0.1",)) -> str:
    """The snapshot's lines for sites at *site_ips* (name -> IP); *reserved* addresses stay unlisted."""
    lines = [
        "# trustscan test world: do-not-visit list snapshot (criterion d)",
        f"*.nha-cai.{DOMAIN}          # wildcard entry",
        f"https://lua-dao.{DOMAIN}/dang-nhap   # URL entry",
        "198.51.100.0/24                # TEST-NET-2, nobody's site",
        "2001:db8:bad::/48              # an IPv6 range",
        f"{IDN_LISTED_UNICODE.upper()}     # an IDN entry in Unicode (and upper case)",
        f"https://{punycode(IDN_LISTED_PUNYCODE)}/  # an IDN entry in punycode, as a URL",
    ]
    others = [*site_ips.values(), *reserved]
    for site in SITES:
        if site.listed == "domain":
            lines.append(site.host)
        elif site.listed == "ip":
            lines.append(listed_range(site_ips[site.name], others))
    return "\n".join(lines) + "\n"


def write_snapshot(path: Path, site_ips: Mapping[str, str]) -> Path:
    """Write the world's snapshot to *path* and return it."""
    path.write_text(snapshot_text(site_ips), encoding="utf-8")
    return path
