"""Which <script> elements a browser runs, by their type attribute (HTML §4.12.1.1).

A script runs when its type is absent or empty, "module", or a JavaScript MIME type (compared by
essence, parameters and case ignored). Consent managers hold scripts back with another type
(`type="text/plain"`) and swap it in after consent; templates use `text/html` or `text/template`.
"""

from __future__ import annotations

_JAVASCRIPT_TYPES = frozenset({
    "", "module", "application/ecmascript", "application/javascript", "application/x-ecmascript",
    "application/x-javascript", "text/ecmascript", "text/javascript", "text/javascript1.0", "text/javascript1.1",
    "text/javascript1.2", "text/javascript1.3", "text/javascript1.4", "text/javascript1.5", "text/jscript",
    "text/livescript", "text/x-ecmascript", "text/x-javascript",
})


def script_type_runs(type_attribute: str | None) -> bool:
    """Whether a <script> with this type attribute is run (and, with src=, fetched) by a browser."""
    essence = (type_attribute or "").split(";", 1)[0].strip().lower()
    return essence in _JAVASCRIPT_TYPES
