"""Benchmark: signing, verifying and rendering (HTML, SVG) a report as it grows. Not a test.

A report gets N extra verdicts with long observed values (a big crawl's worth of evidence), then,
in-process, the median time of: sign_report (RFC 8785 + Ed25519), verify_document, the HTML page
and the SVG badge, with the document's size and the peak memory (tracemalloc) of one HTML render.
Target: a 1,000-verdict report signs, verifies and renders in well under a second each.

    python bench/bench_publish.py [--sizes 0,100,1000,5000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.publish_samples import sample_report  # noqa: E402
from trustscan.core.catalog import load_catalog  # noqa: E402
from trustscan.publish.attestation import envelope_bytes, parse_document, sign_report, verify_document  # noqa: E402
from trustscan.publish.keys import generate_key_pair  # noqa: E402
from trustscan.render.badge import render_svg, summarise  # noqa: E402
from trustscan.render.formats.html import render_document  # noqa: E402


def grown(extra: int) -> dict[str, Any]:
    report = sample_report()
    template = dict(report["verdicts"][0])
    for i in range(extra):
        observed = {"crawl.links": [f"https://site.example.gov.vn/page/{i}/{j}" for j in range(8)], "n": i}
        report["verdicts"].append({**template, "rule_id": f"e.bench.rule_{i}", "observed": observed})
    return report


def median(function: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        clock = time.perf_counter()
        function()
        times.append(time.perf_counter() - clock)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="0,100,1000,5000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    key = generate_key_pair()
    catalog = load_catalog("vi")
    now = datetime.now(UTC)
    print("| extra verdicts | envelope KiB | sign ms | verify ms | html ms | html KiB | html peak MiB | svg ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        report = grown(size)
        data = envelope_bytes(sign_report(report, key, now=now))
        document = parse_document(data)
        sign = median(lambda r=report: sign_report(r, key, now=now), args.runs)
        verify = median(lambda d=data: verify_document(d, key.public_key(), now=now), args.runs)
        html_time = median(lambda d=document: render_document(d, catalog, now=now), args.runs)
        tracemalloc.start()
        html = render_document(document, catalog, now=now)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        svg = median(lambda d=document: render_svg(summarise(d, catalog, now=now)), args.runs)
        print(f"| {size} | {len(data) / 1024:.0f} | {sign * 1000:.1f} | {verify * 1000:.1f} | {html_time * 1000:.1f} "
              f"| {len(html.encode()) / 1024:.0f} | {peak / 2**20:.1f} | {svg * 1000:.2f} |")


if __name__ == "__main__":
    main()
