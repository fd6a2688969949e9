"""The world's "do not visit" list snapshot: built from the sites marked ``listed`` in sites.py.

A ``listed="domain"`` site has its own host name on the list; a ``listed="ip"`` site's address falls
inside a listed CIDR range (the widest range that holds no other site, so no clean site is caught).
The snapshot also lists hosts that no site serves, for content sites to link to (criterion đ).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path

from .sites import DOMAIN, SITES

#: Hosts on the snapshot that no site serves: link targets for "links to a listed domain" sites.
LISTED_LINK_HOSTS = (f"www.nha-cai.{DOMAIN}", f"lua-dao.{DOMAIN}")


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
