"""security.txt field values (RFC 9116 §2.5) and the HTTP Content-Type (§3): pure checks.

Each check turns values into `Finding`s with stable ids (`securitytxt_syntax.Finding`); the
predicates are named in the RFC's words so they can be read and tested apart from the parser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit

from trustscan.collect.http.securitytxt_syntax import Field, Finding, ParsedSecurityTxt, finding

# RFC 9116 §2.5 plus the IANA "security.txt Fields" registry (§6.4), which since added CSAF.
KNOWN_FIELDS = frozenset({"acknowledgments", "canonical", "contact", "csaf", "encryption", "expires",
                          "hiring", "policy", "preferred-languages"})
# §2.5: these fields hold URIs; §2.5.1/.2/.4/.6/.7 say a web URI MUST begin with "https://".
URI_FIELDS = ("acknowledgments", "canonical", "contact", "csaf", "encryption", "hiring", "policy")
CSAF_FILE = "provider-metadata.json"  # CSAF 2.0 §7.1.8 / IANA registry entry for "CSAF"
# RFC 9116 §2.5.5 uses RFC 3339 §5.6 date-time: "T" and a time zone are mandatory. ASCII digits only.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))", re.ASCII
)
# RFC 5646 §4.4.1 has implementations keep at least 35 characters of a tag; trustscan reads 128.
MAX_TAG_CHARS = 128
# RFC 5646 §2.1 Language-Tag ABNF (langtag / privateuse / grandfathered), case-insensitive.
_LANGTAG = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  # language [-extlang]
    r"(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?"  # [-script] [-region]
    r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*"  # *(-variant)
    r"(?:-[\da-wyz](?:-[a-z\d]{2,8})+)*"  # *(-extension)
    r"(?:-x(?:-[a-z\d]{1,8})+)?"  # [-privateuse]
    r"|x(?:-[a-z\d]{1,8})+"  # privateuse
    r"|en-GB-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)"
    r"|sgn-(?:BE-FR|BE-NL|CH-DE)|art-lojban|cel-gaulish|no-bok|no-nyn|zh-(?:guoyu|hakka|min|min-nan|xiang)",
    re.ASCII | re.IGNORECASE,
)


def value_findings(parsed: ParsedSecurityTxt, *, urls: tuple[str, ...], now: datetime) -> list[Finding]:
    """Every §2.5 problem of the fields' values; `urls` are where the file was requested and served."""
    found: list[Finding] = []
    for field in parsed.fields:
        if field.key in URI_FIELDS:
            found += _uri_findings(field)
        elif field.key == "preferred-languages":
            found += [finding("invalid_lang", field.line, tag) for tag in invalid_language_tags(field.value)]
        elif field.key == "expires":
            found += _expiry_findings(field, now)
        elif field.key not in KNOWN_FIELDS:
            found.append(finding("unknown_field", field.line, field.name, "recommendation"))
    found += _cardinality_findings(parsed)
    canonical = parsed.named("canonical")
    if canonical and urls and not canonical_matches(urls, [f.value for f in canonical]):
        found.append(finding("no_canonical_match", canonical[0].line, canonical[0].value))
    return found


def _cardinality_findings(parsed: ParsedSecurityTxt) -> list[Finding]:
    """§2.5.3 Contact at least once; §2.5.5 Expires exactly once; §2.5.8 Preferred-Languages at most once."""
    found: list[Finding] = []
    if not parsed.named("contact"):
        found.append(finding("no_contact", None))
    expires, languages, csaf = parsed.named("expires"), parsed.named("preferred-languages"), parsed.named("csaf")
    if not expires:
        found.append(finding("no_expire", None))
    found += [finding("multi_expire", f.line, f.value) for f in expires[1:]]
    found += [finding("multi_lang", f.line, f.value) for f in languages[1:]]
    # CSAF 2.0 §7.1.8: one provider-metadata.json per provider; more SHOULD be avoided.
    found += [finding("multiple_csaf_fields", f.line, f.value, "recommendation") for f in csaf[1:]]
    return found


def _uri_findings(field: Field) -> list[Finding]:
    value, line = field.value, field.line
    scheme = uri_scheme(value)
    if scheme is None:
        return [finding("no_uri", line, value)]
    if scheme == "http" or (field.key == "csaf" and scheme != "https"):
        return [finding("no_https", line, value)]
    if field.key == "csaf" and not urlsplit(value).path.endswith(CSAF_FILE):
        return [finding("no_csaf_file", line, value)]
    if field.key == "contact" and not contact_ok(value):
        return [finding("invalid_contact", line, value)]
    return []


def uri_scheme(value: str) -> str | None:
    """The lower-cased scheme of an RFC 3986 URI (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`)."""
    scheme, colon, rest = value.partition(":")
    if not colon or not rest or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme, re.ASCII):
        return None
    if any(ch.isspace() for ch in value):
        return None
    return scheme.lower()


def contact_ok(value: str) -> bool:
    """§2.5.3: a URI with scheme mailto:, tel: or https: (plain http: is not allowed)."""
    scheme = uri_scheme(value)
    rest = value.partition(":")[2]
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


def invalid_language_tags(value: str) -> list[str]:
    """§2.5.8: `Language-Tag *(*WSP "," *WSP Language-Tag)`: each tag well-formed (RFC 5646 §2.1)
    and made of registered subtags (the IANA Language Subtag Registry that `langcodes` ships)."""
    import langcodes  # the registry is parsed on first use; keep the probe module cheap to import

    verdicts: dict[str, bool] = {}  # each distinct tag is looked up once
    bad = []
    for tag in (t.strip(" \t") for t in value.split(",")):
        if tag not in verdicts:
            # langcodes parses subtags recursively: a tag beyond MAX_TAG_CHARS (no registered tag
            # comes near it) is refused before it could exhaust the stack.
            verdicts[tag] = (len(tag) <= MAX_TAG_CHARS and _LANGTAG.fullmatch(tag) is not None
                             and langcodes.tag_is_valid(tag))
        if not verdicts[tag]:
            bad.append(tag)
    return bad


def parse_expires(value: str) -> datetime | None:
    """An RFC 3339 date-time with time zone, as aware UTC; None if it is not one."""
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


def a_year_after(now: datetime) -> datetime:
    """`now` plus one calendar year (29 February becomes 28 February)."""
    try:
        return now.replace(year=now.year + 1)
    except ValueError:
        return now.replace(year=now.year + 1, day=28)


def _expiry_findings(field: Field, now: datetime) -> list[Finding]:
    """§2.5.5: an RFC 3339 date-time; past means stale; more than a year ahead is NOT RECOMMENDED."""
    moment = parse_expires(field.value)
    if moment is None:
        return [finding("invalid_expiry", field.line, field.value)]
    if moment < now:
        return [finding("expired", field.line, field.value)]
    if moment > a_year_after(now):
        return [finding("long_expiry", field.line, field.value, "recommendation")]
    return []


def canonical_matches(urls: tuple[str, ...], canonical: list[str]) -> bool:
    """§2.5.2: the URI the file was requested at or served from must be one of the Canonical URIs."""
    listed = {normalise_url(c) for c in canonical}
    return any(normalise_url(url) in listed for url in urls)


def normalise_url(url: str) -> str:
    """Compare Canonical URIs case-insensitively on scheme and host, default port dropped."""
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc.lower().removesuffix(":443" if parts.scheme.lower() == "https" else ":80")
    except ValueError:
        return url
    return f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


def content_type_findings(content_type: str | None) -> list[Finding]:
    """§3: the media type MUST be text/plain; a charset parameter, if given, MUST be utf-8."""
    if content_type is None:
        return [finding("no_content_type", None)]
    media_type, *params = content_type.split(";")
    found = []
    if media_type.strip().lower() != "text/plain":
        found.append(finding("invalid_media", None, content_type))
    charsets = [v.strip().strip('"').lower() for k, _, v in (p.partition("=") for p in params)
                if k.strip().lower() == "charset"]
    if any(c not in ("utf-8", "csutf8") for c in charsets):
        found.append(finding("invalid_charset", None, content_type))
    return found
