"""What a list is (issue 9, item 5): real list formats import, files that are no list are refused whole.

`trustscan.lists.formats` defines a list; a binary file, a blank one or a truncated JSON report must
be refused (NotAList, exit 2 on the command line), never mined for words that look like domains.
The CA bundle's boundary is here too: at least one PEM certificate, every one parsable.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.publish_samples import sample_report
from trustscan.cli.main import main
from trustscan.core.errors import InputFileError, NotAList
from trustscan.lists.formats import check_list, parse_list
from trustscan.lists.store import check_list_file
from trustscan.net.certbundle import check_ca_bundle

WANTED = [("domain", "bad.example"), ("domain", "evil.example")]

#: Shapes real lists come in; each must import exactly its two entries.
REAL_LISTS = {
    "plain": b"bad.example\nevil.example\n",
    "crlf and a Ctrl-Z end": b"bad.example\r\nevil.example\r\n\x1a",
    "comments and a form feed": b"# list of 2025-01-01\n\x0c\nbad.example\n; note\nevil.example # phishing\n",
    "hosts file": b"127.0.0.1 localhost\n0.0.0.0 bad.example\n0.0.0.0 evil.example\n",
    "adblock": b"[Adblock Plus 2.0]\n! Title: test\n||bad.example^\n||evil.example^\n",
    "csv in Vietnamese": "STT,Tên miền,Lý do\n1,bad.example,Lừa đảo\n2,evil.example,Mã độc\n".encode(),
    "tsv copied from the web page": "1\tbad.example\tLừa đảo\n2\tevil.example\tMã độc\n".encode(),
    "csv with a Windows-1258 note column": "domain;ghi chú\nbad.example;L\xf9a\nevil.example;x\n".encode("cp1258"),
    "json array": json.dumps(["bad.example", {"domain": "evil.example"}]).encode(),
    "json object of arrays": json.dumps({"updated": "2025-01-01", "domains": ["bad.example", "evil.example"]}).encode(),
    "json with a BOM and spaces": "\ufeff  \n".encode() + b'[ "bad.example", "evil.example" ]',
    "utf-8 BOM": "\ufeffbad.example\nevil.example\n".encode(),
    "utf-16 LE with BOM (Excel Unicode text)": "\ufeffbad.example\r\nevil.example\r\n".encode("utf-16-le"),
    "utf-16 BE with BOM": "\ufeffbad.example\nevil.example\n".encode("utf-16-be"),
    "terminal colours in a pasted heading": b"\x1b[1mList\x1b[0m\nbad.example\nevil.example\n",
}


@pytest.mark.parametrize("name", list(REAL_LISTS))
def test_real_list_formats_still_import(name: str) -> None:
    data = REAL_LISTS[name]
    check_list(data)
    assert [(entry.kind, entry.value) for entry in parse_list(data).entries][:2] == WANTED


def _truncated_report() -> bytes:
    return json.dumps(sample_report(), indent=2).encode()[:3000]


NOT_LISTS = {
    "empty": (b"", "empty"),
    "only blank lines": (b"\n  \r\n\t\n", "empty"),
    "NUL bytes": (b"bad.example\n\x00\x00\x00\n", "binary data"),
    "ELF executable": (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40 + b"www.gnu.org\n", "binary data"),
    "gzip archive": (gzip.compress(b"bad.example\n" * 50), "binary data"),
    "PNG image": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    "SQLite database": (b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + b"\x00" * 80, "binary data"),
    "UTF-16 without its BOM": ("bad.example\n".encode("utf-16-le"), "binary data"),
    "truncated JSON report": (None, "not valid JSON"),
    "JSON object without an array": (b'{"domain": "bad.example"}', "without an array"),
    "unterminated JSON array": (b'["bad.example", "evil.example"', "not valid JSON"),
}


@pytest.mark.parametrize("name", list(NOT_LISTS))
def test_a_file_that_is_no_list_is_refused_whole(name: str) -> None:
    data, reason = NOT_LISTS[name]
    data = _truncated_report() if data is None else data
    for read in (check_list, parse_list):
        with pytest.raises(NotAList, match=reason) as refused:
            read(data)
        assert "\n" not in str(refused.value) and len(str(refused.value)) < 160


def test_a_whole_report_is_no_list_either() -> None:
    """A complete report parses as JSON but holds no entry: import refuses it (no entry found)."""
    parsed = parse_list(json.dumps(sample_report()).encode())
    assert parsed.entries == ()


def test_check_list_file_refuses_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(_truncated_report())
    with pytest.raises(NotAList, match="not valid JSON"):
        check_list_file(path)
    with pytest.raises(InputFileError, match="not a regular file"):
        check_list_file(tmp_path)


def _stderr_line(result: object) -> str:
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert result.exit_code == 2 and len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    return str(lines[0])


def test_cli_refuses_a_truncated_report_as_a_list(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(_truncated_report())
    runner = CliRunner()
    imported = runner.invoke(main, ["lists", "import", "x", str(path), "--cache-dir", str(tmp_path / "cache")])
    assert "not imported: not valid JSON" in _stderr_line(imported)
    assert not (tmp_path / "cache").exists()
    audited = runner.invoke(main, ["audit", "https://127.0.0.1:9/", "--allow-private", "--blocklist", str(path)])
    assert f"blocklist {path} is not a list: not valid JSON" in _stderr_line(audited)


# --- the CA bundle ------------------------------------------------------------------------------

def test_a_ca_bundle_without_a_certificate_is_refused(tmp_path: Path) -> None:
    hostname = tmp_path / "hostname"
    hostname.write_text("myhost\n")
    with pytest.raises(InputFileError, match="holds no PEM certificate"):
        check_ca_bundle(hostname)
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(InputFileError, match="cannot be parsed"):
        check_ca_bundle(broken)
    result = CliRunner().invoke(main, ["audit", "https://127.0.0.1:9/", "--allow-private", "--ca-bundle",
                                       str(hostname)])
    assert f"cannot read CA bundle {hostname}: holds no PEM certificate" in _stderr_line(result)


def test_a_real_ca_bundle_is_accepted(tmp_path: Path) -> None:
    import trustme

    bundle = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    bundle.write_bytes(b"# a comment line, as Mozilla's bundle has\n" + bundle.read_bytes())
    assert check_ca_bundle(bundle) == 1
