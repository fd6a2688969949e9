"""`bulk --broker` and `worker` when a service is missing or goes away: exit 2 at start, 3 mid-run, one masked line.

Each "goes away" test runs its own Redis or PostgreSQL (real, Debian's) and kills it while `bulk`
waits for workers; no site is ever audited (no worker runs), so nothing reaches a network.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support import services
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


def test_broker_lost_mid_run_is_exit_3_one_masked_line(tmp_path: Path, pg_url: str) -> None:
    services.require(services.find_redis_server(), "redis-server")
    with services.running_redis() as own:
        broker = own.url(0).replace("redis://", f"redis://:{SECRET}@")
        import redis

        with redis.Redis.from_url(own.url(0)) as client:
            client.config_set("requirepass", SECRET)
        proc = subprocess.Popen([*TRUSTSCAN, "bulk", str(portfolio(tmp_path)), "--db", pg_url, "--broker", broker],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until_queued(proc)
            own.stop()
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 3, stderr
    assert stderr.strip().startswith("trustscan: error: lost the broker redis://:****@127.0.0.1")
    assert len(stderr.strip().splitlines()) == 1 and SECRET not in stderr


def test_database_lost_mid_run_is_exit_3_one_masked_line(tmp_path: Path, redis_server: services.Redis) -> None:
    services.require(services.find_postgres_bin(), "PostgreSQL")
    with services.running_postgres() as own:
        db = own.create_database("lost").replace("trustscan@", f"trustscan:{SECRET}@")
        proc = subprocess.Popen([*TRUSTSCAN, "bulk", str(portfolio(tmp_path)), "--db", db, "--broker",
                                 redis_server.url(5)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until_queued(proc)
            own.kill()
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 3, stderr
    assert stderr.strip().startswith("trustscan: error: lost the database postgresql://trustscan:****@127.0.0.1")
    assert len(stderr.strip().splitlines()) == 1 and SECRET not in stderr


def test_worker_exits_3_when_its_broker_goes_away(tmp_path: Path) -> None:
    services.require(services.find_redis_server(), "redis-server")
    with services.running_redis() as own:
        proc = subprocess.Popen([*TRUSTSCAN, "worker", "--broker", own.url(0), "--db", str(tmp_path / "r.db"), "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            time.sleep(3)
            assert proc.poll() is None
            own.stop()
            _, stderr = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
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
