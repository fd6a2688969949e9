"""The portfolio dashboard's data: one run's results summarised, and what changed since the run before.

Pure aggregation over the results database (no network, no rendering): per-site rows worst first,
pass rates per organisation/unit and per criterion, and per-rule regressions and fixes against
the previous run. Renderers (`dashboard_render`) turn this dict into HTML, CSV or JSON.

A pass rate counts a site as passing only when it passed; a site that could not be checked
counts against the rate, never for it (the sslyze attempt rule, applied to a portfolio).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from trustscan.bulk.history import SiteHistory, load_histories
from trustscan.bulk.store import PlannedSite, ResultStore, RunInfo, SiteRow
from trustscan.core.models import CRITERIA, CRITERION_LABELS

# How bad a failed rule is, for ordering sites worst first (not a score shown to anyone).
_SEVERITY_WEIGHT = {"critical": 1000, "high": 100, "medium": 10, "low": 1, "info": 0}
_OVERALL_RANK = {"fail": 0, "error": 1, "pending": 2, "pass": 3}
_NOT_PASSING = ("fail", "warn", "error")


def build_dashboard(store: ResultStore, run_id: int | None = None) -> dict[str, Any]:
    """The dashboard of `run_id` (default: the latest run); LookupError when there is no such run."""
    runs = store.runs()
    if not runs:
        raise LookupError("the database holds no run yet")
    run = runs[-1] if run_id is None else next((r for r in runs if r.id == run_id), None)
    if run is None:
        raise LookupError(f"no run {run_id} in the database (runs: {', '.join(str(r.id) for r in runs)})")
    previous = next((r for r in reversed(runs) if r.id < run.id), None)
    before = _failing_rules(store.results(previous.id)) if previous else {}
    sites = [_site(index, planned, row, before) for index, (planned, row) in enumerate(store.results(run.id), 1)]
    histories = load_histories(store, up_to_run=run.id)
    for site in sites:
        site.update(_streak(histories.get(site["site"]), run.id))
    sites.sort(key=_worst_first)
    return {
        "run": _run(run),
        "previous_run": _run(previous) if previous else None,
        "totals": _totals(sites),
        "criteria": _criteria(sites),
        "groups": _groups(sites),
        "changes": {**_changes(sites, compared=previous is not None), "overall": _overall_changes(sites)},
        "sites": sites,
    }


def _run(run: RunInfo) -> dict[str, Any]:
    return {"id": run.id, "started_at": run.started_at, "finished_at": run.finished_at, "status": run.status,
            "portfolio": run.portfolio, "total": run.total, "done": run.done, "language": run.language,
            "tool_version": run.tool_version}


def _failing_rules(results: Iterable[tuple[PlannedSite, SiteRow | None]]) -> dict[str, set[str]]:
    """site -> ids of its failed rules, for the previous run (only what the comparison needs)."""
    failing: dict[str, set[str]] = {}
    for planned, row in results:
        if row is None:
            continue
        report = json.loads(row.report) if row.report else None
        failing[planned.site] = {v["rule_id"] for v in report["verdicts"] if v["status"] == "fail"} if report else set()
    return failing


def _site(index: int, planned: PlannedSite, row: SiteRow | None, before: Mapping[str, set[str]]) -> dict[str, Any]:
    site: dict[str, Any] = {
        "anchor": f"site-{index}",
        "site": planned.site,
        "input": planned.input,
        "line": planned.line,
        "organisation": planned.organisation,
        "unit": planned.unit,
        "owner": planned.owner,
        "tags": list(planned.tags),
        "overall": "pending" if row is None else row.overall,
        "criteria": {c: "pending" for c in CRITERIA} if row is None else dict(row.criteria),
        "verdicts": [],
        # Why no audit could judge it: the English sentence, and its Wording for `portfolio --lang` to say again.
        "error": None if row is None else row.error,
        "error_wording": None if row is None or row.error_wording is None else row.error_wording.to_json(),
        "host": planned.site,
        "addresses": [],
        "finished_at": None if row is None else row.finished_at,
        "duration": None if row is None else row.duration,
        "new_failures": [],
        "fixed": [],
    }
    report = json.loads(row.report) if row is not None and row.report else None
    if report is not None:
        site["host"] = report["target"]["host"]
        site["addresses"] = list(report["target"]["addresses"])
        site["verdicts"] = [
            # message_id, observed, error and error_wording let `portfolio --lang` re-word the verdict in any language.
            {**{key: v.get(key) for key in ("rule_id", "criterion", "status", "severity", "title", "message", "fix",
                                            "message_id", "observed", "error")},
             **({"error_wording": v["error_wording"]} if "error_wording" in v else {})}
            for v in report["verdicts"] if v["status"] in _NOT_PASSING
        ]
    if row is not None and planned.site in before:
        now_failing = {v["rule_id"] for v in site["verdicts"] if v["status"] == "fail"}
        # A site that could not be audited this time proves nothing fixed: compare audited sites only.
        if report is not None:
            site["new_failures"] = sorted(now_failing - before[planned.site])
            site["fixed"] = sorted(before[planned.site] - now_failing)
    return site


def _streak(history: SiteHistory | None, run_id: int) -> dict[str, Any]:
    """Since when the site has had this run's result, and its result the round before (its own history)."""
    none: dict[str, Any] = {"since": None, "since_run": None, "since_at_least": False, "previous_overall": None,
                            "previous_run": None, "rounds": 0}
    if history is None or history.latest is None or history.latest.run_id != run_id:
        return none  # not audited in this run (pending): no streak to speak of
    first = history.since()
    previous = history.previous
    assert first is not None
    return {"since": first.finished_at, "since_run": first.run_id, "since_at_least": history.since_is_lower_bound(),
            "previous_overall": previous.overall if previous else None,
            "previous_run": previous.run_id if previous else None, "rounds": len(history.rounds) + history.dropped}


def _overall_changes(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sites whose overall result differs from their own previous round (pass -> fail, error -> pass...)."""
    return [{"site": s["site"], "anchor": s["anchor"], "host": s["host"], "before": s["previous_overall"],
             "after": s["overall"], "previous_run": s["previous_run"]}
            for s in sites if s["previous_overall"] is not None and s["previous_overall"] != s["overall"]]


def _worst_first(site: Mapping[str, Any]) -> tuple[Any, ...]:
    failed_criteria = sum(1 for status in site["criteria"].values() if status == "fail")
    weight = sum(_SEVERITY_WEIGHT.get(v["severity"], 0) for v in site["verdicts"] if v["status"] == "fail")
    return (_OVERALL_RANK.get(site["overall"], 2), -failed_criteria, -weight, site["site"])


def _rate(passed: int, of: int) -> float | None:
    return round(100.0 * passed / of, 1) if of else None


def _totals(sites: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {k: sum(1 for s in sites if s["overall"] == k) for k in ("pass", "fail", "error", "pending")}
    done = len(sites) - counts["pending"]
    return {"sites": len(sites), "done": done, **counts, "pass_rate": _rate(counts["pass"], done)}


def _criteria(sites: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per criterion: how many sites pass, fail, could not be checked; rate over sites where it was checked."""
    table: dict[str, dict[str, Any]] = {}
    for criterion in CRITERIA:
        statuses = [s["criteria"].get(criterion, "error") for s in sites if s["overall"] != "pending"]
        counts = {k: statuses.count(k) for k in ("pass", "fail", "error", "manual", "not_checked")}
        checked = counts["pass"] + counts["fail"] + counts["error"]
        table[criterion] = {"label": CRITERION_LABELS[criterion], **counts, "checked": checked,
                            "pass_rate": _rate(counts["pass"], checked)}
    return table


def _groups(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per organisation and unit, worst pass rate first."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for site in sites:
        key = (site["organisation"], site["unit"])
        group = groups.setdefault(key, {"organisation": key[0], "unit": key[1], "sites": 0, "pass": 0, "fail": 0,
                                        "error": 0, "pending": 0})
        group["sites"] += 1
        group[site["overall"]] += 1
    for group in groups.values():
        group["pass_rate"] = _rate(group["pass"], group["sites"] - group["pending"])
    return sorted(groups.values(), key=lambda g: (g["pass_rate"] is None, g["pass_rate"] or 0.0,
                                                   g["organisation"], g["unit"]))


def _changes(sites: list[dict[str, Any]], *, compared: bool) -> dict[str, Any]:
    titles = {v["rule_id"]: v["title"] for s in sites for v in s["verdicts"]}
    return {
        "compared": compared,
        "new_failures": [{"site": s["site"], "anchor": s["anchor"], "rule_id": r, "title": titles.get(r, r)}
                         for s in sites for r in s["new_failures"]],
        "fixed": [{"site": s["site"], "anchor": s["anchor"], "rule_id": r} for s in sites for r in s["fixed"]],
    }
