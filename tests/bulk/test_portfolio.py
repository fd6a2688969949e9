"""Portfolio files: text and CSV forms, bad lines reported with their numbers and skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustscan.bulk.portfolio import load_portfolio, parse_csv, parse_text
from trustscan.core.errors import PortfolioError


def test_text_portfolio_keeps_good_lines_and_reports_bad_ones() -> None:
    text = (
        "# ministry sites\n"
        "moh.gov.vn\n"
        "\n"
        "https://portal.example.gov.vn:8443/  # the portal\n"
        "not a host\n"
        "MOH.gov.vn.\n"
        "bộ-công-an.vn\n"
        "xn--b-cng-an-63a1467e.vn\n"
        "localhostish\n"
    )
    portfolio = parse_text(text)
    assert [(e.line, e.key) for e in portfolio.entries] == [
        (2, "moh.gov.vn:443"), (4, "portal.example.gov.vn:8443"), (7, "xn--b-cng-an-63a1467e.vn:443")]
    problems = {p.line: p.reason for p in portfolio.problems}
    assert problems[3] == "empty line"
    assert "invalid target" in problems[5]
    assert problems[6] == "duplicate of line 2"  # same host, other spelling
    assert problems[8] == "duplicate of line 7"  # the IDN in its punycode form
    assert "not a fully qualified host name" in problems[9]
    assert set(problems) == {3, 5, 6, 8, 9}


def test_csv_portfolio_reads_labels_and_tags() -> None:
    text = (
        "Organisation,Unit,Target,Owner,Tags\n"
        "Bộ Y tế,Cục CNTT,moh.gov.vn,Nguyễn Văn A,portal; public\n"
        "Bộ Y tế,,bad_host!,,\n"
        ",,,,\n"
        "Bộ Tài chính,Vụ Pháp chế,mof.gov.vn:8443,,\n"
        "Bộ Y tế,Cục CNTT,moh.gov.vn,,\n"
    )
    portfolio = parse_csv(text)
    first, second = portfolio.entries
    assert (first.organisation, first.unit, first.owner, first.tags) == ("Bộ Y tế", "Cục CNTT", "Nguyễn Văn A",
                                                                        ("portal", "public"))
    assert (second.key, second.line, second.organisation) == ("mof.gov.vn:8443", 5, "Bộ Tài chính")
    problems = {p.line: p.reason for p in portfolio.problems}
    assert "invalid" in problems[3]
    assert problems[4] == "empty line"
    assert problems[6] == "duplicate of line 2"


def test_csv_without_a_target_column_is_refused() -> None:
    with pytest.raises(PortfolioError, match="no target column"):
        parse_csv("organisation,unit\nA,B\n")


def test_load_portfolio_picks_the_form_by_extension_and_strips_a_bom(tmp_path: Path) -> None:
    csv_file = tmp_path / "sites.CSV"
    csv_file.write_bytes("\ufeffhost,org\nmoh.gov.vn,Bộ Y tế\n".encode())
    portfolio = load_portfolio(csv_file)
    assert [(e.key, e.organisation) for e in portfolio.entries] == [("moh.gov.vn:443", "Bộ Y tế")]
    assert len(portfolio.digest) == 64
    text_file = tmp_path / "sites.txt"
    text_file.write_text("host,org\nmoh.gov.vn\n", encoding="utf-8")
    assert [p.line for p in load_portfolio(text_file).problems] == [1]  # "host,org" is not a host


@pytest.mark.parametrize("content, message", [(b"\xff\xfe\x00bad", "not UTF-8"), (None, "cannot read")])
def test_unusable_files_raise_one_line_errors(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "p.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PortfolioError, match=message):
        load_portfolio(path)
