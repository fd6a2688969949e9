"""Sentences built from counts, labels and citations, in the catalogue's language.

Every output (console, HTML, Markdown, SARIF, JUnit, badge, portfolio) words a criterion's counts,
an evidence label, a severity or a legal reference through these functions, so one report reads
in one language whichever language the scan used, and "1 warning" is never "1 warnings".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from trustscan.core.catalog import Catalog, format_value
from trustscan.core.wordings import WORDING_SUFFIX
from trustscan.core.yamldata import shipped_yaml

__all__ = [
    "COUNT_ORDER", "KNOWN_ERRORS", "NO_DECLARATION", "NO_DECLARATION_ID", "count_summary", "criterion_summary",
    "evidence_label", "evidence_rows", "plural", "reference", "severity",
]

#: Why the declaration probe is skipped without a declaration; its English text is `error.no_declaration`.
NO_DECLARATION_ID = "error.no_declaration"
NO_DECLARATION = "no declaration supplied (write one with `trustscan declare`, then --declaration FILE)"
#: Reports made before errors carried their wording (`error_wording`) have only the text: the one reason
#: trustscan worded itself then is recognised by its exact text, and worded again in the language asked for.
KNOWN_ERRORS = {f"declaration: {NO_DECLARATION}": NO_DECLARATION_ID}

#: The order counts are told in: what needs action first.
COUNT_ORDER = ("fail", "warn", "error", "pass", "skip")
_NOTE = re.compile(r"\s*\(([^()]*)\)")
_CITATION_PART = re.compile(r"\d+|[a-zđ]")  # Art. 21(2)(a): clause and point, not a note
_ARTICLE_POINT = re.compile(r"\bArt\. (\d+)\((\d+)\)\(([a-zđ])\)")
_ARTICLE_CLAUSE = re.compile(r"\bArt\. (\d+)\((\d+)\)")
_ARTICLE = re.compile(r"\bArt\. (\d+(?:-\d+)?)")
_AND_CLAUSE = re.compile(r" and \((\d+)\)")
_AND_ARTICLE = re.compile(r"(\d) and (\d)")


def plural(catalog: Catalog, message_id: str, count: int, values: Mapping[str, Any] | None = None) -> str:
    """`<id>.one` for exactly one, `<id>.other` otherwise, with `{n}` the count."""
    form = f"{message_id}.one" if count == 1 and f"{message_id}.one" in catalog.messages else f"{message_id}.other"
    return catalog.text(form, {**(values or {}), "n": count})


def count_summary(counts: Mapping[str, Any], catalog: Catalog) -> str:
    """"2 failed, 1 warning, 8 passed": the non-zero counts, most urgent first."""
    parts = [plural(catalog, f"count.{key}", int(counts.get(key) or 0)) for key in COUNT_ORDER
             if isinstance(counts.get(key), int) and counts.get(key)]
    return ", ".join(parts) if parts else catalog.text("count.none")


def criterion_summary(status: str, counts: Mapping[str, Any] | None, catalog: Catalog, *,
                      requested: bool = True) -> str:
    """One line on a criterion: its counts, or why it has none (not requested, not checked)."""
    if status == "not_checked" or counts is None:
        return catalog.text("summary.not_checked" if requested else "summary.not_requested")
    text = count_summary(counts, catalog)
    if status == "manual":
        text += " — " + catalog.text("summary.manual_note")
    return text


def severity(name: Any, catalog: Catalog) -> str:
    key = f"severity.{name}"
    return catalog.text(key) if key in catalog.messages else format_value(name)


def evidence_label(path: str, catalog: Catalog) -> str:
    """The human label of an observed fact (`tls.certificate.not_after` -> "Valid until")."""
    key = f"fact.{path}"
    return catalog.text(key) if key in catalog.messages else path


def evidence_rows(observed: Any, catalog: Catalog, *, limit: int = 40) -> list[tuple[str, str]]:
    """(label, value) rows of a verdict's observed facts, values formatted in the catalogue's language.

    A fact nobody observed (None) is left out: "—" rows say nothing and make a report long.
    """
    if not isinstance(observed, Mapping):
        return []
    rows = [(evidence_label(str(path), catalog), catalog.value(value))
            for path, value in observed.items()
            if value is not None and value != [] and value != {} and not str(path).endswith(WORDING_SUFFIX)]
    return rows[:limit]


def reference(text: Any, catalog: Catalog) -> str:
    """A legal or technical citation in the catalogue's language.

    References are written in English in the rules. In Vietnamese, Vietnamese legal instruments
    take their own names ("Nghị định 137/2024/NĐ-CP, Điều 21 khoản 2 điểm a"); a parenthetical note
    is translated when `rules/data/reference-terms.yaml` has it, else left out rather than left in
    English. Standards (RFC, CWE, OWASP) are names and stay as written.
    """
    citation = format_value(text)
    if catalog.language == "en":
        return citation
    terms = _terms(catalog.language)
    citation = terms["names"].get(citation, citation)  # a whole reference translated as one

    def note(match: re.Match[str]) -> str:
        if _CITATION_PART.fullmatch(match.group(1)):
            return match.group(0)
        translated = terms["notes"].get(match.group(1))
        return f" ({translated})" if translated else ""

    citation = _NOTE.sub(note, citation)
    citation = _AND_ARTICLE.sub(lambda m: f"{m.group(1)} {terms['and']} {m.group(2)}", citation)
    citation = _AND_CLAUSE.sub(lambda m: f" {terms['and']} {terms['clause']} {m.group(1)}", citation)
    citation = _ARTICLE_POINT.sub(
        lambda m: f"{terms['article']} {m.group(1)} {terms['clause']} {m.group(2)} {terms['point']} {m.group(3)}",
        citation)
    citation = _ARTICLE_CLAUSE.sub(lambda m: f"{terms['article']} {m.group(1)} {terms['clause']} {m.group(2)}",
                                   citation)
    citation = _ARTICLE.sub(lambda m: f"{terms['article']} {m.group(1).replace('-', '–')}", citation)
    for english, translated in terms["names"].items():
        citation = citation.replace(english, translated)
    return citation


@cache
def _terms(language: str) -> dict[str, Any]:
    """The citation vocabulary of *language* from `rules/data/reference-terms.yaml`."""
    data = shipped_yaml("data", "reference-terms.yaml")[language]
    return {"names": dict(data["names"]), "notes": dict(data.get("notes") or {}), "article": data["article"],
            "clause": data["clause"], "point": data["point"], "and": data["and"]}


def references(values: Iterable[Any], catalog: Catalog) -> list[str]:
    return [reference(value, catalog) for value in values]
