"""The crawl from the command line against the real local world: --max-pages and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.world import World


def audit(world: World, site: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "trustscan", "audit", world.site(site).target, "--resolver",
               f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle), "--http-port",
               str(world.http_port), "--allow-private", "--blocklist", str(world.blocklist), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONWARNINGS": "default"})


def test_max_pages_bounds_the_crawl_and_b_dd_are_reported(world: World) -> None:
    result = audit(world, "content-clean", "--max-pages", "5", "--format", "json")
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    crawl = report["evidence"]["crawl"]["data"]
    assert crawl["pages_fetched"] == 5 and crawl["max_pages"] == 5 and crawl["stopped"] == "max_pages"
    assert report["criteria"]["b"]["status"] == "pass" and report["criteria"]["dd"]["status"] == "pass"


def test_failing_content_site_exits_1_naming_the_hidden_links(world: World) -> None:
    result = audit(world, "content-spam", "--lang", "en")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Hidden spam found" in result.stdout and "nhacai-uytin.example" in result.stdout


def test_bad_max_pages_is_a_one_line_usage_error() -> None:
    result = subprocess.run([sys.executable, "-m", "trustscan", "audit", "example.vn", "--max-pages", "0"],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "--max-pages" in result.stderr


def test_cloaked_site_fails_and_the_report_shows_the_difference(world: World) -> None:
    result = audit(world, "cloak-bot", "--lang", "en", "--only", "đ")
    assert result.returncode == 1, result.stdout + result.stderr
    text = " ".join(result.stdout.split())  # the console wraps long messages
    assert "The site cloaks content" in text and "Googlebot, Bingbot, Cốc Cốc crawler" in text
    assert "gambling text" in text and "nhà cái uy tín" in text
