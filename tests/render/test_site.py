"""`trustscan publish DB --site DIR`: the static public site, from a database with history (no network)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.publish_samples import sample_report
from tests.support.site_links import broken_links, parse
from trustscan.bulk.portfolio import parse_text
from trustscan.bulk.public import site_slug
from trustscan.bulk.store import ResultStore, SiteRow
from trustscan.cli.main import main
from trustscan.core.timestamps import rfc3339
from trustscan.publish.attestation import envelope_bytes, sign_report
from trustscan.publish.keys import generate_key_pair, public_pem

HOSTS = ("a.example.gov.vn", "b.example.gov.vn", "c.example.gov.vn")
HOSTILE_ORG = '<script>alert("org")</script>'


def report(host: str, overall: str) -> dict[str, Any]:
    data = sample_report(host=host)
    data["overall"] = overall
    return data


def make_db(path: Path, rounds: list[dict[str, str]], *, last_at: datetime | None = None) -> Path:
    """One run per element of *rounds* (host -> overall; 'error' rows have no report), an hour apart."""
    last_at = last_at or datetime.now(UTC)
    entries = parse_text("\n".join(HOSTS) + "\n").entries
    with ResultStore(path) as store:
        for i, verdicts in enumerate(rounds):
            at = rfc3339(last_at - (len(rounds) - 1 - i) * timedelta(hours=1))
            run = store.create_run(portfolio="p.txt", digest="d", settings={}, language="vi", tool_version="t",
                                   entries=entries)
            for host, overall in verdicts.items():
                text = None if overall == "error" else json.dumps(report(host, overall))
                store.record(run, SiteRow(f"{host}:443", overall, {"c": overall, "e": "pass"}, text,
                                          "deadline reached" if text is None else None, 1.0, at))
            store.set_status(run, "complete")
    return path


def publish(*args: str) -> Any:
    return CliRunner().invoke(main, ["publish", *args], catch_exceptions=False)


@pytest.fixture
def declared(tmp_path: Path) -> tuple[Path, Path]:
    """A signed declaration saying pass for b, and the folder of its public key."""
    key = generate_key_pair()
    (tmp_path / "decl").mkdir()
    (tmp_path / "keys").mkdir()
    envelope = sign_report(report(HOSTS[1], "pass"), key, now=datetime.now(UTC) - timedelta(days=1))
    (tmp_path / "decl" / "b.json").write_bytes(envelope_bytes(envelope))
    (tmp_path / "keys" / "b.pub").write_bytes(public_pem(key.public_key()))
    (tmp_path / "decl" / "plain.json").write_text(json.dumps(report(HOSTS[0], "pass")), encoding="utf-8")
    return tmp_path / "decl", tmp_path / "keys"


def badge(site: Path, host: str) -> dict[str, Any]:
    return json.loads((site / "badges" / f"{host}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_site_every_page_badge_and_link(tmp_path: Path, declared: tuple[Path, Path]) -> None:
    db = make_db(tmp_path / "r.db", [{HOSTS[0]: "pass", HOSTS[1]: "pass", HOSTS[2]: "error"},
                                     {HOSTS[0]: "fail", HOSTS[1]: "fail", HOSTS[2]: "error"},
                                     {HOSTS[0]: "pass", HOSTS[1]: "fail", HOSTS[2]: "error"}])
    site = tmp_path / "site"
    result = publish(str(db), "--site", str(site), "--lang", "en", "--declarations", str(declared[0]),
                     "--keys", str(declared[1]))
    assert result.exit_code == 0, result.output
    assert "declaration left out" in result.stderr and "plain.json" in result.stderr  # an unsigned report
    names = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}
    for host in HOSTS:
        assert {f"sites/{host}.html", f"badges/{host}.svg", f"badges/{host}.json"} <= names
    assert f"reports/{HOSTS[0]}.html" in names and f"reports/{HOSTS[2]}.html" not in names  # c never audited
    assert {f"declarations/{HOSTS[1]}.html", f"declarations/{HOSTS[1]}.json"} <= names
    assert (site / "declarations" / f"{HOSTS[1]}.json").read_bytes() == (declared[0] / "b.json").read_bytes()
    assert broken_links(site) == []
    # Badges: a passes now; b failed twice, but its valid declaration says pass (3 failed rounds revoke it);
    # c was never checked successfully: stale, grey.
    a, b, c = (badge(site, h) for h in HOSTS)
    assert all(set(x) == {"schemaVersion", "label", "message", "color"} and x["schemaVersion"] == 1 for x in (a, b, c))
    assert (a["color"], b["color"], c["color"]) == ("brightgreen", "brightgreen", "lightgrey")
    assert "declared pass until" in b["message"] and "2/3 failed rounds" in b["message"]
    assert c["message"].startswith("0/6") is False and "never checked" in c["message"]
    assert "stale" in (site / "badges" / f"{HOSTS[2]}.svg").read_text(encoding="utf-8")
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'id="search"' in index and "Latest round: run 3" in index and 'id="criteria"' in index
    page = (site / "sites" / f"{HOSTS[1]}.html").read_text(encoding="utf-8")
    assert page.count("<tr><td class=\"num\">") == 3  # three rounds in its history
    assert "a valid signed declaration says pass" in page
    # Nothing is loaded from anywhere: no src= at all (badges are inline SVG), links relative (above).
    # The report renderer's own tests prove its pages inert to hostile report content.
    for html in site.rglob("*.html"):
        assert not re.search(r"\ssrc\s*=", html.read_text(encoding="utf-8"), re.IGNORECASE), html
    for html in [site / "index.html", *(site / "sites").glob("*.html")]:  # our pages: the index's one script
        assert html.read_text(encoding="utf-8").count("<script") == (1 if html.name == "index.html" else 0), html


def test_three_failed_rounds_revoke_a_declared_pass(tmp_path: Path, declared: tuple[Path, Path]) -> None:
    db = make_db(tmp_path / "r.db", [{HOSTS[1]: "fail"}] * 3)
    site = tmp_path / "site"
    assert publish(str(db), "--site", str(site), "--declarations", str(declared[0]), "--keys",
                   str(declared[1])).exit_code == 0
    assert badge(site, HOSTS[1])["color"] == "red"
    assert publish(str(db), "--site", str(site), "--fail-rounds", "4", "--declarations", str(declared[0]),
                   "--keys", str(declared[1])).exit_code == 0
    assert badge(site, HOSTS[1])["color"] == "brightgreen"  # 3 of 4 allowed failed rounds


def test_stale_after_and_as_of_an_older_run(tmp_path: Path) -> None:
    db = make_db(tmp_path / "r.db", [{HOSTS[0]: "pass"}, {HOSTS[0]: "fail"}],
                 last_at=datetime.now(UTC) - timedelta(days=3))
    site = tmp_path / "site"
    assert publish(str(db), "--site", str(site), "--lang", "en").exit_code == 0
    assert badge(site, HOSTS[0])["color"] == "red"  # 3 days old: fresh under the default 7d
    assert publish(str(db), "--site", str(site), "--lang", "en", "--stale-after", "2d").exit_code == 0
    stale = badge(site, HOSTS[0])
    assert stale["color"] == "lightgrey" and stale["message"].count("last checked") == 1
    assert publish(str(db), "--site", str(site), "--run", "1").exit_code == 0
    assert badge(site, HOSTS[0])["color"] == "brightgreen" and badge(site, HOSTS[0])["label"] == "Tín nhiệm mạng"


def test_the_folder_must_be_new_empty_or_ours(tmp_path: Path) -> None:
    db = make_db(tmp_path / "r.db", [{HOSTS[0]: "pass"}])
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("x", encoding="utf-8")
    refused = publish(str(db), "--site", str(theirs))
    assert refused.exit_code == 2 and "not a site trustscan wrote" in refused.stderr
    assert [p.name for p in theirs.iterdir()] == ["keep.txt"]
    ours = tmp_path / "ours"
    assert publish(str(db), "--site", str(ours)).exit_code == 0
    (ours / "sites" / "gone.example.gov.vn.html").write_text("old", encoding="utf-8")
    manifest = json.loads((ours / "trustscan-site.json").read_text(encoding="utf-8"))
    manifest["files"] += ["sites/gone.example.gov.vn.html", "../outside.txt"]
    (ours / "trustscan-site.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "outside.txt").write_text("x", encoding="utf-8")
    assert publish(str(db), "--site", str(ours)).exit_code == 0
    assert not (ours / "sites" / "gone.example.gov.vn.html").exists()  # listed before, not now: removed
    assert (tmp_path / "outside.txt").exists()  # never outside the folder
    for args, message in (([], "no results database"), (["--declarations", str(tmp_path)], "go together"),
                          (["--run", "9"], "no run 9")):
        result = publish(str(tmp_path / ("none.db" if not args else "r.db")), "--site", str(tmp_path / "n"), *args)
        assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_hostile_labels_stay_text(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    entries = parse_text(f"{HOSTS[0]}\n").entries
    entries = tuple(type(e)(e.line, e.target, organisation=HOSTILE_ORG) for e in entries)
    with ResultStore(db) as store:
        run = store.create_run(portfolio="p", digest="d", settings={}, language="vi", tool_version="t",
                               entries=entries)
        store.record(run, SiteRow(f"{HOSTS[0]}:443", "pass", {"c": "pass"}, json.dumps(report(HOSTS[0], "pass")),
                                  None, 1.0, rfc3339(datetime.now(UTC))))
        store.set_status(run, "complete")
    site = tmp_path / "site"
    assert publish(str(db), "--site", str(site)).exit_code == 0
    for page in ("index.html", f"sites/{HOSTS[0]}.html"):
        text = (site / page).read_text(encoding="utf-8")
        assert HOSTILE_ORG not in text and "&lt;script&gt;alert" in text
        assert len(parse(site / page).links) >= 1


@pytest.mark.parametrize(("site", "slug"), [("a.gov.vn:443", "a.gov.vn"), ("a.gov.vn:8443", "a.gov.vn_8443"),
                                            ("[2001:db8::1]:443", "2001_db8__1"), ("xn--b-ccc.vn:443", "xn--b-ccc.vn")])
def test_file_names_of_sites(site: str, slug: str) -> None:
    assert site_slug(site) == slug
