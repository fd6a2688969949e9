"""A sentence kept as a message id and its values, to be worded in whichever language is asked for.

A probe that could not run says why as a `Wording` (`error.tls.handshake_failed` with the host,
the address and the cause), not as English prose: the report stores it beside the scan's own
sentence, and every output words it again from the catalogue (`Catalog.say`) in its language.
A value may itself be a Wording (the cause inside "TLS handshake with {host} failed: {cause}").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_DEPTH", "WORDING_SUFFIX", "Wording", "worded"]

#: A fact or a record field `X` whose text has a Wording keeps it beside it as `X_wording` (JSON):
#: `error` and `error_wording` in a page the crawl could not read, a certificate's `validation_error`
#: and `validation_error_wording`. Outputs word `X` again from it; rules read `X` as before.
WORDING_SUFFIX = "_wording"

#: Deepest nesting kept from a report file (a cause of a cause of ...): a hostile file cannot recurse forever.
MAX_DEPTH = 6


@dataclass(frozen=True, eq=True)
class Wording:
    """Message id plus values (strings, numbers, nested Wordings, or lists of those, said as "a, b")."""

    id: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "values": {key: _to_json(value) for key, value in self.values.items()}}

    @classmethod
    def from_json(cls, data: Any, _depth: int = 0) -> Wording | None:
        """The Wording a report stored, or None when *data* is not one (an old or a damaged report)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str) or _depth > MAX_DEPTH:
            return None
        raw = data.get("values")
        values: dict[str, Any] = {}
        for key, value in (raw.items() if isinstance(raw, Mapping) else ()):
            items = value if isinstance(value, list) else [value]
            parsed = [cls.from_json(item, _depth + 1) if isinstance(item, Mapping) else item for item in items]
            if any(item is None and raw_item is not None or isinstance(item, list | Mapping | bool)
                   for item, raw_item in zip(parsed, items, strict=True)):
                return None  # not text, a number or a wording: not a wording trustscan wrote
            values[str(key)] = parsed if isinstance(value, list) else parsed[0]
        return cls(data["id"], values)

    def ids(self) -> set[str]:
        """Its message id and those of every nested Wording."""
        found = {self.id}
        for value in self.values.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, Wording):
                    found |= item.ids()
        return found

    def english(self) -> str:
        """The English sentence (logs, `str()` of an error, the report's `error` field)."""
        from trustscan.core.catalog import load_catalog  # the catalogue imports the errors, which use this

        return load_catalog("en").say(self)

    def __str__(self) -> str:
        return self.english()


def worded(name: str, wording: Wording | None) -> dict[str, Any]:
    """`{name: English sentence, name_wording: JSON}` (both None without a wording): a fact and its Wording."""
    return {name: None if wording is None else wording.english(),
            name + WORDING_SUFFIX: None if wording is None else wording.to_json()}


def _to_json(value: Any) -> Any:
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    return value.to_json() if isinstance(value, Wording) else value
