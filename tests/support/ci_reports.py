"""Reports for the CI-gating tests, built by the real engine from evidence made in code (no I/O).

The evidence is every c/e rule's own `pass` case merged together; a test then overlays a rule's
`fail` or `error` case to make exactly that rule fail or error. Only criteria c and e are used, so
rules other engineers add for a, b, d and đ cannot change what these tests expect.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from tests.judge.test_rules import evidence_from_case
from trustscan.core.catalog import load_catalog
from trustscan.core.target import parse_target
from trustscan.judge.engine import evaluate, roll_up
from trustscan.judge.ruleset import Ruleset, load_ruleset
from trustscan.report.document import AuditOutcome, build_report

FULL = load_ruleset()
RULESET = Ruleset(tuple(rule for rule in FULL.rules if rule.criterion in ("c", "e")), FULL.digest)
MOMENT = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)


def merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `overlay` into a copy of `base`; "error"/"skipped" replace a whole probe."""
    result = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def passing_case() -> dict[str, Any]:
    case: dict[str, Any] = {}
    for rule in RULESET.rules:
        case = merge(case, rule.cases["pass"])
    return case


def make_report(fail: Iterable[str] = (), error: Iterable[str] = (), *, lang: str = "en",
                host: str = "cong.trustscan.test", overlay: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A report in which the named rules take their fail (or error) case and the rest pass."""
    case = passing_case()
    for rule_id in fail:
        case = merge(case, RULESET.get(rule_id).cases["fail"])
    for rule_id in error:
        case = merge(case, RULESET.get(rule_id).cases["error"])
    case = merge(case, overlay or {})
    evidence = evidence_from_case(case)
    verdicts = evaluate(RULESET, evidence)
    outcome = AuditOutcome(
        target=parse_target(f"{host}:8443"), addresses=("127.0.0.10",), started_at=MOMENT,
        finished_at=MOMENT + dt.timedelta(seconds=3), attempts=evidence, verdicts=tuple(verdicts),
        criteria=roll_up(RULESET, verdicts),
    )
    return build_report(outcome, RULESET, load_catalog(lang))


def statuses(report: Mapping[str, Any]) -> dict[str, str]:
    """rule id -> verdict status, for every rule that did not pass."""
    return {v["rule_id"]: v["status"] for v in report["verdicts"] if v["status"] != "pass"}
