"""Is a crawled page gambling promotion? A weighing of signals, each shown in the evidence (issue 10 item 5).

Spam kits drop whole pages on compromised sites ("slot gacor" doorways in upload folders, Vietnamese
"nhà cái uy tín" pages) or stuff visible pages with betting links. Gambling words alone do not make
a page spam: a news story about police dismantling a betting ring, the state lottery's results
(Vietlott, xổ số kiến thiết) and sports news use them too. So a page is weighed, and every signal
that counted is listed with its points:

- visible off-site links whose text or URL carries gambling vocabulary, to other registrable domains:
  +2 per domain (at most 5 domains), +1 more per domain reached with a strong term;
- strong terms (almost only promotion uses them) in the page's text: +1 per distinct term, at most 6;
- density: gambling words per 100 words of text, +3 at `DENSE` or more;
- such links written by scripts (not in the markup): +2;
- words of the legitimate contexts (enforcement news, state lottery, sports news): -2 per distinct
  term, at most -8.
A page with at least one off-site gambling link and `THRESHOLD` points or more is reported.
"""

from __future__ import annotations

from typing import Any

from trustscan.collect.crawl.lexicon import GamblingVocabulary, fold
from trustscan.core.wordings import Wording, worded
from trustscan.net.domains import host_of, is_offsite, site_of

THRESHOLD = 6
DENSE = 2.0  # gambling words per 100 words
MAX_DOMAINS, MAX_STRONG, MAX_CONTEXT = 5, 6, 4


def weigh_page(url: str, html: dict[str, Any], host: str, vocabulary: GamblingVocabulary) -> dict[str, Any] | None:
    """The finding for a page that promotes gambling (signals, points, score), or None."""
    links = []
    for link in html.get("links") or []:
        target = link.get("url")
        if link.get("hidden") or not is_offsite(target, host):
            continue  # hidden links are dd.links.hidden_spam's: a page is weighed on what a visitor sees
        terms = vocabulary.any.in_text(link.get("text")) + vocabulary.any.in_url(target)
        if terms:
            links.append((link, list(dict.fromkeys(terms))))
    if not links:
        return None
    signals: list[dict[str, Any]] = []
    domains = sorted({site_of(host_of(link["url"])) for link, _ in links})
    strong_domains = sorted({site_of(host_of(link["url"])) for link, terms in links
                             if any(term in vocabulary.strong.terms for term in terms)})
    points = 2 * min(len(domains), MAX_DOMAINS) + min(len(strong_domains), MAX_DOMAINS)
    signals.append(_signal(Wording("gambling.signal.offsite_links"), points, domains=domains[:10],
                           strong_term_domains=strong_domains[:10], links=len(links),
                           examples=[link.get("text") or link["url"] for link, _ in links[:3]]))
    profile = html.get("text_profile") or {}
    counts: dict[str, int] = profile.get("gambling") or {}
    strong = [term for term in counts if term in vocabulary.strong.terms]
    if strong:
        signals.append(_signal(Wording("gambling.signal.strong_terms"), min(len(strong), MAX_STRONG),
                               terms=strong[:10]))
    words = profile.get("words") or 0
    density = round(100 * _occurrences(counts) / words, 1) if words else 0.0
    if density >= DENSE:
        signals.append(_signal(Wording("gambling.signal.dense", {"density": density, "dense": DENSE}), 3,
                               density=density))
    written = [link for link, _ in links if link.get("written_by")]
    if written:
        signals.append(_signal(Wording("gambling.signal.written_by_scripts"), 2,
                               written_by=written[0]["written_by"],
                               written_by_wording=written[0].get("written_by_wording")))
    context = list(profile.get("context") or {})
    if context:
        signals.append(_signal(Wording("gambling.signal.context"), -2 * min(len(context), MAX_CONTEXT),
                               terms=context[:10]))
    score = sum(signal["points"] for signal in signals)
    if score < THRESHOLD:
        return None
    promotes = Wording("finding.gambling_page", {"score": score, "threshold": THRESHOLD})
    # The element is the whole page: said "page" in English, and in any language from `element_wording`.
    return {"page": url, **worded("element", Wording("finding.element.page")), **worded("reason", promotes),
            "score": score, "signals": signals, "target": links[0][0]["url"]}


def _signal(what: Wording, points: int, **details: Any) -> dict[str, Any]:
    """One signal that counted: what it is (English, and `signal_wording` for any language), its points, details."""
    return {**worded("signal", what), "points": points,
            **{k: v for k, v in details.items() if v not in (None, [], "")}}


def _occurrences(counts: dict[str, int]) -> int:
    """Gambling words counted once: a term inside a longer one found ("slot" in "slot gacor") is not recounted."""
    total = 0
    folded = {term: f" {fold(term)} " for term in counts}
    for term, count in counts.items():
        inside = sum(other_count for other, other_count in counts.items()
                     if other != term and folded[term] in folded[other])
        total += max(count - inside, 0)
    return total
