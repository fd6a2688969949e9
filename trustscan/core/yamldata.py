"""Parse trustscan's own YAML data (rules, catalogues, word lists) with libyaml when present.

PyYAML's pure-Python safe loader took ~0.2 s of every command's start for the rule files alone;
the C loader builds the same plain data (it is equally safe: no object construction).
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Plain data from YAML text; raises yaml.YAMLError like yaml.safe_load."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
