"""Check what rules read against the facts the probes declare: a misspelt fact fails at load time.

The probes (trustscan.collect) declare their facts as dotted paths; judge does not import them, so
whoever knows both (`trustscan.audit.check_rules`, used by the audit and the CLI) hands the
declared paths in. Path grammar: trustscan.core.facts. A rule may read a declared path or a group
above declared paths (the whole mapping); anything else is an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator

from trustscan.core.errors import RuleError
from trustscan.core.facts import is_declared
from trustscan.judge.ruleset import Rule, Ruleset

__all__ = ["check_rule_facts", "rule_reads", "undeclared_reads"]


def rule_reads(rule: Rule) -> tuple[str, ...]:
    """Every fact path the rule reads: its check, its `when` and the facts it only observes."""
    paths = rule.check.reads + (rule.when.reads if rule.when else ()) + rule.observe
    return tuple(dict.fromkeys(paths))


def undeclared_reads(ruleset: Ruleset, declared: Collection[str]) -> Iterator[tuple[Rule, str]]:
    """(rule, path) for every fact a rule reads that no probe declares, in rule order."""
    for rule in ruleset.rules:
        for path in rule_reads(rule):
            if not is_declared(path, declared):
                yield rule, path


def check_rule_facts(ruleset: Ruleset, declared: Collection[str]) -> Ruleset:
    """The ruleset itself, or RuleError (one line) naming the first rule that reads an undeclared fact."""
    for rule, path in undeclared_reads(ruleset, declared):
        probe = path.split(".", 1)[0]
        known = [pattern for pattern in declared if pattern.split(".", 1)[0] == probe]
        if not known:
            raise RuleError(f"{rule.source}: rule {rule.id} reads {path}, but no probe is named {probe!r}")
        close = difflib.get_close_matches(path, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise RuleError(f"{rule.source}: rule {rule.id} reads {path}, which probe {probe} does not declare{hint}")
    return ruleset
