"""Word lists shipped as data (`rules/data/`), matched the way Vietnamese spam is written.

Injected spam drops or mangles tone marks ("nha cai", "NHÀ CÁI", "nhà cái", "nhacai", "nha-cai"), so
matching is diacritic-insensitive: Unicode NFD with combining marks removed, đ folded to d, case
folded, punctuation turned into spaces, and terms matched on whole-word boundaries. In URLs words
run together ("nhacaiuytin.example"), so a term with its spaces removed also matches a URL token
that equals it, or contains it when the term is long enough (6+ letters) not to hit ordinary words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from trustscan.core.yamldata import shipped_yaml

_NON_WORD = re.compile(r"[^0-9a-z]+")
_MIN_COMPOUND = 6  # "casino", "nhacai", "taixiu": long enough to find inside a run-together token
_MAX_TEXT = 2_000_000


def fold(text: str) -> str:
    """Diacritic-, case- and punctuation-insensitive form: "Nhà Cái-Uy tín!" -> "nha cai uy tin"."""
    decomposed = unicodedata.normalize("NFD", text[:_MAX_TEXT].replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NON_WORD.sub(" ", stripped).strip()


@dataclass(frozen=True)
class Lexicon:
    """A set of terms; `in_text` and `in_url` return the terms found, as written in the data file."""

    terms: tuple[str, ...]
    _folded: tuple[tuple[str, str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded = tuple((term, fold(term), fold(term).replace(" ", "")) for term in self.terms)
        object.__setattr__(self, "_folded", folded)

    def in_text(self, text: str | None) -> list[str]:
        """Terms that occur as whole words in `text`."""
        if not text:
            return []
        padded = f" {fold(text)} "
        return [term for term, folded, _ in self._folded if folded and f" {folded} " in padded]

    def counts(self, folded_text: str) -> dict[str, int]:
        """How often each term occurs as whole words in an already `fold`ed text (absent terms left out)."""
        # Doubled spaces let adjacent occurrences ("slot slot") each keep a space on both sides.
        doubled = f" {folded_text.replace(' ', '  ')} "
        found = {}
        for term, folded, _ in self._folded:
            if folded:
                count = doubled.count(f" {folded.replace(' ', '  ')} ")
                if count:
                    found[term] = count
        return found

    def in_url(self, url: str | None) -> list[str]:
        """Terms in a URL's words, or run together in one of its tokens (host labels, path parts)."""
        if not url:
            return []
        folded_url = fold(url)
        padded = f" {folded_url} "
        tokens = folded_url.split()
        found = []
        for term, folded, compact in self._folded:
            if not folded:
                continue
            if f" {folded} " in padded or any(
                token == compact or (len(compact) >= _MIN_COMPOUND and compact in token) for token in tokens
            ):
                found.append(term)
        return found


def parse_term_list(text: str) -> tuple[str, ...]:
    """One term per line; blank lines and `#` comments ignored."""
    terms = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(dict.fromkeys(term for term in terms if term))


@dataclass(frozen=True)
class GamblingVocabulary:
    """Criterion đ's gambling vocabulary (`rules/data/gambling-lexicon.yaml`), by weight."""

    strong: Lexicon  # almost only gambling promotion uses these
    weak: Lexicon  # news, lottery results and sports pages use these too
    context: Lexicon  # words of the legitimate pages that speak of gambling
    any: Lexicon  # strong and weak together


@cache
def gambling_vocabulary() -> GamblingVocabulary:
    raw = shipped_yaml("data", "gambling-lexicon.yaml")

    def terms(section: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(str(term) for group in raw[section].values() for term in group))

    strong, weak = terms("strong"), terms("weak")
    return GamblingVocabulary(Lexicon(strong), Lexicon(weak), Lexicon(terms("context")),
                              Lexicon(tuple(dict.fromkeys(strong + weak))))


def gambling_lexicon() -> Lexicon:
    """Every gambling/betting/lottery term, strong or weak: any of them in a hidden off-site link is spam."""
    return gambling_vocabulary().any


_MAX_PROFILE_TEXT = 300_000  # characters of a page's text weighed for gambling vocabulary


def gambling_profile(text: str) -> dict[str, Any]:
    """Words in a page's text, and how often each gambling and context term occurs in it."""
    folded = fold(text[:_MAX_PROFILE_TEXT])
    vocabulary = gambling_vocabulary()
    return {"words": len(folded.split()), "gambling": vocabulary.any.counts(folded),
            "context": vocabulary.context.counts(folded)}


# Entries of privacy-vocabulary.yaml that are not word lists: input types, thresholds.
_NOT_LEXICONS = frozenset({"personal_input_types", "policy_recognition"})


@cache
def privacy_vocabulary() -> dict[str, Any]:
    """Criterion b's vocabulary (`rules/data/privacy-vocabulary.yaml`): lists become Lexicons."""
    raw = shipped_yaml("data", "privacy-vocabulary.yaml")
    return {key: Lexicon(tuple(map(str, value))) if key not in _NOT_LEXICONS else value
            for key, value in raw.items()}


@cache
def _tracking_data() -> dict[str, Any]:
    data: dict[str, Any] = shipped_yaml("data", "trackers.yaml")
    return data


def trackers() -> tuple[dict[str, Any], ...]:
    """Known third-party trackers (`rules/data/trackers.yaml`)."""
    return tuple(_tracking_data()["trackers"])


def consent_managers() -> tuple[dict[str, Any], ...]:
    """Consent managers and how they mark a script held back until consent (`rules/data/trackers.yaml`)."""
    return tuple(_tracking_data()["consent_managers"])
