"""Whether a visitor can see an element of the page, and if not, why (criterion đ's hidden spam).

Injected gambling links on .gov.vn/.edu.vn sites are hidden with inline styles (`display:none`,
`position:absolute;left:-9999px`, `font-size:0`), the `hidden` attribute, a hidden ancestor, or a
class or id hidden by a rule in the page's `<style>` blocks or its stylesheets. What CSS hides and
how rules cascade is css.py; this module applies it to the tree. It gathers the page's style sheets
in document order (bounded in count and size), adds the presentational hints old sites still use
(`<font color>`, `bgcolor`), and answers for each element with memos and one iterative ancestor
walk per element, since a hostile page nests 2048 deep. When a stylesheet could not be read, the
page's background is unknown: text colour is then judged only against backgrounds that were read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from trustscan.collect.crawl.css import (
    Matcher,
    StyleSheets,
    background_of,
    computed_style,
    declarations,
    judge,
    on_screen,
    style_rules,
    without_comments,
)
from trustscan.collect.crawl.deadline import in_time
from trustscan.collect.crawl.parse import attr, describe, resolve, text_of
from trustscan.core.wordings import Wording

MAX_STYLESHEETS = 20  # <link rel=stylesheet> URLs recorded per page
MAX_STYLESHEET_TEXT = 512 * 1024  # characters of one fetched stylesheet read
_MAX_STYLE = 200_000  # characters of one <style> block read


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


class Hider:
    """Answers "is this element hidden, and why?" with memos, walking ancestors iteratively."""

    def __init__(self, sheets: StyleSheets, background_known: bool = True, deadline: float = math.inf) -> None:
        self.sheets, self.deadline = sheets, deadline
        self.matcher = Matcher()
        # With a style sheet that could not be read, the page's background is unknown: text colour is
        # then judged only against a background set in what was read.
        self._default_background = "#ffffff" if background_known else None
        self._memo: dict[Any, Wording | None] = {}
        self._own: dict[Any, Wording | None] = {}
        self._styles: dict[Any, tuple[dict[str, str], dict[str, Wording | None]]] = {}
        self._backgrounds: dict[Any, str | None] = {}

    def style(self, tag: Any) -> tuple[dict[str, str], dict[str, Wording | None]]:
        """The element's computed declarations (the hiding-relevant ones) and where each came from."""
        known = self._styles.get(tag)
        if known is None:
            matched = self.matcher.matched_rules(self.sheets, tag)
            inline = declarations(attr(tag, "style")) if tag.get("style") else {}
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

    def own_reason(self, tag: Any) -> Wording | None:
        if tag in self._own:
            return self._own[tag]
        reason: Wording | None = None
        if tag.get("hidden") is not None:
            reason = Wording("hiding.attribute")
        elif tag.tag == "input" and attr(tag, "type").lower() == "hidden":
            reason = Wording("hiding.input_hidden")
        else:
            style, origin = self.style(tag)
            if style:
                judged = judge(style, self.background(tag) if "color" in style else None)
                if judged:
                    where = origin.get(judged[1])  # None: the element's own style, said without a source
                    reason = judged[0] if where is None else Wording("hiding.where", {"how": judged[0],
                                                                                      "where": where})
        self._own[tag] = reason
        return reason

    def reason(self, tag: Any) -> Wording | None:
        """The reason for the element or its nearest hidden ancestor ("ancestor <div>: display:none")."""

        def own(node: Any) -> tuple[bool, Wording | None]:
            reason = self.own_reason(node)
            if reason is None or node is tag:
                return reason is not None, reason
            return True, Wording("hiding.ancestor", {"element": describe(node), "how": reason})

        return _nearest(tag, self._memo, own, None)

    def hidden_roots(self, root: Any) -> list[tuple[Any, Wording]]:
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


def stylesheet_urls(root: Any, base: str) -> list[str]:
    """The absolute URLs of the page's `<link rel=stylesheet>`, in document order (at most 20)."""
    urls = []
    for link in root.iter("link"):
        if "stylesheet" in attr(link, "rel").lower().split() and link.get("href"):
            url = resolve(base, attr(link, "href"))
            if url and url not in urls:
                urls.append(url)
        if len(urls) == MAX_STYLESHEETS:
            break
    return urls


def style_sheets(root: Any, base: str, fetched: Mapping[str, str | None],
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
                sheets.add("<style>", style_rules(on_screen(without_comments(text_of(element)[:_MAX_STYLE]))))
            continue
        if "stylesheet" not in attr(element, "rel").lower().split() or not element.get("href"):
            continue
        url = resolve(base, attr(element, "href"))
        css = fetched.get(url or "")
        if css is None:
            unread = True
            continue
        sheets.add(url or "", style_rules(on_screen(without_comments(css[:MAX_STYLESHEET_TEXT]))))
    return sheets, unread


# HTML presentational attributes that colour text or its background (HTML §15.3), still common on old sites.
_PRESENTATIONAL = frozenset({"color", "bgcolor"})


def _presentational_hints(tag: Any, style: dict[str, str], origin: dict[str, Wording | None]) -> None:
    """`<font color>` and `bgcolor=` count as declarations below every CSS rule (HTML §15.3.1)."""
    if tag.tag == "font" and tag.get("color") and "color" not in style:
        style["color"], origin["color"] = attr(tag, "color").strip().lower(), None
    if tag.get("bgcolor") and "background-color" not in style and "background" not in style:
        style["background-color"], origin["background-color"] = attr(tag, "bgcolor").strip().lower(), None


def hidden_fields(reason: Wording | None) -> dict[str, Any]:
    """An element's `hidden` in English (what the analyses and rules read), and `hidden_wording` beside it
    when it is hidden, so every output says why in its own language."""
    if reason is None:
        return {"hidden": None}
    return {"hidden": reason.english(), "hidden_wording": reason.to_json()}


def hidden_how(element: Mapping[str, Any]) -> Wording | str | None:
    """Why an extracted element is hidden: its Wording, or its English text when it has none (a kept page)."""
    return Wording.from_json(element.get("hidden_wording")) or element.get("hidden")
