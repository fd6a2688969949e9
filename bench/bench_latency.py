"""Benchmark: one audit and a bulk run against sslyze, with a real round-trip time. Not a test.

Loopback answers in microseconds, so it hides every round trip. This benchmark creates a throw-away
network namespace, delays every packet leaving its loopback by RTT/2 (bench/netdelay.py: the
netfilter queue, since this kernel has no sch_netem; an iptables rule that exists only inside the
namespace), runs the other benchmarks inside it, and removes the namespace. Nothing leaves it: the
test world, the DNS server and both scanners all live on its loopback.

It prints:
- per probe of one full audit of the good site: its duration on plain loopback and at the RTT, and
  the difference in round trips (the probes run concurrently, so the longest chain of round trips
  is the audit's critical path);
- bench/bench_audit.py (one audit vs sslyze's default scan, alternating runs);
- bench/bench_bulk.py over --sites sites (trustscan bulk vs sslyze --targets_in, with politeness).

Needs root, `ip` (iproute2) and `iptables-legacy` (Debian package iptables).
Usage: python bench/bench_latency.py [--rtt 0.05] [--runs 5] [--sites 100] [--skip-bulk] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import CHILD_ENV, compile_like_installed  # noqa: E402

QUEUE = 7


@contextmanager
def delayed_namespace(rtt: float) -> Iterator[str]:
    """A fresh namespace whose loopback delays each packet by rtt/2; removed (with the delayer) on exit."""
    for tool in ("ip", "iptables-legacy"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found (apt-get install -y iproute2 iptables)")
    name = f"trustscan-bench-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    delayer = None
    try:
        inside = ["ip", "netns", "exec", name]
        subprocess.run([*inside, "ip", "link", "set", "lo", "up"], check=True)
        subprocess.run([*inside, "iptables-legacy", "-A", "OUTPUT", "-o", "lo", "-j", "NFQUEUE",
                        "--queue-num", str(QUEUE)], check=True)
        delayer = subprocess.Popen([*inside, sys.executable, str(ROOT / "bench" / "netdelay.py"), "--queue",
                                    str(QUEUE), "--delay", str(rtt / 2)], stdout=subprocess.PIPE, text=True)
        assert delayer.stdout is not None
        if delayer.stdout.readline().strip() != "ready":
            raise SystemExit("bench/netdelay.py did not start")
        yield name
    finally:
        if delayer is not None:
            delayer.terminate()
            delayer.wait(timeout=30)
        subprocess.run(["ip", "netns", "del", name], check=False)


def probe_durations() -> dict[str, tuple[str, float]]:
    """One full audit of the good site: each probe's status and duration (seconds)."""
    from tests.world import running_world

    with tempfile.TemporaryDirectory() as scratch, running_world(Path(scratch)) as world:
        site = world.site("good")
        report = Path(scratch) / "report.json"
        subprocess.run([sys.executable, "-m", "trustscan", "audit", site.target, "--resolver",
                        f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle), "--http-port",
                        str(world.http_port), "--allow-private", "--format", "json", "--blocklist",
                        str(world.blocklist), "-o", str(report)], check=False, capture_output=True, env=CHILD_ENV,
                       cwd="/")
        evidence = json.loads(report.read_text())["evidence"]
    return {name: (attempt["status"], attempt.get("duration") or 0.0) for name, attempt in evidence.items()}


def print_round_trips(loopback: dict[str, tuple[str, float]], delayed: dict[str, tuple[str, float]],
                      rtt: float) -> None:
    """Per probe: loopback and delayed durations; their difference over the RTT is the probe's chain of
    round trips (CPU time, and any wait on the machine's load, cancel out as far as they are equal)."""
    print(f"One full audit of `good`, per probe (concurrent; a probe waits for the probes it needs), on plain "
          f"loopback and at {rtt * 1000:.0f} ms RTT:\n")
    print("| probe | status | loopback (s) | at RTT (s) | round trips (difference / RTT) |")
    print("|---|---|---:|---:|---:|")
    for name, (status, duration) in sorted(delayed.items(), key=lambda item: -item[1][1]):
        base = loopback.get(name, (status, 0.0))[1]
        print(f"| {name} | {status} | {base:.2f} | {duration:.2f} | {max(duration - base, 0.0) / rtt:.0f} |")
    print()


def inside(args: argparse.Namespace) -> None:
    print("PROBES " + json.dumps(probe_durations()), flush=True)
    bench = [sys.executable, str(ROOT / "bench" / "bench_audit.py"), "--runs", str(args.runs),
             *(["--baseline", str(args.baseline)] if args.baseline else [])]
    print(subprocess.run(bench, check=True, capture_output=True, text=True).stdout)
    if not args.skip_bulk:
        bulk = [sys.executable, str(ROOT / "bench" / "bench_bulk.py"), "--sizes", str(args.sites)]
        print(subprocess.run(bulk, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=float, default=0.05, help="round-trip time in seconds (default 0.05)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another copy of the package for bench_audit (see there)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)  # set by the outer run
    args = parser.parse_args()
    if args.inside:
        inside(args)
        return
    compile_like_installed()
    loopback = probe_durations()  # the same audit without the delay, for the round-trip column
    with delayed_namespace(args.rtt) as name:
        command = ["ip", "netns", "exec", name, sys.executable, __file__, "--inside", "--rtt", str(args.rtt),
                   "--runs", str(args.runs), "--sites", str(args.sites), *(["--skip-bulk"] if args.skip_bulk else []),
                   *(["--baseline", str(args.baseline.resolve())] if args.baseline else [])]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    first, _, rest = out.partition("\n")
    print_round_trips(loopback, {k: tuple(v) for k, v in json.loads(first.removeprefix("PROBES ")).items()},
                      args.rtt)
    print(rest)


if __name__ == "__main__":
    main()
