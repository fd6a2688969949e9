"""Benchmark: start-up of `trustscan` commands that do no network work (help and version). Not a test.

Each command is run N times as a user types it (a fresh process, bytecode compiled as an installed
wheel has it); prints the median wall and CPU time. With --baseline DIR (a folder holding another
copy of the `trustscan` package, e.g. `git archive <commit> trustscan | tar -x -C DIR`) each command
also runs on that copy, alternating, and the table gives the same-run ratio.
Usage: python bench/bench_startup.py [--runs 21] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import compile_like_installed, timed  # noqa: E402

COMMANDS = {
    "python -c pass (the interpreter alone)": [sys.executable, "-c", "pass"],
    "trustscan --version": [sys.executable, "-m", "trustscan", "--version"],
    "trustscan audit --help": [sys.executable, "-m", "trustscan", "audit", "--help"],
    "trustscan bulk --help": [sys.executable, "-m", "trustscan", "bulk", "--help"],
    "trustscan --help (imports every command)": [sys.executable, "-m", "trustscan", "--help"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--baseline", type=Path, help="folder holding another copy of the trustscan package")
    args = parser.parse_args()
    compile_like_installed(args.baseline)
    copies = {"this": None, "baseline": str(args.baseline.resolve())} if args.baseline else {"this": None}
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {
        (name, copy): [] for name in COMMANDS for copy in copies}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():  # alternate so drift hits every command equally
            for copy, path in copies.items():
                wall, cpu, code = timed(command, pythonpath=path)
                if code != 0:
                    raise SystemExit(f"{name} ({copy}) exited {code}")
                samples[(name, copy)].append((wall, cpu))
    print(f"{args.runs} alternating runs, medians:\n")
    extra = " baseline wall (s) | baseline CPU (s) | wall ratio |" if args.baseline else ""
    print("| command | wall (s) | CPU (s) |" + extra)
    print("|---|---:|---:|" + ("---:|---:|---:|" if args.baseline else ""))
    for name in COMMANDS:
        wall, cpu = (statistics.median(x[i] for x in samples[(name, "this")]) for i in (0, 1))
        row = f"| {name} | {wall:.3f} | {cpu:.3f} |"
        if args.baseline:
            base_wall, base_cpu = (statistics.median(x[i] for x in samples[(name, "baseline")]) for i in (0, 1))
            row += f" {base_wall:.3f} | {base_cpu:.3f} | {wall / base_wall:.2f} |"
        print(row)


if __name__ == "__main__":
    main()
