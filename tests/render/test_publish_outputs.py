"""Badge and HTML report rendering, from reports built in code (no I/O): wording, counting, escaping."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.support.publish_samples import SCAN_TIME, sample_report
from trustscan.core.catalog import load_catalog
from trustscan.publish.attestation import Document, envelope_bytes, parse_document, sign_report
from trustscan.publish.keys import generate_key_pair
from trustscan.render.badge import embed_html, render_svg, shields_endpoint, summarise
from trustscan.render.formats import FORMATS
from trustscan.render.formats.html import render_document
from trustscan.render.textwidth import text_width
from trustscan.report.schema import check_report, report_schema

NOW = SCAN_TIME + timedelta(hours=1)
PAYLOADS = ("<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>", "'><svg onload=alert(3)>",
            "</title><script>alert(4)</script>", "javascript:alert(5)")
SVG = "{http://www.w3.org/2000/svg}"
DECLARATION = {
    "schema_version": "1.0", "organisation": "Sở TT&TT", "system": "Cổng", "sites": ["cổng.example.gov.vn"],
    "security_level": 3, "approval": {"number": "12/QĐ", "date": "2025-01-02", "issuer": "UBND"},
    "last_assessment": "2025-06-01", "security_contact": "mailto:a@b.vn", "evidence_class": "declared",
    "privacy_commitment": {"statement": "Chỉ với sự đồng ý", "signed_by": "Giám đốc", "signed_on": "2025-06-01"},
}


def signed_document(report: dict[str, Any] | None = None, *, now=NOW) -> Document:  # type: ignore[no-untyped-def]
    envelope = sign_report(report or sample_report(), generate_key_pair(), now=now)
    return parse_document(envelope_bytes(envelope))


def poisoned(report: Any, payload: str, schema: dict[str, Any] | None = None) -> Any:
    """Every free-text string of the report + payload, the report staying valid by the schema.

    A string the schema constrains (an enum, a const, a pattern such as the rule id or the ASCII host,
    a date) keeps its value; every other string, and every string inside free-form objects (a
    verdict's `observed`, a probe's `data`), gets the payload: schema-valid hostile values.
    """
    root = report_schema()
    schema = root if schema is None else schema
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    if isinstance(report, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", {})
        free = not properties and not isinstance(extra, dict | bool)
        keep = {"message_id"}  # the catalogue key of the wording, not text from the site
        return {key: value if key in keep else
                poisoned(value, payload, {} if free else properties.get(key, extra if isinstance(extra, dict) else {}))
                for key, value in report.items()}
    if isinstance(report, list):
        return [poisoned(item, payload, schema.get("items", {})) for item in report]
    constrained = any(word in schema for word in ("enum", "const", "pattern", "format"))
    return report + payload if isinstance(report, str) and not constrained else report


class ActiveContent(HTMLParser):
    """Collects every element or attribute that could run code or load something.

    The one exception is the report's own signature check: reports/templates/verify.js verbatim, and
    the two data blocks it reads (JSON and text, which browsers never run).
    """

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            known = dict(attrs) in ({"type": "application/json", "id": "trustscan-envelope"},
                                    {"type": "text/plain", "id": "trustscan-public-key"})
            self._script = "data" if known else "" if not attrs else None
            if self._script is None:
                self.found.append("script")
            return
        if tag in ("img", "iframe", "object", "embed", "link", "base", "form", "image", "foreignobject"):
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (name in ("href", "src", "xlink:href", "action")
                                         and value and not value.startswith(("#", "data:image/svg+xml"))):
                self.found.append(f"{tag}[{name}={value}]")


    def handle_data(self, data: str) -> None:
        if self._script not in (None, "data"):
            self._script = (self._script or "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script not in (None, "data") and self._script != VERIFY_SCRIPT:
            self.found.append("script (not verify.js)")
        if tag == "script":
            self._script = None


VERIFY_SCRIPT = (Path(__file__).parents[2] / "reports" / "templates" / "verify.js").read_text(encoding="utf-8")


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


# --- width ------------------------------------------------------------------------------------------

def test_vietnamese_diacritics_take_the_width_of_their_base_letter() -> None:
    assert text_width("Tín nhiệm mạng") == text_width("Tin nhiem mang")
    assert text_width("không đạt") == text_width("khong dat")
    assert text_width("Tín nhiệm mạng") == text_width("Ti\u0301n nhie\u0323\u0302m ma\u0323ng")  # NFD input
    assert text_width("không đạt") > text_width("đạt") > 0
    assert text_width("WWW") > text_width("iii")


# --- badge ------------------------------------------------------------------------------------------

def test_badge_counts_only_passing_criteria_and_says_what_was_not_checked() -> None:
    report = sample_report()
    for criterion in report["criteria"].values():
        criterion["status"] = "not_checked"
    report["criteria"]["c"]["status"] = report["criteria"]["e"]["status"] = "pass"
    report["criteria"]["a"]["status"] = "manual"
    report["overall"] = "pass"
    summary = summarise(signed_document(report), load_catalog("vi"), now=NOW)
    assert (summary.met, summary.total, summary.not_checked, summary.declared_only) == (2, 6, 3, 1)
    assert summary.message == ("đạt · 2/6 tiêu chí đạt · 3 chưa kiểm tra · 1 chờ chủ quản tự khai · quét 2026-03-01"
                               " · hạn 2026-05-30")
    endpoint = json.loads(shields_endpoint(summary))
    assert endpoint == {"schemaVersion": 1, "label": "Tín nhiệm mạng", "message": summary.message,
                        "color": "brightgreen"}


@pytest.mark.parametrize(("overall", "lang", "result", "colour"), [
    ("pass", "vi", "đạt", "#4c1"), ("fail", "vi", "không đạt", "#e05d44"), ("error", "en", "incomplete", "#fe7d37"),
    ("fail", "en", "fail", "#e05d44"),
])
def test_badge_result_and_colour(overall: str, lang: str, result: str, colour: str) -> None:
    report = sample_report()
    report["overall"] = overall
    svg = render_svg(summarise(signed_document(report), load_catalog(lang), now=NOW))
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert result in texts and ("Tín nhiệm mạng" if lang == "vi" else "Network trust") in texts
    assert colour in [r.get("fill") for r in root.iter(f"{SVG}rect")]


def test_expired_badge_is_grey_whatever_it_said() -> None:
    document = signed_document()
    summary = summarise(document, load_catalog("vi"), now=NOW + timedelta(days=91))
    assert summary.state == "expired" and summary.result == "hết hạn"
    assert "#9f9f9f" in render_svg(summary)
    assert json.loads(shields_endpoint(summary))["color"] == "lightgrey"


def test_badge_width_follows_the_text() -> None:
    catalog = load_catalog("vi")
    summary = summarise(signed_document(), catalog, now=NOW)
    root = ET.fromstring(render_svg(summary))
    width = float(root.get("width"))
    segments = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("x") is not None]
    assert width == pytest.approx(sum(segments), abs=0.2)
    expected = sum(text_width(t) + 12 for t in (summary.label, summary.result, summary.details))
    assert width == pytest.approx(expected, abs=0.5)
    text_lengths = [float(t.get("textLength")) for t in root.iter(f"{SVG}text")]
    assert text_width("Tín nhiệm mạng") in text_lengths


def test_badge_escapes_report_values() -> None:
    report = sample_report()
    report["finished_at"] = "<script>alert(1)</script>"  # a hand-edited, unsigned report
    svg = render_svg(summarise(Document(report), load_catalog("en"), now=NOW))
    ET.fromstring(svg)  # still well-formed XML
    assert "<script" not in svg and "&lt;script&gt;" in svg


def test_embed_links_the_badge_to_the_report_and_states_the_digest() -> None:
    document = signed_document()
    catalog = load_catalog("en")
    summary = summarise(document, catalog, now=NOW)
    snippet = embed_html(summary, render_svg(summary), report_url="https://example.gov.vn/tnm/report.html",
                         digest=document.digest or "", catalog=catalog)
    assert 'href="https://example.gov.vn/tnm/report.html"' in snippet
    assert f"SHA-256 of the signed declaration: {document.digest}" in snippet
    assert 'src="data:image/svg+xml;base64,' in snippet
    for bad in ("javascript:alert(1)", "data:text/html,x", "https://x.vn/\" onmouseover=\"alert(1)"):
        with pytest.raises(ValueError):
            embed_html(summary, "", report_url=bad, digest="0", catalog=catalog)


# --- HTML report ------------------------------------------------------------------------------------

def test_html_is_one_self_contained_printable_phone_friendly_page() -> None:
    html = render_document(signed_document(), load_catalog("vi"), now=NOW)
    assert html.startswith("<!doctype html>") and '<html lang="vi" ' in html
    assert 'name="viewport"' in html and "@media print" in html and "@media (max-width" in html
    assert active_content(html) == []
    assert not re.search(r"(?i)@import|url\(\s*['\"]?(?:https?:)?//|<link|<script|https?://[^\s<\"]*\.(?:css|js|woff2?)",
                         html)


def test_html_has_every_criterion_with_its_legal_text_and_the_verification_recipe() -> None:
    document = signed_document()
    catalog = load_catalog("vi")
    html = render_document(document, catalog, now=NOW)
    for criterion in ("a", "b", "c", "d", "dd", "e"):
        assert f'id="criterion-{criterion}"' in html
        assert catalog.text(f"criterion.{criterion}.legal").replace("'", "&#39;") in html
    assert "<h2>đ) " in html
    assert document.digest and f"sha256:{document.digest}" in html
    assert "openssl pkeyutl -verify -pubin -inkey public.pem -rawin -in pae.bin -sigfile sig.bin" in html
    assert document.report["tool"]["ruleset_digest"] in html
    assert "Báo cáo tín nhiệm mạng" in html and "Hiệu lực đến" in html


def test_html_rewords_verdicts_in_the_requested_language() -> None:
    report = sample_report(lang="vi", contacts=[], invalid_contacts=["not-a-uri"])
    html = render_document(Document(report), load_catalog("en"), now=NOW)
    assert '<html lang="en" ' in html and "Network trust report" in html
    assert "not-a-uri" in html and "How to fix" in html
    assert "This report is not signed" in html


def test_html_shows_evidence_class_and_declaration_when_present() -> None:
    report = sample_report()
    report["criteria"]["a"]["evidence_class"] = "declared"
    report["declaration"] = {"organisation": "Sở Thông tin và Truyền thông <b>X</b>", "security_level": 3,
                             "approval": {"number": "12/QĐ", "date": "2025-01-02", "issuer": "UBND"},
                             "evidence_class": "declared"}
    html = render_document(Document(report), load_catalog("vi"), now=NOW)
    assert "Loại bằng chứng: tự khai" in html
    assert "Sở Thông tin và Truyền thông &lt;b&gt;X&lt;/b&gt;" in html and "Số quyết định phê duyệt" in html
    assert "approval.number" not in html  # fields by their labels, not dotted keys


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_hostile_values_everywhere_stay_text(payload: str, lang: str) -> None:
    report = poisoned(sample_report(contacts=[f"https://x.vn/{payload}"], invalid_contacts=[payload]), payload)
    report["declaration"] = poisoned(DECLARATION, payload, {"$ref": "#/$defs/declaration"})
    report["criteria"]["c"]["evidence_class"] = "declared"
    assert check_report(report) == report  # hostile, yet a report: the schema is no excuse to skip escaping
    html = render_document(signed_document(report), load_catalog(lang), now=NOW)
    assert active_content(html) == []
    assert "alert(" in html  # the payload is shown, as text
    assert payload not in html or "<" not in payload and '"' not in payload and "'" not in payload
    for fmt in ("html",):
        assert active_content(FORMATS[fmt](report, load_catalog(lang))) == []
