"""JUnit XML for CI test dashboards (GitLab, Jenkins, GitHub test reporters): one test case per rule.

One test suite per criterion. `fail` is a <failure> and `error` (could not check) an <error>, both
carrying the message and the observed evidence; `skip` and waived findings are <skipped>. A warning
is a <failure> only when the report's policy counts warnings, else a passing case whose system-out
says so. A criterion this version does not check gets one skipped case, so an all-green dashboard
never hides an unchecked criterion.

The document validates against both schemas CI tools read it with: Jenkins' JUnit XSD (the xUnit
plugin's junit-10.xsd) and Maven Surefire's, suite by suite (tests/data/junit/). So there is no
`skipped` on <testsuites> and no `timestamp`/`hostname` attribute on a suite (they are properties),
and every case has a real `time`: the longest run of the probes whose facts the rule read (they run
concurrently), in seconds with three decimals and never 0, which some report generators divide by.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trustscan.core.catalog import Catalog
from trustscan.core.wording import evidence_rows, severity

# XML 1.0 forbids most control characters and lone surrogates; ElementTree would write them anyway.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def render(report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False) -> str:
    """The JUnit XML document (`verbose` has no effect: every rule is a test case)."""
    policy = report.get("policy") or {}
    warnings_fail = (policy.get("settings") or {}).get("warnings") == "fail"
    waived = {d["rule_id"]: d["waiver"] for d in policy.get("decisions", []) if d["decision"] == "waived"}
    host = report["target"]["ascii_host"]
    durations = _probe_durations(report.get("evidence"))
    root = ET.Element("testsuites", name=_clean(f"trustscan {host}"))
    totals = {"tests": 0, "failures": 0, "errors": 0}
    total_time = 0.0
    for criterion, result in report["criteria"].items():
        verdicts = [v for v in report["verdicts"] if v["criterion"] == criterion]
        suite = ET.SubElement(root, "testsuite", name=_clean(f"{host} [{result['label']}] {result['name']}"))
        properties = ET.SubElement(suite, "properties")
        for name, value in (("criterion", criterion), ("status", result["status"]), ("target", host),
                            ("hostname", host), ("timestamp", report["started_at"])):
            ET.SubElement(properties, "property", name=name, value=_clean(value))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        suite_time = 0.0
        if result["status"] == "not_checked":
            case = ET.SubElement(suite, "testcase", classname=f"trustscan.{criterion}",
                                 name=_clean(f"criterion {result['label']}"), time=_seconds(0.0))
            ET.SubElement(case, "skipped", message=_clean(result["summary"]))
            counts["tests"] += 1
            counts["skipped"] += 1
        for verdict in verdicts:
            seconds = _case_time(verdict, durations)
            suite_time = max(suite_time, seconds)  # the probes run concurrently: a suite lasts its longest case
            kind = _add_case(suite, verdict, catalog, waived.get(verdict["rule_id"]), warnings_fail, seconds)
            counts["tests"] += 1
            if kind:
                counts[kind] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            if key in totals:
                totals[key] += value
        suite.set("time", _seconds(suite_time))
        total_time = max(total_time, suite_time)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(_audit_seconds(report, total_time)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _probe_durations(evidence: Any) -> dict[str, float]:
    """Seconds each probe of the report ran, by probe name."""
    if not isinstance(evidence, Mapping):
        return {}
    return {str(name): float(attempt["duration"]) for name, attempt in evidence.items()
            if isinstance(attempt, Mapping) and isinstance(attempt.get("duration"), int | float)}


def _case_time(verdict: Mapping[str, Any], durations: Mapping[str, float]) -> float:
    """The longest run among the probes whose facts the rule read (its observed facts' first segment)."""
    observed = verdict.get("observed")
    probes = {str(path).split(".", 1)[0] for path in observed} if isinstance(observed, Mapping) else set()
    return max((durations[probe] for probe in probes if probe in durations), default=0.0)


def _audit_seconds(report: Mapping[str, Any], fallback: float) -> float:
    """The audit's wall time from its start and finish, else the longest suite."""
    try:
        started = datetime.fromisoformat(str(report["started_at"]).replace("Z", "+00:00"))
        finished = datetime.fromisoformat(str(report["finished_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return fallback
    return max((finished - started).total_seconds(), fallback)


def _seconds(value: float) -> str:
    """Seconds with three decimals (Surefire's pattern), at least 0.001: a zero time breaks report generators."""
    return f"{max(value, 0.001):.3f}"


def _add_case(suite: ET.Element, verdict: Mapping[str, Any], catalog: Catalog,
              waiver: Mapping[str, Any] | None, warnings_fail: bool, seconds: float) -> str | None:
    """Append one test case; returns the counter it adds to (failures/errors/skipped) or None."""
    case = ET.SubElement(suite, "testcase", classname=f"trustscan.{verdict['criterion']}",
                         name=_clean(f"{verdict['rule_id']}: {verdict['title']}"), time=_seconds(seconds))
    status = verdict["status"]
    if waiver is not None:
        ET.SubElement(case, "skipped", message=_clean(
            f"{catalog.text('status.' + status)} — {catalog.text('policy.reason.waived')}: "
            f"{waiver['reason']} ({waiver['expires']})"))
        return "skipped"
    if status == "skip":
        ET.SubElement(case, "skipped", message=_clean(verdict["message"]))
        return "skipped"
    if status == "pass":
        return None
    body = _details(verdict, catalog)
    if status == "error":
        ET.SubElement(case, "error", message=_clean(verdict["message"]), type="error").text = body
        return "errors"
    if status == "warn" and not warnings_fail:
        ET.SubElement(case, "system-out").text = f"{catalog.text('status.warn')}: {_clean(verdict['message'])}\n{body}"
        return None
    ET.SubElement(case, "failure", message=_clean(verdict["message"]),
                  type=f"{status}:{verdict['severity']}").text = body
    return "failures"


def _details(verdict: Mapping[str, Any], catalog: Catalog) -> str:
    lines = [f"{verdict['rule_id']} ({severity(verdict['severity'], catalog)})", verdict["message"]]
    if verdict["observed"]:
        lines.append(f"{catalog.text('ci.evidence')}:")
        lines += [f"  {label} = {value}" for label, value in evidence_rows(verdict["observed"], catalog)]
    if verdict.get("fix"):
        lines.append(f"{catalog.text('console.fix')}: {verdict['fix']}")
    if verdict["references"]:
        lines.append(f"{catalog.text('ci.references')}: {'; '.join(verdict['references'])}")
    return _clean("\n".join(lines))
