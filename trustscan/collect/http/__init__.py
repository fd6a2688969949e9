"""HTTP of the site: the plain-HTTP front door (`http`), the HTTPS home page's headers (`https`),
security.txt (`securitytxt`, criterion e) and exposed files (`exposure`, criterion a).

Every request goes through the audit's shared client, whose transport cuts each wait to what is
left of the audit's deadline (trustscan.collect.runner.DeadlineTransport).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustscan.collect.base import ProbeContext, ProbeSpec
from trustscan.collect.http.exposure import probe_exposure
from trustscan.collect.http.frontdoor import probe_https_headers, probe_plain_http
from trustscan.collect.http.securitytxt import fetch_security_txt
from trustscan.core.models import Attempt


async def _http(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return await probe_plain_http(context.client, context.http_url)


async def _https(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return await probe_https_headers(context.client, context.https_url)


async def _securitytxt(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    return await fetch_security_txt(context.client, context.origin, now=context.now)


async def _exposure(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    # Twice the probe timeout per whole request: connect, headers and a capped body over a shared pool.
    timeout = context.deadline.bound(2 * context.settings.probe_timeout)
    return await probe_exposure(context.client, context.origin, timeout=timeout)


HTTP = ProbeSpec("http", _http, facts=(
    "url", "reachable", "status", "location",
    "redirect_chain",  # every hop: {url, status, location[, error]}
    "final_url", "redirects_to_https", "serves_content", "error", "error_wording",
))

HTTPS = ProbeSpec("https", _https, facts=(
    "url", "status", "server",
    "hsts",  # the first Strict-Transport-Security header as sent
    "hsts_present", "hsts_valid", "hsts_max_age", "hsts_include_subdomains", "hsts_preload",
    # criterion a hygiene (headers.py)
    "csp", "csp_present", "csp_frame_ancestors", "x_frame_options", "framing_protected",
    "x_content_type_options", "nosniff", "referrer_policy", "referrer_policy_safe",
    "version_disclosure", "cookies", "insecure_cookies", "weak_session_cookies",
))

SECURITYTXT = ProbeSpec("securitytxt", _securitytxt, facts=(
    "found", "location", "url", "status",
    "attempts",  # every location and hop tried: {url, status, error}
    "content_type", "media_type_ok", "size", "size_ok", "truncated", "signed",
    "contacts", "invalid_contacts", "expires", "expires_count", "expires_valid", "expires_at", "expired",
    "expires_in_future", "expires_days_left", "canonical", "canonical_ok", "preferred_languages",
    "unknown_fields",
    "findings",  # the RFC 9116 problems (the first 100): {id, line, level (error|recommendation), text}
    "findings_total",
    "problems",  # "line N: what [id] (text)" of each error no rule of its own judges
    "problems_wording",  # the same as Wordings, for every output's language
    "advice",  # the same for recommendations (unknown fields, Expires over a year ahead, ...)
    "advice_wording",
))

EXPOSURE = ProbeSpec("exposure", _exposure, facts=(
    "baseline",  # the soft-404 baseline: {path, status, length, catch_all}
    "vcs", "env", "backups", "listings", "status_pages", "checked", "inconclusive", "unreachable",
))
