"""Security hygiene read from HTTPS response headers (criterion a): pure parsing, no I/O.

Criterion a asks for compliance with information security *by level* (Decree 85/2016/ND-CP,
Circular 12/2022/TT-BTTTT, TCVN 11930:2017). A remote scan sees what those requirements imply
on the wire: browser security headers (the Mozilla Observatory set), no software versions
advertised to attackers, and session cookies that scripts and plain HTTP cannot read.

`header_facts(headers)` turns a response's headers into the facts the `a.headers.*` and
`a.cookies.*` rules read. Cookie *values* are never kept: they can be secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

__all__ = ["header_facts", "parse_set_cookie", "version_disclosures"]

MAX_VALUE_CHARS = 200
MAX_COOKIES = 50

#: Headers that name server software or a framework (OWASP Secure Headers Project, "headers to remove").
DISCLOSURE_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator",
                      "x-version", "x-backend-server")
#: Headers whose value *is* a version, whatever it looks like.
_ALWAYS_VERSION = {"x-aspnet-version", "x-aspnetmvc-version", "x-version"}
#: A version number: nginx/1.22.1, PHP/5.6.40, Apache/2.4, IIS 10.0, "PHP 8".
_VERSION = re.compile(r"\d+(?:\.\d+)+|/\d+")

#: Referrer-Policy values that do not leak full URLs cross-origin (W3C Referrer Policy §3).
SAFE_REFERRER_POLICIES = frozenset({"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin",
                                    "origin", "origin-when-cross-origin"})
#: Cookie names that carry a session by convention (PHPSESSID, JSESSIONID, ASP.NET_SessionId, connect.sid,
#: laravel_session, sessionid, auth tokens...): a heuristic, which is why the session rule is `detected`.
_SESSION_NAME = re.compile(r"sess|(^|[_.-])(sid|auth\w*|token|jwt|remember\w*|login\w*)([_.-]|$)", re.IGNORECASE)


class _Headers(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def get_list(self, key: str) -> list[str]: ...


def header_facts(headers: _Headers) -> dict[str, Any]:
    """The criterion-a facts of one response's headers (see the module docstring)."""
    csp_values = [v for v in headers.get_list("content-security-policy") if v.strip()]
    csp = "; ".join(csp_values)
    directives = _csp_directives(csp)
    xfo = (headers.get("x-frame-options") or "").strip()
    xcto = (headers.get("x-content-type-options") or "").strip()
    # W3C Referrer Policy §11.1: a comma-separated list, the last recognised token wins.
    referrer_tokens = [t.strip().lower() for t in (headers.get("referrer-policy") or "").split(",") if t.strip()]
    referrer = referrer_tokens[-1] if referrer_tokens else None
    parsed = [parse_set_cookie(value) for value in headers.get_list("set-cookie")[:MAX_COOKIES]]
    cookies = [c for c in parsed if c is not None]
    return {
        "csp": _cap(csp) if csp else None,
        "csp_present": bool(directives),
        "csp_frame_ancestors": _cap(directives["frame-ancestors"]) if "frame-ancestors" in directives else None,
        "x_frame_options": _cap(xfo) or None,
        "framing_protected": "frame-ancestors" in directives or xfo.upper() in ("DENY", "SAMEORIGIN"),
        "x_content_type_options": _cap(xcto) or None,
        "nosniff": xcto.lower() == "nosniff",
        "referrer_policy": referrer,
        "referrer_policy_safe": referrer in SAFE_REFERRER_POLICIES,
        "version_disclosure": version_disclosures((name, headers.get(name)) for name in DISCLOSURE_HEADERS),
        "cookies": cookies,
        "insecure_cookies": [c["name"] for c in cookies if not c["secure"]],
        "weak_session_cookies": [
            {"name": c["name"], "missing": c["missing"]} for c in cookies if c["session"] and c["missing"]
        ],
    }


def version_disclosures(pairs: Iterable[tuple[str, str | None]]) -> list[dict[str, str]]:
    """Each `{header, value}` that names a software version (values capped, control chars dropped)."""
    found = []
    for name, value in pairs:
        if not value:
            continue
        if name in _ALWAYS_VERSION or _VERSION.search(value):
            found.append({"header": name, "value": _cap(value)})
    return found


def parse_set_cookie(value: str) -> dict[str, Any] | None:
    """Name and security attributes of one Set-Cookie header (RFC 6265 §5.2); None if nameless."""
    pair, _, attributes = value.partition(";")
    name = pair.split("=", 1)[0].strip() if "=" in pair else ""
    if not name:
        return None  # RFC 6265 §5.2 step 5: a cookie without a name is ignored
    flags: dict[str, str] = {}
    for attribute in attributes.split(";"):
        key, _, attr_value = attribute.partition("=")
        flags[key.strip().lower()] = attr_value.strip()
    samesite = flags.get("samesite")
    samesite_ok = samesite is not None and samesite.lower() in ("strict", "lax", "none")
    secure, httponly = "secure" in flags, "httponly" in flags
    missing = [flag for flag, ok in (("Secure", secure), ("HttpOnly", httponly), ("SameSite", samesite_ok)) if not ok]
    return {
        "name": _cap(name, 80),
        "secure": secure,
        "httponly": httponly,
        "samesite": _cap(samesite, 20) if samesite is not None else None,
        "session": bool(_SESSION_NAME.search(name)),
        "missing": missing,
    }


def _csp_directives(policy: str) -> dict[str, str]:
    """CSP directive name -> value (CSP3 §2.2.1: split on ';', first occurrence wins)."""
    directives: dict[str, str] = {}
    for part in policy.split(";"):
        tokens = part.strip().split(None, 1)
        if tokens:
            directives.setdefault(tokens[0].lower(), tokens[1] if len(tokens) > 1 else "")
    return directives


def _cap(value: str | None, limit: int = MAX_VALUE_CHARS) -> str:
    """Printable, bounded text: header values come from the scanned site."""
    text = "".join(ch if ch.isprintable() else " " for ch in (value or "")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
