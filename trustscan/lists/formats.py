"""Parse "do not visit" list snapshots: plain lists, hosts files, CSV tables and JSON arrays.

The ministry publishes its list at tinnhiemmang.gov.vn only as web pages (no feed), so users
save or copy it into a file in whatever shape they have. This module turns such bytes into
normalised entries (domains in punycode, wildcard domains, IP addresses, CIDR ranges) and
records every line it could not use with its line number: a bad line is reported, not raised.

What a list is (`check_list`; anything else is refused whole with NotAList, so a wrong file is
never silently mined for words that look like domains):

- text: UTF-8 (a BOM allowed), or UTF-16 with its BOM; other 8-bit bytes decode as replacement
  characters and fail line by line (a Windows-1258 note column must not lose the whole list);
- no NUL and no C0 control character other than tab, line breaks, form feed, ESC and Ctrl-Z:
  those mark binary data (an image, an archive, a database, an executable);
- not blank;
- a document that opens like JSON (`{`, or `[` followed by `"`, `{`, `[` or `]`) is valid JSON:
  an array, or an object holding at least one array. A truncated JSON report is not a text list;
  `[Adblock Plus 2.0]` headers and `[2001:db8::1]` lines still open text lists.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import idna

from trustscan.core.csvrows import csv_rows
from trustscan.core.errors import NotAList
from trustscan.core.wordings import Wording

EntryKind = Literal["domain", "wildcard", "ip", "cidr"]
Format = Literal["text", "csv", "json"]

#: How many unusable lines are kept verbatim (all are counted); a garbage file stays small.
MAX_KEPT_REJECTS = 100
_MAX_EXCERPT = 80
# RFC 1123 labels in ASCII form; "_" is tolerated because real lists contain such names.
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# NUL and the C0 controls no text list holds (tab, line breaks, form feed, Ctrl-Z and ESC may occur).
_BINARY = re.compile(r"[\x00-\x08\x0e-\x19\x1c-\x1f]")
# `{`, or `[` opening an array of strings, objects or arrays (or an empty one): JSON, not an Adblock header.
_JSON_OPENING = re.compile(r"\{|\[\s*[\"{\[\]]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
# Names every hosts file carries for the machine itself; they are not blocklist entries.
_HOSTS_BOILERPLATE = frozenset({
    "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
    "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
})
# Column headers (lower case, without diacritics) that name the entry column of a CSV table.
_ENTRY_COLUMNS = frozenset({
    "domain", "domains", "domain name", "url", "urls", "link", "host", "hostname", "website", "site",
    "ip", "ip address", "address", "entry", "ten mien", "dia chi", "dia chi ip", "duong dan", "trang web",
})
# `!` and `[Adblock Plus 2.0]` are Adblock-list comments and headers.
_INLINE_COMMENT = re.compile(r"\s#")
_COMMENT_PREFIXES = ("#", "!", ";", "//", "[adblock")


@dataclass(frozen=True)
class Entry:
    """One list entry in canonical form: `example.vn`, `*.example.vn`, `203.0.113.7`, `2001:db8::/32`."""

    kind: EntryKind
    value: str
    line: int


@dataclass(frozen=True)
class Rejected:
    """A line (for JSON: an array item, 1-based) that held no usable entry, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class ParsedList:
    """Entries (unique, in file order) and what could not be used."""

    format: Format
    entries: tuple[Entry, ...]
    rejected: tuple[Rejected, ...]
    rejected_count: int


def parse_list(data: bytes, *, filename: str = "") -> ParsedList:
    """Parse a snapshot file; the format is recognised from its content (and a `.csv` name).

    Raises NotAList when *data* is no list at all (see the module docstring); never anything else.
    """
    text, document = _classify(data)
    if document is not None:
        return _parse_json(document)
    if filename.lower().endswith(".csv") or _looks_like_csv(text):
        return _parse_csv(text)
    return _parse_text(text)


def check_list(data: bytes) -> None:
    """Raise NotAList unless *data* is a list by the module docstring's definition (no entry is parsed)."""
    _classify(data)


def _classify(data: bytes) -> tuple[str, Any]:
    """The decoded text, and the JSON document when the text is one; NotAList when it is no list."""
    text = _decode(data)
    if not text.strip():
        raise NotAList("the file is empty")
    binary = _BINARY.search(text)
    if binary is not None:
        line = text.count("\n", 0, binary.start()) + 1
        raise NotAList(f"binary data, not a text list (byte 0x{ord(binary.group()):02x} on line {line})")
    stripped = text.lstrip()
    if not _JSON_OPENING.match(stripped):
        return text, None
    try:
        document = json.loads(stripped)
    except RecursionError:
        raise NotAList("JSON nested too deeply") from None
    except ValueError as exc:
        raise NotAList(f"not valid JSON: {_excerpt(str(exc))}") from None
    if not isinstance(document, list | dict) or (
            isinstance(document, dict) and not any(isinstance(value, list) for value in document.values())):
        raise NotAList("JSON without an array of entries")
    return text, document


#: Every reason a line is rejected for, and its message id (`list.reason.*`): how outputs word it.
_REASONS = {
    "empty": "list.reason.empty", "too long": "list.reason.too_long",
    "not a domain name, URL, IP address or CIDR range": "list.reason.not_an_entry",
    "not a valid wildcard domain": "list.reason.bad_wildcard",
    "wildcard over a whole top-level domain is too broad": "list.reason.wildcard_tld",
    "not a fully qualified domain name": "list.reason.not_fqdn", "malformed URL": "list.reason.malformed_url",
    "URL without a host": "list.reason.url_without_host",
    "URL host is not a valid domain name": "list.reason.bad_url_host",
    "no entry": "list.reason.no_entry", "object without a domain/url/ip field": "list.reason.json_object",
    "not a string or object": "list.reason.json_item",
}
_CSV_ROW = "malformed CSV row: "


def reason_wording(reason: str) -> Wording:
    """Why a line was rejected (a reason of this module, also as stored in older snapshots), as a Wording."""
    if reason in _REASONS:
        return Wording(_REASONS[reason])
    if reason.startswith(_CSV_ROW):
        return Wording("list.reason.csv_row", {"detail": reason.removeprefix(_CSV_ROW)})
    return Wording("error.cause.reported", {"detail": reason})


def parse_entry(token: str) -> Entry | str:
    """One token as an Entry (line 0), or the reason it is not a domain, URL, IP or range.

    Every list format reaches this one function, so a name is read the same way in a text list,
    a hosts file, a CSV cell and a JSON item (see `domain_to_ascii` for names).
    """
    raw = _trim(token)
    if raw.startswith("||"):  # Adblock-style `||example.vn^`
        raw = _trim(raw[2:].split("^", 1)[0])
    if not raw:
        return "empty"
    if len(raw) > 2048:
        return "too long"
    # Fast path for the common case: an address or range always ends in a digit or contains ':'.
    maybe_address = ":" in raw or raw[-1].isdigit()
    address = _as_ip(raw) if maybe_address else None
    if address is not None:
        return Entry("ip", address, 0)
    if maybe_address and "/" in raw and "://" not in raw:
        network = _as_network(raw)
        if network is not None:
            return Entry("cidr", network, 0)
    # A bare `user@host` stays a name (and fails): in a table it is far more often an e-mail
    # address than a URL, and the mail domain is not what the list names.
    if "/" in raw or ":" in raw or "?" in raw:  # a URL, or a host with a port or path
        return _url_entry(raw)
    return _host_entry(raw, "not a domain name, URL, IP address or CIDR range")


def domain_to_ascii(name: str) -> str | None:
    """Lower-case punycode form of a domain name (IDNA 2008 + UTS #46), or None if it is not one.

    Case, a trailing dot (also the ideographic one UTS #46 maps to `.`), full-width letters and
    invisible characters pasted with the name are normalised away; `core.target.to_ascii` reads an
    audited name the same way (tests/lists/test_normalise.py holds the two to that).
    """
    name = _trim(name).rstrip(".").lower()
    if not name or len(name) > 253:
        return None
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii").rstrip(".")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():  # `1.2.3` or `v1.0`: a version or broken address, not a name
        return None
    return name


def _host_entry(host: str, invalid: str) -> Entry | str:
    """A host as an entry: an address, a wildcard (`*.example.vn`, `.example.vn`) or a domain."""
    # An address always ends in a digit or contains ':'; parsing every name as one costs a third of a parse.
    address = _as_ip(host) if host and (":" in host or host[-1].isdigit()) else None
    if address is not None:
        return Entry("ip", address, 0)
    if host.startswith(("*.", ".")):  # `.example.vn` means the same as `*.example.vn` in many lists
        base = domain_to_ascii(host.lstrip("*").lstrip("."))
        if base is None:
            return "not a valid wildcard domain"
        if "." not in base:
            return "wildcard over a whole top-level domain is too broad"
        return Entry("wildcard", f"*.{base}", 0)
    name = domain_to_ascii(host)
    if name is None:
        return invalid
    if "." not in name:
        return "not a fully qualified domain name"
    return Entry("domain", name, 0)


def _url_entry(raw: str) -> Entry | str:
    """A URL, or a host with a port, path or userinfo (`user@host:8080/x`), reduced to its host."""
    candidate = raw if "://" in raw else f"http://{raw}"
    try:
        host = urlsplit(candidate).hostname
    except ValueError:
        return "malformed URL"
    if not host:
        return "URL without a host"
    # Browsers read a percent-encoded host (`b%E1%BB%99.vn`) as the name it spells.
    return _host_entry(unquote(host), "URL host is not a valid domain name")


def _trim(text: str) -> str:
    """Without surrounding white space, quotes and invisible format characters (zero-width space,
    joiners, BOM, bidi marks) that copying from web pages and spreadsheets leaves around an entry."""
    if text.isascii():  # the common case, without a look at each end's Unicode category
        return text.strip(_ASCII_PADDING)
    start, end = 0, len(text)
    while start < end and _is_padding(text[start]):
        start += 1
    while end > start and _is_padding(text[end - 1]):
        end -= 1
    return text[start:end]


_ASCII_PADDING = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\"'"  # what str.isspace() accepts in ASCII, and quotes


def _is_padding(char: str) -> bool:
    return char.isspace() or char in "\"'" or unicodedata.category(char) == "Cf"


def _as_ip(text: str) -> str | None:
    """The canonical text of an address; an IPv4-mapped IPv6 form (`::ffff:203.0.113.7`) is the
    IPv4 address it maps (RFC 4291 §2.5.5.2), so both spellings are one entry."""
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _as_network(text: str) -> str | None:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return None


def _decode(data: bytes) -> str:
    # UTF-8 (with or without BOM) is what lists use, UTF-16 with a BOM what Excel's "Unicode text"
    # writes; anything else decodes with replacement characters, which then fail validation line by
    # line instead of failing the whole file.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _excerpt(text: str) -> str:
    clean = _CONTROL.sub(" ", text).strip()
    return clean if len(clean) <= _MAX_EXCERPT else clean[: _MAX_EXCERPT - 1] + "…"


class _Collector:
    """Accumulates unique entries and bounded rejects while a parser walks the input."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Entry] = {}
        self.rejected: list[Rejected] = []
        self.rejected_count = 0

    def add(self, entry: Entry, line: int) -> None:
        self.entries.setdefault((entry.kind, entry.value), Entry(entry.kind, entry.value, line))

    def reject(self, line: int, text: str, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_KEPT_REJECTS:
            self.rejected.append(Rejected(line, _excerpt(text), reason))

    def add_tokens(self, tokens: Iterable[str], line: int, text: str) -> None:
        """Every token that is an entry counts; a line with none is rejected with the first reason."""
        reasons = []
        found = False
        for token in tokens:
            result = parse_entry(token)
            if isinstance(result, Entry):
                self.add(result, line)
                found = True
            else:
                reasons.append(result)
        if not found:
            self.reject(line, text, reasons[0] if reasons else "no entry")

    def result(self, kind: Format) -> ParsedList:
        return ParsedList(kind, tuple(self.entries.values()), tuple(self.rejected), self.rejected_count)


def _parse_text(text: str) -> ParsedList:
    """Plain lists and hosts files, one entry (or one hosts mapping) per line."""
    out = _Collector()
    for number, line in enumerate(text.splitlines(), start=1):
        content = _strip_comment(line)
        if not content:
            continue
        tokens = content.split()
        if len(tokens) > 1 and _as_ip(tokens[0]) is not None:
            # hosts-file line `0.0.0.0 bad.example other.example`: the address is the sinkhole
            # the list redirects to, not a listed address; the names are the entries.
            names = [t for t in tokens[1:] if t.lower() not in _HOSTS_BOILERPLATE]
            if names:
                out.add_tokens(names, number, line)
            continue
        if len(tokens) == 1 and tokens[0].lower() in _HOSTS_BOILERPLATE:
            continue
        # Tab-separated tables copied from a web page (`1  bad.example  Lừa đảo  01/02/2025`)
        # contribute every field that is an entry.
        out.add_tokens(tokens, number, line)
    return out.result("text")


def _strip_comment(line: str) -> str:
    content = line.strip()
    if content.lower().startswith(_COMMENT_PREFIXES):
        return ""
    # An inline `#` comment starts after whitespace; a `#` inside a URL is a fragment.
    return _INLINE_COMMENT.split(content, maxsplit=1)[0].strip()


def _looks_like_csv(text: str) -> bool:
    for line in text.splitlines()[:20]:
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        cells = re.split(r"[,;\t]", content)
        return len(cells) > 1 and any(_header_key(cell) in _ENTRY_COLUMNS for cell in cells)
    return False


def _header_key(cell: str) -> str:
    # "Tên miền" and "ten mien" name the same column; đ has no decomposition, so map it by hand.
    folded = unicodedata.normalize("NFKD", cell.strip().strip("\"'").lower().replace("đ", "d"))
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).replace("_", " ").split())


def _parse_csv(text: str) -> ParsedList:
    """CSV/TSV with a domain/url/host/ip column (any column is tried when no header names one)."""
    out = _Collector()
    sample = text[:8192]
    delimiter = max(",;\t", key=sample.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    columns: list[int] | None = None
    for row in csv_rows(reader, lambda line, exc: out.reject(line, "", f"{_CSV_ROW}{exc}")):
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if columns is None:
            columns = [i for i, cell in enumerate(row) if _header_key(cell) in _ENTRY_COLUMNS]
            if columns:
                continue  # the header row itself
        cells = [row[i] for i in columns if i < len(row)] if columns else row
        out.add_tokens(cells, reader.line_num, delimiter.join(row))
    return out.result("csv")


def _parse_json(document: list[Any] | dict[str, Any]) -> ParsedList:
    """A JSON array of strings or objects, or an object holding such arrays (as `_classify` found it)."""
    if isinstance(document, dict):
        arrays = [value for value in document.values() if isinstance(value, list)]
        items = [item for array in arrays for item in array]
    else:
        items = document
    out = _Collector()
    for position, item in enumerate(items, start=1):
        if isinstance(item, str):
            out.add_tokens([item], position, item)
        elif isinstance(item, dict):
            fields = [v for k, v in item.items() if isinstance(v, str) and _header_key(str(k)) in _ENTRY_COLUMNS]
            if fields:
                out.add_tokens(fields, position, " ".join(fields))
            else:
                out.reject(position, _json_excerpt(item), "object without a domain/url/ip field")
        else:
            out.reject(position, _json_excerpt(item), "not a string or object")
    return out.result("json")


def _json_excerpt(item: Any) -> str:
    try:
        return json.dumps(item, ensure_ascii=False)[:200]
    except (ValueError, RecursionError):  # deeply nested or a number too long to print
        return f"<{type(item).__name__}>"
