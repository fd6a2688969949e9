"""Benchmark: one full `trustscan audit` of the good local site vs sslyze's default scan alone.

Not a test. Starts the nginx test world on loopback, then times, in the same run and
alternating, N runs of each command as a user would type them (process start included), and
prints a markdown table of medians. With --baseline DIR (a folder holding another copy of the
`trustscan` package with its rules, e.g. `git archive <commit> trustscan rules | tar -x -C DIR` then
`mv DIR/rules DIR/trustscan/`), the full audit also runs on that copy, alternating, for a same-run
before/after ratio. Usage: python bench/bench_audit.py [--runs 7] [--site good] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import compile_like_installed, timed  # noqa: E402
from tests.world import running_world  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--site", default="good")
    parser.add_argument("--baseline", type=Path, help="folder holding another copy of the trustscan package")
    args = parser.parse_args()
    compile_like_installed(args.baseline)
    with tempfile.TemporaryDirectory() as scratch, running_world(Path(scratch)) as world:
        site = world.site(args.site)
        audit = [sys.executable, "-m", "trustscan", "audit", site.target, "--resolver",
                 f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle),
                 "--http-port", str(world.http_port), "--allow-private", "--format", "json",
                 "--blocklist", str(world.blocklist)]
        sslyze = [sys.executable, "-m", "sslyze", f"{site.host}:{site.https_port}{{{site.ip}}}",
                  "--certinfo_ca_file", str(world.ca_bundle), "--quiet"]
        commands = {
            "trustscan audit (all six criteria, 30-page crawl)": audit,
            "trustscan audit --only c (TLS and HTTPS front door)": [*audit, "--only", "c"],
            "sslyze default scan (TLS only)": sslyze,
        }
        if args.baseline:
            commands["baseline: trustscan audit (all six criteria)"] = audit
        baseline = str(args.baseline.resolve()) if args.baseline else None
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():  # alternate so drift hits both equally
                wall, cpu, code = timed(command, pythonpath=baseline if name.startswith("baseline") else None)
                if "trustscan" in name and code not in (0, 1):
                    raise SystemExit(f"trustscan exited {code}")
                samples[name].append((wall, cpu))
    print(f"Site `{args.site}` of the local nginx world, {args.runs} alternating runs, medians:\n")
    print("| command | wall (s) | CPU (s) |")
    print("|---|---:|---:|")
    for name, runs in samples.items():
        print(f"| {name} | {statistics.median(w for w, _ in runs):.2f} | {statistics.median(c for _, c in runs):.2f} |")
    if args.baseline:
        full, base = (statistics.median(w for w, _ in samples[name]) for name in (
            "trustscan audit (all six criteria, 30-page crawl)", "baseline: trustscan audit (all six criteria)"))
        print(f"\nFull audit, this copy / baseline (wall): {full / base:.2f}")
    sslyze_wall = statistics.median(w for w, _ in samples["sslyze default scan (TLS only)"])
    full_wall = statistics.median(w for w, _ in samples["trustscan audit (all six criteria, 30-page crawl)"])
    print(f"Full audit / sslyze default scan (wall, same run): {full_wall / sslyze_wall:.2f}")


if __name__ == "__main__":
    main()
