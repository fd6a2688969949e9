"""The page as a tree: parsed as a browser parses it, and read without trusting it.

libxml2 (through lxml) tokenizes by the HTML5 standard (since libxml2 2.14), so a `<title>`,
`<textarea>` or comment left open swallows the rest of the page as it does in a browser, and it runs
in linear time on hostile markup (the stdlib `html.parser` took 22 s on 100 kB of `<a x="`, and one
parse call cannot be interrupted; see bench/bench_parse.py). libxml2 stops building the tree at 2048
levels of nesting; a page it could not read to the end is not `fully_read`, so that nothing it may
hide can pass (criterion đ says error).

The readers below are shared by hiding.py, scriptplacement.py and extract.py so that the tree is
read with the same bounds everywhere: text is walked iteratively (a hostile page nests 2048 deep)
over a bounded number of elements and clipped to what evidence needs, an attribute is always a
string, and an href that is not a well-formed URL resolves to None.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from trustscan.core.wordings import Wording

_SPACE = re.compile(r"\s+")
MAX_TEXT = 200  # characters of any text recorded as evidence


class ParsedHtml:
    """The parsed document (`root`, None when there is nothing to read), and how far the parser got.

    `stop` says why a page was not read to its end (the English of it is the note), as a Wording.
    """

    __slots__ = ("root", "fully_read", "notes", "stop")

    def __init__(self, root: Any, fully_read: bool, notes: list[Wording], stop: Wording | None = None) -> None:
        self.root, self.fully_read, self.notes, self.stop = root, fully_read, notes, stop


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
        unparsable = Wording("error.page.unparsable", {"kind": type(exc).__name__})
        return ParsedHtml(None, False, [unparsable], unparsable)
    stopped = [entry for entry in parser.error_log if entry.message.startswith(_STOPPED)]
    if stopped:
        where = stopped[0]
        stop = Wording("error.page.parser_stopped", {"line": where.line, "column": where.column,
                                                     "detail": where.message.split(",")[0]})
        return ParsedHtml(root, False, [stop], stop)
    return ParsedHtml(root, True, [])


def visible_text(text: str) -> str:
    """The text a visitor can read: without scripts, styles, templates and comments, spaces collapsed."""
    root = parse_html(text).root
    if root is None:
        return ""
    return " ".join(" ".join(strings(root, INVISIBLE)).split())


def strings(element: Any, skipped: frozenset[str], max_elements: float = math.inf) -> Iterator[str]:
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


INVISIBLE = frozenset({"script", "style", "template"})


def resolve(base: str, href: str) -> str | None:
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


def attr(tag: Any, name: str) -> str:
    """An attribute as a string; "" when absent (or when there is no element)."""
    if tag is None:
        return ""
    value = tag.get(name)
    return "" if value is None else str(value)


def first(root: Any, name: str) -> Any:
    return next(root.iter(name), None)


def text_of(tag: Any) -> str:
    """All the text inside an element, as written (comments excluded)."""
    return "".join(tag.itertext())


def bounded_text(tag: Any, limit: int = MAX_TEXT, max_elements: int = 50) -> str:
    """The element's text, spaces collapsed, from at most `max_elements` elements and `limit` characters.

    Bounded because links and forms left open nest every later element inside them: reading each
    one's whole subtree would be quadratic on a hostile page.
    """
    parts: list[str] = []
    size = 0
    for piece in strings(tag, INVISIBLE, max_elements):
        parts.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return _SPACE.sub(" ", " ".join(parts)).strip()[:limit]


def clip(text: str | None, limit: int = MAX_TEXT) -> str:
    text = _SPACE.sub(" ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(tag: Any) -> str:
    """`<div id="x" class="a b">` as a short selector-like name: div#x.a.b."""
    name = tag.tag if isinstance(tag.tag, str) else "?"
    element_id = attr(tag, "id")
    classes = attr(tag, "class").split()[:3]
    return clip(name + (f"#{element_id}" if element_id else "") + "".join(f".{c}" for c in classes), 80)
