"""Turn the bytes of an HTML response into text, the way a browser would (WHATWG "encoding sniffing").

Vietnamese sites are often served as windows-1258 (which writes tone marks as combining
characters) or mislabelled: a page declared UTF-8 that is really windows-1258, or no label at
all. The order follows the HTML standard §13.2.3.2: byte order mark, then the HTTP charset, then a
`<meta charset>` in the first 1024 bytes, then a guess. A label that does not decode the bytes is
not trusted blindly: the next source is tried, and whatever is finally used is recorded.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from trustscan.core.wordings import Wording

# HTML §13.2.3.2: the prescan looks at the first 1024 bytes only.
_PRESCAN_BYTES = 1024
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# WHATWG Encoding: these labels mean windows-1252 in browsers, not strict ISO-8859-1.
_BROWSER_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
                    "ascii": "cp1252", "x-user-defined": "cp1252"}
# When nothing declared works: UTF-8 first (most of the web), then the Vietnamese legacy code page.
_FALLBACKS = ("utf-8", "cp1258")


@dataclass(frozen=True)
class DecodedHtml:
    """The text of a page, which encoding produced it, from which source, and what went wrong."""

    text: str
    encoding: str
    source: str  # bom | http | meta | fallback
    replacements: int  # undecodable byte sequences replaced with U+FFFD
    notes: tuple[Wording, ...] = ()  # what went wrong, worded (`parse.*`), for the page's parse_notes


def decode_html(body: bytes, content_type: str | None) -> DecodedHtml:
    """Decode `body`; never raises. Tone marks are NFC-normalised (windows-1258 writes them apart)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return _finish(body[len(bom):], encoding, "bom", [])
    notes: list[Wording] = []
    declared = [("http", _header_label(content_type)), ("meta", _meta_label(body))]
    for source, label in declared:
        if label is None:
            continue
        codec = _codec(label)
        if codec is None:
            notes.append(Wording("parse.unknown_charset", {"source": source, "label": repr(label)}))
            continue
        try:
            return _finish_strict(body, codec, source, notes)
        except UnicodeDecodeError:
            notes.append(Wording("parse.charset_fails", {"source": source, "label": repr(label)}))
    for encoding in _FALLBACKS:
        try:
            return _finish_strict(body, encoding, "fallback", notes)
        except UnicodeDecodeError:
            continue
    # Nothing decodes cleanly: keep the reading that loses the fewest bytes, and count the losses.
    readings = [_finish(body, encoding, "fallback", notes) for encoding in _FALLBACKS]
    return min(readings, key=lambda reading: reading.replacements)


def _header_label(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _meta_label(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_PRESCAN_BYTES])
    return match.group(1).decode("ascii", "replace") if match else None


def _codec(label: str) -> str | None:
    """Python's codec for an HTML charset label, or None when unknown or not an 8-bit/UTF encoding."""
    lowered = label.strip().lower()
    lowered = _BROWSER_ALIASES.get(lowered, lowered)
    try:
        info = codecs.lookup(lowered)
    except LookupError:
        return None
    # HTML §13.2.3.3: a meta UTF-16 label means UTF-8; rot13 & co. are not text encodings.
    if info.name.startswith("utf-16") or info.name.startswith("utf-32"):
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _finish_strict(body: bytes, encoding: str, source: str, notes: list[Wording]) -> DecodedHtml:
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        # A body cut at the byte cap can end inside a multi-byte character; that is not a wrong label.
        if exc.start < len(body) - 3 or exc.end != len(body):
            raise
        text = body[: exc.start].decode(encoding)
        notes = [*notes, Wording("parse.incomplete_character")]
    return DecodedHtml(_normalise(text), encoding, source, 0, tuple(notes))


def _finish(body: bytes, encoding: str, source: str, notes: list[Wording]) -> DecodedHtml:
    text = body.decode(encoding, errors="replace")
    replaced = text.count("\ufffd")
    if replaced:
        notes = [*notes, Wording("parse.replaced", {"count": replaced, "encoding": encoding})]
    return DecodedHtml(_normalise(text), encoding, source, replaced, tuple(notes))


def _normalise(text: str) -> str:
    # NUL bytes break nothing in Python but are noise in evidence; NFC joins windows-1258 tone marks.
    return unicodedata.normalize("NFC", text.replace("\x00", ""))
