"""Integration: `trustscan monitor` as a real process over three sites of the local world, one of which
changes state between rounds (its security.txt is taken away, then put back)."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.integration.test_bulk_world import runs, write_portfolio
from tests.integration.test_publish_world import CHROMIUM, CONSOLE_PROBLEMS, IN_CI, assert_renders_clean
from tests.support import services
from tests.support.processes import started
from tests.support.services import Redis
from tests.support.site_links import broken_links
from tests.world import find_nginx
from tests.world.many import ManyWorld, running_many
from trustscan.bulk.public import site_slug

TRUSTSCAN = [str(Path(sys.executable).with_name("trustscan"))]
EVERY = 6.0  # seconds between round starts: room to switch the site (and publish) between rounds


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManyWorld]:
    services.require(find_nginx(), "nginx", install="nginx-light")
    with running_many(tmp_path_factory.mktemp("three"), 3) as world:
        yield world


def monitor_args(world: ManyWorld, portfolio: Path, db: Path | str, *extra: str) -> list[str]:
    # Criteria c and e only: the generated sites pass both, so taking security.txt away flips the verdict.
    return [*TRUSTSCAN, "monitor", str(portfolio), "--db", str(db), "--resolver", f"{world.dns_ip}:{world.dns_port}",
            "--ca-bundle", str(world.ca_bundle), "--http-port", str(world.http_port), "--allow-private",
            "--only", "c,e", "--timeout", "30", "--lang", "en", *extra]


def wait_for_complete_runs(db: Path, proc: subprocess.Popen[str], count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                if sum(1 for _, status, _ in runs(db) if status == "complete") >= count:
                    return
            except Exception:  # noqa: BLE001 - the schema may not exist yet
                pass
        assert proc.poll() is None or count <= len(runs(db)), "monitor ended early"
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} complete rounds after {timeout}s")


def portfolio_json(db: Path | str, run: int | None = None) -> dict[str, object]:
    args = [*TRUSTSCAN, "portfolio", str(db), "--format", "json"] + (["--run", str(run)] if run else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_three_rounds_follow_a_site_that_changes_between_rounds(three: ManyWorld, tmp_path: Path) -> None:
    portfolio = write_portfolio(tmp_path / "p.txt", three.targets())
    db = tmp_path / "r.db"
    changing = three.hosts[1]
    badges: list[dict[str, object]] = []
    with started(monitor_args(three, portfolio, db, "--every", f"{EVERY:g}s", "--rounds", "3")) as proc:
        try:
            wait_for_complete_runs(db, proc, 1)
            three.switch_security_txt(changing, present=False)
            # Published while the monitor waits for round 2, then after rounds 2 and 3.
            badges.append(publish_badge(db, tmp_path / "site", slug(three, changing)))
            wait_for_complete_runs(db, proc, 2)
            three.switch_security_txt(changing, present=True)
            badges.append(publish_badge(db, tmp_path / "site", slug(three, changing)))
            stdout, stderr = proc.communicate(timeout=120)
            badges.append(publish_badge(db, tmp_path / "site", slug(three, changing)))
        finally:
            three.switch_security_txt(changing, present=True)
    assert proc.returncode == 0, stderr  # the last round: every site passes c and e again
    assert runs(db) == [(1, "complete", 3), (2, "complete", 3), (3, "complete", 3)]
    assert stdout.count("Round ") == 3 and stdout.count("Next round at") == 2, stdout
    assert "Round 2 of 3 (run 2): 3 of 3 sites audited — 2 pass, 1 fail" in stdout

    rounds = {run: {s["host"]: s for s in portfolio_json(db, run)["sites"]} for run in (1, 2, 3)}  # type: ignore[index]
    assert [rounds[run][changing]["overall"] for run in (1, 2, 3)] == ["pass", "fail", "pass"]
    assert rounds[2][changing]["criteria"]["e"] == "fail" and rounds[2][changing]["criteria"]["c"] == "pass"
    steady = three.hosts[0]
    assert [rounds[run][steady]["overall"] for run in (1, 2, 3)] == ["pass"] * 3
    latest = portfolio_json(db)
    changes = {c["host"]: (c["before"], c["after"]) for c in latest["changes"]["overall"]}  # type: ignore[index]
    assert changes == {changing: ("fail", "pass")}
    assert rounds[3][changing]["since_run"] == 3 and rounds[3][steady]["since_run"] == 1
    assert rounds[2][changing]["previous_overall"] == "pass"

    # The published badge followed the site: pass, fail, pass again (the SVG too); links all resolve.
    assert [b["color"] for b in badges] == ["brightgreen", "red", "brightgreen"], badges
    assert all(b["schemaVersion"] == 1 and b["label"] == "Network trust" for b in badges)
    svg = (tmp_path / "site" / "badges" / f"{slug(three, changing)}.svg").read_text(encoding="utf-8")
    assert ">pass<" in svg and "#4c1" in svg
    assert broken_links(tmp_path / "site") == []
    page = (tmp_path / "site" / "sites" / f"{slug(three, changing)}.html").read_text(encoding="utf-8")
    assert page.count('<tr><td class="num">') == 3 and "3 most recent of 3 rounds" in page


def slug(world: ManyWorld, host: str) -> str:
    return site_slug(f"{host}:{world.https_port}")  # host_port: the sites are not on 443


def publish_badge(db: Path, site: Path, name: str) -> dict[str, object]:
    result = subprocess.run([*TRUSTSCAN, "publish", str(db), "--site", str(site), "--lang", "en"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads((site / "badges" / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason="chromium is not installed (apt-get install chromium)")
def test_the_published_site_renders_and_searches_in_headless_chromium(three: ManyWorld, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed", pytrace=False)
    portfolio = write_portfolio(tmp_path / "p.txt", three.targets())
    db = tmp_path / "r.db"
    ran = subprocess.run(monitor_args(three, portfolio, db, "--every", "1", "--rounds", "2", "--quiet"),
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    site = tmp_path / "site"
    published = subprocess.run([*TRUSTSCAN, "publish", str(db), "--site", str(site)], capture_output=True,
                               text=True, timeout=60)
    assert published.returncode == 0, published.stderr
    assert broken_links(site) == []
    first = slug(three, three.hosts[0])
    pages = [("index.html", "1000,1400"), (f"sites/{first}.html", "1000,1400"), (f"reports/{first}.html", "900,2400"),
             (f"badges/{first}.svg", "700,40")]
    for name, size in pages:
        png = tmp_path / (name.replace("/", "_") + ".png")
        assert_renders_clean(site / name, png, tmp_path / f"profile-{png.stem}", size,
                             console_problems=CONSOLE_PROBLEMS + "|ERR_FILE_NOT_FOUND")  # a broken relative link
    # The search box runs in the page: `#q=` pre-fills it, and only the matching site's row stays visible.
    wanted = three.hosts[2]
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom",
                          (site / "index.html").as_uri() + f"#q={wanted.split('.')[0]}"],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert dom.returncode == 0, dom.stderr[-2000:]
    rows = re.findall(r'<tr data-state="[a-z]+"( hidden="")?>\s*<td><a href="sites/([^"]+)\.html"', dom.stdout)
    assert sorted((name, bool(hidden)) for hidden, name in rows) == sorted(
        (slug(three, host), host != wanted) for host in three.hosts), rows
    assert ">1 / 3<" in dom.stdout


def test_ctrl_c_between_rounds_ends_cleanly_keeping_finished_rounds(three: ManyWorld, tmp_path: Path) -> None:
    portfolio = write_portfolio(tmp_path / "p.txt", three.targets())
    db = tmp_path / "r.db"
    with started(monitor_args(three, portfolio, db, "--every", "1h", "--quiet")) as proc:
        wait_for_complete_runs(db, proc, 1)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in stderr and stdout == "", stderr
    assert "Stopped between rounds: 1 complete round(s)" in stderr
    assert runs(db) == [(1, "complete", 3)]  # the finished round kept, no other started


def test_monitor_rounds_and_the_public_site_on_postgresql(three: ManyWorld, pg_url: str, tmp_path: Path) -> None:
    """The same rounds, history and site with the results in a real PostgreSQL (the store's portable SQL)."""
    portfolio = write_portfolio(tmp_path / "p.txt", three.targets())
    ran = subprocess.run(monitor_args(three, portfolio, pg_url, "--every", "1", "--rounds", "2", "--quiet"),
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    history = portfolio_json(pg_url)
    assert history["run"]["id"] == 2 and all(s["since_run"] == 1 for s in history["sites"])  # type: ignore[index]
    site = tmp_path / "site"
    published = subprocess.run([*TRUSTSCAN, "publish", pg_url, "--site", str(site), "--lang", "en"],
                               capture_output=True, text=True, timeout=60)
    assert published.returncode == 0, published.stderr
    assert broken_links(site) == []
    page = (site / "sites" / f"{slug(three, three.hosts[0])}.html").read_text(encoding="utf-8")
    assert "2 most recent of 2 rounds" in page
    assert json.loads((site / "badges" / f"{slug(three, three.hosts[0])}.json").read_text())["color"] == "brightgreen"


def test_with_a_broker_celery_beat_times_the_rounds_and_a_worker_audits(three: ManyWorld, redis_server: Redis,
                                                                      tmp_path: Path) -> None:
    """`monitor --broker`: beat (embedded) publishes the rounds, a real `trustscan worker` audits every site."""
    from tests.integration.test_scaleout_world import start_worker, stop

    portfolio = write_portfolio(tmp_path / "p.txt", three.targets())
    db = tmp_path / "r.db"
    broker = redis_server.url(3)
    worker = start_worker(broker, str(db), tmp_path / "worker.log")
    try:
        ran = subprocess.run(monitor_args(three, portfolio, db, "--every", "4", "--rounds", "2", "--broker", broker),
                             capture_output=True, text=True, timeout=300, cwd=tmp_path)
    finally:
        stop(worker)
    assert ran.returncode == 0, ran.stderr
    assert "Celery beat schedules the rounds" in ran.stderr and ran.stdout.count("Round ") == 2
    assert runs(db) == [(1, "complete", 3), (2, "complete", 3)]
    with sqlite3.connect(db) as conn:
        starts = [datetime.fromisoformat(t.replace("Z", "+00:00")) for (t,) in conn.execute(
            "SELECT started_at FROM runs ORDER BY id")]
        overall = [o for (o,) in conn.execute("SELECT overall FROM results ORDER BY run_id, site")]
    assert overall == ["pass"] * 6
    assert (starts[1] - starts[0]).total_seconds() >= 3  # round 2 waited for beat's tick, 4 s after the start
    log = (tmp_path / "worker.log").read_text(encoding="utf-8")
    assert all(log.count(host) >= 2 for host in three.hosts), log[-2000:]  # the worker audited both rounds
    assert not any(tmp_path.glob("celerybeat-schedule*"))  # beat's schedule stays in memory
    import redis

    client = redis.Redis.from_url(broker)
    assert [key for key in client.scan_iter("trustscan.*.rounds") if client.llen(key)] == []  # nothing left queued


def test_with_a_broker_ctrl_c_stops_beat_and_empties_the_queues(three: ManyWorld, redis_server: Redis,
                                                               tmp_path: Path) -> None:
    """No worker running: round 1's sites wait in the queue; Ctrl-C marks the round interrupted and drops them."""
    portfolio = write_portfolio(tmp_path / "p.txt", three.targets())
    db = tmp_path / "r.db"
    broker = redis_server.url(4)
    import redis

    client = redis.Redis.from_url(broker)
    with started(monitor_args(three, portfolio, db, "--every", "1h", "--broker", broker, "--quiet"),
                 cwd=tmp_path) as proc:
        deadline = time.monotonic() + 60
        while not [key for key in client.scan_iter("trustscan.*") if client.type(key) == b"list" and client.llen(key)]:
            assert time.monotonic() < deadline and proc.poll() is None, "round 1's sites were never queued"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    assert runs(db) == [(1, "interrupted", 3)] and "Stopped: round 1 (run 1) has 0 of 3 sites" in stderr
    queued = {key: client.llen(key) for key in client.scan_iter("trustscan.*") if client.type(key) == b"list"}
    assert sum(queued.values()) == 0, queued  # the sites and any round message were dropped
