"""Integration: the DNS questions a real `trustscan bulk` asks, counted at the local name server.

The bulk process resolves each name to choose its address slot; the audit resolves it again. In one
process they share the run's AnswerCache; with --processes the bulk process hands its answers to the
worker process with the site. Either way each name's A and AAAA are asked once per run, and the audit's
evidence (addresses, CNAME chain) is the same as when the audit asked itself.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.rdatatype
import pytest

from tests.support import services
from tests.world import find_nginx
from tests.world.many import ManyWorld, running_many
from trustscan.localworld.dns import LocalDNSServer

TRUSTSCAN = [str(Path(sys.executable).with_name("trustscan"))]  # the installed console script
ALIAS = "www.many.trustscan.test"  # -> edge.cdn.test -> the first site: a CNAME chain the dns probe reports


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManyWorld]:
    services.require(find_nginx(), "nginx", install="nginx-light")
    with running_many(tmp_path_factory.mktemp("many"), 6) as world:
        yield world


class CountingDNS:
    """The world's names (and ALIAS) served by a LocalDNSServer that counts (name, type, DNSSEC OK bit)."""

    def __init__(self, world: ManyWorld) -> None:
        self.asked: Counter[tuple[str, str, bool]] = Counter()
        self._lock = threading.Lock()  # UDP and TCP are answered from different threads
        records = dict(zip(world.hosts, ([ip] for ip in world.addresses), strict=True))
        self.server = LocalDNSServer(records, cnames={ALIAS: "edge.cdn.test", "edge.cdn.test": world.hosts[0]},
                                     on_query=self._count)

    def _count(self, query: dns.message.Message) -> None:
        question = query.question[0]
        key = (question.name.to_text(omit_final_dot=True), dns.rdatatype.to_text(question.rdtype),
               bool(query.ednsflags & dns.flags.DO))
        with self._lock:
            self.asked[key] += 1


def run_bulk(world: ManyWorld, dns: CountingDNS, tmp_path: Path, processes: str) -> dict[str, dict]:
    """One bulk run over the world's sites and ALIAS; each site's `dns` evidence."""
    portfolio = tmp_path / f"p{processes}.txt"
    portfolio.write_text("\n".join([*world.targets(), f"{ALIAS}:{world.https_port}"]) + "\n", encoding="utf-8")
    db = tmp_path / f"r{processes}.db"
    result = subprocess.run([
        *TRUSTSCAN, "bulk", str(portfolio), "--db", str(db), "--resolver", f"127.0.0.1:{dns.server.port}",
        "--ca-bundle", str(world.ca_bundle), "--http-port", str(world.http_port), "--allow-private",
        "--timeout", "60", "--lang", "en", "--quiet", "--processes", processes, "--concurrency", "8",
    ], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    with sqlite3.connect(db) as conn:
        reports = [json.loads(text) for (text,) in conn.execute("SELECT report FROM results")]
    return {report["target"]["host"]: report["evidence"]["dns"] for report in reports}


def test_each_name_is_asked_once_whether_the_audit_runs_in_the_bulk_process_or_a_worker_process(
        many: ManyWorld, tmp_path: Path) -> None:
    names = [*many.hosts, ALIAS]
    evidence: dict[str, dict[str, dict]] = {}
    asked: dict[str, Counter[tuple[str, str, bool]]] = {}
    for processes in ("1", "2"):
        dns = CountingDNS(many)
        with dns.server:
            evidence[processes] = run_bulk(many, dns, tmp_path, processes)
        asked[processes] = dns.asked
    for processes in ("1", "2"):
        assert sorted(evidence[processes]) == sorted(names)
        for name in names:
            # The scheduler's lookup and the audit's: one question each (the audit's answers came from it).
            assert asked[processes][(name, "A", False)] == asked[processes][(name, "AAAA", False)] == 1, \
                (processes, name, asked[processes])
            # The zone probe's A, asked with the DNSSEC OK bit, is its own question (its answer differs).
            assert asked[processes][(name, "A", True)] == 1
    # The handed-over answers give the evidence the audit's own questions gave, CNAME chain included.
    for name in names:
        assert evidence["2"][name]["status"] == "completed"
        assert evidence["2"][name]["data"] == evidence["1"][name]["data"]
    assert evidence["2"][ALIAS]["data"]["cname_chain"] == [ALIAS, "edge.cdn.test", many.hosts[0]]
    assert evidence["2"][ALIAS]["data"]["addresses"] == [many.addresses[0]]
