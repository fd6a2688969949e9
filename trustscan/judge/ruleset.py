"""Load the rules in `rules/*.yaml`: data, validated when loaded, never executed.

A rule is a short document: a stable id, its criterion and severity, a flat condition over
probe facts (or the name of a Python predicate for logic YAML cannot say simply), references,
and its own pass/fail/error cases. Its Vietnamese and English wording sits in the same YAML
(`messages:`), but is checked and served by the message catalogue (core/catalog.py) under ids
derived from the rule id (`<id>.title`, `.pass`, `.fail`, `.fix`); the Rule carries only those ids.

Core and advisory rules: a *core* rule states the criterion's requirement itself, so its violation is
a `fail` verdict and fails the criterion; any other rule is advice, its violation a `warn` verdict that
never fails the criterion. A rule file says `core: true` or `core: false`; the older spelling
`on_violation: warn` means `core: false`. A rule that says neither is core (the safe reading: an
unmarked rule can fail its criterion, never silently pass it); saying both, contradictorily, is refused.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from trustscan.core.catalog import rule_messages
from trustscan.core.errors import RuleError
from trustscan.core.models import CRITERIA, EvidenceClass, Severity, VerdictStatus
from trustscan.core.yamldata import load_rule_yaml, rule_files
from trustscan.judge import predicates

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "empty", "not_empty", "true", "false")
_NO_VALUE_OPERATORS = {"empty", "not_empty", "true", "false"}


@dataclass(frozen=True)
class Clause:
    """`fact <op> value`, where fact is a dotted path `probe.key.subkey`."""

    fact: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Condition:
    """Either all/any of a flat list of clauses, or a named predicate over `facts`."""

    clauses: tuple[Clause, ...] = ()
    mode: str = "all"
    predicate: str | None = None
    facts: tuple[str, ...] = ()

    @functools.cached_property  # asked for every rule of every audit; a frozen condition's never changes
    def reads(self) -> tuple[str, ...]:
        return self.facts + tuple(c.fact for c in self.clauses)


@dataclass(frozen=True)
class Rule:
    """One check of one criterion; see the module docstring."""

    id: str
    criterion: str
    severity: Severity
    check: Condition
    #: A core rule's violation fails the criterion; an advisory rule's only warns (module docstring).
    core: bool = True
    when: Condition | None = None
    observe: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    cases: dict[str, Any] = field(default_factory=dict, compare=False)
    source: str = ""
    #: What kind of evidence a verdict of this rule is (see EvidenceClass); default: the scan saw it.
    #: The rule file's key is `evidence`; the field is named for what it holds.
    evidence_class: EvidenceClass = EvidenceClass.VERIFIED
    #: "manual": when this rule's input was not supplied (its probe skipped), the criterion cannot be
    #: decided by a scan and rolls up as `manual` (criterion a without the owner's declaration).
    on_missing: str | None = None

    @property
    def on_violation(self) -> VerdictStatus:
        """The verdict of a violation: `fail` for a core rule, `warn` for advice."""
        return VerdictStatus.FAIL if self.core else VerdictStatus.WARN

    @functools.cached_property  # asked for every rule of every audit; a frozen rule's never changes
    def probes(self) -> tuple[str, ...]:
        """The probes whose attempts this rule depends on, in first-read order."""
        reads = self.check.reads + (self.when.reads if self.when else ())
        return tuple(dict.fromkeys(path.split(".", 1)[0] for path in reads))

    def message_id(self, kind: str) -> str:
        return f"{self.id}.{kind}"


@dataclass(frozen=True)
class Ruleset:
    rules: tuple[Rule, ...]
    digest: str

    def for_criterion(self, criterion: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.criterion == criterion)

    def restricted_to(self, criteria: Iterable[str]) -> Ruleset:
        """Only the rules of `criteria`; the others' criteria then roll up to not_checked."""
        wanted = set(criteria)
        return Ruleset(tuple(rule for rule in self.rules if rule.criterion in wanted), self.digest)

    def get(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    @functools.cached_property
    def _by_id(self) -> dict[str, Rule]:
        # A report looks up every verdict's rule: a scan of the rules each time was quadratic per report.
        return {rule.id: rule for rule in self.rules}


@functools.cache
def load_ruleset() -> Ruleset:
    """Every rule shipped in the `rules` data package, ids checked unique (cached: immutable data)."""
    digest = hashlib.sha256()
    rules: list[Rule] = []
    for file in rule_files():
        digest.update(file.name.encode() + b"\0" + file.text.encode())
        rules.extend(rules_in(file.data, file.name))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"duplicate rule id {rule.id}")
        seen.add(rule.id)
    return Ruleset(tuple(rules), "sha256:" + digest.hexdigest())


def parse_rules(text: str, source: str) -> list[Rule]:
    return rules_in(load_rule_yaml(text, source), source)


def rules_in(document: Any, source: str) -> list[Rule]:
    """The rules of one parsed rule file, each validated."""
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise RuleError(f"{source}: expected a mapping with a 'rules' list")
    return [_parse_rule(raw, source) for raw in document["rules"]]


def _parse_rule(raw: Any, source: str) -> Rule:
    if not isinstance(raw, dict) or "id" not in raw:
        raise RuleError(f"{source}: every rule needs an id")
    where = f"{source}: rule {raw['id']}"
    allowed = {"id", "criterion", "severity", "check", "when", "on_violation", "observe", "references", "messages",
               "cases", "evidence", "on_missing", "core"}
    unknown = set(raw) - allowed
    if unknown:
        raise RuleError(f"{where}: unknown keys {sorted(unknown)}")
    if raw.get("criterion") not in CRITERIA:
        raise RuleError(f"{where}: criterion must be one of {CRITERIA}")
    core = _core(raw, where)
    try:
        severity = Severity(raw["severity"])
    except (KeyError, ValueError):  # missing, or not a severity name
        raise RuleError(f"{where}: severity must be one of {[s.value for s in Severity]}") from None
    try:
        evidence_class = EvidenceClass(raw.get("evidence", "verified"))
    except ValueError:
        raise RuleError(f"{where}: evidence must be one of {[e.value for e in EvidenceClass]}") from None
    if raw.get("on_missing") not in (None, "manual"):
        raise RuleError(f"{where}: on_missing can only be manual")
    if "messages" in raw:
        rule_messages(raw, where)  # complete in every language, or refused here; core/catalog.py serves it
    cases = raw.get("cases") or {}
    if not {"pass", "fail", "error"} <= set(cases):
        raise RuleError(f"{where}: cases must include pass, fail and error")
    return Rule(
        id=str(raw["id"]),
        criterion=raw["criterion"],
        severity=severity,
        check=_parse_condition(raw.get("check"), where),
        when=_parse_condition(raw["when"], where) if "when" in raw else None,
        core=core,
        observe=tuple(raw.get("observe") or ()),
        references=tuple(raw.get("references") or ()),
        cases=cases,
        source=source,
        evidence_class=evidence_class,
        on_missing=raw.get("on_missing"),
    )


def _core(raw: dict[str, Any], where: str) -> bool:
    """Whether the rule is core: `core:`, else `on_violation:` (warn = advisory), else core."""
    on_violation = raw.get("on_violation")
    if on_violation not in (None, "fail", "warn"):
        raise RuleError(f"{where}: on_violation must be fail or warn")
    core = raw.get("core")
    if core is None:
        return on_violation != "warn"
    if not isinstance(core, bool):
        raise RuleError(f"{where}: core must be true or false")
    if on_violation is not None and core != (on_violation == "fail"):
        raise RuleError(f"{where}: core: {str(core).lower()} contradicts on_violation: {on_violation}")
    return core


def _parse_condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: a condition is a mapping")
    if "predicate" in raw:
        name = raw["predicate"]
        if name not in predicates.__all__:
            raise RuleError(f"{where}: unknown predicate {name!r}")
        return Condition(predicate=name, facts=tuple(raw.get("facts") or ()))
    for mode in ("all", "any"):
        if mode in raw:
            if not isinstance(raw[mode], list) or not raw[mode]:
                raise RuleError(f"{where}: '{mode}' takes a non-empty list of clauses")
            return Condition(clauses=tuple(_parse_clause(c, where) for c in raw[mode]), mode=mode)
    return Condition(clauses=(_parse_clause(raw, where),))


def _parse_clause(raw: Any, where: str) -> Clause:
    if not isinstance(raw, dict) or "fact" not in raw or raw.get("op") not in OPERATORS:
        raise RuleError(f"{where}: a clause is {{fact, op, value}} with op in {OPERATORS}")
    if raw["op"] not in _NO_VALUE_OPERATORS and "value" not in raw:
        raise RuleError(f"{where}: op {raw['op']} needs a value")
    if "." not in raw["fact"]:
        raise RuleError(f"{where}: fact {raw['fact']!r} must be probe.key")
    return Clause(fact=raw["fact"], op=raw["op"], value=raw.get("value"))
