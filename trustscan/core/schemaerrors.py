"""One short line for a JSON Schema violation: where (a path) and what (a few words), never the value.

jsonschema's own messages repeat the offending value (`[... 64 MiB ...] is not of type 'object'`);
the report loader (trustscan.report.schema) and the declaration (trustscan.owner.declaration) word a
violation here instead, naming the value by its type or by an excerpt of at most 40 characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["describe_violation", "json_path"]


def describe_violation(error: Any) -> str:
    """`path: reason` for a jsonschema ValidationError, e.g. `criteria/a: expected object, got array`."""
    return f"{json_path(error.absolute_path)}: {_reason(error)}"


def json_path(path: Iterable[Any]) -> str:
    """`verdicts/0/status`, cut from the front past 120 characters; `(top level)` for the document itself."""
    text = "/".join(str(part) for part in path) or "(top level)"
    return text if len(text) <= 120 else "…" + text[-119:]


def _reason(error: Any) -> str:
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {wanted}, got {_json_type(instance)}"
    if kind == "required" and isinstance(instance, Mapping):
        missing = next((key for key in expected if key not in instance), "?")
        return f"missing required property {_short(missing)}"
    if kind == "additionalProperties" and isinstance(instance, Mapping):
        allowed = error.schema.get("properties", {})
        extra = next((key for key in instance if key not in allowed), "?")
        return f"unexpected property {_short(extra)}"
    if kind in ("enum", "const"):
        choices = expected if kind == "enum" else [expected]
        return f"{_short(instance)} is not one of {', '.join(_short(choice, 20) for choice in choices)}"
    return _short(" ".join(error.message.split()), 120)


def _short(value: Any, limit: int = 40) -> str:
    text = f"<{_json_type(value)}>" if isinstance(value, Mapping | list) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
