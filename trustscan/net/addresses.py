"""Which addresses are public: the table behind the address policy (`trustscan.net.resolve`).

A scanner run as a service must not be pointed at its own network, so an address is public only
when it is global unicast and in no special-purpose block of the IANA registries (RFC 6890 and
its updates). IPv6 forms that carry an IPv4 address are judged by the IPv4 address they carry,
since a translator or tunnel would deliver the connection there (`64:ff9b::a00:1` is 10.0.0.1);
IPv6 blocks whose destination cannot be told from the address (Teredo, local-use NAT64, ORCHID)
are refused. Python's `ipaddress.is_global` differs between versions and accepts several of these
forms, so the table is explicit here and `is_global` is only a second, stricter opinion.

Why an address is refused is a Wording (`address.<category>` with the block's RFC, in
rules/messages/*/addresses.yaml), so a refusal reads in the language of whoever reads it.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

from trustscan.core.wordings import Wording

__all__ = ["AddressJudgement", "embedded_ipv4", "judge_address"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

#: IPv4 special-purpose blocks (IANA IPv4 Special-Purpose Address Registry, RFC 6890 §2.2.2).
_IPV4_REFUSED: tuple[tuple[_V4, str, str], ...] = tuple((_V4(net), kind, rfc) for net, kind, rfc in (
    ("0.0.0.0/8", "this_network", "RFC 791"),
    ("10.0.0.0/8", "private_use", "RFC 1918"),
    ("100.64.0.0/10", "shared", "RFC 6598"),
    ("127.0.0.0/8", "loopback", "RFC 1122"),
    ("169.254.0.0/16", "link_local", "RFC 3927"),
    ("172.16.0.0/12", "private_use", "RFC 1918"),
    ("192.0.0.0/24", "ietf_protocol", "RFC 6890"),
    ("192.0.2.0/24", "documentation", "RFC 5737"),
    ("192.88.99.0/24", "relay_6to4", "RFC 7526"),
    ("192.168.0.0/16", "private_use", "RFC 1918"),
    ("198.18.0.0/15", "benchmarking", "RFC 2544"),
    ("198.51.100.0/24", "documentation", "RFC 5737"),
    ("203.0.113.0/24", "documentation", "RFC 5737"),
    ("224.0.0.0/4", "multicast", "RFC 5771"),
    ("240.0.0.0/4", "reserved", "RFC 1112"),
))

#: IPv6 forms that embed an IPv4 address: (block, name, how to take the IPv4 address out).
_SIX_TO_FOUR = _V6("2002::/16")
_NAT64 = _V6("64:ff9b::/96")  # RFC 6052 well-known prefix: the last 32 bits are the IPv4 address
_MAPPED = _V6("::ffff:0:0/96")  # RFC 4291 §2.5.5.2
_SIIT = _V6("::ffff:0:0:0/96")  # RFC 6145/7915 IPv4-translated
_COMPATIBLE = _V6("::/96")  # RFC 4291 §2.5.5.1, deprecated; :: and ::1 are judged first

#: IPv6 blocks refused outright (IANA IPv6 Special-Purpose Address Registry, RFC 6890 §2.2.3).
_IPV6_REFUSED: tuple[tuple[_V6, str, str], ...] = tuple((_V6(net), kind, rfc) for net, kind, rfc in (
    ("::/128", "unspecified", "RFC 4291"),
    ("::1/128", "loopback", "RFC 4291"),
    ("64:ff9b:1::/48", "nat64_local", "RFC 8215"),
    ("100::/64", "discard_only", "RFC 6666"),
    ("2001::/32", "teredo", "RFC 4380"),
    ("2001:2::/48", "benchmarking", "RFC 5180"),
    ("2001:10::/28", "orchid", "RFC 4843"),
    ("2001:20::/28", "orchid_v2", "RFC 7343"),
    ("2001:db8::/32", "documentation", "RFC 3849"),
    ("3fff::/20", "documentation", "RFC 9637"),
    ("5f00::/16", "srv6_sids", "RFC 9602"),
    ("fc00::/7", "unique_local", "RFC 4193"),
    ("fe80::/10", "link_local", "RFC 4291"),
    ("fec0::/10", "site_local", "RFC 3879"),
    ("ff00::/8", "multicast", "RFC 4291"),
))
#: The message id of each form's name (`embedded_ipv4` names the form; `address.embedded` says it).
_FORMS = {"NAT64 64:ff9b::/96": "address.form.nat64", "IPv4-mapped": "address.form.mapped",
          "IPv4-translated (SIIT)": "address.form.translated", "6to4 2002::/16": "address.form.six_to_four",
          "IPv4-compatible": "address.form.compatible"}
_GLOBAL_UNICAST = _V6("2000::/3")  # RFC 4291 §2.4: every other IPv6 block is not for hosts on the Internet


class AddressJudgement(NamedTuple):
    """Whether an address is public; `why` says why not (a Wording: `address.*`), `embedded` the IPv4 address
    it carries."""

    public: bool
    why: Wording | None
    embedded: ipaddress.IPv4Address | None

    @property
    def reason(self) -> str | None:
        """Why not, in English ("loopback (RFC 1122)"), for logs and callers that want text."""
        return None if self.why is None else self.why.english()


def embedded_ipv4(address: IPAddress) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 form carries, with the form's name; None for other addresses."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64:
        return low32, "NAT64 64:ff9b::/96"
    if address in _MAPPED:
        return low32, "IPv4-mapped"
    if address in _SIIT:
        return low32, "IPv4-translated (SIIT)"
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF), "6to4 2002::/16"
    if address in _COMPATIBLE and int(address) > 1:
        return low32, "IPv4-compatible"
    return None


def judge_address(text: str) -> AddressJudgement:
    """Judge one address (text, as resolved or written in a URL); ValueError if it is not an address."""
    address = ipaddress.ip_address(text)
    embedded = embedded_ipv4(address)
    if embedded is not None:
        inner, form = embedded
        why = _ipv4_refusal(inner)
        if why is None:
            return AddressJudgement(True, None, inner)
        return AddressJudgement(False, Wording("address.embedded", {"form": Wording(_FORMS[form]),
                                                                    "inner": str(inner), "category": why}), inner)
    why = _ipv4_refusal(address) if isinstance(address, ipaddress.IPv4Address) else _ipv6_refusal(address)
    return AddressJudgement(why is None, why, None)


def _ipv4_refusal(address: ipaddress.IPv4Address) -> Wording | None:
    for network, kind, rfc in _IPV4_REFUSED:
        if address in network:
            return Wording(f"address.{kind}", {"rfc": rfc})
    return None if address.is_global else Wording("address.not_global")


def _ipv6_refusal(address: ipaddress.IPv6Address) -> Wording | None:
    for network, kind, rfc in _IPV6_REFUSED:
        if address in network:
            return Wording(f"address.{kind}", {"rfc": rfc})
    if address not in _GLOBAL_UNICAST:
        return Wording("address.not_global_unicast", {"rfc": "RFC 4291"})
    return None if address.is_global else Wording("address.not_global")
