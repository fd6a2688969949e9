"""Benchmark: `bulk --broker` with 1, 2 and 4 `trustscan worker` processes vs the embedded `bulk`. Not a test.

One nginx serves N identical good sites (tests/world/many.py, 4 names per 127.1.x.y address); a
real redis-server and PostgreSQL run on loopback in temp folders (tests/support/services.py). Each
configuration audits the same portfolio into a fresh database:

- embedded: `trustscan bulk` in one process, into SQLite and into PostgreSQL;
- distributed: `trustscan bulk --broker` with K already-running workers (K = 1, 2, 4), each with the
  same `--concurrency` as the embedded process, `--per-ip` holding across all of them.

Reported: wall time (bulk's start to its exit, queueing included), sites per second, CPU seconds per
site of every process involved (bulk + workers; read from /proc for the long-running workers), and
the per-site overhead of the distributed path against the embedded one: the extra wall time per site
with one worker (same concurrency, same machine), and the extra CPU per site. Every run is checked
complete (all N rows) so a fast but broken run cannot look good. Prints a markdown table. Usage:

    python bench/bench_scaleout.py [--sites 1000] [--workers 1,2,4] [--concurrency 16] [--per-ip 2] [--only c,e]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.services import running_postgres, running_redis  # noqa: E402
from tests.world.many import ManyWorld, running_many  # noqa: E402

TRUSTSCAN = str(Path(sys.executable).parent / "trustscan")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Result:
    label: str
    sites: int
    wall: float
    cpu: float
    recorded: int
    exit_code: int

    def row(self, base: Result | None) -> str:
        rate = self.sites / self.wall
        extra = "— | —"
        if base is not None and base is not self:
            extra = f"{_delta(self.wall, base.wall, self.sites)} | {_delta(self.cpu, base.cpu, self.sites)}"
        return (f"| {self.label} | {self.sites} | {self.wall:.1f} | {rate:.1f} | {self.cpu / self.sites * 1000:.0f} | "
                f"{extra} | {self.recorded}/{self.sites}, exit {self.exit_code} |")


def _delta(value: float, base: float, sites: int) -> str:
    return f"{(value - base) / sites * 1000:+.1f} ms ({(value / base - 1) * 100:+.0f}%)"


def audit_options(world: ManyWorld, per_ip: int, only: str) -> list[str]:
    return ["--resolver", f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle),
            "--http-port", str(world.http_port), "--allow-private", "--timeout", "120", "--per-ip", str(per_ip),
            "--quiet", *(["--only", only] if only else [])]


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def timed(args: list[str]) -> tuple[float, float, int]:
    """(wall, CPU of that child, exit code)."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty child can never block on it
        clock = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - clock
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1, 3):
            errors.seek(0)
            print(f"{args[1]} exited {code}: {errors.read().decode(errors='replace')[-2000:]}", file=sys.stderr)
    return wall, usage.ru_utime + usage.ru_stime, code


def count_rows(db: str) -> int:
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM results").fetchone()[0])  # type: ignore[index]
    import sqlite3

    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM results").fetchone()[0])


def embedded(world: ManyWorld, portfolio: Path, db: str, label: str, concurrency: int, per_ip: int,
             only: str) -> Result:
    wall, cpu, code = timed([TRUSTSCAN, "bulk", str(portfolio), "--db", db, "--concurrency", str(concurrency),
                             *audit_options(world, per_ip, only)])
    return Result(label, len(world.hosts), wall, cpu, count_rows(db), code)


def distributed(world: ManyWorld, portfolio: Path, db: str, broker: str, workers: int, concurrency: int,
                per_ip: int, only: str, logs: Path) -> Result:
    procs = []
    for i in range(workers):
        with open(logs / f"worker{workers}-{i}.log", "wb") as log:
            procs.append(subprocess.Popen([TRUSTSCAN, "worker", "--broker", broker, "--db", db, "--concurrency",
                                           str(concurrency), "--quiet"], stdout=log, stderr=log,
                                          start_new_session=True))
    try:
        time.sleep(8)  # workers are long-running services: their start-up is not part of a run
        before = sum(process_cpu(p.pid) for p in procs)
        wall, cpu, code = timed([TRUSTSCAN, "bulk", str(portfolio), "--db", db, "--broker", broker,
                                 *audit_options(world, per_ip, only)])
        cpu += sum(process_cpu(p.pid) for p in procs) - before
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=120)
    label = f"distributed, {workers} worker{'s' if workers > 1 else ''}"
    return Result(label, len(world.hosts), wall, cpu, count_rows(db), code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-ip", type=int, default=2)
    parser.add_argument("--only", default="c,e", help="criteria to audit ('' for all six)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="trustscan-bench-") as tmp, \
            running_many(Path(tmp), args.sites) as world, running_postgres() as pg, running_redis() as redis:
        portfolio = Path(tmp) / "portfolio.txt"
        portfolio.write_text("\n".join(world.targets()) + "\n", encoding="utf-8")
        results.append(embedded(world, portfolio, str(Path(tmp) / "e.db"), "embedded, SQLite", args.concurrency,
                                args.per_ip, args.only))
        results.append(embedded(world, portfolio, pg.create_database("embedded"), "embedded, PostgreSQL",
                                args.concurrency, args.per_ip, args.only))
        for k in (int(n) for n in args.workers.split(",")):
            results.append(distributed(world, portfolio, pg.create_database(f"workers{k}"), redis.url(k), k,
                                       args.concurrency, args.per_ip, args.only, Path(tmp)))
            print(results[-1], file=sys.stderr)
    base = results[0]
    print(f"{args.sites} sites, --only {args.only or 'all'}, --concurrency {args.concurrency} per process, "
          f"--per-ip {args.per_ip}; {os.cpu_count()} CPUs\n")
    print("| configuration | sites | wall s | sites/s | CPU ms/site | extra wall per site vs embedded SQLite | "
          "extra CPU per site | complete |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for result in results:
        print(result.row(base))


if __name__ == "__main__":
    main()
