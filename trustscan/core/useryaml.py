"""The one loader of YAML a user wrote (the CI policy, the owner's declaration).

A safe loader that refuses anchors and aliases (a 409-byte "billion laughs" document expands to
gigabytes once anything walks it), nesting deeper than a small bound, and impossible dates
(`2026-02-30`), each as one short line naming the line and column; no message carries more than
`excerpt` of a value. Its own module so that commands reading no user YAML do not import PyYAML.
"""

from __future__ import annotations

from typing import Any

import yaml

from trustscan.core.errors import YamlInputError
from trustscan.core.yamldata import MAX_EXCERPT, excerpt

__all__ = ["MAX_USER_YAML_DEPTH", "load_user_yaml"]

#: How deep a user's YAML may nest: a policy or a declaration needs 3 levels; room to spare, no more.
MAX_USER_YAML_DEPTH = 8


class _UserLoader(yaml.SafeLoader):
    """SafeLoader without anchors or aliases, bounded in depth, with a date check (see the module doc)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.MarkedYAMLError(problem="anchors (&name) and aliases (*name) are not allowed",
                                       problem_mark=event.start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_USER_YAML_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nested deeper than {MAX_USER_YAML_DEPTH} levels",
                                           problem_mark=event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:  # 2026-02-30, 2026-13-01: the pattern matched, the calendar did not
            raise yaml.MarkedYAMLError(problem=f"{excerpt(node.value)} is not a real date ({exc})",
                                       problem_mark=node.start_mark) from None


_UserLoader.add_constructor("tag:yaml.org,2002:timestamp", _UserLoader.construct_yaml_timestamp)


def load_user_yaml(text: str) -> Any:
    """Plain data from the YAML a user wrote; YamlInputError (one short line) for anything refused."""
    try:
        return yaml.load(text, Loader=_UserLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        problem = " ".join(str(exc.problem or exc.context or "malformed").split())
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise YamlInputError(f"{_cut(problem)}{where}") from None
    except (yaml.YAMLError, ValueError, TypeError, LookupError, ArithmeticError) as exc:  # `!!int 0xZZ`, `!!int`
        detail = " ".join(str(exc).split())
        raise YamlInputError(_cut(f"malformed value ({detail})" if detail else "malformed value")) from None


def _cut(text: str, limit: int = 2 * MAX_EXCERPT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


