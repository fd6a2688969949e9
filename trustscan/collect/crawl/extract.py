"""What an HTML page contains that criteria b and đ judge: links, scripts, iframes, forms, redirects.

Pure and defensive: `extract_page(text, base_url)` never raises, whatever the markup. The page is
parsed by libxml2 through lxml (`parse_html`): its tokenizer follows the HTML5 standard (since
libxml2 2.14), so a `<title>`, `<textarea>` or comment left open swallows the rest of the page as it
does in a browser, and it runs in linear time on hostile markup (the stdlib `html.parser` took 22 s
on 100 kB of `<a x="`, and one parse call cannot be interrupted; see bench/bench_parse.py).
libxml2 stops building the tree at 2048 levels of nesting; a page it could not read to the end is
marked `fully_read: false`, so that nothing it may hide can pass (criterion đ says error).

Every element records whether it is *hidden* from a visitor and why: injected gambling links on
.gov.vn/.edu.vn sites are hidden with inline styles (`display:none`, `position:absolute;left:-9999px`,
`font-size:0`), the `hidden` attribute, a hidden ancestor, or a class/id hidden by a simple rule in
the page's own `<style>` blocks.
Lists are capped so that a hostile page cannot make the report unbounded; caps are noted.
Given a deadline (a time.monotonic() instant), the work stops between steps once it has passed:
`TimeoutError`, never facts from a page analysed in part.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from trustscan.collect.crawl.css import (
    Matcher,
    StyleSheets,
    background_of,
    computed_style,
    declarations,
    hiding_reason,
    judge,
)
from trustscan.collect.crawl.lexicon import gambling_profile
from trustscan.collect.crawl.scripthtml import MAX_HTML, Written, written_html
from trustscan.collect.crawl.scripttype import script_type_runs
from trustscan.collect.crawl.signatures import match_script

MAX_LINKS, MAX_SCRIPTS, MAX_IFRAMES, MAX_FORMS, MAX_FIELDS, MAX_HIDDEN_BLOCKS = 300, 100, 50, 20, 50, 20
MAX_TEXT = 200  # characters of any text recorded as evidence
MAX_FORM_TEXT = 1000
MAX_SCRIPT_SCAN = 256 * 1024  # characters of one inline script searched for signatures
MAX_STYLESHEETS = 20  # <link rel=stylesheet> URLs recorded per page
MAX_STYLESHEET_TEXT = 512 * 1024  # characters of one fetched stylesheet read
MAX_HEADINGS, MAX_HTTP_RESOURCES, MAX_DATA_ATTRS = 20, 50, 8
_REGION_DEPTH = 40  # ancestors walked to place a link in the page's navigation, header or footer
_REGION_TAGS = {"nav": "nav", "footer": "footer", "header": "header"}
_REGION_ROLES = {"navigation": "nav", "contentinfo": "footer", "banner": "header"}
_REGION_WORDS = (("footer", "footer"), ("nav", "nav"), ("menu", "nav"), ("header", "header"))
# Elements that fetch a subresource, and the attribute naming it (Mixed Content §3, criterion c); frames,
# objects and embeds are in `iframes`, scripts in `scripts`.
_SUBRESOURCES = {"link": "href", "img": "src", "audio": "src", "video": "src", "source": "src", "track": "src",
                 "input": "src"}

# A rule in a <style> block is read as `selectors { declarations }` (comma lists allowed) with at most
# this many characters of each; the rule is found by scanning for braces, once (see _style_rules).
_MAX_SELECTORS, _MAX_DECLARATIONS = 500, 2000
_BRACE = re.compile(r"[{}]")
_MAX_STYLE = 200_000  # characters of one <style> block read
_REFRESH_URL = re.compile(r"""^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?["']?([^"']*)""", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def hiding_style(style: str) -> str | None:
    """Why an inline style hides its element from a visitor, or None (CSS 2.1 §9.2.4, §11.2; see css.py)."""
    return hiding_reason({name: value for name, (value, _) in declarations(style).items()})


def in_time(deadline: float) -> None:
    """Raise TimeoutError once `deadline` (time.monotonic()) has passed: the analysis must stop there."""
    if time.monotonic() >= deadline:
        raise TimeoutError("crawl deadline reached")


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
    if parsed.root is None:
        return {**_empty(), "fully_read": parsed.fully_read, "parse_notes": list(parsed.notes)}
    facts = extract_tree(parsed.root, base_url, deadline, stylesheets)
    facts["fully_read"] = parsed.fully_read
    facts["parse_notes"] = parsed.notes + facts["parse_notes"]
    return facts


def page_stylesheets(parsed: ParsedHtml, base_url: str) -> list[str]:
    """The URLs of a parsed page's `<link rel=stylesheet>` (resolved against its `<base href>`)."""
    return [] if parsed.root is None else stylesheet_urls(parsed.root, _base_url(parsed.root, base_url))


class ParsedHtml:
    """The parsed document (`root`, None when there is nothing to read), and how far the parser got."""

    __slots__ = ("root", "fully_read", "notes")

    def __init__(self, root: Any, fully_read: bool, notes: list[str]) -> None:
        self.root, self.fully_read, self.notes = root, fully_read, notes


# libxml2 reports the nesting limit (2048 with huge_tree) as a resource-limit error and stops there.
_STOPPED = ("Excessive depth", "Huge input lookup", "Memory allocation failed")


def parse_html(text: str) -> ParsedHtml:
    """Parse like a browser's tokenizer would; never raises (an unreadable page has `root` None)."""
    # Bytes with the encoding given: a <meta charset> or an <?xml encoding?> in the text must not be
    # obeyed a second time (the text is already decoded, see decode.py).
    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True, no_network=True, remove_pis=True)
    try:
        root = etree.fromstring(text.encode("utf-8", "replace"), parser)
    except (etree.LxmlError, ValueError) as exc:
        return ParsedHtml(None, False, [f"HTML could not be parsed: {type(exc).__name__}"])
    stopped = [entry for entry in parser.error_log if entry.message.startswith(_STOPPED)]
    if stopped:
        where = stopped[0]
        return ParsedHtml(root, False, [f"HTML parsing stopped at line {where.line}, column {where.column}: "
                                        f"{where.message.split(',')[0]}; the rest of the page was not read"])
    return ParsedHtml(root, True, [])


def visible_text(text: str) -> str:
    """The text a visitor can read: without scripts, styles, templates and comments, spaces collapsed."""
    root = parse_html(text).root
    if root is None:
        return ""
    return " ".join(" ".join(_strings(root, _INVISIBLE)).split())


def _strings(element: Any, skipped: frozenset[str], max_elements: float = math.inf) -> Iterator[str]:
    """The text inside `element` in document order, without comments and `skipped` elements' content.

    Iterative (a hostile page nests 2048 deep); stops after `max_elements` elements.
    """
    stack: list[tuple[Any, bool]] = [(element, False)]
    visited = 0
    while stack:
        node, done = stack.pop()
        if done:
            if node.tail and node is not element:
                yield node.tail
            continue
        visited += 1
        if visited > max_elements:
            return
        stack.append((node, True))
        if isinstance(node.tag, str) and node.tag not in skipped:
            if node.text:
                yield node.text
            stack.extend((child, False) for child in reversed(node))


_INVISIBLE = frozenset({"script", "style", "template"})


def _empty() -> dict[str, Any]:
    return {"title": None, "lang": None, "base_url": None, "headings": [], "stylesheets": [], "links": [],
            "scripts": [], "iframes": [], "forms": [], "meta_refresh": [], "meta_csp": [], "http_resources": [],
            "hidden_blocks": [], "parse_notes": []}


def extract_tree(root: Any, base_url: str, deadline: float = math.inf,
                 stylesheets: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """Facts from an already parsed document (`root` an lxml element: libxml2's tree or html5lib's)."""
    notes: list[str] = []
    in_time(deadline)
    base = _base_url(root, base_url)
    written = _insert_script_html(root, deadline)
    sheets, unread = _style_sheets(root, base, stylesheets or {}, deadline)
    hider = _Hider(sheets, background_known=not unread, deadline=deadline)
    notes += sheets.notes
    title_tag = _first(root, "title")
    facts = _empty()
    facts["title"] = _clip(_text(title_tag)) if title_tag is not None else None
    html_tag = root if root.tag == "html" else _first(root, "html")
    facts["lang"] = _clip(_attr(html_tag, "lang"), 35) if html_tag is not None else None
    facts["base_url"] = base if base != base_url else None
    facts["stylesheets"] = stylesheet_urls(root, base)
    facts["headings"] = [text for text in (_clip(_text(tag)) for tag in _limited(root.iter("h1", "h2", "h3"),
                                                                                  MAX_HEADINGS)) if text]

    facts["links"] = _capped(notes, "links", MAX_LINKS, (
        {"tag": tag.tag, "href": _clip(_attr(tag, "href")), "url": _resolve(base, _attr(tag, "href")),
         "text": _clip(_text(tag) or _attr(tag, "title") or _attr(tag, "alt")), "hidden": hider.reason(tag),
         "region": _region(tag), **(_written_by(tag) if written else {})}
        for tag in root.iter("a", "area") if _attr(tag, "href")
    ))
    in_time(deadline)
    facts["scripts"] = _capped(notes, "scripts", MAX_SCRIPTS, (_script(tag, base) for tag in root.iter("script")))
    in_time(deadline)
    facts["iframes"] = _capped(notes, "iframes", MAX_IFRAMES, (
        _frame(tag, base, hider) for tag in root.iter("iframe", "frame", "object", "embed")
    ))
    in_time(deadline)
    facts["forms"] = _capped(notes, "forms", MAX_FORMS, (_form(i, tag, base, hider)
                                                          for i, tag in enumerate(root.iter("form"))))
    in_time(deadline)
    facts["meta_refresh"] = [
        {"content": _clip(_attr(tag, "content")), "url": _refresh_target(base, _attr(tag, "content"))}
        for tag in root.iter("meta")
        if _attr(tag, "http-equiv").strip().lower() == "refresh"
    ][:10]
    facts["meta_csp"] = [_clip(_attr(tag, "content"), 300) for tag in root.iter("meta")
                         if _attr(tag, "http-equiv").strip().lower() == "content-security-policy"][:3]
    in_time(deadline)
    facts["http_resources"] = _capped(notes, "plain-HTTP subresources", MAX_HTTP_RESOURCES,
                                      _http_resources(root, base))
    in_time(deadline)
    body = _first(root, "body")
    facts["text_profile"] = gambling_profile(" ".join(_strings(root if body is None else body, _INVISIBLE)))
    in_time(deadline)
    facts["hidden_blocks"] = _capped(notes, "hidden blocks", MAX_HIDDEN_BLOCKS, (
        {"element": _describe(tag), "hidden": reason, "text": _clip(_text(tag, MAX_TEXT, 500)),
         "links": sum(1 for _ in tag.iter("a", "area"))}
        for tag, reason in hider.hidden_roots(root) if _text(tag, 1, 500)
    ))
    in_time(deadline)
    if hider.matcher.exhausted:
        notes.append("CSS selector matching budget spent: the rest matched on their last part only")
    facts["parse_notes"] = notes
    return facts


def _nearest(tag: Any, memo: dict[Any, Any], own: Callable[[Any], tuple[bool, Any]], default: Any) -> Any:
    """What the element or its nearest ancestor has (own(node) says whether it has it, and what),
    else `default`. Every element walked is remembered with the answer, so a page costs one walk per node."""
    chain: list[Any] = []
    node: Any = tag
    found = default
    while node is not None:
        if node in memo:
            found = memo[node]
            break
        has, value = own(node)
        if has:
            found = memo[node] = value
            break
        chain.append(node)
        node = node.getparent()
    for visited in chain:
        memo[visited] = found
    return found


class _Hider:
    """Answers "is this element hidden, and why?" with memos, walking ancestors iteratively."""

    def __init__(self, sheets: StyleSheets, background_known: bool = True, deadline: float = math.inf) -> None:
        self.sheets, self.deadline = sheets, deadline
        self.matcher = Matcher()
        # With a style sheet that could not be read, the page's background is unknown: text colour is
        # then judged only against a background set in what was read.
        self._default_background = "#ffffff" if background_known else None
        self._memo: dict[Any, str | None] = {}
        self._own: dict[Any, str | None] = {}
        self._styles: dict[Any, tuple[dict[str, str], dict[str, str]]] = {}
        self._backgrounds: dict[Any, str | None] = {}

    def style(self, tag: Any) -> tuple[dict[str, str], dict[str, str]]:
        """The element's computed declarations (the hiding-relevant ones) and where each came from."""
        known = self._styles.get(tag)
        if known is None:
            matched = self.matcher.matched_rules(self.sheets, tag)
            inline = declarations(_attr(tag, "style")) if tag.get("style") else {}
            if not matched and not inline and not _PRESENTATIONAL.intersection(tag.attrib):
                known = ({}, {})
            else:
                style, origin = computed_style(matched, inline)
                _presentational_hints(tag, style, origin)
                known = (style, origin)
            self._styles[tag] = known
        return known

    def background(self, tag: Any) -> str | None:
        """The colour behind the element: its own background or its nearest ancestor's."""

        def own(node: Any) -> tuple[bool, str | None]:
            colour = background_of(self.style(node)[0])
            return colour is not None, colour or None  # "" is an image or a colour not read: unknown

        return _nearest(tag, self._backgrounds, own, self._default_background)

    def own_reason(self, tag: Any) -> str | None:
        if tag in self._own:
            return self._own[tag]
        reason: str | None = None
        if tag.get("hidden") is not None:
            reason = "hidden attribute"
        elif tag.tag == "input" and _attr(tag, "type").lower() == "hidden":
            reason = "input type=hidden"
        else:
            style, origin = self.style(tag)
            if style:
                judged = judge(style, self.background(tag) if "color" in style else None)
                if judged:
                    where = origin.get(judged[1], "inline style")
                    reason = judged[0] if where == "inline style" else f"{judged[0]} ({where})"
        self._own[tag] = reason
        return reason

    def reason(self, tag: Any) -> str | None:
        """The reason for the element or its nearest hidden ancestor ("ancestor <div>: display:none")."""

        def own(node: Any) -> tuple[bool, str | None]:
            reason = self.own_reason(node)
            return bool(reason), reason if node is tag else f"ancestor {_describe(node)}: {reason}"

        return _nearest(tag, self._memo, own, None)

    def hidden_roots(self, root: Any) -> list[tuple[Any, str]]:
        """The outermost hidden elements of the body (not <script>, <style>, <template>, hidden inputs)."""
        roots = []
        for count, tag in enumerate(root.iter(etree.Element)):
            if count % 2000 == 1999:
                in_time(self.deadline)
            if not isinstance(tag.tag, str) or tag.tag in _NOT_CONTENT:
                continue
            own = self.own_reason(tag)
            parent = tag.getparent()
            if own and not (parent is not None and self.reason(parent)):
                roots.append((tag, own))
        return roots


_NOT_CONTENT = frozenset({"script", "style", "template", "noscript", "input", "head", "meta", "link", "title"})


# Marks the wrapper of the markup a script writes (an attribute no page uses): links inside say so.
WRITTEN_BY = "data-trustscan-written-by"


def _insert_script_html(root: Any, deadline: float) -> bool:
    """Put the HTML that inline scripts write where it would appear (scripthtml.py), wrapped in a <span>.

    document.write lands right after its script; innerHTML, jQuery .html()/.append() and
    insertAdjacentHTML land in (or beside) the element they name by id, else at the end of the body.
    """
    budget = MAX_HTML
    inserted = False
    body = _first(root, "body")
    by_id: dict[str, Any] | None = None
    for number, script in enumerate(list(root.iter("script")), start=1):
        if budget <= 0:
            break
        if script.get("src") or not script_type_runs(_attr(script, "type")):
            continue
        in_time(deadline)
        for written in written_html(_text_of(script)[:MAX_SCRIPT_SCAN], budget):
            budget -= len(written.html)
            fragment = parse_html("<body>" + written.html).root
            fragment_body = None if fragment is None else _first(fragment, "body")
            if fragment_body is None:
                continue
            wrapper = etree.Element("span")
            wrapper.set(WRITTEN_BY, f"{written.how} in inline <script> #{number}")
            wrapper.text = fragment_body.text
            wrapper.extend(list(fragment_body))
            if written.target_id is not None and by_id is None:
                by_id = {}
                for element in root.iter(etree.Element):
                    if element.get("id") and isinstance(element.tag, str):
                        by_id.setdefault(element.get("id"), element)
            target = (by_id or {}).get(written.target_id or "")
            _place(wrapper, written, script, target, body if body is not None else root)
            inserted = True
    return inserted


def _place(wrapper: Any, written: Written, script: Any, target: Any, body: Any) -> None:
    if written.how == "document.write":
        script.addnext(wrapper)
        return
    if target is None:
        body.append(wrapper)
        return
    position = written.position
    if written.how.endswith((".prepend()",)) or position == "afterbegin":
        target.insert(0, wrapper)
    elif written.how.endswith((".after()", ".replaceWith()")) or written.how == "outerHTML" or position == "afterend":
        target.addnext(wrapper)
    elif written.how.endswith(".before()") or position == "beforebegin":
        target.addprevious(wrapper)
    else:
        # innerHTML = / .html() replace the content, += / .append() / beforeend add to it: either way the
        # written markup ends up inside; what it replaces stays too (it was on the page before the script ran).
        target.append(wrapper)


def _written_by(tag: Any) -> dict[str, str]:
    """`{"written_by": "document.write in inline <script> #2"}` for markup a script writes, else {}."""
    for ancestor in tag.iterancestors("span"):
        how = ancestor.get(WRITTEN_BY)
        if how:
            return {"written_by": how}
    return {}


def stylesheet_urls(root: Any, base: str) -> list[str]:
    """The absolute URLs of the page's `<link rel=stylesheet>`, in document order (at most 20)."""
    urls = []
    for link in root.iter("link"):
        if "stylesheet" in _attr(link, "rel").lower().split() and link.get("href"):
            url = _resolve(base, _attr(link, "href"))
            if url and url not in urls:
                urls.append(url)
        if len(urls) == MAX_STYLESHEETS:
            break
    return urls


def _style_sheets(root: Any, base: str, fetched: Mapping[str, str | None],
                  deadline: float) -> tuple[StyleSheets, bool]:
    """The page's <style> blocks and fetched stylesheets, in document order; and whether one was not read."""
    sheets = StyleSheets()
    unread = False
    blocks = 0
    for element in root.iter("style", "link"):
        in_time(deadline)
        if element.tag == "style":
            blocks += 1
            if blocks <= 20:
                sheets.add("<style>", _style_rules(_on_screen(_without_comments(_text_of(element)[:_MAX_STYLE]))))
            continue
        if "stylesheet" not in _attr(element, "rel").lower().split() or not element.get("href"):
            continue
        url = _resolve(base, _attr(element, "href"))
        css = fetched.get(url or "")
        if css is None:
            unread = True
            continue
        sheets.add(url or "", _style_rules(_on_screen(_without_comments(css[:MAX_STYLESHEET_TEXT]))))
    return sheets, unread


# HTML presentational attributes that colour text or its background (HTML §15.3), still common on old sites.
_PRESENTATIONAL = frozenset({"color", "bgcolor"})


def _presentational_hints(tag: Any, style: dict[str, str], origin: dict[str, str]) -> None:
    """`<font color>` and `bgcolor=` count as declarations below every CSS rule (HTML §15.3.1)."""
    if tag.tag == "font" and tag.get("color") and "color" not in style:
        style["color"], origin["color"] = _attr(tag, "color").strip().lower(), "inline style"
    if tag.get("bgcolor") and "background-color" not in style and "background" not in style:
        style["background-color"], origin["background-color"] = _attr(tag, "bgcolor").strip().lower(), "inline style"


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


# `@media print { ... }` (or speech, or `not screen`): rules a visitor's screen never applies.
_OFF_SCREEN_MEDIA = re.compile(r"@media\s+(?:only\s+)?(?:print|speech|not\s+(?:all|screen))\b[^{;]{0,200}\{",
                               re.IGNORECASE)


def _on_screen(css: str) -> str:
    """The sheet without its print/speech-only `@media` blocks (`.menu{display:none}` when printing is common).

    One pass: each such block is skipped to its matching brace by counting braces.
    """
    kept: list[str] = []
    position = 0
    for match in _OFF_SCREEN_MEDIA.finditer(css):
        if match.start() < position:
            continue  # inside a block already skipped
        kept.append(css[position:match.start()])
        depth, index = 1, match.end()
        while depth and index < len(css):
            brace = _BRACE.search(css, index)
            if brace is None:
                index = len(css)
                break
            depth += 1 if brace.group() == "{" else -1
            index = brace.end()
        position = index
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


def _script(tag: Any, base: str) -> dict[str, Any]:
    src = _attr(tag, "src")
    body = "" if src else _text_of(tag)
    return {
        "src": _clip(src) if src else None,
        "url": _resolve(base, src) if src else None,
        "type": _clip(_attr(tag, "type"), 60) or None,
        "inline_size": len(body.encode("utf-8", "replace")),
        "integrity": _clip(_attr(tag, "integrity"), 120) or None,
        "crossorigin": _clip(_attr(tag, "crossorigin"), 40) or None,
        "signals": match_script(body[:MAX_SCRIPT_SCAN], src or ""),
        # data-* attributes and classes, where consent managers mark a script held back until consent.
        "attrs": _data_attrs(tag),
    }


def _frame(tag: Any, base: str, hider: _Hider) -> dict[str, Any]:
    """A frame or plugin element: where it loads from (`data` for <object>), its size and hiding."""
    src = _attr(tag, "data" if tag.tag == "object" else "src")
    return {"tag": tag.tag, "src": _clip(src), "url": _resolve(base, src), "hidden": hider.reason(tag),
            "width": _clip(_attr(tag, "width"), 20), "height": _clip(_attr(tag, "height"), 20),
            "style": _clip(_attr(tag, "style"), 120)}


def _form(index: int, tag: Any, base: str, hider: _Hider) -> dict[str, Any]:
    action = _attr(tag, "action")
    fields = []
    for field in _limited(tag.iter("input", "select", "textarea"), MAX_FIELDS):
        label = _label_for(tag, field)
        fields.append({
            "tag": field.tag,
            "name": _clip(_attr(field, "name"), 80),
            "type": (_attr(field, "type").lower() or "text") if field.tag == "input" else field.tag,
            "id": _clip(_attr(field, "id"), 80),
            "placeholder": _clip(_attr(field, "placeholder"), 80),
            "autocomplete": _clip(_attr(field, "autocomplete"), 40),
            "label": _clip(label, 120),
            # What makes a consent control affirmative or not (Decree 13/2023/ND-CP Art. 11).
            "checked": field.get("checked") is not None or field.get("selected") is not None,
            "required": field.get("required") is not None or _attr(field, "aria-required").strip().lower() == "true",
            "disabled": field.get("disabled") is not None or field.get("readonly") is not None,
            "hidden": hider.reason(field),
            "value": _clip(_attr(field, "value"), 40),
        })
    links = [{"url": _resolve(base, _attr(a, "href")), "text": _clip(_text(a))}
             for a in _limited((a for a in tag.iter("a") if _attr(a, "href")), 20)]
    return {
        "index": index,
        # Named by id/class when it has them, else by position: `form#contact`, `form #2`.
        "element": _describe(tag) if _describe(tag) != "form" else f"form #{index + 1}",
        "action": _clip(action) if action else None,
        "action_url": _resolve(base, action) if action else base,
        "method": (_attr(tag, "method").strip().lower() or "get")[:10],
        "fields": fields,
        "links": links,
        # A submit button's formaction overrides the form's action (HTML §4.10.18.6): where data goes too.
        "submit_urls": [url for url in (_resolve(base, _attr(button, "formaction")) for button in _limited(
            (b for b in tag.iter("button", "input") if _attr(b, "formaction")), 10)) if url],
        "text": _clip(_text(tag, MAX_FORM_TEXT, 2000), MAX_FORM_TEXT),
        "hidden": hider.reason(tag),
    }


def _region(tag: Any) -> str | None:
    """"nav", "header" or "footer" when the link sits in the page's navigation, header or footer."""
    for depth, node in enumerate(tag.iterancestors()):
        if depth >= _REGION_DEPTH or node.tag in ("body", "html"):
            return None
        region = _REGION_TAGS.get(node.tag) or _REGION_ROLES.get(_attr(node, "role").strip().lower())
        if region:
            return region
        names = f"{_attr(node, 'id')} {_attr(node, 'class')}".lower()
        for word, found in _REGION_WORDS:
            if word in names:
                return found
    return None


def _data_attrs(tag: Any) -> dict[str, str]:
    """The element's class and data-* attributes (a few, clipped)."""
    found = {str(name): _clip(str(value), 60) for name, value in tag.attrib.items()
             if name == "class" or str(name).startswith("data-")}
    return dict(list(found.items())[:MAX_DATA_ATTRS])


def _http_resources(root: Any, base: str) -> Iterator[dict[str, Any]]:
    """Subresources (not scripts, frames or objects, listed apart) the page asks for over plain http://."""
    for tag in root.iter(*_SUBRESOURCES):
        if tag.tag == "link" and not _attr(tag, "rel").strip():
            continue
        if tag.tag == "input" and _attr(tag, "type").strip().lower() != "image":
            continue
        url = _resolve(base, _attr(tag, _SUBRESOURCES[tag.tag]))
        if url and url.lower().startswith("http:"):
            yield {"tag": tag.tag, "rel": _clip(_attr(tag, "rel"), 40) or None, "url": url}


def _label_for(form: Any, field: Any) -> str:
    """The text of the field's <label> (wrapping it or `for=` its id)."""
    for ancestor in field.iterancestors("label"):
        return _text(ancestor)
    field_id = _attr(field, "id")
    if field_id:
        for label in form.iter("label"):
            if _attr(label, "for") == field_id:
                return _text(label)
    return ""


def _base_url(root: Any, page_url: str) -> str:
    base = next((tag for tag in root.iter("base") if tag.get("href") is not None), None)
    href = _attr(base, "href")
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
    """An attribute as a string; "" when absent (or when there is no element)."""
    if tag is None:
        return ""
    value = tag.get(name)
    return "" if value is None else str(value)


def _first(root: Any, name: str) -> Any:
    return next(root.iter(name), None)


def _limited(items: Iterable[Any], cap: int) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if len(out) == cap:
            break
        out.append(item)
    return out


def _text_of(tag: Any) -> str:
    """All the text inside an element, as written (comments excluded)."""
    return "".join(tag.itertext())


def _text(tag: Any, limit: int = MAX_TEXT, max_elements: int = 50) -> str:
    """The element's text, spaces collapsed, from at most `max_elements` elements and `limit` characters.

    Bounded because links and forms left open nest every later element inside them: reading each
    one's whole subtree would be quadratic on a hostile page.
    """
    parts: list[str] = []
    size = 0
    for piece in _strings(tag, _INVISIBLE, max_elements):
        parts.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return _SPACE.sub(" ", " ".join(parts)).strip()[:limit]



def _clip(text: str | None, limit: int = MAX_TEXT) -> str:
    text = _SPACE.sub(" ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(tag: Any) -> str:
    """`<div id="x" class="a b">` as a short selector-like name: div#x.a.b."""
    name = tag.tag if isinstance(tag.tag, str) else "?"
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
