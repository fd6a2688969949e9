"""`bulk --broker` and `worker` when a service is missing or goes away: exit 2 at start, 3 mid-run, one masked line.

Each "goes away" test runs its own Redis or PostgreSQL (real, Debian's) and kills it while `bulk`
waits for workers; no site is ever audited (no worker runs), so nothing reaches a network.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support import services
from tests.support.processes import started
from trustscan.cli.main import main

TRUSTSCAN = [str(Path(sys.executable).with_name("trustscan"))]
SECRET = "hunter2-Secret"


def portfolio(tmp_path: Path) -> Path:
    path = tmp_path / "p.txt"
    path.write_text("a.gov.vn\nb.gov.vn\n", encoding="utf-8")
    return path


def wait_until_queued(proc: subprocess.Popen[str]) -> None:
    assert proc.stderr is not None
    line = proc.stderr.readline()  # "trustscan: 2 sites queued on ..." once the messages are published
    assert "sites queued on" in line, line


def _bulk_losing(take_down: Callable[[], None], arguments: list[str]) -> tuple[int | None, str]:
    """Run `trustscan bulk ARGUMENTS`, take a service down once sites are queued: (exit code, stderr)."""
    with started([*TRUSTSCAN, "bulk", *arguments]) as proc:
        wait_until_queued(proc)
        take_down()
        _, stderr = proc.communicate(timeout=60)
    return proc.returncode, stderr


def _assert_exit_3_one_masked_line(code: int | None, stderr: str, start: str) -> None:
    assert code == 3, stderr
    assert stderr.strip().startswith(start)
    assert len(stderr.strip().splitlines()) == 1 and SECRET not in stderr


def test_broker_lost_mid_run_is_exit_3_one_masked_line(tmp_path: Path, pg_url: str) -> None:
    services.require(services.find_redis_server(), "redis-server")
    with services.running_redis() as own:
        broker = own.url(0).replace("redis://", f"redis://:{SECRET}@")
        import redis

        with redis.Redis.from_url(own.url(0)) as client:
            client.config_set("requirepass", SECRET)
        code, stderr = _bulk_losing(own.stop, [str(portfolio(tmp_path)), "--db", pg_url, "--broker", broker])
    _assert_exit_3_one_masked_line(code, stderr, "trustscan: error: lost the broker redis://:****@127.0.0.1")


def test_database_lost_mid_run_is_exit_3_one_masked_line(tmp_path: Path, redis_server: services.Redis) -> None:
    services.require(services.find_postgres_bin(), "PostgreSQL")
    with services.running_postgres() as own:
        db = own.create_database("lost").replace("trustscan@", f"trustscan:{SECRET}@")
        code, stderr = _bulk_losing(own.kill, [str(portfolio(tmp_path)), "--db", db, "--broker", redis_server.url(5)])
    _assert_exit_3_one_masked_line(code, stderr,
                                   "trustscan: error: lost the database postgresql://trustscan:****@127.0.0.1")


def test_worker_exits_3_when_its_broker_goes_away(tmp_path: Path) -> None:
    services.require(services.find_redis_server(), "redis-server")
    with services.running_redis() as own, started(
            [*TRUSTSCAN, "worker", "--broker", own.url(0), "--db", str(tmp_path / "r.db"), "-q"],
            start_new_session=True) as proc:
        time.sleep(3)
        assert proc.poll() is None
        own.stop()
        _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 3, stderr
    assert stderr.strip().splitlines()[-1].startswith("trustscan: error: lost the broker redis://127.0.0.1")


@pytest.mark.parametrize("broker", [f"redis://:{SECRET}@10.2.3.4:6379/0", f"redis://u:{SECRET}@cache.example/0"])
def test_clear_text_broker_off_loopback_is_refused(broker: str, tmp_path: Path) -> None:
    for args in (["bulk", str(portfolio(tmp_path)), "--db", str(tmp_path / "r.db"), "--broker", broker],
                 ["worker", "--db", str(tmp_path / "r.db"), "--broker", broker]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "does not use TLS (use rediss://" in result.output
        assert SECRET not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "r.db").exists()


def test_bulk_with_a_broker_leaves_concurrency_to_the_workers(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bulk", str(portfolio(tmp_path)), "--db", str(tmp_path / "r.db"),
                                       "--broker", "redis://127.0.0.1:1/0", "--concurrency", "4"])
    assert result.exit_code == 2 and "each worker sets its own --concurrency" in result.output


def test_a_broker_url_must_be_redis(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["worker", "--db", str(tmp_path / "r.db"), "--broker",
                                       f"amqp://u:{SECRET}@127.0.0.1/"])
    assert result.exit_code == 2 and "must start with redis:// or rediss://" in result.output
    assert SECRET not in result.output


def test_interrupted_distributed_run_empties_its_queue_and_resumes(tmp_path: Path, pg_url: str,
                                                                    redis_server: services.Redis) -> None:
    """Ctrl-C: exit 130, nothing left queued, a --resume hint with the masked URLs; --resume then finishes it."""
    import os
    import signal

    import redis

    from trustscan.bulk.store import ResultStore

    broker = redis_server.url(6)
    sites = tmp_path / "p.txt"
    sites.write_text("".join(f"127.0.0.{i + 1}:9\n" for i in range(5)), encoding="utf-8")  # refused: no traffic
    db = pg_url.replace("trustscan@", f"trustscan:{SECRET}@")
    with started([*TRUSTSCAN, "bulk", str(sites), "--db", db, "--broker", broker, "--lang", "en"]) as proc:
        wait_until_queued(proc)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "trustscan bulk --db 'postgresql://trustscan:****@127.0.0.1:" in stderr
    assert "--broker redis://127.0.0.1" in stderr and "--resume" in stderr and SECRET not in stderr
    with ResultStore(pg_url, create=False) as store, redis.Redis.from_url(broker) as client:
        assert store.runs()[0].status == "interrupted" and store.runs()[0].done == 0
        assert client.llen(f"trustscan.{store.store_id}") == 0  # workers will not pick up the stopped run

    worker = subprocess.Popen([*TRUSTSCAN, "worker", "--broker", broker, "--db", db, "-q"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        resumed = subprocess.run([*TRUSTSCAN, "bulk", "--db", db, "--broker", broker, "--resume", "--lang", "en"],
                                 capture_output=True, text=True, timeout=120)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    assert resumed.returncode == 3, resumed.stderr  # every site refused (no --allow-private): incomplete
    assert "5 of 5 sites" in resumed.stdout
    with ResultStore(pg_url, create=False) as store:
        assert [(r.status, r.done) for r in store.runs()] == [("complete", 5)]
