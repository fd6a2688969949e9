"""Message catalogues: every sentence trustscan shows, in Vietnamese and English.

Findings carry message ids plus observed values; they become prose only here, at render time
(the Internet.nl way), so one report can be rendered in either language.

A rule's own wording sits in the rule (`messages:` in `rules/*.yaml`, each text in both languages
side by side): one rule, one place to read. The wording that belongs to no rule (criteria,
statuses, console, CI, publishing) is in `rules/messages/<language>/<topic>.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from trustscan.core.errors import RuleError
from trustscan.core.wordings import WORDING_SUFFIX, Wording
from trustscan.core.yamldata import load_shipped_text, rule_files, shipped_yaml

LANGUAGES = ("vi", "en")
#: The wording every rule carries, under message ids `<rule id>.<kind>`.
RULE_MESSAGE_KINDS = ("title", "pass", "fail", "fix")
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
        return _PLACEHOLDER.sub(lambda m: self.value(values.get(m.group(1))), template)

    def say(self, wording: Wording) -> str:
        """A Wording as a sentence of this language, nested Wordings (a cause) worded first."""
        values = {key: self._said(value) for key, value in wording.values.items()}
        return self.text(wording.id, values)

    def _said(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(self._said(item) for item in value)
        return self.say(value) if isinstance(value, Wording) else value

    def knows(self, wording: Wording) -> bool:
        """Whether every message id of *wording* is in this catalogue (not one of a newer trustscan)."""
        return all(message_id in self.messages for message_id in wording.ids())

    def reword(self, text: Any, wording: Any) -> Any:
        """*text* said again from *wording* (a report's JSON; a list of texts from a list of wordings), in this
        language; *text* as it was when the wording is not one this catalogue knows (a newer trustscan's)."""
        if isinstance(text, list) and isinstance(wording, list) and len(text) == len(wording):
            return [self.reword(item, said) for item, said in zip(text, wording, strict=True)]
        parsed = Wording.from_json(wording)
        if isinstance(text, str) and parsed is not None and self.knows(parsed):
            return self.say(parsed)
        return text

    def value(self, value: Any) -> str:
        """format_value with yes/no in this catalogue's language (`value.yes`, `value.no`).

        A record's field worded beside it (`error` and `error_wording`, see WORDING_SUFFIX) is
        shown in this language, and so are the reasons of a weak cipher suite.
        """
        return format_value(self._reworded(value),
                            yes_no=(self.messages.get("value.yes", "yes"), self.messages.get("value.no", "no")),
                            words=self.messages)

    def reworded(self, value: Any) -> Any:
        """*value* (a record, or a list of them) with every field worded beside it said in this language."""
        return self._reworded(value)

    def _reworded(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._reworded(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        # Nested records too (a sitemap file inside the sitemaps fact), each field from its own wording.
        out = {key: self._reworded(item) for key, item in value.items() if not str(key).endswith(WORDING_SUFFIX)}
        for key, item in value.items():
            base = str(key)[: -len(WORDING_SUFFIX)]
            if str(key).endswith(WORDING_SUFFIX) and base in out:
                out[base] = self.reword(out[base], item)
        if "suite" in out and isinstance(out.get("reasons"), list):
            out["reasons"] = [self.messages.get(f"tls.weak_reason.{reason}", reason) for reason in out["reasons"]]
        return out


@cache
def load_catalog(language: str) -> Catalog:
    """Merge `rules/messages/<language>/*.yaml` and every rule's own wording (cached: immutable data).

    One file per topic keeps wording next to the feature it belongs to, and a rule's wording is in
    the rule; a key defined twice is a mistake and refused.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {', '.join(LANGUAGES)}")
    folder = resources.files("trustscan.rules").joinpath("messages", language)
    messages: dict[str, str] = {}

    def add(key: Any, value: Any, where: str) -> None:
        if str(key) in messages:
            raise ValueError(f"message {key} is defined twice ({where})")
        messages[str(key)] = str(value)

    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            data = load_shipped_text(entry.read_text(encoding="utf-8"), f"messages/{language}/{entry.name}")
            for key, value in (data or {}).items():
                add(key, value, f"{language}/{entry.name}")
    for prefix, (file_name, list_key, text_key) in WORDED_DATA.items():
        for entry in shipped_yaml("data", file_name)[list_key]:
            texts = data_texts(entry, text_key, f"data/{file_name}")
            add(f"{prefix}.{entry['id']}", texts[language], f"data/{file_name}")
    for file in rule_files():
        rules = file.data.get("rules") if isinstance(file.data, dict) else None
        for raw in rules if isinstance(rules, list) else ():
            if isinstance(raw, dict) and "id" in raw and "messages" in raw:
                for key, value in rule_messages(raw, f"{file.name}: rule {raw.get('id')}")[language].items():
                    add(key, value, file.name)
    return Catalog(language, messages)


#: Data files whose entries carry their own words (rules/data/*.yaml): message id prefix -> (file, list of
#: entries, field). The field is `{en: ..., vi: ...}`; entry `id` X is message `<prefix>.X`, so a miner
#: signature's description or a search identity's name stays in its data file and is said in either language.
WORDED_DATA = {"signature": ("script-signatures.yaml", "signatures", "about"),
               "identity": ("search-identities.yaml", "identities", "name")}


def data_texts(entry: Any, field: str, where: str) -> dict[str, str]:
    """A data entry's `field` as language -> text; ValueError unless it has an id and a text in every language."""
    texts = entry.get(field) if isinstance(entry, Mapping) else None
    if (not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str) or not isinstance(texts, Mapping)
            or set(texts) != set(LANGUAGES)
            or not all(isinstance(text, str) and text.strip() for text in texts.values())):
        name = entry.get("id") if isinstance(entry, Mapping) else entry
        raise ValueError(f"{where}: entry {name!r} needs an id and {field} in each of {', '.join(LANGUAGES)}")
    return {language: str(texts[language]) for language in LANGUAGES}


def rule_messages(rule: Mapping[str, Any], where: str) -> dict[str, dict[str, str]]:
    """A rule's `messages:` as language -> {message id: text}; refused unless complete.

    The YAML is `messages: {title: {vi: ..., en: ...}, pass: ..., fail: ..., fix: ...}`: every kind
    in every language, so a rule whose English `fix` is missing fails when the rules are loaded
    (`trustscan rules`, the tests) instead of rendering as a bare message id.
    """
    wording = rule.get("messages")
    if not isinstance(wording, dict) or set(wording) != set(RULE_MESSAGE_KINDS):
        raise RuleError(f"{where}: messages needs exactly {', '.join(RULE_MESSAGE_KINDS)}")
    texts: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for kind in RULE_MESSAGE_KINDS:
        by_language = wording[kind]
        if (not isinstance(by_language, dict) or set(by_language) != set(LANGUAGES)
                or not all(isinstance(text, str) and text.strip() for text in by_language.values())):
            raise RuleError(f"{where}: messages.{kind} needs a text in each of {', '.join(LANGUAGES)}, nothing else")
        for language in LANGUAGES:
            texts[language][f"{rule['id']}.{kind}"] = by_language[language]
    return texts


#: The few words format_value puts between the values of a record, in English; a catalogue's `value.*` say them
#: in its language.
_GLUE = {"value.policy_score": "{score} policy terms (needs {needed})", "value.heading": "heading",
         "value.cookie": "cookie {name}", "value.held_back": "held back: {by}"}


def format_value(value: Any, *, yes_no: tuple[str, str] = ("yes", "no"), words: Mapping[str, str] | None = None) -> str:
    """A short, single-line, control-character-free rendering of an observed value.

    Values can come from the scanned site, so terminal escapes and bidi overrides are removed
    and length is bounded; HTML escaping is the HTML renderer's job. *words* (a catalogue's
    messages) words the glue between a record's values (`value.*`); English without it.
    """
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = yes_no[0] if value else yes_no[1]
    elif isinstance(value, list):
        return _format_list(value, yes_no, words)
    elif isinstance(value, dict):
        text = _format_mapping(value, yes_no, words)
    else:
        text = str(value)
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _glue(words: Mapping[str, str] | None, key: str, **values: Any) -> str:
    template = (words or _GLUE).get(key, _GLUE[key])
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), template)


def _format_list(value: list[Any], yes_no: tuple[str, str], words: Mapping[str, str] | None = None) -> str:
    """Whole items, as many as fit MAX_LIST_ITEMS and MAX_VALUE_CHARS, then "+N" for the rest: never cut mid-item."""
    items: list[str] = []
    size = 0
    for item in value[:MAX_LIST_ITEMS]:
        text = format_value(item, yes_no=yes_no, words=words)
        if items and size + len(text) + 2 > MAX_VALUE_CHARS - 6:  # room for ", +NNN"
            break
        items.append(text)
        size += len(text) + 2
    if len(items) < len(value):
        items.append(f"+{len(value) - len(items)}")
    return ", ".join(items) if items else "—"


def _format_mapping(value: Mapping[str, Any], yes_no: tuple[str, str],
                    words: Mapping[str, str] | None = None) -> str:
    if "suite" in value:  # a cipher suite finding
        reasons = value.get("reasons")
        suffix = f" ({', '.join(map(str, reasons))})" if reasons else ""
        return f"{value.get('protocol', '')} {value['suite']}{suffix}".strip()
    if "is_policy" in value:  # a document read as a possible personal-data policy (criterion b)
        score = _glue(words, "value.policy_score", score=value.get("score"), needed=value.get("needed"))
        if "url" in value:
            return f"{value['url']} → {value.get('title') or value.get('kind')}: {score}"
        headings = ", ".join(map(str, value.get("heading_terms") or [])) or "—"
        return f"{score}, {_glue(words, 'value.heading')}: {headings}"
    if "url" in value and "hop" in value:  # a policy candidate that could not be read
        return f"{value['url']} → {value.get('error') or '—'}"
    if "tracker" in value and "page" in value:  # a tracker loaded, held back, or its cookie (criterion b)
        what = value.get("script") or (_glue(words, "value.cookie", name=value["name"]) if "name" in value else "")
        held = f", {_glue(words, 'value.held_back', by=value['held_back_by'])}" if value.get("held_back_by") else ""
        return f"{value['tracker']} ({what}{held}) @ {value['page']}"
    if "page" in value and "action" in value and "form" in value and "personal_fields" not in value:
        return f"{value['form']} → {value['action']} @ {value['page']}"  # a form posting over http (c)
    if "page" in value and "element" in value and "url" in value:  # mixed content (criterion c)
        return f"{value['element']} {value['url']} @ {value['page']}"
    if "page" in value and ("reason" in value or "personal_fields" in value):  # a crawl finding (b, đ)
        what = value.get("reason") or ", ".join(map(str, value.get("personal_fields") or []))
        problems = f": {'; '.join(map(str, value['problems']))}" if value.get("problems") else ""
        return f"{value.get('element') or value.get('form') or ''} [{what}] @ {value['page']}{problems}"
    if "host" in value and isinstance(value.get("matches"), list):  # an outbound host found on a list
        lists = ", ".join(str(m.get("snapshot")) for m in value["matches"] if isinstance(m, Mapping))
        return f"{value['host']} ({lists})"
    if "snapshot" in value and "line" in value and "reason" in value:  # an unreadable list entry (criterion d)
        return f"{value['snapshot']}:{value['line']} «{value.get('text', '')}» ({value['reason']})"
    if "snapshot" in value and "entry" in value:  # a blocklist match: what matched, on which list
        matched = value.get("matched") or value["entry"]
        entry = f" = {value['entry']}" if value["entry"] != matched else ""
        return f"{matched}{entry} ({value['snapshot']})"
    if "url" in value:  # a fetch attempt or redirect hop
        return f"{value['url']} → {value.get('status') or value.get('error') or '—'}"
    return "; ".join(f"{k}={format_value(v, yes_no=yes_no, words=words)}" for k, v in value.items())
