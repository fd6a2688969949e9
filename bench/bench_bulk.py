"""Benchmark: `trustscan bulk` vs `python -m sslyze --targets_in` over N generated sites. Not a test.

For each N (default 100 and 1,000) one nginx serves N identical good sites (tests/world/many.py: 4 names
per 127.1.x.y address, wildcard certificate, HSTS, redirect, home page, security.txt) and both tools
scan the same servers in the same run, one after the other, each as its own process:

- wall time and sites per second;
- peak RSS of that process (os.wait4's rusage of exactly that child, so one tool's peak cannot leak
  into the other's number; with worker processes, the largest of them) and its CPU time (user +
  system, its reaped worker processes included), also per site;
- peak total RSS of the process and all its descendants at once (sampled from /proc every 50 ms): the
  memory a run with `--processes N` really holds;
- load on the scanned servers (politeness): TCP connections nginx accepted and HTTP requests it
  received during the scan (stub_status), per site; and the most connections open at once to any one
  server address, sampled from the kernel's socket table (netlink sock_diag, server side, every 10 ms)
  while the tool runs (each run waits first until the previous one's closed connections have left
  TIME_WAIT: the kernel walks them on every sample, which cost the next tool a quarter of a core);
- DNS questions the world's name server answered during the scan, per site and by type (printed after the
  table): each costs CPU on the scanner's side and the server's (the server runs in this process).

By default trustscan runs the full six criteria (`--only ''`), with a "do not visit" list snapshot
(criterion d) naming nothing the world serves; trustscan does much more per site (TLS, HTTP front
door, headers, security.txt, crawl, exposure probes, DNS zone, lists) than sslyze (TLS only).
`--processes 1,2` runs trustscan once per value (`bulk --processes N`; default: once, with its own
automatic choice). `--baseline DIR` also runs another copy of the trustscan package (`git archive
<commit> trustscan rules | tar -x -C DIR; mv DIR/rules DIR/trustscan/`) on the same servers in the
same run, with the same `--processes` values. Prints a markdown table. Usage:

    python bench/bench_bulk.py [--sizes 200,1000] [--concurrency 32] [--per-ip 4] [--only c,e]
                               [--processes 1,2] [--skip-sslyze] [--baseline DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import child_env, compile_like_installed  # noqa: E402
from tests.world.many import ManyWorld, running_many  # noqa: E402

BIN = Path(sys.executable).parent
#: A list snapshot naming nothing the world serves: criterion d is checked, and passes.
BLOCKLIST = "# bench snapshot\nsong-bac.example.test\n*.lua-dao.example.test\n198.51.100.0/24\n"


@dataclass(frozen=True)
class Measurement:
    tool: str
    sites: int
    wall: float
    cpu: float
    peak_rss_mb: float
    connections: int
    exit_code: int
    peak_per_address: int = 0
    note: str = ""
    peak_tree_rss_mb: float = 0.0
    dns_queries: tuple[tuple[str, int], ...] = ()
    requests: int = 0  # HTTP requests the servers received from the tool

    @property
    def rate(self) -> float:
        return self.sites / self.wall if self.wall else 0.0

    def row(self) -> str:
        return (f"| {self.tool} | {self.sites} | {self.wall:.1f} | {self.rate:.2f} | {self.peak_rss_mb:.0f} | "
                f"{self.peak_tree_rss_mb:.0f} | {self.cpu:.1f} | {self.cpu / self.sites * 1000:.0f} | "
                f"{self.connections / self.sites:.1f} | {self.requests / self.sites:.1f} | {self.peak_per_address} | "
                f"{self.note} |")


class OpenConnections(threading.Thread):
    """Samples the kernel's TCP table: the most ESTABLISHED connections seen at once on one server
    address (the site side: local address one of *addresses*, local port one of *ports*).

    Asked over netlink (sock_diag, the interface `ss` uses) for established sockets only: reading
    /proc/net/tcp made the kernel print every socket, thousands of TIME_WAIT ones after a run's first
    sites, ~10 ms of CPU per read: at 100 samples a second, half a core taken from the tools measured.
    The kernel also filters on the server ports (`_diag_request`), so the tool's own ends of the same
    connections (as many again) are never sent to be parsed. What is left is mostly the kernel's walk of
    its socket table (see `settle_time_wait`): 0.4-0.5 s of CPU over a 200-site trustscan run.
    """

    def __init__(self, addresses: set[str], ports: set[int], every: float = 0.01) -> None:
        super().__init__(daemon=True)
        self._wanted = {(socket.inet_aton(ip), port) for ip in addresses for port in ports}
        self._every = every
        self._done = threading.Event()
        self.peak = 0
        self.cpu = 0.0  # this sampler's own CPU seconds, taken from the machine the tools run on

    def run(self) -> None:
        request = _diag_request({port for _, port in self._wanted})
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as diag:
            while not self._done.wait(self._every):
                per_address = Counter(address for address, port in _established(diag, request)
                                      if (address, port) in self._wanted)
                self.peak = max(self.peak, max(per_address.values(), default=0))
        self.cpu = time.thread_time()

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


_NETLINK_SOCK_DIAG, _SOCK_DIAG_BY_FAMILY, _NLMSG_DONE, _NLMSG_ERROR = 4, 20, 3, 2
#: inet_diag_req_v2 for IPv4 TCP sockets in state ESTABLISHED (1), any address: the kernel filters.
_DIAG_REQUEST = struct.pack("=BBBBI48x", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 1 << 1)
#: inet_diag bytecode (linux/inet_diag.h): an attribute of the request, run by the kernel on each socket.
_INET_DIAG_REQ_BYTECODE, _BC_JMP, _BC_S_GE, _BC_S_LE = 1, 1, 2, 3


def _diag_request(ports: set[int]) -> bytes:
    """The request, with bytecode keeping only sockets whose local port is one of *ports*.

    Each port is `sport >= p && sport <= p` (comparisons every kernel has); the ports are or-ed as `ss`
    compiles them: a failed test jumps to the next port's test, a match falls through to a jump to the
    end (accept), and failing the last port jumps 4 bytes past the end (reject). Every op lies on the
    chain of "yes" jumps, which is the path the kernel's bytecode audit walks.
    """
    # op = (code, yes, no) as =BBH; a port comparison's second op carries the port in its "no" field.
    tests = [struct.pack("=BBHBBHBBHBBH", _BC_S_GE, 8, 20, 0, 0, port, _BC_S_LE, 8, 12, 0, 0, port)
             for port in sorted(ports)]
    size = 16 * len(tests) + 4 * (len(tests) - 1)
    code = b""
    for index, test in enumerate(tests):
        code += test
        if index < len(tests) - 1:
            code += struct.pack("=BBH", _BC_JMP, 4, size - len(code))
    return _DIAG_REQUEST + struct.pack("=HH", 4 + len(code), _INET_DIAG_REQ_BYTECODE) + code


def _established(diag: socket.socket, request: bytes) -> list[tuple[bytes, int]]:
    """(local IPv4 address as 4 bytes, local port) of every established IPv4 TCP socket *request* keeps."""
    header = struct.pack("=IHHII", 16 + len(request), _SOCK_DIAG_BY_FAMILY, 0x1 | 0x300, 1, 0)  # REQUEST|DUMP
    diag.send(header + request)
    found: list[tuple[bytes, int]] = []
    while True:
        data = diag.recv(1 << 16)
        offset = 0
        while offset < len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if kind == _NLMSG_ERROR:  # a refused request would otherwise read as "no connection open"
                raise OSError(-struct.unpack_from("=i", data, offset + 16)[0], "sock_diag refused the request")
            if kind == _NLMSG_DONE:
                return found
            # inet_diag_msg after the 16-byte header: family, state, timer, retrans, then the socket id
            # (source port, destination port, both big-endian; source address, 16 bytes).
            port = struct.unpack_from("!H", data, offset + 20)[0]
            found.append((data[offset + 24:offset + 28], port))
            offset += (length + 3) & ~3


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and all its descendants together; keeps the peak (MB)."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self._pid = pid
        self._every = every
        self._done = threading.Event()
        self.peak = 0.0

    def run(self) -> None:
        while not self._done.wait(self._every):
            self.peak = max(self.peak, sum(_rss_kb(pid) for pid in _tree(self._pid)) / 1024)

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _drain(stream: IO[bytes], tail: bytearray) -> None:
    """Read *stream* to its end, keeping its last 4 KiB in *tail*."""
    for chunk in iter(lambda: os.read(stream.fileno(), 1 << 16), b""):
        tail += chunk
        del tail[:-4096]


#: TCP sockets in TIME_WAIT a run may start with: see `settle_time_wait` (a trustscan run of 200 sites
#: leaves ~1,800; an sslyze run ~70,000).
TIME_WAIT_START = 5000
TIME_WAIT_PATIENCE = 75.0  # seconds; the kernel keeps a closed connection in TIME_WAIT for 60


def time_wait_sockets() -> int:
    """The machine's TCP sockets in TIME_WAIT (/proc/net/sockstat's `tw`)."""
    for line in Path("/proc/net/sockstat").read_text().splitlines():
        if line.startswith("TCP:"):
            fields = line.split()
            return int(fields[fields.index("tw") + 1])
    return 0


def settle_time_wait(limit: int = TIME_WAIT_START, patience: float = TIME_WAIT_PATIENCE) -> tuple[int, float]:
    """Wait until the previous run's closed connections have left TIME_WAIT; (count left, seconds waited).

    The kernel walks every TIME_WAIT socket on each sock_diag dump: after an sslyze run (~580 connections
    per site) there are ~70,000, and the connection sampler then took 0.26 of a core (2.8 s of CPU over a
    10.6 s run) from the next tool measured, against 0.07 from a clean start. Each run starts as clean.
    """
    clock = time.perf_counter()
    while (count := time_wait_sockets()) > limit and time.perf_counter() - clock < patience:
        time.sleep(1.0)
    return count, time.perf_counter() - clock


def run_measured(args: list[str], world: ManyWorld, tool: str, sites: int, note: str = "",
                 pythonpath: str | None = None) -> Measurement:
    """Run one tool as a child process; its own rusage (peak RSS, CPU) comes from wait4."""
    left, waited = settle_time_wait()
    print(f"{tool}: starts with {left} TCP sockets in TIME_WAIT (waited {waited:.0f} s)", file=sys.stderr)
    before, requests_before = world.served()
    asked = world.dns_queries.copy()
    sampler = OpenConnections(set(world.addresses), {world.https_port, world.http_port})
    sampler.start()
    clock = time.perf_counter()
    env = child_env(pythonpath)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd="/")
    memory = TreeMemory(proc.pid)
    memory.start()
    assert proc.stderr is not None
    # Drain stderr on the side so a chatty tool can never block on a full pipe; the blocking wait4 takes
    # the wall time at the exit itself (polling every 0.1 s added up to 0.1 s to a ~10 s run).
    errors = bytearray()
    drain = threading.Thread(target=_drain, args=(proc.stderr, errors), daemon=True)
    drain.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - clock
    proc.returncode = os.waitstatus_to_exitcode(status)
    drain.join(timeout=5)
    peak = sampler.stop()
    tree_rss = memory.stop()
    print(f"{tool}: the connection sampler used {sampler.cpu:.1f} s of CPU over {wall:.1f} s", file=sys.stderr)
    accepted, requests_after = world.served()
    connections = accepted - before
    requests = requests_after - requests_before - 1  # the second status request counted itself
    queries = tuple(sorted((world.dns_queries - asked).items()))
    if proc.returncode not in (0, 1, 3):
        print(f"{tool} exited {proc.returncode}: {errors[-2000:].decode(errors='replace')}", file=sys.stderr)
    return Measurement(tool, sites, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, connections,
                       proc.returncode, peak, note, max(tree_rss, usage.ru_maxrss / 1024), queries, requests)


def bench_size(n: int, concurrency: int, per_ip: int, skip_sslyze: bool, only: str,
               baseline: Path | None = None, processes: list[int | None] | None = None,
               repeat: int = 1) -> list[Measurement]:
    results = []
    with tempfile.TemporaryDirectory(prefix="trustscan-bench-") as tmp, running_many(Path(tmp), n) as world:
        portfolio = Path(tmp) / "portfolio.txt"
        portfolio.write_text("\n".join(world.targets()) + "\n", encoding="utf-8")
        blocklist = Path(tmp) / "blocklist.txt"
        blocklist.write_text(BLOCKLIST, encoding="utf-8")
        copies: list[tuple[str, str | None, int | None]] = [
            (f"trustscan bulk --processes {count}" if count else "trustscan bulk", None, count)
            for count in (processes or [None])]
        if baseline:  # the same --processes values, so each pair differs only in the code
            copies += [(f"baseline {label}", str(baseline.resolve()), count) for label, _, count in copies]
        # With --repeat, the copies take turns (A B A B ...), so a slow spell of the machine falls on both.
        for label, pythonpath, count in copies * repeat:
            db = Path(tmp) / f"results-{len(results)}.db"
            results.append(run_measured([
                str(BIN / "python"), "-m", "trustscan", "bulk", str(portfolio), "--db", str(db), "--quiet",
                "--allow-private", "--resolver", f"{world.dns_ip}:{world.dns_port}", "--ca-bundle",
                str(world.ca_bundle), "--http-port", str(world.http_port), "--concurrency", str(concurrency),
                "--per-ip", str(per_ip), "--timeout", "120", "--blocklist", str(blocklist),
                *(["--only", only] if only else []), *(["--processes", str(count)] if count else []),
            ], world, label + (f" --only {only}" if only else " (all six criteria)"), n, pythonpath=pythonpath))
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
    parser.add_argument("--sizes", default="200,1000")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--per-ip", type=int, default=4)
    parser.add_argument("--skip-sslyze", action="store_true")
    parser.add_argument("--only", default="",
                        help="criteria for trustscan bulk (default '': all six; c,e is TLS + security.txt + home "
                             "page, the scope sslyze covers)")
    parser.add_argument("--baseline", type=Path, help="folder holding another copy of the trustscan package")
    parser.add_argument("--processes", default="",
                        help="comma-separated `bulk --processes` values, one trustscan run each (default: "
                             "one run, trustscan's automatic choice)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each trustscan copy per size, taking turns (sslyze runs once: ~90 s of "
                             "steady load, where a trustscan run lasts ~8 s); the ratio is also given for the "
                             "median run")
    options = parser.parse_args()
    compile_like_installed(options.baseline)
    measurements: list[Measurement] = []
    for n in (int(size) for size in options.sizes.split(",")):
        done = bench_size(n, options.concurrency, options.per_ip, options.skip_sslyze, options.only,
                          options.baseline, [int(c) for c in options.processes.split(",")] if options.processes
                          else None, options.repeat)
        measurements += done
        for m in done:
            print(f"N={n} {m.tool}: {m.wall:.1f} s, {m.peak_rss_mb:.0f} MB, exit {m.exit_code}", file=sys.stderr)
    print(f"\n{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    print("| tool | sites | wall s | sites/s | peak RSS MB | peak RSS MB, all processes | CPU s | CPU ms/site "
          "| TCP conns/site | HTTP requests/site | max open conns/address | notes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for m in measurements:
        print(m.row())
    print()
    for m in measurements:
        if m.dns_queries:
            total = sum(count for _, count in m.dns_queries)
            kinds = ", ".join(f"{kind} {count}" for kind, count in m.dns_queries)
            print(f"N={m.sites} {m.tool}: {total} DNS queries, {total / m.sites:.2f} per site ({kinds})")
    for n in sorted({m.sites for m in measurements}):
        sslyze = next((m for m in measurements if m.sites == n and m.tool.startswith("sslyze")), None)
        for ours in (m for m in measurements if m.sites == n and "trustscan" in m.tool):
            if sslyze:
                print(f"N={n}: {ours.tool} {ours.rate / sslyze.rate:.1f}x sslyze's throughput (same run)")
        for tool in dict.fromkeys(m.tool for m in measurements if m.sites == n and "trustscan" in m.tool):
            runs = [m.rate for m in measurements if m.sites == n and m.tool == tool]
            if sslyze and len(runs) > 1:
                ratios = ", ".join(f"{rate / sslyze.rate:.1f}" for rate in runs)
                print(f"N={n}: {tool} median of {len(runs)} runs {statistics.median(runs) / sslyze.rate:.1f}x "
                      f"sslyze's throughput (runs: {ratios})")
    for tool in dict.fromkeys(m.tool for m in measurements if "trustscan" in m.tool):
        sizes = sorted({m.sites for m in measurements if m.tool == tool})
        if len(sizes) > 1:  # with --repeat, each size's median peak
            def peak(n: int, field: str, tool: str = tool) -> float:
                return statistics.median(getattr(m, field) for m in measurements if m.tool == tool and m.sites == n)
            small, large = sizes[0], sizes[-1]
            print(f"{tool} peak RSS {large} vs {small} sites: "
                  f"{peak(large, 'peak_rss_mb') / peak(small, 'peak_rss_mb'):.2f}x "
                  f"(all processes: {peak(large, 'peak_tree_rss_mb') / peak(small, 'peak_tree_rss_mb'):.2f}x)")


if __name__ == "__main__":
    main()
