"""HTML that inline scripts write into the page, recovered without running them (issue 10 item 3).

Injected spam is often not in the markup but written by a script: `document.write('<div style=
"display:none"><a href=...>')`, `el.innerHTML = ...`, `el.insertAdjacentHTML('beforeend', ...)`,
jQuery's `$('#id').html(...)` / `.append(...)`. No JavaScript engine runs: after each such call
the argument is read as a constant expression, string literals (single, double and back-quoted
without `${}`), their escapes (`\\xHH`, `\\uHHHH`, `\\u{...}`, `\\n`...), joined with `+`, and the
decoders spam kits wrap them in: `unescape`, `decodeURIComponent`, `atob` and `String.fromCharCode`
of literals. An identifier or property in the middle counts as an empty string (its value is not
known; the literal markup around it still is). Anything else ends the expression.

Bounds: `MAX_WRITES` calls per script, `MAX_EXPRESSION` characters of source per argument,
`MAX_HTML` characters of recovered HTML per page. Scanning is one pass per pattern (linear).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import unquote

MAX_WRITES = 50
MAX_EXPRESSION = 100_000
MAX_HTML = 500_000
_MAX_DEPTH = 20  # nested parentheses and decoder calls in one argument

# The call or assignment, and what it targets: `document.write(`, `X.innerHTML =`, `X.insertAdjacentHTML(`,
# `$(...)​.html(` / `.append(` ... The target (group "target") is read back when it names an element by id.
_SINK = re.compile(
    r"""\bdocument\s*\.\s*write(?:ln)?\s*\("""
    r"""|(?P<prop>\.\s*(?:innerHTML|outerHTML)\s*\+?=(?!=))"""
    r"""|(?P<adjacent>\.\s*insertAdjacentHTML\s*\(\s*(?P<q>["'])(?P<where>[a-zA-Z]{5,11})(?P=q)\s*,)"""
    r"""|(?P<jquery>\.\s*(?:html|append|prepend|after|before|replaceWith)\s*\()""")
# What precedes a sink, to find its element: getElementById("x") / querySelector("#x") / $("#x") / jQuery("#x").
_TARGET = re.compile(r"""(?:getElementById\s*\(\s*["']([\w-]{1,100})["']\s*\)"""
                     r"""|(?:querySelector|\$|jQuery)\s*\(\s*["']#([\w-]{1,100})["']\s*\))\s*$""")
_TARGET_WINDOW = 200
_ESCAPE = re.compile(r"""\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|([0-7]{1,3})"""
                     r"""|(\r\n|[\s\S]))""")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]{0,100}(?:\s*\.\s*[A-Za-z_$][\w$]{0,100}){0,10}")
_DECODER = re.compile(r"(unescape|decodeURIComponent|decodeURI|atob|window\.atob|String\.fromCharCode)\s*\(")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]{1,6}|\d{1,7}")
_SPACE = re.compile(r"(?:\s|/\*[\s\S]{0,2000}?\*/)*")
# String literals, matched in C: the alternatives start with different characters, so no backtracking.
_STRINGS = {
    "'": re.compile(r"'((?:[^'\\\n]|\\[\s\S])*)'"),
    '"': re.compile(r'"((?:[^"\\\n]|\\[\s\S])*)"'),
    "`": re.compile(r"`((?:[^`\\$]|\\[\s\S]|\$(?!\{))*)`"),
}


@dataclass(frozen=True)
class Written:
    """HTML a script writes: how (`document.write`, `innerHTML`...), where, and the markup recovered."""

    how: str
    html: str
    target_id: str | None = None  # the element named by id, when the script names one
    position: str = "inside"  # document.write: "at the script"; insertAdjacentHTML: its position


def written_html(script: str, budget: int = MAX_HTML) -> list[Written]:
    """The HTML fragments an inline script writes, in order, at most `budget` characters in all."""
    found: list[Written] = []
    for attempt, match in enumerate(_SINK.finditer(script)):
        if len(found) >= MAX_WRITES or attempt >= 4 * MAX_WRITES or budget <= 0:
            break
        html = _Expression(script, match.end(), min(len(script), match.end() + MAX_EXPRESSION)).value()
        if not html or "<" not in html:
            continue
        html = html[:budget]
        budget -= len(html)
        target = _TARGET.search(script[max(0, match.start() - _TARGET_WINDOW):match.start()])
        target_id = (target.group(1) or target.group(2)) if target else None
        if match.group("prop"):
            how = "innerHTML" if "inner" in match.group("prop") else "outerHTML"
            found.append(Written(how, html, target_id))
        elif match.group("adjacent"):
            found.append(Written("insertAdjacentHTML", html, target_id, match.group("where").lower()))
        elif match.group("jquery"):
            name = match.group("jquery").strip(". (\t\n")
            found.append(Written(f"jQuery .{name}()", html, target_id))
        else:
            found.append(Written("document.write", html, None, "at the script"))
    return found


class _Expression:
    """Reads `literal + literal + decoder(literal) + name ...` from `start`; never past `end`."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text, self.pos, self.end = text, start, end
        self.depth = 0  # parentheses and decoder calls being read, at most _MAX_DEPTH

    def value(self) -> str:
        parts: list[str] = []
        while True:
            self._skip()
            operand = self._operand()
            if operand is None:
                break
            parts.append(operand)
            self._skip()
            if self.pos < self.end and self.text[self.pos] == "+":
                self.pos += 1
                continue
            break
        return "".join(parts)

    def _skip(self) -> None:
        match = _SPACE.match(self.text, self.pos, self.end)
        if match:
            self.pos = match.end()

    def _operand(self) -> str | None:
        if self.pos >= self.end:
            return None
        char = self.text[self.pos]
        if char in "\"'`":
            return self._string(char)
        if char == "(":
            if self.depth >= _MAX_DEPTH:
                return None
            self.pos += 1
            self.depth += 1
            inner = self.value()
            self.depth -= 1
            self._skip()
            if self.pos < self.end and self.text[self.pos] == ")":
                self.pos += 1
            return inner
        decoder = _DECODER.match(self.text, self.pos, self.end)
        if decoder and self.depth < _MAX_DEPTH:
            self.pos = decoder.end()
            self.depth += 1
            decoded = self._decode(decoder.group(1))
            self.depth -= 1
            return decoded
        name = _IDENTIFIER.match(self.text, self.pos, self.end)
        if name:
            self.pos = name.end()
            self._skip_call_or_index()
            return ""  # a variable or property: its value is not known, the markup around it is
        return None

    def _skip_call_or_index(self) -> None:
        # `name(...)` or `name[...]` as one unknown operand: skip balanced brackets on one level.
        self._skip()
        if self.pos < self.end and self.text[self.pos] in "([":
            close = ")" if self.text[self.pos] == "(" else "]"
            depth_end = self.text.find(close, self.pos, min(self.end, self.pos + 500))
            self.pos = depth_end + 1 if depth_end >= 0 else self.end

    def _string(self, quote: str) -> str | None:
        literal = _STRINGS[quote].match(self.text, self.pos, self.end)
        if not literal:
            return None  # unterminated, or a template with ${} substitutions: not a constant
        self.pos = literal.end()
        return _unescape_js(literal.group(1))

    def _decode(self, decoder: str) -> str | None:
        if decoder == "String.fromCharCode":
            codes = []
            while True:
                self._skip()
                number = _NUMBER.match(self.text, self.pos, self.end)
                if not number:
                    break
                codes.append(int(number.group(0), 0))
                self.pos = number.end()
                self._skip()
                if self.pos < self.end and self.text[self.pos] == ",":
                    self.pos += 1
            result = "".join(chr(code) for code in codes if code < 0x110000)
        else:
            inner = self.value()
            result = _apply(decoder, inner)
        self._skip()
        if self.pos < self.end and self.text[self.pos] == ")":
            self.pos += 1
        return result


def _apply(decoder: str, value: str) -> str:
    if decoder.endswith("atob"):
        try:
            return base64.b64decode(value + "=" * (-len(value) % 4), validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return ""
    if decoder == "unescape":
        # %uXXXX is unescape's own form; the rest is percent-decoding, byte by byte as Latin-1.
        value = re.sub(r"%u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), value)
        return unquote(value, encoding="latin-1")
    return unquote(value)


def _unescape_js(body: str) -> str:
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        hex2, brace, hex4, octal, other = match.groups()
        if hex2 or hex4 or brace:
            code = int(hex2 or hex4 or brace, 16)
            return chr(code) if code < 0x110000 else ""
        if octal:
            return chr(int(octal, 8)) if octal != "0" else "\0"
        if other in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
            return ""  # a line continuation
        return _SIMPLE_ESCAPES.get(other, other)

    return _ESCAPE.sub(replace, body)
