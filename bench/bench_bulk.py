"""Benchmark: `trustscan bulk` vs `python -m sslyze --targets_in` over N generated sites. Not a test.

For each N (default 100 and 1,000) one nginx serves N identical good sites (tests/world/many.py: 4 names
per 127.1.x.y address, wildcard certificate, HSTS, redirect, home page, security.txt) and both tools
scan the same servers in the same run, one after the other, each as its own process:

- wall time and sites per second;
- peak RSS of that process (os.wait4's rusage of exactly that child, so one tool's peak cannot leak
  into the other's number) and its CPU time (user + system);
- load on the scanned servers: TCP connections nginx accepted during the scan (stub_status), per site.

trustscan does more per site (TLS + HTTP redirect + HSTS + security.txt + whatever probes exist) than
sslyze (TLS only). Prints a markdown table. Usage:

    python bench/bench_bulk.py [--sizes 100,1000] [--concurrency 16] [--per-ip 2] [--skip-sslyze]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.world.many import ManyWorld, running_many  # noqa: E402

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Measurement:
    tool: str
    sites: int
    wall: float
    cpu: float
    peak_rss_mb: float
    connections: int
    exit_code: int
    note: str = ""

    def row(self) -> str:
        rate = self.sites / self.wall if self.wall else 0.0
        return (f"| {self.tool} | {self.sites} | {self.wall:.1f} | {rate:.2f} | {self.peak_rss_mb:.0f} | "
                f"{self.cpu:.1f} | {self.connections / self.sites:.0f} | {self.note} |")


def run_measured(args: list[str], world: ManyWorld, tool: str, sites: int, note: str = "") -> Measurement:
    """Run one tool as a child process; its own rusage (peak RSS, CPU) comes from wait4."""
    before = world.accepted_connections()
    clock = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    # Drain stderr on the side so a chatty tool can never block on a full pipe.
    errors = bytearray()
    os.set_blocking(proc.stderr.fileno(), False)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        chunk = proc.stderr.read()
        if chunk:
            errors += chunk[-4096:]
        if pid:
            break
        time.sleep(0.1)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - clock
    connections = world.accepted_connections() - before
    if proc.returncode not in (0, 1, 3):
        print(f"{tool} exited {proc.returncode}: {errors[-2000:].decode(errors='replace')}", file=sys.stderr)
    return Measurement(tool, sites, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, connections,
                       proc.returncode, note)


def bench_size(n: int, concurrency: int, per_ip: int, skip_sslyze: bool, only: str) -> list[Measurement]:
    results = []
    with tempfile.TemporaryDirectory(prefix="trustscan-bench-") as tmp, running_many(Path(tmp), n) as world:
        portfolio = Path(tmp) / "portfolio.txt"
        portfolio.write_text("\n".join(world.targets()) + "\n", encoding="utf-8")
        db = Path(tmp) / "results.db"
        results.append(run_measured([
            str(BIN / "trustscan"), "bulk", str(portfolio), "--db", str(db), "--quiet", "--allow-private",
            "--resolver", f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle),
            "--http-port", str(world.http_port), "--concurrency", str(concurrency), "--per-ip", str(per_ip),
            "--timeout", "120", *(["--only", only] if only else []),
        ], world, "trustscan bulk" + (f" --only {only}" if only else ""), n))
        results[-1] = replace(results[-1], note=f"concurrency {concurrency}, per-ip {per_ip}; {_outcome(db)}")
        if not skip_sslyze:
            targets = Path(tmp) / "sslyze-targets.txt"
            targets.write_text("".join(f"{host}:{world.https_port}{{{ip}}}\n"
                                       for host, ip in zip(world.hosts, world.addresses, strict=True)))
            results.append(run_measured([
                str(BIN / "python"), "-m", "sslyze", "--targets_in", str(targets), "--quiet",
                "--certinfo_ca_file", str(world.ca_bundle),
            ], world, "sslyze --targets_in", n, "default scan commands, TLS only"))
    return results


def _outcome(db: Path) -> str:
    """Completeness check of the trustscan run, so a fast but broken run cannot look good."""
    try:
        with sqlite3.connect(db) as conn:
            status = conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            rows = dict(conn.execute("SELECT overall, count(*) FROM results GROUP BY overall").fetchall())
    except sqlite3.Error as exc:
        return f"db unreadable: {exc}"
    return f"run {status[0] if status else '?'}, results {rows}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-ip", type=int, default=2)
    parser.add_argument("--skip-sslyze", action="store_true")
    parser.add_argument("--only", default="c,e",
                        help="criteria for trustscan bulk (default c,e: TLS + security.txt + home page, the scope "
                             "sslyze is compared on); '' for every criterion")
    options = parser.parse_args()
    measurements: list[Measurement] = []
    for n in (int(size) for size in options.sizes.split(",")):
        done = bench_size(n, options.concurrency, options.per_ip, options.skip_sslyze, options.only)
        measurements += done
        for m in done:
            print(f"N={n} {m.tool}: {m.wall:.1f} s, {m.peak_rss_mb:.0f} MB, exit {m.exit_code}", file=sys.stderr)
    print(f"\n{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    print("| tool | sites | wall s | sites/s | peak RSS MB | CPU s | TCP conns/site | notes |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for m in measurements:
        print(m.row())


if __name__ == "__main__":
    main()
