"""Message catalogues: every sentence trustscan shows, in Vietnamese and English.

Findings carry message ids plus observed values; they become prose only here, at render time
(the Internet.nl way), so one report can be rendered in either language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from trustscan.core.yamldata import load_yaml

LANGUAGES = ("vi", "en")
_PLACEHOLDER = re.compile(r"\{([a-z0-9_.]+)\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
MAX_LIST_ITEMS = 8
MAX_VALUE_CHARS = 300


@dataclass(frozen=True)
class Catalog:
    """The messages of one language."""

    language: str
    messages: Mapping[str, str]

    def text(self, message_id: str, values: Mapping[str, Any] | None = None) -> str:
        """The message with placeholders filled; an unknown id renders as itself."""
        template = self.messages.get(message_id, message_id)
        values = values or {}
        return _PLACEHOLDER.sub(lambda m: format_value(values.get(m.group(1))), template)


@cache
def load_catalog(language: str) -> Catalog:
    """Merge `rules/messages/<language>/*.yaml` (cached: catalogues are immutable data).

    One file per topic keeps wording next to the feature it belongs to; a key defined in two
    files is a mistake and refused.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {', '.join(LANGUAGES)}")
    folder = resources.files("trustscan.rules").joinpath("messages", language)
    messages: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        for key, value in (load_yaml(entry.read_text(encoding="utf-8")) or {}).items():
            if str(key) in messages:
                raise ValueError(f"message {key} is defined twice ({language}/{entry.name})")
            messages[str(key)] = str(value)
    return Catalog(language, messages)


def format_value(value: Any) -> str:
    """A short, single-line, control-character-free rendering of an observed value.

    Values can come from the scanned site, so terminal escapes and bidi overrides are removed
    and length is bounded; HTML escaping is the HTML renderer's job.
    """
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        items = [format_value(item) for item in value[:MAX_LIST_ITEMS]]
        if len(value) > MAX_LIST_ITEMS:
            items.append(f"+{len(value) - MAX_LIST_ITEMS}")
        text = ", ".join(items) if items else "—"
    elif isinstance(value, dict):
        text = _format_mapping(value)
    else:
        text = str(value)
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _format_mapping(value: Mapping[str, Any]) -> str:
    if "suite" in value:  # a cipher suite finding
        reasons = value.get("reasons")
        suffix = f" ({', '.join(map(str, reasons))})" if reasons else ""
        return f"{value.get('protocol', '')} {value['suite']}{suffix}".strip()
    if "page" in value and ("reason" in value or "personal_fields" in value):  # a crawl finding (b, đ)
        what = value.get("reason") or ", ".join(map(str, value.get("personal_fields") or []))
        return f"{value.get('element') or value.get('form') or ''} [{what}] @ {value['page']}"
    if "host" in value and isinstance(value.get("matches"), list):  # an outbound host found on a list
        lists = ", ".join(str(m.get("snapshot")) for m in value["matches"] if isinstance(m, Mapping))
        return f"{value['host']} ({lists})"
    if "url" in value:  # a fetch attempt or redirect hop
        return f"{value['url']} → {value.get('status') or value.get('error') or '—'}"
    return "; ".join(f"{k}={format_value(v)}" for k, v in value.items())
