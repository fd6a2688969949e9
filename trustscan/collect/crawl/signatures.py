"""Indicators in scripts, read from data: malware (criterion đ, `rules/data/script-signatures.yaml`)
and known third-party trackers (criterion b, `rules/data/trackers.yaml`).

The signatures are data with stable ids, so a new miner, loader or tracker is one YAML entry, not code.
`match_script` is pure and bounded: patterns are searched once each in at most the text given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from trustscan.collect.crawl.lexicon import trackers
from trustscan.core.catalog import data_texts
from trustscan.core.yamldata import shipped_yaml

KINDS = ("cryptominer", "obfuscation", "redirect")  # plus "tracker", from trackers.yaml
# Characters of one inline script searched for signatures (and read for the HTML it writes, scriptplacement.py).
MAX_SCRIPT_SCAN = 256 * 1024
_EXCERPT = 80


@dataclass(frozen=True)
class Signature:
    """One indicator: an id, its kind, what it means (in English; message `signature.<id>` in any language),
    URL substrings and/or an inline regex."""

    id: str
    kind: str
    about: str
    src: tuple[str, ...]
    pattern: re.Pattern[str] | None


@cache
def load_signatures() -> tuple[Signature, ...]:
    """The shipped signatures (cached: immutable data); raises ValueError on a malformed file."""
    signatures = []
    for raw in shipped_yaml("data", "script-signatures.yaml")["signatures"]:
        if raw.get("kind") not in KINDS:
            raise ValueError(f"script signature {raw.get('id')!r}: kind must be one of {KINDS}")
        pattern = re.compile(raw["pattern"]) if raw.get("pattern") else None
        about = data_texts(raw, "about", "data/script-signatures.yaml")["en"]  # said in any language by its id
        signatures.append(Signature(str(raw["id"]), raw["kind"], about,
                                    tuple(s.lower() for s in raw.get("src") or ()), pattern))
    return tuple(signatures)


def match_script(text: str, src: str) -> list[dict[str, Any]]:
    """Signals found in an inline script's text or an external script's URL, in signature order.

    A `redirect` signal carries the literal `target` it sends the visitor to; whether that is
    off-site is for the analysis to judge against the audited host.
    """
    signals: list[dict[str, Any]] = []
    lowered_src = src.lower()
    signals.extend(match_trackers(text, src))
    for signature in load_signatures():
        if lowered_src and any(part in lowered_src for part in signature.src):
            signals.append({"id": signature.id, "kind": signature.kind, "about": signature.about,
                            "excerpt": _clean(src[:_EXCERPT * 2])})
            continue
        if text and signature.pattern is not None:
            match = signature.pattern.search(text)
            if match:
                signal = {"id": signature.id, "kind": signature.kind, "about": signature.about,
                          "excerpt": _clean(text[max(0, match.start() - 20): match.start() + _EXCERPT])}
                if signature.kind == "redirect" and match.groups():
                    signal["target"] = _clean(match.group(1))
                signals.append(signal)
    return signals


def match_trackers(text: str, src: str) -> list[dict[str, Any]]:
    """Known third-party trackers (`rules/data/trackers.yaml`) an inline script or a script URL loads."""
    host = _host(src)
    lowered = src.lower()
    found = []
    for tracker in trackers():
        hosts = tracker.get("script_hosts") or ()
        if host and (any(host == h or host.endswith("." + h) for h in hosts)
                     or any(part in lowered for part in tracker.get("script_urls") or ())):
            found.append({"id": f"tracker:{tracker['name']}", "kind": "tracker", "about": tracker["name"],
                          "excerpt": _clean(src[:_EXCERPT * 2])})
        elif text and any(snippet in text for snippet in tracker.get("inline") or ()):
            found.append({"id": f"tracker:{tracker['name']}", "kind": "tracker", "about": tracker["name"],
                          "excerpt": ""})
    return found


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _clean(text: str) -> str:
    return " ".join(text.split())
