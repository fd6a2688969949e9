"""`lists import URL` (issue 9, item 6): a malformed URL is exit 2 with its reason, before any traffic."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.no_network import forbid_connections
from trustscan.cli.main import main
from trustscan.core.errors import ListFetchError
from trustscan.lists.fetch import _check_url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://lists.example:99999/x", "Port out of range"),
        ("http://lists.example:8x/x", "Port could not be cast"),
        ("http://lists.example:0/x", "port 0"),
        ("http://xn--/", "'xn--' is not a valid host name"),
        ("http://xn--zz-/list.txt", "is not a valid host name"),
        ("http://-lists.example/", "is not a valid host name"),
        ("http://lists..example/", "is not a valid host name"),
        ("http://lists_example.test/", "is not a valid host name"),
        ("http://[::1]x/", "unexpected 'x' after the IPv6 address"),
        ("http://[::1]:80x/", "Port could not be cast"),
        ("http://[v1.fe]/", "is not an IPv6 address"),
        ("http://0177.0.0.1/", "'0177.0.0.1' is not an IPv4 address in dotted-decimal form"),
        ("http://2130706433/", "'2130706433' is not an IPv4 address in dotted-decimal form"),
        ("http://0x7f.1/", "'0x7f.1' is not an IPv4 address in dotted-decimal form"),
        ("http://0x7f000001/", "is not an IPv4 address in dotted-decimal form"),
        ("http://127.1/", "'127.1' is not an IPv4 address in dotted-decimal form"),
        ("http://1.2.3.4.5/", "is not an IPv4 address in dotted-decimal form"),
        ("https://lists.example.0x10/", "is not an IPv4 address in dotted-decimal form"),
    ],
)
def test_a_malformed_list_url_is_exit_2_with_its_reason_and_no_traffic(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, reason: str) -> None:
    attempts = forbid_connections(monkeypatch)
    result = CliRunner().invoke(main, ["lists", "import", "tnm", url, "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trustscan: error: malformed URL"), result.stderr
    assert reason in lines[0]
    assert attempts == [] and not (tmp_path / "cache").exists()


@pytest.mark.parametrize("url", ["https://lists.example/tnm.txt", "http://xn--bcher-kva.example:8080/a",
                                 "https://bücher.example/", "http://93.184.215.14/x", "http://[2606:4700::1]:443/",
                                 "https://lists.example./tnm.txt", "http://a1.example/"])
def test_well_formed_list_urls_pass_the_check(url: str) -> None:
    assert _check_url(url)


def test_a_redirect_to_a_malformed_url_is_refused_by_the_same_check() -> None:
    with pytest.raises(ListFetchError, match="dotted-decimal"):
        _check_url("http://0177.0.0.1/moved")
