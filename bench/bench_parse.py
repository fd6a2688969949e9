"""Benchmark: HTML parsing of crawled pages, ordinary and hostile, by the candidate parsers.

Not a test. Times, in one process, the parse alone by
  - BeautifulSoup with the stdlib `html.parser` (the crawl's parser before lxml),
  - BeautifulSoup with its "lxml" tree builder,
  - lxml directly (`trustscan.collect.crawl.parse.parse_html`, what the crawl uses),
and the whole `extract_page` (parse + every fact) with lxml, on:
  - an ordinary 37 kB news page and a 400 kB portal page (many links, tables, a <style> block);
  - hostile pages at the crawl's 2 MB cap: `<a x="` repeated (quadratic in html.parser), and
    unclosed `<a href><form>` nested a megabyte deep.
html.parser is given at most the sizes it can survive (`--slow-cap`, default 100 kB); BeautifulSoup
rows are skipped when bs4 is not installed (it is no longer a dependency).
Prints a markdown table of medians. Usage: python bench/bench_parse.py [--runs 5] [--slow-cap 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trustscan.collect.crawl.extract import extract_page  # noqa: E402
from trustscan.collect.crawl.parse import parse_html  # noqa: E402

MB = 1024 * 1024


def news_page(items: int) -> str:
    rows = "".join(f'<tr><td><a href="/tin-tuc/{i}.html" class="title">Tin tức số {i}: Sở Giáo dục thông báo '
                   f'lịch tuyển sinh năm học mới</a></td><td><font color="#333">Ngày {i % 28 + 1}/9</font>'
                   f'</td></tr>' for i in range(items))
    style = ".hide{display:none} #menu{position:absolute;left:-9999px} " * 20
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Cổng thông tin</title>'
            f"<style>{style}</style><script>var a=1;</script></head><body><div id=menu><ul>"
            + "".join(f'<li><a href="/muc/{i}">Mục {i}</a></li>' for i in range(40))
            + f"</ul></div><table>{rows}</table><p>Bản quyền © Sở Giáo dục</p></body></html>")


CASES: dict[str, str] = {
    "news page, 37 kB": news_page(150),
    "portal page, 400 kB": news_page(1700),
    'hostile `<a x="` x 50 kB': '<a x="' * (50_000 // 6),
    'hostile `<a x="` x 100 kB': '<a x="' * (100_000 // 6),
    'hostile `<a x="` x 2 MB': '<a x="' * (2 * MB // 6),
    "hostile nested `<a href><form>` 1 MB": "<a href=/x><form>" * (MB // 17),
}


def parsers() -> dict[str, Callable[[str], Any]]:
    found: dict[str, Callable[[str], Any]] = {}
    try:
        from bs4 import BeautifulSoup
    except ImportError:
        print("bs4 not installed: BeautifulSoup rows skipped", file=sys.stderr)
    else:
        found["bs4 + html.parser"] = lambda text: BeautifulSoup(text, "html.parser")
        found["bs4 + lxml builder"] = lambda text: BeautifulSoup(text, "lxml")
    found["lxml (parse_html)"] = parse_html
    found["lxml parse + extract_page"] = lambda text: extract_page(text, "https://site.test/")
    return found


def median_seconds(parse: Callable[[str], Any], text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        clock = time.perf_counter()
        parse(text)
        times.append(time.perf_counter() - clock)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow-cap", type=int, default=100_000,
                        help="largest hostile page given to html.parser (it is quadratic)")
    args = parser.parse_args()
    candidates = parsers()
    print("| page | " + " | ".join(candidates) + " |")
    print("|---|" + "---:|" * len(candidates))
    for name, text in CASES.items():
        cells = []
        for label, parse in candidates.items():
            hostile = name.startswith("hostile")
            if label == "bs4 + html.parser" and hostile and len(text) > args.slow_cap:
                cells.append("(skipped)")
                continue
            runs = 1 if label.startswith("bs4") and hostile else args.runs
            cells.append(f"{median_seconds(parse, text, runs) * 1000:.1f} ms")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
