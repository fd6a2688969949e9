"""Issue 13 item 4: texts kept in data files (miner and script signatures, search identities) in both languages.

Each entry words itself in rules/data (`about: {en, vi}`, `name: {en, vi}`); the catalogue makes it the
message `signature.<id>` / `identity.<id>`, so a finding stores a Wording of it and every output says it in
the language asked for, while the rules read the English as before.
"""

from __future__ import annotations

import pytest

from trustscan.collect.crawl.content import analyse_content
from trustscan.collect.crawl.extract import extract_page
from trustscan.collect.crawl.signatures import load_signatures
from trustscan.core.catalog import LANGUAGES, WORDED_DATA, data_texts, load_catalog
from trustscan.core.yamldata import shipped_yaml


@pytest.mark.parametrize("prefix", WORDED_DATA)
def test_every_data_entry_is_worded_in_both_languages(prefix: str) -> None:
    file, entries, field = WORDED_DATA[prefix]
    data = shipped_yaml("data", file)[entries]
    ids = [entry["id"] for entry in data]
    assert len(ids) == len(set(ids)) and ids
    for language in LANGUAGES:
        messages = load_catalog(language).messages
        assert [i for i in ids if not messages.get(f"{prefix}.{i}", "").strip()] == [], (prefix, language)
    vi, en = load_catalog("vi").messages, load_catalog("en").messages
    # Vietnamese is its own wording, not a copy of the English, except for proper names (Googlebot).
    copied = [i for i in ids if vi[f"{prefix}.{i}"] == en[f"{prefix}.{i}"]]
    assert copied == (["googlebot", "bingbot"] if prefix == "identity" else [])


@pytest.mark.parametrize("entry", [
    {"id": "miner.x", "about": "only English"},
    {"id": "miner.x", "about": {"en": "English"}},
    {"id": "miner.x", "about": {"en": "English", "vi": "  "}},
    {"about": {"en": "English", "vi": "Tiếng Việt"}},
])
def test_an_entry_without_both_languages_is_refused(entry: dict) -> None:
    with pytest.raises(ValueError, match="needs an id and about in each of vi, en"):
        data_texts(entry, "about", "data/script-signatures.yaml")


def test_the_english_a_signature_gives_the_rules_is_the_data_files() -> None:
    signatures = shipped_yaml("data", "script-signatures.yaml")["signatures"]
    assert [s.about for s in load_signatures()] == [raw["about"]["en"] for raw in signatures]


PAGE = """<html><body><p>Tin tức</p>
<script src="https://hostingcloud.racing/abc.js"></script>
<script>var w = new CryptonightWASMWrapper();</script>
<script>var s = new WebSocket("wss://pool.example/xmr");</script>
</body></html>"""


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["CoinImp miner (its script is served from rotating hosts such as hostingcloud.racing)",
            "CryptoNight (Monero) hashing in WebAssembly, the engine of self-hosted in-browser miners",
            "a mining pool spoken to from the page (stratum over WebSocket, or its job/nonce submit messages)"]),
    ("vi", ["mã đào tiền ảo CoinImp (tệp script của nó được phục vụ từ các máy chủ luân phiên như "
            "hostingcloud.racing)",
            "hàm băm CryptoNight (Monero) viết bằng WebAssembly, lõi của các mã đào tự lưu trữ chạy trong trình duyệt",
            "trang trao đổi với một pool đào tiền ảo (giao thức stratum qua WebSocket, hoặc các thông điệp nhận "
            "job/gửi nonce của nó)"]),
])
def test_a_miner_finding_names_its_signature_in_the_language_asked_for(language: str, expected: list[str]) -> None:
    html = extract_page(PAGE, "https://site.test/")
    crawl = {"pages": [{"url": "https://site.test/", "status": 200, "depth": 0, "order": 0, "html": html}]}
    miners = analyse_content(crawl, "site.test")["cryptominers"]
    assert [m["signature"] for m in miners] == ["miner.coinimp", "miner.cryptonight_wasm", "miner.stratum_websocket"]
    assert [m["reason"] for m in miners] == [  # the English the rules and old readers get
        "CoinImp miner (its script is served from rotating hosts such as hostingcloud.racing)",
        "CryptoNight (Monero) hashing in WebAssembly, the engine of self-hosted in-browser miners",
        "a mining pool spoken to from the page (stratum over WebSocket, or its job/nonce submit messages)"]
    assert [load_catalog(language).reworded(m)["reason"] for m in miners] == expected
    old = {k: v for k, v in miners[0].items() if k != "reason_wording"}  # a report from before: its own words
    assert load_catalog(language).reworded(old)["reason"] == miners[0]["reason"]
