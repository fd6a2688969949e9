"""Issue 10 item 5: a page is weighed for gambling promotion; every signal shows in the evidence."""

from __future__ import annotations

from typing import Any

import pytest

from tests.world import content
from trustscan.collect.crawl.extract import extract_page
from trustscan.collect.crawl.gambling import THRESHOLD, weigh_page
from trustscan.collect.crawl.lexicon import fold, gambling_lexicon, gambling_profile, gambling_vocabulary
from trustscan.core.catalog import load_catalog


def weigh(body: str) -> dict[str, Any] | None:
    html = extract_page(content.page("t", body), "https://site.test/")
    return weigh_page("https://site.test/x", html, "site.test", gambling_vocabulary())


@pytest.mark.parametrize("body", [content.DOORWAY_ID, content.SPAM_VI_NO_DIACRITICS])
def test_promotion_pages_are_reported_with_every_signal(body: str) -> None:
    finding = weigh(body)
    assert finding is not None and finding["score"] >= THRESHOLD
    assert finding["score"] == sum(signal["points"] for signal in finding["signals"])
    assert [signal["signal"] for signal in finding["signals"]][:2] == [
        "off-site links with gambling terms", "strong gambling terms in the text"]
    assert finding["reason"] == f"page promotes gambling (score {finding['score']} >= {THRESHOLD})"
    assert finding["element"] == "page"


@pytest.mark.parametrize("body", [content.DOORWAY_ID, content.SPAM_VI_NO_DIACRITICS])
def test_the_finding_and_its_signals_are_said_in_vietnamese(body: str) -> None:
    finding = weigh(body)
    assert finding is not None
    vi = load_catalog("vi").reworded(finding)
    assert vi["element"] == "trang" and vi["reason"] == f"trang quảng bá cờ bạc (điểm {finding['score']} >= 6)"
    assert [signal["signal"] for signal in vi["signals"]][:2] == [
        "liên kết sang trang khác chứa từ ngữ cờ bạc", "văn bản có từ ngữ đặc trưng của quảng cáo cờ bạc"]
    assert load_catalog("vi").value(finding).startswith("trang [trang quảng bá cờ bạc")
    english = load_catalog("en").reworded(finding)
    assert [s["signal"] for s in english["signals"]] == [s["signal"] for s in finding["signals"]]


@pytest.mark.parametrize("body", [content.POLICE_NEWS, content.LOTTERY_RESULTS, content.SPORTS_NEWS])
def test_news_lottery_results_and_sports_are_not_promotion(body: str) -> None:
    assert weigh(body) is None


def test_context_is_what_saves_the_police_news() -> None:
    # Without its enforcement words the same article would weigh as promotion: the context signal counts.
    stripped = content.POLICE_NEWS
    for word in ("Công an", "triệt phá", "đường dây", "bắt giữ", "khởi tố", "tạm giữ", "điều tra", "tổ chức"):
        stripped = stripped.replace(word, "").replace(word.lower(), "")
    assert weigh(stripped) is not None


def test_without_a_visible_off_site_gambling_link_a_page_is_not_weighed() -> None:
    text_only = "<p>" + "slot gacor maxwin situs judi " * 50 + "</p>"
    assert weigh(text_only) is None
    hidden = '<div style="display:none"><a href="https://slot.example/">slot gacor</a></div>' + text_only
    assert weigh(hidden) is None  # hidden links are dd.links.hidden_spam's, not weighed twice
    same_site = '<a href="/slot-gacor">slot gacor</a>' + text_only
    assert weigh(same_site) is None


def test_script_written_links_add_their_signal() -> None:
    body = ("<p>Slot gacor, situs judi, togel.</p><script>document.write('<a href=\"https://a.example/\">"
            "slot gacor</a><a href=\"https://b.example/\">togel</a>')</script>")
    finding = weigh(body)
    assert finding is not None
    assert {"signal": "gambling links written by scripts", "points": 2,
            "signal_wording": {"id": "gambling.signal.written_by_scripts", "values": {}},
            "written_by": "document.write in inline <script> #1",
            "written_by_wording": {"id": "finding.written_by", "values": {"how": "document.write", "number": 1}}
            } in finding["signals"]
    said = load_catalog("vi").reworded(finding)["signals"][-1]
    assert said["signal"] == "liên kết cờ bạc do mã script chèn vào trang"
    assert said["written_by"] == "document.write trong thẻ <script> nội tuyến #1"


def test_vocabulary_data() -> None:
    vocabulary = gambling_vocabulary()
    assert not set(vocabulary.strong.terms) & set(vocabulary.weak.terms)
    assert {"slot gacor", "togel", "judi online", "nhà cái uy tín", "fb88"} <= set(vocabulary.strong.terms)
    assert {"công an", "vietlott", "xổ số kiến thiết"} <= set(vocabulary.context.terms)
    assert set(gambling_lexicon().terms) == set(vocabulary.strong.terms) | set(vocabulary.weak.terms)
    # Written with or without diacritics, the same term.
    assert gambling_lexicon().in_text("NHA CAI UY TIN") == gambling_lexicon().in_text("nhà cái uy tín")
    profile = gambling_profile("Slot slot slot gacor. Nhà cái!")
    assert profile["words"] == 6 and profile["gambling"]["slot"] == 3 and profile["gambling"]["nhà cái"] == 1
    assert fold("Đá gà") == "da ga"
