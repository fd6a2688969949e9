"""Benchmark: parsing, indexing and matching "do not visit" list snapshots of growing size. Not a test.

Generates a synthetic list per size (80 % domains, 8 % wildcards, 6 % IPs, 6 % CIDR ranges, IPv4 and
IPv6), then times, in-process: parse_list (bytes -> entries), SnapshotSet construction (indexes), and
the median cost of one match_host / match_ip call (what the crawler pays per outbound link), plus the
peak memory (tracemalloc) of parse + index. Prints a markdown table.

    python bench/bench_blocklist.py [--sizes 10000,100000,1000000] [--lookups 20000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trustscan.lists.formats import parse_list  # noqa: E402
from trustscan.lists.matcher import SnapshotSet, snapshot_from_bytes  # noqa: E402


def synthetic_list(size: int, rng: random.Random) -> bytes:
    lines = ["# synthetic do-not-visit list"]
    for i in range(size):
        roll = rng.random()
        if roll < 0.80:
            lines.append(f"site{i}.example{i % 97}.vn")
        elif roll < 0.88:
            lines.append(f"*.zone{i}.example.com")
        elif roll < 0.94:
            lines.append(f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}")
        elif roll < 0.97:
            prefix = rng.choice((16, 20, 24))
            lines.append(f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.0/{prefix}")
        else:
            lines.append(f"2001:db8:{rng.randrange(65536):x}::/{rng.choice((32, 48, 64))}")
    return ("\n".join(lines) + "\n").encode()


def per_call_us(function, arguments: list[str]) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for chunk in range(0, len(arguments), 1000):
        batch = arguments[chunk:chunk + 1000]
        clock = time.perf_counter()
        for argument in batch:
            function(argument)
        samples.append((time.perf_counter() - clock) / len(batch) * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--lookups", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(137)
    hosts = [f"www.page{i}.example{i % 50}.gov.vn" for i in range(args.lookups)]
    ips = [f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
           for _ in range(args.lookups)]
    print("| entries | file MB | parse s | index s | peak MB (parse+index) | match_host µs | match_ip µs |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        data = synthetic_list(size, rng)
        clock = time.perf_counter()
        parsed = parse_list(data)
        parse_s = time.perf_counter() - clock
        snapshot, _ = snapshot_from_bytes(data, name="bench", source="synthetic", imported_at=datetime.now(UTC),
                                          origin="file")
        clock = time.perf_counter()
        snapshots = SnapshotSet([snapshot])
        index_s = time.perf_counter() - clock
        # Memory in a second pass: tracemalloc slows everything it traces, so it must not touch the timings.
        del snapshot, snapshots
        tracemalloc.start()
        snapshots = SnapshotSet([snapshot_from_bytes(data, name="bench", source="synthetic",
                                                     imported_at=datetime.now(UTC), origin="file")[0]])
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        assert len(parsed.entries) > 0.9 * size
        host_us = per_call_us(snapshots.match_host, hosts)
        ip_us = per_call_us(snapshots.match_ip, ips)
        print(f"| {len(parsed.entries):,} | {len(data) / 1e6:.1f} | {parse_s:.2f} | {index_s:.2f} | "
              f"{peak:.0f} | {host_us:.1f} | {ip_us:.1f} |")


if __name__ == "__main__":
    main()
