"""What an HTML page contains that criteria b, c and đ judge: links, scripts, iframes, forms, redirects.

Pure and defensive: `extract_page(text, base_url)` never raises, whatever the markup (parse.py reads
it as a browser would, and marks a page it could not read to the end `fully_read: false`). The HTML
that inline scripts write is first placed into the tree (scriptplacement.py), so that every element
listed, written or not, records whether it is *hidden* from a visitor and why (hiding.py).
Lists are capped so that a hostile page cannot make the report unbounded; caps are noted.
Given a deadline (a time.monotonic() instant), the work stops between steps once it has passed:
`TimeoutError`, never facts from a page analysed in part.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from trustscan.collect.crawl.deadline import in_time
from trustscan.collect.crawl.hiding import Hider, hidden_fields, style_sheets, stylesheet_urls
from trustscan.collect.crawl.lexicon import gambling_profile
from trustscan.collect.crawl.parse import (
    INVISIBLE,
    MAX_TEXT,
    ParsedHtml,
    attr,
    bounded_text,
    clip,
    describe,
    first,
    parse_html,
    resolve,
    strings,
    text_of,
)
from trustscan.collect.crawl.scriptplacement import insert_script_html, written_by
from trustscan.collect.crawl.signatures import MAX_SCRIPT_SCAN, match_script
from trustscan.core.wordings import Wording

MAX_LINKS, MAX_SCRIPTS, MAX_IFRAMES, MAX_FORMS, MAX_FIELDS, MAX_HIDDEN_BLOCKS = 300, 100, 50, 20, 50, 20
MAX_FORM_TEXT = 1000
MAX_HEADINGS, MAX_HTTP_RESOURCES, MAX_DATA_ATTRS = 20, 50, 8
_REGION_DEPTH = 40  # ancestors walked to place a link in the page's navigation, header or footer
_REGION_TAGS = {"nav": "nav", "footer": "footer", "header": "header"}
_REGION_ROLES = {"navigation": "nav", "contentinfo": "footer", "banner": "header"}
_REGION_WORDS = (("footer", "footer"), ("nav", "nav"), ("menu", "nav"), ("header", "header"))
# Elements that fetch a subresource, and the attribute naming it (Mixed Content §3, criterion c); frames,
# objects and embeds are in `iframes`, scripts in `scripts`.
_SUBRESOURCES = {"link": "href", "img": "src", "audio": "src", "video": "src", "source": "src", "track": "src",
                 "input": "src"}
_REFRESH_URL = re.compile(r"""^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?["']?([^"']*)""", re.IGNORECASE)


def extract_page(text: str, base_url: str, deadline: float = math.inf,
                 stylesheets: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """Facts about one HTML page; raises only TimeoutError, at `deadline` (parser failures become `parse_notes`).

    `stylesheets` maps the URLs of the page's `<link rel=stylesheet>` to their text (None: not read).
    """
    in_time(deadline)
    return extract_parsed(parse_html(text), base_url, deadline, stylesheets)


def extract_parsed(parsed: ParsedHtml, base_url: str, deadline: float = math.inf,
                   stylesheets: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """`extract_page` for a page already parsed (the crawl fetches its stylesheets in between)."""
    # Why the page was not read to its end, as a Wording (`unread_wording`), when it was not.
    stop = {"unread_wording": parsed.stop.to_json()} if parsed.stop is not None else {}
    if parsed.root is None:
        return noted_first({**_empty(), "fully_read": parsed.fully_read, **stop}, parsed.notes)
    facts = extract_tree(parsed.root, base_url, deadline, stylesheets)
    facts["fully_read"] = parsed.fully_read
    facts.update(stop)
    return noted_first(facts, parsed.notes)


def noted_first(facts: dict[str, Any], notes: Iterable[Wording]) -> dict[str, Any]:
    """*facts* with *notes* put before its `parse_notes`: in English, and as Wordings (`parse_notes_wording`)
    beside them for every output's language."""
    notes = list(notes)
    facts["parse_notes"] = [note.english() for note in notes] + list(facts.get("parse_notes") or [])
    facts["parse_notes_wording"] = [note.to_json() for note in notes] + list(facts.get("parse_notes_wording") or [])
    return facts


def page_stylesheets(parsed: ParsedHtml, base_url: str) -> list[str]:
    """The URLs of a parsed page's `<link rel=stylesheet>` (resolved against its `<base href>`)."""
    return [] if parsed.root is None else stylesheet_urls(parsed.root, _base_url(parsed.root, base_url))


def _empty() -> dict[str, Any]:
    return {"title": None, "lang": None, "base_url": None, "headings": [], "stylesheets": [], "links": [],
            "scripts": [], "iframes": [], "forms": [], "meta_refresh": [], "meta_csp": [], "http_resources": [],
            "hidden_blocks": [], "parse_notes": [], "parse_notes_wording": []}


def extract_tree(root: Any, base_url: str, deadline: float = math.inf,
                 stylesheets: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """Facts from an already parsed document (`root` an lxml element: libxml2's tree or html5lib's)."""
    notes: list[Wording] = []
    in_time(deadline)
    base = _base_url(root, base_url)
    written = insert_script_html(root, deadline)
    sheets, unread = style_sheets(root, base, stylesheets or {}, deadline)
    hider = Hider(sheets, background_known=not unread, deadline=deadline)
    notes += sheets.notes
    title_tag = first(root, "title")
    facts = _empty()
    facts["title"] = clip(bounded_text(title_tag)) if title_tag is not None else None
    html_tag = root if root.tag == "html" else first(root, "html")
    facts["lang"] = clip(attr(html_tag, "lang"), 35) if html_tag is not None else None
    facts["base_url"] = base if base != base_url else None
    facts["stylesheets"] = stylesheet_urls(root, base)
    headings = _limited(root.iter("h1", "h2", "h3"), MAX_HEADINGS)
    facts["headings"] = [text for text in (clip(bounded_text(tag)) for tag in headings) if text]

    facts["links"] = _capped(notes, "parse.capped.links", MAX_LINKS, (
        {"tag": tag.tag, "href": clip(attr(tag, "href")), "url": resolve(base, attr(tag, "href")),
         "text": clip(bounded_text(tag) or attr(tag, "title") or attr(tag, "alt")), **hidden_fields(hider.reason(tag)),
         "region": _region(tag), **(written_by(tag) if written else {})}
        for tag in root.iter("a", "area") if attr(tag, "href")
    ))
    in_time(deadline)
    facts["scripts"] = _capped(notes, "parse.capped.scripts", MAX_SCRIPTS,
                               (_script(tag, base) for tag in root.iter("script")))
    in_time(deadline)
    facts["iframes"] = _capped(notes, "parse.capped.iframes", MAX_IFRAMES, (
        _frame(tag, base, hider) for tag in root.iter("iframe", "frame", "object", "embed")
    ))
    in_time(deadline)
    facts["forms"] = _capped(notes, "parse.capped.forms", MAX_FORMS, (_form(i, tag, base, hider)
                                                          for i, tag in enumerate(root.iter("form"))))
    in_time(deadline)
    facts["meta_refresh"] = [
        {"content": clip(attr(tag, "content")), "url": _refresh_target(base, attr(tag, "content"))}
        for tag in root.iter("meta")
        if attr(tag, "http-equiv").strip().lower() == "refresh"
    ][:10]
    facts["meta_csp"] = [clip(attr(tag, "content"), 300) for tag in root.iter("meta")
                         if attr(tag, "http-equiv").strip().lower() == "content-security-policy"][:3]
    in_time(deadline)
    facts["http_resources"] = _capped(notes, "parse.capped.http_resources", MAX_HTTP_RESOURCES,
                                      _http_resources(root, base))
    in_time(deadline)
    body = first(root, "body")
    facts["text_profile"] = gambling_profile(" ".join(strings(root if body is None else body, INVISIBLE)))
    in_time(deadline)
    facts["hidden_blocks"] = _capped(notes, "parse.capped.hidden_blocks", MAX_HIDDEN_BLOCKS, (
        {"element": describe(tag), **hidden_fields(reason), "text": clip(bounded_text(tag, MAX_TEXT, 500)),
         "links": sum(1 for _ in tag.iter("a", "area"))}
        for tag, reason in hider.hidden_roots(root) if bounded_text(tag, 1, 500)
    ))
    in_time(deadline)
    if hider.matcher.exhausted:
        notes.append(Wording("parse.selector_budget"))
    return noted_first(facts, notes)


def _script(tag: Any, base: str) -> dict[str, Any]:
    src = attr(tag, "src")
    body = "" if src else text_of(tag)
    return {
        "src": clip(src) if src else None,
        "url": resolve(base, src) if src else None,
        "type": clip(attr(tag, "type"), 60) or None,
        "inline_size": len(body.encode("utf-8", "replace")),
        "integrity": clip(attr(tag, "integrity"), 120) or None,
        "crossorigin": clip(attr(tag, "crossorigin"), 40) or None,
        "signals": match_script(body[:MAX_SCRIPT_SCAN], src or ""),
        # data-* attributes and classes, where consent managers mark a script held back until consent.
        "attrs": _data_attrs(tag),
    }


def _frame(tag: Any, base: str, hider: Hider) -> dict[str, Any]:
    """A frame or plugin element: where it loads from (`data` for <object>), its size and hiding."""
    src = attr(tag, "data" if tag.tag == "object" else "src")
    return {"tag": tag.tag, "src": clip(src), "url": resolve(base, src), **hidden_fields(hider.reason(tag)),
            "width": clip(attr(tag, "width"), 20), "height": clip(attr(tag, "height"), 20),
            "style": clip(attr(tag, "style"), 120)}


def _form(index: int, tag: Any, base: str, hider: Hider) -> dict[str, Any]:
    action = attr(tag, "action")
    fields = []
    for field in _limited(tag.iter("input", "select", "textarea"), MAX_FIELDS):
        label = _label_for(tag, field)
        fields.append({
            "tag": field.tag,
            "name": clip(attr(field, "name"), 80),
            "type": (attr(field, "type").lower() or "text") if field.tag == "input" else field.tag,
            "id": clip(attr(field, "id"), 80),
            "placeholder": clip(attr(field, "placeholder"), 80),
            "autocomplete": clip(attr(field, "autocomplete"), 40),
            "label": clip(label, 120),
            # What makes a consent control affirmative or not (Decree 13/2023/ND-CP Art. 11).
            "checked": field.get("checked") is not None or field.get("selected") is not None,
            "required": field.get("required") is not None or attr(field, "aria-required").strip().lower() == "true",
            "disabled": field.get("disabled") is not None or field.get("readonly") is not None,
            **hidden_fields(hider.reason(field)),
            "value": clip(attr(field, "value"), 40),
        })
    links = [{"url": resolve(base, attr(a, "href")), "text": clip(bounded_text(a))}
             for a in _limited((a for a in tag.iter("a") if attr(a, "href")), 20)]
    return {
        "index": index,
        # Named by id/class when it has them, else by position: `form#contact`, `form #2`.
        "element": describe(tag) if describe(tag) != "form" else f"form #{index + 1}",
        "action": clip(action) if action else None,
        "action_url": resolve(base, action) if action else base,
        "method": (attr(tag, "method").strip().lower() or "get")[:10],
        "fields": fields,
        "links": links,
        # A submit button's formaction overrides the form's action (HTML §4.10.18.6): where data goes too.
        "submit_urls": [url for url in (resolve(base, attr(button, "formaction")) for button in _limited(
            (b for b in tag.iter("button", "input") if attr(b, "formaction")), 10)) if url],
        "text": clip(bounded_text(tag, MAX_FORM_TEXT, 2000), MAX_FORM_TEXT),
        **hidden_fields(hider.reason(tag)),
    }


def _region(tag: Any) -> str | None:
    """"nav", "header" or "footer" when the link sits in the page's navigation, header or footer."""
    for depth, node in enumerate(tag.iterancestors()):
        if depth >= _REGION_DEPTH or node.tag in ("body", "html"):
            return None
        region = _REGION_TAGS.get(node.tag) or _REGION_ROLES.get(attr(node, "role").strip().lower())
        if region:
            return region
        names = f"{attr(node, 'id')} {attr(node, 'class')}".lower()
        for word, found in _REGION_WORDS:
            if word in names:
                return found
    return None


def _data_attrs(tag: Any) -> dict[str, str]:
    """The element's class and data-* attributes (a few, clipped)."""
    found = {str(name): clip(str(value), 60) for name, value in tag.attrib.items()
             if name == "class" or str(name).startswith("data-")}
    return dict(list(found.items())[:MAX_DATA_ATTRS])


def _http_resources(root: Any, base: str) -> Iterator[dict[str, Any]]:
    """Subresources (not scripts, frames or objects, listed apart) the page asks for over plain http://."""
    for tag in root.iter(*_SUBRESOURCES):
        if tag.tag == "link" and not attr(tag, "rel").strip():
            continue
        if tag.tag == "input" and attr(tag, "type").strip().lower() != "image":
            continue
        url = resolve(base, attr(tag, _SUBRESOURCES[tag.tag]))
        if url and url.lower().startswith("http:"):
            yield {"tag": tag.tag, "rel": clip(attr(tag, "rel"), 40) or None, "url": url}


def _label_for(form: Any, field: Any) -> str:
    """The text of the field's <label> (wrapping it or `for=` its id)."""
    for ancestor in field.iterancestors("label"):
        return bounded_text(ancestor)
    field_id = attr(field, "id")
    if field_id:
        for label in form.iter("label"):
            if attr(label, "for") == field_id:
                return bounded_text(label)
    return ""


def _base_url(root: Any, page_url: str) -> str:
    base = next((tag for tag in root.iter("base") if tag.get("href") is not None), None)
    href = attr(base, "href")
    return resolve(page_url, href) or page_url if href else page_url


def _refresh_target(base: str, content: str) -> str | None:
    match = _REFRESH_URL.match(content or "")
    target = match.group(1).strip() if match else ""
    return resolve(base, target) if target else None


def _limited(items: Iterable[Any], cap: int) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if len(out) == cap:
            break
        out.append(item)
    return out


def _capped(notes: list[Wording], message: str, cap: int, items: Any) -> list[dict[str, Any]]:
    """The first *cap* items; past them, a note (message id *message*: "more than {cap} links; ...")."""
    out: list[dict[str, Any]] = []
    for item in items:
        if len(out) == cap:
            notes.append(Wording(message, {"cap": cap}))
            break
        out.append(item)
    return out
