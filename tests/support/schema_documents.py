"""Hypothesis strategies for documents valid by a JSON Schema (the subset reports/schema/*.json use).

`documents(schema)` draws from the schema's own shape: objects with their required properties and
some optional ones, enums and consts, patterned strings, dates, bounded numbers, arrays, `oneOf`,
`$ref` and the `if/then/else` of the report's attempts. Free-form objects (`observed`, an attempt's
`data`) get arbitrary JSON, hostile strings included. Sizes stay small so a property runs in seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

#: Strings a renderer must show as text: markup, control characters, bidi overrides, long and empty ones.
HOSTILE_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "<script>alert(1)</script>", "\"'><img src=x onerror=alert(2)>", "\x1b[31mred\x1b[0m",
                     "\u202egnp.exe", "a\nb\r\nc", "{tls.protocols}", "%s %d", "x" * 300, "Đắk Lắk — bộ-công-an.vn"]),
)
_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False,
                                                                                 allow_infinity=False) | HOSTILE_TEXT
ANY_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(HOSTILE_TEXT, inner, max_size=3), max_leaves=8)

_DATES = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


def documents(schema: dict[str, Any], root: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Values valid by *schema* (a sub-schema of *root*, which holds the `$defs`)."""
    root = root if root is not None else schema
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return st.deferred(lambda: documents(root["$defs"][name], root))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema:
        return st.one_of([documents(option, root) for option in schema["oneOf"]])
    if "if" in schema:
        return _conditional(schema, root)
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return st.one_of([documents({**schema, "type": kind}, root) for kind in kinds])
    return _typed(kinds, schema, root)


def _typed(kind: str | None, schema: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    if kind == "object":
        if "properties" not in schema and "additionalProperties" not in schema:
            return st.dictionaries(HOSTILE_TEXT, ANY_JSON, max_size=3)
        return _object(schema, root)
    if kind == "array":
        return st.lists(documents(schema.get("items", {}), root), max_size=3)
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**31)), schema.get("maximum", 2**31))
    if kind == "number":
        return st.floats(min_value=schema.get("minimum", -1e9), max_value=schema.get("maximum", 1e9),
                         allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return ANY_JSON  # no type: anything


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") == "date-time":
        return _DATES.map(lambda moment: moment.isoformat().replace("+00:00", "Z"))
    if schema.get("format") == "date":
        return _DATES.map(lambda moment: moment.date().isoformat())
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda text: len(text) < 200)
    return HOSTILE_TEXT.filter(lambda text: len(text) >= schema.get("minLength", 0)) if schema.get("minLength") \
        else HOSTILE_TEXT


def _object(schema: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = {name: documents(properties[name], root) for name in schema.get("required", [])}
    optional = {name: documents(sub, root) for name, sub in properties.items() if name not in required}
    fixed = st.fixed_dictionaries(required, optional=optional)
    extra = schema.get("additionalProperties", True)
    if not isinstance(extra, dict):
        return fixed
    keys = HOSTILE_TEXT.filter(lambda key: key not in properties)
    return st.tuples(fixed, st.dictionaries(keys, documents(extra, root), max_size=3)).map(
        lambda pair: {**pair[1], **pair[0]})


def _conditional(schema: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The report's attempt: `if status is completed then data is an object else error is a string`."""
    base = {key: value for key, value in schema.items() if key not in ("if", "then", "else")}
    (field, condition), = schema["if"]["properties"].items()
    then_base = _merged(base, schema["then"])
    else_base = _merged(base, schema["else"])
    then_base["properties"][field] = condition
    else_base["properties"][field] = {"enum": [v for v in base["properties"][field]["enum"]
                                               if v != condition.get("const")]}
    return st.one_of(documents(then_base, root), documents(else_base, root))


def _merged(base: dict[str, Any], branch: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, "properties": dict(base["properties"])}
    for name, sub in branch.get("properties", {}).items():
        merged["properties"][name] = sub
    return merged
