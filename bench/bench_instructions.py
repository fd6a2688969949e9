"""Benchmark: CPU instructions per audited site, counted by valgrind. Not a test.

Timings on a shared machine drift by tens of percent within an hour, so a change of a few percent
of CPU per site cannot be seen in `bench_bulk.py`'s wall times. Instructions executed can: this
counts them with valgrind (`--tool=cachegrind --cache-sim=no`), which runs the audit on a
simulated CPU, so the load of the machine does not change the count (repeated runs agree within
~0.1%). What it leaves out: the kernel's work (system calls, TCP and TLS on loopback) and the
servers' (nginx, the DNS server), and how fast each instruction runs (cache misses).

It starts the many-site world on loopback (tests/world/many.py), then runs bench/count_audits.py
(bulk's per-site work, one site after the other, one DNS cache) under valgrind twice: over the
warm-up site alone and over N more sites. The difference divided by N is the count per site;
start-up and the warm-up audit cancel out. `--by-criterion` adds one line per criterion (`--only`),
`--baseline DIR` counts another copy of the trustscan package on the same world (`git archive
<commit> trustscan rules | tar -x -C DIR; mv DIR/rules DIR/trustscan/`). Needs valgrind (Debian:
`apt-get install valgrind`). Usage:

    python bench/bench_instructions.py [--sites 10] [--by-criterion] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_bulk import BLOCKLIST  # noqa: E402
from bench.measure import child_env, compile_like_installed  # noqa: E402
from tests.world.many import running_many  # noqa: E402

DRIVER = Path(__file__).resolve().parent / "count_audits.py"
CRITERIA = ("a", "b", "c", "d", "dd", "e")
_TOTAL = re.compile(rb"I\s+refs:\s+([\d,]+)")


def instructions(settings: Path, count: int, criteria: str, pythonpath: str | None) -> int:
    """Instructions valgrind counted over one run of the driver (start-up and warm-up audit included)."""
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
               sys.executable, str(DRIVER), str(settings), "--count", str(count),
               *(["--criteria", criteria] if criteria else [])]
    result = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL, cwd="/", env=child_env(pythonpath),
                            check=False)
    found = _TOTAL.search(result.stderr)
    if result.returncode != 0 or found is None:
        sys.exit(f"the count failed (exit {result.returncode}): {result.stderr[-600:].decode(errors='replace')}")
    return int(found.group(1).replace(b",", b""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10, help="audits counted (default 10)")
    parser.add_argument("--by-criterion", action="store_true", help="also one count per criterion (--only)")
    parser.add_argument("--baseline", type=Path, help="folder holding another copy of the trustscan package")
    options = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    compile_like_installed(options.baseline)
    copies = [("trustscan", None)] + ([("baseline", str(options.baseline.resolve()))] if options.baseline else [])
    scopes = [""] + (list(CRITERIA) if options.by_criterion else [])
    with tempfile.TemporaryDirectory(prefix="trustscan-bench-") as tmp, \
            running_many(Path(tmp), options.sites + 1) as world:
        blocklist = Path(tmp) / "blocklist.txt"
        blocklist.write_text(BLOCKLIST, encoding="utf-8")
        settings = Path(tmp) / "settings.json"
        settings.write_text(json.dumps({
            "resolver": f"{world.dns_ip}:{world.dns_port}", "ca_bundle": str(world.ca_bundle),
            "http_port": world.http_port, "blocklist": str(blocklist), "sites": world.targets(),
        }), encoding="utf-8")
        for _, path in copies:  # once outside valgrind: bytecode and the parsed-rules cache written before counting
            subprocess.run([sys.executable, str(DRIVER), str(settings), "--count", "0"], capture_output=True,
                           stdin=subprocess.DEVNULL, cwd="/", check=True,
                           env=child_env(path))
        runs = [(copy, path, scope, count) for copy, path in copies for scope in scopes for count in (0, options.sites)]
        # Counts do not depend on the machine's load: the runs share the cores.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            counted = list(pool.map(lambda run: instructions(settings, run[3], run[2], run[1]), runs))
    totals: dict[tuple[str, str, int], int] = {
        (copy, scope, count): total for (copy, _, scope, count), total in zip(runs, counted, strict=True)}
    print(f"\n{options.sites} audits counted, Python {sys.version.split()[0]}\n")
    print("| copy | scope | M instructions per site | start-up and warm-up audit, M |"
          + (" vs baseline |" if options.baseline else ""))
    print("|---|---|---:|---:|" + ("---:|" if options.baseline else ""))

    def per_site(copy: str, scope: str) -> float:
        return (totals[(copy, scope, options.sites)] - totals[(copy, scope, 0)]) / options.sites / 1e6

    for copy, _ in copies:
        for scope in scopes:
            row = (f"| {copy} | {'--only ' + scope if scope else 'all six criteria'} | {per_site(copy, scope):.1f} "
                   f"| {totals[(copy, scope, 0)] / 1e6:.0f} |")
            if options.baseline:
                row += f" {per_site(copy, scope) / per_site('baseline', scope) - 1:+.1%} |"
            print(row)

if __name__ == "__main__":
    main()
