"""One report, worded in the language asked for: every format renders what `localise` returns.

A report stores message ids and observed values beside the sentences of the scan's language;
`trustscan report`, `portfolio` and every format re-word titles, messages, fixes, severities,
references, criterion names and summaries from those ids, so `--lang vi` prints no English whatever
language the scan used. Errors too: a verdict's or a probe's `error` is worded again from its
`error_wording`, and an observed fact from the `<fact>_wording` beside it (a certificate's validation
error). An id the catalogue does not know (a report from a newer trustscan), or a report from before
errors had a wording, keeps the report's own words rather than printing the id.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from trustscan.core.catalog import Catalog, format_value
from trustscan.core.models import CRITERIA
from trustscan.core.validation_error import readable_validation_error, revised_wording
from trustscan.core.wording import KNOWN_ERRORS, criterion_summary, references
from trustscan.core.wordings import WORDING_SUFFIX

_VALIDATION_ERROR = "tls.certificate.validation_error"

__all__ = ["localise", "localise_verdict", "requested"]


def requested(report: Mapping[str, Any], criterion: str) -> bool:
    """False when the audit was limited with `--only` and *criterion* was left out."""
    only = report.get("only")
    return not isinstance(only, list) or criterion in only


def localise(report: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """A copy of *report* whose sentences are in *catalog*'s language (the report itself is untouched)."""
    out = copy.deepcopy(dict(report))
    out["language"] = catalog.language
    criteria = out.get("criteria")
    if isinstance(criteria, dict):
        for key, data in criteria.items():
            if isinstance(data, dict):
                _criterion(key, data, report, catalog)
    verdicts = out.get("verdicts")
    if isinstance(verdicts, list):
        for verdict in verdicts:
            if isinstance(verdict, dict):
                _verdict(verdict, catalog)
    evidence = out.get("evidence")
    if isinstance(evidence, dict):
        for attempt in evidence.values():
            if isinstance(attempt, dict):
                attempt["error"] = _error(attempt, catalog)
    return out


def _error(record: Mapping[str, Any], catalog: Catalog) -> Any:
    """A verdict's or an attempt's `error` in *catalog*'s language, from its `error_wording` when it has one."""
    error = record.get("error")
    if isinstance(error, str) and record.get("error_wording") is not None:
        said = catalog.reword(error, record["error_wording"])
        if said != error:
            return said
    if isinstance(error, str) and error in KNOWN_ERRORS:  # a report made before errors had a wording
        return catalog.text(KNOWN_ERRORS[error])
    return error


def _criterion(key: str, data: dict[str, Any], report: Mapping[str, Any], catalog: Catalog) -> None:
    if key in CRITERIA:
        data["name"] = catalog.text(f"criterion.{key}.name")
    counts = data.get("counts")
    status = str(data.get("status", "not_checked"))
    data["summary"] = criterion_summary(status, counts if isinstance(counts, Mapping) else None, catalog,
                                        requested=requested(report, key))


def _known(catalog: Catalog, message_id: str) -> bool:
    return message_id in catalog.messages


def localise_verdict(verdict: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """One verdict (of a report, or of a portfolio's site) re-worded in *catalog*'s language; a copy."""
    out = copy.deepcopy(dict(verdict))
    _verdict(out, catalog)
    return out


def _verdict(verdict: dict[str, Any], catalog: Catalog) -> None:
    rule_id = str(verdict.get("rule_id"))
    raw = verdict.get("observed")
    observed: dict[str, Any] = dict(raw) if isinstance(raw, Mapping) else {}
    if isinstance(observed.get(_VALIDATION_ERROR), str):  # a report made before errors were sentences
        observed[_VALIDATION_ERROR] = readable_validation_error(observed[_VALIDATION_ERROR])
        verdict["observed"] = observed
    if _VALIDATION_ERROR + WORDING_SUFFIX in observed:  # the verifier's words an older trustscan quoted, said now
        observed[_VALIDATION_ERROR + WORDING_SUFFIX] = revised_wording(observed[_VALIDATION_ERROR + WORDING_SUFFIX])
        verdict["observed"] = observed
    for key in [key for key in observed if key.endswith(WORDING_SUFFIX)]:  # a fact worded again from its wording
        fact = key[: -len(WORDING_SUFFIX)]
        if fact in observed:
            observed[fact] = catalog.reword(observed[fact], observed[key])
            verdict["observed"] = observed
    error = _error(verdict, catalog)
    if "error" in verdict:
        verdict["error"] = error
    message_id = str(verdict.get("message_id"))
    if _known(catalog, message_id):
        verdict["message"] = catalog.text(message_id, {**observed, "error": error})
    else:
        verdict["message"] = format_value(verdict.get("message"))
    if _known(catalog, f"{rule_id}.title"):
        verdict["title"] = catalog.text(f"{rule_id}.title")
    if verdict.get("status") in ("fail", "warn"):
        if _known(catalog, f"{rule_id}.fix"):
            verdict["fix"] = catalog.text(f"{rule_id}.fix")
    else:
        verdict["fix"] = None
    cited = verdict.get("references")
    if cited is not None:
        verdict["references"] = references(cited if isinstance(cited, list) else [], catalog)
