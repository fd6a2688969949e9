"""The security.txt corpus (tests/data/securitytxt/): each file's exact findings and criterion e verdict."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.collect.securitytxt_corpus import CORPUS, criterion_e, facts_of, finding_keys, load_cases
from trustscan.collect.http.securitytxt import FINDING_IDS
from trustscan.core.catalog import load_catalog

NOW = datetime.now(UTC)
CASES = load_cases(NOW)


def test_the_corpus_is_large_and_every_file_is_in_the_manifest() -> None:
    assert len(CASES) >= 60
    assert {p.stem for p in CORPUS.glob("*.txt")} == {c.name for c in CASES}
    assert {"pass", "warn", "fail"} <= {c.verdict for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_findings_and_verdict(case) -> None:
    facts = facts_of(case, NOW)
    assert finding_keys(facts) == sorted(case.findings), case.what
    status, non_passing = criterion_e(facts)
    assert status == case.verdict, (case.what, non_passing)
    # Each warning names its line in the rule's message: problems and advice read "line N: what [id] (text)",
    # and "dòng N: ..." in Vietnamese, said from the wordings beside them.
    named = facts["problems"] + facts["advice"]
    said = load_catalog("vi").reword(named, facts["problems_wording"] + facts["advice_wording"])
    for f in facts["findings"]:
        if FINDING_IDS[f["id"]] in ("conformance", "recommended"):
            for where, problems in ((f"line {f['line']}: ", named), (f"dòng {f['line']}: ", said)):
                assert any(p.startswith(where if f["line"] else "") and f"[{f['id']}]" in p for p in problems), f

def test_every_finding_id_is_in_the_corpus() -> None:
    seen = {key.partition("@")[0] for case in CASES for key in case.findings}
    # "truncated" needs a body over the 1 MiB parse cap: tests/collect/test_securitytxt.py fetches one.
    assert seen == set(FINDING_IDS) - {"truncated"}


def test_verdict_model_fails_only_an_unusable_contact_point() -> None:
    """Criterion e fails only for: no valid Contact, expired, not text/plain, not under /.well-known/."""
    unusable = {"no_contact", "no_uri", "no_https", "invalid_contact", "expired", "invalid_media",
                "no_content_type", "location"}
    for case in CASES:
        if case.verdict == "fail":
            assert {k.partition("@")[0] for k in case.findings} & unusable, case.name
