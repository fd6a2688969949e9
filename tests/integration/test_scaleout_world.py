"""Integration: `bulk --broker` with real `trustscan worker` processes, Redis and PostgreSQL, over the many-site world.

The delivery test SIGKILLs one of two workers (its whole process group, as a machine dying would)
in the middle of a run and proves that every site ends recorded exactly once, with the verdicts the
embedded run of the same portfolio gives. Redis and PostgreSQL are Debian's binaries started by
fixtures (tests/support/services.py); the sites are tests/world/many.py's.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import services
from tests.support.services import Postgres, Redis
from tests.support.verdicts import verdicts
from tests.world import find_nginx
from tests.world.many import ManyWorld, running_many

N_SITES = 48
TRUSTSCAN = [str(Path(sys.executable).with_name("trustscan"))]
TIMEOUT = 30  # each site's deadline; the workers' visibility timeout must exceed it (plus margins)
VISIBILITY = 90  # >= held_for(TIMEOUT + 5): 5 + 2 x 35 + 10
SECRET = "n0t-Printed"


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManyWorld]:
    services.require(find_nginx(), "nginx", install="nginx-light")
    with running_many(tmp_path_factory.mktemp("many"), N_SITES) as world:
        yield world


def audit_options(world: ManyWorld) -> list[str]:
    return ["--resolver", f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle),
            "--http-port", str(world.http_port), "--allow-private", "--timeout", str(TIMEOUT), "--lang", "en"]


def start_worker(broker: str, db: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([*TRUSTSCAN, "worker", "--broker", broker, "--db", db, "--concurrency", "4",
                                 "--visibility-timeout", str(VISIBILITY), *extra], stdout=out, stderr=out,
                                start_new_session=True)  # its own process group: killed as a whole


def stop(proc: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def pg_rows(url: str) -> list[tuple[str, str, str, str | None]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT site, overall, criteria, report FROM results ORDER BY site").fetchall()


def test_two_workers_one_killed_every_site_once_same_verdicts_as_embedded(
        many: ManyWorld, tmp_path: Path, pg_url: str, redis_server: Redis) -> None:
    portfolio = tmp_path / "p.txt"
    portfolio.write_text("\n".join(many.targets()) + "\n", encoding="utf-8")

    embedded_db = tmp_path / "embedded.db"
    embedded = subprocess.run([*TRUSTSCAN, "bulk", str(portfolio), "--db", str(embedded_db), "--concurrency", "8",
                               *audit_options(many)], capture_output=True, text=True, timeout=900)
    with sqlite3.connect(embedded_db) as conn:
        expected = verdicts(conn.execute("SELECT site, overall, criteria, report FROM results").fetchall())
    assert len(expected) == N_SITES, embedded.stderr

    db = pg_url.replace("trustscan@", f"trustscan:{SECRET}@")
    broker = redis_server.url(1)
    bulk = subprocess.Popen([*TRUSTSCAN, "bulk", str(portfolio), "--db", db, "--broker", broker,
                             *audit_options(many)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    doomed = start_worker(broker, db, tmp_path / "doomed.log")
    survivor = None
    try:
        deadline = time.monotonic() + 300
        while recorded(pg_url) < 6:
            assert time.monotonic() < deadline and bulk.poll() is None, "no progress before the kill"
            time.sleep(0.1)
        # A second worker joins, then the first dies mid-run with sites in hand (4 audits in flight).
        survivor = start_worker(broker, db, tmp_path / "survivor.log")
        time.sleep(1.0)
        stop(doomed, signal.SIGKILL)
        stdout, stderr = bulk.communicate(timeout=600)
    finally:
        for proc in (doomed, survivor):
            if proc is not None:
                stop(proc)
        if bulk.poll() is None:
            bulk.kill()
            bulk.wait()

    assert doomed.returncode == -signal.SIGKILL
    assert bulk.returncode == embedded.returncode, stderr  # same exit code as the embedded run
    assert f"{N_SITES} of {N_SITES} sites" in stdout.decode()
    rows = pg_rows(pg_url)
    assert sorted(site for site, *_ in rows) == sorted(many.targets())  # every site, exactly once
    assert verdicts(rows) == expected
    # The kill really cut audits short: some site's message was delivered twice (redelivered).
    import redis

    client = redis.Redis.from_url(broker)
    counts = [int(client.get(key) or 0) for key in client.scan_iter("trustscan:deliveries:*")]
    assert len(counts) == N_SITES and max(counts) >= 2, counts
    logs = stdout + stderr + (tmp_path / "doomed.log").read_bytes() + (tmp_path / "survivor.log").read_bytes()
    assert SECRET.encode() not in logs and b"Traceback" not in logs


def recorded(url: str) -> int:
    """Rows in `results` so far (0 before bulk has created the tables)."""
    import psycopg

    with psycopg.connect(url) as conn:
        if not conn.execute("SELECT to_regclass('results') IS NOT NULL").fetchone()[0]:  # type: ignore[index]
            return 0
        return int(conn.execute("SELECT count(*) FROM results").fetchone()[0])  # type: ignore[index]


def test_unreachable_broker_is_exit_2_one_masked_line(tmp_path: Path, postgres_server: Postgres) -> None:
    from trustscan.localworld.sites import free_port

    portfolio = tmp_path / "p.txt"
    portfolio.write_text("a.gov.vn\n", encoding="utf-8")
    broker = f"redis://:{SECRET}@127.0.0.1:{free_port()}/0"
    for args in (["bulk", str(portfolio), "--db", str(tmp_path / "r.db"), "--broker", broker],
                 ["worker", "--db", str(tmp_path / "r.db"), "--broker", broker]):
        result = subprocess.run([*TRUSTSCAN, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "cannot reach broker redis://:****@127.0.0.1" \
            in result.stderr and SECRET not in result.stderr
    assert not (tmp_path / "r.db").exists()  # refused before anything was written
