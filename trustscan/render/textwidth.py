"""Width of a line of badge text, so an SVG badge is sized from its words and not guessed.

Widths are Verdana at 11 px (the badge font; shields.io measures the same font), rounded to 0.1 px.
Vietnamese letters are measured by their base letter: Unicode NFD splits "ệ" into "e" + U+0323 +
U+0302, and combining marks take no horizontal space. "đ"/"Đ" have no decomposition and are listed.
The SVG also sets `textLength`, so a fallback font is stretched to the computed width.
"""

from __future__ import annotations

import unicodedata
from types import MappingProxyType

__all__ = ["text_width"]

_ROWS = {
    3.0: "ijl|'",
    3.5: ".,;·!",
    3.9: " ",
    3.8: "fI",  # I is 4.6 in Verdana, kept tighter on purpose: capitals are rare in badge text
    4.3: "t",
    4.6: ":",
    4.7: "r()[]{}",
    5.0: "-/\\",
    5.7: "csz",
    6.1: "LJ",
    6.3: "kvxyF",
    6.6: "aeoP",
    6.8: "bdgpqTY\"",
    7.0: "hnu0123456789$?_",
    7.5: "ABESVXZR",
    7.6: "CK",
    8.4: "DUH<>=+~*#",
    8.7: "GOQN",
    9.0: "w%",
    9.3: "M&→",
    10.7: "m",
    11.0: "W@",
}
_WIDTHS = MappingProxyType(
    {char: width for width, chars in _ROWS.items() for char in chars} | {"đ": 6.8, "Đ": 8.6}
)
_DEFAULT = 7.0  # an unlisted letter: about the width of "n"
_WIDE = 11.0  # CJK and other East Asian wide characters: one em


def _char_width(char: str) -> float:
    if char in _WIDTHS:
        return _WIDTHS[char]
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return _WIDE
    return _DEFAULT


def text_width(text: str, font_size: float = 11.0) -> float:
    """Rendered width of *text* in px at *font_size*; NFD first, so diacritics add nothing."""
    scale = font_size / 11.0
    return round(sum(_char_width(c) for c in unicodedata.normalize("NFD", text)) * scale, 1)
