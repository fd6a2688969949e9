"""List snapshot parsing: every accepted format and entry form, and properties on arbitrary input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustscan.core.errors import NotAList
from trustscan.lists.formats import MAX_KEPT_REJECTS, Entry, parse_entry, parse_list


def values(data: bytes, filename: str = "") -> list[tuple[str, str]]:
    return [(e.kind, e.value) for e in parse_list(data, filename=filename).entries]


@pytest.mark.parametrize(
    ("token", "kind", "value"),
    [
        ("Example.VN.", "domain", "example.vn"),
        ("*.casino.example", "wildcard", "*.casino.example"),
        (".casino.example", "wildcard", "*.casino.example"),
        ("https://Phish.Example:8443/login?x=1#top", "domain", "phish.example"),
        ("phish.example/login", "domain", "phish.example"),
        ("||ads.example^", "domain", "ads.example"),
        ("bộ-công-an.vn", "domain", "xn--b-cng-an-63a1467e.vn"),
        ("xn--b-cng-an-63a1467e.vn", "domain", "xn--b-cng-an-63a1467e.vn"),
        ("203.0.113.7", "ip", "203.0.113.7"),
        ("2001:DB8::7", "ip", "2001:db8::7"),
        ("[2001:db8::7]", "ip", "2001:db8::7"),
        ("http://[2001:db8::7]:8080/", "ip", "2001:db8::7"),
        ("http://203.0.113.7/x", "ip", "203.0.113.7"),
        ("203.0.113.77/24", "cidr", "203.0.113.0/24"),
        ("2001:db8::/32", "cidr", "2001:db8::/32"),
        ('"quoted.example"', "domain", "quoted.example"),
    ],
)
def test_entry_forms_are_normalised(token: str, kind: str, value: str) -> None:
    entry = parse_entry(token)
    assert isinstance(entry, Entry), entry
    assert (entry.kind, entry.value) == (kind, value)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("localhost", "fully qualified"),
        ("*.com", "too broad"),
        ("v1.0", "not a domain"),
        ("a..b", "not a domain"),
        ("-bad-.example", "not a domain"),
        ("http://", "without a host"),
        ("x" * 64 + ".example", "not a domain"),
        ("ftp://[::1", "malformed"),
    ],
)
def test_unusable_tokens_say_why(token: str, reason: str) -> None:
    result = parse_entry(token)
    assert isinstance(result, str) and reason in result


def test_plain_list_with_comments_and_rejects_keeps_line_numbers() -> None:
    data = b"# ministry list\n\nbad.example\n! adblock comment\nnot a domain at all\nphish.example # reason\n"
    parsed = parse_list(data)
    assert parsed.format == "text"
    assert [(e.value, e.line) for e in parsed.entries] == [("bad.example", 3), ("phish.example", 6)]
    assert [(r.line, r.text) for r in parsed.rejected] == [(5, "not a domain at all")]
    assert parsed.rejected_count == 1


def test_hosts_file_lists_the_names_not_the_sinkhole_address() -> None:
    data = (b"127.0.0.1 localhost\n::1 localhost ip6-localhost\n"
            b"0.0.0.0 bad.example www.bad.example\n0.0.0.0 evil.example\n")
    assert values(data) == [("domain", "bad.example"), ("domain", "www.bad.example"), ("domain", "evil.example")]
    assert parse_list(data).rejected_count == 0


def test_table_copied_from_a_web_page_keeps_its_domain_column() -> None:
    data = "STT\tTên miền\tLý do\tNgày\n1\tlua-dao.example\tLừa đảo\t01/02/2025\n2\tbad.example\tMã độc\t03/02/2025\n"
    assert values(data.encode()) == [("domain", "lua-dao.example"), ("domain", "bad.example")]


def test_csv_uses_the_named_column_with_any_delimiter() -> None:
    data = "id;Tên miền;ghi chú\n1;bad.example;other.example\n2;203.0.113.0/24;x\n3;;\n"
    parsed = parse_list(data.encode())
    assert parsed.format == "csv"
    # Only the domain column counts: "other.example" in the notes column is not an entry.
    assert [(e.kind, e.value, e.line) for e in parsed.entries] == [("domain", "bad.example", 2),
                                                                 ("cidr", "203.0.113.0/24", 3)]
    assert [r.line for r in parsed.rejected] == [4]


def test_csv_with_url_column_and_quoted_commas() -> None:
    data = b'url,reason\n"https://phish.example/a,b",phishing\nhttps://x.example/,malware\n'
    assert values(data, "list.csv") == [("domain", "phish.example"), ("domain", "x.example")]


def test_csv_without_a_known_header_tries_every_cell() -> None:
    assert values(b"a,b\nbad.example,2001:db8::1\n", "list.csv") == [("domain", "bad.example"), ("ip", "2001:db8::1")]


def test_json_arrays_of_strings_and_objects() -> None:
    data = json.dumps(["bad.example", {"domain": "evil.example", "note": "x"}, {"url": "http://203.0.113.9/"},
                       {"nothing": 1}, 42, "not valid"]).encode()
    parsed = parse_list(data)
    assert parsed.format == "json"
    assert [(e.kind, e.value, e.line) for e in parsed.entries] == [
        ("domain", "bad.example", 1), ("domain", "evil.example", 2), ("ip", "203.0.113.9", 3)]
    assert [(r.line, r.reason) for r in parsed.rejected] == [
        (4, "object without a domain/url/ip field"), (5, "not a string or object"),
        (6, "not a domain name, URL, IP address or CIDR range")]


def test_json_object_holding_arrays() -> None:
    assert values(b'{"domains": ["a.example"], "ips": ["203.0.113.1"], "updated": "2025-01-01"}') == [
        ("domain", "a.example"), ("ip", "203.0.113.1")]


def test_text_that_only_looks_like_json_falls_back_to_lines() -> None:
    data = b"[Adblock Plus 2.0]\n||ads.example^\n[2001:db8::5]\n"
    assert values(data) == [("domain", "ads.example"), ("ip", "2001:db8::5")]


def test_duplicates_are_counted_once_at_their_first_line() -> None:
    parsed = parse_list(b"bad.example\nBAD.example.\nhttps://bad.example/x\n")
    assert [(e.value, e.line) for e in parsed.entries] == [("bad.example", 1)]


def test_non_utf8_bytes_reject_lines_not_the_file() -> None:
    parsed = parse_list("bad.example\nx\xe9y.example\n".encode("latin-1") + b"\xff\xfe\n")
    assert values(b"bad.example\n") == [(e.kind, e.value) for e in parsed.entries]
    assert parsed.rejected_count == 2


def test_rejects_are_bounded_but_all_counted() -> None:
    parsed = parse_list(b"nonsense\n" * (MAX_KEPT_REJECTS + 50))
    assert len(parsed.rejected) == MAX_KEPT_REJECTS
    assert parsed.rejected_count == MAX_KEPT_REJECTS + 50


def test_reject_excerpts_carry_no_control_characters() -> None:
    (rejected,) = parse_list(b"\x1b[31mevil\x1b[0m \xe2\x80\xae\n").rejected
    assert "\x1b" not in rejected.text and "\u202e" not in rejected.text


def test_deeply_nested_json_does_not_crash() -> None:
    with pytest.raises(NotAList, match="JSON"):
        parse_list(b"[" * 100_000)
    assert parse_list(b"[" + b"[" * 200 + b"]" * 200 + b', "a.example"]').entries[0].value == "a.example"
    # Too deep for the JSON decoder: refused whole (it opens like JSON), never mined as text.
    with pytest.raises(NotAList, match="nested too deeply"):
        parse_list(b"[" + b"[" * 5000 + b"]" * 5000 + b', "a.example"]')


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["", "list.csv", "list.txt"]))
def test_never_raises_on_arbitrary_bytes(data: bytes, filename: str) -> None:
    try:
        parsed = parse_list(data, filename=filename)
    except NotAList as refused:  # the only error: the bytes are no list at all, in one short line
        assert "\n" not in str(refused) and len(str(refused)) < 200
        return
    assert parsed.rejected_count >= len(parsed.rejected)
    assert all(e.line >= 1 for e in parsed.entries)


_PIECES = st.sampled_from([*"ab.-*/:[]#,;\t\n \"'{}0123456789xnđộ|^", "://", "http", "xn--", "::", "0.0.0.0 "])
_TEXTY = st.lists(_PIECES, max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTY, st.sampled_from(["", "list.csv"]))
def test_never_raises_on_list_like_text(text: str, filename: str) -> None:
    try:
        parsed = parse_list(text.encode(), filename=filename)
    except NotAList:  # blank, or opening like JSON without being JSON
        assert not text.strip() or text.lstrip()[:1] in "[{"
        return
    for entry in parsed.entries:
        # Every entry is canonical: parsing its own value gives it back.
        again = parse_entry(entry.value)
        assert isinstance(again, Entry) and (again.kind, again.value) == (entry.kind, entry.value)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children,
                                                                                        max_size=5),
                    max_leaves=30))
def test_never_raises_on_arbitrary_json(document: object) -> None:
    try:
        parse_list(json.dumps(document).encode())
    except NotAList as refused:  # a JSON object without any array, an empty string, a control character
        assert isinstance(document, dict | str) or "binary" in str(refused)
