"""No renderer fails on a schema-valid report (issue 9, item 4): a property over documents drawn from the schema.

Every output format, the HTML page (plain and signed), the badge in its three forms, the CLI's
`verify` lines and the diff view get reports generated from `reports/schema/report.schema.json`
itself (tests/support/schema_documents.py), hostile strings included. The schema is what a report
file is checked against before anything renders it, so whatever it lets through must render.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.schema_documents import documents
from trustscan.core.catalog import load_catalog
from trustscan.core.errors import DocumentError
from trustscan.publish.attestation import Document, envelope_bytes, parse_document, sign_report
from trustscan.render.badge import embed_html, render_svg, shields_endpoint, summarise
from trustscan.render.formats import FORMATS
from trustscan.render.formats.diffview import render_diff
from trustscan.render.formats.html import declarant, render_document
from trustscan.report.diff import diff_reports
from trustscan.report.schema import check_report, report_schema

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
REPORTS = documents(report_schema())
QUICK = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


@cache
def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _render_everything(document: Document, lang: str) -> None:
    catalog = load_catalog(lang)
    report = document.report
    for name in FORMATS:
        for verbose in (False, True):
            assert isinstance(FORMATS[name](report, catalog, verbose=verbose), str)
    assert "<html" in render_document(document, catalog, now=NOW)
    summary = summarise(document, catalog, now=NOW)
    svg = render_svg(summary)
    shields_endpoint(summary)
    embed_html(summary, svg, report_url="https://example.vn/report.html", digest="0" * 64, catalog=catalog)
    declarant(report)


@QUICK
@given(REPORTS, st.sampled_from(["vi", "en"]))
def test_every_renderer_takes_any_schema_valid_report(report: dict[str, Any], lang: str) -> None:
    assert check_report(report) == report  # the generator and the validator agree
    _render_everything(Document(report), lang)


@QUICK
@given(REPORTS)
def test_a_signed_schema_valid_report_renders_too(report: dict[str, Any]) -> None:
    try:
        envelope = sign_report(report, _key(), now=NOW)
    except DocumentError as refused:  # e.g. an integer RFC 8785 cannot carry exactly: refused in words
        assert "canonicalised" in str(refused)
        return
    _render_everything(parse_document(envelope_bytes(envelope)), "en")


@QUICK
@given(REPORTS, REPORTS, st.sampled_from(["console", "json"]))
def test_any_two_schema_valid_reports_diff(old: dict[str, Any], new: dict[str, Any], output: str) -> None:
    assert isinstance(render_diff(diff_reports(old, new), load_catalog("en"), output), str)
