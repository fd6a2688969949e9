"""The portfolio dashboard: aggregation, change since the previous run, and safe rendering."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from trustscan.bulk.dashboard import build_dashboard
from trustscan.bulk.portfolio import parse_csv
from trustscan.bulk.store import ResultStore, SiteRow
from trustscan.cli.main import main
from trustscan.core.catalog import load_catalog
from trustscan.render.dashboard import render_dashboard

HOSTILE = '<script>alert("x")</script>'
PORTFOLIO = (
    "target,organisation,unit\n"
    f"a.gov.vn,Bộ A,{HOSTILE}\n"
    "b.gov.vn,Bộ A,Cục 1\n"
    "c.gov.vn,=HYPERLINK(\"http://evil\"),Cục 2\n"
)


def report(host: str, failing: dict[str, str]) -> str:
    """A minimal report: only the fields the dashboard reads. `failing`: rule id -> severity."""
    verdicts = [{"rule_id": rule, "criterion": rule.split(".")[0], "status": "fail", "severity": severity,
                 "title": f"{HOSTILE} title of {rule}", "message": "seen <b>bold</b>", "fix": "do it"}
                for rule, severity in failing.items()]
    verdicts.append({"rule_id": "e.securitytxt.present", "criterion": "e", "status": "pass", "severity": "high",
                     "title": "present", "message": "ok", "fix": None})
    return json.dumps({"target": {"host": host, "addresses": ["203.0.113.7"]}, "verdicts": verdicts})


def add_run(store: ResultStore, results: dict[str, tuple[str, dict[str, str]] | None], *, complete: bool) -> int:
    run_id = store.create_run(portfolio="p.csv", digest="d", settings={}, language="vi", tool_version="t",
                              entries=parse_csv(PORTFOLIO).entries)
    for host, result in results.items():
        if result is None:
            continue
        overall, failing = result
        criteria = {"c": overall, "e": "pass"}
        store.record(run_id, SiteRow(f"{host}:443", overall, criteria, report(host, failing), None, 1.0, "t"))
    store.set_status(run_id, "complete" if complete else "interrupted")
    return run_id


def make_db(tmp_path: Path) -> Path:
    path = tmp_path / "r.db"
    with ResultStore(path) as store:
        add_run(store, {"a.gov.vn": ("fail", {"c.cert.trusted": "high"}), "b.gov.vn": ("pass", {}),
                        "c.gov.vn": ("fail", {"c.cert.not_expired": "high"})}, complete=True)
        add_run(store, {"a.gov.vn": ("pass", {}),
                        "b.gov.vn": ("fail", {"c.http.hsts": "medium"}),
                        "c.gov.vn": ("fail", {"c.cert.not_expired": "high", "c.cert.key_size": "critical"})},
                complete=True)
    return path


def dashboard(path: Path, run_id: int | None = None) -> dict[str, Any]:
    with ResultStore(path, create=False) as store:
        return build_dashboard(store, run_id)


def test_changes_since_the_previous_run_and_worst_first(tmp_path: Path) -> None:
    d = dashboard(make_db(tmp_path))
    assert d["previous_run"]["id"] == 1
    assert [s["site"] for s in d["sites"]] == ["c.gov.vn:443", "b.gov.vn:443", "a.gov.vn:443"]
    changes = {(c["site"], c["rule_id"]) for c in d["changes"]["new_failures"]}
    assert changes == {("b.gov.vn:443", "c.http.hsts"), ("c.gov.vn:443", "c.cert.key_size")}
    assert [(c["site"], c["rule_id"]) for c in d["changes"]["fixed"]] == [("a.gov.vn:443", "c.cert.trusted")]
    assert d["totals"] == {"sites": 3, "done": 3, "pass": 1, "fail": 2, "error": 0, "pending": 0, "pass_rate": 33.3}
    assert (d["criteria"]["c"]["pass"], d["criteria"]["c"]["checked"], d["criteria"]["c"]["pass_rate"]) == (1, 3, 33.3)
    groups = {(g["organisation"], g["unit"]): (g["sites"], g["pass_rate"]) for g in d["groups"]}
    assert groups[("Bộ A", "Cục 1")] == (1, 0.0) and groups[("Bộ A", HOSTILE)] == (1, 100.0)


def test_an_unfinished_run_shows_pending_sites_and_counts_them_nowhere(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with ResultStore(path) as store:
        add_run(store, {"a.gov.vn": ("pass", {}), "b.gov.vn": None, "c.gov.vn": None}, complete=False)
    d = dashboard(path)
    assert d["run"]["status"] == "interrupted"
    assert (d["totals"]["done"], d["totals"]["pending"], d["totals"]["pass_rate"]) == (1, 2, 100.0)
    assert d["changes"]["compared"] is False
    html = render_dashboard("html", d, load_catalog("en"))
    assert "2 of 3" not in html and "1 of 3 sites have a result" in html


def test_html_is_self_contained_and_escapes_everything_from_sites(tmp_path: Path) -> None:
    html = render_dashboard("html", dashboard(make_db(tmp_path)), load_catalog("vi"))
    assert HOSTILE not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(" in html
    assert html.count("<script>") == 1  # the dashboard's own sorting/filtering script, nothing else
    assert 'href="#site-1"' in html and 'id="site-1"' in html
    assert " src=" not in html and "<link" not in html  # nothing fetched from elsewhere
    assert "Bảng tổng hợp tín nhiệm mạng" in html


def test_csv_export_neutralises_formulas(tmp_path: Path) -> None:
    text = render_dashboard("csv", dashboard(make_db(tmp_path)), load_catalog("en"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    c_row = next(r for r in rows if r["site"] == "c.gov.vn:443")
    assert c_row["organisation"].startswith("'=")
    assert set(c_row["failed_rules"].split(";")) == {"c.cert.not_expired", "c.cert.key_size"}
    assert c_row["new_failures"] == "c.cert.key_size" and c_row["đ"] == ""


def test_portfolio_command_formats_and_errors(tmp_path: Path) -> None:
    path = make_db(tmp_path)
    runner = CliRunner()
    out = tmp_path / "d.json"
    result = runner.invoke(main, ["portfolio", str(path), "--format", "json", "-o", str(out), "--run", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["run"]["id"] == 1
    missing = runner.invoke(main, ["portfolio", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "no results database" in missing.output
    no_run = runner.invoke(main, ["portfolio", str(path), "--run", "9"])
    assert no_run.exit_code == 2 and "no run 9" in no_run.output


def test_result_changes_and_since_when_from_each_sites_history(tmp_path: Path) -> None:
    d = dashboard(make_db(tmp_path))
    by_site = {s["site"]: s for s in d["sites"]}
    changes = {(c["site"], c["before"], c["after"], c["previous_run"]) for c in d["changes"]["overall"]}
    assert changes == {("a.gov.vn:443", "fail", "pass", 1), ("b.gov.vn:443", "pass", "fail", 1)}
    assert (by_site["c.gov.vn:443"]["since_run"], by_site["c.gov.vn:443"]["previous_overall"]) == (1, "fail")
    assert by_site["a.gov.vn:443"]["since_run"] == 2 and by_site["a.gov.vn:443"]["rounds"] == 2
    first = dashboard(tmp_path / "r.db", 1)  # as of run 1: nothing before it
    assert first["changes"]["overall"] == [] and all(s["since_run"] == 1 for s in first["sites"])
    html = render_dashboard("html", d, load_catalog("en"))
    assert 'id="overall-changes"' in html and "FAIL since t (run 1)." in html and "Previous round: PASS (run 1)" in html
    rows = list(csv.DictReader(io.StringIO(render_dashboard("csv", d, load_catalog("en")))))
    assert {r["site"]: (r["previous_overall"], r["since_run"]) for r in rows}["b.gov.vn:443"] == ("pass", "2")


def test_the_portfolio_rewords_verdicts_in_the_language_asked_for(tmp_path: Path) -> None:
    """Issue 13 item 4: a run scanned in Vietnamese, its portfolio asked for in English, reads in English."""
    verdict = {"rule_id": "c.cert.trusted", "criterion": "c", "status": "fail", "severity": "critical",
               "title": "Chứng thư số được tổ chức tin cậy xác thực", "message_id": "c.cert.trusted.fail",
               "message": "Chuỗi chứng thư không được tin cậy: x", "fix": "Dùng chứng thư số ...",
               "observed": {"tls.certificate.validation_error": "unable to get local issuer certificate"},
               "error": None}
    path = tmp_path / "r.db"
    with ResultStore(path) as store:
        run_id = store.create_run(portfolio="p.csv", digest="d", settings={}, language="vi", tool_version="t",
                                  entries=parse_csv("target\na.gov.vn\n").entries)
        text = json.dumps({"target": {"host": "a.gov.vn", "addresses": []}, "verdicts": [verdict]})
        store.record(run_id, SiteRow("a.gov.vn:443", "fail", {"c": "fail"}, text, None, 1.0, "t"))
        store.set_status(run_id, "complete")
    for name in ("html", "json"):
        out = render_dashboard(name, dashboard(path), load_catalog("en"))
        assert "Certificate chain is not trusted: the issuer of a certificate is neither among" in out
        assert "Chuỗi chứng thư" not in out and "tổ chức tin cậy" not in out
