"""Real PostgreSQL and Redis servers for the scale-out tests: Debian's binaries, loopback ports, temp dirs.

Each server runs in a throw-away folder on a free 127.0.0.1 port with settings for tests (no fsync,
no persistence) and is stopped, and its folder removed, when the context ends. PostgreSQL refuses
to run as root, so as root `initdb` and `postgres` run as the `postgres` user (Debian's package
creates it) in a folder that user owns.

Without the binaries, tests are skipped on a developer's machine but fail in CI (CI=true), where a
missing binary means the install step (.ci/run) is broken.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from trustscan.localworld.sites import free_port

PG_BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")
PG_USER = "trustscan"


def find_postgres_bin() -> Path | None:
    """The folder holding `initdb` and `postgres`: $TRUSTSCAN_PG_BIN, PATH, then Debian's versioned folders."""
    candidates = [os.environ.get("TRUSTSCAN_PG_BIN"), *PG_BIN_DIRS]
    found = shutil.which("initdb")
    if found:
        candidates.insert(1, str(Path(found).parent))
    for folder in candidates:
        if folder and os.access(Path(folder) / "initdb", os.X_OK) and os.access(Path(folder) / "postgres", os.X_OK):
            return Path(folder)
    return None


def find_redis_server() -> str | None:
    for candidate in (os.environ.get("TRUSTSCAN_REDIS_SERVER"), shutil.which("redis-server"), "/usr/bin/redis-server"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def require(found: object, what: str, install: str = "redis-server postgresql") -> None:
    """Skip (or, with CI=true, fail) when a server binary is missing: in CI a missing server means
    the install step is broken, not that the tests may be left out."""
    if found is None:
        reason = f"{what} is not installed (apt-get install -y -qq {install})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)


@dataclass
class Postgres:
    port: int
    process: subprocess.Popen[bytes]

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{PG_USER}{secret}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # test-made names only
        return self.url(name)

    def stop(self) -> None:
        """Fast shutdown (SIGINT): clients are disconnected, the server exits."""
        _stop(self.process, signal.SIGINT)

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL)


@dataclass
class Redis:
    port: int
    process: subprocess.Popen[bytes]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    folder = find_postgres_bin()
    assert folder is not None
    root = Path(tempfile.mkdtemp(prefix="trustscan-pg-"))
    as_user: str | None = None
    if os.geteuid() == 0:  # initdb and postgres refuse root
        as_user = "postgres"
        entry = pwd.getpwnam(as_user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data = root / "data"
    process = None
    try:
        subprocess.run([str(folder / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
                        "--no-sync", "--locale=C"], user=as_user, check=True, capture_output=True, timeout=120)
        port = free_port()
        with open(root / "log", "wb") as log:
            process = subprocess.Popen(
                [str(folder / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root), "-c",
                 "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=200"],
                user=as_user, stdout=subprocess.DEVNULL, stderr=log)
        _wait_for_port(port, process, root / "log")
        server = Postgres(port, process)
        _wait_for_sql(server)
        yield server
    finally:
        if process is not None:
            _stop(process, signal.SIGINT)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def running_redis() -> Iterator[Redis]:
    binary = find_redis_server()
    assert binary is not None
    root = Path(tempfile.mkdtemp(prefix="trustscan-redis-"))
    process = None
    try:
        port = free_port()
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--logfile", str(root / "log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(port, process, root / "log")
        yield Redis(port, process)
    finally:
        if process is not None:
            _stop(process, signal.SIGTERM)
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}): {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server not listening on {port} after {timeout}s: {_tail(log)}")


def _wait_for_sql(server: Postgres, timeout: float = 60) -> None:
    """The port opens before recovery ends; wait until a query succeeds."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.url(), connect_timeout=5) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-600:]
    except OSError:
        return "(no log)"
