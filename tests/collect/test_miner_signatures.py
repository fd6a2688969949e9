"""Issue 10 item 9: the miner families after Coinhive, as data, in inline scripts, URLs and same-site files."""

from __future__ import annotations

import pytest

from trustscan.collect.crawl.signatures import load_signatures, match_script

KEY = "a3f1" * 16


def miners(text: str, src: str = "") -> list[str]:
    return [signal["id"] for signal in match_script(text, src) if signal["kind"] == "cryptominer"]


@pytest.mark.parametrize(("text", "family"), [
    ('var miner = new CRLT.Anonymous("site-key", {threads: 3, throttle: 0.2, coin: "upx"}); miner.start();',
     "miner.cryptoloot"),
    ("var l = new CryptoLoot.Anonymous('k');", "miner.cryptoloot"),
    (f"var _client = new Client.Anonymous('{KEY}', {{throttle: 0, c: 'w'}}); _client.start();", "miner.coinimp"),
    ("var c = new Client.Anonymous(siteKey, {throttle: 0.4, ads: 0});", "miner.coinimp"),
    ("var miner = WMP.Anonymous('SK_x'); miner.start();", "miner.webminepool"),
    ("var miner = new deepMiner.Anonymous('47Ab', {autoThreads: true}); miner.start();", "miner.deepminer"),
    ("var m = new Minero.Anonymous('k');", "miner.minero"),
    ('!function(e,n,s){var o=document.createElement("script");o.src="https://load.jsecoin.com/load/"+e+"/"+n}'
     '(1, "x", 0);', "miner.jsecoin"),
    ("self.importScripts('cryptonight.wasm.js'); var w = new CryptonightWASMWrapper();", "miner.cryptonight_wasm"),
    ("WebAssembly.instantiateStreaming(fetch('/static/cn.wasm'))", "miner.cryptonight_wasm"),
    ('var ws = new WebSocket("wss://ws.supportxmr.example:443/"); ws.onmessage = job;', "miner.stratum_websocket"),
    ("var pool = 'stratum+tcp://pool.minexmr.example:4444';", "miner.stratum_websocket"),
    ('send({"method": "submit", "params": {"id": id, "job_id": job.job_id, "nonce": n, "result": r}})',
     "miner.stratum_websocket"),
])
def test_each_family_is_recognised_in_inline_code(text: str, family: str) -> None:
    assert family in miners(text)


@pytest.mark.parametrize(("src", "family"), [
    ("https://crypto-loot.org/lib/miner.min.js", "miner.cryptoloot"),
    ("https://www.hostingcloud.racing/Nq3x.js", "miner.coinimp"),
    ("https://webminepool.com/lib/base.js", "miner.webminepool"),
    ("/js/deepMiner.min.js", "miner.deepminer"),
    ("https://load.jsecoin.com/load/1/x/0/", "miner.jsecoin"),
])
def test_each_family_is_recognised_by_its_script_url(src: str, family: str) -> None:
    assert miners("", src) == [family]


@pytest.mark.parametrize("text", [
    "WebAssembly.instantiateStreaming(fetch('/pdf.worker.wasm')).then(start);",  # WebAssembly itself is fine
    'var chat = new WebSocket("wss://chat.example.gov.vn/socket");',
    "var client = new Client({url: '/api'}); client.Anonymous = false;",
    "document.title = 'Giá Monero hôm nay tăng mạnh';",  # news about Monero is not a miner
    "function submit(job) { return job.id; }",
])
def test_legitimate_code_is_not_a_miner(text: str) -> None:
    assert miners(text) == []


def test_every_signature_has_a_unique_id_and_something_to_match() -> None:
    signatures = load_signatures()
    assert len({s.id for s in signatures}) == len(signatures)
    assert all(s.src or s.pattern for s in signatures)
    assert {"miner.cryptoloot", "miner.coinimp", "miner.webminepool", "miner.deepminer", "miner.jsecoin",
            "miner.cryptonight_wasm", "miner.stratum_websocket"} <= {s.id for s in signatures}
