"""User data in transit on HTTPS pages (issue 11 item 5), from real markup through extract_page."""

from __future__ import annotations

from tests.collect.test_tracking import crawled
from trustscan.collect.crawl.mixedcontent import mixed_content


def test_plain_http_forms_and_active_content_on_https_pages() -> None:
    page = crawled('<link rel="stylesheet" href="http://cdn.test/a.css"><link rel="canonical" href="http://s.test/">'
                   '<link rel="icon" href="http://cdn.test/favicon.ico">',
                   '<form action="http://s.test/gui"><input name="email"></form><form action="/ok"></form>'
                   '<script src="http://cdn.test/a.js"></script><iframe src="http://maps.test/"></iframe>'
                   '<object data="http://cdn.test/x.swf"></object><img src="http://cdn.test/a.png">'
                   '<audio src="http://cdn.test/a.mp3"></audio><img src="/relative.png">')
    found = mixed_content([page])
    assert found["https_pages"] == 1
    assert found["insecure_form_actions"] == [{"page": "https://s.test/", "form": "form #1",
                                               "action": "http://s.test/gui", "method": "get"}]
    assert {(f["element"], f["url"]) for f in found["active_mixed_content"]} == {
        ("script", "http://cdn.test/a.js"), ("iframe", "http://maps.test/"), ("object", "http://cdn.test/x.swf"),
        ("link rel=stylesheet", "http://cdn.test/a.css")}
    assert {(f["element"], f["url"]) for f in found["passive_mixed_content"]} == {
        ("img", "http://cdn.test/a.png"), ("audio", "http://cdn.test/a.mp3"),
        ("link rel=icon", "http://cdn.test/favicon.ico")}


def test_upgrade_insecure_requests_and_plain_http_pages_are_not_findings() -> None:
    markup = ('<script src="http://cdn.test/a.js"></script><img src="http://cdn.test/a.png">'
              '<form action="http://s.test/gui"></form><form action="http://other.test/gui"></form>')
    by_header = crawled("", markup, headers={"content-security-policy": "upgrade-insecure-requests"})
    by_meta = crawled('<meta http-equiv="Content-Security-Policy" content="upgrade-insecure-requests">', markup)
    for page in (by_header, by_meta):
        found = mixed_content([page])
        assert found["active_mixed_content"] == found["passive_mixed_content"] == []
        # The browser upgrades the form to its own host only; the other host still gets the data in clear.
        assert [f["action"] for f in found["insecure_form_actions"]] == ["http://other.test/gui"]
    plain = mixed_content([crawled("", markup, url="http://s.test/")])
    assert plain == {"https_pages": 0, "insecure_form_actions": [], "active_mixed_content": [],
                     "passive_mixed_content": [], "upgrade_insecure_requests": []}


def test_a_submit_buttons_formaction_over_http_is_where_the_data_goes() -> None:
    page = crawled("", '<form id="f" action="/gui"><input name="email"><button formaction="http://s.test/gui">'
                       'Gửi</button></form><form id="ok" action="/a"><button formaction="/b">Gửi</button></form>')
    assert mixed_content([page])["insecure_form_actions"] == [
        {"page": "https://s.test/", "form": "form#f", "action": "http://s.test/gui", "method": "get"}]
