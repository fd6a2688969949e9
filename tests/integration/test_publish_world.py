"""Publishing a real audit: the hostile site of the local world, signed, as HTML and badge, in Chromium.

The `hostile` site (tests/world/sites.py) puts markup in its home page title and in security.txt
Contact fields. Whatever the probes copy into the report must stay text in every published output.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_audit_world import world_settings
from tests.render.test_publish_outputs import active_content
from tests.world import World
from tests.world.sites import HOSTILE_PAYLOAD, HOSTILE_TITLE, HOSTILE_URL_PAYLOAD
from trustscan.audit import run_audit
from trustscan.core.catalog import load_catalog
from trustscan.core.target import parse_target
from trustscan.judge.ruleset import load_ruleset
from trustscan.publish.attestation import Document, envelope_bytes, parse_document, sign_report
from trustscan.publish.keys import generate_key_pair, key_id
from trustscan.render.badge import render_svg, shields_endpoint, summarise
from trustscan.render.formats.html import render_document
from trustscan.report.document import build_report

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None)
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def hostile(world: World) -> Document:
    """The hostile site, audited for real and signed."""
    ruleset = load_ruleset()
    outcome = asyncio.run(run_audit(parse_target(world.site("hostile").target), world_settings(world),
                                    ruleset=ruleset))
    report = build_report(outcome, ruleset, load_catalog("vi"))
    return parse_document(envelope_bytes(sign_report(report, generate_key_pair(), now=datetime.now(UTC))))


def test_the_payloads_reach_the_report(hostile: Document) -> None:
    """Otherwise the escaping tests below would prove nothing."""
    text = json.dumps(hostile.report, ensure_ascii=False)
    assert HOSTILE_PAYLOAD.replace('"', '\\"') in text  # the invalid Contact, verbatim
    assert HOSTILE_URL_PAYLOAD.replace('"', '\\"') in text  # inside a Contact URI that parses as https
    verdicts = {v["rule_id"]: v for v in hostile.report["verdicts"]}
    contact, conformance = verdicts["e.securitytxt.contact"], verdicts["e.securitytxt.conformance"]
    assert contact["status"] == "pass" and "<script>alert(2)" in contact["message"]  # the https Contact
    assert conformance["status"] == "warn" and "<script>alert('contact')" in conformance["message"]
    assert HOSTILE_TITLE.replace('"', '\\"') in text  # the home page title, as the crawler recorded it


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_hostile_report_renders_as_text(hostile: Document, lang: str) -> None:
    html = render_document(hostile, load_catalog(lang))
    assert active_content(html) == []
    for payload in (HOSTILE_PAYLOAD, HOSTILE_TITLE, HOSTILE_URL_PAYLOAD):
        assert payload not in html
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert" in html  # shown, escaped
    svg = render_svg(summarise(hostile, load_catalog(lang), now=datetime.now(UTC)))
    assert active_content(svg) == [] and "<script" not in svg
    json.loads(shields_endpoint(summarise(hostile, load_catalog(lang), now=datetime.now(UTC))))


def chromium_screenshot(source: Path, png: Path, profile: Path, size: str) -> subprocess.CompletedProcess[str]:
    command = [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
               f"--window-size={size}", f"--screenshot={png}", source.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


#: Console output from a page (errors, CSP refusals, anything a script would print) is a failure.
CONSOLE_PROBLEMS = r"CONSOLE|Uncaught|Refused to|Content Security Policy"


def assert_renders_clean(source: Path, png: Path, profile: Path, size: str, *,
                         console_problems: str = CONSOLE_PROBLEMS) -> None:
    """*source* renders in headless Chromium to a real PNG, with no problem on the page's console."""
    result = chromium_screenshot(source, png, profile, size)
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    console = [line for line in result.stderr.splitlines() if re.search(console_problems, line)]
    assert console == [], console


@pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason="chromium is not installed (apt-get install chromium)")
def test_report_and_badge_render_in_headless_chromium(hostile: Document, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed", pytrace=False)
    (tmp_path / "report.html").write_text(render_document(hostile, load_catalog("vi")), encoding="utf-8")
    (tmp_path / "badge.svg").write_text(render_svg(summarise(hostile, load_catalog("vi"), now=datetime.now(UTC))),
                                        encoding="utf-8")
    for name, size in (("report.html", "900,2400"), ("badge.svg", "600,40")):
        assert_renders_clean(tmp_path / name, tmp_path / f"{name}.png", tmp_path / f"profile-{name}", size)


def test_audit_sign_key_writes_a_declaration_that_verifies(world: World, tmp_path: Path) -> None:
    from tests.cli.test_cli import world_args
    from tests.cli.test_publish_cli import trustscan

    assert trustscan("keygen", "k.pem", cwd=tmp_path).returncode == 0
    audit = trustscan("audit", world.site("good").target, *world_args(world), "--sign-key", "k.pem",
                      "--valid-days", "30", "-o", "signed.json", "--format", "json", cwd=tmp_path)
    assert audit.returncode in (0, 1, 3), audit  # the audit's own verdict; signing does not change it
    assert json.loads(audit.stdout)["target"]["host"] == world.site("good").host
    assert "signed.json" in audit.stderr
    verify = trustscan("verify", "signed.json", "--key", "k.pem.pub", "--lang", "en", cwd=tmp_path)
    assert verify.returncode == 0, verify
    assert f"Site: https://{world.site('good').host}:{world.https_port}/" in verify.stdout
    document = parse_document((tmp_path / "signed.json").read_bytes())
    days = (datetime.fromisoformat(document.valid_until or "") - datetime.fromisoformat(document.declared_at or ""))
    assert days.days == 30


def chromium_dom(page: Path | str, profile: Path, *extra: str) -> str:
    """The page's DOM once its scripts ran (virtual time lets the WebCrypto promises settle)."""
    command = [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
               f"--user-data-dir={profile}", "--virtual-time-budget=5000", *extra, "--dump-dom",
               page if isinstance(page, str) else page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def signature_status(dom: str) -> str:
    found = re.search(r'<html[^>]* data-signature-status="([a-z]+)"', dom)
    assert found, dom[:500]
    return found.group(1)


def _self_checking_page(world: World, key: Any, *, now: datetime, valid_days: int = 90) -> str:
    ruleset = load_ruleset()
    outcome = asyncio.run(run_audit(parse_target(world.site("good").target), world_settings(world), ruleset=ruleset))
    document = parse_document(envelope_bytes(sign_report(build_report(outcome, ruleset, load_catalog("en")), key,
                                                         now=now, valid_days=valid_days)))
    return render_document(document, load_catalog("en"), public_key=key.public_key())


@pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason="chromium is not installed (apt-get install chromium)")
def test_a_signed_page_checks_its_own_signature_in_chromium(world: World, tmp_path: Path) -> None:
    """Issue 13 item 2: valid, altered payload, altered page, other key, expired — told by the page itself."""
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed", pytrace=False)
    key = generate_key_pair()
    page = _self_checking_page(world, key, now=datetime.now(UTC))
    envelope = json.loads(re.search(r'id="trustscan-envelope">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["report"]["overall"] = "pass"  # the payload altered, the signature kept
    altered = {**envelope, "payload": base64.b64encode(json.dumps(statement).encode()).decode()}
    visible = page.replace('data-signed-field="overall" data-signed-value="', 'data-signed-field="overall" '
                           'data-signed-value="x', 1)  # the page altered around an intact envelope
    other_key = page.replace(re.search(r'id="trustscan-public-key">(.*?)</script>', page).group(1),  # type: ignore[union-attr]
                             base64.b64encode(generate_key_pair().public_key().public_bytes_raw()).decode())
    expired = _self_checking_page(world, key, now=datetime.now(UTC) - timedelta(days=10), valid_days=1)
    pages = {
        "valid": page,
        "payload-altered": page.replace(json.dumps(envelope), json.dumps(altered)) if json.dumps(envelope) in page
        else page.replace(envelope["payload"], altered["payload"]),
        "page-altered": visible,
        "other-key": other_key,
        "expired": expired,
    }
    expected = {"valid": "valid", "payload-altered": "invalid", "page-altered": "invalid", "other-key": "invalid",
                "expired": "expired"}
    for name, html in pages.items():
        assert html != page or name == "valid"
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
        dom = chromium_dom(tmp_path / f"{name}.html", tmp_path / f"profile-{name}")
        assert signature_status(dom) == expected[name], name
        shown = re.findall(r'data-signature-note="([a-z]+)"(?! hidden)[^>]*>', dom)
        assert shown == [expected[name]], (name, shown)  # the one matching sentence is visible
        if expected[name] == "valid":  # the key's fingerprint, computed in the browser, matches trustscan's
            assert f"<code data-key-fingerprint=\"\">{key_id(key.public_key())}</code>" in dom
    # Served over plain HTTP from a name that is not loopback, the page is no secure context and has no
    # WebCrypto: it says it cannot check the signature in this browser, never "valid".
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dom = chromium_dom(f"http://plain.trustscan.test:{server.server_port}/valid.html", tmp_path / "profile-http",
                           "--host-resolver-rules=MAP plain.trustscan.test 127.0.0.1")
    finally:
        server.shutdown()
        server.server_close()
    assert signature_status(dom) == "unsupported"
