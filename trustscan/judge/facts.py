"""Check what rules read against the facts the probes declare: a misspelt fact fails at load time.

The probes (trustscan.collect) declare their facts as dotted paths; judge does not import them, so
whoever knows both (`trustscan.collect.registry.check_rules`, used by the audit and the CLI) hands
the declared paths in. Path grammar (see trustscan.collect.base): `probe.key.subkey`, where a
segment `*` matches any one key (keys that are data, such as a protocol name). A rule may read a
declared path or a group above declared paths (the whole mapping); anything else is an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator

from trustscan.core.errors import RuleError
from trustscan.judge.ruleset import Rule, Ruleset

__all__ = ["check_rule_facts", "is_declared", "is_group", "rule_reads", "undeclared_reads"]


def _matches(pattern: tuple[str, ...], keys: tuple[str, ...]) -> bool:
    return len(pattern) == len(keys) and all(p in ("*", key) for p, key in zip(pattern, keys, strict=True))


def _patterns(declared: Collection[str]) -> Iterator[tuple[str, ...]]:
    return (tuple(pattern.split(".")) for pattern in declared)


def is_declared(path: str | tuple[str, ...], declared: Collection[str]) -> bool:
    """True when `path` is a declared fact, or a group of declared facts (a prefix of one).

    `path` is dotted, or a tuple of keys (a produced key may itself contain a dot).
    """
    keys = tuple(path.split(".")) if isinstance(path, str) else path
    return any(_matches(pattern[: len(keys)], keys) for pattern in _patterns(declared))


def is_group(path: str | tuple[str, ...], declared: Collection[str]) -> bool:
    """True when declared facts sit below `path`: every key produced inside it must be declared."""
    keys = tuple(path.split(".")) if isinstance(path, str) else path
    return any(len(pattern) > len(keys) and _matches(pattern[: len(keys)], keys) for pattern in _patterns(declared))


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
