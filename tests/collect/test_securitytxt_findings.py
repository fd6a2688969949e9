"""security.txt findings apart from the corpus: linear-time parsing, BCP 47 tags offline, the OpenPGP frame."""

from __future__ import annotations

import base64
import socket
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustscan.collect.http.securitytxt import FINDING_IDS, evaluate_security_txt
from trustscan.collect.http.securitytxt_syntax import _crc24, _packet_tag, parse_security_txt
from trustscan.collect.http.securitytxt_values import (
    a_year_after,
    content_type_findings,
    invalid_language_tags,
    uri_scheme,
)
from trustscan.core.catalog import load_catalog

MEGABYTE = 1_000_000


@pytest.mark.parametrize("line", [
    b" " * MEGABYTE,  # issue 9 item 9: the old field pattern backtracked quadratically on this
    b"Contact:" + b" " * MEGABYTE + b"x",
    b"a:" + b" " * MEGABYTE + b"\t" * MEGABYTE,
    b"x" * MEGABYTE + b":" + b":" * MEGABYTE,
])
def test_a_megabyte_line_parses_in_linear_time(line: bytes) -> None:
    started = time.perf_counter()
    parsed = parse_security_txt(line + b"\n")
    elapsed = time.perf_counter() - started
    # Linear work is a few milliseconds; quadratic work on 10^6 characters would be hours. The bound
    # is generous so a loaded CI machine cannot flake it, and still far below any quadratic run.
    assert elapsed < 1.0, elapsed
    assert len(parsed.findings) <= 2


def test_language_tags_well_formed_and_registered() -> None:
    assert invalid_language_tags("vi, en-US, zh-Hant-TW, de-CH-1996, x-private, i-klingon") == []
    assert invalid_language_tags("English") == ["English"]  # well-formed (5-8 letters), not registered
    assert invalid_language_tags("en_US, vi") == ["en_US"]  # langcodes alone would accept it
    assert invalid_language_tags("xq, vi,") == ["xq", ""]
    assert invalid_language_tags("vi;en") == ["vi;en"]


def test_the_language_registry_is_shipped_and_read_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import langcodes

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("langcodes tried to use the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert langcodes.tag_is_valid("vi") and not langcodes.tag_is_valid("xq")
    from importlib import resources
    assert resources.files("langcodes").joinpath("data", "language-subtag-registry.txt").is_file()


def test_uri_scheme_and_content_type() -> None:
    assert uri_scheme("https://example.vn/") == "https" and uri_scheme("MAILTO:a@b.vn") == "mailto"
    assert uri_scheme("security@example.vn") is None and uri_scheme("see our site") is None
    assert uri_scheme("1http://x") is None and uri_scheme("https://x.vn/a b") is None
    assert [f.id for f in content_type_findings("text/plain; charset=csUTF8")] == []
    assert [f.id for f in content_type_findings("text/html; charset=latin1")] == ["invalid_media", "invalid_charset"]


def test_a_year_after_handles_29_february() -> None:
    assert a_year_after(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2029, 2, 28, tzinfo=UTC)


def test_crc24_and_packet_tags() -> None:
    # RFC 4880 §6.1 CRC-24 of "123456789" (the usual check value for CRC-24/OPENPGP).
    assert _crc24(b"123456789") == 0x21CF02
    assert _packet_tag(0x88) == 2 and _packet_tag(0xC2) == 2 and _packet_tag(0xCB) == 11
    assert _packet_tag(0x08) is None
    assert base64.b64encode(_crc24(b"").to_bytes(3, "big")) == b"twTO"


def test_findings_name_their_lines_and_are_json_facts() -> None:
    text = "Contact:mailto:a@example.vn\nExpires: 2026-01-01T00:00:00Z\nPreferred-Languages: English\nX: y\n"
    facts = evaluate_security_txt(parse_security_txt(text), url="https://x.vn/.well-known/security.txt",
                                  content_type="text/plain", size=len(text), now=datetime(2025, 6, 1, tzinfo=UTC))
    assert facts["problems"] == ["line 1: no space after the colon [no_space] (Contact:mailto:a@example.vn)",
                                 "line 3: not a BCP 47 language tag [invalid_lang] (English)"]
    assert facts["advice"] == ["line 4: field not in the IANA registry [unknown_field] (X)"]
    assert facts["findings"][0] == {"id": "no_space", "line": 1, "level": "error",
                                    "text": "Contact:mailto:a@example.vn"}
    vi, en = load_catalog("vi"), load_catalog("en")
    assert vi.reword(facts["problems"], facts["problems_wording"]) == [
        "dòng 1: thiếu dấu cách sau dấu hai chấm [no_space] (Contact:mailto:a@example.vn)",
        "dòng 3: không phải mã ngôn ngữ BCP 47 [invalid_lang] (English)"]
    assert vi.reword(facts["advice"], facts["advice_wording"]) == [
        "dòng 4: trường không có trong danh mục IANA [unknown_field] (X)"]
    assert en.reword(facts["problems"], facts["problems_wording"]) == facts["problems"]


def test_trustscans_own_explanations_are_worded_and_every_finding_id_has_a_meaning() -> None:
    """An excerpt trustscan wrote (not a quote of the file) is said in the language asked for; every id
    the parser can report means something in both languages."""
    signed = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: mailto:a@x.vn\n"
    facts = evaluate_security_txt(parse_security_txt(signed), url="https://x.vn/.well-known/security.txt",
                                  content_type="text/plain", size=len(signed), now=datetime(2025, 6, 1, tzinfo=UTC))
    problem = next(p for p in facts["problems"] if "signed_format_issue" in p)
    assert problem.endswith("malformed signed message [signed_format_issue] (signed message has no signature block)")
    said = load_catalog("vi").reword(facts["problems"], facts["problems_wording"])
    assert any(p.endswith("thông điệp được ký sai định dạng [signed_format_issue] "
                          "(thông điệp được ký không có khối chữ ký)") for p in said)
    for language in ("en", "vi"):
        assert [i for i in FINDING_IDS if f"sectxt.finding.{i}" not in load_catalog(language).messages] == []


def test_a_huge_language_tag_is_refused_without_recursing() -> None:
    tag = "en-" + "-".join(["abcde"] * 100_000)  # well-formed; langcodes alone would exhaust the stack
    assert invalid_language_tags(tag + ", vi") == [tag]
    assert invalid_language_tags("en-" + "-".join(["abcde"] * 20)) != []  # fits the cap; variants unregistered


def test_the_report_keeps_a_bounded_number_of_findings() -> None:
    body = b"Contact: mailto:a@example.vn\nExpires: 2026-01-01T00:00:00Z\n" + b"X-Field: y\n" * 50_000
    facts = evaluate_security_txt(parse_security_txt(body), url="https://x.vn/.well-known/security.txt",
                                  content_type="text/plain", size=len(body), now=datetime(2025, 6, 1, tzinfo=UTC))
    assert len(facts["findings"]) == len(facts["advice"]) == len(facts["unknown_fields"]) == 100
    assert facts["findings_total"] == 50_001  # each unknown field, and the size
    assert facts["findings"][0]["id"] == "large_file"  # whole-file findings come first, so the cap keeps them
    assert facts["findings"][1] == {"id": "unknown_field", "line": 3, "level": "recommendation", "text": "X-Field"}


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_bytes_never_raise(body: bytes) -> None:
    facts = evaluate_security_txt(parse_security_txt(body), url="https://x.vn/.well-known/security.txt",
                                  content_type="text/plain", size=len(body), now=datetime(2025, 6, 1, tzinfo=UTC))
    assert all(f["id"] in FINDING_IDS for f in facts["findings"])
