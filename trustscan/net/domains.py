"""Which site a host belongs to: its registrable domain, from the bundled public suffix list.

"Off-site" in criteria b and đ means another registrable domain (`cdn.example.gov.vn` is on the
site of `www.example.gov.vn`). The list is the snapshot bundled with tldextract, read from its
package folder (nothing downloads at run time) without importing tldextract: its import pulls in
`requests` and its trie takes ~0.15 s to build, against ~15 ms for the three sets here. Only the ICANN
section counts (tldextract's default: private suffixes such as `github.io` are not public suffixes
here). A host under no known suffix (a test TLD, an intranet name, an IP address) is its own site.
"""

from __future__ import annotations

import importlib.util
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import idna

_SNAPSHOT = ".tld_set_snapshot"  # tldextract's bundled copy of https://publicsuffix.org/list/
_PRIVATE_SECTION = "// ===BEGIN PRIVATE DOMAINS==="
_UNICODE_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


class SuffixRules(NamedTuple):
    """The public suffix list's ICANN rules: plain (`gov.vn`), wildcard (`*.ck`, kept as `ck`) and
    exception (`!www.ck`, kept as `www.ck`) rules, in the list's own (Unicode) spelling."""

    plain: frozenset[str]
    wildcard: frozenset[str]
    exception: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> SuffixRules:
        plain: set[str] = set()
        wildcard: set[str] = set()
        exception: set[str] = set()
        for line in text.partition(_PRIVATE_SECTION)[0].splitlines():
            rule = line.split(maxsplit=1)[0].lower() if line.strip() else ""
            if not rule or rule.startswith("//"):
                continue
            if rule.startswith("!"):
                exception.add(rule[1:])
            elif rule.startswith("*."):
                wildcard.add(rule[2:])
            else:
                plain.add(rule)
        return cls(frozenset(plain), frozenset(wildcard), frozenset(exception))

    def suffix_labels(self, host: str) -> int:
        """How many labels at the end of *host* are its public suffix (0: under no known suffix).

        The list's algorithm: the longest matching rule wins, an exception rule over all others
        (its suffix is the rule less its first label). Punycode labels are compared decoded.
        """
        labels = [_decoded(label) for label in host.translate(_UNICODE_DOTS).split(".")]
        found = 0
        for size in range(1, len(labels) + 1):
            candidate = ".".join(labels[-size:])
            if candidate in self.exception:
                return size - 1
            if candidate in self.plain or (size > 1 and ".".join(labels[-size + 1:]) in self.wildcard):
                found = size
        return found


def _decoded(label: str) -> str:
    lowered = label.lower()
    if lowered.startswith("xn--"):
        try:
            return idna.decode(lowered)
        except (idna.IDNAError, UnicodeError, IndexError):
            pass
    return lowered


@cache
def public_suffix_rules() -> SuffixRules:
    """The bundled list, read once per process on first use."""
    spec = importlib.util.find_spec("tldextract")  # finds the package folder; runs none of its code
    folders = spec.submodule_search_locations if spec else None
    if not folders:
        raise RuntimeError("tldextract's bundled public suffix list is missing (reinstall trustscan)")
    return SuffixRules.parse((Path(next(iter(folders))) / _SNAPSHOT).read_text(encoding="utf-8"))


def registrable_domain(host: str) -> str | None:
    """The registrable domain (public suffix + one label) of an ASCII host; None for a bare suffix.

    A TLD missing from the public suffix list (`.test`, `.internal`) is treated as a one-label
    suffix, which is the PSL algorithm's default rule `*`: `www.site.trustscan.test` ->
    `trustscan.test`. The "do not visit" matcher climbs parent domains up to this one.
    """
    return _registrable(host, public_suffix_rules().suffix_labels(host))


@lru_cache(maxsize=4096)  # bounded: hosts come from scanned pages
def site_of(host: str) -> str:
    """`www.example.gov.vn` -> `example.gov.vn`; `good.trustscan.test` -> itself.

    The registrable domain where the suffix is a known public suffix; a host under no known
    suffix (a test TLD, an intranet name, an IP address) or a bare suffix is its own site.
    """
    host = host.lower().rstrip(".")
    if not host:
        return ""
    suffix = public_suffix_rules().suffix_labels(host)
    return (_registrable(host, suffix) if suffix else None) or host


def _registrable(host: str, suffix_labels: int) -> str | None:
    labels = host.split(".")
    size = suffix_labels + 1 if suffix_labels else 2
    if len(labels) < size:
        return None
    return ".".join(labels[-size:])


def host_of(url: str | None) -> str:
    """The lower-case host of a URL, "" when there is none or the URL is malformed."""
    if not url:
        return ""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_offsite(url: str | None, host: str) -> bool:
    """True for an http(s) URL whose host belongs to another site than `host`."""
    if not url:
        return False
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return False
    target = host_of(url)
    return scheme in ("http", "https", "") and bool(target) and site_of(target) != site_of(host)
