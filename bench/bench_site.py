"""Benchmark: `trustscan publish` of a monitored portfolio, and `portfolio` over the same history. Not a test.

Builds a results database of N sites x R rounds (each row a realistic ~46 kB report, built by the
real engine: tests/support/publish_samples.py; one site in ten alternates pass/fail between
rounds), then times, as a user runs them (process start included, bench/measure.py), the
`publish` of the whole static site and the `portfolio` HTML dashboard, with the site's size.

    python bench/bench_site.py [--sites 100,1000] [--rounds 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import compile_like_installed, timed  # noqa: E402
from tests.support.publish_samples import sample_report  # noqa: E402
from trustscan.bulk.portfolio import parse_text  # noqa: E402
from trustscan.bulk.store import ResultStore, SiteRow  # noqa: E402
from trustscan.core.timestamps import rfc3339  # noqa: E402

TRUSTSCAN = str(Path(sys.executable).with_name("trustscan"))


def build(db: Path, sites: int, rounds: int) -> None:
    hosts = [f"s{i:05d}.example.gov.vn" for i in range(sites)]
    entries = parse_text("\n".join(hosts) + "\n").entries
    template = sample_report()
    now = datetime.now(UTC)
    with ResultStore(db) as store:
        for r in range(rounds):
            at = rfc3339(now - (rounds - 1 - r) * timedelta(hours=6))
            run = store.create_run(portfolio="p.txt", digest="d", settings={}, language="vi", tool_version="b",
                                   entries=entries)
            for i, host in enumerate(hosts):
                overall = "fail" if i % 10 == 0 and r % 2 else "pass"
                template["overall"] = overall
                template["target"]["host"] = template["target"]["ascii_host"] = host
                store.record(run, SiteRow(f"{host}:443", overall, {"c": overall, "e": "pass"},
                                          json.dumps(template, ensure_ascii=False), None, 1.0, at))
            store.set_status(run, "complete")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", default="100,1000")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    compile_like_installed()
    print("| sites | rounds | db MB | publish wall s | publish CPU s | site files | site MB | portfolio wall s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for sites in (int(n) for n in args.sites.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            db, site = Path(tmp) / "r.db", Path(tmp) / "site"
            clock = time.perf_counter()
            build(db, sites, args.rounds)
            print(f"<!-- built in {time.perf_counter() - clock:.1f} s -->", file=sys.stderr)
            wall, cpu, code = timed([TRUSTSCAN, "publish", str(db), "--site", str(site)])
            assert code == 0, code
            files = [p for p in site.rglob("*") if p.is_file()]
            size = sum(p.stat().st_size for p in files) / 1e6
            dash_wall, _cpu, code = timed([TRUSTSCAN, "portfolio", str(db), "-o", str(Path(tmp) / "d.html")])
            assert code == 0, code
            print(f"| {sites} | {args.rounds} | {db.stat().st_size / 1e6:.0f} | {wall:.1f} | {cpu:.1f} | "
                  f"{len(files)} | {size:.0f} | {dash_wall:.1f} |")
            shutil.rmtree(site)


if __name__ == "__main__":
    main()
