"""Per-site history across runs and the badge standing (freshness, failed rounds, declarations)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.publish_samples import sample_report
from trustscan.bulk.history import Freshness, SiteHistory, load_histories, standing
from trustscan.bulk.portfolio import parse_text
from trustscan.bulk.store import ResultStore, RoundRow, SiteRow
from trustscan.core.timestamps import rfc3339
from trustscan.publish.attestation import Document, envelope_bytes, parse_document, sign_report
from trustscan.publish.keys import generate_key_pair

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def history(*overalls: str, last_at: datetime = NOW, step: timedelta = timedelta(hours=1)) -> SiteHistory:
    """A site's rounds, oldest first, the last one finished at *last_at*."""
    h = SiteHistory("a.gov.vn:443")
    for i, overall in enumerate(overalls):
        at = rfc3339(last_at - (len(overalls) - 1 - i) * step)
        h.add(RoundRow(i + 1, at, "a.gov.vn:443", overall, {"c": overall}, at))
    return h


def declaration(overall: str, *, valid_days: int = 30, now: datetime = NOW) -> Document:
    """A real signed declaration (a sample report) whose overall result is *overall*, signed a day before *now*."""
    report = sample_report()
    report["overall"] = overall
    return parse_document(envelope_bytes(sign_report(report, generate_key_pair(), now=now - timedelta(days=1),
                                                     valid_days=valid_days)))


def test_since_previous_and_trailing_failures() -> None:
    h = history("pass", "fail", "error", "fail", "fail")
    assert h.latest and h.latest.overall == "fail" and h.previous and h.previous.overall == "fail"
    since = h.since()
    assert since is not None and since.run_id == 4  # the error round ends the streak of "fail"
    assert h.trailing_failures() == 3  # the error round neither counts nor breaks the count
    assert h.last_checked() is h.latest
    assert history("pass", "pass").trailing_failures() == 0
    assert history("error").last_checked() is None


def test_latest_round_decides_without_a_declaration() -> None:
    policy = Freshness()
    assert standing(history("fail", "pass"), policy, now=NOW).state == "pass"
    assert standing(history("pass", "fail"), policy, now=NOW).state == "fail"
    assert standing(history("pass", "error"), policy, now=NOW).state == "error"


def test_stale_when_the_last_successful_check_is_too_old() -> None:
    policy = Freshness(stale_after=timedelta(days=2))
    old = history("pass", last_at=NOW - timedelta(days=3))
    assert standing(old, policy, now=NOW).state == "stale"
    # Newer rounds that could not check the site do not make it fresh again.
    h = history("pass", "error", "error", last_at=NOW, step=timedelta(days=2))
    assert standing(h, policy, now=NOW).state == "stale"
    assert standing(history("pass", last_at=NOW - timedelta(days=1)), policy, now=NOW).state == "pass"
    assert standing(history("error", "error"), policy, now=NOW).state == "stale"  # never checked at all


def test_a_declared_pass_survives_fewer_than_n_failed_rounds_only() -> None:
    signed_pass = declaration("pass")
    policy = Freshness(fail_rounds=3)
    for overalls, state, declared in ((("pass", "fail"), "pass", True), (("pass", "fail", "fail"), "pass", True),
                                      (("pass", "fail", "error", "fail"), "pass", True),
                                      (("pass", "fail", "fail", "fail"), "fail", False),
                                      (("fail", "fail", "fail", "fail"), "fail", False)):
        result = standing(history(*overalls), policy, now=NOW, declaration=signed_pass)
        assert (result.state, result.declared) == (state, declared), overalls
    revoked = standing(history("fail", "fail", "fail"), policy, now=NOW, declaration=signed_pass)
    assert revoked.reason == "site.standing.declaration_revoked" and revoked.failed_rounds == 3
    assert standing(history("fail"), Freshness(fail_rounds=1), now=NOW, declaration=signed_pass).state == "fail"


def test_only_a_valid_signed_passing_declaration_gives_grace() -> None:
    policy = Freshness()
    failing = history("pass", "fail")
    assert standing(failing, policy, now=NOW, declaration=declaration("fail")).state == "fail"
    expired = declaration("pass", valid_days=1, now=NOW - timedelta(days=5))
    assert standing(failing, policy, now=NOW, declaration=expired).state == "fail"
    unsigned = Document(dict(declaration("pass").report))
    assert standing(failing, policy, now=NOW, declaration=unsigned).state == "fail"
    # Staleness outranks any declaration: nothing recent is known about the site.
    stale = history("pass", last_at=NOW - timedelta(days=30))
    assert standing(stale, policy, now=NOW, declaration=declaration("pass")).state == "stale"


def test_fail_rounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Freshness(fail_rounds=0)


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """History is read through the store's portable SQL: both backends, a real PostgreSQL included."""
    return tmp_path / "r.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_histories_from_the_database(location: Path | str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("trustscan.bulk.store._ROUNDS_PAGE", 2)  # several pages: none lost or repeated
    entries = parse_text("a.gov.vn\nb.gov.vn\n").entries
    with ResultStore(location) as store:
        for overall_a, overall_b in (("pass", "fail"), ("fail", None), ("fail", "pass")):
            run = store.create_run(portfolio="p", digest="d", settings={}, language="vi", tool_version="t",
                                   entries=entries)
            store.record(run, SiteRow("a.gov.vn:443", overall_a, {"c": overall_a}, '{"r": 1}', None, 1.0,
                                      f"2026-12-01T0{run}:00:00Z"))
            if overall_b:  # b is missing from run 2 (interrupted round): no entry in its history
                store.record(run, SiteRow("b.gov.vn:443", overall_b, {"c": overall_b}, None, "x", 1.0,
                                          f"2026-12-01T0{run}:00:00Z"))
            store.set_status(run, "complete")
        histories = load_histories(store)
        assert [r.overall for r in histories["a.gov.vn:443"].rounds] == ["pass", "fail", "fail"]
        assert [r.run_id for r in histories["b.gov.vn:443"].rounds] == [1, 3]
        assert histories["a.gov.vn:443"].since().run_id == 2  # type: ignore[union-attr]
        assert [r.run_id for r in load_histories(store, up_to_run=2)["a.gov.vn:443"].rounds] == [1, 2]
        assert store.report(1, "a.gov.vn:443") == '{"r": 1}' and store.report(1, "b.gov.vn:443") is None
        assert store.report(9, "a.gov.vn:443") is None
