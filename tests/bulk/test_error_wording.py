"""Issue 13 item 4 for bulk sites no audit could judge: why, in the language each output is asked for.

A refused address (its category too), a site deadline, an internal error, a lost process or worker, a
give-up after retries: each is a Wording (`bulk.error.*`, `address.*`) that the portfolio (every format)
and the public site say in Vietnamese or English, with nothing of the other language; a row recorded
before wordings existed shows its stored English text, never a message id.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.net.test_address_policy import REFUSED
from tests.render.test_wording import ENGLISH, NOT_PROSE, QUOTED, VIETNAMESE
from tests.support.no_network import forbid_connections
from trustscan.bulk.portfolio import parse_text
from trustscan.bulk.scheduler import BulkJob, audit_one, error_row
from trustscan.bulk.store import ResultStore
from trustscan.cli.main import main
from trustscan.core.catalog import LANGUAGES, load_catalog
from trustscan.core.errors import AddressPolicyError
from trustscan.core.settings import AuditSettings
from trustscan.core.target import parse_target
from trustscan.core.wordings import Wording
from trustscan.judge.ruleset import load_ruleset
from trustscan.net import addresses
from trustscan.net.addresses import judge_address
from trustscan.net.resolve import non_public_reason

LOOPBACK = Wording("address.loopback", {"rfc": "RFC 1122"})
POLICY = Wording("error.address_policy", {"host": "a.gov.vn", "address": "127.0.0.1", "category": LOOPBACK})

#: Every kind of error a bulk row can carry, with what it says in each language (whole sentences).
KINDS: list[tuple[Wording, str, str]] = [
    (Wording("bulk.error.address_refused", {"cause": POLICY}),
     "address refused: a.gov.vn resolves to non-public address 127.0.0.1, loopback (RFC 1122); use --allow-private "
     "to audit intranet or local sites",
     "từ chối địa chỉ: a.gov.vn phân giải ra địa chỉ không công khai 127.0.0.1, địa chỉ vòng lặp nội bộ (RFC 1122); "
     "dùng --allow-private để đánh giá trang nội bộ hoặc cục bộ"),
    (Wording("bulk.error.site_deadline", {"seconds": "65"}), "site deadline of 65s reached",
     "đã hết thời hạn 65 giây dành cho trang"),
    (Wording("bulk.error.internal", {"kind": "RuntimeError", "detail": "probe bug"}),
     "internal error: RuntimeError: probe bug", "lỗi nội bộ: RuntimeError: probe bug"),
    (Wording("bulk.error.abandoned_process", {"times": 3}),
     "abandoned: the process auditing this site was lost 3 times",
     "đã bỏ qua: tiến trình đánh giá trang này bị mất 3 lần"),
    (Wording("bulk.error.abandoned_worker", {"times": 3}),
     "abandoned: the worker auditing this site was lost 3 times", "đã bỏ qua: worker đánh giá trang này bị mất 3 lần"),
    (Wording("bulk.error.gave_up", {"retries": 5, "cause": Wording("bulk.error.lost_broker", {
        "broker": "redis://127.0.0.1:1/0", "detail": "Connection refused"})}),
     "gave up after 5 retries: lost the broker redis://127.0.0.1:1/0: Connection refused",
     "dừng sau 5 lần thử lại: mất kết nối tới broker redis://127.0.0.1:1/0: Connection refused"),
    (Wording("bulk.error.gave_up", {"retries": 5, "cause": Wording("bulk.error.lost_database", {
        "database": "r.db", "detail": "disk I/O error"})}),
     "gave up after 5 retries: lost the database r.db: disk I/O error",
     "dừng sau 5 lần thử lại: mất kết nối tới cơ sở dữ liệu r.db: disk I/O error"),
    (Wording("bulk.error.invalid_target", {"detail": "x"}), "invalid target in the run's plan: x",
     "mục tiêu trong kế hoạch của lượt quét không hợp lệ: x"),
    (Wording("bulk.error.visibility_timeout", {"seconds": "305", "timeout": 60, "needed": "625"}),
     "the site deadline (305s) does not fit the workers' visibility timeout (60s); start workers with at least 625s",
     "thời hạn dành cho trang (305 giây) vượt quá thời gian ẩn tin nhắn của các worker (60 giây); hãy chạy worker "
     "với ít nhất 625 giây"),
    (Wording("bulk.error.no_run", {"run": 7}), "run 7 is not in the database", "cơ sở dữ liệu không có lượt quét 7"),
    (Wording("bulk.error.run_settings", {"run": 7, "detail": "x"}), "run 7 has unreadable settings: x",
     "không đọc được thiết lập của lượt quét 7: x"),
    (Wording("bulk.error.missing_file", {"path": "/ca.pem"}), "this worker lacks the run's file /ca.pem",
     "worker này thiếu tệp /ca.pem của lượt quét"),
    (Wording("bulk.error.no_settings"), "the run has no audit settings", "lượt quét không có thiết lập đánh giá"),
]


def english_in(text: str) -> list[str]:
    return ENGLISH.findall(NOT_PROSE.sub("", text))


def vietnamese_in(text: str) -> list[str]:
    return VIETNAMESE.findall(QUOTED.sub("", NOT_PROSE.sub("", text)))


@pytest.mark.parametrize(("wording", "en", "vi"), KINDS, ids=[kind[0].id for kind in KINDS])
def test_each_kind_of_bulk_error_in_each_language(wording: Wording, en: str, vi: str) -> None:
    assert load_catalog("en").say(wording) == en == wording.english() == str(wording)
    assert load_catalog("vi").say(wording) == vi
    assert english_in(vi) == [] and vietnamese_in(en) == []
    row = error_row("a.gov.vn:443", wording)
    assert row.error == en and row.error_wording == wording and row.overall == "error" and row.report is None


def test_every_kind_the_code_records_is_in_the_table_above() -> None:
    """A new `bulk.error.*` id in the code gets its two sentences checked here too."""
    root = Path(__file__).resolve().parents[2]
    used = {match for path in (root / "trustscan").rglob("*.py")
            for match in re.findall(r"""["'](bulk\.error\.[a-z_]+)["']""", path.read_text(encoding="utf-8"))}
    assert used == {wording.id for wording, *_ in KINDS} | {"bulk.error.lost_broker", "bulk.error.lost_database"}


@pytest.mark.parametrize(("address", "why"), REFUSED)
def test_every_non_public_category_is_worded_in_both_languages(address: str, why: str) -> None:
    wording = judge_address(address).why
    assert wording is not None and wording.ids() <= set(load_catalog("vi").messages) & set(load_catalog("en").messages)
    assert why in wording.english()  # the English as before: callers and logs read the same words
    vi = load_catalog("vi").say(wording)
    assert english_in(vi) == []
    assert vi != wording.english() or wording.id in ("address.teredo", "address.orchid", "address.orchid_v2")  # names
    assert re.search(r"RFC \d+", vi) or wording.id == "address.not_global", vi  # the RFC stays, in either language


def test_every_category_of_the_tables_has_its_sentence() -> None:
    kinds = {kind for _, kind, _ in (*addresses._IPV4_REFUSED, *addresses._IPV6_REFUSED)}
    ids = {f"address.{kind}" for kind in kinds} | set(addresses._FORMS.values()) | {
        "address.not_global", "address.not_global_unicast", "address.not_an_address", "address.embedded"}
    for language in LANGUAGES:
        assert sorted(ids - set(load_catalog(language).messages)) == [], language
    assert load_catalog("vi").say(non_public_reason("not an address")) == "không phải địa chỉ IP"  # type: ignore[arg-type]


def test_an_address_policy_error_keeps_its_english_and_carries_its_wording() -> None:
    error = AddressPolicyError("error.address_policy", host="a.gov.vn", address="127.0.0.1", category=LOOPBACK)
    assert str(error) == ("a.gov.vn resolves to non-public address 127.0.0.1, loopback (RFC 1122); use --allow-private "
                          "to audit intranet or local sites")
    assert error.wording == POLICY


def test_a_real_refusal_deadline_and_bug_become_worded_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """audit_one on the real audit (refused before a socket moves), a site that overruns, a bug."""
    attempts = forbid_connections(monkeypatch)
    job = BulkJob("127.0.0.1:443", parse_target("127.0.0.1"))
    refused = asyncio.run(audit_one(job, AuditSettings(timeout=5), ruleset=load_ruleset(), catalog=load_catalog("en")))
    assert attempts == []
    assert refused.error_wording == Wording("bulk.error.address_refused", {"cause": Wording(
        "error.address_policy", {"host": "127.0.0.1", "address": "127.0.0.1", "category": LOOPBACK})})
    assert refused.error == ("address refused: 127.0.0.1 resolves to non-public address 127.0.0.1, loopback "
                             "(RFC 1122); use --allow-private to audit intranet or local sites")

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(30)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("probe\nbug")

    late = asyncio.run(audit_one(job, AuditSettings(), ruleset=load_ruleset(), catalog=load_catalog("en"),
                                 audit=slow, deadline=0.05))
    assert late.error_wording == Wording("bulk.error.site_deadline", {"seconds": "0.05"})
    assert load_catalog("vi").say(late.error_wording) == "đã hết thời hạn 0.05 giây dành cho trang"
    bug = asyncio.run(audit_one(job, AuditSettings(), ruleset=load_ruleset(), catalog=load_catalog("en"),
                                audit=broken))
    assert bug.error == "internal error: RuntimeError: probe bug"  # one line, as observed
    assert load_catalog("vi").say(bug.error_wording) == "lỗi nội bộ: RuntimeError: probe bug"  # type: ignore[arg-type]

    async def unreportable(*args: Any, **kwargs: Any) -> Any:
        return object()  # an outcome the report builder cannot read: its bug is this site's error too

    odd = asyncio.run(audit_one(job, AuditSettings(), ruleset=load_ruleset(), catalog=load_catalog("en"),
                                audit=unreportable))
    assert odd.overall == "error" and odd.error is not None and odd.error.startswith("internal error: AttributeError")


# --- the outputs ---------------------------------------------------------------------------------------------

DEADLINE = Wording("bulk.error.site_deadline", {"seconds": "65"})
SITES = "a.gov.vn\nb.gov.vn\nc.gov.vn\nd.gov.vn\n"
OLD_TEXT = "site deadline of 30s reached"  # as a version-1 trustscan recorded it, in English only


def make_db(tmp_path: Path) -> Path:
    """A run with a refused site, a deadline, a row without a wording (an old one) and one of a newer trustscan."""
    db = tmp_path / "r.db"
    with ResultStore(db) as store:
        run = store.create_run(portfolio="p", digest="d", settings={}, language="en", tool_version="t",
                               entries=parse_text(SITES).entries)
        store.record(run, error_row("a.gov.vn:443", KINDS[0][0]))
        store.record(run, error_row("b.gov.vn:443", DEADLINE))
        store.record(run, error_row("c.gov.vn:443", DEADLINE))
        store.record(run, error_row("d.gov.vn:443", DEADLINE))
        store.set_status(run, "complete")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE results SET error = ?, error_wording = NULL WHERE site = 'c.gov.vn:443'", (OLD_TEXT,))
        conn.execute("UPDATE results SET error = 'a newer reason', error_wording = ? WHERE site = 'd.gov.vn:443'",
                     (json.dumps({"id": "bulk.error.from_the_future", "values": {}}),))
    conn.close()
    return db


def portfolio(db: Path, language: str, output_format: str) -> str:
    result = CliRunner().invoke(main, ["portfolio", str(db), "--format", output_format, "--lang", language])
    assert result.exit_code == 0, result.output
    return result.stdout


def errors_of(text: str, output_format: str) -> dict[str, str]:
    if output_format == "json":
        return {site["site"]: site["error"] for site in json.loads(text)["sites"]}
    return {row["site"]: row["error"] for row in csv.DictReader(io.StringIO(text))}


@pytest.mark.parametrize("language", LANGUAGES)
def test_portfolio_says_each_sites_error_in_the_language_asked_for(tmp_path: Path, language: str) -> None:
    db = make_db(tmp_path)
    refused, deadline = KINDS[0][1 if language == "en" else 2], load_catalog(language).say(DEADLINE)
    other = "vi" if language == "en" else "en"
    for output_format in ("json", "csv"):
        errors = errors_of(portfolio(db, language, output_format), output_format)
        assert errors == {"a.gov.vn:443": refused, "b.gov.vn:443": deadline, "c.gov.vn:443": OLD_TEXT,
                          "d.gov.vn:443": "a newer reason"}, output_format  # old and unknown: their stored text
    html = " ".join(portfolio(db, language, "html").split())
    assert refused in html and deadline in html and OLD_TEXT in html and "a newer reason" in html
    assert "bulk.error" not in html and "address." not in html  # never an id
    assert load_catalog(other).say(KINDS[0][0]) not in html and load_catalog(other).say(DEADLINE) not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_public_site_says_each_sites_error_in_its_language(tmp_path: Path, language: str) -> None:
    db = make_db(tmp_path)
    site = tmp_path / "site"
    result = CliRunner().invoke(main, ["publish", str(db), "--site", str(site), "--lang", language])
    assert result.exit_code == 0, result.output
    pages = {page.stem: " ".join(page.read_text(encoding="utf-8").split()) for page in (site / "sites").iterdir()}
    other = "vi" if language == "en" else "en"
    assert load_catalog(language).say(KINDS[0][0]) in pages["a.gov.vn"]
    assert load_catalog(language).say(DEADLINE) in pages["b.gov.vn"]
    assert load_catalog(other).say(DEADLINE) not in pages["b.gov.vn"]
    assert OLD_TEXT in pages["c.gov.vn"] and "a newer reason" in pages["d.gov.vn"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_real_bulk_run_of_refused_sites_reads_in_the_language_asked_for(tmp_path: Path, language: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`bulk` on loopback sites without --allow-private (refused before any traffic), then `portfolio --lang`."""
    attempts = forbid_connections(monkeypatch)
    sites = tmp_path / "p.txt"
    sites.write_text("127.0.0.1:9\n[::1]:9\n10.0.0.1:9\n", encoding="utf-8")
    db = tmp_path / "r.db"
    bulk = CliRunner().invoke(main, ["bulk", str(sites), "--db", str(db), "--lang", "en", "--quiet"])
    assert bulk.exit_code == 3, bulk.output  # nothing could be checked
    assert attempts == []
    errors = errors_of(portfolio(db, language, "json"), "json")
    expected = {
        "en": {"127.0.0.1:9": "loopback (RFC 1122)", "[::1]:9": "loopback (RFC 4291)",
               "10.0.0.1:9": "private-use (RFC 1918)"},
        "vi": {"127.0.0.1:9": "địa chỉ vòng lặp nội bộ (RFC 1122)", "[::1]:9": "địa chỉ vòng lặp nội bộ (RFC 4291)",
               "10.0.0.1:9": "dải địa chỉ riêng (RFC 1918)"},
    }[language]
    assert set(errors) == set(expected)
    for site, category in expected.items():
        assert category in errors[site], errors[site]
        assert (english_in(errors[site]) == []) if language == "vi" else (vietnamese_in(errors[site]) == [])
    with sqlite3.connect(db) as conn:  # the English column is filled as before, for SQL readers
        stored = dict(conn.execute("SELECT site, error FROM results").fetchall())
    conn.close()
    assert stored["127.0.0.1:9"].startswith("address refused: 127.0.0.1 resolves to non-public address 127.0.0.1, "
                                            "loopback (RFC 1122)")
