"""What an HTML page contains that criteria b and đ judge: links, scripts, iframes, forms, redirects.

Pure and defensive: `extract_page(text, base_url)` never raises, whatever the markup (BeautifulSoup
with the stdlib `html.parser`, as the issue asks). Every element records whether it is *hidden* from
a visitor and why: injected gambling links on .gov.vn/.edu.vn sites are hidden with inline styles
(`display:none`, `position:absolute;left:-9999px`, `font-size:0`), the `hidden` attribute, a hidden
ancestor, or a class/id hidden by a simple rule in the page's own `<style>` blocks.
Lists are capped so that a hostile page cannot make the report unbounded; caps are noted.
Given a deadline (a time.monotonic() instant), the work stops between steps once it has passed:
`TimeoutError`, never facts from a page analysed in part.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from trustscan.collect.crawl.signatures import match_script

MAX_LINKS, MAX_SCRIPTS, MAX_IFRAMES, MAX_FORMS, MAX_FIELDS, MAX_HIDDEN_BLOCKS = 300, 100, 50, 20, 50, 20
MAX_TEXT = 200  # characters of any text recorded as evidence
MAX_FORM_TEXT = 1000
MAX_SCRIPT_SCAN = 256 * 1024  # characters of one inline script searched for signatures

_DISPLAY_NONE = re.compile(r"(?:^|;)\s*display\s*:\s*none", re.IGNORECASE)
_VISIBILITY = re.compile(r"(?:^|;)\s*visibility\s*:\s*(?:hidden|collapse)", re.IGNORECASE)
# Each optional part carries its own leading spaces: `\s*(?:px)?\s*` would let a run of spaces be split
# between the two stars in every way, cubic on `font-size:0` + a megabyte of spaces (issue 9 item 9).
_FONT_ZERO = re.compile(r"(?:^|;)\s*font-size\s*:\s*0(?:\.0+)?(?:\s*(?:px|pt|em|rem|%))?(?:\s*!important)?\s*(?:;|$)",
                        re.IGNORECASE)
_OPACITY_ZERO = re.compile(r"(?:^|;)\s*opacity\s*:\s*0(?:\.0+)?(?:\s*!important)?\s*(?:;|$)", re.IGNORECASE)
_OFFSET = re.compile(r"(?:^|;)\s*(left|top|right|bottom|text-indent|margin-left|margin-top)\s*:\s*-\s*"
                     r"(\d{1,9}(?:\.\d+)?)\s*(px|em|rem|pt|%)?", re.IGNORECASE)
_ZERO_BOX = re.compile(r"(?:^|;)\s*(?:width|height|max-height|max-width)\s*:\s*0(?:px)?\s*(?:;|$)", re.IGNORECASE)
_OVERFLOW_HIDDEN = re.compile(r"overflow\s*:\s*hidden", re.IGNORECASE)
# A rule in a <style> block is read as `selectors { declarations }` (comma lists allowed) with at most
# this many characters of each; the rule is found by scanning for braces, once (see _style_rules).
_MAX_SELECTORS, _MAX_DECLARATIONS = 500, 2000
_BRACE = re.compile(r"[{}]")
_MAX_STYLE = 200_000  # characters of one <style> block read
_SIMPLE_SELECTOR = re.compile(r"^\s*([.#])([A-Za-z_][\w-]{0,100})\s*$")
_REFRESH_URL = re.compile(r"""^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?["']?([^"']*)""", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def hiding_style(style: str) -> str | None:
    """Why an inline style hides its element from a visitor, or None (CSS 2.1 §9.2.4, §11.2)."""
    if _DISPLAY_NONE.search(style):
        return "display:none"
    if _VISIBILITY.search(style):
        return "visibility:hidden"
    if _FONT_ZERO.search(style):
        return "font-size:0"
    if _OPACITY_ZERO.search(style):
        return "opacity:0"
    for match in _OFFSET.finditer(style):
        amount, unit = float(match.group(2)), (match.group(3) or "px").lower()
        # Far enough off-screen that no layout brings it back: 500px, 50em, 100%.
        if amount >= {"px": 500, "pt": 400, "em": 50, "rem": 50, "%": 100}[unit]:
            return f"off-screen ({match.group(1)}:-{match.group(2)}{unit})"
    if _ZERO_BOX.search(style) and _OVERFLOW_HIDDEN.search(style):
        return "zero size with overflow:hidden"
    return None


def in_time(deadline: float) -> None:
    """Raise TimeoutError once `deadline` (time.monotonic()) has passed: the analysis must stop there."""
    if time.monotonic() >= deadline:
        raise TimeoutError("crawl deadline reached")


def extract_page(text: str, base_url: str, deadline: float = math.inf) -> dict[str, Any]:
    """Facts about one HTML page; raises only TimeoutError, at `deadline` (parser failures become `parse_notes`)."""
    notes: list[str] = []
    in_time(deadline)
    try:
        soup = BeautifulSoup(text, "html.parser")
    except Exception as exc:  # noqa: BLE001 - bs4 rejects some markup; a hostile page must not crash us
        return {**_empty(), "parse_notes": [f"HTML could not be parsed: {type(exc).__name__}"]}
    try:
        return _extract(soup, base_url, notes, deadline)
    except RecursionError:
        return {**_empty(), "parse_notes": [*notes, "HTML nested too deeply to analyse"]}


def _empty() -> dict[str, Any]:
    return {"title": None, "lang": None, "base_url": None, "links": [], "scripts": [], "iframes": [],
            "forms": [], "meta_refresh": [], "hidden_blocks": [], "parse_notes": []}


def _extract(soup: BeautifulSoup, base_url: str, notes: list[str], deadline: float) -> dict[str, Any]:
    in_time(deadline)
    base = _base_url(soup, base_url)
    hidden_selectors = _hidden_selectors(soup, deadline)
    hider = _Hider(hidden_selectors)
    title_tag = soup.find("title")
    html_tag = soup.find("html")
    facts = _empty()
    facts["title"] = _clip(title_tag.get_text(" ")) if isinstance(title_tag, Tag) else None
    facts["lang"] = _clip(_attr(html_tag, "lang"), 35) if isinstance(html_tag, Tag) else None
    facts["base_url"] = base if base != base_url else None

    facts["links"] = _capped(notes, "links", MAX_LINKS, (
        {"tag": tag.name, "href": _clip(_attr(tag, "href")), "url": _resolve(base, _attr(tag, "href")),
         "text": _clip(_text(tag) or _attr(tag, "title") or _attr(tag, "alt")), "hidden": hider.reason(tag)}
        for tag in soup.find_all(["a", "area"]) if _attr(tag, "href")
    ))
    in_time(deadline)
    facts["scripts"] = _capped(notes, "scripts", MAX_SCRIPTS, (_script(tag, base, hider)
                                                                for tag in soup.find_all("script")))
    in_time(deadline)
    facts["iframes"] = _capped(notes, "iframes", MAX_IFRAMES, (
        {"src": _clip(_attr(tag, "src")), "url": _resolve(base, _attr(tag, "src")), "hidden": hider.reason(tag)}
        for tag in soup.find_all(["iframe", "frame"])
    ))
    in_time(deadline)
    facts["forms"] = _capped(notes, "forms", MAX_FORMS, (_form(i, tag, base, hider)
                                                          for i, tag in enumerate(soup.find_all("form"))))
    in_time(deadline)
    facts["meta_refresh"] = [
        {"content": _clip(_attr(tag, "content")), "url": _refresh_target(base, _attr(tag, "content"))}
        for tag in soup.find_all("meta")
        if _attr(tag, "http-equiv").strip().lower() == "refresh"
    ][:10]
    in_time(deadline)
    facts["hidden_blocks"] = _capped(notes, "hidden blocks", MAX_HIDDEN_BLOCKS, (
        {"element": _describe(tag), "hidden": reason, "text": _clip(_text(tag)),
         "links": len(tag.find_all(["a", "area"]))}
        for tag, reason in hider.hidden_roots(soup) if _text(tag)
    ))
    in_time(deadline)
    facts["parse_notes"] = notes
    return facts


class _Hider:
    """Answers "is this element hidden, and why?" with a memo, walking ancestors iteratively."""

    def __init__(self, hidden_selectors: dict[str, str]) -> None:
        self._selectors = hidden_selectors
        self._memo: dict[int, str | None] = {}

    def own_reason(self, tag: Tag) -> str | None:
        if tag.has_attr("hidden"):
            return "hidden attribute"
        if tag.name == "input" and _attr(tag, "type").lower() == "hidden":
            return "input type=hidden"
        reason = hiding_style(_attr(tag, "style"))
        if reason:
            return reason
        for name in _attr(tag, "class").split():
            if f".{name}" in self._selectors:
                return f"class {name} ({self._selectors[f'.{name}']} in <style>)"
        element_id = _attr(tag, "id")
        if element_id and f"#{element_id}" in self._selectors:
            return f"id {element_id} ({self._selectors[f'#{element_id}']} in <style>)"
        return None

    def reason(self, tag: Tag) -> str | None:
        """The reason for the element or its nearest hidden ancestor ("ancestor <div>: display:none")."""
        chain: list[Tag] = []
        node: Any = tag
        found: str | None = None
        while isinstance(node, Tag) and node.name != "[document]":
            if id(node) in self._memo:
                found = self._memo[id(node)]
                break
            own = self.own_reason(node)
            if own:
                found = own if node is tag else f"ancestor {_describe(node)}: {own}"
                self._memo[id(node)] = found
                break
            chain.append(node)
            node = node.parent
        for visited in chain:
            self._memo[id(visited)] = found
        return found

    def hidden_roots(self, soup: BeautifulSoup) -> list[tuple[Tag, str]]:
        """The outermost hidden elements of the body (not <script>, <style>, <template>, hidden inputs)."""
        roots = []
        for tag in soup.find_all(True):
            if tag.name in ("script", "style", "template", "noscript", "input", "head", "meta", "link", "title"):
                continue
            own = self.own_reason(tag)
            if own and not (isinstance(tag.parent, Tag) and self.reason(tag.parent)):
                roots.append((tag, own))
        return roots


def _hidden_selectors(soup: BeautifulSoup, deadline: float) -> dict[str, str]:
    """`.class` / `#id` selectors hidden by the page's own <style> blocks (simple selectors only)."""
    selectors: dict[str, str] = {}
    for style in soup.find_all("style")[:20]:
        in_time(deadline)
        for selector_list, declarations in _style_rules(_without_comments(style.get_text()[:_MAX_STYLE])):
            reason = hiding_style(declarations.strip())
            if not reason:
                continue
            for selector in selector_list.split(","):
                simple = _SIMPLE_SELECTOR.match(selector)
                if simple:
                    selectors[simple.group(1) + simple.group(2)] = reason
    return selectors


def _without_comments(css: str) -> str:
    r"""CSS without its /* comments */ in one pass; an unclosed comment runs to the end (CSS Syntax 3 §4.3.2).

    A lazy `/\*.*?\*/` would search to the end once for every unclosed `/*`: quadratic.
    """
    kept: list[str] = []
    position = 0
    while (start := css.find("/*", position)) >= 0:
        kept.append(css[position:start])
        end = css.find("*/", start + 2)
        if end < 0:
            return "".join(kept)
        position = end + 2
    kept.append(css[position:])
    return "".join(kept)


def _style_rules(css: str) -> list[tuple[str, str]]:
    r"""(selectors, declarations) of each innermost `selectors { declarations }` rule, in one pass.

    The same rules as the pattern `([^{}]{1,500})\{([^{}]{0,2000})\}` found (at most the last 500
    characters before the brace, at most 2000 inside; a rule nested in `@media {...}` counts), without
    its backtracking: it retried up to 500 characters at every position of a brace-less block.
    """
    rules = []
    previous = -1  # the brace before the current one
    braces = [match.start() for match in _BRACE.finditer(css)]
    for index, brace in enumerate(braces):
        if css[brace] == "{" and brace - previous > 1 and index + 1 < len(braces):
            close = braces[index + 1]
            if css[close] == "}" and close - brace - 1 <= _MAX_DECLARATIONS:
                rules.append((css[max(previous + 1, brace - _MAX_SELECTORS):brace], css[brace + 1:close]))
        previous = brace
    return rules


def _script(tag: Tag, base: str, hider: _Hider) -> dict[str, Any]:
    src = _attr(tag, "src")
    body = "" if src else tag.get_text()
    return {
        "src": _clip(src) if src else None,
        "url": _resolve(base, src) if src else None,
        "type": _clip(_attr(tag, "type"), 60) or None,
        "inline_size": len(body.encode("utf-8", "replace")),
        "integrity": _clip(_attr(tag, "integrity"), 120) or None,
        "crossorigin": _clip(_attr(tag, "crossorigin"), 40) or None,
        "signals": match_script(body[:MAX_SCRIPT_SCAN], src or ""),
    }


def _form(index: int, tag: Tag, base: str, hider: _Hider) -> dict[str, Any]:
    action = _attr(tag, "action")
    fields = []
    for field in tag.find_all(["input", "select", "textarea"])[:MAX_FIELDS]:
        label = _label_for(tag, field)
        fields.append({
            "tag": field.name,
            "name": _clip(_attr(field, "name"), 80),
            "type": (_attr(field, "type").lower() or "text") if field.name == "input" else field.name,
            "id": _clip(_attr(field, "id"), 80),
            "placeholder": _clip(_attr(field, "placeholder"), 80),
            "autocomplete": _clip(_attr(field, "autocomplete"), 40),
            "label": _clip(label, 120),
        })
    links = [{"url": _resolve(base, _attr(a, "href")), "text": _clip(_text(a))}
             for a in tag.find_all("a") if _attr(a, "href")][:20]
    return {
        "index": index,
        # Named by id/class when it has them, else by position: `form#contact`, `form #2`.
        "element": _describe(tag) if _describe(tag) != "form" else f"form #{index + 1}",
        "action": _clip(action) if action else None,
        "action_url": _resolve(base, action) if action else base,
        "method": (_attr(tag, "method").strip().lower() or "get")[:10],
        "fields": fields,
        "links": links,
        "text": _clip(_text(tag), MAX_FORM_TEXT),
        "hidden": hider.reason(tag),
    }


def _label_for(form: Tag, field: Tag) -> str:
    """The text of the field's <label> (wrapping it or `for=` its id)."""
    parent = field.find_parent("label")
    if isinstance(parent, Tag):
        return _text(parent)
    field_id = _attr(field, "id")
    if field_id:
        for label in form.find_all("label"):
            if _attr(label, "for") == field_id:
                return _text(label)
    return ""


def _base_url(soup: BeautifulSoup, page_url: str) -> str:
    base = soup.find("base", href=True)
    href = _attr(base, "href") if isinstance(base, Tag) else ""
    return _resolve(page_url, href) or page_url if href else page_url


def _refresh_target(base: str, content: str) -> str | None:
    match = _REFRESH_URL.match(content or "")
    target = match.group(1).strip() if match else ""
    return _resolve(base, target) if target else None


def _resolve(base: str, href: str) -> str | None:
    """Absolute URL of `href`, or None when it is not a well-formed URL at all."""
    href = (href or "").strip()
    if not href:
        return None
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return url[:2000]


def _attr(tag: Any, name: str) -> str:
    """An attribute as one string (bs4 gives lists for `class`); "" when absent."""
    if not isinstance(tag, Tag):
        return ""
    value = tag.get(name)
    if value is None:
        return ""
    return " ".join(value) if isinstance(value, list) else str(value)


def _text(tag: Tag) -> str:
    return _SPACE.sub(" ", tag.get_text(" ")).strip()


def _clip(text: str | None, limit: int = MAX_TEXT) -> str:
    text = _SPACE.sub(" ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(tag: Tag) -> str:
    """`<div id="x" class="a b">` as a short selector-like name: div#x.a.b."""
    name = tag.name or "?"
    element_id = _attr(tag, "id")
    classes = _attr(tag, "class").split()[:3]
    return _clip(name + (f"#{element_id}" if element_id else "") + "".join(f".{c}" for c in classes), 80)


def _capped(notes: list[str], what: str, cap: int, items: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if len(out) == cap:
            notes.append(f"more than {cap} {what}; only the first {cap} recorded")
            break
        out.append(item)
    return out
