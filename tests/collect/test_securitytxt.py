"""security.txt (RFC 9116): parser, evaluator and fetcher. No network: respx / MockTransport only."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from trustscan.collect.http.securitytxt import evaluate_security_txt, fetch_security_txt, parse_security_txt
from trustscan.core.errors import ProbeError

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
BASE = "https://example.vn"
WELL_KNOWN = f"{BASE}/.well-known/security.txt"
LEGACY = f"{BASE}/security.txt"
MINIMAL = "Contact: mailto:security@example.vn\nExpires: 2026-01-01T00:00:00Z\n"
RESULT_KEYS = {
    "found", "location", "url", "attempts", "status", "content_type", "media_type_ok", "size", "size_ok",
    "truncated", "signed", "contacts", "invalid_contacts", "expires_count", "expires", "expires_at",
    "expires_valid", "expired", "expires_in_future", "expires_days_left", "canonical", "canonical_ok",
    "preferred_languages", "unknown_fields", "findings", "findings_total", "problems", "advice",
    "problems_wording", "advice_wording",
}
SIGNED = """-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

Contact: mailto:security@example.vn
- -----not a field, dash-escaped
- Expires: 2026-01-01T00:00:00Z
Canonical: https://example.vn/.well-known/security.txt
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCAAdFiEEabc=
=abcd
-----END PGP SIGNATURE-----
"""


def evaluate(text: str, *, url: str = WELL_KNOWN, content_type: str | None = "text/plain; charset=utf-8",
             size: int = 100, now: datetime = NOW) -> dict:
    return evaluate_security_txt(parse_security_txt(text), url=url, content_type=content_type, size=size, now=now)


def ids(parsed_or_facts: object) -> list[tuple[str, int | None]]:
    if isinstance(parsed_or_facts, dict):
        return [(f["id"], f["line"]) for f in parsed_or_facts["findings"]]
    return [(f.id, f.line) for f in parsed_or_facts.findings]  # type: ignore[attr-defined]


def fetch(client_kwargs: dict | None = None, **kwargs) -> dict:
    async def run() -> dict:
        async with httpx.AsyncClient(**(client_kwargs or {})) as client:
            return await fetch_security_txt(client, BASE, now=NOW, **kwargs)

    return asyncio.run(run())


def text_response(body: str = MINIMAL, content_type: str = "text/plain; charset=utf-8") -> httpx.Response:
    return httpx.Response(200, text=body, headers={"content-type": content_type})


# --- parser ----------------------------------------------------------------------------------


def test_minimal_valid_file() -> None:
    parsed = parse_security_txt(MINIMAL)
    assert parsed.values("contact") == ["mailto:security@example.vn"]
    assert parsed.values("EXPIRES") == ["2026-01-01T00:00:00Z"]
    assert parsed.findings == () and parsed.signed is False
    assert parsed.fields[1].line == 2


def test_crlf_and_case_insensitive_names() -> None:
    parsed = parse_security_txt("cOnTaCt: mailto:a@example.vn\r\nEXPIRES: 2026-01-01T00:00:00Z \r\n")
    assert parsed.values("Contact") == ["mailto:a@example.vn"]
    assert parsed.values("expires") == ["2026-01-01T00:00:00Z"]
    assert parsed.findings == ()


def test_comments_and_blank_lines_are_ignored() -> None:
    parsed = parse_security_txt("# Our policy\n\n   \nContact: tel:+84-24-1234-5678\n# Contact: mailto:x@y\n")
    assert [f.value for f in parsed.fields] == ["tel:+84-24-1234-5678"]
    assert parsed.fields[0].line == 4 and parsed.findings == ()


def test_unknown_field_kept_and_reported() -> None:
    parsed = parse_security_txt(MINIMAL + "X-Bug-Bounty: https://example.vn/bounty\n")
    assert parsed.fields[-1].name == "X-Bug-Bounty"
    assert evaluate(MINIMAL + "X-Bug-Bounty: yes\nCSAF: https://example.vn/provider-metadata.json\n")[
        "unknown_fields"] == ["X-Bug-Bounty"]


def test_garbage_lines_recorded_with_line_number() -> None:
    parsed = parse_security_txt("Contact: mailto:a@example.vn\nthis is not a field\n  Indented: x\nEmpty:\n")
    assert ids(parsed) == [("invalid_line", 2), ("invalid_line", 3), ("empty_value", 4)]
    assert parsed.findings[0].text == "this is not a field"
    assert parsed.values("contact") == ["mailto:a@example.vn"]


def test_pgp_signed_file_with_dash_escaped_lines() -> None:
    parsed = parse_security_txt(SIGNED)
    assert parsed.signed is True
    assert parsed.values("expires") == ["2026-01-01T00:00:00Z"]  # was "- Expires: ..."
    assert parsed.values("canonical") == ["https://example.vn/.well-known/security.txt"]
    # "-----not a field" after unescaping is not a field; the signature's base64 is not read as fields.
    assert ("invalid_line", 5) in ids(parsed)
    assert not any(f.value.startswith("iQ") for f in parsed.fields)


def test_pgp_frame_problems_are_findings() -> None:
    unterminated = parse_security_txt(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: tel:+84\n")
    assert unterminated.signed and unterminated.values("contact") == ["tel:+84"]
    assert unterminated.findings[-1].text == "signed message has no signature block"
    outside = parse_security_txt("Contact: mailto:evil@x.vn\n" + SIGNED + "Contact: mailto:late@x.vn\n")
    assert outside.values("contact") == ["mailto:security@example.vn"]
    assert {"signed_format_issue", "data_after_sig"} <= {f.id for f in outside.findings}


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parser_never_raises(text: str) -> None:
    parsed = parse_security_txt(text)
    facts = evaluate_security_txt(parsed, url=text, content_type=text, size=len(text), now=NOW, requested=text[:3])
    json.dumps(facts)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "-----BEGIN PGP SIGNED MESSAGE-----", "-----BEGIN PGP SIGNATURE-----", "-----END PGP SIGNATURE-----",
    "Hash: SHA256", "", "- x", "-x", "Contact: mailto:a@b", "Expires: 9999-12-31T23:59:59-23:59", "\r", "#",
])))
def test_parser_never_raises_on_pgp_shaped_text(lines: list[str]) -> None:
    evaluate("\n".join(lines))


# --- evaluator -------------------------------------------------------------------------------


def test_multiple_and_invalid_contacts() -> None:
    facts = evaluate("Contact: mailto:a@example.vn\nContact: https://example.vn/report\n"
                     "Contact: tel:+84241234\nContact: http://example.vn/report\n"
                     "Contact: call us on weekdays\nContact: mailto:nobody\n")
    assert facts["contacts"] == ["mailto:a@example.vn", "https://example.vn/report", "tel:+84241234"]
    assert facts["invalid_contacts"] == ["http://example.vn/report", "call us on weekdays", "mailto:nobody"]


def test_valid_expires() -> None:
    facts = evaluate(MINIMAL)
    assert facts["expires"] == "2026-01-01T00:00:00Z"
    assert facts["expires_at"] == "2026-01-01T00:00:00Z"
    assert facts["expires_valid"] is True and facts["expires_in_future"] is True
    assert facts["expires_days_left"] == 213 and facts["expires_count"] == 1


def test_expires_with_offset_converted_to_utc() -> None:
    facts = evaluate("Expires: 2026-01-01T07:00:00.123456789+07:00\n")
    assert facts["expires_at"] == "2026-01-01T00:00:00.123456Z"


def test_two_expires_counted_first_used() -> None:
    facts = evaluate("Expires: 2026-01-01T00:00:00Z\nExpires: 2030-01-01T00:00:00Z\n")
    assert facts["expires_count"] == 2 and facts["expires"] == "2026-01-01T00:00:00Z"
    assert ("multi_expire", 2) in ids(facts) and ("long_expiry", 2) in ids(facts)


@pytest.mark.parametrize("value", ["2026-01-01T00:00:00", "2026-01-01", "next year", "2026-02-30T00:00:00Z",
                                   "2026-01-01T00:00:00+24:00", "２０２６-01-01T00:00:00Z"])
def test_expires_without_timezone_or_garbage_is_invalid(value: str) -> None:
    facts = evaluate(f"Expires: {value}\n")
    assert facts["expires"] == value and facts["expires_valid"] is False and facts["expired"] is None
    assert facts["expires_at"] is None and facts["expires_in_future"] is None
    assert facts["expires_days_left"] is None and ("invalid_expiry", 1) in ids(facts)


def test_missing_expires_is_unknown_not_safe() -> None:
    facts = evaluate("Contact: mailto:a@example.vn\n")
    assert facts["expires_count"] == 0 and facts["expires"] is None
    # False, not None: the rules needing a valid Expires are then not applicable, not errors.
    assert facts["expires_valid"] is False and facts["expires_in_future"] is None and facts["expired"] is None
    assert ("no_expire", None) in ids(facts)


def test_past_expires() -> None:
    facts = evaluate("Expires: 2024-06-01T12:00:00Z\n")
    assert facts["expires_valid"] is True and facts["expires_in_future"] is False and facts["expired"] is True
    assert facts["expires_days_left"] == -365 and ("expired", 1) in ids(facts)


def test_expiring_in_ten_days() -> None:
    facts = evaluate(f"Expires: {(NOW + timedelta(days=10)).isoformat()}\n")
    assert facts["expires_in_future"] is True and facts["expires_days_left"] == 10


def test_canonical_match_and_mismatch() -> None:
    text = "Canonical: https://EXAMPLE.vn:443/.well-known/security.txt\nCanonical: https://other.vn/security.txt\n"
    assert evaluate(text)["canonical_ok"] is True
    assert evaluate(text, url=LEGACY)["canonical_ok"] is False
    assert evaluate(text)["canonical"] == ["https://EXAMPLE.vn:443/.well-known/security.txt",
                                           "https://other.vn/security.txt"]
    assert evaluate(MINIMAL)["canonical_ok"] is None


@pytest.mark.parametrize(("content_type", "ok"), [
    ("text/plain; charset=utf-8", True), ("Text/Plain;Charset=\"UTF-8\"", True), ("text/plain", True),
    ("text/plain; charset=iso-8859-1", False), ("text/html; charset=utf-8", False), (None, False),
])
def test_content_type(content_type: str | None, ok: bool) -> None:
    facts = evaluate(MINIMAL, content_type=content_type)
    charset_ok = "iso-8859-1" not in (content_type or "")
    assert facts["media_type_ok"] is (ok or not charset_ok)
    assert ("invalid_charset" in {f["id"] for f in facts["findings"]}) is not charset_ok


def test_size_limit_and_preferred_languages() -> None:
    facts = evaluate(MINIMAL, size=32769)
    assert facts["size_ok"] is False and facts["findings"][0]["id"] == "large_file"
    assert facts["findings"][0]["level"] == "recommendation"
    assert evaluate(MINIMAL + "Preferred-Languages: vi, en\n")["preferred_languages"] == "vi, en"


# --- fetcher ---------------------------------------------------------------------------------


@respx.mock
def test_found_at_well_known() -> None:
    respx.get(WELL_KNOWN).mock(return_value=text_response(SIGNED))
    legacy = respx.get(LEGACY).mock(return_value=text_response())
    result = fetch()
    assert set(result) == RESULT_KEYS
    assert result["found"] is True and result["location"] == "well-known" and result["url"] == WELL_KNOWN
    assert result["attempts"] == [{"url": WELL_KNOWN, "status": 200, "error": None}]
    assert result["signed"] is True and result["canonical_ok"] is True and result["media_type_ok"] is True
    assert result["size"] == len(SIGNED.encode()) and result["size_ok"] is True
    assert not legacy.called
    json.dumps(result)


@respx.mock
def test_fallback_to_legacy() -> None:
    respx.get(WELL_KNOWN).mock(return_value=httpx.Response(404))
    respx.get(LEGACY).mock(return_value=text_response())
    result = fetch()
    assert result["found"] is True and result["location"] == "legacy" and result["url"] == LEGACY
    assert [a["status"] for a in result["attempts"]] == [404, 200]
    assert result["contacts"] == ["mailto:security@example.vn"]


@respx.mock
def test_not_found_anywhere() -> None:
    respx.get(WELL_KNOWN).mock(return_value=httpx.Response(404))
    respx.get(LEGACY).mock(return_value=httpx.Response(410))
    result = fetch()
    assert set(result) == RESULT_KEYS
    assert result["found"] is False and result["location"] is None and result["url"] is None
    assert result["status"] == 410
    assert result["attempts"][1] == {"url": LEGACY, "status": 410, "error": None}
    assert result["contacts"] == [] and result["expires_count"] == 0 and result["size"] == 0
    assert result["media_type_ok"] is None and result["size_ok"] is None
    assert result["expires_valid"] is None and result["canonical_ok"] is None


@pytest.mark.parametrize(
    ("well_known", "legacy"),
    [(httpx.Response(404), httpx.ConnectError("refused")),
     (httpx.ReadTimeout("slow"), httpx.Response(404)),
     (httpx.Response(503), httpx.Response(404))],
)
@respx.mock
def test_absence_is_not_concluded_when_a_location_did_not_answer(well_known: object, legacy: object) -> None:
    for url, outcome in ((WELL_KNOWN, well_known), (LEGACY, legacy)):
        if isinstance(outcome, httpx.Response):
            respx.get(url).mock(return_value=outcome)
        else:
            respx.get(url).mock(side_effect=outcome)
    with pytest.raises(ProbeError, match="could not check"):
        fetch()


@respx.mock
def test_wrong_content_type() -> None:
    respx.get(WELL_KNOWN).mock(return_value=text_response("<html>Not here</html>", "text/html"))
    result = fetch()
    assert result["found"] is True and result["content_type"] == "text/html"
    assert result["media_type_ok"] is False and result["contacts"] == []
    assert ("invalid_line", 1) in ids(result) and ("invalid_media", None) in ids(result)


@respx.mock
def test_https_redirect_followed_and_recorded() -> None:
    target = "https://www.example.vn/.well-known/security.txt"
    respx.get(WELL_KNOWN).mock(return_value=httpx.Response(301, headers={"location": target}))
    respx.get(target).mock(return_value=text_response("Canonical: " + target + "\n"))
    result = fetch()
    assert result["url"] == target and result["canonical_ok"] is True
    assert result["attempts"] == [{"url": WELL_KNOWN, "status": 301, "error": None},
                                  {"url": target, "status": 200, "error": None}]


@respx.mock
def test_redirect_to_http_not_followed() -> None:
    respx.get(WELL_KNOWN).mock(return_value=httpx.Response(302, headers={"location": "http://example.vn/x"}))
    respx.get(LEGACY).mock(return_value=httpx.Response(404))
    result = fetch()
    assert result["found"] is False
    assert result["attempts"][0]["error"] == "redirect to non-https URL not followed: http://example.vn/x"


@respx.mock
def test_redirect_loop_stops() -> None:
    other = f"{BASE}/other"
    respx.get(WELL_KNOWN).mock(return_value=httpx.Response(302, headers={"location": "/other"}))
    respx.get(other).mock(return_value=httpx.Response(302, headers={"location": WELL_KNOWN}))
    respx.get(LEGACY).mock(return_value=httpx.Response(302, headers={"location": LEGACY}))
    result = fetch()
    assert result["found"] is False
    assert [(a["url"], a["error"]) for a in result["attempts"]] == [
        (WELL_KNOWN, None),
        (other, f"redirect loop back to {WELL_KNOWN}"),
        (LEGACY, f"redirect loop back to {LEGACY}"),
    ]


@respx.mock
def test_redirect_chain_longer_than_three_stops() -> None:
    for i in range(5):
        redirect = httpx.Response(307, headers={"location": f"/hop{i + 1}"})
        respx.get(f"{BASE}/hop{i}").mock(return_value=redirect)
    respx.get(WELL_KNOWN).mock(return_value=httpx.Response(307, headers={"location": "/hop0"}))
    respx.get(LEGACY).mock(return_value=httpx.Response(410))
    result = fetch()
    assert len(result["attempts"]) == 5  # 4 well-known hops (3 redirects followed) + legacy
    assert result["attempts"][3]["error"] == "more than 3 redirects"


class CountingStream(httpx.AsyncByteStream):
    """A 5 MB body in 64 KiB chunks that counts how much was actually pulled."""

    def __init__(self) -> None:
        self.chunks_read = 0

    async def __aiter__(self):
        for _ in range(80):
            self.chunks_read += 1
            yield b"A" * 65536


def test_huge_body_is_capped_without_reading_it_all() -> None:
    stream = CountingStream()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/plain"}, stream=stream)

    result = fetch({"transport": httpx.MockTransport(handler)})
    assert result["found"] is True and result["size_ok"] is False and result["truncated"] is True
    assert result["size"] == 1024 * 1024 + 1  # MAX_PARSE_BYTES, plus the byte that shows there is more
    assert stream.chunks_read == 17  # of 80: 1 MiB in 64 KiB chunks, and one more
    assert {f["id"] for f in result["findings"]} >= {"large_file", "truncated"}


@respx.mock
def test_connection_error_on_both_raises_probe_error() -> None:
    respx.get(WELL_KNOWN).mock(side_effect=httpx.ConnectError("connection refused"))
    respx.get(LEGACY).mock(side_effect=httpx.ConnectTimeout("timed out"))
    with pytest.raises(ProbeError, match="no HTTP response"):
        fetch()
