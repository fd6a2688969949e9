"""Differential test: trustscan against sectxt (DigitalTrustCenter; Internet.nl runs it) on the corpus.

sectxt is a test-only dependency (the `test` extra). Its `Parser` judges text offline; the checks
its `SecurityTXT` makes only on a live fetch (location, Content-Type) are replicated here in its
own terms. The contract: trustscan flags (warns or fails) every file sectxt calls invalid, and
fails none sectxt calls valid. Where the two differ on purpose, the file is listed below with the
RFC text that justifies trustscan; the lists are asserted exact, so they cannot go stale.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from email.message import Message

import pytest

from tests.collect.securitytxt_corpus import Case, criterion_e, facts_of, load_cases

with warnings.catch_warnings():  # PGPy warns about algorithms it still supports
    warnings.simplefilter("ignore")
    import sectxt

NOW = datetime.now(UTC)
CASES = load_cases(NOW)

# sectxt calls these valid; trustscan FAILS criterion e, because the only Contact cannot be used.
FAILS_SECTXT_VALID = {
    "mailto-without-address": "RFC 9116 §2.5.3: Contact 'MUST follow the URI syntax described in RFC 3986'; "
                              "a mailto: URI is 'mailto:' addr-spec (RFC 6068 §2), and an addr-spec has an '@'.",
    "ftp-contact": "RFC 9116 §2.5.3: Contact is 'an address that researchers should use for reporting security "
                   "vulnerabilities such as an email address, a phone number and/or a web page'; an ftp: "
                   "file is none of these, and web URIs 'MUST begin with \"https://\"'.",
}
# sectxt calls these valid; trustscan WARNS (criterion e still passes). Listed so the gap is known.
WARNS_SECTXT_VALID = {
    "lone-cr": "RFC 9116 §4: eol = *WSP [CR] LF; a CR not followed by LF ends no line.",
    "leading-ws-field": "RFC 9116 §4: field-name = 1*(%x21-39 / %x3B-7E); whitespace is not a name character.",
    "invalid-lang-underscore": "RFC 5646 §2.1: subtags are separated by '-'; 'en_US' is not a Language-Tag "
                               "(langcodes normalises it, sectxt accepts it).",
    "invalid-expiry-space": "RFC 9116 §2.5.5 uses RFC 3339 §5.6 date-time, whose ABNF is full-date \"T\" "
                            "full-time; the space is only a NOTE for human readability.",
    "signed-no-hash": "RFC 4880 §7: a cleartext signed message has 'One or more \"Hash\" Armor Headers'.",
    "signed-other-armor-header": "RFC 4880 §7 allows only \"Hash\" armor headers in the cleartext header.",
    "signed-bad-checksum": "RFC 4880 §6.1/§6.2: the armor checksum is the CRC-24 of the data.",
    "signed-not-a-signature": "RFC 4880 §7: the armor after the text is an OpenPGP signature (tag 2, §5.2).",
    # sectxt gives these as recommendations or notifications, not errors; trustscan warns alike.
    "unknown-field": "RFC 9116 §2.4/§6.4: fields outside the IANA registry (sectxt: unknown_field notification).",
    "long-expiry": "RFC 9116 §2.5.5: 'it is RECOMMENDED that the value ... be less than a year into the future'.",
    "csaf-multiple": "sectxt recommendation multiple_csaf_fields; CSAF 2.0 §7.1.8 expects one provider.",
    "large-file": "RFC 9116 sets no size limit; trustscan warns above 32 KiB (a parser may limit, §6.2).",
}
# sectxt calls these invalid; trustscan does not flag them. There are none, and should stay none.
NOT_FLAGGED_SECTXT_INVALID: dict[str, str] = {}


def sectxt_errors(case: Case) -> set[str]:
    """sectxt's error codes for the file as served: Parser, plus SecurityTXT's fetch-time checks."""
    urls = [case.requested, case.url] if case.requested != case.url else [case.url]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser = sectxt.Parser(case.body, urls=urls)
    codes = {e["code"] for e in parser.errors}
    if case.location != "well-known":
        codes.add("location")
    if case.content_type is None:
        codes.add("no_content_type")
    else:  # as sectxt.SecurityTXT._process reads the header
        message = Message()
        message["content-type"] = case.content_type
        params = dict(message.get_params())
        if "text/plain" not in params:
            codes.add("invalid_media")
        if params.get("charset", "utf-8").lower() not in ("utf-8", "csutf8"):
            codes.add("invalid_charset")
    return codes


def _outcomes() -> dict[str, tuple[set[str], str]]:
    return {case.name: (sectxt_errors(case), criterion_e(facts_of(case, NOW))[0]) for case in CASES}


OUTCOMES = _outcomes()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_trustscan_flags_what_sectxt_rejects_and_fails_nothing_it_accepts(case: Case) -> None:
    errors, verdict = OUTCOMES[case.name]
    if errors and case.name not in NOT_FLAGGED_SECTXT_INVALID:
        assert verdict in ("warn", "fail"), f"sectxt: {sorted(errors)}; trustscan: {verdict}"
    if not errors and case.name not in FAILS_SECTXT_VALID:
        assert verdict != "fail", "sectxt calls it valid"


def test_the_deliberate_differences_are_exactly_those_listed() -> None:
    fails_valid = {n for n, (errors, verdict) in OUTCOMES.items() if not errors and verdict == "fail"}
    warns_valid = {n for n, (errors, verdict) in OUTCOMES.items() if not errors and verdict == "warn"}
    unflagged = {n for n, (errors, verdict) in OUTCOMES.items() if errors and verdict == "pass"}
    assert fails_valid == set(FAILS_SECTXT_VALID)
    assert warns_valid == set(WARNS_SECTXT_VALID)
    assert unflagged == set(NOT_FLAGGED_SECTXT_INVALID)


def test_shared_codes_agree_on_unsigned_files() -> None:
    """Where both name a problem with the same code, on files without a signature, they agree on it."""
    ours_by_name = {case.name: {k.partition("@")[0] for k in case.findings} for case in CASES}
    for case in CASES:
        if case.name.startswith("signed-"):
            continue  # sectxt reports a broken frame through PGPy's exceptions, trustscan by RFC 4880 §7
        errors, _ = OUTCOMES[case.name]
        assert errors <= ours_by_name[case.name], case.name


def test_agreement_is_measured() -> None:
    """The corpus is mostly agreed on: sectxt-valid files pass, sectxt-invalid ones are flagged."""
    agreed = sum(1 for n, (e, v) in OUTCOMES.items() if bool(e) == (v != "pass"))
    assert agreed >= len(CASES) - len(FAILS_SECTXT_VALID) - len(WARNS_SECTXT_VALID)
