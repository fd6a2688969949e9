"""Published security contact (criterion e): RFC 9116 security.txt.

Two layers, as in Internet.nl's checks/tasks/securitytxt.py: `fetch_security_txt` retrieves the
file (well-known location, then the legacy one), while `parse_security_txt` and
`evaluate_security_txt` are pure functions that turn its bytes into JSON-serialisable facts:
the fields, and every RFC 9116 problem as a finding {id, line, level, text} (securitytxt_syntax
for the grammar and the OpenPGP frame, securitytxt_values for the field values and Content-Type).
An OpenPGP signature's framing and packet type are checked, but the signature is NOT verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from trustscan.collect.http.securitytxt_syntax import Finding, ParsedSecurityTxt, finding, parse_security_txt
from trustscan.collect.http.securitytxt_values import (
    KNOWN_FIELDS,
    canonical_matches,
    contact_ok,
    content_type_findings,
    parse_expires,
    value_findings,
)
from trustscan.core.errors import ProbeError
from trustscan.core.wordings import Wording
from trustscan.net.failures import classify, error_fields, recorded_cause
from trustscan.net.httpclient import FOLLOW, Answer, Follow, follow_redirects, read_capped

__all__ = ["evaluate_security_txt", "fetch_security_txt", "parse_expires", "parse_security_txt"]

MAX_REDIRECTS = 3
LOCATIONS = (("well-known", "/.well-known/security.txt"), ("legacy", "/security.txt"))
# RFC 9116 sets no size limit (§6.2 lets a parser set one). Above LARGE_FILE the file is a warning;
# only the first MAX_PARSE_BYTES are read and parsed (to the last whole line), the rest is not fetched.
LARGE_FILE = 32 * 1024
MAX_PARSE_BYTES = 1024 * 1024
# Every finding id, stable (never reused), with the rule that reports it. Ids are the reference
# validator's (DigitalTrustCenter's sectxt, which Internet.nl runs) wherever it has one.
FINDING_IDS: dict[str, str] = {
    # RFC 9116 §2.2, §4: encoding and lines
    "bom_in_file": "conformance", "utf8": "conformance", "no_line_separators": "conformance",
    "invalid_line": "conformance", "empty_key": "conformance", "empty_value": "conformance",
    "no_space": "conformance", "prec_ws": "conformance",
    # §2.5: fields and values
    "no_contact": "contact", "invalid_contact": "conformance", "no_uri": "conformance", "no_https": "conformance",
    "no_expire": "conformance", "multi_expire": "conformance", "invalid_expiry": "conformance",
    "expired": "expires", "long_expiry": "recommended", "multi_lang": "conformance", "invalid_lang": "conformance",
    "no_csaf_file": "conformance", "multiple_csaf_fields": "recommended", "no_canonical_match": "canonical",
    "unknown_field": "recommended",
    # §2.3 and RFC 4880 §7: the cleartext signature
    "signed_format_issue": "conformance", "data_after_sig": "conformance", "too_many_line_separators": "conformance",
    "pgp_data_error": "conformance", "pgp_error": "conformance",
    # §3: where and how it is served; §6.2 size
    "location": "well_known", "no_content_type": "media_type", "invalid_media": "media_type",
    "invalid_charset": "conformance", "large_file": "size", "truncated": "size",
}
# A hostile file can hold a problem on each of its lines: the report keeps the first MAX_LISTED of
# each list (in line order) and the total count, so its size does not grow with the file's.
MAX_LISTED = 100
# Findings that a rule of their own judges (rules/e-securitytxt.yaml); every other "error" finding
# is an RFC 9116 conformance problem (e.securitytxt.conformance, a warning naming its line).
JUDGED_APART = frozenset({"location", "no_content_type", "invalid_media", "no_contact", "expired",
                          "no_canonical_match", "large_file", "truncated"})


def evaluate_security_txt(
    parsed: ParsedSecurityTxt, *, url: str, content_type: str | None, size: int, now: datetime,
    location: str = "well-known", requested: str | None = None, truncated: bool = False,
) -> dict[str, Any]:
    """Facts about a retrieved file; `now` is taken as UTC if naive."""
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    urls = (url,) if requested is None or requested == url else (requested, url)
    findings = list(parsed.findings) + value_findings(parsed, urls=urls, now=now)
    findings += content_type_findings(content_type)
    if location != "well-known":
        findings.append(finding("location", None, url))
    if size > LARGE_FILE:
        findings.append(finding("large_file", None, f"{size} bytes", "recommendation"))
    if truncated:
        findings.append(finding("truncated", None, f"only the first {MAX_PARSE_BYTES} bytes were parsed",
                                "recommendation"))
    findings.sort(key=lambda f: f.line or 0)
    contacts = parsed.values("contact")
    expires = parsed.values("expires")
    canonical = parsed.values("canonical")
    languages = parsed.values("preferred-languages")
    return {
        "content_type": content_type,
        "media_type_ok": not any(f.id in ("no_content_type", "invalid_media") for f in findings),
        "size": size,
        "size_ok": size <= LARGE_FILE,
        "truncated": truncated,
        "signed": parsed.signed,
        "contacts": [c for c in contacts if contact_ok(c)],
        "invalid_contacts": [c for c in contacts if not contact_ok(c)],
        "expires_count": len(expires),
        "expires": expires[0] if expires else None,
        **_expiry_facts(expires, now),
        "canonical": canonical,
        "canonical_ok": canonical_matches(urls, canonical) if canonical else None,
        "preferred_languages": languages[0] if languages else None,
        "unknown_fields": [f.name for f in parsed.fields if f.key not in KNOWN_FIELDS][:MAX_LISTED],
        "findings": [f.as_fact() for f in findings[:MAX_LISTED]],
        "findings_total": len(findings),
        **_described("problems", [f for f in findings if f.level == "error" and f.id not in JUDGED_APART]),
        **_described("advice", [f for f in findings if f.level == "recommendation" and f.id not in JUDGED_APART]),
    }


def _described(name: str, findings: list[Finding]) -> dict[str, list[Any]]:
    """The first MAX_LISTED findings said in English (`name`, what the rules read) and as Wordings beside them."""
    said = [describe(f) for f in findings[:MAX_LISTED]]
    return {name: [wording.english() for wording in said], name + "_wording": [wording.to_json() for wording in said]}


def describe(f: Finding) -> Wording:
    """`line 3: no space after the colon [no_space] (Contact:…)`, the form a rule's message names a problem in:
    what is wrong in words, the reference validator's id, and the excerpt."""
    what = Wording(f"sectxt.finding.{f.id}")
    problem = (Wording("sectxt.problem_excerpt", {"what": what, "id": f.id, "excerpt": f.note or f.text}) if f.text
               else Wording("sectxt.problem", {"what": what, "id": f.id}))
    return problem if f.line is None else Wording("sectxt.on_line", {"line": f.line, "problem": problem})


def _expiry_facts(values: list[str], now: datetime) -> dict[str, Any]:
    """§2.5.5: Expires is required; a stale file SHOULD NOT be trusted.

    `expires_valid` is False (not unknown) when the field is missing, so the rules that need a
    valid Expires are not applicable rather than errors; `expired` is True if any valid Expires
    has passed (a file that says it is stale is stale).
    """
    moments = [m for m in (parse_expires(v) for v in values) if m is not None]
    first = parse_expires(values[0]) if values else None
    if first is None:
        expired = any(m < now for m in moments) if moments else None
        return {"expires_at": None, "expires_valid": False, "expired": expired,
                "expires_in_future": None, "expires_days_left": None}
    return {"expires_at": first.isoformat().replace("+00:00", "Z"), "expires_valid": True,
            "expired": any(m < now for m in moments), "expires_in_future": first > now,
            "expires_days_left": (first - now).days}


def empty_facts() -> dict[str, Any]:
    """Content-derived facts when no file was found: empty, never values that read as safe."""
    return {
        "content_type": None, "media_type_ok": None, "size": 0, "size_ok": None, "truncated": False,
        "signed": False, "contacts": [], "invalid_contacts": [], "expires_count": 0, "expires": None,
        "expires_at": None, "expires_valid": None, "expired": None, "expires_in_future": None,
        "expires_days_left": None, "canonical": [], "canonical_ok": None, "preferred_languages": None,
        "unknown_fields": [], "findings": [], "findings_total": 0, "problems": [], "problems_wording": [],
        "advice": [], "advice_wording": [],
    }


@dataclass(frozen=True)
class _Retrieved:
    """A 200 response: final URL, Content-Type header and (capped) body."""

    url: str
    content_type: str | None
    body: bytes


async def fetch_security_txt(
    client: httpx.AsyncClient, base_url: str, *, now: datetime, max_size: int = MAX_PARSE_BYTES
) -> dict[str, Any]:
    """Retrieve and evaluate security.txt: RFC 9116 §3 location first, then the legacy one.

    Raises ProbeError only when neither location produced any HTTP response at all.
    """
    base = base_url.rstrip("/")
    attempts: list[dict[str, Any]] = []
    for location, path in LOCATIONS:
        got = await _get_following_redirects(client, base + path, attempts, max_size)
        if got is not None:
            body, truncated = got.body, len(got.body) > max_size
            if truncated:  # parse the whole lines within the cap; the rest was never fetched
                body = body[:max_size]
                body = body[: body.rfind(b"\n") + 1]
            facts = evaluate_security_txt(parse_security_txt(body), url=got.url, content_type=got.content_type,
                                          size=len(got.body), now=now, location=location,
                                          requested=base + path, truncated=truncated)
            return {"found": True, "location": location, "url": got.url, "attempts": attempts,
                    "status": 200, **facts}
    statuses = [a["status"] for a in attempts if a["status"] is not None]
    if not statuses:
        raise ProbeError("error.securitytxt.no_response", url=base, cause=recorded_cause(attempts[-1]))
    # Absence is established only if every location answered; a timeout or a server error at
    # one of them leaves open that the file is there, so "not found" would be a guess.
    unanswered = [a for a in attempts if (a["status"] is None and a["error"]) or (a["status"] or 0) >= 500]
    if unanswered:
        first = unanswered[0]
        raise ProbeError("error.securitytxt.unchecked", url=first["url"], cause=recorded_cause(first))
    return {"found": False, "location": None, "url": None, "attempts": attempts, "status": statuses[-1],
            **empty_facts()}


async def _get_following_redirects(
    client: httpx.AsyncClient, url: str, attempts: list[dict[str, Any]], max_size: int
) -> _Retrieved | None:
    """GET `url`, following up to MAX_REDIRECTS https-only redirects; record every hop."""
    current, status = url, None

    async def record(answer: Answer) -> _Retrieved | Follow | None:
        nonlocal current, status
        current, status = answer.url, answer.response.status_code
        if status == 200:
            # One byte past the limit is enough to know the file is too large.
            body, _ = await read_capped(answer.response, max_size + 1)
            attempts.append({"url": answer.url, "status": status, "error": None})
            return _Retrieved(answer.url, answer.response.headers.get("content-type"), body)
        error = None if answer.location is None else _redirect_refusal(answer)
        attempts.append({"url": answer.url, "status": status, **(error_fields(error) if error else {"error": None})})
        if answer.target is None or error is not None:
            return None
        current, status = answer.target, None  # an error from here on belongs to the next hop
        return FOLLOW

    try:
        return await follow_redirects(client, url, record, max_redirects=MAX_REDIRECTS)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        attempts.append({"url": current, "status": status, **error_fields(classify(exc))})
        return None


def _redirect_refusal(answer: Answer) -> Wording | None:
    """Why a redirect is not followed; RFC 9116 §3 requires the file be served over https."""
    if answer.limit_reached:
        return Wording("error.redirect.limit", {"limit": MAX_REDIRECTS})
    if answer.target is None:
        return Wording("error.redirect.malformed", {"location": answer.location})
    if urlsplit(answer.target).scheme.lower() != "https":
        return Wording("error.redirect.not_https", {"url": answer.target})
    if answer.loops:
        return Wording("error.redirect.loop", {"url": answer.target})
    return None
