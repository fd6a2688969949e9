"""Parse trustscan's own YAML data (rules, catalogues, word lists) with libyaml when present.

PyYAML's pure-Python safe loader took ~0.2 s of every command's start for the rule files alone;
the C loader builds the same plain data (it is equally safe: no object construction).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, NamedTuple

import yaml

from trustscan.core.errors import RuleError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Plain data from YAML text; raises yaml.YAMLError like yaml.safe_load."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python


class RuleFile(NamedTuple):
    """One shipped `rules/*.yaml`: its name, its text (the ruleset digest covers it) and its data."""

    name: str
    text: str
    data: Any


def load_rule_yaml(text: str, source: str) -> Any:
    """Plain data from a rule file's text; invalid YAML is a RuleError naming the file."""
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"{source}: not valid YAML: {str(exc).splitlines()[0]}") from None


@functools.cache
def rule_files() -> tuple[RuleFile, ...]:
    """Every `rules/*.yaml` of the installed `trustscan.rules` package, by name, parsed once.

    A rule file holds the rule and its Vietnamese and English wording side by side, so both the
    ruleset (judge/ruleset.py) and the message catalogue (core/catalog.py) read it; the cache
    makes a command that needs both parse it once (cached: the shipped files are immutable data).
    """
    entries = sorted(
        (entry for entry in resources.files("trustscan.rules").iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    files = []
    for entry in entries:
        text = entry.read_text(encoding="utf-8")
        files.append(RuleFile(entry.name, text, load_rule_yaml(text, entry.name)))
    return tuple(files)
