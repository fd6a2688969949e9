"""Tracking before consent (issue 11 item 4), from real markup through extract_page."""

from __future__ import annotations

from typing import Any

import pytest

from trustscan.collect.crawl.extract import extract_page
from trustscan.collect.crawl.tracking import runs, tracking_before_consent


def crawled(head: str, body: str = "", url: str = "https://s.test/", **extra: Any) -> dict[str, Any]:
    facts = extract_page(f"<html><head>{head}</head><body>{body}</body></html>", url)
    return {"url": url, "final_url": url, "html": facts, **extra}


@pytest.mark.parametrize(("markup", "tracker"), [
    ('<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>', "Google Analytics / gtag.js"),
    ("<script>(function(w,d,s,l,i){j.src='https://www.googletagmanager.com/gtm.js?id='+i;})(window,document,"
     "'script','dataLayer','GTM-X');</script>", "Google Tag Manager"),
    ("<script>fbq('init', '123');</script>", "Meta (Facebook) Pixel"),
    ("<script>ttq.load('C1');</script>", "TikTok Pixel"),
    ('<script src="https://mc.yandex.ru/metrika/tag.js"></script>', "Yandex Metrica"),
    ('<script src="https://static.hotjar.com/c/hotjar-1.js?sv=6"></script>', "Hotjar"),
    ('<script type="text/javascript" src="https://www.clarity.ms/tag/x"></script>', "Microsoft Clarity"),
    ('<script type="module" src="https://media1.admicro.vn/core/admicro_core.js"></script>', "Admicro (VCCorp)"),
    ('<script src="https://s.eclick.vn/delivery/asyncjs.js"></script>', "Eclick (FPT)"),
])
def test_a_tracker_run_on_first_view_is_named_with_its_page(markup: str, tracker: str) -> None:
    found = tracking_before_consent([crawled(markup)])
    assert found["trackers"] == [tracker]
    assert found["tracker_findings"][0]["tracker"] == tracker and found["tracker_findings"][0]["page"] == "https://s.test/"


@pytest.mark.parametrize(("markup", "held_by"), [
    ('<script type="text/plain" data-category="analytics" src="https://www.googletagmanager.com/gtag/js?id=G-1">'
     "</script>", "data-category=analytics"),
    ('<script type="text/plain" data-cookieconsent="statistics">gtag(\'config\', \'G-1\');</script>',
     "Cookiebot: data-cookieconsent=statistics"),
    ("<script type=\"text/plain\" class=\"optanon-category-C0004\">fbq('init', '1');</script>",
     "OneTrust: class optanon-category-C0004"),
    ('<script type="text/x-template">fbq(\'init\', \'1\');</script>', "type=text/x-template"),
])
def test_a_tracker_held_back_by_a_consent_manager_is_not_tracking(markup: str, held_by: str) -> None:
    found = tracking_before_consent([crawled(markup)])
    assert found["trackers"] == [] and found["tracker_findings"] == []
    assert held_by in found["trackers_held_back"][0]["held_back_by"]


def test_consent_managers_and_cookies_are_evidence() -> None:
    page = crawled('<script src="https://consent.cookiebot.com/uc.js"></script>',
                   cookies=[{"name": "_fbp"}, {"name": "PHPSESSID"}])
    found = tracking_before_consent([page])
    assert found["consent_managers"] == [{"name": "Cookiebot", "page": "https://s.test/"}]
    assert found["tracking_cookies"] == [{"name": "_fbp", "tracker": "Meta (Facebook) Pixel", "page": "https://s.test/"}]
    assert found["trackers"] == ["Meta (Facebook) Pixel"]  # a tracking cookie is tracking too


def test_script_types_a_browser_runs() -> None:
    assert all(runs({"type": t}) for t in (None, "", "module", "text/javascript", "TEXT/JavaScript; charset=utf-8"))
    assert not any(runs({"type": t}) for t in ("text/plain", "text/x-template", "application/json", "text/babel"))
