"""SARIF 2.1.0 (OASIS) for code-scanning dashboards: one result per failed or warned rule.

Rules carry their title, fix (help) and references; rules that could not be checked become tool
execution notifications, not results, because SARIF results are findings and an `error` verdict
found nothing. Fingerprints hash only the rule and the target, never observed values, so a finding
keeps its identity from one run to the next (SARIF 2.1.0 §3.27.17).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from trustscan.core.catalog import Catalog, format_value

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "trustscanFinding/v1"
_LEVELS = {"fail": "error", "warn": "warning"}
# GitHub code scanning reads `security-severity` (0-10, CVSS-like bands) to rank alerts.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
_DEFAULT_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def origin(target: Mapping[str, Any]) -> str:
    """The https origin of the audited site, the only 'artifact' a website audit has."""
    host = target["ascii_host"]
    host = f"[{host}]" if ":" in host else host
    return f"https://{host}/" if target["port"] == 443 else f"https://{host}:{target['port']}/"


def fingerprint(report: Mapping[str, Any], rule_id: str) -> str:
    target = report["target"]
    material = f"{rule_id}\0{target['ascii_host']}\0{target['port']}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def render(report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False) -> str:
    """The SARIF log as JSON text (`verbose` has no effect: SARIF carries findings only)."""
    return json.dumps(sarif_log(report, catalog), ensure_ascii=False, indent=2) + "\n"


def sarif_log(report: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    verdicts = list(report["verdicts"])
    rule_ids = list(dict.fromkeys(v["rule_id"] for v in verdicts))
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    first = {rule_id: next(v for v in verdicts if v["rule_id"] == rule_id) for rule_id in rule_ids}
    policy = report.get("policy") or {}
    waivers = {d["rule_id"]: d["waiver"] for d in policy.get("decisions", []) if d["decision"] == "waived"}
    in_baseline = {d["rule_id"] for d in policy.get("decisions", []) if d["reason"] == "in_baseline"}
    has_baseline = policy.get("baseline") is not None
    results = []
    for verdict in verdicts:
        if verdict["status"] not in _LEVELS:
            continue
        result = _result(report, verdict, index[verdict["rule_id"]])
        waiver = waivers.get(verdict["rule_id"])
        if waiver is not None:
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": f"{waiver['reason']} (until {waiver['expires']})"}]
        if has_baseline:
            result["baselineState"] = "unchanged" if verdict["rule_id"] in in_baseline else "new"
        results.append(result)
    notifications = [
        {"level": "error", "message": {"text": v["message"]},
         "associatedRule": {"id": v["rule_id"], "index": index[v["rule_id"]]}}
        for v in verdicts if v["status"] == "error"
    ]
    target = report["target"]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "trustscan",
            "version": report["tool"]["version"],
            "semanticVersion": report["tool"]["version"],
            "rules": [_descriptor(first[rule_id], catalog) for rule_id in rule_ids],
            "properties": {"ruleset_digest": report["tool"]["ruleset_digest"]},
        }},
        # One category per audited site, so several sites' uploads to one repository do not
        # close each other's alerts (GitHub keys analyses on runAutomationDetails.id).
        "automationDetails": {"id": f"trustscan/{target['ascii_host']}:{target['port']}/"},
        "language": report["language"],
        "invocations": [{
            "executionSuccessful": not notifications,
            "startTimeUtc": report["started_at"],
            "endTimeUtc": report["finished_at"],
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
        "properties": {"target": dict(target), "overall": report["overall"],
                       "policy_outcome": policy.get("outcome")},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _descriptor(verdict: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    rule_id, criterion = verdict["rule_id"], verdict["criterion"]
    fix = catalog.text(f"{rule_id}.fix")
    references = list(verdict["references"])
    criterion_name = catalog.text(f"criterion.{criterion}.name")
    label = "đ" if criterion == "dd" else criterion
    legal = f"Decree 137/2024/ND-CP Art. 21(2)({label}): {criterion_name}"
    reference_text = "".join(f"\n- {ref}" for ref in references)
    return {
        "id": rule_id,
        "shortDescription": {"text": verdict["title"]},
        "fullDescription": {"text": f"{verdict['title']}. {legal}."},
        "help": {"text": f"{fix}\n\nReferences:{reference_text}" if references else fix,
                 "markdown": f"{fix}\n\n**References**{reference_text}" if references else fix},
        "defaultConfiguration": {"level": _DEFAULT_LEVEL[verdict["severity"]]},
        "properties": {
            "tags": ["security", "decree-137", f"criterion-{criterion}"],
            "security-severity": _SECURITY_SEVERITY[verdict["severity"]],
            "precision": "high",
            "criterion": criterion,
            "severity": verdict["severity"],
            "references": references,
        },
    }


def _result(report: Mapping[str, Any], verdict: Mapping[str, Any], rule_index: int) -> dict[str, Any]:
    target = report["target"]
    return {
        "ruleId": verdict["rule_id"],
        "ruleIndex": rule_index,
        "level": _LEVELS[verdict["status"]],
        "message": {"text": verdict["message"]},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": origin(target)}},
            "logicalLocations": [{"name": target["ascii_host"], "kind": "resource"}],
        }],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(report, verdict["rule_id"])},
        "properties": {
            "criterion": verdict["criterion"],
            "severity": verdict["severity"],
            "status": verdict["status"],
            # Bounded, control-free renderings: the site controls these values.
            "evidence": {key: format_value(value) for key, value in verdict["observed"].items()},
        },
    }
