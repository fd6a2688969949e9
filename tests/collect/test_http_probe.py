"""HTTP front-door probes through an injected transport (no network)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from trustscan.collect.http.frontdoor import parse_hsts, probe_https_headers, probe_plain_http
from trustscan.core.errors import ProbeError
from trustscan.net.httpclient import make_client


def run_with(handler, probe, url):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with make_client(httpx.MockTransport(handler), timeout=5) as client:
            return await probe(client, url)

    return asyncio.run(go())


def test_redirect_to_https_is_followed_and_recorded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(301, headers={"Location": "http://example.vn/home"})
        return httpx.Response(308, headers={"Location": "https://example.vn/home"})

    facts = run_with(handler, probe_plain_http, "http://example.vn/")
    assert facts["redirects_to_https"] is True
    assert facts["serves_content"] is False
    assert [hop["status"] for hop in facts["redirect_chain"]] == [301, 308]
    assert facts["final_url"] == "https://example.vn/home"


def test_plain_content_is_reported() -> None:
    facts = run_with(lambda r: httpx.Response(200, text="hello"), probe_plain_http, "http://example.vn/")
    assert facts["serves_content"] is True and facts["redirects_to_https"] is False
    assert facts["status"] == 200


def test_redirect_loop_is_bounded() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        return httpx.Response(302, headers={"Location": "/again"})

    facts = run_with(handler, probe_plain_http, "http://example.vn/")
    assert len(calls) == 6
    assert facts["redirects_to_https"] is False
    assert facts["serves_content"] is False  # it never served content; it just never reached HTTPS


def test_refused_port_is_unreachable_not_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused")

    facts = run_with(handler, probe_plain_http, "http://example.vn/")
    assert facts["reachable"] is False and facts["serves_content"] is False
    assert "ConnectError" in facts["error"]


def test_hsts_header_is_parsed_first_one_wins() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=[("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
                                            ("Strict-Transport-Security", "max-age=0")])

    facts = run_with(handler, probe_https_headers, "https://example.vn/")
    assert facts["hsts_max_age"] == 31536000 and facts["hsts_include_subdomains"] is True
    assert facts["hsts_valid"] is True


def test_https_failure_raises_probe_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    with pytest.raises(ProbeError, match="^HTTPS request to https://example.vn/ failed: timed out$") as raised:
        run_with(handler, probe_https_headers, "https://example.vn/")
    assert raised.value.wording.values["cause"].id == "error.cause.timeout"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("max-age=31536000", 31536000), ('max-age="600"; preload', 600), ("MAX-AGE=5;includeSubDomains", 5),
     ("includeSubDomains", None), ("max-age=abc", None), ("max-age=1; max-age=2", None), ("", None)],
)
def test_parse_hsts(value: str, expected: int | None) -> None:
    parsed = parse_hsts(value)
    assert (parsed["max_age"] if parsed else None) == expected
