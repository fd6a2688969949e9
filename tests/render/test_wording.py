"""Issue 13 items 3-5: one language per output, labels not keys, plurals, sentences not library internals."""

from __future__ import annotations

import re

import pytest

from tests.support.publish_samples import sample_report
from trustscan.core.catalog import LANGUAGES, load_catalog
from trustscan.core.validation_error import readable_validation_error
from trustscan.core.wording import NO_DECLARATION, count_summary, criterion_summary, evidence_label, reference
from trustscan.judge.ruleset import load_ruleset
from trustscan.render.formats import FORMATS, render

# Words that mark English prose; Vietnamese text may still name headers and values in code spans.
ENGLISH = re.compile(r"(?<![\w-])(the|is|are|not|and|with|of|to|was|could|this|that|has|no|yes|from|by|on|for|"
                     r"which|site|page|found|missing|passed|failed|warnings?|Decree)(?![\w-])")
VIETNAMESE = re.compile(r"[ăâêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
# What is not prose: code spans, placeholders, URLs, and (in English) Vietnamese quoted for the user to copy
# or a proper name (the search engine Cốc Cốc, as its own English pages write it).
NOT_PROSE = re.compile(r"`[^`]*`|\{[^}]*\}|https?://\S+")
QUOTED = re.compile(r"\"[^\"]*\"|\(đ\)|\bđ\b|Cốc Cốc")


def test_every_message_reads_in_its_own_language() -> None:
    """Every message of each catalogue, rendered, carries no prose of the other language."""
    vi, en = load_catalog("vi"), load_catalog("en")
    assert set(vi.messages) == set(en.messages)
    leaks = [(key, ENGLISH.findall(NOT_PROSE.sub("", vi.text(key)))) for key in vi.messages]
    assert [leak for leak in leaks if leak[1]] == []
    assert [key for key in en.messages if VIETNAMESE.search(QUOTED.sub("", NOT_PROSE.sub("", en.text(key))))] == []


def _long_texts(language: str) -> set[str]:
    """The other language's sentences to look for: those with no placeholder, long enough to be unique."""
    catalog, other = load_catalog(language), load_catalog("vi" if language == "en" else "en")
    return {text for key, text in catalog.messages.items()
            if "{" not in text and len(text) >= 16 and text != other.text(key)}


@pytest.mark.parametrize("scan_language", LANGUAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_format_rewords_the_report_in_the_language_asked_for(scan_language: str, language: str) -> None:
    report = sample_report(lang=scan_language)
    other = "en" if language == "vi" else "vi"
    for name in FORMATS:
        if name == "json":
            continue
        text = render(name, report, load_catalog(language), verbose=True)
        leaked = [sentence for sentence in _long_texts(other) if sentence in text]
        assert leaked == [], (name, leaked[:3])
    if language == "vi":
        html = render("html", report, load_catalog("vi"))
        assert "Decree" not in html and "Nghị định 137/2024/NĐ-CP" in html
        assert ">yes<" not in html and ">no<" not in html


def test_every_fact_a_rule_shows_has_a_label_in_both_languages() -> None:
    paths = set()
    for rule in load_ruleset().rules:
        paths.update(rule.check.reads + (rule.when.reads if rule.when else ()) + rule.observe)
    for language in LANGUAGES:
        catalog = load_catalog(language)
        missing = sorted(path for path in paths if evidence_label(path, catalog) == path)
        assert missing == [], f"add fact.<path> labels to rules/messages/{language}/evidence.yaml: {missing}"


def test_counts_say_one_warning_and_leave_out_zeros() -> None:
    en, vi = load_catalog("en"), load_catalog("vi")
    assert count_summary({"pass": 8, "warn": 1, "fail": 2, "error": 0, "skip": 1}, en) == \
        "2 failed, 1 warning, 8 passed, 1 not applicable"
    assert count_summary({"pass": 3, "warn": 2, "fail": 0, "error": 0, "skip": 0}, en) == "2 warnings, 3 passed"
    assert count_summary({"pass": 3, "warn": 1}, vi) == "1 cảnh báo, 3 đạt"
    assert criterion_summary("not_checked", None, en, requested=False) == "Not requested (--only)."
    assert criterion_summary("not_checked", None, en) == "Not checked by this version of trustscan."


def test_vietnamese_law_is_cited_by_its_vietnamese_name() -> None:
    vi = load_catalog("vi")
    assert reference("Decree 137/2024/ND-CP Art. 21(2)(a) and (3)", vi) == \
        "Nghị định 137/2024/NĐ-CP Điều 21 khoản 2 điểm a và khoản 3"
    assert reference("Decree 85/2016/ND-CP Art. 7-15 (security levels)", vi) == \
        "Nghị định 85/2016/NĐ-CP Điều 7–15 (cấp độ an toàn)"
    assert reference("RFC 9116 §2.5.3 (an English note with no translation)", vi) == "RFC 9116 §2.5.3"
    assert reference("Decree 137/2024/ND-CP Art. 21(2)(đ) (malware)", load_catalog("en")) == \
        "Decree 137/2024/ND-CP Art. 21(2)(đ) (malware)"


def test_every_shipped_reference_is_cited_without_english_in_vietnamese() -> None:
    """Each rule's citations, as a Vietnamese report prints them: no English word left between the names."""
    vi = load_catalog("vi")
    cited = {ref for rule in load_ruleset().rules for ref in rule.references}
    leaks = {ref: reference(ref, vi) for ref in cited if ENGLISH.findall(NOT_PROSE.sub("", reference(ref, vi)))}
    assert leaks == {}
    assert reference("Decree 13/2023/ND-CP on personal data protection", vi) == \
        "Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân"


@pytest.mark.parametrize(("raw", "expected"), [
    ("validation failed: invalid extension: 2.5.29.35: Certificate is missing required extension "
     "(encountered processing <Certificate(subject=<Name(O=Test CA,CN=broken.test)>, ...)>)",
     "a certificate lacks the required authority key identifier extension (2.5.29.35) (certificate O=Test CA,"
     "CN=broken.test)"),
    ('validation failed: Other("unsupported signature algorithm: AlgorithmIdentifier { oid: DefinedByMarker('
     'PhantomData<cryptography_x509::common::AlgorithmParameters>), params: RsaWithSha1(Some(())) }") '
     "(encountered processing <Certificate(subject=<Name(CN=sha1.test)>, ...)>)",
     "a certificate in the chain is signed with SHA-1, which is no longer accepted (certificate CN=sha1.test)"),
    ('validation failed: candidates exhausted: Other("unknown issuer")', "no path to a trusted root: unknown issuer"),
    ("unable to get local issuer certificate", "unable to get local issuer certificate"),  # already words: kept
    (None, None),
])
def test_certificate_errors_are_sentences(raw: str | None, expected: str | None) -> None:
    text = readable_validation_error(raw)
    assert text == expected
    assert text is None or not re.search(r"<\w+\(|\w+ \{|PhantomData|Some\(", text)


def test_reports_from_before_are_reworded_too() -> None:
    """A stored report with the old raw certificate error, and the missing-declaration reason, read as sentences."""
    report = sample_report(lang="en")
    verdict = next(v for v in report["verdicts"] if v["rule_id"] == "a.declaration.present")
    verdict.update(status="skip", message_id="verdict.probe_skipped", error=f"declaration: {NO_DECLARATION}")
    del verdict["error_wording"]  # made before errors carried their wording
    report["verdicts"].append({
        "rule_id": "c.cert.trusted", "criterion": "c", "status": "fail", "severity": "critical",
        "title": "x", "message_id": "c.cert.trusted.fail", "message": "x", "fix": "x", "error": None,
        "references": [], "evidence_class": "verified",
        "observed": {"tls.certificate.validation_error": "validation failed: invalid extension: 2.5.29.35: Certificate "
                     "is missing required extension (encountered processing <Certificate(subject=<Name(CN=a)>, ...)>)"},
    })
    for name in ("console", "html", "markdown"):
        text = render(name, report, load_catalog("vi"), verbose=True)
        assert "chưa có bản tự khai" in text and "no declaration supplied" not in text, name
        assert "<Certificate(" not in text and "&lt;Certificate(" not in text, name


def test_the_missing_declarations_english_is_the_catalogues() -> None:
    """The declaration probe gives its reason's English as text (no catalogue load per audit): it must not drift."""
    assert load_catalog("en").text("error.no_declaration") == NO_DECLARATION


def test_the_words_between_a_records_values_are_the_catalogues() -> None:
    """format_value without a catalogue (plain text) uses the same English as the catalogue's `value.*`."""
    from trustscan.core.catalog import _GLUE

    assert {key: load_catalog("en").messages[key] for key in _GLUE} == _GLUE
    assert load_catalog("vi").value({"is_policy": False, "score": 2, "needed": 8, "heading_terms": []}) == \
        "2 từ ngữ về chính sách (cần 8), tiêu đề: —"
