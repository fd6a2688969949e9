"""Issue 13 items 3-5: one language per output, labels not keys, plurals, sentences not library internals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.publish_samples import sample_report
from trustscan.core.catalog import LANGUAGES, format_value, load_catalog
from trustscan.core.validation_error import readable_validation_error, validation_error_wording
from trustscan.core.wording import NO_DECLARATION, count_summary, criterion_summary, evidence_label, reference
from trustscan.judge.ruleset import load_ruleset
from trustscan.render.formats import FORMATS, render
from trustscan.report.localise import localise_verdict

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
    ('validation failed: candidates exhausted: Other("unknown issuer")',
     "no path to a trusted root: the certificate verifier reported: `unknown issuer`"),
    ("a certificate lacks the required key usage extension (2.5.29.15)",  # a sentence of an older report: kept
     "a certificate lacks the required key usage extension (2.5.29.15)"),
    (None, None),
])
def test_certificate_errors_are_sentences(raw: str | None, expected: str | None) -> None:
    text = readable_validation_error(raw)
    assert text == expected
    assert text is None or not re.search(r"<\w+\(|\w+ \{|PhantomData|Some\(", text)
    assert readable_validation_error(text) == text  # said again (an older report re-rendered): unchanged


_SUBJECT = " (encountered processing <Certificate(subject=<Name(O=trustscan local test CA,CN=x.test)>, ...)>)"


@pytest.mark.parametrize(("raw", "english", "vietnamese"), [
    # What cryptography's X.509 verifier says (its strings in the installed _rust.abi3.so), as the world's
    # expired, nochain and wronghost sites and the other ways a chain fails.
    ("validation failed: cert is not valid at validation time" + _SUBJECT,
     "a certificate is outside its validity period (expired, or not yet valid) (certificate O=trustscan local "
     "test CA,CN=x.test)",
     "một chứng thư nằm ngoài thời hạn hiệu lực (đã hết hạn hoặc chưa đến ngày hiệu lực) (chứng thư O=trustscan "
     "local test CA,CN=x.test)"),
    ("validation failed: candidates exhausted: all candidates exhausted with no interior errors",
     "no path to a trusted root: the issuer of a certificate is neither among the certificates the server sent nor "
     "a trusted root (an intermediate certificate is missing, or the root is not trusted)",
     "không có đường dẫn tới một gốc tin cậy: bên cấp của một chứng thư không có trong các chứng thư máy chủ gửi "
     "và cũng không phải một gốc tin cậy (thiếu chứng thư trung gian, hoặc gốc không được tin cậy)"),
    ("validation failed: leaf certificate has no matching subjectAltName" + _SUBJECT,
     "none of the names in the site's certificate (subjectAltName) is the site's name (certificate O=trustscan "
     "local test CA,CN=x.test)",
     "không tên nào trong chứng thư của trang (subjectAltName) trùng với tên của trang (chứng thư O=trustscan "
     "local test CA,CN=x.test)"),
    ("validation failed: candidates exhausted: signature does not match",
     "no path to a trusted root: a certificate's signature does not verify with its issuer's key",
     "không có đường dẫn tới một gốc tin cậy: chữ ký của một chứng thư không khớp với khóa của bên cấp"),
    ("validation failed: candidates exhausted: RSA key is too weak",
     "no path to a trusted root: an issuing certificate has an RSA key shorter than 2048 bits",
     "không có đường dẫn tới một gốc tin cậy: một chứng thư cấp phát có khóa RSA ngắn hơn 2048 bit"),
    ("validation failed: candidates exhausted: path length constraint violated",
     "no path to a trusted root: the chain is longer than an issuing certificate allows (path length constraint)",
     "không có đường dẫn tới một gốc tin cậy: chuỗi dài hơn mức một chứng thư cấp phát cho phép (ràng buộc độ dài "
     "đường dẫn)"),
    ("validation failed: candidates exhausted: basicConstraints.cA must be asserted in a CA certificate",
     "no path to a trusted root: an issuing certificate is not marked as a CA certificate",
     "không có đường dẫn tới một gốc tin cậy: một chứng thư cấp phát không được đánh dấu là chứng thư CA"),
    ("validation failed: candidates exhausted: missing required extension: CA certificate has no basicConstraints",
     "no path to a trusted root: a certificate lacks the required basic constraints extension (2.5.29.19)",
     "không có đường dẫn tới một gốc tin cậy: một chứng thư thiếu phần mở rộng bắt buộc ràng buộc cơ bản "
     "(2.5.29.19)"),
    ("validation failed: required EKU not found" + _SUBJECT,
     "a certificate is not allowed for TLS servers (its extended key usage lacks serverAuth) (certificate "
     "O=trustscan local test CA,CN=x.test)",
     "một chứng thư không được phép dùng cho máy chủ TLS (mục đích sử dụng khóa mở rộng thiếu serverAuth) "
     "(chứng thư O=trustscan local test CA,CN=x.test)"),
    ("validation failed: basicConstraints.cA must not be asserted in an EE certificate",
     "the site's certificate is marked as a CA certificate", "chứng thư của trang được đánh dấu là chứng thư CA"),
    ("validation failed: invalid extension: 2.5.29.17: Certificate extension has incorrect criticality",
     "the subject alternative name extension is invalid: an extension is marked critical when it must not be, or "
     "the reverse",
     "phần mở rộng tên thay thế của chủ thể không hợp lệ: một phần mở rộng được đánh dấu quan trọng (critical) khi "
     "không được phép, hoặc ngược lại"),
    ("validation failed: invalid extension: 2.5.29.15: duplicate extension",
     "the key usage extension is invalid: a certificate carries the same extension twice",
     "phần mở rộng mục đích sử dụng khóa không hợp lệ: một chứng thư mang cùng một phần mở rộng hai lần"),
    ("validation failed: certificate contains unaccounted-for critical extensions: 1.2.3.4",
     "a certificate carries a critical extension the verifier does not know (1.2.3.4)",
     "một chứng thư mang phần mở rộng quan trọng (critical) mà bộ kiểm tra không biết (1.2.3.4)"),
    ("validation failed: candidates exhausted: unsatisfiable DNS name constraint: malformed SAN a..b`c",
     "no path to a trusted root: a name in the certificate is malformed: `a..b'c`",
     "không có đường dẫn tới một gốc tin cậy: một tên trong chứng thư sai định dạng: `a..b'c`"),
    ("validation failed: candidates exhausted: excluded name constraint matched SAN",
     "no path to a trusted root: a name in the certificate is one its issuer must not certify (name constraints)",
     "không có đường dẫn tới một gốc tin cậy: một tên trong chứng thư thuộc phạm vi bên cấp bị cấm chứng nhận "
     "(ràng buộc tên)"),
    ("validation failed: fatal error: Exceeded maximum name constraint check limit",
     "building the chain took more checks than the verifier allows (too many candidate certificates or name "
     "constraints)",
     "việc dựng chuỗi cần nhiều phép kiểm tra hơn mức bộ kiểm tra cho phép (quá nhiều chứng thư ứng viên hoặc ràng "
     "buộc tên)"),
    ("validation failed: candidates exhausted: Forbidden public key algorithm: AlgorithmIdentifier { oid: "
     "DefinedByMarker(PhantomData<cryptography_x509::common::AlgorithmParameters>), params: Dsa(None) }",
     "no path to a trusted root: a certificate in the chain uses a public key algorithm that is not accepted",
     "không có đường dẫn tới một gốc tin cậy: một chứng thư trong chuỗi dùng thuật toán khóa công khai không được "
     "chấp nhận"),
    ("validation failed: ASN.1 parsing error: invalid length",
     "a certificate in the chain is malformed and cannot be read",
     "một chứng thư trong chuỗi sai cấu trúc, không đọc được"),
    ("unable to get local issuer certificate",  # OpenSSL's words, in reports of older sslyze versions
     "the issuer of a certificate is neither among the certificates the server sent nor a trusted root (an "
     "intermediate certificate is missing, or the root is not trusted)",
     "bên cấp của một chứng thư không có trong các chứng thư máy chủ gửi và cũng không phải một gốc tin cậy "
     "(thiếu chứng thư trung gian, hoặc gốc không được tin cậy)"),
    # A message trustscan does not know: a generic sentence, the verifier's words in a code span.
    ("validation failed: something the verifier says one day",
     "the certificate verifier reported: `something the verifier says one day`",
     "bộ kiểm tra chứng thư báo: `something the verifier says one day`"),
])
def test_the_verifiers_messages_are_sentences_in_both_languages(raw: str, english: str, vietnamese: str) -> None:
    wording = validation_error_wording(raw)
    assert wording is not None
    assert load_catalog("en").say(wording) == english
    said = load_catalog("vi").say(wording)
    assert said == vietnamese
    assert ENGLISH.findall(NOT_PROSE.sub("", said)) == []  # not a word of English outside the code spans


def test_every_message_of_the_installed_verifier_is_known() -> None:
    """Each message cryptography's verifier can give, as compiled into the installed cryptography, has a sentence.

    The messages are read from the binary itself, so an upgrade that rewords one (or adds one of these) fails here
    rather than leaking English into Vietnamese reports.
    """
    binary = _verifier_binary()
    present = [message for message in _VERIFIER_STRINGS if message.encode() in binary]  # this version's
    assert len(present) >= 30, "cryptography's verifier no longer says these: collect its messages again"
    for message in present:
        wording = validation_error_wording(f"validation failed: {message}")
        assert wording is not None and "cert.validation.reported" not in wording.ids(), message


#: The verifier's messages, as written in cryptography-x509-verification (lib.rs, policy/mod.rs, policy/extension.rs).
_VERIFIER_STRINGS = (
    "cert is not valid at validation time", "all candidates exhausted with no interior errors",
    "leaf certificate has no matching subjectAltName", "RSA key is too weak", "issuer has malformed public key",
    "signature does not match", "path length constraint violated", "chain construction exceeds max depth",
    "current depth calculation overflowed", "Exceeded maximum name constraint check limit",
    "Exceeded maximum signature check limit", "certificate must be an X509v3 certificate",
    "mismatch between signatureAlgorithm and SPKI algorithm", "certificate must have a serial between 1 and 20 octets",
    "certificate serial number cannot be negative", "certificate must have a non-empty Issuer",
    "validity dates between 1950 and 2049 must be UtcTime",
    "basicConstraints.cA must not be asserted in an EE certificate",
    "basicConstraints.cA must be asserted in a CA certificate",
    "EE subjectAltName MUST be critical when subject is empty",
    "EE subjectAltName MUST NOT be critical when subject is nonempty", "required EKU not found",
    "EE keyUsage must not assert keyCertSign", "keyUsage.keyCertSign must be asserted in a CA certificate",
    "authorityKeyIdentifier must contain keyIdentifier", "authorityKeyIdentifier must not contain authorityCertIssuer",
    "nameConstraints must have non-empty permittedSubtrees or excludedSubtrees",
    "no permitted name constraints matched SAN", "excluded name constraint matched SAN",
    "unsupported name constraint", "certificate contains unaccounted-for critical extensions",
    "Certificate contains prohibited extension", "Certificate extension has incorrect criticality",
    "duplicate extension", "missing required extension: CA certificate has no basicConstraints",
)


def _verifier_binary() -> bytes:
    import cryptography.hazmat.bindings as bindings

    (binary,) = Path(bindings.__file__).parent.glob("_rust*.so")
    return binary.read_bytes()


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


@pytest.mark.parametrize(("record", "english", "vietnamese"), [
    ({"subject": "CN=a.test", "issuer": "CN=CA", "not_after": "2027-03-01T00:00:00Z", "signature_hash": "sha256"},
     "CN=a.test (issued by CN=CA, valid until 2027-03-01T00:00:00Z, signed with sha256)",
     "CN=a.test (cấp bởi CN=CA, hiệu lực đến 2027-03-01T00:00:00Z, ký bằng sha256)"),
    ({"name": "PHPSESSID", "missing": ["Secure", "HttpOnly"]},
     "PHPSESSID (missing Secure, HttpOnly)", "PHPSESSID (thiếu Secure, HttpOnly)"),
    ({"path": "/.git/HEAD", "status": 200, "evidence": "ref: refs/heads/main"},
     "/.git/HEAD → 200: ref: refs/heads/main", "/.git/HEAD → 200: ref: refs/heads/main"),
    ({"header": "server", "value": "nginx/1.22.1"}, "server: nginx/1.22.1", "server: nginx/1.22.1"),
    ({"name": "Cookiebot", "page": "https://a.test/"}, "Cookiebot @ https://a.test/", "Cookiebot @ https://a.test/"),
    ({"page": "https://a.test/", "kind": "redirect", "only_seen_by": "Googlebot", "what": ["HTTP 302 to b.test"]},
     "redirect @ https://a.test/: HTTP 302 to b.test (seen only by Googlebot)",
     "redirect @ https://a.test/: HTTP 302 to b.test (chỉ hiển thị cho Googlebot)"),
    ({"page": "https://a.test/", "kind": "links", "only_seen_by": "plain visitors", "hidden_from": "Googlebot",
      "what": ["x.test"]},
     "links @ https://a.test/: x.test (seen only by plain visitors; hidden from Googlebot)",
     "links @ https://a.test/: x.test (chỉ hiển thị cho plain visitors; bị ẩn với Googlebot)"),
    ({"name": "file:list.txt", "source": "/l.txt", "origin": "file", "imported_at": "2026-12-01T00:00:00Z",
      "age_days": 0.0, "sha256": "ab" * 32, "entries": 12, "rejected_lines": 0, "format": "text"},
     "file:list.txt: 12 entries, imported 2026-12-01T00:00:00Z",
     "file:list.txt: 12 mục, nhập lúc 2026-12-01T00:00:00Z"),
    # No shape of its own: each field with its label; a key without a label stays as it is. A DNSBL lookup
    # (blocklist.dnsbl_lookups, dnsbl_matches: the world runs no DNSBL, so it is here) and the exposure baseline.
    ({"zone": "bl.test", "subject": "a.test", "query": "a.test.bl.test", "listed": True, "answer": ["127.0.0.2"],
      "error": None},
     "list zone: bl.test; subject: a.test; query: a.test.bl.test; listed: yes; answer: 127.0.0.2; error: —",
     "vùng danh sách: bl.test; chủ thể: a.test; truy vấn: a.test.bl.test; có trong danh sách: có; "
     "câu trả lời: 127.0.0.2; lỗi: —"),
    ({"path": "/x", "status": 404, "length": 146, "catch_all": False, "brand_new": 1},
     "path: /x; status: 404; length (bytes): 146; answers every path: no; brand_new: 1",
     "đường dẫn: /x; mã trạng thái: 404; độ dài (byte): 146; trả lời mọi đường dẫn: không; brand_new: 1"),
])
def test_records_read_as_labelled_text_in_the_catalogues_language(record: dict[str, object], english: str,
                                                                  vietnamese: str) -> None:
    assert load_catalog("en").value(record) == english
    assert load_catalog("vi").value(record) == vietnamese


def test_a_records_worded_field_and_nested_records_are_said_in_the_language_asked_for() -> None:
    """`X_wording` beside a field of a record (also of a record inside one) says X in the catalogue's language."""
    error = {"id": "error.cause.refused", "values": {}}
    record = {"path": "/x", "status": None, "error": "connection refused", "error_wording": error}
    vi = load_catalog("vi")
    assert vi.value(record) == f"đường dẫn: /x; mã trạng thái: —; lỗi: {vi.text('error.cause.refused')}"
    assert format_value(record) == "path: /x; status: —; error: connection refused"  # no catalogue: its words
    nested = {"zone": "bl.test", "inner": record}
    assert vi.text("error.cause.refused") in vi.value(nested) and "_wording" not in vi.value(nested)


def test_a_rule_message_says_its_records_in_its_language() -> None:
    vi = load_catalog("vi")
    cookies = [{"name": "PHPSESSID", "missing": ["Secure", "HttpOnly", "SameSite"]}]
    text = vi.text("a.cookies.session_flags.fail", {"https.weak_session_cookies": cookies})
    assert "PHPSESSID (thiếu Secure, HttpOnly, SameSite)" in text and "name=" not in text and "missing" not in text


def test_a_verifier_message_an_older_report_quoted_is_said_when_rendered_again() -> None:
    """A report whose wording quotes the verifier (`cert.validation.reported`, before trustscan knew the message)
    reads as a sentence in `report --lang vi`; a message still unknown stays quoted."""
    def stored(detail: str) -> dict[str, object]:
        return {"id": "cert.validation.of_certificate", "values": {
            "reason": {"id": "cert.validation.reported", "values": {"detail": detail}}, "subject": "CN=x.test"}}

    verdict = {"rule_id": "c.cert.trusted", "criterion": "c", "status": "fail", "message_id": "c.cert.trusted.fail",
               "message": "x", "observed": {"tls.certificate.validation_error": "cert is not valid at validation time",
                                            "tls.certificate.validation_error_wording":
                                                stored("cert is not valid at validation time")}}
    said = localise_verdict(verdict, load_catalog("vi"))
    assert said["observed"]["tls.certificate.validation_error"] == \
        "một chứng thư nằm ngoài thời hạn hiệu lực (đã hết hạn hoặc chưa đến ngày hiệu lực) (chứng thư CN=x.test)"
    assert "nằm ngoài thời hạn hiệu lực" in said["message"]
    verdict["observed"]["tls.certificate.validation_error_wording"] = stored("a message of tomorrow")
    assert localise_verdict(verdict, load_catalog("vi"))["observed"]["tls.certificate.validation_error"] == \
        "bộ kiểm tra chứng thư báo: `a message of tomorrow` (chứng thư CN=x.test)"
