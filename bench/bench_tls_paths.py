"""Benchmark: the fast TLS path (category probing) vs the deep one (sslyze, every suite), per site.

Not a test. Starts the nginx test world on loopback and scans every TLS site with both paths,
alternating, `--runs` times each, in this process. Reports per site and overall medians of:
ClientHellos sent (fast: counted by the probe; deep: sslyze's handshakes, counted by wrapping its
SslConnection.connect - ROBOT payloads included on both sides), wall time and CPU time (this
process, all threads: sslyze scans with a thread pool). Usage: python bench/bench_tls_paths.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sslyze.connection_helpers import tls_connection  # noqa: E402

from tests.world import running_world  # noqa: E402
from trustscan.collect.tls.deep import scan_tls  # noqa: E402
from trustscan.collect.tls.fast import scan_tls_fast  # noqa: E402
from trustscan.collect.tls.handshake import HandshakeCounter  # noqa: E402
from trustscan.core.errors import ProbeError  # noqa: E402


class DeepHelloCounter:
    """Counts sslyze's handshakes by wrapping SslConnection.connect (benchmark-only instrumentation)."""

    def __init__(self) -> None:
        self.count = 0
        self._original = tls_connection.SslConnection.connect

    def __enter__(self) -> DeepHelloCounter:
        original = self._original

        def counted(connection: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(connection, *args, **kwargs)

        tls_connection.SslConnection.connect = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        tls_connection.SslConnection.connect = self._original  # type: ignore[method-assign]


def measure(run: Callable[[], int]) -> tuple[int, float, float]:
    """(ClientHellos, wall seconds, CPU seconds) of one scan."""
    wall, cpu = time.perf_counter(), time.process_time()
    hellos = run()
    return hellos, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as scratch, running_world(Path(scratch)) as world:
        sites = [site for site in world.sites.values() if site.https]
        samples: dict[str, dict[str, list[tuple[int, float, float]]]] = {
            site.name: {"fast": [], "deep": []} for site in sites}
        for _ in range(args.runs):
            for site in sites:
                common = {"ca_bundle": world.ca_bundle, "timeout": 5.0}

                def fast(site: Any = site, common: dict[str, Any] = common) -> int:
                    counter = HandshakeCounter()
                    scan_tls_fast(site.host, site.ip, site.https_port, counter=counter, **common)
                    return counter.client_hellos

                def deep(site: Any = site, common: dict[str, Any] = common) -> int:
                    with DeepHelloCounter() as counter:
                        scan_tls(site.host, site.ip, site.https_port, **common)
                    return counter.count + 1  # + trustscan's own reachability ClientHello

                for name, run in (("fast", fast), ("deep", deep)):
                    try:
                        samples[site.name][name].append(measure(run))
                    except ProbeError as exc:
                        print(f"{site.name} {name}: {exc}", file=sys.stderr)
        print(f"{len(sites)} TLS sites, {args.runs} runs each, medians\n")
        print("| site | ClientHellos fast | ClientHellos deep | wall fast (ms) | wall deep (ms) "
              "| CPU fast (ms) | CPU deep (ms) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        per_site: dict[str, list[tuple[float, float, float]]] = {"fast": [], "deep": []}
        for site in sites:
            row = []
            for name in ("fast", "deep"):
                runs = samples[site.name][name]
                medians = tuple(statistics.median(r[i] for r in runs) for i in range(3))
                per_site[name].append(medians)  # type: ignore[arg-type]
                row.append(medians)
            (fh, fw, fc), (dh, dw, dc) = row
            print(f"| {site.name} | {fh:.0f} | {dh:.0f} | {fw * 1000:.0f} | {dw * 1000:.0f} "
                  f"| {fc * 1000:.0f} | {dc * 1000:.0f} |")
        overall = {name: [statistics.median(v[i] for v in values) for i in range(3)]
                   for name, values in per_site.items()}
        (fh, fw, fc), (dh, dw, dc) = overall["fast"], overall["deep"]
        print(f"| **median site** | **{fh:.0f}** | **{dh:.0f}** | **{fw * 1000:.0f}** | **{dw * 1000:.0f}** "
              f"| **{fc * 1000:.0f}** | **{dc * 1000:.0f}** |")
        print(f"\nfast vs deep: {dh / fh:.0f}x fewer ClientHellos, {dw / fw:.0f}x less wall time, "
              f"{dc / fc:.0f}x less CPU per median site")


if __name__ == "__main__":
    main()
