"""Which site a host belongs to: its registrable domain, from the bundled public suffix list.

"Off-site" in criteria b and đ means another registrable domain (`cdn.example.gov.vn` is on the
site of `www.example.gov.vn`). tldextract must never download at run time, so the list bundled with
the package is used (`suffix_list_urls=()`). A host under no known suffix (a test TLD, an intranet
name, an IP address) is its own site.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import tldextract


@cache
def public_suffix_extractor() -> tldextract.TLDExtract:
    """tldextract offline, on its bundled list: nothing downloads at run time.

    Imported on first use: it pulls in `requests`, which commands that never match domains
    should not pay for at start.
    """
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(host: str) -> str | None:
    """The registrable domain (public suffix + one label) of an ASCII host; None for a bare suffix.

    A TLD missing from the public suffix list (`.test`, `.internal`) is treated as a one-label
    suffix, which is the PSL algorithm's default rule `*`: `www.site.trustscan.test` ->
    `trustscan.test`. The "do not visit" matcher climbs parent domains up to this one.
    """
    return _registrable(host, public_suffix_extractor()(host).suffix)


@lru_cache(maxsize=4096)  # bounded: hosts come from scanned pages
def site_of(host: str) -> str:
    """`www.example.gov.vn` -> `example.gov.vn`; `good.trustscan.test` -> itself.

    The registrable domain where the suffix is a known public suffix; a host under no known
    suffix (a test TLD, an intranet name, an IP address) or a bare suffix is its own site.
    """
    host = host.lower().rstrip(".")
    if not host:
        return ""
    suffix = public_suffix_extractor()(host).suffix
    return (_registrable(host, suffix) if suffix else None) or host


def _registrable(host: str, suffix: str) -> str | None:
    labels = host.split(".")
    size = len(suffix.split(".")) + 1 if suffix else 2
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
