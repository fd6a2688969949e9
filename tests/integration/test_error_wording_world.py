"""Issue 13 item 4: probe errors speak the language asked for, in every format, on the real local world.

Broken world sites make the probes fail for real: nothing listening on the HTTPS port (connection
refused), an unknown name (NXDOMAIN), a CNAME loop, certificates that do not validate, a list with
lines that are no entries, an audit cut by its deadline. Each is audited once, the report built in
one language, and rendered in the other — by the renderers and by `trustscan report --lang` — in
every format; no sentence or error frame of the catalogue's other language may show.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.integration.test_audit_world import world_settings
from tests.world import World
from trustscan.audit import load_checked_ruleset, run_audit
from trustscan.cli.main import main
from trustscan.core.catalog import LANGUAGES, load_catalog
from trustscan.core.target import parse_target
from trustscan.render.formats import FORMATS, render
from trustscan.report.document import AuditOutcome, build_report, dumps

pytestmark = pytest.mark.world

DOMAIN = "trustscan.test"
#: The message ids of errors and of what is said about them (frames, causes, list and cipher reasons), and of
#: the findings' and consent problems' reasons and the words between a record's values.
_ERROR_IDS = re.compile(r"^(error|cert|list\.reason|tls\.weak_reason|verdict|finding|consent|value)\.")
_PLACEHOLDER = re.compile(r"\{[a-z0-9_.]+\}")
_CODE = re.compile(r"`[^`]*`")
#: What each broken site must say, in each language (a cause, or a frame around it).
EXPECTED = {
    "httponly": {"en": "connection refused", "vi": "từ chối kết nối"},
    "nowhere": {"en": "does not exist (NXDOMAIN)", "vi": "không tồn tại (NXDOMAIN)"},
    "loop": {"en": "aliases or loops", "vi": "bị lặp vòng"},
    "nochain": {"en": "neither among the certificates the server sent",
                "vi": "không có trong các chứng thư máy chủ gửi"},
    "expired": {"en": "outside its validity period", "vi": "nằm ngoài thời hạn hiệu lực"},
    "wronghost": {"en": "none of the names in the site", "vi": "không tên nào trong chứng thư của trang"},
    "unreadable": {"en": "whole top-level domain is too broad", "vi": "phủ cả một tên miền cấp cao nhất"},
    "deadline": {"en": "audit deadline", "vi": "hết thời hạn đánh giá"},
    "deep": {"en": "the rest of the page was not read", "vi": "phần còn lại của trang không được đọc"},
    "preticked": {"en": "consent checkbox dong_y is pre-ticked", "vi": "ô đồng ý dong_y: đã được đánh dấu sẵn"},
    "malware": {"en": "password form posts to another site", "vi": "biểu mẫu mật khẩu gửi tới trang khác"},
}
#: What cryptography's certificate verifier says, which no output may show as it is (said as sentences instead).
RAW_VERIFIER = ("validation failed:", "cert is not valid at validation time", "candidates exhausted",
                "no matching subjectAltName", "encountered processing", "<Certificate(")
#: Where that must show: an error in the console's and the HTML's text; a page not read to its end in
#: the HTML's evidence rows (the console shows no evidence).
SHOWN_IN = {"deep": ("html",), "preticked": ("html",), "malware": ("html",)}


def frames(language: str) -> set[str]:
    """The phrases of *language*'s error wording that the other language never uses: its tell-tales."""
    catalog, other = load_catalog(language), load_catalog("vi" if language == "en" else "en")
    everything_else = "\n".join(other.messages.values())
    found = set()
    for key, text in catalog.messages.items():
        if not _ERROR_IDS.match(key):
            continue
        for part in _PLACEHOLDER.split(_CODE.sub("", text)):
            part = part.strip(" :;,.()")
            if len(part) >= 10 and " " in part and part not in everything_else:
                found.add(part)
    return found


@pytest.fixture(scope="module")
def tarpit() -> Iterator[int]:
    """A port on loopback that accepts connections and never answers: the audit ends at its deadline."""
    with socket.socket() as server:
        server.bind(("127.0.0.61", 0))
        server.listen(64)
        yield int(server.getsockname()[1])


@pytest.fixture(scope="module")
def outcomes(world: World, tarpit: int, tmp_path_factory: pytest.TempPathFactory) -> dict[str, AuditOutcome]:
    ruleset = load_checked_ruleset()
    extra = tmp_path_factory.mktemp("lists") / "extra.txt"
    extra.write_text("https://[bad/\n*.vn\n", encoding="utf-8")
    targets = {
        "httponly": (world.site("httponly").target, world_settings(world)),
        "nowhere": (f"nowhere.{DOMAIN}:{world.https_port}", world_settings(world)),
        "loop": (f"alias-loop-a.{DOMAIN}:{world.https_port}", world_settings(world)),
        "nochain": (world.site("nochain").target, world_settings(world)),
        "expired": (world.site("expired").target, world_settings(world, criteria=("c",))),
        "wronghost": (world.site("wronghost").target, world_settings(world, criteria=("c",))),
        "unreadable": (f"alias-good.{DOMAIN}:{world.https_port}",
                       world_settings(world, blocklist_files=(world.blocklist, extra), criteria=("d",))),
        "deadline": (f"127.0.0.61:{tarpit}", world_settings(world, timeout=1.0, http_port=tarpit)),
        "deep": (world.site("content-deep").target, world_settings(world)),
        "preticked": (world.site("b-preticked").target, world_settings(world)),
        "malware": (world.site("content-malware").target, world_settings(world)),
    }

    async def audit_all() -> list[AuditOutcome]:
        return await asyncio.gather(*(run_audit(parse_target(target), settings, ruleset=ruleset)
                                      for target, settings in targets.values()))

    return dict(zip(targets, asyncio.run(audit_all()), strict=True))


def _texts(outcome: AuditOutcome, scan_language: str, language: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(how, text): every format rendered from a *scan_language* report in *language*, directly and by the CLI."""
    report = build_report(outcome, load_checked_ruleset(), load_catalog(scan_language))
    file = tmp_path / f"{scan_language}.json"
    file.write_text(dumps(report), encoding="utf-8")
    for name in FORMATS:
        yield f"render {name}", render(name, report, load_catalog(language), verbose=True)
        result = CliRunner().invoke(main, ["report", str(file), "--lang", language, "--format", name])
        assert result.exit_code == 0, result.output
        yield f"report --format {name}", result.stdout


def _sentences(report: dict[str, Any]) -> str:
    """The sentences of a JSON report: verdicts' messages and errors, and the probes' errors."""
    said = [str(v.get(key)) for v in report["verdicts"] for key in ("title", "message", "error", "fix")]
    said += [str(attempt.get("error")) for attempt in report["evidence"].values()]
    return "\n".join(said)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("site", EXPECTED)
def test_probe_errors_speak_the_language_asked_for(site: str, language: str, outcomes: dict[str, AuditOutcome],
                                                   tmp_path: Path) -> None:
    other = "en" if language == "vi" else "vi"
    tell_tales = frames(other)
    for scan_language in LANGUAGES:
        for how, text in _texts(outcomes[site], scan_language, language, tmp_path):
            if how.endswith("json"):  # a data format: the facts stay as observed; the sentences are worded
                text = _sentences(json.loads(text))
            text = " ".join(text.split())  # the console wraps lines
            leaked = sorted(phrase for phrase in tell_tales if phrase in text)
            assert leaked == [], (site, scan_language, how, leaked[:5])
            assert [raw for raw in RAW_VERIFIER if raw in text] == [], (site, scan_language, how)
            if how.endswith(SHOWN_IN.get(site, ("html", "console"))):  # (Markdown escapes punctuation)
                assert EXPECTED[site][language] in text, (site, scan_language, how)


def test_the_json_report_keeps_the_scans_sentence_and_the_wording(outcomes: dict[str, AuditOutcome]) -> None:
    report = build_report(outcomes["httponly"], load_checked_ruleset(), load_catalog("vi"))
    tls = report["evidence"]["tls"]
    assert tls["error"].startswith("connection refused by ")  # the English sentence, for logs and old readers
    assert tls["error_wording"]["id"] == "error.tls.refused"
    verdict = next(v for v in report["verdicts"] if v["rule_id"] == "c.tls.tls13")
    cause = tls["error_wording"]
    assert verdict["error_wording"] == {"id": "error.in_probe", "values": {"probe": "tls", "cause": cause}}
    assert "từ chối kết nối" in verdict["message"]


def test_a_report_without_the_wording_still_renders_in_its_own_words(outcomes: dict[str, AuditOutcome],
                                                                     tmp_path: Path) -> None:
    """A report of schema 1.2 (before `error_wording`) loads and renders; its errors keep their stored text."""
    report = build_report(outcomes["httponly"], load_checked_ruleset(), load_catalog("en"))
    report["schema_version"] = "1.2"
    for verdict in report["verdicts"]:
        verdict.pop("error_wording", None)
    for attempt in report["evidence"].values():
        attempt.pop("error_wording", None)
    file = tmp_path / "old.json"
    file.write_text(dumps(report), encoding="utf-8")
    for name in FORMATS:
        result = CliRunner().invoke(main, ["report", str(file), "--lang", "vi", "--format", name])
        assert result.exit_code == 0, (name, result.output)
    html = CliRunner().invoke(main, ["report", str(file), "--lang", "vi", "--format", "html"]).stdout
    assert "connection refused by" in html  # the stored words: no wording to say them again


def test_the_portfolio_words_the_errors_of_an_english_bulk_run_in_vietnamese(world: World, tmp_path: Path) -> None:
    """`bulk --lang en` stores English reports; `portfolio --lang vi` says their probe errors in Vietnamese."""
    sites = tmp_path / "sites.txt"
    sites.write_text(f"{world.site('httponly').target}\nnowhere.{DOMAIN}:{world.https_port}\n", encoding="utf-8")
    db = tmp_path / "results.db"
    bulk = CliRunner().invoke(main, [
        "bulk", str(sites), "--db", str(db), "--resolver", f"{world.dns_ip}:{world.dns_port}", "--ca-bundle",
        str(world.ca_bundle), "--http-port", str(world.http_port), "--allow-private", "--blocklist",
        str(world.blocklist), "--timeout", "60", "--lang", "en", "--quiet"])
    assert bulk.exit_code in (1, 3), bulk.output
    for output_format in ("html", "json"):
        result = CliRunner().invoke(main, ["portfolio", str(db), "--format", output_format, "--lang", "vi"])
        assert result.exit_code == 0, result.output
        text = " ".join(result.stdout.split())
        assert sorted(phrase for phrase in frames("en") if phrase in text) == [], output_format
        assert "từ chối kết nối" in text and "không tồn tại (NXDOMAIN)" in text, output_format


@pytest.mark.parametrize("language", LANGUAGES)
def test_audit_lang_words_a_refused_sites_errors(world: World, language: str) -> None:
    """`trustscan audit --lang`, the command itself, on the site with nothing on its HTTPS port."""
    result = CliRunner().invoke(main, [
        "audit", world.site("httponly").target, "--resolver", f"{world.dns_ip}:{world.dns_port}", "--ca-bundle",
        str(world.ca_bundle), "--http-port", str(world.http_port), "--allow-private", "--blocklist",
        str(world.blocklist), "--only", "c,e", "--lang", language, "-v"])
    text = " ".join(result.stdout.split())
    assert result.exit_code == 1 and EXPECTED["httponly"][language] in text, result.output
    assert sorted(phrase for phrase in frames("vi" if language == "en" else "en") if phrase in text) == []
