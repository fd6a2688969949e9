"""Which CSS hides an element from a visitor: declarations, rules, selectors and a small cascade.

Injected spam on compromised sites is hidden by CSS: inline `style=`, a class or id styled in the
page's `<style>` blocks or in one of the site's stylesheets. The tricks (CSS 2.1 §9.2.4, §11, CSS
Color 4): `display:none`, `visibility:hidden`, off-screen positioning (`left:-9999px`, a negative
`text-indent`, `transform:translate(-9999px)`), zero size or a 1px box with `overflow:hidden`,
`font-size:0`, `clip:rect(0 0 0 0)` / `clip-path:inset(50%)`, `opacity:0`, and text coloured like its
background.

What is read, and the limits (documented in README): selectors made of type, `.class`, `#id` and
`*` compounds joined by descendant or child combinators (at most `MAX_COMPOUNDS`); selectors with
attribute tests, pseudo-classes or sibling combinators are not matched (`:hover` menus stay as
styled before hover). A sheet's text is read without comments and without its print, speech and
`not screen` `@media` blocks; every other `@media` block applies (the desktop view). The cascade
orders matched rules by `!important`, specificity, then source order, and inline styles last. Every
step is linear in its input: comments, blocks and rules are found in one scan for their delimiters,
declarations are split, never backtracked over, and selector matching has a step budget past
which a selector is matched on its last compound alone (it then errs toward "hidden", never toward
missing what is hidden).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from trustscan.core.wordings import Wording

MAX_RULES = 5000  # rules with a hiding-relevant property kept per page (all sheets together)
MAX_COMPOUNDS = 6
MAX_SELECTOR = 300
MAX_VALUE = 120  # a longer value of a hiding property is not one of the tricks
MATCH_BUDGET = 200_000  # rules tried plus ancestor steps spent matching selectors on one page

# The properties the judgement reads; a rule with none of them cannot hide or reveal anything.
RELEVANT = frozenset({
    "display", "visibility", "font-size", "opacity", "left", "top", "right", "bottom", "text-indent",
    "margin-left", "margin-top", "width", "height", "max-width", "max-height", "overflow", "overflow-x",
    "overflow-y", "clip", "clip-path", "color", "background", "background-color", "position", "transform",
})
# A declaration of one of those properties, at the start of the block or after a `;`.
_DECLARATION = re.compile(r"(?:^|;)\s*(" + "|".join(sorted(RELEVANT, key=len, reverse=True)) + r")\s*:([^;]*)",
                          re.IGNORECASE)
_OFFSETS = ("left", "top", "right", "bottom", "text-indent", "margin-left", "margin-top")
# Far enough off-screen that no layout brings it back: 500px, 50em, 100%.
_FAR = {"px": 500.0, "pt": 400.0, "em": 50.0, "rem": 50.0, "%": 100.0, "vw": 100.0, "vh": 100.0, "cm": 13.0,
        "mm": 130.0, "in": 5.0}
_LENGTH = re.compile(r"(-?\d{1,9}(?:\.\d+)?|-?\.\d+)(px|pt|em|rem|%|vw|vh|cm|mm|in)?")
_IMPORTANT = re.compile(r"!\s*important\s*$", re.IGNORECASE)
_ZERO = re.compile(r"[-+]?0*\.?0+(?:px|pt|em|rem|%|vw|vh)?")
_TRANSLATE = re.compile(r"translate(?:x|y|3d)?\(\s*(-?\d{1,9}(?:\.\d+)?)(px|em|rem|%|vw|vh)?", re.IGNORECASE)
_RECT_ZERO = re.compile(r"rect\(\s*[01](?:px)?\s*,?\s*[01](?:px)?\s*,?\s*[01](?:px)?\s*,?\s*[01](?:px)?\s*\)")
_CLIP_PATH_HIDDEN = re.compile(r"inset\(\s*(?:50|[5-9]\d|100)%\s*\)|circle\(\s*0(?:px|%)?\s*\)")
_COMPOUND = re.compile(r"(\*|[a-zA-Z][a-zA-Z0-9-]*)?((?:[.#][A-Za-z_\-][\w-]*)*)")
_SIMPLE_PART = re.compile(r"([.#])([\w-]+)")
_UNSUPPORTED = re.compile(r"[\[:+~()\\@\"']")


# --- declarations and the judgement -----------------------------------------------------------------


def declarations(text: str) -> dict[str, tuple[str, bool]]:
    """`prop: value` pairs of a declaration block: property -> (value, !important); the last one wins.

    Only the properties the judgement reads are picked out, by one linear scan in C: a block of a
    million junk declarations costs no Python object per declaration.
    """
    found: dict[str, tuple[str, bool]] = {}
    for match in _DECLARATION.finditer(text):
        value = match.group(2).strip()
        if len(value) > MAX_VALUE + 20:
            continue
        important = bool(_IMPORTANT.search(value))
        if important:
            value = _IMPORTANT.sub("", value).strip()
        found[match.group(1).lower()] = (value.lower(), important)
    return found


def hiding_reason(style: dict[str, str], background: str | None = None) -> str | None:
    """Why computed declarations (property -> value) hide an element's content, or None.

    `background` is the colour behind the element (its own or its nearest ancestor's), when known.
    """
    judged = judge(style, background)
    return judged[0].english() if judged else None


def hiding_style(style: str) -> str | None:
    """Why an inline style hides its element from a visitor, or None (CSS 2.1 §9.2.4, §11.2)."""
    return hiding_reason({name: value for name, (value, _) in declarations(style).items()})


def _declared(text: str) -> Wording:
    return Wording("hiding.declaration", {"declaration": text})  # CSS as written: the same in every language


def judge(style: dict[str, str], background: str | None = None) -> tuple[Wording, str] | None:
    """(why the declarations hide the element, the property that does it), or None.

    The why is a Wording (message `hiding.*`): the report keeps its English and says it in any language.
    """
    value = style.get
    if value("display") == "none":
        return _declared("display:none"), "display"
    if value("visibility") in ("hidden", "collapse"):
        return _declared("visibility:hidden"), "visibility"
    if _is_zero(value("font-size")):
        return _declared("font-size:0"), "font-size"
    opacity = _number(value("opacity"))
    if opacity is not None and opacity <= 0.05:
        return _declared("opacity:0" if opacity == 0 else f"opacity:{value('opacity')}"), "opacity"
    for name in _OFFSETS:
        far = _far_negative(value(name))
        if far:
            return Wording("hiding.off_screen", {"declaration": f"{name}:{far}"}), name
    translated = _TRANSLATE.search(value("transform") or "")
    if translated:
        far = _far_negative(translated.group(1) + (translated.group(2) or "px"))
        if far:
            return Wording("hiding.off_screen", {"declaration": f"transform:translate({far})"}), "transform"
    if any(value(name) == "hidden" for name in ("overflow", "overflow-x", "overflow-y")):
        for name in ("width", "height", "max-width", "max-height"):
            size = value(name)
            if _is_zero(size):
                return Wording("hiding.zero_size"), name
            if size and _tiny(size):
                return Wording("hiding.tiny_box", {"declaration": f"{name}:{size}"}), name
    if value("position") in ("absolute", "fixed") and _RECT_ZERO.fullmatch(value("clip") or ""):
        return _declared(f"clip:{value('clip')}"), "clip"
    if _CLIP_PATH_HIDDEN.fullmatch(value("clip-path") or ""):
        return _declared(f"clip-path:{value('clip-path')}"), "clip-path"
    colour = colour_of(value("color"))
    if colour == "transparent":
        return _declared("color:transparent"), "color"
    if colour and background and colour == background:
        return Wording("hiding.same_colour", {"colour": colour, "background": background}), "color"
    return None


def background_of(style: dict[str, str]) -> str | None:
    """The background colour the declarations set, "" when they set one that is not a plain colour."""
    for name in ("background-color", "background"):
        raw = style.get(name)
        if raw is None:
            continue
        if "url(" in raw or "gradient" in raw:
            return ""  # an image: the text's contrast cannot be told from the CSS
        colour = colour_of(raw.split()[-1] if name == "background" and raw.split() else raw)
        return colour if colour and colour != "transparent" else ("" if colour is None else None)
    return None


_NAMED = {"white": "#ffffff", "black": "#000000", "red": "#ff0000", "green": "#008000", "blue": "#0000ff",
          "yellow": "#ffff00", "gray": "#808080", "grey": "#808080", "silver": "#c0c0c0", "navy": "#000080",
          "orange": "#ffa500", "transparent": "transparent", "snow": "#fffafa", "whitesmoke": "#f5f5f5",
          "ivory": "#fffff0"}
_HEX = re.compile(r"#([0-9a-f]{3,8})")
_RGB = re.compile(r"rgba?\(\s*(\d{1,3})\s*[, ]\s*(\d{1,3})\s*[, ]\s*(\d{1,3})\s*(?:[,/]\s*([\d.]+%?)\s*)?\)")


def colour_of(value: str | None) -> str | None:
    """A CSS colour as #rrggbb (or "transparent"); None when not a colour this reads."""
    if not value:
        return None
    value = value.strip()
    if value in _NAMED:
        return _NAMED[value]
    hexa = _HEX.fullmatch(value)
    if hexa:
        digits = hexa.group(1)
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        if len(digits) == 8 and digits[6:] == "00":
            return "transparent"
        return "#" + digits[:6] if len(digits) in (6, 8) else None
    rgb = _RGB.fullmatch(value)
    if rgb:
        alpha = rgb.group(4)
        if alpha is not None and _number(alpha.rstrip("%")) == 0:
            return "transparent"
        return "#" + "".join(f"{min(int(part), 255):02x}" for part in rgb.groups()[:3])
    return None


def _is_zero(value: str | None) -> bool:
    return bool(value) and bool(_ZERO.fullmatch(value or ""))


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value and len(value) < 20 else None
    except ValueError:
        return None


def _tiny(value: str) -> bool:
    length = _LENGTH.fullmatch(value)
    if not length or (length.group(2) or "px") != "px":
        return False
    return 0 <= float(length.group(1)) <= 1


def _far_negative(value: str | None) -> str | None:
    length = _LENGTH.fullmatch(value or "")
    if not length:
        return None
    amount, unit = float(length.group(1)), length.group(2) or "px"
    return f"{length.group(1)}{unit}" if amount <= -_FAR[unit] else None


# --- style sheet text: comments, print-only blocks, rules -------------------------------------------


# A rule of a style sheet is read as `selectors { declarations }` (comma lists allowed) with at most
# this many characters of each; the rule is found by scanning for braces, once (see style_rules).
_MAX_RULE_SELECTORS, _MAX_RULE_BLOCK = 500, 2000
_BRACE = re.compile(r"[{}]")


def without_comments(css: str) -> str:
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


def on_screen(css: str) -> str:
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


def style_rules(css: str) -> list[tuple[str, str]]:
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
            if css[close] == "}" and close - brace - 1 <= _MAX_RULE_BLOCK:
                rules.append((css[max(previous + 1, brace - _MAX_RULE_SELECTORS):brace], css[brace + 1:close]))
        previous = brace
    return rules


# --- style sheets: rules, selectors, matching --------------------------------------------------------


@dataclass(frozen=True)
class Compound:
    tag: str | None
    element_id: str | None
    classes: tuple[str, ...]

    def matches(self, element: Any) -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        if self.element_id is not None and element.get("id") != self.element_id:
            return False
        if self.classes:
            have = (element.get("class") or "").split()
            return all(name in have for name in self.classes)
        return True


@dataclass(frozen=True)
class Selector:
    text: str
    compounds: tuple[Compound, ...]  # left to right
    combinators: tuple[str, ...]  # between compounds: " " (descendant) or ">" (child)
    specificity: tuple[int, int, int]


@dataclass
class Rule:
    selector: Selector
    style: dict[str, tuple[str, bool]]
    source: str  # "<style>" or the stylesheet's URL
    order: int
    hides: bool = False  # its declarations alone hide what it matches


@dataclass
class StyleSheets:
    """The hiding-relevant rules of a page's style sheets, indexed by their last compound's key."""

    rules: list[Rule] = field(default_factory=list)
    index: dict[str, list[Rule]] = field(default_factory=dict)
    notes: list[Wording] = field(default_factory=list)

    def add(self, source: str, rules: Iterable[tuple[str, str]]) -> None:
        for selectors, block in rules:
            style = declarations(block)
            if not style:
                continue
            for text in selectors.split(","):
                selector = parse_selector(text)
                if selector is None:
                    continue
                if len(self.rules) >= MAX_RULES:
                    self.notes.append(Wording("parse.css_rules_capped", {"count": MAX_RULES}))
                    return
                hides = judge({name: value for name, (value, _) in style.items()}) is not None
                rule = Rule(selector, style, source, len(self.rules), hides)
                self.rules.append(rule)
                self.index.setdefault(_key(selector.compounds[-1]), []).append(rule)

    def candidates(self, element: Any) -> Iterator[Rule]:
        index = self.index
        if not index:
            return
        element_id = element.get("id")
        if element_id:
            yield from index.get("#" + element_id, ())
        for name in dict.fromkeys((element.get("class") or "").split()):
            yield from index.get("." + name, ())
        yield from index.get(element.tag, ())
        yield from index.get("*", ())


def parse_selector(text: str) -> Selector | None:
    """A selector of type/.class/#id/* compounds with descendant or child combinators, or None."""
    text = text.strip()
    if not text or len(text) > MAX_SELECTOR or _UNSUPPORTED.search(text):
        return None
    tokens = text.replace(">", " > ").split()
    compounds: list[Compound] = []
    combinators: list[str] = []
    pending = " "
    for token in tokens:
        if token == ">":
            if not compounds or pending == ">":
                return None
            pending = ">"
            continue
        match = _COMPOUND.fullmatch(token)
        if not match or not token:
            return None
        tag = match.group(1)
        parts = _SIMPLE_PART.findall(match.group(2) or "")
        ids = [name for kind, name in parts if kind == "#"]
        if len(ids) > 1:
            return None
        compound = Compound(None if tag in (None, "*") else tag.lower(), ids[0] if ids else None,
                            tuple(name for kind, name in parts if kind == "."))
        if compounds:
            combinators.append(pending)
        compounds.append(compound)
        pending = " "
    if not compounds or pending == ">" or len(compounds) > MAX_COMPOUNDS:
        return None
    specificity = (sum(c.element_id is not None for c in compounds), sum(len(c.classes) for c in compounds),
                   sum(c.tag is not None for c in compounds))
    return Selector(text, tuple(compounds), tuple(combinators), specificity)


def _key(compound: Compound) -> str:
    if compound.element_id:
        return "#" + compound.element_id
    if compound.classes:
        return "." + compound.classes[0]
    return compound.tag or "*"


class Matcher:
    """Matches selectors right to left on an lxml tree, within a step budget for the whole page.

    Every rule tried and every ancestor visited costs a step. Once the budget is spent, an element
    takes the first hiding rule filed under its id, classes or tag without any further test: the
    analysis errs toward "hidden" (more to judge), never toward missing a hiding rule.
    """

    def __init__(self, budget: int = MATCH_BUDGET) -> None:
        self.budget = budget
        self.exhausted = False

    def matched_rules(self, sheets: StyleSheets, element: Any) -> list[Rule]:
        """The rules of `sheets` whose selector matches `element` (unique, in no particular order)."""
        if not sheets.index:
            return []
        if self.exhausted:
            first = next((rule for rule in sheets.candidates(element) if rule.hides), None)
            return [first] if first else []
        matched: dict[int, Rule] = {}
        for rule in sheets.candidates(element):
            self.budget -= 1
            if self.budget <= 0:
                self.exhausted = True
                return self.matched_rules(sheets, element)
            if id(rule) not in matched and self.matches(rule.selector, element):
                matched[id(rule)] = rule
        return list(matched.values())

    def matches(self, selector: Selector, element: Any) -> bool:
        compounds, combinators = selector.compounds, selector.combinators
        if not compounds[-1].matches(element):
            return False
        return self._ancestors_match(compounds, combinators, len(compounds) - 2, element)

    def _ancestors_match(self, compounds: tuple[Compound, ...], combinators: tuple[str, ...], index: int,
                         element: Any) -> bool:
        # Greedy right-to-left (as browsers do for descendant chains), iterative: a page nests deep.
        node = element
        while index >= 0:
            combinator = combinators[index]
            node = node.getparent()
            if combinator == ">":
                self.budget -= 1
                if node is None or not compounds[index].matches(node):
                    return self._out_of_budget()
            else:
                while node is not None and not compounds[index].matches(node):
                    self.budget -= 1
                    if self.budget <= 0:
                        return self._out_of_budget()
                    node = node.getparent()
                if node is None:
                    return False
            index -= 1
        return True

    def _out_of_budget(self) -> bool:
        # Past the budget a selector counts as matching on its last compound: err toward "hidden".
        if self.budget <= 0:
            self.exhausted = True
            return True
        return False


def computed_style(matched: list[Rule],
                   inline: dict[str, tuple[str, bool]]) -> tuple[dict[str, str], dict[str, Wording | None]]:
    """The cascade of the matched rules and the inline style: property -> value, and -> where it came from
    (a `hiding.css_rule` Wording, None for the element's own style).

    Lowest to highest: rules (by specificity, then source order), the inline style, then the same two
    again for `!important` declarations (CSS Cascade 4 §6.1, author origin only).
    """
    ordered = sorted(matched, key=lambda rule: (rule.selector.specificity, rule.order))
    style: dict[str, str] = {}
    origin: dict[str, Wording | None] = {}
    for important in (False, True):
        for rule in ordered:
            for name, (value, flag) in rule.style.items():
                if flag is important:
                    style[name], origin[name] = value, Wording("hiding.css_rule", {
                        "selector": rule.selector.text, "source": rule.source})
        for name, (value, flag) in inline.items():
            if flag is important:
                style[name], origin[name] = value, None
    return style, origin
