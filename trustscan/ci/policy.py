"""The CI policy file: which findings fail a build, and which are knowingly waived until when.

A policy is data, judged against a *finished* report (sslyze's Mozilla-profile checker works the
same way); `trustscan.ci.gate` applies it. Without a policy file, `DEFAULT_POLICY` is the documented
default exit-code behaviour: every checked criterion must pass.

Example (YAML)::

    version: 1
    criteria: [c, e]          # or "all" (default): every criterion this version checks
    min_severity: medium      # non-passing rules below this severity never fail the build
    warnings: ignore          # ignore (default) | fail
    errors: incomplete        # a rule that could not be checked: incomplete (default, exit 3) | fail | ignore
    manual: ignore            # a criterion awaiting the owner's declaration: ignore (default) | fail | incomplete
    waivers:
      - rule: c.tls.tls13
        reason: TLS 1.3 comes with the load-balancer upgrade (OPS-142)
        expires: 2026-09-30   # last day the waiver applies; after it, the finding counts again
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustscan.core.errors import PolicyError, YamlInputError
from trustscan.core.models import CRITERIA, Severity
from trustscan.core.yamldata import excerpt
from trustscan.net.files import read_input_file

#: What a kind of finding counts as: a definite failure (exit 1), an incomplete audit (exit 3), or nothing.
FAIL, INCOMPLETE, IGNORE = "fail", "incomplete", "ignore"
_CHOICES = {"warnings": (IGNORE, FAIL), "errors": (INCOMPLETE, FAIL, IGNORE), "manual": (IGNORE, FAIL, INCOMPLETE)}
_KEYS = ("version", "criteria", "min_severity", "warnings", "errors", "manual", "waivers")
_WAIVER_KEYS = ("rule", "reason", "expires")
#: Policy files are small; refuse anything larger before parsing it.
MAX_POLICY_BYTES = 256 * 1024
SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)  # info < low < medium < high < critical
_CRITERION_ALIASES = {"đ": "dd", "Đ": "dd"}


@dataclass(frozen=True)
class Waiver:
    """A knowingly accepted finding of one rule, with its reason, until the end of `expires` (UTC)."""

    rule_id: str
    reason: str
    expires: dt.date

    def active_on(self, today: dt.date) -> bool:
        return today <= self.expires

    def to_json(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "reason": self.reason, "expires": self.expires.isoformat()}


@dataclass(frozen=True)
class Policy:
    """What fails the build. `criteria=None` means every criterion this version of trustscan checks."""

    criteria: tuple[str, ...] | None = None
    min_severity: Severity = Severity.INFO
    warnings: str = IGNORE
    errors: str = INCOMPLETE
    manual: str = IGNORE
    waivers: tuple[Waiver, ...] = ()
    source: str | None = None

    def settings_json(self) -> dict[str, Any]:
        return {
            "criteria": list(self.criteria) if self.criteria is not None else "all",
            "min_severity": self.min_severity.value,
            "warnings": self.warnings,
            "errors": self.errors,
            "manual": self.manual,
        }

    def at_least(self, severity: str) -> bool:
        """Whether a finding of this severity is severe enough to count."""
        return SEVERITY_ORDER.index(Severity(severity)) >= SEVERITY_ORDER.index(self.min_severity)


#: No policy file: every checked criterion must pass; an unchecked rule makes the audit incomplete.
DEFAULT_POLICY = Policy()


def load_policy(path: Path, known_rules: Collection[str] | None = None) -> Policy:
    """Read and validate a policy file; raises PolicyError with a one-line message."""
    raw = read_input_file(path, MAX_POLICY_BYTES, PolicyError, what=f"policy {path}",
                          too_large=f"{path}: policy file larger than {MAX_POLICY_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: policy file is not UTF-8 text") from None
    return parse_policy(text, str(path), known_rules)


def parse_policy(text: str, source: str, known_rules: Collection[str] | None = None) -> Policy:
    """Validate a policy document. `known_rules`, when given, catches misspelt waiver rule ids."""
    from trustscan.core.useryaml import load_user_yaml  # PyYAML only when there is a policy to read

    try:
        document = load_user_yaml(text)  # no anchors or aliases, shallow, real dates only
    except YamlInputError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise PolicyError(f"{source}: a policy is a YAML mapping (see `trustscan audit --help`)")
    unknown = [str(key) for key in document if key not in _KEYS]
    if unknown:
        raise PolicyError(f"{source}: unknown key {excerpt(unknown[0])}; allowed: {', '.join(_KEYS)}")
    if document.get("version", 1) != 1:
        raise PolicyError(f"{source}: version: only version 1 is supported, got {excerpt(document.get('version'))}")
    choices = {key: _choice(document, key, source) for key in _CHOICES}
    return Policy(
        criteria=_criteria(document.get("criteria", "all"), source),
        min_severity=_severity(document.get("min_severity", Severity.INFO.value), source),
        warnings=choices["warnings"],
        errors=choices["errors"],
        manual=choices["manual"],
        waivers=_waivers(document.get("waivers"), source, known_rules),
        source=source,
    )


def _choice(document: dict[str, Any], key: str, source: str) -> str:
    allowed = _CHOICES[key]
    value = document.get(key, allowed[0])
    if value not in allowed:
        raise PolicyError(f"{source}: {key}: must be one of {', '.join(allowed)}, got {excerpt(value)}")
    return str(value)


def _criteria(value: Any, source: str) -> tuple[str, ...] | None:
    if value == "all":
        return None
    if not isinstance(value, list) or not value:
        raise PolicyError(f"{source}: criteria: expected \"all\" or a non-empty list such as [c, e]")
    criteria: list[str] = []
    for item in value:
        criterion = _CRITERION_ALIASES.get(str(item), str(item))
        if criterion not in CRITERIA:
            raise PolicyError(f"{source}: criteria: unknown criterion {excerpt(item)}; use a, b, c, d, đ (or dd), e")
        if criterion not in criteria:
            criteria.append(criterion)
    return tuple(criteria)


def _severity(value: Any, source: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise PolicyError(f"{source}: min_severity: must be one of {names}, got {excerpt(value)}") from None


def _waivers(value: Any, source: str, known_rules: Collection[str] | None) -> tuple[Waiver, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PolicyError(f"{source}: waivers: expected a list of {{rule, reason, expires}}")
    waivers: list[Waiver] = []
    for number, item in enumerate(value, start=1):
        where = f"{source}: waivers[{number}]"
        if not isinstance(item, dict):
            raise PolicyError(f"{where}: expected a mapping with rule, reason and expires")
        unknown = [str(key) for key in item if key not in _WAIVER_KEYS]
        if unknown:
            raise PolicyError(f"{where}: unknown key {excerpt(unknown[0])}; allowed: {', '.join(_WAIVER_KEYS)}")
        missing = [key for key in _WAIVER_KEYS if item.get(key) in (None, "")]
        if missing:
            raise PolicyError(f"{where}: {missing[0]} is required (a waiver names its rule, reason and expiry date)")
        rule_id = str(item["rule"])
        if known_rules is not None and rule_id not in known_rules:
            raise PolicyError(f"{where}: unknown rule id {excerpt(rule_id)} (see `trustscan rules`)")
        if any(w.rule_id == rule_id for w in waivers):
            raise PolicyError(f"{where}: rule {excerpt(rule_id, quoted=False)} is waived twice")
        reason = " ".join(str(item["reason"]).split())
        waivers.append(Waiver(rule_id, reason, _date(item["expires"], where)))
    return tuple(waivers)


def _date(value: Any, where: str) -> dt.date:
    # YAML reads an unquoted 2026-09-30 as a date already; a quoted one arrives as a string.
    if isinstance(value, dt.datetime):
        raise PolicyError(f"{where}: expires: give a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where}: expires: expected a date YYYY-MM-DD, got {excerpt(value)}") from None
