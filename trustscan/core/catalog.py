"""Message catalogues: every sentence trustscan shows, in Vietnamese and English.

Findings carry message ids plus observed values; they become prose only here, at render time
(the Internet.nl way), so one report can be rendered in either language.

A rule's own wording sits in the rule (`messages:` in `rules/*.yaml`, each text in both languages
side by side): one rule, one place to read. The wording that belongs to no rule (criteria,
statuses, console, CI, publishing) is in `rules/messages/<language>/<topic>.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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
        if "{" not in template:  # most titles and fixes: nothing to fill
            return template
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
         "value.cookie": "cookie {name}", "value.held_back": "held back: {by}",
         "value.certificate": "{subject} (issued by {issuer}, valid until {not_after}, signed with {signature_hash})",
         "value.cookie_missing": "{name} (missing {missing})",
         "value.seen_only_by": "seen only by {who}", "value.hidden_from": "hidden from {who}",
         "value.snapshot": "{name}: {entries} entries, imported {imported_at}"}
#: A record without a shape of its own shows each field as "label: value", the label from `field.<key>`.
FIELD_PREFIX = "field."


def format_value(value: Any, *, yes_no: tuple[str, str] = ("yes", "no"), words: Mapping[str, str] | None = None) -> str:
    """A short, single-line, control-character-free rendering of an observed value.

    Values can come from the scanned site, so terminal escapes and bidi overrides are removed
    and length is bounded; HTML escaping is the HTML renderer's job. *words* (a catalogue's
    messages) words the glue between a record's values (`value.*`) and the labels of its fields
    (`field.*`); English glue and the bare keys without it.
    """
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = yes_no[0] if value else yes_no[1]
    elif isinstance(value, list):
        return _format_list(value, yes_no, words)
    elif isinstance(value, dict):
        text = _format_mapping(value, _Say(yes_no, words))
    else:
        text = str(value)
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


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


@dataclass(frozen=True)
class _Say:
    """How a record's parts are said: yes/no, the glue between values and the fields' labels (a catalogue's)."""

    yes_no: tuple[str, str]
    words: Mapping[str, str] | None

    def __call__(self, value: Any) -> str:
        return format_value(value, yes_no=self.yes_no, words=self.words)

    def glue(self, key: str, **values: Any) -> str:
        template = (self.words or _GLUE).get(key, _GLUE[key])
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), template)

    def label(self, key: str) -> str:
        return (self.words or {}).get(FIELD_PREFIX + key, key)


def _cipher_suite(value: Mapping[str, Any], say: _Say) -> str:
    reasons = f" ({', '.join(map(str, value['reasons']))})" if value.get("reasons") else ""
    return f"{value.get('protocol', '')} {value['suite']}{reasons}".strip()


def _policy_document(value: Mapping[str, Any], say: _Say) -> str:
    score = say.glue("value.policy_score", score=value.get("score"), needed=value.get("needed"))
    if "url" in value:
        return f"{value['url']} → {value.get('title') or value.get('kind')}: {score}"
    headings = ", ".join(map(str, value.get("heading_terms") or [])) or "—"
    return f"{score}, {say.glue('value.heading')}: {headings}"


def _tracker(value: Mapping[str, Any], say: _Say) -> str:
    what = value.get("script") or (say.glue("value.cookie", name=value["name"]) if "name" in value else "")
    held = f", {say.glue('value.held_back', by=value['held_back_by'])}" if value.get("held_back_by") else ""
    return f"{value['tracker']} ({what}{held}) @ {value['page']}"


def _crawl_finding(value: Mapping[str, Any], say: _Say) -> str:
    what = value.get("reason") or ", ".join(map(str, value.get("personal_fields") or []))
    problems = f": {'; '.join(map(str, value['problems']))}" if value.get("problems") else ""
    return f"{value.get('element') or value.get('form') or ''} [{what}] @ {value['page']}{problems}"


def _listed_host(value: Mapping[str, Any], say: _Say) -> str:
    lists = ", ".join(str(match.get("snapshot")) for match in value["matches"] if isinstance(match, Mapping))
    return f"{value['host']} ({lists})"


def _blocklist_match(value: Mapping[str, Any], say: _Say) -> str:
    matched = value.get("matched") or value["entry"]
    entry = f" = {value['entry']}" if value["entry"] != matched else ""
    return f"{matched}{entry} ({value['snapshot']})"


def _certificate(value: Mapping[str, Any], say: _Say) -> str:
    return say.glue("value.certificate", subject=value["subject"], issuer=value["issuer"],
                    not_after=say(value["not_after"]), signature_hash=say(value.get("signature_hash")))


def _cloaking_difference(value: Mapping[str, Any], say: _Say) -> str:
    sides = [say.glue("value.seen_only_by", who=say(value["only_seen_by"]))] if value.get("only_seen_by") else []
    if value.get("hidden_from"):
        sides.append(say.glue("value.hidden_from", who=say(value["hidden_from"])))
    return f"{say(value['kind'])} @ {value['page']}: {say(value['what'])}" + (f" ({'; '.join(sides)})" if sides else "")


def _list_snapshot(value: Mapping[str, Any], say: _Say) -> str:
    return say.glue("value.snapshot", name=value["name"], entries=value["entries"],
                    imported_at=say(value.get("imported_at")))


def _fields(value: Mapping[str, Any], say: _Say) -> str:
    """A record with no shape of its own: each field labelled (`field.<key>`; a key without a label stays)."""
    return "; ".join(f"{say.label(str(key))}: {say(item)}" for key, item in value.items())


def _only(*keys: str) -> Callable[[Mapping[str, Any]], bool]:
    """A record of these fields and no other (the first two present): its shape shows every one of them."""
    return lambda value: set(value) <= set(keys) and keys[0] in value and keys[1] in value


_Fits = Callable[[Mapping[str, Any]], bool]
_Says = Callable[[Mapping[str, Any], _Say], str]
#: Each kind of record the collectors put in the facts that reads better in a shape of its own than as labelled
#: fields: (name, does a record fit, how it is said), tried in this order. `record_shape` names the one a record
#: gets; a record with none is shown field by field (`_fields`).
_SHAPES: tuple[tuple[str, _Fits, _Says], ...] = (
    ("cipher_suite", lambda v: "suite" in v, _cipher_suite),
    ("policy_document", lambda v: "is_policy" in v, _policy_document),  # a document read as a possible policy (b)
    ("policy_unread", lambda v: "url" in v and "hop" in v,  # a policy candidate that could not be read
     lambda v, say: f"{v['url']} → {v.get('error') or '—'}"),
    ("tracker", lambda v: "tracker" in v and "page" in v, _tracker),  # loaded, held back, or its cookie (b)
    ("insecure_form", lambda v: "page" in v and "action" in v and "form" in v and "personal_fields" not in v,
     lambda v, say: f"{v['form']} → {v['action']} @ {v['page']}"),  # a form posting over http (c)
    ("mixed_content", lambda v: "page" in v and "element" in v and "url" in v,  # (c)
     lambda v, say: f"{v['element']} {v['url']} @ {v['page']}"),
    ("crawl_finding", lambda v: "page" in v and ("reason" in v or "personal_fields" in v), _crawl_finding),  # b, đ
    ("listed_host", lambda v: "host" in v and isinstance(v.get("matches"), list), _listed_host),  # a link's host (đ)
    ("unreadable_entry", lambda v: "snapshot" in v and "line" in v and "reason" in v,  # a list's bad line (d)
     lambda v, say: f"{v['snapshot']}:{v['line']} «{v.get('text', '')}» ({v['reason']})"),
    ("blocklist_match", lambda v: "snapshot" in v and "entry" in v, _blocklist_match),  # what matched, on which list
    ("certificate", lambda v: "subject" in v and "issuer" in v and "not_after" in v, _certificate),  # of the chain
    ("weak_cookie", _only("name", "missing"),  # a session cookie without its protective attributes (a)
     lambda v, say: say.glue("value.cookie_missing", name=v["name"], missing=say(v["missing"]))),
    ("exposed_file", _only("path", "status", "evidence"),  # a file served that should not be (a)
     lambda v, say: f"{v['path']} → {v['status']}: {say(v['evidence'])}"),
    ("disclosed_header", _only("header", "value"),  # a header naming software and version (a)
     lambda v, say: f"{v['header']}: {say(v['value'])}"),
    ("seen_on_page", lambda v: ("name" in v or "element" in v) and "page" in v and len(v) == 2,  # (b, đ)
     lambda v, say: f"{v.get('name') or v.get('element')} @ {v['page']}"),
    ("cloaking_difference", lambda v: "page" in v and "kind" in v and "what" in v, _cloaking_difference),  # (đ)
    ("list_snapshot", lambda v: "sha256" in v and "entries" in v and "name" in v, _list_snapshot),  # a list used (d)
    ("fetch", lambda v: "url" in v,  # a fetch attempt or redirect hop
     lambda v, say: f"{v['url']} → {v.get('status') or v.get('error') or '—'}"),
)


def record_shape(value: Mapping[str, Any]) -> str | None:
    """The name of the shape *value* (a record of the facts) is shown in; None: shown as labelled fields."""
    return next((name for name, fits, _say in _SHAPES if fits(value)), None)


def _format_mapping(value: Mapping[str, Any], say: _Say) -> str:
    value = {key: item for key, item in value.items() if not str(key).endswith(WORDING_SUFFIX)}  # said beside
    for _name, fits, said in _SHAPES:
        if fits(value):
            return said(value, say)
    return _fields(value, say)
