"""Hidden frames, executables from other sites and every outbound URL (issue 10 items 6, 7, 8, 10)."""

from __future__ import annotations

from typing import Any

import pytest

from trustscan.collect.crawl.content import outbound_hosts
from trustscan.collect.crawl.delivery import analyse_delivery, delivery_data
from trustscan.collect.crawl.downloads import executable
from trustscan.collect.crawl.extract import extract_page
from trustscan.collect.crawl.frames import tiny
from trustscan.core.catalog import load_catalog

HOST = "www.example.gov.vn"


def crawl_of(*bodies: str) -> dict[str, Any]:
    pages = [{"url": f"https://{HOST}/p{i}", "final_url": f"https://{HOST}/p{i}", "depth": 0, "status": 200,
              "html": extract_page(body, f"https://{HOST}/p{i}")} for i, body in enumerate(bodies)]
    return {"pages": pages}


def test_tiny_by_attribute_or_style() -> None:
    assert tiny({"width": "1", "height": "1"}) == "width=1"
    assert tiny({"width": "560", "height": "0px"}) == "height=0px"
    assert tiny({"style": "border:0; height: 2px"}) == "height:2px"
    assert tiny({"width": "100%", "height": "315", "style": "width:300px"}) is None
    assert tiny({}) is None


def test_hidden_and_tiny_frames_to_other_sites_fail() -> None:
    facts = analyse_delivery(crawl_of(
        '<iframe src="https://ads.example/c" width="1" height="1"></iframe>'
        '<div style="display:none"><object data="https://evil.example/x.swf"></object></div>'
        '<embed src="//embed.example/y" style="width:0px;height:0px">'), HOST)
    assert [(f["element"], f["reason"]) for f in facts["hidden_frames"]] == [
        ("<iframe src=https://ads.example/c>", "width=1: loads another site unseen"),
        ("<object data=https://evil.example/x.swf>", "ancestor div: display:none: loads another site unseen"),
        ("<embed src=//embed.example/y>", "width:0px: loads another site unseen")]
    assert facts["frames_checked"] == 3


def test_legitimate_frames_pass() -> None:
    facts = analyse_delivery(crawl_of(
        '<iframe src="https://www.youtube.com/embed/x" width="560" height="315"></iframe>'
        '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X" height="0" width="0" '
        'style="display:none;visibility:hidden"></iframe></noscript>'
        '<iframe src="/keepalive" width="1" height="1"></iframe>'
        '<iframe src="https://cdn.example.gov.vn/w" style="display:none"></iframe>'), HOST)
    assert facts["hidden_frames"] == [] and facts["frames_checked"] == 4


def test_executable_by_path_or_query_value() -> None:
    extensions = delivery_data()[0]
    assert executable("https://x.example/VNeID.APK", extensions) == "apk"
    assert executable("https://x.example/get.php?file=setup.exe&x=1", extensions) == "exe"
    assert executable("https://x.example/tai%20ve/app.msi", extensions) == "msi"
    assert executable("https://x.example/apk/", extensions) is None
    assert executable("https://x.example/app.apk.html", extensions) is None
    assert executable("https://x.example/report.pdf", extensions) is None


def test_executables_elsewhere_fail_own_files_and_app_stores_pass() -> None:
    facts = analyse_delivery(crawl_of(
        '<a href="https://vneid-app.example/VNeID.apk">Tải VNeID</a>'
        '<a href="https://files.example/x.bat">bat</a><a href="https://files.example/x.bat">again</a>'
        '<a href="/files/app.apk">own</a><a href="https://cdn.example.gov.vn/app.apk">own cdn</a>'
        '<a href="https://play.google.com/store/apps/details?id=vn.gov.x">Play</a>'
        '<a href="https://apps.apple.com/vn/app/x/id1">App Store</a>',
        '<a href="https://vneid-app.example/VNeID.apk">Tải VNeID</a>'), HOST)
    downloads = facts["offsite_downloads"]
    assert [(f["target"], f["reason"]) for f in downloads] == [
        ("https://vneid-app.example/VNeID.apk", ".apk file offered from another site"),
        ("https://files.example/x.bat", ".bat file offered from another site")]
    assert downloads[0]["text"] == "Tải VNeID" and downloads[0]["also_on"] == 1


def test_every_outbound_url_goes_to_reputation() -> None:
    crawl = crawl_of(
        '<script>top.location.replace("https://script-redirect.example/x")</script>'
        "<script>document.location.href = '//protocol-relative.example/'</script>"
        '<object data="https://object.example/o"></object><embed src="https://embed.example/e">'
        '<meta http-equiv="refresh" content="0;url=https://refresh.example/">'
        '<a href="https://download.example/a.apk">a</a><form action="https://form.example/post"></form>')
    crawl["pages"].append({"url": f"https://{HOST}/moved", "depth": 1, "status": 302, "html": None,
                           "offsite_redirect": "https://http-redirect.example/"})
    places = outbound_hosts(crawl, HOST)
    assert {host: seen[0]["element"] for host, seen in places.items()} == {
        "script-redirect.example": "script redirect (redirect.location_call)",
        "protocol-relative.example": "script redirect (redirect.location_assign)",
        "object.example": "<object data>", "embed.example": "<embed src>", "refresh.example": "<meta refresh>",
        "download.example": "<a href>", "form.example": "<form action>", "http-redirect.example": "HTTP redirect"}
    vi = load_catalog("vi")
    said = {host: vi.reworded(seen[0])["element"] for host, seen in places.items()}
    assert said["script-redirect.example"] == "mã script chuyển hướng (redirect.location_call)"
    assert said["http-redirect.example"] == "chuyển hướng HTTP" and said["object.example"] == "<object data>"


@pytest.mark.parametrize("script", [
    'location = "https://away.example/"',
    "location.href='https://away.example/'",
    'window.location = "https://away.example/"',
    'window.location.href = "https://away.example/"',
    'document.location.href = "//away.example/"',
    'top.location.href = "https://away.example/"',
    'window.top.location = "https://away.example/"',
    'self.location.replace("https://away.example/")',
    'window.location.assign("https://away.example/")',
    'setTimeout(function () { parent.location.replace("https://away.example/") }, 0)',
])
def test_script_redirect_variants_reach_reputation(script: str) -> None:
    places = outbound_hosts(crawl_of(f"<script>{script}</script>"), HOST)
    assert list(places) == ["away.example"] and places["away.example"][0]["element"].startswith("script redirect")


@pytest.mark.parametrize("script", ['location.href = "/same-site"', 'var location = "elsewhere"',
                                    'location.href = someVariable'])
def test_what_is_not_a_script_redirect_elsewhere(script: str) -> None:
    assert outbound_hosts(crawl_of(f"<script>{script}</script>"), HOST) == {}
