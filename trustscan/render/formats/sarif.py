"""SARIF 2.1.0 (OASIS) for code-scanning dashboards: one result per failed or warned rule.

Rules carry their title, fix (help) and references; rules that could not be checked become tool
execution notifications, not results, because SARIF results are findings and an `error` verdict
found nothing. Fingerprints hash only the rule and the target, never observed values, so a finding
keeps its identity from one run to the next (SARIF 2.1.0 §3.27.17).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from trustscan import __url__
from trustscan.core.catalog import Catalog
from trustscan.core.wording import evidence_label
from trustscan.core.wordings import WORDING_SUFFIX

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "trustscanFinding/v1"
_LEVELS = {"fail": "error", "warn": "warning"}
# GitHub code scanning reads `security-severity` (0-10, CVSS-like bands) to rank alerts.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
_DEFAULT_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
#: The README section that documents each criterion's rules (helpUri); tests check the headings exist.
README_SECTIONS = {
    "a": "Criterion a and the owner's declaration",
    "b": "Criteria b and đ: the crawl",
    "c": "Criterion c: fast and deep TLS checks",
    "d": "Criterion d: \"do not visit\" list snapshots",
    "dd": "Criteria b and đ: the crawl",
    "e": "Criterion e: security.txt (RFC 9116)",
}
_LINE = re.compile(r"^line (\d+): ")


def anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown renderers) give a heading: lower case, punctuation dropped."""
    slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
    return quote(slug, safe="-_")


def help_uri(criterion: str) -> str:
    return f"{__url__}#{anchor(README_SECTIONS.get(criterion, 'The report'))}"


def rule_name(rule_id: str) -> str:
    """SARIF's reportingDescriptor.name: an identifier people can read (`c.cert.trusted` -> CCertTrusted)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._]", rule_id) if part)


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
        result = _result(report, verdict, index[verdict["rule_id"]], catalog)
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
            "informationUri": __url__,
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
    legal = catalog.text("sarif.legal", {"label": label, "name": criterion_name})
    reference_text = "".join(f"\n- {ref}" for ref in references)
    heading = catalog.text("html.references")
    return {
        "id": rule_id,
        "name": rule_name(rule_id),
        "helpUri": help_uri(criterion),
        "shortDescription": {"text": verdict["title"]},
        "fullDescription": {"text": f"{verdict['title']}. {legal}."},
        "help": {"text": f"{fix}\n\n{heading}:{reference_text}" if references else fix,
                 "markdown": f"{fix}\n\n**{heading}**{reference_text}" if references else fix},
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


def _physical_location(report: Mapping[str, Any], verdict: Mapping[str, Any]) -> dict[str, Any]:
    """The site, or the file the finding is in with a `region` when the rule names a line (security.txt)."""
    location: dict[str, Any] = {"artifactLocation": {"uri": origin(report["target"])}}
    raw = verdict.get("observed")
    observed: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    items = [item for value in observed.values() for item in (value if isinstance(value, list) else [value])]
    lines = sorted(int(m.group(1)) for item in items if isinstance(item, str) and (m := _LINE.match(item)))
    if not lines:
        return location
    probes = {str(path).split(".", 1)[0] for path in observed}
    raw_evidence = report.get("evidence")
    evidence: Mapping[str, Any] = raw_evidence if isinstance(raw_evidence, Mapping) else {}
    for probe in sorted(probes):
        data = (evidence.get(probe) or {}).get("data") if isinstance(evidence.get(probe), Mapping) else None
        url = data.get("url") if isinstance(data, Mapping) else None
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            location["artifactLocation"] = {"uri": url}
            break
    location["region"] = {"startLine": lines[0]}
    return location


def _result(report: Mapping[str, Any], verdict: Mapping[str, Any], rule_index: int,
            catalog: Catalog) -> dict[str, Any]:
    target = report["target"]
    return {
        "ruleId": verdict["rule_id"],
        "ruleIndex": rule_index,
        "level": _LEVELS[verdict["status"]],
        "message": {"text": verdict["message"]},
        "locations": [{
            "physicalLocation": _physical_location(report, verdict),
            "logicalLocations": [{"name": target["ascii_host"], "kind": "resource"}],
        }],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(report, verdict["rule_id"])},
        "properties": {
            "criterion": verdict["criterion"],
            "severity": verdict["severity"],
            "status": verdict["status"],
            # Bounded, control-free renderings: the site controls these values.
            "evidence": {key: catalog.value(value) for key, value in verdict["observed"].items()
                         if not key.endswith(WORDING_SUFFIX)},
            "evidence_labels": {key: evidence_label(key, catalog) for key in verdict["observed"]
                                if not key.endswith(WORDING_SUFFIX)},
        },
    }
