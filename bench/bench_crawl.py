"""Benchmark: an audit with a 30-page crawl of the local content site, and the crawl probe alone.

Not a test. Starts the nginx test world on loopback, then times N runs of
  1. `trustscan audit content-clean --max-pages 30` as a user types it (process start included);
  2. the crawl + b/đ analyses alone, in process (crawl_site, analyse_content, analyse_privacy);
and prints a markdown table of medians. Usage: python bench/bench_crawl.py [--runs 7] [--pages 30]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import timed  # noqa: E402
from tests.world import World, running_world  # noqa: E402
from trustscan.collect.crawl.content import analyse_content  # noqa: E402
from trustscan.collect.crawl.crawl import CrawlLimits, crawl_site  # noqa: E402
from trustscan.collect.crawl.privacy import analyse_privacy  # noqa: E402
from trustscan.core.settings import NameServer  # noqa: E402
from trustscan.net.httpclient import PinnedBackend, PinnedTransport, make_client  # noqa: E402
from trustscan.net.resolve import Resolver  # noqa: E402

SITE = "content-clean"  # 37 pages: more than 30, so the crawl always reaches its page limit


async def crawl_only(world: World, pages: int) -> tuple[float, float, int]:
    """Wall and CPU seconds of the crawl and its analyses in this process; pages fetched."""
    site = world.site(SITE)
    resolver = Resolver(NameServer(world.dns_ip, world.dns_port), timeout=5)
    transport = PinnedTransport(PinnedBackend({site.host: site.ip}, resolver, allow_private=True))
    cpu, clock = time.process_time(), time.perf_counter()
    async with make_client(transport, timeout=10) as client:
        limits = CrawlLimits(max_pages=pages, deadline=time.monotonic() + 60)
        crawl = await crawl_site(client, [site.https_url()], site.host, limits)
        analyse_content(crawl, site.host)
        await analyse_privacy(client, crawl, timeout=10, deadline=time.monotonic() + 10)
    return time.perf_counter() - clock, time.process_time() - cpu, crawl["pages_fetched"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pages", type=int, default=30)
    args = parser.parse_args()
    audits: list[tuple[float, float]] = []
    crawls: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as scratch, running_world(Path(scratch)) as world:
        site = world.site(SITE)
        command = [sys.executable, "-m", "trustscan", "audit", site.target, "--resolver",
                   f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle), "--http-port",
                   str(world.http_port), "--allow-private", "--blocklist", str(world.blocklist),
                   "--max-pages", str(args.pages), "--format", "json"]
        for _ in range(args.runs):
            wall, cpu, code = timed(command)
            if code not in (0, 1):
                raise SystemExit(f"trustscan exited {code}")
            audits.append((wall, cpu))
            wall, cpu, fetched = asyncio.run(crawl_only(world, args.pages))
            if fetched != args.pages:
                raise SystemExit(f"crawl fetched {fetched} pages, expected {args.pages}")
            crawls.append((wall, cpu))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"Site `{SITE}` of the local nginx world, {args.pages}-page crawl, {args.runs} runs, medians:\n")
    print("| what | wall (s) | CPU (s) |")
    print("|---|---:|---:|")
    for name, runs in ((f"trustscan audit --max-pages {args.pages} (all criteria, CLI)", audits),
                       (f"crawl of {args.pages} pages + b/đ analyses (in process)", crawls)):
        print(f"| {name} | {statistics.median(w for w, _ in runs):.2f} | "
              f"{statistics.median(c for _, c in runs):.2f} |")
    print(f"\nPeak RSS of an audit process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
