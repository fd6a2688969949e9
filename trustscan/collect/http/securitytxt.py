"""Published security contact (criterion e): RFC 9116 security.txt.

Two layers, as in Internet.nl's checks/tasks/securitytxt.py: `fetch_security_txt` retrieves the
file (well-known location, then the legacy one), while `parse_security_txt` and
`evaluate_security_txt` are pure functions that turn its text into JSON-serialisable facts.
An OpenPGP signature is recognised but NOT verified: `signed` only says the file has that shape.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx

from trustscan.core.errors import ProbeError, describe_error
from trustscan.net.httpclient import FOLLOW, Answer, Follow, follow_redirects, read_capped

MAX_REDIRECTS = 3
LOCATIONS = (("well-known", "/.well-known/security.txt"), ("legacy", "/security.txt"))
# RFC 9116 §2.5 plus the IANA "security.txt Fields" registry (§6.4), which since added CSAF.
KNOWN_FIELDS = frozenset({"acknowledgments", "canonical", "contact", "csaf", "encryption", "expires",
                          "hiring", "policy", "preferred-languages"})
_BEGIN_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----"
_BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----"
_END_SIGNATURE = "-----END PGP SIGNATURE-----"
# RFC 9116 §4 ABNF: field-name is one or more VCHAR except ":", then ":" OWS value.
_FIELD = re.compile(r"([!-9;-~]+):[ \t]*(.*?)[ \t]*")
# RFC 9116 §2.5.5 uses RFC 3339 §5.6 date-time: a timezone is mandatory. ASCII digits only.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))", re.ASCII
)
_MAX_ERROR_TEXT = 200


@dataclass(frozen=True)
class Field:
    """One `Name: value` line; `name` is as written, `key` is its case-insensitive form."""

    name: str
    value: str
    line: int

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class SyntaxIssue:
    """A line that is neither a field, a comment nor blank, or a broken signature frame."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class ParsedSecurityTxt:
    """Everything read from one security.txt, in file order; unknown fields are kept."""

    fields: tuple[Field, ...] = ()
    signed: bool = False
    syntax_errors: tuple[SyntaxIssue, ...] = ()

    def values(self, key: str) -> list[str]:
        """Values of every field named `key` (case-insensitive), in file order."""
        return [f.value for f in self.fields if f.key == key.lower()]


def parse_security_txt(text: str) -> ParsedSecurityTxt:
    """Parse security.txt text; never raises, malformed lines become `syntax_errors`."""
    lines = _split_lines(text)
    body, signed, errors = _unwrap_signed(list(enumerate(lines, start=1)))
    fields: list[Field] = []
    for number, line in body:
        item = _parse_line(number, line)
        if isinstance(item, Field):
            fields.append(item)
        elif item is not None:
            errors.append(item)
    errors.sort(key=lambda e: e.line)
    return ParsedSecurityTxt(fields=tuple(fields), signed=signed, syntax_errors=tuple(errors))


def _split_lines(text: str) -> list[str]:
    """Split on CRLF, LF or lone CR only (str.splitlines would also split on U+2028 and friends)."""
    lines = re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff"))
    return lines[:-1] if lines and lines[-1] == "" else lines


def _issue(number: int, line: str, reason: str) -> SyntaxIssue:
    return SyntaxIssue(line=number, text=line[:_MAX_ERROR_TEXT], reason=reason)


def _parse_line(number: int, line: str) -> Field | SyntaxIssue | None:
    """One line of the §4 grammar: blank, `#` comment, or `Name: value`."""
    if not line.strip() or line.startswith("#"):
        return None
    match = _FIELD.fullmatch(line)
    if match is None:
        return _issue(number, line, "not a 'Name: value' line or comment")
    if not match.group(2):
        return _issue(number, line, "field has an empty value")
    return Field(name=match.group(1), value=match.group(2), line=number)


Numbered = list[tuple[int, str]]


def _unwrap_signed(numbered: Numbered) -> tuple[Numbered, bool, list[SyntaxIssue]]:
    """Return the signed body of an RFC 4880 §7 cleartext-signed file (RFC 9116 §2.3).

    Unsigned text is returned unchanged. Line numbers stay those of the original file.
    """
    begin = next((i for i, (_, line) in enumerate(numbered) if line.rstrip() == _BEGIN_SIGNED), None)
    if begin is None:
        return numbered, False, []
    # Text outside the signed frame is not covered by the signature, so it is not read as fields.
    errors = [_issue(n, line, "text outside the signed message")
              for n, line in numbered[:begin] if line.strip()]
    rest = numbered[begin + 1 :]
    blank = next((i for i, (_, line) in enumerate(rest) if not line.strip()), None)
    if blank is None:
        errors.append(_issue(numbered[begin][0], _BEGIN_SIGNED, "no blank line after the armor headers"))
        return [], True, errors
    errors += [_issue(n, line, "malformed armor header") for n, line in rest[:blank] if ":" not in line]
    body: Numbered = []
    for offset, (number, line) in enumerate(rest[blank + 1 :]):
        if line.rstrip() == _BEGIN_SIGNATURE:
            errors += _check_signature_block(rest[blank + 1 + offset + 1 :], number)
            return body, True, errors
        if line.startswith("- "):  # RFC 4880 §7.1 dash-escaping
            body.append((number, line[2:]))
        elif line.startswith("-"):
            errors.append(_issue(number, line, "line starting with '-' is not dash-escaped"))
        else:
            body.append((number, line))
    errors.append(_issue(numbered[-1][0], numbered[-1][1], "signed message has no signature block"))
    return body, True, errors


def _check_signature_block(after: Numbered, begin_line: int) -> list[SyntaxIssue]:
    """The signature must be closed, and nothing may follow it."""
    end = next((i for i, (_, line) in enumerate(after) if line.rstrip() == _END_SIGNATURE), None)
    if end is None:
        return [_issue(begin_line, _BEGIN_SIGNATURE, "signature block is not terminated")]
    return [_issue(n, line, "text after the signature") for n, line in after[end + 1 :] if line.strip()]


def evaluate_security_txt(
    parsed: ParsedSecurityTxt, *, url: str, content_type: str | None, size: int, max_size: int,
    now: datetime,
) -> dict[str, Any]:
    """Facts about a retrieved file; `now` is taken as UTC if naive."""
    contacts = parsed.values("contact")
    expires = parsed.values("expires")
    canonical = parsed.values("canonical")
    languages = parsed.values("preferred-languages")
    return {
        "content_type": content_type,
        "content_type_ok": _content_type_ok(content_type),
        "size": size,
        "size_ok": size <= max_size,
        "signed": parsed.signed,
        "contacts": [c for c in contacts if _contact_ok(c)],
        "invalid_contacts": [c for c in contacts if not _contact_ok(c)],
        "expires_count": len(expires),
        "expires": expires[0] if expires else None,
        **_expiry_facts(expires[0] if expires else None, now),
        "canonical": canonical,
        "canonical_ok": _canonical_ok(url, canonical),
        "preferred_languages": languages[0] if languages else None,
        "unknown_fields": [f.name for f in parsed.fields if f.key not in KNOWN_FIELDS],
        "syntax_errors": [asdict(e) for e in parsed.syntax_errors],
    }


def _content_type_ok(content_type: str | None) -> bool:
    """RFC 9116 §3: media type text/plain; a charset parameter, if given, must be utf-8."""
    if content_type is None:
        return False
    media_type, *params = content_type.split(";")
    charsets = [v.strip().strip('"').lower() for k, _, v in (p.partition("=") for p in params)
                if k.strip().lower() == "charset"]
    return media_type.strip().lower() == "text/plain" and all(c == "utf-8" for c in charsets)


def _contact_ok(value: str) -> bool:
    """RFC 9116 §2.5.3: a URI with scheme mailto:, tel: or https: (plain http: is not allowed)."""
    scheme, colon, rest = value.partition(":")
    if not colon or not rest or any(ch.isspace() for ch in value):
        return False
    scheme = scheme.lower()
    if scheme == "mailto":
        return "@" in rest
    if scheme == "tel":
        return any(ch in "0123456789" for ch in rest)
    if scheme == "https":
        try:
            return bool(urlsplit(value).hostname)
        except ValueError:
            return False
    return False


def parse_expires(value: str) -> datetime | None:
    """An RFC 3339 date-time with timezone, as aware UTC; None if it is not one."""
    m = _DATE_TIME.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = m.groups()
    try:
        offset = timedelta(hours=int(off_h), minutes=int(off_m)) if sign else timedelta()
        tz = timezone(-offset if sign == "-" else offset)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # 2025-02-30, offset 24:00, or year 9999 shifted past UTC
        return None


def _expiry_facts(raw: str | None, now: datetime) -> dict[str, Any]:
    """RFC 9116 §2.5.5: Expires is required; a stale file SHOULD NOT be trusted."""
    moment = parse_expires(raw) if raw is not None else None
    if moment is None:
        return {"expires_at": None, "expires_valid": None if raw is None else False,
                "expires_in_future": None, "expires_days_left": None}
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return {"expires_at": moment.isoformat().replace("+00:00", "Z"), "expires_valid": True,
            "expires_in_future": moment > now, "expires_days_left": (moment - now).days}


def _canonical_ok(url: str, canonical: list[str]) -> bool | None:
    """RFC 9116 §2.5.2: if Canonical is present, the URL the file came from must be listed."""
    return _normalise_url(url) in {_normalise_url(c) for c in canonical} if canonical else None


def _normalise_url(url: str) -> str:
    """Compare Canonical URIs (RFC 9116 §2.5.2) case-insensitively on scheme and host."""
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc.lower().removesuffix(":443" if parts.scheme.lower() == "https" else ":80")
    except ValueError:
        return url
    return f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


def empty_facts() -> dict[str, Any]:
    """Content-derived facts when no file was found: empty, never values that read as safe."""
    return {
        "content_type": None, "content_type_ok": None, "size": 0, "size_ok": None, "signed": False,
        "contacts": [], "invalid_contacts": [], "expires_count": 0, "expires": None, "expires_at": None,
        "expires_valid": None, "expires_in_future": None, "expires_days_left": None, "canonical": [],
        "canonical_ok": None, "preferred_languages": None, "unknown_fields": [], "syntax_errors": [],
    }


@dataclass(frozen=True)
class _Retrieved:
    """A 200 response: final URL, Content-Type header and (capped) body."""

    url: str
    content_type: str | None
    body: bytes


async def fetch_security_txt(
    client: httpx.AsyncClient, base_url: str, *, now: datetime, max_size: int = 32768
) -> dict[str, Any]:
    """Retrieve and evaluate security.txt: RFC 9116 §3 location first, then the legacy one.

    Raises ProbeError only when neither location produced any HTTP response at all.
    """
    base = base_url.rstrip("/")
    attempts: list[dict[str, Any]] = []
    for location, path in LOCATIONS:
        got = await _get_following_redirects(client, base + path, attempts, max_size)
        if got is not None:
            parsed = parse_security_txt(got.body.decode("utf-8", errors="replace"))
            facts = evaluate_security_txt(parsed, url=got.url, content_type=got.content_type,
                                          size=len(got.body), max_size=max_size, now=now)
            return {"found": True, "location": location, "url": got.url, "attempts": attempts,
                    "status": 200, **facts}
    statuses = [a["status"] for a in attempts if a["status"] is not None]
    if not statuses:
        raise ProbeError(f"security.txt: no HTTP response from {base} ({attempts[-1]['error']})")
    # Absence is established only if every location answered; a timeout or a server error at
    # one of them leaves open that the file is there, so "not found" would be a guess.
    unanswered = [a for a in attempts if (a["status"] is None and a["error"]) or (a["status"] or 0) >= 500]
    if unanswered:
        first = unanswered[0]
        raise ProbeError(f"security.txt: could not check {first['url']}: {first['error'] or first['status']}")
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
        attempts.append({"url": answer.url, "status": status, "error": error})
        if answer.target is None or error is not None:
            return None
        current, status = answer.target, None  # an error from here on belongs to the next hop
        return FOLLOW

    try:
        return await follow_redirects(client, url, record, max_redirects=MAX_REDIRECTS)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        attempts.append({"url": current, "status": status, "error": describe_error(exc)})
        return None


def _redirect_refusal(answer: Answer) -> str | None:
    """Why a redirect is not followed; RFC 9116 §3 requires the file be served over https."""
    if answer.limit_reached:
        return f"more than {MAX_REDIRECTS} redirects"
    if answer.target is None:
        return f"malformed redirect location: {answer.location}"
    if urlsplit(answer.target).scheme.lower() != "https":
        return f"redirect to non-https URL not followed: {answer.target}"
    if answer.loops:
        return f"redirect loop back to {answer.target}"
    return None
