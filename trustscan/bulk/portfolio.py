"""A portfolio: the list of sites a ministry or agency scans in bulk, read from a text or CSV file.

Text form: one target per line (`host`, `host:port` or an `https://` URL), `#` starts a comment.
CSV form (a `.csv` file): a header row with a target column (`target`, `host`, `domain`, `url` or
`site`) and optional `organisation`, `unit`, `owner` and `tags` columns (tags separated by `;`).

A bad line (an invalid host name, a duplicate, an empty line) never stops the run: it becomes a
PortfolioProblem carrying its line number, and the remaining lines are still read.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from trustscan.core.csvrows import csv_rows
from trustscan.core.errors import PortfolioError, TargetError
from trustscan.core.target import Target, parse_target
from trustscan.net.files import read_input_file

TARGET_COLUMNS = ("target", "host", "domain", "url", "site")
COLUMN_ALIASES = {"organisation": ("organisation", "organization", "org"), "unit": ("unit",),
                  "owner": ("owner",), "tags": ("tags", "tag")}
MAX_FIELD_CHARS = 200  # organisation/unit/owner are labels, not documents
MAX_PORTFOLIO_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class PortfolioEntry:
    """One site to scan, with the labels the dashboard groups by."""

    line: int
    target: Target
    organisation: str = ""
    unit: str = ""
    owner: str = ""
    tags: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The site's identity in a run: punycode host and port (what a duplicate means)."""
        return site_key(self.target)


@dataclass(frozen=True)
class PortfolioProblem:
    """A line that was skipped, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class Portfolio:
    """The usable entries in file order, the skipped lines, and a digest of the file's bytes."""

    entries: tuple[PortfolioEntry, ...]
    problems: tuple[PortfolioProblem, ...] = ()
    digest: str = ""
    source: str = ""


def site_key(target: Target) -> str:
    """`ascii_host:port`, IPv6 bracketed: stable across the text and CSV forms and IDN spellings."""
    host = f"[{target.ascii_host}]" if ":" in target.ascii_host else target.ascii_host
    return f"{host}:{target.port}"


def load_portfolio(path: Path) -> Portfolio:
    """Read a portfolio file; raises PortfolioError only when the whole file is unusable."""
    raw = read_input_file(path, MAX_PORTFOLIO_BYTES, PortfolioError, what=f"portfolio {path}",
                          too_large=lambda size: f"portfolio {path} is too large ({size} bytes)")
    try:
        text = raw.decode("utf-8-sig")  # Excel writes a BOM in front of UTF-8 CSV
    except UnicodeDecodeError as exc:
        raise PortfolioError(f"portfolio {path} is not UTF-8 text (byte {exc.start})") from None
    digest = hashlib.sha256(raw).hexdigest()
    if path.suffix.lower() == ".csv":
        return parse_csv(text, digest=digest, source=str(path))
    return parse_text(text, digest=digest, source=str(path))


def parse_text(text: str, *, digest: str = "", source: str = "") -> Portfolio:
    """One target per line; `#` comments; blank lines are reported (the issue asks for it) and skipped."""
    builder = _Builder()
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()  # a URL fragment is never part of a target anyway
        if not content:
            if not line.strip():
                builder.problem(number, line, "empty line")
            continue
        builder.add(number, content)
    return builder.build(digest, source)


def parse_csv(text: str, *, digest: str = "", source: str = "") -> Portfolio:
    """A header row naming a target column; other known columns are optional labels."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise PortfolioError(f"portfolio {source or 'CSV'} is empty") from None
    except csv.Error as exc:
        raise PortfolioError(f"portfolio {source or 'CSV'}: malformed header: {exc}") from None
    names = [cell.strip().lower() for cell in header]
    target_col = next((names.index(c) for c in TARGET_COLUMNS if c in names), None)
    if target_col is None:
        raise PortfolioError(f"portfolio {source or 'CSV'} has no target column (one of: {', '.join(TARGET_COLUMNS)})")
    columns = {label: next((names.index(a) for a in aliases if a in names), None)
               for label, aliases in COLUMN_ALIASES.items()}
    builder = _Builder()
    for row in csv_rows(reader, lambda line, exc: builder.problem(line, "", f"malformed CSV: {exc}")):
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            builder.problem(number, "", "empty line")
            continue
        cell = row[target_col].strip() if target_col < len(row) else ""
        if not cell:
            builder.problem(number, ",".join(row), "no target in this row")
            continue
        if cell.startswith("#"):
            continue
        labels = {label: (row[i].strip()[:MAX_FIELD_CHARS] if i is not None and i < len(row) else "")
                  for label, i in columns.items()}
        tags = tuple(t.strip() for t in labels.pop("tags").split(";") if t.strip())
        builder.add(number, cell, tags=tags, **labels)
    return builder.build(digest, source)


class _Builder:
    """Collects entries and problems; a duplicate names the line it repeats."""

    def __init__(self) -> None:
        self.entries: list[PortfolioEntry] = []
        self.problems: list[PortfolioProblem] = []
        self.seen: dict[str, int] = {}

    def problem(self, line: int, text: str, reason: str) -> None:
        self.problems.append(PortfolioProblem(line, text[:MAX_FIELD_CHARS], reason))

    def add(self, line: int, text: str, **labels: object) -> None:
        try:
            target = parse_target(text)
        except TargetError as exc:
            self.problem(line, text, str(exc))
            return
        entry = PortfolioEntry(line=line, target=target, **labels)  # type: ignore[arg-type]
        first = self.seen.get(entry.key)
        if first is not None:
            self.problem(line, text, f"duplicate of line {first}")
            return
        self.seen[entry.key] = line
        self.entries.append(entry)

    def build(self, digest: str, source: str) -> Portfolio:
        return Portfolio(tuple(self.entries), tuple(self.problems), digest, source)
