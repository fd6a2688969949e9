"""Plain-HTTP and HTTPS behaviour of the site's front door (criterion c).

Two retrievals: what port 80 (or `--http-port`) does — redirect to HTTPS or serve content — and
which Strict-Transport-Security policy the HTTPS home page sets (RFC 6797).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from trustscan.collect.http.headers import header_facts
from trustscan.core.errors import ProbeError
from trustscan.core.wordings import Wording, worded
from trustscan.net.failures import classify, error_fields
from trustscan.net.httpclient import FOLLOW, Answer, Follow, follow_redirects

MAX_REDIRECTS = 5
_MAX_AGE = re.compile(r'^\s*max-age\s*=\s*"?(\d+)"?\s*$', re.IGNORECASE)


async def probe_plain_http(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """Follow the plain-HTTP front door hop by hop and say whether it ends on HTTPS.

    A port that refuses or drops the connection serves nothing in clear text, which is what
    criterion c wants, so it is a completed result with `reachable: False`, not an error.
    The first https URL ends the chain unrequested: the HTTPS side is probed on its own.
    """
    chain: list[dict[str, Any]] = []
    current = url

    async def record(answer: Answer) -> str | Follow:
        nonlocal current
        response = answer.response
        chain.append({"url": answer.url, "status": response.status_code,
                      "location": response.headers.get("location")})
        if answer.target is None:
            return answer.url
        current = answer.target
        if urlsplit(current).scheme == "https" or answer.limit_reached:
            return current
        return FOLLOW

    if urlsplit(url).scheme == "https":
        return _plain_result(url, chain, reachable=True, final_url=url)
    try:
        final_url = await follow_redirects(client, url, record, max_redirects=MAX_REDIRECTS)
    except httpx.HTTPError as exc:
        cause = classify(exc)
        if not chain:
            return _plain_result(url, chain, reachable=False, error=cause)
        chain.append({"url": current, "status": None, "location": None, **error_fields(cause)})
        final_url = current
    return _plain_result(url, chain, reachable=True, final_url=final_url)


def _plain_result(
    url: str,
    chain: list[dict[str, Any]],
    *,
    reachable: bool,
    final_url: str | None = None,
    error: Wording | None = None,
) -> dict[str, Any]:
    first_status = chain[0]["status"] if chain else None
    return {
        "url": url,
        "reachable": reachable,
        "status": first_status,
        "location": chain[0]["location"] if chain else None,
        "redirect_chain": chain,
        "final_url": final_url,
        "redirects_to_https": bool(final_url and urlsplit(final_url).scheme == "https"),
        # pshtt's "strictly forces HTTPS": the very first answer must not carry content.
        "serves_content": reachable and first_status is not None and not 300 <= first_status < 400,
        **worded("error", error),
    }


async def probe_https_headers(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """Fetch the HTTPS home page headers (body discarded) and parse its HSTS policy."""
    try:
        async with client.stream("GET", url) as response:
            headers = response.headers
            status = response.status_code
    except httpx.HTTPError as exc:
        raise ProbeError("error.https.failed", url=url, cause=classify(exc)) from None
    # RFC 6797 §8.1: only the first Strict-Transport-Security header is processed.
    sts_values = headers.get_list("strict-transport-security")
    hsts = parse_hsts(sts_values[0]) if sts_values else None
    return {
        "url": url,
        "status": status,
        "server": headers.get("server"),
        "hsts": sts_values[0] if sts_values else None,
        "hsts_present": bool(sts_values),
        "hsts_valid": hsts is not None,
        "hsts_max_age": hsts["max_age"] if hsts else 0,
        "hsts_include_subdomains": bool(hsts and hsts["include_subdomains"]),
        "hsts_preload": bool(hsts and hsts["preload"]),
        # Criterion a hygiene (security headers, version disclosure, cookies): probes/headers.py.
        **header_facts(headers),
    }


def parse_hsts(value: str) -> dict[str, Any] | None:
    """Parse an STS header (RFC 6797 §6.1); None when max-age is missing or malformed."""
    max_age: int | None = None
    include_subdomains = preload = False
    for directive in value.split(";"):
        name = directive.split("=", 1)[0].strip().lower()
        if name == "max-age":
            match = _MAX_AGE.match(directive)
            if match is None or max_age is not None:  # §6.1: directives appear at most once
                return None
            max_age = int(match.group(1))
        elif name == "includesubdomains":
            include_subdomains = True
        elif name == "preload":
            preload = True
    if max_age is None:
        return None
    return {"max_age": max_age, "include_subdomains": include_subdomains, "preload": preload}
