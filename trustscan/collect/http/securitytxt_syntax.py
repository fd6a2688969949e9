"""security.txt syntax (RFC 9116 §4) and its OpenPGP cleartext-signature frame (RFC 4880 §7).

A pure, linear-time parser: bytes (or text) in, fields and findings out; it never raises. Every
problem is a `Finding` with a stable id (the ids of the reference validator, DigitalTrustCenter's
`sectxt`, where it has one) and the line it is on. Judging the field *values* is
`securitytxt_values`; the HTTP facts and the verdict-facing summary are `securitytxt`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Literal

from trustscan.core.wordings import Wording

Level = Literal["error", "recommendation"]

_BEGIN_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----"
_BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----"
_END_SIGNATURE = "-----END PGP SIGNATURE-----"
_MAX_TEXT = 120
# RFC 4880 §6: the radix-64 alphabet; §6.1 the CRC-24 of the armor checksum.
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]+={0,2}", re.ASCII)
_CHECKSUM_LINE = re.compile(r"=[A-Za-z0-9+/]{4}", re.ASCII)
_CRC24_INIT, _CRC24_POLY = 0xB704CE, 0x1864CFB
_SIGNATURE_PACKET_TAG = 2  # RFC 4880 §4.3


@dataclass(frozen=True)
class Finding:
    """One RFC 9116 problem: a stable `id`, the 1-based `line` (None: the whole file), its `level`
    ("error": the RFC says MUST; "recommendation": SHOULD or advice) and a short excerpt. `note` is the
    excerpt as a Wording when trustscan wrote it (an explanation, not a quote of the file)."""

    id: str
    line: int | None
    level: Level = "error"
    text: str = ""
    note: Wording | None = field(default=None, compare=False)

    def as_fact(self) -> dict[str, object]:
        return {"id": self.id, "line": self.line, "level": self.level, "text": self.text}


@dataclass(frozen=True)
class Field:
    """One `Name: value` line; `name` is as written, `key` is its case-insensitive form."""

    name: str
    value: str
    line: int

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class ParsedSecurityTxt:
    """Everything read from one security.txt, in file order; unknown fields are kept."""

    fields: tuple[Field, ...] = ()
    signed: bool = False
    findings: tuple[Finding, ...] = ()

    def values(self, key: str) -> list[str]:
        """Values of every field named `key` (case-insensitive), in file order."""
        return [f.value for f in self.fields if f.key == key.lower()]

    def named(self, key: str) -> list[Field]:
        return [f for f in self.fields if f.key == key.lower()]


def finding(identifier: str, line: int | None, text: str | Wording = "", level: Level = "error") -> Finding:
    """A finding; *text* is quoted from the file (cut to a short excerpt), or explains it as a Wording."""
    if isinstance(text, Wording):
        return Finding(identifier, line, level, text.english()[:_MAX_TEXT], note=text)
    return Finding(identifier, line, level, text[:_MAX_TEXT])


def _note(message: str, line: str | None = None) -> Wording:
    """An explanation of a finding (`sectxt.note.*`), with the file's line it is about quoted (cut short)."""
    return Wording(f"sectxt.note.{message}", {} if line is None else {"line": line[:_MAX_TEXT]})


Numbered = list[tuple[int, str]]


def parse_security_txt(content: bytes | str) -> ParsedSecurityTxt:
    """Parse a security.txt body; malformed input becomes findings, never an exception."""
    findings: list[Finding] = []
    text = _decode(content, findings)
    numbered = _split_lines(text, findings)
    body, signed = _unwrap_signed(numbered, findings)
    fields: list[Field] = []
    for number, line in body:
        item = _parse_line(number, line, findings)
        if item is not None:
            fields.append(item)
    findings.sort(key=lambda f: (f.line or 0))
    return ParsedSecurityTxt(fields=tuple(fields), signed=signed, findings=tuple(findings))


def _decode(content: bytes | str, findings: list[Finding]) -> str:
    """RFC 9116 §2.2: UTF-8 without a byte-order mark."""
    if isinstance(content, str):
        if content.startswith("\ufeff"):
            findings.append(finding("bom_in_file", 1))
        return content.removeprefix("\ufeff")
    if content.startswith(b"\xef\xbb\xbf"):
        findings.append(finding("bom_in_file", 1))
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        findings.append(finding("utf8", line, Wording("sectxt.note.utf8_byte", {"byte": exc.start})))
        return content.decode("utf-8", errors="replace")


def _split_lines(text: str, findings: list[Finding]) -> Numbered:
    """RFC 9116 §4: `eol = *WSP [CR] LF`. A lone CR ends no line; trailing WSP is part of eol."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    else:  # the last line has no line break
        findings.append(finding("no_line_separators", len(lines), lines[-1]))
    numbered: Numbered = []
    for number, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if "\r" in line:
            findings.append(finding("no_line_separators", number, _note("lone_cr")))
        numbered.append((number, line.rstrip(" \t")))
    return numbered


def _parse_line(number: int, line: str, findings: list[Finding]) -> Field | None:
    """One line of the §4 grammar: blank, `#` comment, or `field-name ":" SP value`.

    String operations only (partition, strip): linear in the line's length, whatever it holds.
    """
    if not line or line.startswith("#"):
        return None
    name, colon, value = line.partition(":")
    if not colon:
        findings.append(finding("invalid_line", number, line))
        return None
    key = name.rstrip(" \t")
    if key != name:
        findings.append(finding("prec_ws", number, line))
    if value and value[0] != " ":
        findings.append(finding("no_space", number, line))
    value = value.lstrip(" \t")
    if not key:
        findings.append(finding("empty_key", number, line))
        return None
    if not value:
        findings.append(finding("empty_value", number, line))
        return None
    # field-name = 1*(%x21-39 / %x3B-7E): printable ASCII without ":" (and so no whitespace).
    if not all("!" <= ch <= "~" for ch in key):
        findings.append(finding("invalid_line", number, line))
        return None
    return Field(name=key, value=value, line=number)


def _unwrap_signed(numbered: Numbered, findings: list[Finding]) -> tuple[Numbered, bool]:
    """The cleartext of an RFC 4880 §7 signed message (RFC 9116 §2.3); unsigned text unchanged.

    §7: the header line, one or more "Hash" armor headers, exactly one empty line, the
    dash-escaped text, then the armored signature; RFC 9116 §4 allows nothing before or after.
    Line numbers stay those of the file.
    """
    begin = next((i for i, (_, line) in enumerate(numbered) if line == _BEGIN_SIGNED), None)
    if begin is None:
        return numbered, False

    def issue(number: int, text: Wording) -> None:
        findings.append(finding("signed_format_issue", number, text))

    for number, line in numbered[:begin]:  # not covered by the signature: not read as fields
        issue(number, _note("before_signed", line))
    rest = numbered[begin + 1 :]
    blank = next((i for i, (_, line) in enumerate(rest) if not line), None)
    if blank is None:
        issue(numbered[begin][0], _note("no_blank_after_headers"))
        return [], True
    headers = rest[:blank]
    if not any(line.startswith("Hash: ") for _, line in headers):
        issue(numbered[begin][0], _note("no_hash_header"))
    for number, line in headers:
        if not line.startswith("Hash: "):
            issue(number, _note("not_hash_header", line))
    body: Numbered = []
    cleartext = rest[blank + 1 :]
    for offset, (number, line) in enumerate(cleartext):
        if line == _BEGIN_SIGNATURE:
            _check_signature(cleartext[offset:], findings)
            return body, True
        if line.startswith("- "):  # §7.1 dash-escaping
            body.append((number, line[2:]))
        elif line.startswith("-"):
            issue(number, _note("not_dash_escaped", line))
        else:
            body.append((number, line))
    issue(numbered[-1][0], _note("no_signature_block"))
    return body, True


def _check_signature(block: Numbered, findings: list[Finding]) -> None:
    """§6.2 armor: header line, optional armor headers, empty line, radix-64, `=` CRC-24, tail."""
    begin_line = block[0][0]
    end = next((i for i, (_, line) in enumerate(block) if line == _END_SIGNATURE), None)
    if end is None:
        findings.append(finding("signed_format_issue", begin_line, _note("signature_not_terminated")))
        return
    for number, line in block[end + 1 :]:
        findings.append(finding("data_after_sig" if line else "too_many_line_separators", number, line))
    inner = block[1:end]
    blank = next((i for i, (_, line) in enumerate(inner) if not line), None)
    if blank is None or any(": " not in line for _, line in inner[:blank]):
        findings.append(finding("pgp_data_error", begin_line, _note("armor_headers_not_ended")))
        return
    data = inner[blank + 1 :]
    checksum = data[-1][1] if data and _CHECKSUM_LINE.fullmatch(data[-1][1]) else None
    lines = data[:-1] if checksum else data
    if not lines or not all(_BASE64_LINE.fullmatch(line) for _, line in lines):
        findings.append(finding("pgp_data_error", begin_line, _note("not_radix64")))
        return
    try:
        packets = base64.b64decode("".join(line for _, line in lines), validate=True)
    except (binascii.Error, ValueError):
        findings.append(finding("pgp_data_error", begin_line, _note("not_radix64")))
        return
    if checksum is not None and base64.b64decode(checksum[1:]) != _crc24(packets).to_bytes(3, "big"):
        findings.append(finding("pgp_data_error", begin_line, _note("checksum_mismatch")))
    elif not packets or _packet_tag(packets[0]) != _SIGNATURE_PACKET_TAG:
        findings.append(finding("pgp_error", begin_line, _note("not_signature_packet")))


def _packet_tag(first: int) -> int | None:
    """RFC 4880 §4.2: bit 7 set; new format keeps the tag in bits 5-0, old format in bits 5-2."""
    if not first & 0x80:
        return None
    return first & 0x3F if first & 0x40 else (first >> 2) & 0x0F


def _crc24(data: bytes) -> int:
    """RFC 4880 §6.1."""
    crc = _CRC24_INIT
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= _CRC24_POLY
    return crc & 0xFFFFFF
