"""The net layer's plumbing: the one redirect follower, the one file reader and the one atomic writer."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from trustscan.core.atomicwrite import write_atomically
from trustscan.core.catalog import load_catalog
from trustscan.core.errors import InputFileError, InputFileTooLarge
from trustscan.net.failures import classify
from trustscan.net.files import read_capped_file, read_input_file
from trustscan.net.httpclient import FOLLOW, Answer, Follow, follow_redirects, make_client
from trustscan.net.resolve import AddressPolicy


def _redirects(request: httpx.Request) -> httpx.Response:
    hops = {"/": "/a", "/a": "http://10.0.0.1/inside", "/loop": "/loop"}
    location = hops.get(request.url.path)
    return httpx.Response(302, headers={"location": location}) if location else httpx.Response(200, text="ok")


def _follow(url: str, policy: AddressPolicy | None, max_redirects: int = 5) -> tuple[list[str], object]:
    seen: list[str] = []

    async def handle(answer: Answer) -> int | Follow:
        seen.append(answer.url)
        return FOLLOW if answer.location is not None else answer.response.status_code

    async def run() -> object:
        async with httpx.AsyncClient(transport=httpx.MockTransport(_redirects)) as client:
            try:
                return await follow_redirects(client, url, handle, max_redirects=max_redirects, policy=policy)
            except httpx.HTTPError as exc:
                return exc

    return seen, asyncio.run(run())


def test_every_hop_is_checked_against_the_address_policy() -> None:
    seen, outcome = _follow("https://site.test/", AddressPolicy({"site.test": "93.184.215.14"}))
    assert seen == ["https://site.test/", "https://site.test/a"]
    assert isinstance(outcome, httpx.ConnectError)
    assert str(outcome) == "refusing to connect to non-public address 10.0.0.1 of 10.0.0.1 (private-use (RFC 1918))"
    # The refusal keeps its Wording, so every output says it, and the address's category, in its language.
    said = load_catalog("vi").say(classify(outcome))
    assert said == ("từ chối kết nối tới địa chỉ không công khai 10.0.0.1 của 10.0.0.1 "
                    "(dải địa chỉ riêng (RFC 1918))"), said
    seen, outcome = _follow("https://site.test/", AddressPolicy(allow_private=True))
    assert seen[-1] == "http://10.0.0.1/inside" and outcome == 200


def test_the_first_request_is_checked_too() -> None:
    seen, outcome = _follow("http://127.0.0.1/", AddressPolicy())
    assert seen == [] and isinstance(outcome, httpx.ConnectError)


def test_following_past_the_hop_limit_is_refused() -> None:
    seen, outcome = _follow("https://site.test/loop", None, max_redirects=2)
    assert len(seen) == 3 and isinstance(outcome, httpx.TooManyRedirects)


def test_a_regular_file_is_read_within_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"x" * 10)
    assert read_capped_file(path, 10) == b"x" * 10
    with pytest.raises(InputFileTooLarge) as raised:
        read_capped_file(path, 9)
    assert raised.value.size == 10


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="not a regular file"):
        read_capped_file(fifo, 1024)


@pytest.mark.parametrize("path", [Path("/dev/zero"), Path("/")])
def test_devices_and_folders_are_refused(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not here")
    with pytest.raises(InputFileError, match="not a regular file") as raised:
        read_capped_file(path, 1024)
    assert "\n" not in str(raised.value)


def test_a_missing_file_names_the_os_reason(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as raised:
        read_capped_file(tmp_path / "absent", 1024)
    assert raised.value.reason == "No such file or directory"


def test_refusals_become_the_callers_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(b"x" * 10)
    with pytest.raises(ValueError, match=f"^cannot read policy {path}: larger than 9 bytes$"):
        read_input_file(path, 9, ValueError, what=f"policy {path}")
    with pytest.raises(ValueError, match="^too big: 10$"):
        read_input_file(path, 9, ValueError, what="policy", too_large=lambda size: f"too big: {size}")
    with pytest.raises(ValueError, match="^cannot read policy: No such file or directory$"):
        read_input_file(tmp_path / "absent", 9, ValueError, what="policy", too_large="never this")
    assert read_input_file(path, 10, ValueError, what="policy") == b"x" * 10


def test_the_atomic_writer_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_bytes(b"old")
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_the_client_jar_keeps_set_cookies_and_skips_answers_without_any(monkeypatch: pytest.MonkeyPatch) -> None:
    handed: list[str] = []
    real = httpx.Cookies.extract_cookies

    def spy(self: httpx.Cookies, response: httpx.Response) -> None:
        handed.append(response.request.url.path)
        real(self, response)

    monkeypatch.setattr(httpx.Cookies, "extract_cookies", spy)

    def site(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login":
            return httpx.Response(200, headers={"set-cookie": "sid=1; Path=/"})
        return httpx.Response(200, text=request.headers.get("cookie", "none"))

    async def run() -> list[str]:
        async with make_client(httpx.MockTransport(site), timeout=5) as client:
            before = (await client.get("https://site.test/")).text
            await client.get("https://site.test/login")
            after = (await client.get("https://site.test/")).text
            return [before, after, type(client.cookies).__name__]

    assert asyncio.run(run()) == ["none", "sid=1", "SetCookieJar"]
    assert handed == ["/login"]  # the answers without Set-Cookie never reached http.cookiejar
